#!/bin/sh
# xpmgr_caps: strangers cannot hold more than the caps.  2,000 TCP
# connections that never start TLS arrive at once and stay for 20 s.
# pktxpmgr accepts at most MaxPendingSessions of them at a time (its
# descriptors stay under the cap: sampled all through the flood), logs the
# pause once, and a real pktlab-endpoint is still served while the flood
# lasts.  HandshakeTimeout (1 s) clears each round; once the flood is over
# the descriptors are back to the baseline and a second endpoint is served
# at once.
. "$(dirname "$0")/xpmgr_lib"
xp_pki
PORT=$(xp_port)
CAP=${CAP:-300}
NSTALL=${NSTALL:-2000}
HOLD=${HOLD:-20}
printf 'HandshakeTimeout 1s\nMaxPendingSessions %s\n' "$CAP" >>"$CONF"
# Room for the flood in xp_stall (pktxpmgr raises its own soft limit).
ulimit -n 8192 2>/dev/null || true

xp_start -c "$CONF" -a "127.0.0.1:$PORT" "$MLET" mread 2
expect_grep "connection caps: $CAP not past set-up \(MaxPendingSessions\), [0-9]+ sessions in all \(from the descriptor limit\)" "$T/xpmgr.log"
xp_baseline
base=$XP_FDS

"$TOOLS/xp_stall" -w "$HOLD" -n "$NSTALL" 127.0.0.1 "$PORT" >"$T/stall.out" 2>&1 &
SPID=$!
XP_BG="$XP_BG $SPID"
xp_wait_log "$CAP connections have not finished set-up \(MaxPendingSessions $CAP\): not accepting endpoints until one moves on" 20

# Sample pktxpmgr's descriptors all through the flood.
(
	while kill -0 "$SPID" 2>/dev/null; do
		xp_nfds
		sleep 0.1
	done
) >"$T/fds.txt" &
SAMPLER=$!
XP_BG="$XP_BG $SAMPLER"

# A real endpoint gets its experiment while the strangers hold on (its
# connect is retried while the kernel's accept queue is full).
"$ENDPOINT" -c "$EPCONF" 127.0.0.1:"$PORT" 2>"$T/endpoint.log" ||
    fail "pktlab-endpoint was not served during the flood"
kill -0 "$SPID" 2>/dev/null || fail "the flood was over before the endpoint was served"
# The endpoint may exit before pktxpmgr logs the session's end.
xp_wait_log 'session done \(mlet closed its socket\)' 10

wait "$SPID" || fail "xp_stall: $(cat "$T/stall.out")"
wait "$SAMPLER" || true
cat "$T/stall.out"
closed=$(sed -n 's/.* closed \([0-9]*\) .*/\1/p' "$T/stall.out")
# Several rounds of CAP were accepted and timed out while the flood lasted.
[ "${closed:-0}" -ge $((CAP * 3)) ] || fail "only ${closed:-0} stalled connections were cleared"
[ "$(wc -l <"$T/fds.txt")" -ge 20 ] || fail "too few descriptor samples"
max=$(sort -n "$T/fds.txt" | tail -n 1)
# The cap, plus the endpoint's session (its socket and the mlet's).
[ "$max" -le $((base + CAP + 2)) ] ||
    fail "$max descriptors during the flood (baseline $base, cap $CAP)"
echo "descriptors: baseline $base, at most $max during the flood"

# The flood is gone: whatever was still queued ends within HandshakeTimeout.
XP_FDS=$base
xp_check_baseline
xp_wait_log 'accepting endpoints again' 10
# Logged per flood, not per connection nor per pause.
npause=$(grep -c 'not accepting endpoints until one moves on' "$T/xpmgr.log")
nto=$(grep -c 'TLS handshake timed out' "$T/xpmgr.log")
paused=$(sed -n 's/.*accepting paused \([0-9]*\) times meanwhile.*/\1/p' "$T/xpmgr.log" |
    awk '{ s += $1 } END { print s + 0 }')
[ "$nto" -ge $((CAP * 3)) ] || fail "only $nto handshake timeouts"
[ $((npause * 50)) -le "$nto" ] || fail "$npause pause lines for $nto stalled connections"
echo "pause lines: $npause for $paused pauses and $nto stalled connections"

# Below the caps again: a second endpoint is served at once.
"$ENDPOINT" -c "$EPCONF" 127.0.0.1:"$PORT" 2>"$T/endpoint2.log" ||
    fail "pktlab-endpoint after the flood"
kill -INT "$XPID"
xp_expect_exit 0 10
echo "ok"
