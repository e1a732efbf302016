#!/bin/sh
# xpmgr_limit: -n N.  (1) A connection that never says a word does not hold
# the door shut (1.1.0 stops accepting while it waits): a real endpoint
# behind it is served, and the silent one is dropped as soon as the limit
# is reached.  (2) Two endpoints at once with -n 1: the second waits at the
# start gate and is closed before start once the first has started.
# (3) If the first start fails, the waiting one goes ahead.
# The first endpoint answers start only once the second is seen waiting at
# the gate (xp_badep -G), so no delay has to outlast the machine's load.
. "$(dirname "$0")/xpmgr_lib"
xp_pki
sed -i 's/^HandshakeTimeout .*/HandshakeTimeout 20s/; s/^SetupTimeout .*/SetupTimeout 20s/' "$CONF"
EP=$(xp_ep_creds)
PORT=$(xp_port)

# (1)
xp_start -c "$CONF" -a "127.0.0.1:$PORT" -n 1 "$MLET" mread 2
"$BADEP" -w 20 127.0.0.1 "$PORT" stall >"$T/stall.out" &
STALL=$!
xp_wait_log '\[s1 [^]]*\] new endpoint connection'
xp_endpoint "$PORT" 2>"$T/ep.log" || fail "the endpoint behind a silent connection"
wait "$STALL" || fail "the silent connection was not closed"
expect_grep '^server closed after [0-9]+ ms$' "$T/stall.out"
ms=$(sed -n 's/^server closed after \([0-9]*\) ms$/\1/p' "$T/stall.out")
[ "$ms" -lt 10000 ] || fail "the silent connection waited for its handshake timeout"
xp_expect_exit 0 10
expect_grep '\[s1 [^]]*\] session dropped \(attempt limit reached\)' "$T/xpmgr.log"
expect_grep 'done: 1 session\(s\) started, 1 ended normally, 0 failed, 1 dropped' "$T/xpmgr.log"

# (2)
rm -f "$T/go"
xp_start -c "$CONF" -a "127.0.0.1:$PORT" -n 1 "$MLET" mread 2
"$BADEP" $EP -w 20 -G "$T/go" 127.0.0.1 "$PORT" serve >"$T/a.out" &
A=$!
xp_wait_log '\[s1 [^]]*\] TLS established'
"$BADEP" $EP -w 20 127.0.0.1 "$PORT" serve >"$T/b.out" &
B=$!
xp_wait_log '\[s2 [^]]*\] ready to start; waiting: -n 1 has every remaining slot in flight' 20
touch "$T/go"
wait "$A" || fail "the first endpoint"
wait "$B" && fail "the second endpoint got past the gate"
expect_grep '^served 2 requests$' "$T/a.out"
expect_no_grep 'start received' "$T/b.out"
xp_expect_exit 0 10
expect_grep '\[s2 [^]]*\] session dropped \(attempt limit reached\)' "$T/xpmgr.log"

# (3)
rm -f "$T/go"
xp_start -c "$CONF" -a "127.0.0.1:$PORT" -n 1 "$MLET" mread 2
"$BADEP" $EP -w 20 -G "$T/go" 127.0.0.1 "$PORT" refuse >"$T/a.out" &
A=$!
xp_wait_log '\[s1 [^]]*\] TLS established'
"$BADEP" $EP -w 20 127.0.0.1 "$PORT" serve >"$T/b.out" &
B=$!
xp_wait_log '\[s2 [^]]*\] ready to start; waiting' 20
touch "$T/go"
wait "$B" || fail "the waiting endpoint"
wait "$A" || fail "the refusing endpoint"
expect_grep '^start refused$' "$T/a.out"
expect_grep '^served 2 requests$' "$T/b.out"
xp_expect_exit 0 10
expect_grep '\[s1 [^]]*\] session failed \(endpoint refused start: ECTLNOTSUP' "$T/xpmgr.log"
expect_grep 'done: 1 session\(s\) started, 1 ended normally, 1 failed, 0 dropped' "$T/xpmgr.log"
echo "ok"
