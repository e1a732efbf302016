#!/bin/sh
# xpmgr_mlets: how pktxpmgr starts mlets and lives with bad ones.  A probe
# mlet reports what it was given (fd 0 a blocking socket, only EPADDR in
# the environment, argv[0] the basename, nothing but fds 0-2, SIGPIPE
# ignored as in 1.1.0, same process group); mlets that crash, exit early
# with a status, or never read each end their session with that status in
# the summary; no zombies and no leaked descriptors afterwards.
. "$(dirname "$0")/xpmgr_lib"
xp_pki
EP=$(xp_ep_creds)
PORT=$(xp_port)

# What an mlet is given.
xp_start -c "$CONF" -a "127.0.0.1:$PORT" -n 1 "$MLET" probe "$T/probe.txt"
"$BADEP" $EP 127.0.0.1 "$PORT" serve >"$T/ep.out" || fail "endpoint"
xp_expect_exit 0 5
for line in argv0=xp_mlet env=EPADDR=127.0.0.1 envc=1 fd0=socket fd0mode=blocking \
    fds=0,1,2 sigpipe=ign sigint=dfl sigterm=dfl sighup=dfl sigchld=dfl blocked=0; do
	grep -qx "$line" "$T/probe.txt" || fail "probe: no '$line' in $(cat "$T/probe.txt")"
done
pg=$(sed -n 's/^pgid=//p' "$T/probe.txt")
ppg=$(sed -n 's/^ppgid=//p' "$T/probe.txt")
[ "$pg" = "$ppg" ] || fail "the mlet is in process group $pg, pktxpmgr in $ppg"

# Crash, early exit, never reading: one pktxpmgr each, several sessions.
check_mlet() {
	want=$1
	shift
	xp_start -c "$CONF" -a "127.0.0.1:$PORT" "$MLET" "$@"
	xp_baseline
	for i in 1 2 3; do
		"$BADEP" $EP -w 10 127.0.0.1 "$PORT" serve >"$T/ep$i.out" &
		eval "E$i=\$!"
	done
	wait "$E1" "$E2" "$E3" || true
	# A summary is logged once its mlet is reaped, maybe after the endpoint left.
	_n=200
	while :; do
		n=$(grep -Ec "session done \(mlet closed its socket\).*$want" "$T/xpmgr.log") || true
		[ "$n" = 3 ] || [ $_n = 0 ] && break
		sleep 0.05
		_n=$((_n - 1))
	done
	[ "$n" = 3 ] || fail "$n sessions ended with /$want/, want 3"
	xp_check_baseline
	kill -INT "$XPID"
	xp_expect_exit 0 5
}
check_mlet 'mlet killed by signal 6 \(SIGABRT\)' crash
check_mlet 'mlet exit 3$' exit 3
# Never reads: its session lasts until it exits; the endpoint's requests wait.
check_mlet 'mlet exit 0$' sleep 1
echo "ok"
