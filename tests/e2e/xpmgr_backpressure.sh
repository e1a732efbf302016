#!/bin/sh
# xpmgr_backpressure: a side that does not read costs bounded memory.
# (1) An endpoint pushes 60 MB of ndata at an mlet that never reads:
# pktxpmgr stops reading the endpoint, its memory stays flat, and the
# endpoint's writes stall.  (2) An mlet pushes 30 MB of requests at an
# endpoint that never reads: the same the other way.  Both sessions end
# when the slow side goes, and nothing leaks.  (3) Slow but willing
# readers on both sides: reading stops and resumes many times, and every
# byte still arrives, in both directions.
. "$(dirname "$0")/xpmgr_lib"
xp_pki
EP=$(xp_ep_creds)
PORT=$(xp_port)

LIMIT_KB=16384
# Under AddressSanitizer freed memory sits in a quarantine and counts as
# resident: switch it off, or every relayed byte would look kept.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
export ASAN_OPTIONS

# (1) endpoint -> mlet
xp_start -c "$CONF" -a "127.0.0.1:$PORT" "$MLET" sleep 3
xp_baseline
base=$(xp_rss)
"$BADEP" $EP -w 10 127.0.0.1 "$PORT" flood 1000 >"$T/flood.out" &
F=$!
peak=$(xp_max_rss_while "$F")
wait "$F" || true
# The flood could only go on once the mlet was gone (3 s), and the mlet was
# handed just a few frames: the rest waited in the endpoint.
ms=$(sed -n 's/^flood.*[ (]\([0-9]*\) ms.*/\1/p' "$T/flood.out")
[ -n "$ms" ] && [ "$ms" -ge 2500 ] || fail "the flood was not held back ($(cat "$T/flood.out"))"
[ $((peak - base)) -lt $LIMIT_KB ] || fail "RSS grew by $((peak - base)) kB"
xp_wait_log '\[s1 [^]]*\] session done \(mlet closed its socket\)'
msgs=$(sed -n 's/.*endpoint->mlet \([0-9]*\) msgs.*/\1/p' "$T/xpmgr.log")
[ "$msgs" -lt 100 ] || fail "$msgs frames handed to an mlet that never read"
xp_check_baseline
echo "endpoint flood: held for $ms ms, $msgs frames to the mlet, RSS +$((peak - base)) kB"
kill -INT "$XPID"
xp_wait_exit 5

# (2) mlet -> endpoint
xp_start -v -c "$CONF" -a "127.0.0.1:$PORT" "$MLET" mread 3000000
xp_baseline
base=$(xp_rss)
"$BADEP" $EP -w 3 127.0.0.1 "$PORT" noread >"$T/noread.out" &
N=$!
peak=$(xp_max_rss_while "$N")
wait "$N" || true
[ $((peak - base)) -lt $LIMIT_KB ] || fail "RSS grew by $((peak - base)) kB"
xp_wait_log '\[s1 [^]]*\] session done \(endpoint closed the session\)'
bytes=$(sed -n 's/.*mlet->endpoint [0-9]* msgs \([0-9]*\) B.*/\1/p' "$T/xpmgr.log")
[ "$bytes" -lt 15000000 ] || fail "relayed $bytes B to an endpoint that never read"
expect_grep 'DEBUG \[s1 [^]]*\] mlet not read: [0-9]+ bytes wait for the endpoint' "$T/xpmgr.log"
xp_check_baseline
echo "mlet flood: $bytes B relayed, RSS +$((peak - base)) kB"
kill -INT "$XPID"
xp_wait_exit 5

# (3) 300 ndata of 60 KiB (+4 bytes of header, 11 of ndata fields) to a slow mlet.
xp_start -v -c "$CONF" -a "127.0.0.1:$PORT" -n 1 "$MLET" count 300 "$T/count.txt"
"$BADEP" $EP -w 30 127.0.0.1 "$PORT" flood 300 >"$T/flood3.out" || fail "flood to a slow mlet"
xp_expect_exit 0 30
[ "$(cat "$T/count.txt")" = "ndata 300 bytes $((300 * (61440 + 11 + 4)))" ] ||
    fail "the mlet got: $(cat "$T/count.txt")"
expect_grep 'endpoint->mlet 300 msgs 18436500 B' "$T/xpmgr.log"
expect_grep 'DEBUG \[s1 [^]]*\] endpoint not read: [0-9]+ bytes wait for the mlet' "$T/xpmgr.log"
expect_grep 'DEBUG \[s1 [^]]*\] endpoint read again' "$T/xpmgr.log"
# 200000 pipelined requests, each answered, through both watermarks.
xp_start -c "$CONF" -a "127.0.0.1:$PORT" -n 1 "$MLET" mread 200000 "$T/mread.txt"
"$BADEP" $EP -w 30 127.0.0.1 "$PORT" serve >"$T/serve.out" || fail "serving 200000 requests"
xp_expect_exit 0 30
[ "$(cat "$T/mread.txt")" = "replies 200000" ] || fail "the mlet got: $(cat "$T/mread.txt")"
expect_grep '^served 200000 requests$' "$T/serve.out"
echo "ok"
