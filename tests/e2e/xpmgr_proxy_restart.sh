#!/bin/sh
# xpmgr_proxy_restart: bootstrap with no proxy at all exits 1 within
# BootstrapBacklogTimeout (3 s).  Then a proxy that goes away mid-run and
# comes back 3 s later: pktxpmgr loses its idle backlog connections, retries
# with backoff (a handful of connects, not 1.1.0's tight loop, and one
# warning), re-registers once the proxy is back, and serves an endpoint
# again; descriptors and children return to the baseline.
. "$(dirname "$0")/xpmgr_proxy_lib"
xp_need_low_ports 80
xp_proxy_conf abc123
xp_server xp_httpd -a 127.0.0.1 -p 80

xp_run_fail -c "$PCONF" -a "127.0.0.1:$PPORT" "$MLET" hold
ms=$MS
echo "no proxy: exit after $ms ms"
if [ "$ms" -lt 2900 ] || [ "$ms" -ge 6000 ]; then fail "no proxy: exit after $ms ms"; fi
expect_grep 'cannot connect: 127.0.0.1:[0-9]+: Connection refused' "$T/xpmgr.log"
expect_grep 'proxy bootstrap failed' "$T/xpmgr.log"

xp_sproxy
xp_start -c "$PCONF" -a "127.0.0.1:$PPORT" -v "$PL_MLET_DIR/test_http_get" 127.0.0.1 /
xp_wait_log 'proxy bootstrap complete' 10
sleep 0.3
xp_baseline
xp_endpoint "$EPORT" -k abc123 2>"$T/endpoint.log" || fail "pktlab-endpoint failed"
xp_wait_log 'session done' 10
xp_proxy_wait 'R3: idle in the pool' 1
xp_check_baseline

# The proxy goes away for 3 s.
xp_sproxy_stop
xp_wait_log 'cannot connect: ' 5
sleep 3
n=$(grep -c 'stage 1: TCP connect' "$T/xpmgr.log")
xp_sproxy
xp_wait_log 'registered again after [0-9]+ failed attempt' 40
xp_proxy_wait 'idle in the pool of abc123 \(2 idle\)' 1 40
# 3 initial + re-registrations; 1.1.0 would have made thousands of connects.
echo "connects while the proxy was down (and before): $n"
[ "$n" -le 16 ] || fail "$n connects in about 3 s without a proxy"
[ "$(grep -c 'WARN .*cannot connect' "$T/xpmgr.log")" = 1 ] ||
    fail "the refused connect was warned about more than once"

xp_endpoint "$EPORT" -k abc123 2>"$T/endpoint2.log" || fail "pktlab-endpoint after the restart"
[ "$(grep -c '<h1>Hello from the local web server</h1>' "$T/mlet.out")" = 2 ] ||
    fail "no second page"
sleep 0.3
xp_check_baseline
kill -INT "$XPID"
xp_expect_exit 0 5
echo "ok"
