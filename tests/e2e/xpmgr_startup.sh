#!/bin/sh
# xpmgr_startup: what this version refuses or only warns about at start.
# Proxy mode with nobody at the proxy's port ends the bootstrap with exit 1,
# and warns that its default entry cannot be reached without an SNI key
# (xpmgr_proxy_*.sh test proxy mode itself); publication on is a warning and greeting
# goes on (the broker, on loopback here, is never contacted); -i warns;
# an MLET that is not executable and an ExpExec chain that fails its own
# verification stop the start with a reason.  The soft limit on open files
# is raised to the hard one.
. "$(dirname "$0")/xpmgr_lib"
xp_pki
PORT=$(xp_port)
H=$T/pktlab

cp "$CONF" "$T/proxy.conf"
printf 'EnableProxyMode 1\nBootstrapBacklogTimeout 1000000000\n' >>"$T/proxy.conf"
"$XPMGR" -c "$T/proxy.conf" -a "127.0.0.1:$PORT" "$MLET" hold 2>"$T/proxy.log" &&
    fail "proxy mode started without a proxy"
expect_grep 'WARN .*ExpExec: IS_DEFAULT 1 has no effect in proxy mode' "$T/proxy.log"
expect_grep 'proxy bootstrap failed: no backlog connection was registered' "$T/proxy.log"

# A broker nobody listens on: publication must not even try.
sed 's/^EnableExpPublication 0/EnableExpPublication 1/' "$CONF" >"$T/pub.conf"
echo "BrokerAddr 127.0.0.1:$(xp_port)" >>"$T/pub.conf"
xp_start -c "$T/pub.conf" -a "127.0.0.1:$PORT" -n 1 -i ep7 "$MLET" mread 1
expect_grep 'WARN .*EnableExpPublication 1: this version does not publish' "$T/xpmgr.log"
expect_grep 'WARN .*-i ep7: the host id only filters a broker publication' "$T/xpmgr.log"
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
