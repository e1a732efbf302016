#!/bin/sh
# xpmgr_pub_window: the publication window (xpmgr spec §8.5).  The broker
# connection is closed (close_notify) at pub_end; greeting goes on for
# GreetPeriodAfterPubEnd (an endpoint is served then); then pktxpmgr wraps
# up and exits 0.  The traps: no pub_end anywhere, and PubPeriod 0, publish
# once and stop at once, as 1.1.0 does, with a warning at start-up and in -t.
. "$(dirname "$0")/xpmgr_lib"
xp_need_low_ports 80
xp_pki
xp_server xp_httpd -a 127.0.0.1 -p 80
LPORT=$(xp_port)
xp_sbroker
xp_pub_conf <<CONF
PubPeriod 3000000000
GreetPeriodAfterPubEnd 4000000000
ExpExec 1::$CHAIN:$EOP::
CONF
xp_start -c "$PUBCONF" -a "127.0.0.1:$LPORT" "$PL_MLET_DIR/test_http_get" 127.0.0.1 /
xp_wait_log 'Experiment publication completed' 10
xp_wait_log 'Stopping publication \(max publication time reached' 10
sleep 0.3
wait_grep 'c1 # TLS close_notify received' "$SBLOG"
kill -0 "$XPID" || fail "pktxpmgr ended with the publication"
# Greeting goes on after pub_end.
xp_endpoint "$LPORT" 2>"$T/endpoint.log" || fail "endpoint after pub_end"
expect_grep '<h1>Hello from the local web server</h1>' "$T/mlet.out"
xp_wait_log 'stopping greeting endpoints \(publication ended and GreetPeriodAfterPubEnd is over\)' 10
xp_expect_exit 0 10
# Stopping publication -> stopping greeting: about 4 s.
ts() {
	grep -E "$1" "$T/xpmgr.log" | head -1 | sed 's/^[0-9-]*T\([0-9:.]*\)Z.*/\1/' |
	    awk -F: '{ printf "%d\n", ($1 * 3600 + $2 * 60 + $3) * 1000 }'
}
gap=$(( $(ts 'stopping greeting endpoints') - $(ts 'Stopping publication') ))
[ "$gap" -ge 3500 ] && [ "$gap" -le 6000 ] || fail "greeting went on $gap ms after pub_end"

# The traps: published once (the whole sequence), then the end at once.
for trap in "" "PubPeriod 0"; do
	kill "$(echo $XP_BG | awk '{print $NF}')"
	SBLOG=$T/sbtrap$(echo "$trap" | tr -d ' ').log
	xp_sbroker
	xp_pub_conf <<CONF
$trap
ExpExec 1::$CHAIN:$EOP::
CONF
	"$XPMGR" -t -c "$PUBCONF" -a "127.0.0.1:$LPORT" "$MLET" >"$T/t.out" 2>"$T/t.err" ||
	    fail "-t [$trap]"
	if [ -z "$trap" ]; then
		expect_grep 'WARN .*neither PubPeriod nor a pub_end override is set' "$T/t.err"
	else
		expect_grep 'WARN .*PubPeriod 0: publication ends as soon as it is made' "$T/t.err"
	fi
	xp_start -c "$PUBCONF" -a "127.0.0.1:$LPORT" "$MLET"
	xp_expect_exit 0 10
	if [ -z "$trap" ]; then
		expect_grep 'WARN .*neither PubPeriod nor a pub_end override is set' "$T/xpmgr.log"
	else
		expect_grep 'WARN .*PubPeriod 0: publication ends as soon as it is made' "$T/xpmgr.log"
	fi
	got=$(sed -n 's/^+[0-9.]* c1 <- [0-9a-f]*  \([a-z]*\).*/\1/p' "$SBLOG" | tr '\n' ' ')
	[ "$got" = "xcert xcert xpub " ] || fail "trap [$trap]: sequence $got"
	expect_grep 'Experiment publication completed' "$T/xpmgr.log"
done
echo "ok"
