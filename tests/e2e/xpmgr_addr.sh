#!/bin/sh
# xpmgr_addr: listening addresses.  -a [::1]:PORT serves an IPv6 endpoint
# (EPADDR=::1, log "[::1]:port"); -a [::]:PORT (dual stack) serves an IPv4
# endpoint with EPADDR=127.0.0.1, not ::ffff:127.0.0.1; a port already in
# use is a clear start-up error.  Without IPv6 only the IPv6 parts are left
# out (and said so); the IPv4 ones always run.
. "$(dirname "$0")/xpmgr_lib"
xp_pki
PORT=$(xp_port)

HAVE_V6=1
if ! "$TOOLS/xp_httpd" -a ::1 -p 0 -n 0 2>/dev/null; then
	echo "no IPv6 loopback here: the [::1] and [::] parts are left out"
	HAVE_V6=0
fi

xp_start -c "$CONF" -a "127.0.0.1:$PORT" -n 1 "$MLET" probe "$T/probe.txt"
expect_grep "listening for endpoints on 127.0.0.1:$PORT" "$T/xpmgr.log"
xp_endpoint "$PORT" 2>"$T/ep.log" || fail "IPv4 endpoint"
xp_expect_exit 0 5
grep -qx 'env=EPADDR=127.0.0.1' "$T/probe.txt" || fail "EPADDR: $(cat "$T/probe.txt")"

if [ "$HAVE_V6" = 1 ]; then
xp_start -c "$CONF" -a "[::1]:$PORT" -n 1 "$MLET" probe "$T/probe6.txt"
expect_grep "listening for endpoints on \[::1\]:$PORT" "$T/xpmgr.log"
"$ENDPOINT" -c "$EPCONF" "[::1]:$PORT" 2>"$T/ep.log" || fail "IPv6 endpoint"
xp_expect_exit 0 5
grep -qx 'env=EPADDR=::1' "$T/probe6.txt" || fail "EPADDR: $(cat "$T/probe6.txt")"
expect_grep '\[s1 \[::1\]:[0-9]+ sni=-\] session started' "$T/xpmgr.log"

xp_start -c "$CONF" -a "[::]:$PORT" -n 1 "$MLET" probe "$T/probe4.txt"
xp_endpoint "$PORT" 2>"$T/ep.log" || fail "IPv4 endpoint on a dual-stack listener"
xp_expect_exit 0 5
grep -qx 'env=EPADDR=127.0.0.1' "$T/probe4.txt" || fail "EPADDR: $(cat "$T/probe4.txt")"
expect_grep '\[s1 127.0.0.1:[0-9]+ sni=-\] session started' "$T/xpmgr.log"
fi

# The port is taken: say so, exit 1.
xp_server xp_httpd -a 127.0.0.1 -p "$PORT"
"$XPMGR" -c "$CONF" -a "127.0.0.1:$PORT" "$MLET" hold 2>"$T/busy.log" &&
    fail "started on a port in use"
expect_grep "FATAL cannot listen on 127.0.0.1:$PORT: Address already in use\$" "$T/busy.log"
# One event, one line (docs/logging.md): no WARN first for the same failure.
[ "$(grep -c 'cannot listen' "$T/busy.log")" = 1 ] || fail "cannot listen: logged more than once"
echo "ok"
