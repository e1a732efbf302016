#!/bin/sh
# broker_tls.sh: pktlab-broker's own TLS record layer.  After the handshake
# a connection leaves OpenSSL (cred_tls_detach) and the broker protects
# records itself (src/cred/rec13.c), so an idle subscription costs a few
# hundred bytes.  Here OpenSSL clients (tests/tools/xp_tlsclient) check
# that nothing changed for a peer: each TLS 1.3 suite, a KeyUpdate that
# asks for the broker's before every message, records written one byte at
# a time, a notification sealed after the key updates, close_notify both
# ways; a tampered record and an oversized record header close only their
# own connection; a Python (ssl module) subscriber beside them; descriptors
# back to the baseline.
. "$(dirname "$0")/xpmgr_lib"
. "$(dirname "$0")/broker_lib"
TLSC=$TOOLS/xp_tlsclient
[ -x "$TLSC" ] || fail "no $TLSC"

bk_pki h
bk_start -v
sleep 0.2
BASE=$(bk_nfds)
XD="controller_addr=127.0.0.1:20600;sni_key=abc123;"

# The hex of an endpoint's xcert and xsub, for xp_tlsclient.
sub_msgs() {
	python3 "$BCLIENT" --emit "xcert:$T/$1/subcmd.cert" "xsub:$CHAN:$EOP:"
}

echo "== three subscribers, one per suite: KeyUpdate before each message, one byte per write"
PIDS=
i=0
for suite in TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256; do
	i=$((i + 1))
	bk_endpoint ep$i
	# shellcheck disable=SC2046
	"$TLSC" --port "$BSUB" --cert "$T/ep$i/agent.cert" --key "$T/ep$i/k_ep" \
	    --suite "$suite" --keyupdate --trickle --pipeline --notify 1 --close \
	    $(sub_msgs ep$i) >"$T/ep$i.out" 2>&1 &
	PIDS="$PIDS $!"
	XP_BG="$XP_BG $!"
done
echo "== and a Python subscriber beside them"
bk_sub $SUBCHAIN "xsub:$CHAN:$EOP:" --notify 1 >"$T/py.out" 2>&1 &
PYPID=$!
XP_BG="$XP_BG $PYPID"
_n=600
while [ "$(bk_count 'subscription on 1 channel')" -lt 4 ]; do
	[ "$_n" -gt 0 ] || fail "subscriptions: $(bk_count 'subscription on 1 channel') of 4"
	sleep 0.05
	_n=$((_n - 1))
done

echo "== a publication reaches all four"
bk_pub_bg "$T/pub.out" $PUBCHAIN "xpub:$CHAN:$EOP:$XD"
i=0
for p in $PIDS; do
	i=$((i + 1))
	wait "$p" || fail "subscriber $i: $(cat "$T/ep$i.out")"
	grep -q '^established TLS_' "$T/ep$i.out" || fail "ep$i: $(cat "$T/ep$i.out")"
	[ "$(grep -c '^result SUCCESS$' "$T/ep$i.out")" = 2 ] || fail "ep$i results: $(cat "$T/ep$i.out")"
	grep -q "^xnotify [0-9a-f]\{64\} $XD\$" "$T/ep$i.out" || fail "ep$i xnotify: $(cat "$T/ep$i.out")"
	# Our close_notify is answered with the broker's.
	grep -q '^close_notify$' "$T/ep$i.out" || fail "ep$i close: $(cat "$T/ep$i.out")"
done
grep -q '^established TLS_AES_128_GCM_SHA256$' "$T/ep1.out" || fail "suite 1: $(head -1 "$T/ep1.out")"
grep -q '^established TLS_CHACHA20_POLY1305_SHA256$' "$T/ep3.out" || fail "suite 3: $(head -1 "$T/ep3.out")"
wait "$PYPID" || fail "python subscriber: $(cat "$T/py.out")"
grep -q "^xnotify" "$T/py.out" || fail "python xnotify: $(cat "$T/py.out")"
[ "$(bk_count 'closed: peer closed the connection \(close_notify\)')" -ge 3 ] ||
    fail "close_notify not seen: $(grep closed "$T/broker.log")"
bk_count 'TLS: ' | grep -q '^0$' || fail "TLS errors: $(grep 'TLS: ' "$T/broker.log")"

echo "== a tampered record closes only its connection"
bk_endpoint ep4
# shellcheck disable=SC2046
"$TLSC" --port "$BSUB" --cert "$T/ep4/agent.cert" --key "$T/ep4/k_ep" \
    --tamper --pipeline $(sub_msgs ep4) >"$T/ep4.out" 2>&1 && fail "tampered: $(cat "$T/ep4.out")"
bk_wait_log 'closed before any accepted request: TLS: record authentication failed \(bad_record_mac\)'
grep -Eq '^(eof|tls-error unexpected eof)' "$T/ep4.out" || fail "tampered client: $(cat "$T/ep4.out")"

echo "== a record header over the limit"
bk_endpoint ep5
"$TLSC" --port "$BSUB" --cert "$T/ep5/agent.cert" --key "$T/ep5/k_ep" \
    --huge --hold 5 >"$T/ep5.out" 2>&1
bk_wait_log "TLS: record longer than 16640 bytes"

echo "== the publisher still works, and the broker's close at shutdown is clean"
bk_endpoint ep6
# shellcheck disable=SC2046
"$TLSC" --port "$BSUB" --cert "$T/ep6/agent.cert" --key "$T/ep6/k_ep" \
    --pipeline --notify 1 --hold 30 $(sub_msgs ep6) >"$T/ep6.out" 2>&1 &
EP6=$!
XP_BG="$XP_BG $EP6"
_n=400
until grep -q '^xnotify' "$T/ep6.out" 2>/dev/null; do
	[ "$_n" -gt 0 ] || fail "ep6: $(cat "$T/ep6.out")"
	sleep 0.05
	_n=$((_n - 1))
done
kill "$BGPID" 2>/dev/null
bk_wait_log 'withdrew publication p1: publisher connection closed'
# The baseline plus ep6, still subscribed.
bk_wait_nfds $((BASE + 1))
bk_stop
[ "$BKRC" = 0 ] || fail "broker exit $BKRC"
wait "$EP6" || true
grep -q '^close_notify$' "$T/ep6.out" || fail "ep6 at shutdown: $(cat "$T/ep6.out")"
echo "ok"
