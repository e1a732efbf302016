#!/bin/sh
# xpmgr_singleton: -s.  (1) test_single_mlet runs test_http_get for two
# endpoints: each gets the page, pktxpmgr exits 0 once both are done and
# the singleton has read EOF.  (2) What the singleton receives: one
# descriptor and the NUL-terminated address per endpoint.  (3) A singleton
# that writes to its control socket, or dies, ends the run with status 1;
# one that exits 0 ends it with 0 (as 1.1.0); a bad MLET path is refused.
. "$(dirname "$0")/xpmgr_lib"
xp_need_low_ports 80
xp_pki
PORT=$(xp_port)

# (1)
xp_server xp_httpd -a 127.0.0.1 -p 80
xp_start -c "$CONF" -a "127.0.0.1:$PORT" -s -n 2 "$PL_MLET_DIR/test_single_mlet" \
    "$PL_MLET_DIR/test_http_get" 127.0.0.1 /
xp_wait_log 'singleton mlet .*test_single_mlet started \(pid [0-9]+\)'
xp_endpoint "$PORT" 2>"$T/ep1.log" || fail "first endpoint"
xp_endpoint "$PORT" 2>"$T/ep2.log" || fail "second endpoint"
xp_expect_exit 0 10
n=$(grep -c '(HTTP GET for 127.0.0.1/ via 127.0.0.1)' "$T/mlet.out") || true
[ "$n" = 2 ] || fail "$n pages fetched, want 2"
n=$(grep -c 'session started; passing it to the singleton mlet' "$T/xpmgr.log") || true
[ "$n" = 2 ] || fail "$n sessions passed, want 2"
n=$(grep -Ec 'session done \(mlet closed its socket\).*singleton mlet$' "$T/xpmgr.log") || true
[ "$n" = 2 ] || fail "$n sessions done, want 2"
expect_grep 'singleton mlet \(pid [0-9]+\) ended: exit 0' "$T/xpmgr.log"

# (2)
xp_start -c "$CONF" -a "127.0.0.1:$PORT" -s -n 1 "$MLET" singleton "$T/single.txt"
"$BADEP" $(xp_ep_creds) 127.0.0.1 "$PORT" serve >"$T/b.out" || fail "endpoint"
xp_expect_exit 0 5
[ "$(cat "$T/single.txt")" = "pass addr=127.0.0.1 datalen=10 nul=1 fds=1
eof" ] || fail "the singleton got: $(cat "$T/single.txt")"

# (3)
xp_start -c "$CONF" -a "127.0.0.1:$PORT" -s "$MLET" write 00
xp_expect_exit 1 5
expect_grep 'singleton mlet wrote 1 bytes to its control socket' "$T/xpmgr.log"
xp_start -c "$CONF" -a "127.0.0.1:$PORT" -s "$MLET" exit 3
xp_expect_exit 1 5
expect_grep 'singleton mlet \(pid [0-9]+\) ended unexpectedly: exit 3' "$T/xpmgr.log"
xp_start -c "$CONF" -a "127.0.0.1:$PORT" -s "$MLET" exit 0
xp_expect_exit 0 5
"$XPMGR" -c "$CONF" -a "127.0.0.1:$PORT" -s "$T/nothere" >"$T/bad.out" 2>"$T/bad.log" &&
    fail "a missing MLET was accepted"
expect_grep "mlet $T/nothere: No such file or directory" "$T/bad.log"
echo "ok"
