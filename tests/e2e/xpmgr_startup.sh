#!/bin/sh
# xpmgr_startup: what this version refuses or only warns about at start.
# Proxy mode is refused (exit 1); with publication on and no broker
# listening, greeting goes on while publication retries in the background;
# an MLET that is not executable and an ExpExec chain that fails its own
# verification stop the start with a reason.  The soft limit on open files
# is raised to the hard one.
. "$(dirname "$0")/xpmgr_lib"
xp_pki
PORT=$(xp_port)
H=$T/pktlab

cp "$CONF" "$T/proxy.conf"
echo "EnableProxyMode 1" >>"$T/proxy.conf"
"$XPMGR" -c "$T/proxy.conf" -a "127.0.0.1:$PORT" "$MLET" hold 2>"$T/proxy.log" &&
    fail "proxy mode started"
expect_grep 'proxy \(active\) mode is not implemented' "$T/proxy.log"

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
"$XPMGR" -c "$CONF" -a "127.0.0.1:$PORT" "$T/notexec" 2>"$T/notexec.log" &&
    fail "a non-executable MLET was accepted"
expect_grep "mlet $T/notexec: " "$T/notexec.log"

"$CRED" sign -K "$H/keys/k_eop" -k "$H/keys/k_exper.pub" -t exppriv --not-before 2001-01-01 \
    --not-after 2001-01-02 -o "$T/old.cert" >>"$T/cred.log" 2>&1 || fail "sign"
sed "s|$H/certs/exppriv_eop_exper.cert|$T/old.cert|" "$CONF" >"$T/old.conf"
"$XPMGR" -c "$T/old.conf" -a "127.0.0.1:$PORT" "$MLET" hold 2>"$T/old.log" &&
    fail "an expired chain was accepted"
expect_grep 'old.conf:[0-9]+: ExpExec: .*expired 2001-01-02' "$T/old.log"
echo "ok"
