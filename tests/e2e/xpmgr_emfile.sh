#!/bin/sh
# xpmgr_emfile: out of descriptors.  pktxpmgr runs with a hard limit of 32
# open files; silent connections use them up.  accept() then fails with
# EMFILE: pktxpmgr pauses accepting instead of spinning on a listening
# socket that stays readable (its CPU time stays low), and once the silent
# connections time out a real endpoint is served again.
. "$(dirname "$0")/xpmgr_lib"
xp_pki
EP=$(xp_ep_creds)
PORT=$(xp_port)

cpu_ticks() {
	# utime + stime, fields 14 and 15 of /proc/PID/stat (after the comm).
	sed 's/.*) //' "/proc/$XPID/stat" | awk '{ print $12 + $13 }'
}

# The default MaxSessions would stop accepting before the descriptors run
# out (xpmgr_caps); a larger one leaves EMFILE as the limit.
printf 'MaxSessions 1000\n' >>"$CONF"
XPMGR_REAL=$XPMGR
XPMGR=$T/limited
printf '#!/bin/sh\nulimit -n 32 || exit 1\nexec "%s" "$@"\n' "$XPMGR_REAL" >"$XPMGR"
chmod +x "$XPMGR"
xp_start -c "$CONF" -a "127.0.0.1:$PORT" "$MLET" mread 2

pids=
i=0
while [ $i -lt 40 ]; do
	"$BADEP" -w 10 127.0.0.1 "$PORT" stall >/dev/null &
	pids="$pids $!"
	i=$((i + 1))
done
xp_wait_log 'cannot accept an endpoint; pausing for 250 ms: Too many open files' 5
npause() {
	grep -c 'cannot accept an endpoint; pausing for 250 ms' "$T/xpmgr.log"
}
n0=$(npause)
t0=$(cpu_ticks)
# Four more pauses of 250 ms: a second or more spent out of descriptors
# (polled, so a loaded machine only makes it longer).
_n=200
while [ "$(npause)" -lt $((n0 + 4)) ]; do
	[ $_n -gt 0 ] || fail "fewer than 4 accept pauses in 10 s"
	sleep 0.05
	_n=$((_n - 1))
done
t1=$(cpu_ticks)
# A busy loop would burn ~100 ticks a second; pausing costs a few.
[ $((t1 - t0)) -lt 20 ] || fail "$((t1 - t0)) CPU ticks over 4 pauses while out of descriptors"

for p in $pids; do
	wait "$p" || true
done
xp_wait_log 'session failed \(TLS handshake timed out' 5
"$BADEP" $EP 127.0.0.1 "$PORT" serve >"$T/ep.out" || fail "endpoint after the descriptor shortage"
expect_grep '^served 2 requests$' "$T/ep.out"
kill -INT "$XPID"
xp_expect_exit 0 5
echo "ok"
