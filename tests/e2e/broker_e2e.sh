#!/bin/sh
# broker_e2e.sh: pktxpmgr, pktlab-broker and pktlab-endpoints together.
#   - publication -> notification -> experiment, with test_http_get and
#     test_dns, for endpoints that subscribed before and after publishing;
#   - under -i, a dattr mismatch gets nothing, and so does an endpoint on
#     another channel; an endpoint without a hostid attribute gets it;
#   - the broker killed and restarted mid-run: pktxpmgr republishes,
#     endpoints resubscribe, a new endpoint still gets the experiment, and
#     no endpoint runs it twice;
#   - a publication whose pub_end passed reaches nobody.
. "$(dirname "$0")/xpmgr_lib"
. "$(dirname "$0")/broker_lib"
xp_need_low_ports 80
bk_pki h
CONF=$H/xpmgr.conf
printf 'HandshakeTimeout 2s\nSetupTimeout 2s\n' >>"$CONF"
xp_server xp_httpd -a 127.0.0.1 -p 80
xp_server xp_dnsd -a 127.0.0.1 -p 53 -A 192.0.2.80
bk_start
PORT=$(xp_port)

echo "== -i ep1: only matching endpoints, before and after the publication"
bk_endpoint ep1 "EndpointAttr hostid=ep1;"
bk_endpoint ep2 "EndpointAttr hostid=ep2;"
bk_endpoint ep3 "BrokerChannel 7075626c6963"
bk_endpoint ep4
bk_ep_start ep1 -r 1; EP1=$EPPID
bk_ep_start ep2 -r 1; EP2=$EPPID
bk_ep_start ep3 -r 1; EP3=$EPPID
bk_wait_log 'subscription .*hostid=ep1'
bk_wait_log 'subscription .*hostid=ep2'
bk_wait_log 'subscription on 1 channel\(s\), dattr ""'
xp_start -c "$CONF" -a "127.0.0.1:$PORT" -p "127.0.0.1:$PORT" -i ep1 -n 2 \
    "$PL_MLET_DIR/test_http_get" 127.0.0.1 /
bk_wait_log 'publication p1 on 1 channel'
bk_wait_file "$T/ep1.log" 'descriptor #1 done' 20
# ep4 subscribes after the publication, with no hostid: it gets it too.
bk_ep_start ep4 -r 1; EP4=$EPPID
bk_wait_file "$T/ep4.log" 'descriptor #1 done' 20
xp_expect_exit 0 20
[ "$(grep -c '<h1>Hello from the local web server</h1>' "$T/mlet.out")" = 2 ] ||
    fail "two pages expected: $(cat "$T/mlet.out")"
[ "$(bk_count 'delivered publication p1')" = 2 ] || fail "p1 delivered $(bk_count 'delivered publication p1') times"
grep -q 'descriptor #' "$T/ep2.log" && fail "ep2 (hostid=ep2) got the -i ep1 experiment"
grep -q 'descriptor #' "$T/ep3.log" && fail "ep3 (another channel) got it"
bk_wait_log 'withdrew publication p1: publisher connection closed'

echo "== test_dns for the endpoints still waiting (ep2 and ep3 get nothing again: channel)"
xp_start -c "$CONF" -a "127.0.0.1:$PORT" -p "127.0.0.1:$PORT" -n 1 \
    "$PL_MLET_DIR/test_dns" www.pktlab.test 127.0.0.1
bk_wait_file "$T/ep2.log" 'descriptor #1 done' 20
xp_expect_exit 0 20
expect_grep '^www.pktlab.test is 192.0.2.80 \(via 127.0.0.1\)$' "$T/mlet.out"
grep -q 'descriptor #' "$T/ep3.log" && fail "ep3 (another channel) got test_dns"
kill "$EP3"

echo "== the broker restarts mid-run"
bk_endpoint ep5
bk_endpoint ep6
bk_ep_start ep5 -r 0; EP5=$EPPID
xp_start -c "$CONF" -a "127.0.0.1:$PORT" -p "127.0.0.1:$PORT" \
    "$PL_MLET_DIR/test_http_get" 127.0.0.1 /
bk_wait_file "$T/ep5.log" 'descriptor #1 done' 20
kill -9 "$BKPID"
wait "$BKPID" 2>/dev/null || true
sleep 1
mv "$T/broker.log" "$T/broker1.log.txt"
bk_start
# pktxpmgr republishes (backoff from 1 s), ep5 resubscribes.
bk_wait_log 'publication p1 on 1 channel' 30
bk_wait_log 'subscription' 30
bk_ep_start ep6 -r 1; EP6=$EPPID
bk_wait_file "$T/ep6.log" 'descriptor #1 done' 20
sleep 1
[ "$(grep -c 'descriptor #[0-9]*: dialing' "$T/ep5.log")" = 1 ] ||
    fail "ep5 ran the experiment $(grep -c 'descriptor #[0-9]*: dialing' "$T/ep5.log") times"
[ "$(grep -c '<h1>Hello' "$T/mlet.out")" = 2 ] || fail "two runs expected"
kill -INT "$XPID"
xp_wait_exit 10
kill "$EP5" 2>/dev/null || true

echo "== an expired publication reaches nobody"
printf 'PubPeriod 1000000000\nGreetPeriodAfterPubEnd 0\n' >>"$CONF"
xp_start -c "$CONF" -a "127.0.0.1:$PORT" -p "127.0.0.1:$PORT" \
    "$PL_MLET_DIR/test_http_get" 127.0.0.1 /
xp_wait_exit 20
bk_wait_log 'withdrew publication p2' 10
bk_endpoint ep7
bk_ep_start ep7 -r 1; EP7=$EPPID
bk_wait_log 'subscription on 1 channel.*' 10
sleep 1
grep -q 'descriptor #' "$T/ep7.log" && fail "ep7 got an expired publication"
kill "$EP7" 2>/dev/null || true
for p in $EP1 $EP2 $EP4 $EP6; do
	wait "$p" || fail "an endpoint exited non-zero"
done
bk_stop
[ "$BKRC" = 0 ] || fail "pktlab-broker exited $BKRC"
echo "broker_e2e: ok"
