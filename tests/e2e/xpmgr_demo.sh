#!/bin/sh
# xpmgr_demo: scripts/demo, the README's one-command local experiment,
# keeps working: it ends with status 0 and shows the fetched page.  So does
# "scripts/demo proxy", the tutorial's second command through pktlab-proxy.
set -eu
: "${PL_BUILD_DIR:?run through ctest}" "${PL_SRC_DIR:?}"
if ! unshare -rn true 2>/dev/null && [ "$(id -u)" != 0 ]; then
	echo "SKIP: the demo needs a network namespace or root (port 80 on loopback)"
	exit 77
fi
out=$(mktemp "${TMPDIR:-/tmp}/xpmgr_demo.XXXXXX")
trap 'rm -f "$out"' EXIT

# demo MODE WANT...: run scripts/demo MODE; every WANT is in its output.
demo() {
	_mode=$1
	shift
	# shellcheck disable=SC2086
	if ! BUILD=$PL_BUILD_DIR DEMO_NO_BUILD=1 "$PL_SRC_DIR/scripts/demo" $_mode >"$out" 2>&1; then
		cat "$out" >&2
		echo "FAIL: scripts/demo $_mode failed" >&2
		exit 1
	fi
	for want in "$@" '<h1>Hello from the local web server</h1>' \
	    'session done (mlet closed its socket)' 'pktxpmgr exited 0'; do
		grep -qF -- "$want" "$out" || { cat "$out" >&2; echo "FAIL: no '$want'" >&2; exit 1; }
	done
	# It cleans up after itself.
	tmp=$(sed -n 's|.*pktlab-cred init --home \(.*\)/pktlab --no-publication|\1|p' "$out")
	[ -n "$tmp" ] && [ ! -e "$tmp" ] || { echo "FAIL: $tmp left behind" >&2; exit 1; }
}

demo "" '(HTTP GET for 127.0.0.1/ via 127.0.0.1)'
demo proxy '(HTTP GET for 127.0.0.1/index.html via 127.0.0.1)' 'spliced after' \
    'proxy bootstrap complete'
echo "ok"
