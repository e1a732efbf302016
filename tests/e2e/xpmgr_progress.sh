#!/bin/sh
# xpmgr_progress: the status line, through a pseudo-terminal (script(1)).
# On a terminal pktxpmgr keeps one status line below its log lines: it is
# redrawn once a second, and every log line clears it first, so what the
# terminal shows is whole log lines and the status at the bottom.
# --no-progress and a stderr that is not a terminal have none.  SIGUSR1
# logs the status as a normal log line in any mode.
. "$(dirname "$0")/xpmgr_lib"
command -v script >/dev/null || { echo "SKIP: script(1) is not installed"; exit 77; }
xp_pki
EP=$(xp_ep_creds)
PORT=$(xp_port)
ESC=$(printf '\033')
CR=$(printf '\r')

# pty_run LOG ARGS...: pktxpmgr on a pseudo-terminal, its pid in $XPID;
# everything the terminal got goes to LOG (flushed as it comes).  script(1)
# takes one command string: the arguments here hold no spaces or quotes.
pty_run() {
	_log=$1
	shift
	rm -f "$T/pid"
	script -q -f -e -c "echo \$\$ >$T/pid; exec $*" "$_log" </dev/null >/dev/null 2>&1 &
	_n=200
	while [ ! -s "$T/pid" ]; do
		[ $_n -gt 0 ] || fail "script did not start"
		sleep 0.05
		_n=$((_n - 1))
	done
	XPID=$(cat "$T/pid")
}

wait_file() {
	_n=$(( ${3:-10} * 20 ))
	while ! grep -Eq -- "$1" "$2" 2>/dev/null; do
		[ $_n -gt 0 ] || fail "no /$1/ in $2"
		sleep 0.05
		_n=$((_n - 1))
	done
}

wait_gone() {
	_n=200
	while kill -0 "$1" 2>/dev/null; do
		[ $_n -gt 0 ] || fail "pktxpmgr still running"
		sleep 0.05
		_n=$((_n - 1))
	done
}

pty_run "$T/tty.log" "$XPMGR" -c "$CONF" -a "127.0.0.1:$PORT" -n 1 "$MLET" sleep 3
wait_file 'greeting endpoints on' "$T/tty.log"
"$BADEP" $EP -w 20 127.0.0.1 "$PORT" serve >"$T/ep.out" 2>&1 &
wait_file '\[s1 [^]]*\] session started' "$T/tty.log"
wait_file 'run 1 set-up 0 done 0 fail 0 drop 0 \| endpoints 1 \| ep->mlet 0 B mlet->ep 0 B' "$T/tty.log"
kill -USR1 "$XPID"
wait_file 'pktxpmgr INFO  status: run 1 set-up 0 ' "$T/tty.log"
wait_gone "$XPID"

# The status line was drawn, more than once (a redraw each second and after
# each log line), with the clearing sequence.
[ "$(grep -c "${ESC}\[K" "$T/tty.log")" -ge 3 ] || fail "no status line drawn"
grep -q "${CR}${ESC}\[Krun [0-9]* set-up " "$T/tty.log" || fail "status line not at a line start"
# What the terminal shows: for each line, what follows the last clear.
# Every such line is a whole log line, never a status fragment in front.
sed "s/.*${ESC}\[K//" "$T/tty.log" | tr -d "$CR" | grep -v '^$' | grep -v '^Script ' >"$T/shown.txt"
if grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z pktxpmgr (INFO |WARN ) ' "$T/shown.txt" |
    grep -v '^run [0-9]* set-up [0-9]* done ' >"$T/bad.txt"; then
	cat "$T/bad.txt" >&2
	fail "a line on the terminal is neither a log line nor the status"
fi
expect_grep 'session done \(mlet closed its socket\)' "$T/shown.txt"
expect_grep 'done: 1 session\(s\) started' "$T/shown.txt"
# The status line is gone at exit: nothing follows the last log line.
expect_grep 'done: 1 session\(s\) started' "$T/shown.txt"
[ "$(tail -n 1 "$T/shown.txt" | grep -c '^run ')" = 0 ] ||
    fail "the status line was left on the terminal"
wait

# --no-progress on a terminal: no status line, SIGUSR1 still logs.
pty_run "$T/tty2.log" "$XPMGR" --no-progress -c "$CONF" -a "127.0.0.1:$PORT" -n 1 "$MLET" exit 0
wait_file 'greeting endpoints on' "$T/tty2.log"
kill -USR1 "$XPID"
wait_file 'INFO  status: run 0 set-up 0 done 0 ' "$T/tty2.log"
"$BADEP" $EP -w 20 127.0.0.1 "$PORT" serve >"$T/ep.out" 2>&1 || true
wait_gone "$XPID"
! grep -q "${ESC}" "$T/tty2.log" || fail "--no-progress drew a status line"

# Not a terminal: no status line; SIGUSR1 logs it.  The same endpoint
# twice is one endpoint seen.
xp_start -c "$CONF" -a "127.0.0.1:$PORT" "$MLET" exit 0
kill -USR1 "$XPID"
xp_wait_log 'INFO  status: run 0 set-up 0 done 0 fail 0 drop 0 \| endpoints 0 \| ep->mlet 0 B mlet->ep 0 B$'
"$BADEP" $EP -w 20 127.0.0.1 "$PORT" serve >"$T/ep.out" 2>&1 || true
xp_wait_log '\[s1 [^]]*\] session done'
"$BADEP" $EP -w 20 127.0.0.1 "$PORT" serve >"$T/ep.out" 2>&1 || true
xp_wait_log '\[s2 [^]]*\] session done'
kill -USR1 "$XPID"
xp_wait_log 'INFO  status: run 0 set-up 0 done 2 fail 0 drop 0 \| endpoints 1 \| '
kill -INT "$XPID"
xp_expect_exit 0 10
! grep -q "${ESC}" "$T/xpmgr.log" || fail "a status line on a stderr that is not a terminal"
echo "ok"
