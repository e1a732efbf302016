#!/bin/sh
# endpoint_cli: pktlab-endpoint's command line and configuration errors, as
# a user meets them: --help and --version, usage errors (exit 2), a bad
# endpt.conf named by file:line with the reason (exit 1), missing
# credentials, and an unreachable controller given up on after
# ConnectAttempts with the reason (exit 1).  Loopback only.
set -eu
: "${PL_BIN_DIR:?run through ctest}" "${PL_TEST_DATA:?}"
EP=$PL_BIN_DIR/pktlab-endpoint
PKI=$PL_TEST_DATA/pki
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

fail() {
	echo "FAIL: $*" >&2
	for f in "$T"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }; done
	exit 1
}
# run WANT_STATUS LOG ARGS...: run the endpoint, check its exit status.
run() {
	_want=$1 _log=$2
	shift 2
	_rc=0
	"$EP" "$@" >"$T/$_log.out" 2>"$T/$_log.log" || _rc=$?
	[ "$_rc" = "$_want" ] || fail "$*: exit $_rc, expected $_want"
}
has() {
	grep -Eq -- "$2" "$T/$1" || fail "no /$2/ in $1"
}

run 0 help --help
has help.out '^usage: pktlab-endpoint .*ADDR\[:PORT\]'
has help.out '--repeat N'
run 0 version --version
has version.out '^pktlab-endpoint [0-9]+\.[0-9]+'
run 2 twoaddr 127.0.0.1 127.0.0.2
run 2 badsni -k 'Not_Valid' 127.0.0.1
has badsni.log 'an SNI key is 1 to 63'
run 2 badrepeat -r many 127.0.0.1
run 2 badaddr '127.0.0.1:99999'
has badaddr.log 'controller address'

# A configuration with three mistakes (an unknown directive is one): all
# named, with their lines.
printf '# endpoint\nBufMax 12\nHostID ok\nAllowedDest 10.0.0.0/33\nHostId typo\n' >"$T/bad.conf"
run 1 badconf -c "$T/bad.conf" 127.0.0.1
has badconf.log "bad.conf:2: BufMax: 12 is not 4096"
has badconf.log "bad.conf:4: AllowedDest: .*prefix length"
has badconf.log "bad.conf:5: unknown directive \"HostId\" \(did you mean HostID\? names are case-sensitive\)"
# One FATAL line per error (docs/logging.md), no WARN, no summary line.
[ "$(grep -c ' FATAL ' "$T/badconf.log")" = 3 ] || fail "badconf: not 3 FATAL lines"
if grep -q ' WARN ' "$T/badconf.log"; then fail "badconf: a WARN line"; fi

run 1 noconf -c "$T/missing.conf" 127.0.0.1
has noconf.log "FATAL cannot read the configuration .*missing.conf"

printf 'HostID x\n' >"$T/nocred.conf"
run 1 nocred -c "$T/nocred.conf" 127.0.0.1
has nocred.log "EndpointPrivKey and ControllerCertChainPath are needed"
# Without ADDR: subscription mode, which names what the file lacks.
run 1 noaddr -c "$T/nocred.conf"
has noaddr.log "nocred.conf: subscription mode .*needs BrokerAddr"
has noaddr.log "nocred.conf: incomplete for subscription mode"

# Relative paths start in the configuration's folder.
mkdir -p "$T/home/keys" "$T/home/certs"
cp "$PKI/keys/k_ep" "$PKI/keys/k_eop.pub" "$T/home/keys/"
cp "$PKI/certs/subcmd_eop_ep.cert" "$T/home/certs/"
cat >"$T/home/endpt.conf" <<CONF
EndpointPrivKey keys/k_ep
ControllerCertChainPath certs/subcmd_eop_ep.cert
EndpointOpPubKeyPath keys/k_eop.pub
ConnectTimeout 200ms
RetryDelay 50ms
ConnectAttempts 3
CONF
# Nothing listens on this port: three refused attempts, then exit 1.
PORT=9	# discard: nothing listens on loopback in the test namespace
run 1 unreach -c "$T/home/endpt.conf" "127.0.0.1:$PORT"
has unreach.log "retrying in 0\.1 s|retrying in 0\.0 s"
has unreach.log "FATAL cannot reach the controller 127\.0\.0\.1:$PORT: connect to 127\.0\.0\.1:$PORT: Connection refused \(gave up after 3 attempts\)"
[ "$(grep -c 'cannot reach the controller' "$T/unreach.log")" = 3 ] || fail "expected 3 attempts"

# A wrong key for the chain: named, exit 1.
sed -i 's|keys/k_ep|keys/k_eop.pub|' "$T/home/endpt.conf"
run 1 wrongkey -c "$T/home/endpt.conf" "127.0.0.1:$PORT"
has wrongkey.log "endpt.conf: .*keys/k_eop.pub: "
echo ok
