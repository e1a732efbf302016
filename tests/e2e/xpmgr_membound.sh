#!/bin/sh
# xpmgr_membound: a session whose endpoint or mlet never reads costs
# bounded memory, counted by what queued data really costs, for small
# messages as for large ones (issue 11).  Each case floods one side while
# the other never reads, samples pktxpmgr's RSS for the whole flood and
# compares the peak with the RSS after an idle session was set up:
#   (1) an endpoint that never reads, facing a chatty mlet: 31-byte ndata
#       in (one TLS record each), one 10-byte mread out for each;
#   (2) an mlet that never reads, facing an endpoint that floods 31-byte
#       ndata;
#   (3) as (1), the mlet answering with 64 KiB nsend;
#   (4) as (2), with 64 KiB ndata.
# Then (5) 100 sessions of (4) at once stay under 100 MiB in all.
. "$(dirname "$0")/xpmgr_lib"
xp_pki
EP=$(xp_ep_creds)
PORT=$(xp_port)

# The bound: 1 MiB beyond an idle session, plus what the first TLS session
# and its first flood make malloc keep (the process-wide 256 KiB read
# buffer is touched for the first time here).  Under AddressSanitizer every
# allocation carries red zones and shadow memory, and its allocator keeps
# freed blocks by size class: three times as much.
LIMIT_KB=1536
if xp_asan; then
	LIMIT_KB=$((LIMIT_KB * 3))
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
	export ASAN_OPTIONS
fi

# A first, short session warms up TLS and malloc: the base is an idle
# daemon that has served one endpoint.
warm_up() {
	"$BADEP" $EP -w 5 -S 16 127.0.0.1 "$PORT" flood 1 >"$T/$1.warm.out" ||
	    fail "$1: warm-up session"
	xp_wait_log 'session done|sockets closed; waiting' 15
	base=$(xp_rss)
}

# case NAME MLETARGS -- BADEPARGS: one session; the peak RSS over the idle one.
case_run() {
	_name=$1
	shift
	_m=
	while [ "$1" != -- ]; do
		_m="$_m $1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	xp_start -v -c "$CONF" -a "127.0.0.1:$PORT" "$MLET" $_m
	warm_up "$_name"
	"$BADEP" $EP "$@" >"$T/$_name.out" &
	_p=$!
	peak=$(xp_max_rss_while "$_p")
	wait "$_p" || true
	grep -q '^setup ok' "$T/$_name.out" || fail "$_name: setup failed"
	# Held back until the write timed out, or the mlet left (small
	# records can trickle in for long as the kernel compacts its queue).
	grep -q '^flood stopped' "$T/$_name.out" ||
	    fail "$_name: the flood was not held back: $(tail -n 1 "$T/$_name.out")"
	echo "$_name: RSS +$((peak - base)) KiB (base $base KiB, peak $peak KiB)"
	[ $((peak - base)) -le $LIMIT_KB ] ||
	    fail "$_name: RSS grew by $((peak - base)) KiB (bound $LIMIT_KB KiB)"
	kill -INT "$XPID"
	xp_wait_exit 20
}

# The floods stop once a write has waited 3 s: everything is full by then.
# An mlet that never reads outlives the flood (3 s of stalled writes).
case_run ep_noread_small answer 0 -- -w 3 -S 16 127.0.0.1 "$PORT" flood 100000000
case_run mlet_noread_small sleep 8 -- -w 3 -S 16 127.0.0.1 "$PORT" flood 100000000
case_run ep_noread_64k answer 65536 -- -w 3 -S 16 127.0.0.1 "$PORT" flood 100000000
case_run mlet_noread_64k sleep 8 -- -w 3 -S 65536 127.0.0.1 "$PORT" flood 100000000

# (5) 100 at once; slow set-ups on a busy machine are not the point here.
N=100
printf 'HandshakeTimeout 60s\nSetupTimeout 60s\n' >>"$CONF"
xp_start -v -c "$CONF" -a "127.0.0.1:$PORT" "$MLET" sleep 15
warm_up many
i=0 pids=
while [ $i -lt $N ]; do
	"$BADEP" $EP -w 3 -S 65536 127.0.0.1 "$PORT" flood 100000000 >"$T/many.$i" &
	pids="$pids $!"
	i=$((i + 1))
done
peak=0
for p in $pids; do
	r=$(xp_max_rss_while "$p")
	[ "$r" -gt "$peak" ] && peak=$r
	wait "$p" || true
done
stopped=$(cat "$T"/many.[0-9]* | grep -c '^flood stopped' || true)
[ "$stopped" = $N ] || fail "$stopped of $N floods were held back"
limit=$((100 * 1024))
xp_asan && limit=$((limit * 3))
echo "$N sessions: RSS +$((peak - base)) KiB (base $base KiB, peak $peak KiB)"
[ $((peak - base)) -lt $limit ] || fail "$N sessions: RSS grew by $((peak - base)) KiB"
kill -INT "$XPID"
kill -INT "$XPID"
xp_wait_exit 20
echo ok
