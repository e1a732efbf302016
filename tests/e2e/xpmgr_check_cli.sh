#!/bin/sh
# xpmgr_check_cli.sh: the pktxpmgr command line as a user meets it: --help,
# -V/--version, usage errors (exit 2, one line on stderr), and options after MLET
# belonging to the mlet (seen through -t's plan).
set -eu
BIN=$(cd "${PL_BIN_DIR:?}" && pwd)/pktxpmgr
PKI=${PL_TEST_DATA:?}/pki
T=$(mktemp -d "${TMPDIR:-/tmp}/xpmgr_cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
# expect STATUS ARGS...: run, keep stdout/stderr in $T/out, $T/err
expect() {
	want=$1
	shift
	st=0
	"$BIN" "$@" >"$T/out" 2>"$T/err" </dev/null || st=$?
	[ "$st" = "$want" ] || { fail "pktxpmgr $*: exit $st, want $want"; cat "$T/err" >&2; }
}
has() { grep -qF -- "$2" "$T/$1" || { fail "$1 lacks: $2"; sed 's/^/  /' "$T/$1" >&2; }; }
empty() { [ ! -s "$T/$1" ] || { fail "$1 not empty"; sed 's/^/  /' "$T/$1" >&2; }; }

expect 0 --help
has out "usage: pktxpmgr [-hqstvV] [-c XPMGR_CONF_PATH] [-a ADDR[:PORT]] [-p PUBLISH_ADDR[:PORT]]"
for o in "-a, --addr ADDR[:PORT]" "-c, --config PATH" "-h, --help" "-i, --hostid HOSTID" \
    "-n, --attempts N" "-p, --publish-addr ADDR[:PORT]" "-q, --quiet" "-s, --singleton" \
    "-t, --check" "-v, --verbose" "-V, --version"; do
	[ "$(grep -cF -- "$o" "$T/out")" = 1 ] || fail "--help: want one line with: $o"
done
empty err
expect 0 -h
has out "  -t, --check"
expect 0 --version
has out "pktxpmgr "
empty err

expect 0 -V
has out "pktxpmgr "
cp "$T/out" "$T/version"

expect 2
has err "pktxpmgr: missing MLET (the measurement applet to run) (see 'pktxpmgr --help')"
[ "$(wc -l <"$T/err")" = 1 ] || fail "a usage error is one line"
empty out
expect 2 -n 0 m
has err "pktxpmgr: -n: \"0\": the attempt count must be at least 1"
expect 2 -n 12abc m
has err "pktxpmgr: -n: \"12abc\": expected a positive decimal number"
expect 2 -n -5 m
has err "pktxpmgr: -n: \"-5\": expected a positive decimal number"
expect 2 -z m
has err "pktxpmgr: unknown option -z"
expect 2 -a 1.2.3.4: m
has err "pktxpmgr: -a: \"1.2.3.4:\": missing port after ':'"
expect 2 -c
has err "pktxpmgr: -c needs an argument (PATH)"
expect 1 -c "$T/none.conf" m
has err "$T/none.conf: cannot read the configuration: No such file or directory"

# Options after MLET are the mlet's (1.1.0 took them as its own).
mkdir "$T/p"
cp -R "$PKI/keys" "$PKI/certs" "$T/p/"
printf 'EnableExpPublication 0\nControllerPrivkeyPath keys/k_xc\nExpExec 1::certs/exppriv_eop_exper.cert,certs/pubcmd_exper_xc.cert:keys/k_eop.pub::\n' >"$T/p/x.conf"
printf '#!/bin/sh\n' >"$T/m"
chmod 755 "$T/m"
expect 0 -t -c "$T/p/x.conf" -n 3 -s "$T/m" -a 127.0.0.1 -n 0 -- --help
has out "mlet:             $T/m -a 127.0.0.1 -n 0 -- --help (singleton: one for all endpoints)"
has out "sessions:         stop after 3"
has out "mode:             passive: listen on 0.0.0.0:20556"
expect 0 -t -c "$T/p/x.conf" -a "[::1]:20600" -- "$T/m"
has out "mode:             passive: listen on [::1]:20600"

if [ "$fails" -ne 0 ]; then
	echo "xpmgr_check_cli: $fails failure(s)" >&2
	exit 1
fi
echo "xpmgr_check_cli: all passed"
