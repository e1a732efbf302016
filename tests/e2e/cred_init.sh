#!/bin/sh
# cred_init.sh: `pktlab-cred init` makes the ~/.pktlab layout of PacketLab
# 1.1.0 (certs spec §6): files, modes, chains that verify, xpmgr.conf and
# xpmgr.proxy.conf with exactly the effective lines of §6 (which pktxpmgr -t
# accepts as they are, also after the tutorial's `>> xpmgr.conf` append),
# endpt.conf; and run again it keeps keys and configurations, remakes only
# what is missing or no longer matches, and --force replaces everything.
set -eu

CRED="$PL_BIN_DIR/pktlab-cred"
XPMGR="$PL_BIN_DIR/pktxpmgr"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
mode() {
	stat -c %a "$1"
}
sums() {
	(cd "$1" && sha256sum keys/* certs/* csrs/* xpmgr.conf endpt.conf)
}
# The non-comment, non-empty lines of a configuration file.
effective() {
	grep -v '^#' "$1" | grep -v '^$'
}

H="$T/home"
echo "== init --no-publication"
"$CRED" init --home "$H" --no-publication >"$T/init.out"
H=$(cd "$H" && pwd -P)
for d in "" /keys /certs /csrs /progs; do
	[ -d "$H$d" ] || fail "missing folder $H$d"
	[ "$(mode "$H$d")" = 700 ] || fail "$H$d is mode $(mode "$H$d")"
done
for k in k_exper k_xc k_eop k_ep; do
	for f in "keys/$k" "keys/$k.pub"; do
		[ -f "$H/$f" ] || fail "missing $f"
		[ "$(mode "$H/$f")" = 600 ] || fail "$f is mode $(mode "$H/$f")"
	done
	head -1 "$H/keys/$k" | grep -q -- "-----BEGIN PRIVATE KEY-----" ||
	    fail "$k is not an unencrypted PKCS#8 key"
done
for f in certs/agent_xc_xc.cert certs/agent_ep_ep.cert \
    certs/exppriv_eop_exper.cert certs/pubcmd_exper_xc.cert \
    certs/subcmd_eop_ep.cert csrs/exppriv_exper.csr \
    csrs/delpriv_exp_exper.csr csrs/delpriv_rep_eop.csr xpmgr.conf \
    xpmgr.proxy.conf endpt.conf; do
	[ -f "$H/$f" ] || fail "missing $f"
	[ "$(mode "$H/$f")" = 600 ] || fail "$f is mode $(mode "$H/$f")"
done
[ -z "$(ls -A "$H/progs")" ] || fail "progs/ is not empty"

echo "== the credentials fit together"
"$CRED" verify -q -r "$H/keys/k_eop.pub" "$H/certs/pubcmd_exper_xc.cert" \
    "$H/certs/exppriv_eop_exper.cert" || fail "experiment chain"
"$CRED" verify -q -m endpoint -r "$H/keys/k_eop.pub" \
    "$H/certs/subcmd_eop_ep.cert" || fail "endpoint chain"
for a in xc ep; do
	"$CRED" verify -q -m agent "$H/certs/agent_${a}_${a}.cert" 2>/dev/null ||
	    fail "agent_$a"
	"$CRED" show "$H/certs/agent_${a}_${a}.cert" | grep -q "(self-signed)" ||
	    fail "agent_$a is not self-signed"
done
"$CRED" show "$H/certs/exppriv_eop_exper.cert" >"$T/show"
grep -qF "valid:       1970-01-01 .. 2038-01-19 03:14:07 UTC" "$T/show" ||
    fail "validity is not pktlab_init.py's"
grep -q "no pathLen" "$T/show" || fail "exppriv has a pathLen"
! grep -q "limits:" "$T/show" || fail "exppriv has limits"
"$CRED" show "$H/csrs/delpriv_rep_eop.csr" | grep -q "delegates:   reppriv" ||
    fail "delpriv_rep_eop.csr"

echo "== the configurations"
cat >"$T/expect" <<EOF
EnableExpPublication 0
PubAgentCertPath $H/certs/agent_xc_xc.cert
PubPeriod 31536000000000000
ControllerPrivkeyPath $H/keys/k_xc
ExpExec 1::$H/certs/exppriv_eop_exper.cert,$H/certs/pubcmd_exper_xc.cert:$H/keys/k_eop.pub::
ProgramDirPath $H/progs
EOF
effective "$H/xpmgr.conf" | diff -u "$T/expect" - >&2 ||
    fail "xpmgr.conf effective lines"
cat "$T/expect" - >"$T/expect.proxy" <<EOF
EnableProxyMode 1
BacklogConnAgentCertPath $H/certs/agent_xc_xc.cert
TargetBacklogConn 2
BacklogConnTimeout 2000000000
BootstrapBacklogTimeout 5000000000
EOF
effective "$H/xpmgr.proxy.conf" | diff -u "$T/expect.proxy" - >&2 ||
    fail "xpmgr.proxy.conf effective lines"
cat >"$T/expect.ep" <<EOF
EndpointPrivKey $H/keys/k_ep
ControllerCertChainPath $H/certs/subcmd_eop_ep.cert
EndpointOpPubKeyPath $H/keys/k_eop.pub
EOF
effective "$H/endpt.conf" | diff -u "$T/expect.ep" - >&2 ||
    fail "endpt.conf effective lines"
for f in xpmgr.conf xpmgr.proxy.conf endpt.conf; do
	[ "$(tail -c 1 "$H/$f" | od -An -c | tr -d ' ')" = '\n' ] ||
	    fail "$f does not end with a newline"
done
if [ -x "$XPMGR" ]; then
	"$XPMGR" -t -c "$H/xpmgr.conf" /bin/true >"$T/t.out" 2>&1 ||
	    fail "pktxpmgr -t refuses xpmgr.conf: $(cat "$T/t.out")"
fi

echo "== publication on: broker lines"
"$CRED" init --home "$T/pub" >/dev/null
P=$(cd "$T/pub" && pwd -P)
effective "$P/xpmgr.conf" | head -4 >"$T/pub.eff"
printf '%s\n' "EnableExpPublication 1" "BrokerAddr pktbrokr.caida.org" \
    "PubAgentCertPath $P/certs/agent_xc_xc.cert" \
    "PubPeriod 31536000000000000" | diff -u - "$T/pub.eff" >&2 ||
    fail "publication lines"
# Without CAIDA's key the root line is a comment that says why.
grep -q "^# BrokerCertRootPath $P/keys/caida_k_bop.pub" "$P/xpmgr.conf" ||
    fail "no commented BrokerCertRootPath"
grep -q "caida_k_bop.pub is" "$P/xpmgr.conf" || fail "no explanation"
# With it (and a broker of our own), the line is effective.
cp "$P/keys/k_eop.pub" "$T/bop.pub"
"$CRED" init --home "$T/own" --broker broker.example:20556 >/dev/null
O=$(cd "$T/own" && pwd -P)
cp "$T/bop.pub" "$O/keys/caida_k_bop.pub"
rm "$O/xpmgr.conf"
"$CRED" init --home "$O" --broker broker.example:20556 >/dev/null
effective "$O/xpmgr.conf" | sed -n 2,4p >"$T/own.eff"
printf '%s\n' "BrokerAddr broker.example:20556" \
    "PubAgentCertPath $O/certs/agent_xc_xc.cert" \
    "BrokerCertRootPath $O/keys/caida_k_bop.pub" |
    diff -u - "$T/own.eff" >&2 || fail "own broker lines"
if [ -x "$XPMGR" ]; then
	"$XPMGR" -t -c "$O/xpmgr.conf" /bin/true >"$T/t.out" 2>&1 ||
	    fail "pktxpmgr -t refuses the publishing xpmgr.conf: $(cat "$T/t.out")"
fi

echo "== a local broker: --broker 127.0.0.1"
[ ! -e "$P/broker.conf" ] && [ ! -e "$P/keys/k_bop" ] ||
    fail "the default init wrote a local broker's files"
"$CRED" init --home "$T/loc" --broker 127.0.0.1 >"$T/loc.out"
L=$(cd "$T/loc" && pwd -P)
for f in keys/k_bop keys/k_bop.pub certs/agent_bop_bop.cert broker.conf; do
	[ -f "$L/$f" ] || fail "local init: no $f"
done
grep -q "pktlab-broker -c $L/broker.conf" "$T/loc.out" || fail "no hint to start the broker"
effective "$L/broker.conf" >"$T/loc.broker"
printf '%s\n' "BrokerPrivKeyPath $L/keys/k_bop" \
    "BrokerAgentCertPath $L/certs/agent_bop_bop.cert" \
    "PubListen 127.0.0.1:20566" "SubListen 127.0.0.1:20567" |
    diff -u - "$T/loc.broker" >&2 || fail "broker.conf lines"
effective "$L/xpmgr.conf" | sed -n 1,4p >"$T/loc.xp"
printf '%s\n' "EnableExpPublication 1" "BrokerAddr 127.0.0.1:20566" \
    "PubAgentCertPath $L/certs/agent_xc_xc.cert" \
    "BrokerCertRootPath $L/keys/k_bop.pub" |
    diff -u - "$T/loc.xp" >&2 || fail "local xpmgr.conf lines"
effective "$L/endpt.conf" | grep -v '^EndpointPrivKey\|^EndpointOpPubKeyPath\|^Cont' >"$T/loc.ep"
printf '%s\n' "NoSubMode 0" "BrokerAddr 127.0.0.1:20567" \
    "BrokerChainRootPath $L/keys/k_bop.pub" \
    "EndpointAgentCertPath $L/certs/agent_ep_ep.cert" \
    "SubPrivCertChainPath $L/certs/subcmd_eop_ep.cert" "AutoExtractChannel 1" |
    diff -u - "$T/loc.ep" >&2 || fail "local endpt.conf lines"
"$CRED" verify "$L/certs/agent_bop_bop.cert" >/dev/null 2>&1 ||
    "$CRED" show "$L/certs/agent_bop_bop.cert" | grep -q agent ||
    fail "agent_bop_bop.cert is not an agent certificate"
if [ -x "$PL_BIN_DIR/pktlab-broker" ]; then
	"$PL_BIN_DIR/pktlab-broker" -t -c "$L/broker.conf" >"$T/t.out" 2>&1 ||
	    fail "pktlab-broker -t refuses broker.conf: $(cat "$T/t.out")"
fi
# PORT given: publishers PORT, subscribers PORT+1.
"$CRED" init --home "$T/loc2" --broker localhost:30000 >/dev/null
grep -q "^SubListen localhost:30001" "$T/loc2/broker.conf" || fail "PORT+1"
grep -q "^BrokerAddr localhost:30001" "$T/loc2/endpt.conf" || fail "endpt PORT+1"

echo "== the tutorial's append"
printf 'ExpExec 0:tutorial:%s/certs/exppriv_eop_exper.cert,%s/certs/pubcmd_exper_xc.cert:%s/keys/k_eop.pub::\n' \
    "$H" "$H" "$H" >>"$H/xpmgr.conf"
tail -1 "$H/xpmgr.conf" | grep -q "^ExpExec 0:tutorial:/" ||
    fail "the appended line is not a line of its own"
if [ -x "$XPMGR" ]; then
	"$XPMGR" -t -c "$H/xpmgr.conf" /bin/true >"$T/t.out" 2>&1 ||
	    fail "pktxpmgr -t after the append: $(cat "$T/t.out")"
	grep -q "tutorial" "$T/t.out" || fail "appended entry not seen"
fi

echo "== run again: nothing is replaced"
sums "$H" >"$T/before"
"$CRED" init --home "$H" --no-publication >"$T/again.out"
sums "$H" | diff -u "$T/before" - >&2 || fail "a second init changed files"
grep -q "kept    keys/k_xc" "$T/again.out" || fail "no report of kept keys"
grep -q "kept    xpmgr.conf (not replaced" "$T/again.out" ||
    fail "no report of the kept configuration"
grep -q "tutorial" "$H/xpmgr.conf" || fail "the user's ExpExec line is gone"

echo "== a lost certificate is remade; a new key remakes its certificates"
rm "$H/certs/subcmd_eop_ep.cert" "$H/keys/k_ep.pub"
"$CRED" init --home "$H" --no-publication >"$T/again.out"
grep -q "created certs/subcmd_eop_ep.cert" "$T/again.out" ||
    fail "subcmd not remade"
grep -q "created keys/k_ep.pub" "$T/again.out" || fail ".pub not remade"
grep -q "kept    keys/k_ep " "$T/again.out" || fail "k_ep replaced"
grep "keys/k_ep.pub" "$T/before" | cut -d' ' -f1 >"$T/pubsum"
[ "$(sha256sum "$H/keys/k_ep.pub" | cut -d' ' -f1)" = "$(cat "$T/pubsum")" ] ||
    fail "remade k_ep.pub differs"
rm "$H/keys/k_xc" "$H/keys/k_xc.pub"
"$CRED" init --home "$H" --no-publication >"$T/again.out"
for c in agent_xc_xc pubcmd_exper_xc; do
	grep -q "created certs/$c.cert" "$T/again.out" ||
	    fail "$c not remade for the new k_xc"
done
for c in agent_ep_ep exppriv_eop_exper; do
	grep -q "kept    certs/$c.cert" "$T/again.out" || fail "$c remade"
done
"$CRED" verify -q -r "$H/keys/k_eop.pub" "$H/certs/pubcmd_exper_xc.cert" \
    "$H/certs/exppriv_eop_exper.cert" || fail "chain after the new k_xc"

echo "== --force replaces everything"
sums "$H" >"$T/before"
"$CRED" init --home "$H" --no-publication --force >/dev/null
for f in keys/k_exper keys/k_eop certs/agent_ep_ep.cert xpmgr.conf; do
	a=$(grep " $f\$" "$T/before" | cut -d' ' -f1)
	b=$(sha256sum "$H/$f" | cut -d' ' -f1)
	[ "$a" != "$b" ] || fail "--force kept $f"
done
! grep -q "tutorial" "$H/xpmgr.conf" || fail "--force kept the old xpmgr.conf"

echo "== encrypted keys"
printf 'init-secret\n' >"$T/pass"
"$CRED" init --home "$T/enc" --no-publication --passphrase-file "$T/pass" \
    >/dev/null
E=$(cd "$T/enc" && pwd -P)
head -1 "$E/keys/k_xc" | grep -q "ENCRYPTED PRIVATE KEY" ||
    fail "k_xc not encrypted"
# Nobody to ask (no terminal, no passphrase): a clear refusal.
rm "$E/certs/agent_xc_xc.cert"
set +e
setsid -w "$CRED" init --home "$E" --no-publication </dev/null \
    >/dev/null 2>"$T/err"
rc=$?
set -e
[ $rc = 1 ] || fail "encrypted key without passphrase: exit $rc"
grep -q "k_exper is encrypted and no passphrase is available" "$T/err" ||
    fail "reason: $(cat "$T/err")"
PKTLAB_PASSPHRASE=init-secret setsid -w "$CRED" init --home "$E" \
    --no-publication </dev/null >"$T/again.out"
grep -q "created certs/agent_xc_xc.cert" "$T/again.out" ||
    fail "agent_xc_xc not remade with the passphrase from the environment"
PKTLAB_PASSPHRASE=init-secret "$CRED" show "$E/keys/k_xc" |
    grep -q "key id:" || fail "show of an encrypted key"

echo "== bad homes"
mkdir "$T/a:b"
if "$CRED" init --home "$T/a:b" --no-publication >/dev/null 2>"$T/err"; then
	fail "a home with ':' was accepted"
fi
grep -q "ExpExec line" "$T/err" || fail "no reason for ':'"
echo "cred_init: ok"
