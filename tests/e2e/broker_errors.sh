#!/bin/sh
# broker_errors.sh: pktlab-broker's refusals as pktxpmgr and pktlab-endpoint
# see them: a private channel the publication chain does not grant
# (EPUBBADCHN: pktxpmgr names it and exits 1 at start-up), a private
# channel the subscription chain does not grant (ESUBBADCHN: the endpoint
# names it and resubscribes with a back-off), and a subscription whose
# chain is not rooted at its eopkey.
. "$(dirname "$0")/xpmgr_lib"
. "$(dirname "$0")/broker_lib"
bk_pki h
CONF=$H/xpmgr.conf
bk_start
PORT=$(xp_port)
BAD=$(printf '%064d' 11)

echo "== EPUBBADCHN: pktxpmgr exits 1"
cp "$CONF" "$T/bad.conf"
sed -i "s|^ExpExec 1::\(.*\)::\$|ExpExec 1::\1:$BAD:|" "$T/bad.conf"
grep -q "^ExpExec 1::.*:$BAD:\$" "$T/bad.conf" || fail "could not set PUB_CHANNEL: $(grep ExpExec "$T/bad.conf")"
"$XPMGR" -c "$T/bad.conf" -a "127.0.0.1:$PORT" "$PL_MLET_DIR/test_http_get" 127.0.0.1 / \
    >"$T/mlet.out" 2>"$T/xpmgr.log" &
XPID=$!
xp_expect_exit 1 20
expect_grep 'EPUBBADCHN' "$T/xpmgr.log"
bk_wait_log 'refused xpub with EPUBBADCHN: private channel 1 is not granted'

echo "== ESUBBADCHN: the endpoint resubscribes, backing off"
bk_endpoint ep1 "BrokerChannel $BAD"
bk_ep_start ep1 -r 1
EP1=$EPPID
bk_wait_log 'refused xsub with ESUBBADCHN' 10
bk_wait_file "$T/ep1.log" 'resubscribing in' 10
_first=$(bk_count 'refused xsub')
sleep 2
_later=$(bk_count 'refused xsub')
# 1.1.0 retries about 11 times a second; a back-off makes it a handful.
[ $((_later - _first)) -le 4 ] || fail "endpoint retried $((_later - _first)) times in 2 s"
kill "$EP1"

echo "== a chain not rooted at the eopkey"
"$CRED" init --home "$T/other" --no-publication >/dev/null
bk_endpoint ep2
python3 "$BCLIENT" --port "$BSUB" --cert "$T/ep2/agent.cert" --key "$T/ep2/k_ep" \
    --pipeline "xcert:$T/ep2/subcmd.cert" \
    "xsub:key=$T/other/keys/k_eop.pub:$T/other/keys/k_eop.pub:" >"$T/e.out" 2>&1 || true
grep -q '^result SUCCESS' "$T/e.out" || fail "the xcert was not answered: $(cat "$T/e.out")"
grep -q '^result 0x0061' "$T/e.out" || fail "foreign root accepted: $(cat "$T/e.out")"
bk_wait_log 'chain not rooted at eopkey'
bk_stop
[ "$BKRC" = 0 ] || fail "pktlab-broker exited $BKRC"
echo "broker_errors: ok"
