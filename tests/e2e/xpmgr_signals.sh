#!/bin/sh
# xpmgr_signals: SIGINT once stops greeting and lets the running session
# finish (exit 0); SIGINT twice ends it now: mlets get SIGTERM, SIGKILL
# after a grace period for one that ignores it, exit 1, nothing left
# running.  SIGTERM behaves as SIGINT; SIGHUP is logged and ignored.
. "$(dirname "$0")/xpmgr_lib"
xp_pki
EP=$(xp_ep_creds)
PORT=$(xp_port)

mlet_pid() {
	sed -n "s/.*\[$1 .*session started; mlet pid \([0-9]*\),.*/\1/p" "$T/xpmgr.log"
}

# SIGINT once, and SIGHUP.
xp_start -c "$CONF" -a "127.0.0.1:$PORT" "$MLET" hold
"$BADEP" $EP -w 20 127.0.0.1 "$PORT" serve >"$T/ep1.out" &
E1=$!
xp_wait_log '\[s1 [^]]*\] session started'
kill -HUP "$XPID"
xp_wait_log 'SIGHUP ignored'
kill -INT "$XPID"
xp_wait_log 'SIGINT: finishing the running sessions'
xp_wait_log 'stopping greeting endpoints \(SIGINT\); waiting for 1 running session'
"$BADEP" $EP 127.0.0.1 "$PORT" serve >"$T/ep2.out" 2>&1 && fail "greeted after SIGINT"
expect_grep '^connect failed' "$T/ep2.out"
sleep 0.3
kill -0 "$XPID" 2>/dev/null || fail "pktxpmgr did not wait for the running session"
kill "$E1"	# the endpoint leaves; the mlet reads EOF and exits
xp_expect_exit 0 5
expect_grep '\[s1 [^]]*\] session done \(endpoint closed the session\).*mlet exit 0' "$T/xpmgr.log"

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
echo "ok"
