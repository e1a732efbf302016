#!/bin/sh
# xpmgr_signals: SIGINT once stops greeting and lets the running session
# finish (exit 0): after the signal the session still relays 50 ndata (3 MB)
# to its mlet and ends on its own.  SIGINT twice ends it now: mlets get
# SIGTERM, SIGKILL after a grace period for one that ignores it, exit 1,
# nothing left running.  A third SIGINT kills the mlets at once, without
# waiting for the grace period.  SIGTERM behaves as SIGINT; SIGHUP is
# logged and ignored.
. "$(dirname "$0")/xpmgr_lib"
xp_pki
EP=$(xp_ep_creds)
PORT=$(xp_port)

mlet_pid() {
	sed -n "s/.*\[$1 .*session started; mlet pid \([0-9]*\),.*/\1/p" "$T/xpmgr.log"
}

# SIGINT once, and SIGHUP.  The endpoint floods only once the signal has
# been handled (xp_badep -g), so the relay is seen working after it.
rm -f "$T/go" "$T/count.txt"
xp_start -c "$CONF" -a "127.0.0.1:$PORT" "$MLET" count 50 "$T/count.txt"
"$BADEP" $EP -w 20 -g "$T/go" 127.0.0.1 "$PORT" flood 50 >"$T/ep1.out" &
E1=$!
xp_wait_log '\[s1 [^]]*\] session started'
kill -HUP "$XPID"
xp_wait_log 'SIGHUP ignored'
kill -INT "$XPID"
xp_wait_log 'SIGINT: finishing the running sessions'
xp_wait_log 'stopping greeting endpoints \(SIGINT\); waiting for 1 running session'
"$BADEP" $EP 127.0.0.1 "$PORT" serve >"$T/ep2.out" 2>&1 && fail "greeted after SIGINT"
expect_grep '^connect failed' "$T/ep2.out"
kill -0 "$XPID" 2>/dev/null || fail "pktxpmgr did not wait for the running session"
[ ! -e "$T/count.txt" ] || fail "the mlet was done before the endpoint sent anything"
touch "$T/go"
xp_expect_exit 0 10
wait "$E1" || fail "the flooding endpoint: $(cat "$T/ep1.out")"
expect_grep '^flooded 50 messages' "$T/ep1.out"
expect_grep '^ndata 50 bytes [0-9]+$' "$T/count.txt"
expect_grep '\[s1 [^]]*\] session done \((mlet closed its socket|endpoint closed the session)\): .*endpoint->mlet 50 msgs .*mlet exit 0' "$T/xpmgr.log"
# In that order: the signal, the session's end, the exit.
sig=$(grep -n 'stopping greeting endpoints' "$T/xpmgr.log" | cut -d: -f1)
done1=$(grep -n '\[s1 [^]]*\] session done' "$T/xpmgr.log" | cut -d: -f1)
[ "$sig" -lt "$done1" ] || fail "the session ended before the signal"
expect_grep 'done: 1 session\(s\) started, 1 ended normally, 0 failed, 0 dropped' "$T/xpmgr.log"

# SIGTERM once: the same.
xp_start -c "$CONF" -a "127.0.0.1:$PORT" "$MLET" sleep 1
"$BADEP" $EP -w 20 127.0.0.1 "$PORT" serve >"$T/ep1.out" &
E1=$!
xp_wait_log '\[s1 [^]]*\] session started'
kill -TERM "$XPID"
xp_expect_exit 0 5
expect_grep '\[s1 [^]]*\] session done \(mlet closed its socket\)' "$T/xpmgr.log"
wait "$E1" || true

# SIGINT twice: a well-behaved mlet ends on SIGTERM, a stubborn one is killed.
for kind in "sleep 60" "stubborn $T/stubborn.ready"; do
	xp_start -c "$CONF" -a "127.0.0.1:$PORT" "$MLET" $kind
	"$BADEP" $EP -w 20 127.0.0.1 "$PORT" serve >"$T/ep1.out" &
	E1=$!
	xp_wait_log '\[s1 [^]]*\] session started'
	MP=$(mlet_pid s1)
	kill -0 "$MP" || fail "no mlet process"
	case $kind in
	stubborn*)
		n=100
		while [ ! -e "$T/stubborn.ready" ] && [ $n -gt 0 ]; do sleep 0.05; n=$((n-1)); done
		;;
	esac
	kill -INT "$XPID"
	xp_wait_log 'stopping greeting'
	kill -INT "$XPID"
	xp_expect_exit 1 6
	expect_grep 'SIGINT again: forcing the end' "$T/xpmgr.log"
	expect_grep 'sending SIGTERM to 1 mlet\(s\); SIGKILL in 2000 ms' "$T/xpmgr.log"
	if [ "$kind" != "sleep 60" ]; then
		expect_grep '1 mlet\(s\) still running; sending SIGKILL' "$T/xpmgr.log"
		expect_grep '\[s1 [^]]*\] session dropped \(forced shutdown\).*mlet killed by signal 9 \(SIGKILL\)' "$T/xpmgr.log"
	else
		expect_grep '\[s1 [^]]*\] session dropped \(forced shutdown\).*mlet killed by signal 15 \(SIGTERM\)' "$T/xpmgr.log"
	fi
	kill -0 "$MP" 2>/dev/null && fail "mlet $MP still running"
	wait "$E1" || true
done

# SIGINT three times: the stubborn mlet is killed at once, not after the
# 2000 ms grace period.
rm -f "$T/stubborn.ready"
xp_start -c "$CONF" -a "127.0.0.1:$PORT" "$MLET" stubborn "$T/stubborn.ready"
"$BADEP" $EP -w 20 127.0.0.1 "$PORT" serve >"$T/ep1.out" &
E1=$!
xp_wait_log '\[s1 [^]]*\] session started'
MP=$(mlet_pid s1)
n=100
while [ ! -e "$T/stubborn.ready" ] && [ $n -gt 0 ]; do sleep 0.05; n=$((n-1)); done
[ -e "$T/stubborn.ready" ] || fail "the stubborn mlet did not start"
kill -INT "$XPID"
xp_wait_log 'stopping greeting'
kill -INT "$XPID"
xp_wait_log 'sending SIGTERM to 1 mlet\(s\); SIGKILL in 2000 ms'
kill -INT "$XPID"
xp_expect_exit 1 5
expect_grep 'SIGINT a third time: killing the mlets now' "$T/xpmgr.log"
# Not the grace period's SIGKILL (which says so), nor a SIGTERM it ignores.
expect_no_grep 'still running; sending SIGKILL' "$T/xpmgr.log"
expect_grep '\[s1 [^]]*\] session dropped \(forced shutdown\).*mlet killed by signal 9 \(SIGKILL\)' "$T/xpmgr.log"
kill -0 "$MP" 2>/dev/null && fail "mlet $MP still running"
wait "$E1" || true
echo "ok"
