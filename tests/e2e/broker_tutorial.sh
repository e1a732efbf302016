#!/bin/sh
# broker_tutorial.sh: the tutorial's external experiment on one machine, as
# the four commands of the README, in a temporary HOME:
#   pktlab-cred init --broker 127.0.0.1
#   pktlab-broker &
#   pktxpmgr test_http_get 127.0.0.1 /
#   pktlab-endpoint
# pktxpmgr publishes to the local broker, the endpoint subscribes, is
# notified, dials pktxpmgr with the published SNI, runs the experiment, and
# the page comes back.  Nothing is edited between the commands.
. "$(dirname "$0")/xpmgr_lib"
. "$(dirname "$0")/broker_lib"
xp_need_low_ports 80
[ "${PL_IN_NETNS:-0}" = 1 ] || { echo "SKIP: needs fixed ports 20556, 20566, 20567"; exit 77; }
export HOME="$T/home"
mkdir -p "$HOME"
xp_server xp_httpd -a 127.0.0.1 -p 80

"$CRED" init --broker 127.0.0.1 >"$T/init.out" 2>&1 || fail "init: $(cat "$T/init.out")"
: >"$T/broker.log"
"$BROKER" 2>"$T/broker.log" &
BKPID=$!
XP_BG="$XP_BG $BKPID"
bk_wait_log 'pktlab-broker .* started'
# pktxpmgr: the tutorial's command; -n 1 only so that the test ends.
xp_start -n 1 "$PL_MLET_DIR/test_http_get" 127.0.0.1 /
bk_wait_log 'publication p1 on 1 channel'
"$ENDPOINT" -r 1 2>"$T/endpoint.log" &
EPID=$!
XP_BG="$XP_BG $EPID"
bk_wait_log 'delivered publication p1'
xp_expect_exit 0 30
_n=200
while kill -0 "$EPID" 2>/dev/null; do
	[ "$_n" -gt 0 ] || fail "pktlab-endpoint -r 1 still running"
	sleep 0.05
	_n=$((_n - 1))
done
wait "$EPID" || fail "pktlab-endpoint exited non-zero"
expect_grep '<h1>Hello from the local web server</h1>' "$T/mlet.out"
expect_grep '^HTTP/1.0 200 OK' "$T/mlet.out"
# The session came through the published descriptor: its SNI, not the default.
expect_grep 'session started' "$T/xpmgr.log"
expect_no_grep 'sni=-\] session started' "$T/xpmgr.log"
bk_wait_log 'withdrew publication p1: publisher connection closed'
bk_stop
[ "$BKRC" = 0 ] || fail "pktlab-broker exited $BKRC"
echo "broker_tutorial: ok"
