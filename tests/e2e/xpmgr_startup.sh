#!/bin/sh
# xpmgr_startup: what this version refuses or only warns about at start.
# Proxy mode with nobody at the proxy's port ends the bootstrap with exit 1,
# and warns that its default entry cannot be reached without an SNI key
# (xpmgr_proxy_*.sh test proxy mode itself); with publication on and no broker
# listening, greeting goes on while publication retries in the background;
# an MLET that is not executable and an ExpExec chain that fails its own
# verification stop the start with a reason.  The soft limit on open files
# is raised to the hard one.
. "$(dirname "$0")/xpmgr_lib"
xp_pki
PORT=$(xp_port)
H=$T/pktlab

# run_fails LOG ARGS...: pktxpmgr must refuse to start, with exit status 1.
run_fails() {
	_log=$1
	shift
	_rc=0
	"$XPMGR" "$@" 2>"$_log" || _rc=$?
	[ "$_rc" = 1 ] || fail "pktxpmgr $*: exit status $_rc, want 1"
}

cp "$CONF" "$T/proxy.conf"
printf 'EnableProxyMode 1\nBootstrapBacklogTimeout 1000000000\n' >>"$T/proxy.conf"
run_fails "$T/proxy.log" -c "$T/proxy.conf" -a "127.0.0.1:$PORT" "$MLET" hold
expect_grep 'WARN .*ExpExec: IS_DEFAULT 1 has no effect in proxy mode' "$T/proxy.log"
expect_grep 'proxy bootstrap failed: no backlog connection was registered' "$T/proxy.log"

# A broker nobody listens on: publication retries, sessions are served.
sed 's/^EnableExpPublication 0/EnableExpPublication 1/' "$CONF" >"$T/pub.conf"
BPORT=$(xp_port)
echo "BrokerAddr 127.0.0.1:$BPORT" >>"$T/pub.conf"
xp_start -c "$T/pub.conf" -a "127.0.0.1:$PORT" -n 1 -i ep7 "$MLET" mread 1
xp_wait_log "WARN .*broker: connect to 127.0.0.1:$BPORT: Connection refused; retrying with backoff" 5
xp_endpoint "$PORT" 2>"$T/ep.log" || fail "endpoint with publication on"
xp_expect_exit 0 5

# Started with a low soft limit, it runs with the hard one.
XPMGR_REAL=$XPMGR
XPMGR=$T/lowsoft
printf '#!/bin/sh\nulimit -Sn 64 || exit 1\nexec "%s" "$@"\n' "$XPMGR_REAL" >"$XPMGR"
chmod +x "$XPMGR"
xp_start -c "$CONF" -a "127.0.0.1:$PORT" "$MLET" hold
soft=$(awk '/^Max open files/ { print $4 }' "/proc/$XPID/limits")
hard=$(awk '/^Max open files/ { print $5 }' "/proc/$XPID/limits")
[ "$soft" = "$hard" ] || fail "open files: soft $soft, hard $hard"
[ "$soft" != 64 ] || fail "the soft limit stayed at 64"
kill -INT "$XPID"
XPMGR=$XPMGR_REAL
xp_expect_exit 0 5

printf '#!/bin/sh\n' >"$T/notexec"
run_fails "$T/notexec.log" -c "$CONF" -a "127.0.0.1:$PORT" "$T/notexec"
expect_grep "FATAL mlet $T/notexec: not executable \(Permission denied\)\$" "$T/notexec.log"
run_fails "$T/nomlet.log" -c "$CONF" -a "127.0.0.1:$PORT" "$T/nosuchmlet"
expect_grep "FATAL mlet $T/nosuchmlet: No such file or directory\$" "$T/nomlet.log"

"$CRED" sign -K "$H/keys/k_eop" -k "$H/keys/k_exper.pub" -t exppriv --not-before 2001-01-01 \
    --not-after 2001-01-02 -o "$T/old.cert" >>"$T/cred.log" 2>&1 || fail "sign"
sed "s|$H/certs/exppriv_eop_exper.cert|$T/old.cert|" "$CONF" >"$T/old.conf"
run_fails "$T/old.log" -c "$T/old.conf" -a "127.0.0.1:$PORT" "$MLET" hold
expect_grep "FATAL $T/old.conf:[0-9]+: ExpExec: chain: old.cert: expired 2001-01-02\$" "$T/old.log"
# A controller key that does not load: start-up names file:line as -t does.
sed "s|^ControllerPrivkeyPath .*|ControllerPrivkeyPath $H/certs/pubcmd_exper_xc.cert|" "$CONF" >"$T/badkey.conf"
kline=$(grep -n '^ControllerPrivkeyPath' "$T/badkey.conf" | cut -d: -f1)
run_fails "$T/badkey.log" -c "$T/badkey.conf" -a "127.0.0.1:$PORT" "$MLET" hold
expect_grep "FATAL $T/badkey.conf:$kline: ControllerPrivkeyPath: " "$T/badkey.log"
echo "ok"
