#!/bin/sh
# broker_demo: `scripts/demo external`, the tutorial's external experiment
# on one machine, keeps working: the publication, two of three endpoints
# notified (the third excluded by -i), two sessions and two pages, in that
# order; it ends with status 0, kills what it started and removes its folder.
set -eu
: "${PL_BUILD_DIR:?run through ctest}" "${PL_SRC_DIR:?}"
if ! unshare -rn true 2>/dev/null && [ "$(id -u)" != 0 ]; then
	echo "SKIP: the demo needs a network namespace or root (port 80 on loopback)"
	exit 77
fi
out=$(mktemp "${TMPDIR:-/tmp}/broker_demo.XXXXXX")
trap 'rm -f "$out"' EXIT
if ! BUILD=$PL_BUILD_DIR DEMO_NO_BUILD=1 "$PL_SRC_DIR/scripts/demo" external >"$out" 2>&1; then
	cat "$out" >&2
	echo "FAIL: scripts/demo external failed" >&2
	exit 1
fi
fail() { cat "$out" >&2; echo "FAIL: $*" >&2; exit 1; }
[ "$(grep -c 'delivered publication p1' "$out")" = 2 ] || fail "two deliveries"
grep -q '^lab3: nothing (not notified)' "$out" || fail "lab3 was notified"
[ "$(grep -c '(HTTP GET for 127.0.0.1/ via 127.0.0.1)' "$out")" = 2 ] || fail "two pages"
# In order: publication, notifications, sessions, pages, withdrawal.
order=$(grep -n -e '== the publication' -e '== the notifications' -e '== the sessions' \
    -e '== the pages' -e '== withdrawal' "$out" | cut -d: -f1 | tr '\n' ' ')
[ "$(echo "$order" | wc -w)" = 5 ] || fail "sections missing"
echo "$order" | awk '{ for (i = 2; i <= NF; i++) if ($i + 0 <= $(i - 1) + 0) exit 1 }' ||
    fail "sections out of order"
grep -q 'pktxpmgr exited 0' "$out" || fail "no clean end"
tmp=$(sed -n 's|.*pktlab-cred init --home \(.*\)/pktlab --broker .*|\1|p' "$out")
[ -n "$tmp" ] && [ ! -e "$tmp" ] || fail "$tmp left behind"
echo "ok"
