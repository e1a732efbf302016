#!/bin/sh
# broker_checks.sh: pktlab-broker against scripted clients (real TLS, real
# sockets): publication and notification in both orders, pipelined and
# byte-split messages, one delivery per agent key across reconnects,
# dattr and channel mismatch, withdrawal when the publisher goes and when
# pub_end passes, the chain and channel checks with their error codes, a
# client without an agent certificate, malformed and oversized messages,
# the handshake timeout, a flood of silent connections, throttling of a refused client, and descriptors
# back to their baseline.
. "$(dirname "$0")/xpmgr_lib"
. "$(dirname "$0")/broker_lib"

bk_pki h
# A second home: other keys (a second endpoint agent, a foreign EOp).
"$CRED" init --home "$T/h2" --no-publication >/dev/null
H2=$(cd "$T/h2" && pwd -P)
echo "HandshakeTimeout 1s" >>"$H/broker.conf"
echo "RequestTimeout 2s" >>"$H/broker.conf"
"$BROKER" -t -c "$H/broker.conf" >"$T/t.out" 2>&1 || fail "broker -t: $(cat "$T/t.out")"
bk_start -v
sleep 0.2
BASE=$(bk_nfds)

XD="controller_addr=127.0.0.1:20600;sni_key=abc123;"
echo "== publish, then a subscriber gets it"
bk_pub_bg "$T/pub1.out" $PUBCHAIN "xpub:$CHAN:$EOP:$XD"
PUB1=$BGPID
bk_wait_log 'publication p1 on 1 channel'
[ "$(grep -c 'result SUCCESS' "$T/pub1.out")" = 3 ] || fail "publisher results: $(cat "$T/pub1.out")"
bk_sub $SUBCHAIN "xsub:$CHAN:$EOP:hostid=ep7;" --notify 1 >"$T/sub1.out" ||
    fail "subscriber: $(cat "$T/sub1.out")"
grep -q "^xnotify [0-9a-f]\{64\} $XD\$" "$T/sub1.out" || fail "xnotify: $(cat "$T/sub1.out")"

echo "== the same agent key again: not delivered twice"
bk_sub $SUBCHAIN "xsub:$CHAN:$EOP:" --hold 1 >"$T/sub2.out" || fail "resubscribe"
grep -q xnotify "$T/sub2.out" && fail "delivered twice: $(cat "$T/sub2.out")"
bk_wait_log 'already delivered to this agent key'

echo "== another agent key, message written one byte per record"
python3 "$BCLIENT" --port "$BSUB" --cert "$H2/certs/agent_ep_ep.cert" \
    --key "$H2/keys/k_ep" --pipeline \
    "split:$(python3 -c 'import sys; c=b"public"; b=bytes([len(c)])+c+b"\0"+bytes(32); print((bytes([0x38])+len(b).to_bytes(3,"big")+b).hex())')" \
    --notify 1 >"$T/sub3.out" 2>&1 && fail "public subscriber got a private publication"
# The publication is on the private channel only: nothing for "public".
grep -q "^result SUCCESS" "$T/sub3.out" || fail "split xsub: $(cat "$T/sub3.out")"

echo "== a publication on a public channel, filtered by hostid (-i)"
bk_pub_bg "$T/pub2.out" "xpub:7075626c6963:zero:controller_addr=127.0.0.1:20601;sni_key=pub;hostid=ep7*;"
PUB2=$BGPID
bk_wait_log 'publication p2'
python3 "$BCLIENT" --port "$BSUB" --cert "$H2/certs/agent_ep_ep.cert" \
    --key "$H2/keys/k_ep" --pipeline "xsub:7075626c6963:zero:hostid=ep8;" \
    --hold 1 >"$T/sub4.out" 2>&1 || fail "dattr subscriber"
grep -q xnotify "$T/sub4.out" && fail "hostid mismatch delivered"
python3 "$BCLIENT" --port "$BSUB" --cert "$H2/certs/agent_ep_ep.cert" \
    --key "$H2/keys/k_ep" --pipeline "xsub:7075626c6963:zero:hostid=ep77;" \
    --notify 1 >"$T/sub5.out" 2>&1 || fail "matching dattr: $(cat "$T/sub5.out")"
grep -q "^xnotify 7075626c6963 controller_addr=127.0.0.1:20601" "$T/sub5.out" ||
    fail "public xnotify: $(cat "$T/sub5.out")"

echo "== the publisher goes: its publication is withdrawn"
kill "$PUB2"
bk_wait_log 'withdrew publication p2: publisher connection closed'
python3 "$BCLIENT" --port "$BSUB" --cert "$H/certs/agent_xc_xc.cert" \
    --key "$H/keys/k_xc" --pipeline "xsub:7075626c6963:zero:" --hold 1 \
    >"$T/sub6.out" 2>&1 || fail "late subscriber"
grep -q xnotify "$T/sub6.out" && fail "withdrawn publication delivered"

echo "== pub_end expiry"
END=$(( $(date +%s) + 2 ))000000000
bk_pub_bg "$T/pub3.out" "xpub:65787069:zero:pub_end=$END;controller_addr=h.example;"
PUB3=$BGPID
bk_wait_log 'publication p3'
bk_wait_log 'withdrew publication p3: pub_end passed' 6
python3 "$BCLIENT" --port "$BSUB" --cert "$H2/certs/agent_xc_xc.cert" \
    --key "$H2/keys/k_xc" --pipeline "xsub:65787069:zero:" --hold 1 \
    >"$T/sub7.out" 2>&1 || fail "expiry subscriber"
grep -q xnotify "$T/sub7.out" && fail "expired publication delivered"
kill "$PUB3"

echo "== checks and error codes"
# A chain not rooted at the eopkey.
bk_sub $SUBCHAIN "xsub:key=$H2/keys/k_eop.pub:$H2/keys/k_eop.pub:" >"$T/e1.out" 2>&1 || true
grep -q "^result 0x0061" "$T/e1.out" || fail "foreign root: $(cat "$T/e1.out")"
# A private channel the chain does not grant.
bk_sub $SUBCHAIN "xsub:$(printf '%064d' 7):$EOP:" >"$T/e2.out" 2>&1 || true
grep -q "^result 0x0061" "$T/e2.out" || fail "private channel: $(cat "$T/e2.out")"
# A malformed dattr, an empty channel list.
bk_sub "xsub:7075626c6963:zero:a=1;a=2;" >"$T/e3.out" 2>&1 || true
grep -q "^result 0x0062" "$T/e3.out" || fail "dattr: $(cat "$T/e3.out")"
bk_sub "xsub::zero:" >"$T/e4.out" 2>&1 || true
grep -q "^result 0x0060" "$T/e4.out" || fail "empty chlist: $(cat "$T/e4.out")"
# Publisher: a chain whose leaf is not the client's agent key.
python3 "$BCLIENT" --port "$BPUB" --cert "$H2/certs/agent_xc_xc.cert" \
    --key "$H2/keys/k_xc" $PUBCHAIN "xpub:$CHAN:$EOP:$XD" >"$T/e5.out" 2>&1 || true
grep -q "^result 0x0051" "$T/e5.out" || fail "foreign pubcmd: $(cat "$T/e5.out")"
bk_pub "xpub:7075626c6963:zero:sni_key=abc;" >"$T/e6.out" 2>&1 || true
grep -q "^result 0x0052" "$T/e6.out" || fail "no controller_addr: $(cat "$T/e6.out")"
bk_pub "xpub:7075626c6963:zero:controller_addr=h;exp_priority=x1;" >"$T/e7.out" 2>&1 || true
grep -q "^result 0x0053" "$T/e7.out" || fail "exp_priority: $(cat "$T/e7.out")"
bk_pub "xpub:7075626c6963:zero:controller_addr=h" >"$T/e8.out" 2>&1 || true
grep -q "^result 0x0054" "$T/e8.out" || fail "xdescr: $(cat "$T/e8.out")"
bk_pub "xpub::zero:controller_addr=h;" >"$T/e9.out" 2>&1 || true
grep -q "^result 0x0050" "$T/e9.out" || fail "empty xpub chlist: $(cat "$T/e9.out")"
bk_wait_log 'refused xpub with EPUBBADXD'

echo "== a client without an agent certificate"
python3 "$BCLIENT" --port "$BSUB" --no-cert "xsub:7075626c6963:zero:" \
    >"$T/nc.out" 2>&1 && fail "a client without a certificate was served"
bk_wait_log 'TLS handshake failed'

echo "== malformed and oversized messages end only that connection"
bk_sub "raw:20000000" >"$T/m1.out" 2>&1 && fail "cdata on the subscriber port answered"
bk_wait_log 'unexpected message .* on the subscriber port'
bk_pub "raw:30ffffff" >"$T/m2.out" 2>&1 && fail "a 16 MiB xcert was taken"
bk_wait_log 'xcert body of 16777215 bytes'
# A large certificate (12 KB, under the 16 KB limit) is read whole.
python3 "$BCLIENT" --port "$BSUB" --cert "$H2/certs/agent_ep_ep.cert" \
    --key "$H2/keys/k_ep" --pipeline "raw:30002ee0$(printf '%024000d' 0)" \
    "xsub:7075626c6963:zero:" --timeout 10 >"$T/big.out" 2>&1 || fail "big xcert: $(cat "$T/big.out")"
[ "$(grep -c '^result SUCCESS' "$T/big.out")" = 2 ] || fail "big xcert: $(cat "$T/big.out")"
bk_sub "raw:3800" --timeout 4 >"$T/m3.out" 2>&1 && fail "a half message was answered"
bk_wait_log 'no complete request in time' 6
python3 -c 'import socket,time; s=socket.create_connection(("127.0.0.1",'"$BSUB"')); time.sleep(2.5)'
bk_wait_log 'TLS handshake timed out'

echo "== a client refused again and again is answered more slowly"
for i in 1 2 3 4 5; do
	bk_sub "xsub:7075626c6963:zero:a=1;a=1;" >/dev/null 2>&1 || true
done
bk_wait_log 'refused [0-9]+ times in a row: answering in'

echo "== a flood of silent connections from one address is cut at 256 handshakes"
python3 -c '
import socket, sys, time
s = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(300)]
time.sleep(0.5)
for c in s: c.close()' "$BSUB"
bk_wait_log '256 TLS handshakes from this address in progress already'
bk_sub "xsub:7075626c6963:zero:" >"$T/after.out" 2>&1 || fail "after the flood: $(cat "$T/after.out")"

echo "== still serving the first publication"
python3 "$BCLIENT" --port "$BSUB" --cert "$H/certs/agent_xc_xc.cert" \
    --key "$H/keys/k_xc" --pipeline "xsub:$CHAN:zero:" >"$T/x.out" 2>&1
grep -q "^result 0x0061" "$T/x.out" || fail "private channel with zero eopkey: $(cat "$T/x.out")"

kill "$PUB1"
bk_wait_log 'withdrew publication p1'
bk_wait_nfds "$BASE"
bk_stop
[ "$BKRC" = 0 ] || fail "pktlab-broker exited $BKRC"
grep -q "stopped" "$T/broker.log" || fail "no clean stop"
echo "broker_checks: ok"
