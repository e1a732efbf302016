#!/bin/sh
# broker_transcripts.sh: pktlab-broker answers the real 1.1.0 clients'
# messages as the transcripts show (shared/vectors/broker_transcripts.txt,
# scenarios A1, A2, B1, B2): each captured client message is replayed
# byte for byte, with the transcripts' agent keys (tests/data/pki), and the
# broker's answers must be the transcripts' answers: the same sequence of
# results, and B1's xnotify byte for byte.
. "$(dirname "$0")/xpmgr_lib"
. "$(dirname "$0")/broker_lib"
TR=$PL_SRC_DIR/tests/data/broker_transcripts.txt
PKI=$PL_TEST_DATA/pki
bk_pki h
bk_start

# extract SCENARIO CONN: the client's messages as bclient arguments in
# $T/SCENARIO.args, the broker's answers as bclient prints them in
# $T/SCENARIO.want.
extract() {
	python3 - "$TR" "$1" "$2" "$T/$1" <<'PY'
import re, sys
tr, scen, conn, out = sys.argv[1:]
args, want, on = [], [], False
for line in open(tr):
    if re.match(r"## [A-Z][0-9]+\. ", line):
        on = line.startswith("## %s." % scen)
        continue
    if not on or not line.startswith("+"):
        continue
    f = line.split()
    if f[1] != conn:
        continue
    b = bytes.fromhex(f[3])
    if f[2] == ">":
        args.append("raw:" + f[3])
    elif b[0] == 0x40:
        e = int.from_bytes(b[4:6], "big") if len(b) >= 6 else 0
        want.append("result SUCCESS" if e == 0 else "result 0x%04x" % e)
    elif b[0] == 0x70:
        n = b[4]
        want.append("xnotify %s %s" % (b[5:5 + n].hex(), b[5 + n:].decode("latin-1")))
open(out + ".args", "w").write("\n".join(args) + "\n")
open(out + ".want", "w").write("\n".join(want) + "\n")
PY
	[ -s "$T/$1.args" ] || fail "no $1 $2 messages in the transcripts"
}

replay() {
	_scen=$1
	shift
	# shellcheck disable=SC2046
	python3 "$BCLIENT" --port "$@" $(cat "$T/$_scen.args") >"$T/$_scen.got" 2>&1 ||
	    fail "$_scen: $(cat "$T/$_scen.got")"
	diff -u "$T/$_scen.want" "$T/$_scen.got" >&2 || fail "$_scen: answers differ"
}

for s in A1 A2; do
	echo "== $s: pktxpmgr's publication, one message at a time"
	extract $s P1
	replay $s "$BPUB" --cert "$PKI/certs/agent_xc_xc.cert" --key "$PKI/keys/k_xc"
done
# The captured pub_end values have passed: answered, never stored.
bk_wait_log 'publication accepted but not stored: its pub_end has passed'
[ "$(bk_count 'publication p[0-9]+ on')" = 0 ] || fail "an expired publication was stored"

echo "== B1: a subscription, then the notification of a live publication"
python3 "$BCLIENT" --port "$BPUB" --cert "$PKI/certs/agent_xc_xc.cert" \
    --key "$PKI/keys/k_xc" --hold 600 \
    "xcert:$PKI/certs/pubcmd_exper_xc.cert" "xcert:$PKI/certs/exppriv_eop_exper.cert" \
    "xpub:key=$PKI/keys/k_eop.pub:$PKI/keys/k_eop.pub:controller_addr=127.0.0.1:20600;sni_key=abc123;" \
    >"$T/pub.out" 2>&1 &
XP_BG="$XP_BG $!"
bk_wait_log 'publication p1 on'
extract B1 S1
replay B1 "$BSUB" --cert "$PKI/certs/agent_ep_ep.cert" --key "$PKI/keys/k_ep" \
    --pipeline --notify 1

echo "== B2: a pipelined two-certificate chain (same agent key: no second xnotify)"
extract B2 S1
replay B2 "$BSUB" --cert "$PKI/certs/agent_ep_ep.cert" --key "$PKI/keys/k_ep" \
    --pipeline --hold 1
bk_wait_log 'subscription on 3 channel'
bk_stop
[ "$BKRC" = 0 ] || fail "pktlab-broker exited $BKRC"
echo "broker_transcripts: ok"
