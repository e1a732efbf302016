#!/bin/sh
# xpmgr_proxy_run: pktxpmgr in proxy mode against the scripted proxy
# (tests/tools/sproxy.py).  The registration is byte for byte transcript C1:
# xreg 80 000006 "abc123", result 40 000000, our close_notify before any
# PKTLAB, PKTLAB both ways; TargetBacklogConn connections per key.  Then the
# tutorial's experiment through the proxy: pktlab-endpoint -k abc123 dials
# the proxy's endpoint port, test_http_get's page comes back, EPADDR is the
# proxy's address, the used slot is refilled, -n 2 ends the run with exit 0,
# and descriptors and children are back to the baseline in between.
. "$(dirname "$0")/xpmgr_proxy_lib"
xp_need_low_ports 80
xp_proxy_conf abc123
xp_server xp_httpd -a 127.0.0.1 -p 80
xp_sproxy

xp_start -c "$PCONF" -a "127.0.0.1:$PPORT" -n 2 "$PL_MLET_DIR/test_http_get" 127.0.0.1 /
xp_wait_log 'proxy bootstrap complete' 10
xp_proxy_wait 'idle in the pool of abc123 \(2 idle\)' 1
# The status (SIGUSR1; the terminal's status line) counts them.
kill -USR1 "$XPID"
xp_wait_log 'status: run 0 .* \| proxy idle 2$' 10

# C1, from the proxy's side, for each registration.
for r in R1 R2; do
	grep -E "^\+[0-9.]+ ${r}[ :]" "$T/proxy.log" | sed 's/^+[0-9.]* //' >"$T/$r.seq"
	cat >"$T/want.seq" <<EOT
$r: TLS TLSv1.3 TLS_AES_256_GCM_SHA384, client SNI absent, client certificate absent
$r > 80000006616263313233  # xreg snikey=abc123
$r < 40000000  # result SUCCESS
$r: TLS close_notify exchanged (the controller's received)
$r < raw 504b544c4142  # PKTLAB
$r > raw 504b544c4142  # PKTLAB
EOT
	sed -n '2,7p' "$T/$r.seq" | diff "$T/want.seq" - >&2 || fail "$r is not transcript C1"
done
expect_grep 'greeting endpoints through the proxy 127.0.0.1:'"$PPORT" "$T/xpmgr.log"
expect_grep 'first backlog connection registered' "$T/xpmgr.log"
# Let the pool settle, then take the baseline: two idle backlog connections.
sleep 0.3
xp_baseline

# The tutorial's experiment through the proxy.
xp_endpoint "$EPORT" -k abc123 2>"$T/endpoint.log" || fail "pktlab-endpoint failed"
expect_grep '<h1>Hello from the local web server</h1>' "$T/mlet.out"
xp_wait_log 'session done' 10
expect_grep 'sni=abc123\] session started; mlet pid [0-9]+, EPADDR=127.0.0.1' "$T/xpmgr.log"
xp_proxy_wait 'E1: splice over' 1
# The used slot is refilled: a third registration, two idle again.
xp_proxy_wait '^\+[0-9.]+ R3 > raw 504b544c4142' 1
xp_check_baseline

# The second experiment reaches -n 2: wrap-up closes the idle backlog connections.
xp_endpoint "$EPORT" -k abc123 2>"$T/endpoint2.log" || fail "second pktlab-endpoint failed"
xp_expect_exit 0 10
expect_grep 'done: 2 session\(s\) started, 2 ended normally, 0 failed, 0 dropped' "$T/xpmgr.log"
expect_grep 'closed [0-9]+ backlog connection\(s\) to the proxy' "$T/xpmgr.log"
xp_proxy_wait 'the controller closed its idle connection' 1
expect_no_grep 'WARN' "$T/xpmgr.log"
echo "ok"
