#!/bin/sh
# xpmgr_pub_error: broker error codes.  At start-up (transcript A4) the
# broker answers XPUB with EPUBBADXD: pktxpmgr names the code and the
# entry's config line and exits 1.  Later (after a reconnection) a refusal
# costs only the entry it names: the other stays published and pktxpmgr
# keeps running.
. "$(dirname "$0")/xpmgr_lib"
xp_pki
LPORT=$(xp_port)
xp_sbroker --errid xpub=EPUBBADXD
xp_pub_conf <<CONF
PubPeriod 60000000000
ExpExec 0:def456:$CHAIN::7075626c6963:
CONF
"$XPMGR" -c "$PUBCONF" -a "127.0.0.1:$LPORT" "$MLET" >"$T/mlet.out" 2>"$T/xpmgr.log" &
XPID=$!
xp_expect_exit 1 20
expect_grep "pub.conf:8: ExpExec: the broker refused the xpub: EPUBBADXD \(0x0054" "$T/xpmgr.log"
# One event, one line (docs/logging.md): FATAL, with 1.1.0's words.
expect_grep "FATAL .*/pub.conf:8: ExpExec: the broker refused the xpub: EPUBBADXD \(0x0054.*\); Broker returned error: 84; Experiment publication failed; ending \(exit 1\)\$" "$T/xpmgr.log"
expect_no_grep 'WARN .*(refused|Broker returned|publication failed)' "$T/xpmgr.log"
got=$(sed -n 's/^+[0-9.]* c1 \(<-\|->\) [0-9a-f]*  \([a-z]*\).*/\1\2/p' "$SBLOG" | tr '\n' ' ')
[ "$got" = "<-xpub ->result " ] || fail "A4 sequence: $got"
expect_grep 'c1 -> 400000020054  result errid=0x0054 EPUBBADXD' "$SBLOG"

# A broker whose agent certificate is not issued by BrokerCertRootPath:
# a configuration problem at start-up, exit 1, as in 1.1.0.
echo "BrokerCertRootPath $EOP" >>"$PUBCONF"
"$XPMGR" -c "$PUBCONF" -a "127.0.0.1:$LPORT" "$MLET" >"$T/mlet.out" 2>"$T/xpmgr.log" &
XPID=$!
xp_expect_exit 1 20
expect_grep "FATAL TLS with broker 127.0.0.1:$SBPORT failed: .*; Experiment publication failed; ending \(exit 1\)\$" "$T/xpmgr.log"
[ "$(grep -c 'Experiment publication failed' "$T/xpmgr.log")" = 1 ] ||
    fail "publication failure logged more than once"

# Later: the first broker publishes both entries, then goes away; the one
# that replaces it refuses the first XPUB it gets (the entry of line 9, sent
# first in reverse order) with EPUBBADCHN.
kill "$(echo $XP_BG | awk '{print $NF}')"
BPORT=$(xp_port)
SBLOG=$T/sb1.log
xp_sbroker --port "$BPORT" --close-after 2
xp_pub_conf <<CONF
PubPeriod 60000000000
ExpExec 1:abc123:$CHAIN::61:
ExpExec 0:def456:$CHAIN::62:
CONF
sed -i "s/^BrokerAddr .*/BrokerAddr 127.0.0.1:$BPORT/" "$PUBCONF"
xp_start -c "$PUBCONF" -a "127.0.0.1:$LPORT" "$MLET"
xp_wait_log 'Experiment publication completed \(2 publication' 20
xp_wait_log 'the broker 127.0.0.1:[0-9]+ closed the connection; republishing after reconnecting' 10
kill "$(echo $XP_BG | awk '{print $NF}')"
SBLOG=$T/sb2.log
xp_sbroker --port "$BPORT" --errid xpub=EPUBBADCHN --errid-nth 1
xp_wait_log 'republished 1 experiment' 20
expect_grep "pub.conf:9: ExpExec: the broker refused the xpub: EPUBBADCHN \(0x0051" "$T/xpmgr.log"
kill -0 "$XPID" || fail "pktxpmgr ended after a later refusal"
[ "$(grep -c ' <- 31' "$SBLOG")" = 2 ] || fail "want 2 XPUBs on the new connection"
kill -INT "$XPID"
xp_expect_exit 0 10
wait_grep 'c1 # TLS close_notify received' "$SBLOG"
echo "ok"
