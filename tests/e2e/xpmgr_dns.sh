#!/bin/sh
# xpmgr_dns: example_mlets/test_dns through pktxpmgr and a real endpoint,
# against a loopback DNS responder: a UDP experiment end to end.  Two
# endpoints in a row with -n 2: a name that resolves and one that does not.
. "$(dirname "$0")/xpmgr_lib"
xp_need_low_ports 53
xp_pki
PORT=$(xp_port)

xp_server xp_dnsd -a 127.0.0.1 -p 53 -A 192.0.2.80

xp_start -c "$CONF" -a "127.0.0.1:$PORT" -n 1 "$PL_MLET_DIR/test_dns" www.pktlab.test 127.0.0.1
xp_endpoint "$PORT" 2>"$T/endpoint.log" || fail "pktlab-endpoint failed"
xp_expect_exit 0 10
expect_grep '^www.pktlab.test is 192.0.2.80 \(via 127.0.0.1\)$' "$T/mlet.out"
expect_grep 'session done \(mlet closed its socket\).*mlet exit 0' "$T/xpmgr.log"

xp_start -c "$CONF" -a "127.0.0.1:$PORT" -n 1 "$PL_MLET_DIR/test_dns" nx.pktlab.test 127.0.0.1
xp_endpoint "$PORT" 2>"$T/endpoint.log" || fail "pktlab-endpoint failed"
xp_expect_exit 0 10
expect_grep '^nx.pktlab.test does not exist \(via 127.0.0.1\)$' "$T/mlet.out"
echo "ok"
