#!/bin/sh
# xpmgr_pub_a2: transcript A2's publication directives (PubControllerAddr,
# PubExpPriority, PubCountry, PubLocation) in 1.1.0's pair order, the
# sequence xcert xcert xpub; and -t printing that exact XPUB without
# contacting the broker; the broker's agent certificate pinned to its issuer
# (BrokerCertRootPath).
. "$(dirname "$0")/xpmgr_lib"
xp_pki
LPORT=$(xp_port)
# Each answer is followed by an unsolicited xnotify: ignored, warned once.
xp_sbroker --extra 70000003014161
xp_pub_conf <<CONF
PubPeriod 2000000000
PubControllerAddr 127.0.0.1:20600
PubExpPriority 5
PubCountry USA,CAN
PubLocation FN31*,IO9?
ExpExec 1:abc123:$CHAIN:$EOP::
BrokerCertRootPath $PL_TEST_DATA/pki/keys/k_ep.pub
CONF

# -t first: the plan, and no connection (the broker log stays empty).
st=0
"$XPMGR" -t -c "$PUBCONF" -a "127.0.0.1:$LPORT" "$MLET" >"$T/t.out" 2>"$T/t.err" || st=$?
[ "$st" = 0 ] || fail "-t exit $st: $(cat "$T/t.err")"
KEYHEX=$(openssl pkey -pubin -in "$EOP" -outform DER | od -An -v -tx1 | tr -d ' \n' | tail -c 64)
KEYCHAN=$(printf '%s' "$KEYHEX" | xxd -r -p | sha256sum | cut -c1-64)
expect_grep '^publication plan \(sent in this order' "$T/t.out"
expect_grep '^1\. ExpExec \(line 12\):$' "$T/t.out"
expect_grep '^  XCERT pubcmd_exper_xc.cert \([0-9]+ bytes\)$' "$T/t.out"
expect_grep '^  XCERT exppriv_eop_exper.cert \([0-9]+ bytes\)$' "$T/t.out"
expect_grep "^  XPUB channels:   $KEYCHAN\$" "$T/t.out"
expect_grep "^  XPUB eopkey:     $KEYHEX\$" "$T/t.out"
expect_grep '^  XPUB xdescr:     endpoint_location=IO9\?;endpoint_location=FN31\*;endpoint_country=CAN;endpoint_country=USA;exp_priority=5;pub_end=[0-9]+;controller_addr=127.0.0.1:20600;sni_key=abc123;$' "$T/t.out"
grep -q ' accepted from ' "$SBLOG" && fail "-t contacted the broker"

xp_start -c "$PUBCONF" -a "127.0.0.1:$LPORT" "$MLET"
xp_wait_log 'Experiment publication completed' 20
got=$(sed -n 's/^+[0-9.]* c1 \(<-\|->\) [0-9a-f]*  \([a-z]*\).*/\1\2/p' "$SBLOG" | tr '\n' ' ')
[ "$got" = "<-xcert ->result ->xnotify <-xcert ->result ->xnotify <-xpub ->result ->xnotify " ] ||
    fail "message sequence: $got"
[ "$(grep -c 'WARN .*Unexpected message from broker with type 112 (xnotify), ignoring' "$T/xpmgr.log")" = 1 ] ||
    fail "unsolicited messages not warned exactly once"
[ "$(xp_sb_xdescrs)" = "endpoint_location=IO9?;endpoint_location=FN31*;endpoint_country=CAN;endpoint_country=USA;exp_priority=5;pub_end=N;controller_addr=127.0.0.1:20600;sni_key=abc123;" ] ||
    fail "xdescr: $(xp_sb_xdescrs)"
expect_grep "xpub chlist=\[$KEYCHAN\] eopkey=$KEYHEX " "$SBLOG"
# The XPUB -t showed is the XPUB sent (but for pub_end).
sed -n 's/^  XPUB xdescr:     //p' "$T/t.out" | sed 's/pub_end=[0-9]*/pub_end=N/' >"$T/t.xd"
xp_sb_xdescrs | cmp -s - "$T/t.xd" || fail "-t and the wire differ"
xp_expect_exit 0 20

# ERRATA 5: a broker reached over IPv6 without -a, -p or PubControllerAddr:
# the inferred controller_addr is the connection's local IPv6 address, and
# pktxpmgr warns before publishing it.
if ping -6 -c1 -W1 ::1 >/dev/null 2>&1 || python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	kill "$(echo $XP_BG | awk '{print $NF}')"
	SBLOG=$T/sb6.log
	xp_sbroker --addr ::1
	xp_pub_conf <<CONF
PubPeriod 2000000000
ExpExec 1:abc123:$CHAIN:$EOP::
CONF
	sed -i "s/^BrokerAddr .*/BrokerAddr [::1]:$SBPORT/" "$PUBCONF"
	xp_start -c "$PUBCONF" -a "0.0.0.0:$LPORT" "$MLET"
	xp_wait_log 'Experiment publication completed' 20
	expect_grep "WARN .*pub.conf:8: ExpExec: publishing the IPv6 controller_addr ::1 \(the local address of the broker connection\)" "$T/xpmgr.log"
	expect_grep "xdescr='pub_end=[0-9]+;controller_addr=::1;sni_key=abc123;'" "$SBLOG"
	xp_expect_exit 0 20
else
	echo "no IPv6 loopback: ERRATA 5 part skipped"
fi
echo "ok"
