#!/bin/sh
# man_lint.sh: every man page is mdoc and renders without a warning:
# `mandoc -T lint -W warning` on man/*.1 and man/*.7 prints nothing, and each
# page is written in mdoc (.Dd/.Dt/.Sh), not man(7) (.TH/.SH).
set -eu

MAN="$PL_SRC_DIR/man"
if ! command -v mandoc >/dev/null 2>&1; then
	echo "SKIP: mandoc is not installed (scripts/install-deps installs it)" >&2
	exit 77
fi
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

n=0
for f in "$MAN"/*.[1-8]; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	grep -q '^\.Dd ' "$f" || fail "$f: no .Dd (not an mdoc page)"
	grep -q '^\.Dt ' "$f" || fail "$f: no .Dt (not an mdoc page)"
	if grep -qE '^\.(TH|SH|SS) ' "$f"; then
		fail "$f: man(7) macros (.TH/.SH/.SS); write it in mdoc"
	fi
done
[ "$n" -ge 6 ] || fail "only $n man pages found in $MAN"

out=$(mandoc -T lint -W warning "$MAN"/*.[1-8] 2>&1) || true
if [ -n "$out" ]; then
	echo "$out" >&2
	fail "mandoc -T lint -W warning reports the lines above"
fi
echo "man_lint: $n pages, no warnings"
