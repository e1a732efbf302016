#!/bin/sh
# xpmgr_pub_a1: publication as transcript A1 shows it, against the scripted
# broker (tests/tools/sbroker.py) with results delayed 0.3 s: two entries
# in reverse config order; XCERT pubcmd then exppriv for the entry with a
# trusted EOp key; zero eopkey and a public channel for the other; hostid
# from -i; no pipelining; close_notify at pub_end (4 s); exit 0.
. "$(dirname "$0")/xpmgr_lib"
xp_pki
LPORT=$(xp_port)
xp_sbroker --delay 300
xp_pub_conf <<CONF
PubPeriod 4000000000
ExpExec 1:abc123:$CHAIN:$EOP::
ExpExec 0:def456:$CHAIN::7075626c6963:
CONF

xp_start -c "$PUBCONF" -a "127.0.0.1:$LPORT" -i 'ep7*' "$MLET"
xp_wait_log 'Experiment publication completed' 20
T0=$(date +%s%N)

# The sequence of A1: xpub (def456), xcert, xcert, xpub (abc123).
got=$(sed -n 's/^+[0-9.]* c1 \(<-\|->\) [0-9a-f]*  \([a-z]*\).*/\1\2/p' "$SBLOG" | tr '\n' ' ')
[ "$got" = "<-xpub ->result <-xcert ->result <-xcert ->result <-xpub ->result " ] ||
    fail "message sequence: $got"
# No pipelining: each message arrives after the previous result was sent.
awk '/ c1 (<-|->) /{ if (prev == $3 && $3 == "<-") bad = 1; prev = $3 } END { exit bad }' \
    "$SBLOG" || fail "a message came before the previous result"
# The xdescr pair order of A1.
xp_sb_xdescrs >"$T/xd.txt"
printf '%s\n' "hostid=ep7*;pub_end=N;controller_addr=127.0.0.1:$LPORT;sni_key=def456;" \
    "hostid=ep7*;pub_end=N;controller_addr=127.0.0.1:$LPORT;sni_key=abc123;" >"$T/xd.want"
cmp -s "$T/xd.txt" "$T/xd.want" || fail "xdescrs: $(cat "$T/xd.txt")"
# XCERT: the pubcmd leaf first, then the exppriv, as DER.
for f in pubcmd_exper_xc exppriv_eop_exper; do
	openssl x509 -in "$H/certs/$f.cert" -outform DER | od -An -v -tx1 | tr -d ' \n'
	echo
done >"$T/certs.want"
sed -n 's/^.* <- 30[0-9a-f]\{6\}\([0-9a-f]*\)  xcert.*/\1/p' "$SBLOG" >"$T/certs.got"
cmp -s "$T/certs.got" "$T/certs.want" || fail "XCERT contents or order"
# Channels and eopkeys: public + zero for def456; the key channel + k_eop for abc123.
expect_grep "xpub chlist=\[7075626c6963\] eopkey=zero xdescr='hostid" "$SBLOG"
KEYHEX=$(openssl pkey -pubin -in "$EOP" -outform DER | od -An -v -tx1 | tr -d ' \n' | tail -c 64)
KEYCHAN=$(printf '%s' "$KEYHEX" | xxd -r -p | sha256sum | cut -c1-64)
expect_grep "xpub chlist=\[$KEYCHAN\] eopkey=$KEYHEX xdescr='hostid" "$SBLOG"
# pktxpmgr's own log, as 1.1.0's.
expect_grep "Publishing xdescr \(hostid=ep7\*;pub_end=[0-9]+;controller_addr=127.0.0.1:$LPORT;sni_key=def456;\) to channels \(7075626c6963\)" "$T/xpmgr.log"
expect_grep "Publishing xdescr \(.*sni_key=abc123;\) to channels \($KEYCHAN\)" "$T/xpmgr.log"

# close_notify at pub_end (about 4 s after the start), then exit 0
# (GreetPeriodAfterPubEnd 0).
xp_expect_exit 0 20
T1=$(date +%s%N)
wait_grep 'c1 # TLS close_notify received' "$SBLOG"
expect_grep 'Stopping publication \(max publication time reached' "$T/xpmgr.log"
[ $(( (T1 - T0) / 1000000 )) -ge 2000 ] || fail "ended too early"
echo "ok"
