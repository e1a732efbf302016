#!/bin/sh
# The tutorial's second command on one machine, with real processes only:
# pktlab-proxy, then
#   pktxpmgr -c xpmgr.proxy.conf -a 127.0.0.1:PORT test_http_get 127.0.0.1 /index.html
# then pktlab-endpoint -k SNIKEY dialing the proxy's endpoint port: the page
# is printed.  The same with test_dns.  Then the proxy restarts mid-run:
# pktxpmgr registers again and the next endpoint succeeds.  Descriptors of
# the proxy and of pktxpmgr return to their baselines.
. "$(dirname "$0")/xpmgr_proxy_lib"
. "$(dirname "$0")/proxy_lib"
xp_need_low_ports 80
xp_proxy_conf abc123
PX_CTL=$PPORT
PX_EP=$EPORT
xp_server xp_httpd -a 127.0.0.1 -p 80
xp_server xp_dnsd -a 127.0.0.1 -p 53 -A 192.0.2.80
px_start
PXBASE=$(px_nfds)

# 1. test_http_get through the proxy.
xp_start -c "$PCONF" -a "127.0.0.1:$PX_CTL" -n 2 "$PL_MLET_DIR/test_http_get" 127.0.0.1 /index.html
xp_wait_log 'proxy bootstrap complete' 10
px_wait_log 'sni=abc123\] registered' 10
xp_endpoint "$PX_EP" -k abc123 2>"$T/endpoint.log" || fail "pktlab-endpoint failed"
xp_wait_log 'session done' 10
expect_grep '<h1>Hello from the local web server</h1>' "$T/mlet.out"
expect_grep '\(HTTP GET for 127.0.0.1/index.html via 127.0.0.1\)' "$T/mlet.out"
px_wait_log 'session closed after [0-9.]+ s: [0-9]+ bytes endpoint->controller, [0-9]+ bytes controller->endpoint: both sides closed'
# The pool refills, the baseline of pktxpmgr is taken with 2 idle.
px_wait_log 'sni=abc123\] registered in .* \(2 idle' 10
sleep 0.3
xp_baseline
xp_endpoint "$PX_EP" -k abc123 2>"$T/endpoint2.log" || fail "second pktlab-endpoint failed"
xp_expect_exit 0 10
[ "$(grep -c '<h1>Hello from the local web server</h1>' "$T/mlet.out")" = 2 ] ||
    fail "two pages"
expect_no_grep 'WARN' "$T/xpmgr.log"
# pktxpmgr's wrap-up closed its idle connections: the proxy is back.
px_wait_nfds "$PXBASE"

# 2. test_dns through the proxy.
xp_start -c "$PCONF" -a "127.0.0.1:$PX_CTL" -n 1 "$PL_MLET_DIR/test_dns" www.pktlab.test 127.0.0.1
xp_wait_log 'proxy bootstrap complete' 10
xp_endpoint "$PX_EP" -k abc123 2>"$T/endpoint3.log" || fail "pktlab-endpoint (dns) failed"
xp_expect_exit 0 10
expect_grep '^www.pktlab.test is 192.0.2.80 \(via 127.0.0.1\)$' "$T/mlet.out"
px_wait_nfds "$PXBASE"

# 3. Hostile endpoints with the real pktxpmgr behind the proxy: no SNI,
# an unknown SNI, garbage, a slow ClientHello, a reset right after the
# ClientHello reached pktxpmgr.  Each affects only itself: the next real
# endpoint runs its experiment, descriptors and children come back.
xp_start -c "$PCONF" -a "127.0.0.1:$PX_CTL" "$PL_MLET_DIR/test_http_get" 127.0.0.1 /
xp_wait_log 'proxy bootstrap complete' 10
px_wait_log 'registered in .* \(2 idle' 10
sleep 0.3
xp_baseline
PXBASE2=$(px_nfds)
xp_endpoint "$PX_EP" 2>"$T/ep_nosni.log" && fail "an endpoint without SNI got through"
px_wait_log 'ClientHello without SNI'
xp_endpoint "$PX_EP" -k zzz999 2>"$T/ep_unknown.log" && fail "an unknown SNI got through"
px_wait_log 'sni=zzz999\] no controller registered this snikey'
timeout 10 python3 -c '
import socket, struct, sys, time
sys.path.insert(0, sys.argv[2])
import px_peer
port = int(sys.argv[1])
g = socket.create_connection(("127.0.0.1", port))
g.sendall(b"\x00" * 300)
slow = socket.create_connection(("127.0.0.1", port))
slow.sendall(px_peer.client_hello("abc123")[:50])
r = socket.create_connection(("127.0.0.1", port))
r.sendall(px_peer.client_hello("abc123"))
time.sleep(0.5)
r.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
r.close()
slow.settimeout(15)
assert slow.recv(10) == b""
g.settimeout(5)
assert g.recv(10) == b""
' "$PX_EP" "$(dirname "$PEER")" || fail "hostile endpoints"
px_wait_log 'not a TLS ClientHello: not a TLS handshake record'
px_wait_log 'no complete ClientHello within'
px_wait_log 'session closed after .*Connection reset by peer'
xp_endpoint "$PX_EP" -k abc123 2>"$T/endpoint5.log" || fail "endpoint after the hostile ones"
xp_wait_log 'session done' 10
px_wait_log 'sni=abc123\] registered in .* \(2 idle' 10
xp_check_baseline
px_wait_nfds "$PXBASE2"

# 4. The proxy restarts while pktxpmgr runs: pktxpmgr registers again.
px_stop
mv "$T/proxy.log" "$T/proxy1.log.old"
sleep 1
px_start
px_wait_log 'sni=abc123\] registered in .* \(2 idle' 40
xp_endpoint "$PX_EP" -k abc123 2>"$T/endpoint4.log" || fail "endpoint after the proxy restart"
xp_wait_log 'session done' 10
px_wait_log 'sni=abc123\] registered in .* \(2 idle' 10
# While the proxy was gone, pktxpmgr backed off instead of spinning: the
# new proxy saw few connections before the pool was full again.
n=$(px_count 'controller connected')
[ "$n" -le 6 ] || fail "$n controller connections after the restart"
xp_check_baseline
kill -TERM "$XPID"
xp_expect_exit 0 10
px_wait_nfds "$PXBASE"
px_stop
echo "proxy_xpmgr: ok"
