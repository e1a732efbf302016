#!/bin/sh
# xpmgr_bigframe: a frame from the mlet is relayed whatever its size, as
# 1.1.0 pktxpmgr does: an nsend whose body is the largest a header can
# describe (0xFFFFFF bytes) reaches the endpoint byte for byte, and its
# result comes back to the mlet.
. "$(dirname "$0")/xpmgr_lib"
xp_pki
PORT=$(xp_port)
# nsend body = 13 bytes of fields + the payload (TCP).
SIZE=$((0xFFFFFF - 13))

xp_start -c "$CONF" -a "127.0.0.1:$PORT" -n 1 "$MLET" nsend "$SIZE" "$T/reply"
"$BADEP" $(xp_ep_creds) -w 30 127.0.0.1 "$PORT" serve >"$T/ep.out" ||
    fail "endpoint: $(cat "$T/ep.out")"
xp_expect_exit 0 20
expect_grep "^big nsend $SIZE bytes intact$" "$T/ep.out"
expect_grep '^served 1 requests$' "$T/ep.out"
expect_grep '^reply 0$' "$T/reply"
xp_wait_log 'session done \(mlet closed its socket\).*mlet->endpoint 1 msgs 16777219 B'
echo "ok"
