#!/bin/sh
# xpmgr_http_get: the tutorial's first experiment on loopback.  A local web
# server, pktxpmgr -n 1 running example_mlets/test_http_get, and a real
# pktlab-endpoint: the page comes back through the endpoint, the session
# ends cleanly, pktxpmgr exits 0 on its own.
. "$(dirname "$0")/xpmgr_lib"
xp_need_low_ports 80
xp_pki
PORT=$(xp_port)

xp_server xp_httpd -a 127.0.0.1 -p 80

xp_start -c "$CONF" -a "127.0.0.1:$PORT" -n 1 "$PL_MLET_DIR/test_http_get" 127.0.0.1 /
xp_endpoint "$PORT" 2>"$T/endpoint.log" || fail "pktlab-endpoint failed"
xp_expect_exit 0 10

expect_grep '<h1>Hello from the local web server</h1>' "$T/mlet.out"
expect_grep '^HTTP/1.0 200 OK' "$T/mlet.out"
expect_grep '\(HTTP GET for 127.0.0.1/ via 127.0.0.1\)' "$T/mlet.out"
expect_grep '\[s1 127.0.0.1:[0-9]+ sni=-\] session started; mlet pid [0-9]+, EPADDR=127.0.0.1' "$T/xpmgr.log"
expect_grep 'session done \(mlet closed its socket\): .*mlet->endpoint 3 msgs .*mlet exit 0' "$T/xpmgr.log"
expect_grep 'stopping greeting endpoints \(attempt limit reached\)' "$T/xpmgr.log"
expect_grep 'done: 1 session\(s\) started, 1 ended normally, 0 failed, 0 dropped' "$T/xpmgr.log"
# Every line of pktxpmgr's (mlets share its stderr) has a timestamp and a level.
grep ' pktxpmgr ' "$T/xpmgr.log" >"$T/own.txt"
[ "$(wc -l <"$T/own.txt")" -ge 6 ] || fail "too few log lines"
if grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z pktxpmgr (INFO |WARN ) ' "$T/own.txt"; then
	fail "a log line without timestamp and level"
fi
echo "ok"
