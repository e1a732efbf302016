#!/bin/sh
# endpoint_sub: pktlab-endpoint in subscription mode against the scripted
# broker (tests/tools/sbroker.py) and a real pktxpmgr in passive mode.
#  1. The subscription is transcript B1's: one xcert (the subcmd), then the
#     xsub with chlist [keyid(k_eop), "public"], eopkey k_eop, the dattr;
#     an XNOTIFY naming pktxpmgr's address and SNI key runs a real
#     experiment there; -r 1 then exits 0.
#  2. A broker that closes after each subscription and sends the same
#     XNOTIFY twice, plus an expired one, every time: the experiment runs
#     once (also across reconnects), the expired one is never dialed, and
#     resubscription backs off.
#  3. A broker refusing every xsub (ESUBBADCHN): backoff, not 11/s; the
#     refusal is logged once.
#  4. A broker that never starts TLS: the handshake times out, retried.
#  5. A malformed XNOTIFY resets the broker link and resubscribes; the
#     experiment running meanwhile is not disturbed.
#  6. An incomplete configuration: a clear error, exit 1.
#  7. Preemption: a running experiment of priority 1, then (from a
#     restarted broker: the reconnect leaves the experiment alone) one of
#     priority 5: the first sends suspd and disconnects, the second runs,
#     then the first runs again from the start.
#  9. An IPv6 broker address, [::1]:PORT, works (1.1.0 failed it).
# 10. Nothing listens on the broker port: backoff (1.1.0: every 5 s).
# 11. A broker that closes right after accept: backoff (1.1.0: 2508
#     connections in 3 s, transcript B5).
#  8. Transcript B2's two-certificate chain (k_eop -> delpriv -> k_eop2 ->
#     subcmd -> k_ep), results delayed 0.3 s: xcert, xcert, xsub with the
#     chlist [keyid(k_eop), keyid(k_eop2), "public"] and eopkey k_eop.
. "$(dirname "$0")/xpmgr_lib"
xp_pki
P=$T/pktlab
PORT=$(xp_port)
CHAIN=$(sed -n 's/^ExpExec 1:[^:]*:\([^:]*\):.*/\1/p' "$CONF")
TRUST=$(sed -n 's/^ExpExec 1:[^:]*:[^:]*:\([^:]*\):.*/\1/p' "$CONF")
printf 'ExpExec 0:abc123:%s:%s::\n' "$CHAIN" "$TRUST" >>"$CONF"

KEYID=$(openssl pkey -pubin -in "$P/keys/k_eop.pub" -outform DER | tail -c 32 |
    sha256sum | cut -d' ' -f1)
RAW=$(openssl pkey -pubin -in "$P/keys/k_eop.pub" -outform DER | tail -c 32 |
    od -An -tx1 -v | tr -d ' \n')
[ ${#KEYID} = 64 ] && [ ${#RAW} = 64 ] || fail "cannot compute keyid(k_eop)"

# xnotify CHANNELHEX XDESCR: the whole message in hex.
xnotify() {
	python3 -c 'import sys
c = bytes.fromhex(sys.argv[1]); d = sys.argv[2].encode()
b = bytes([len(c)]) + c + d
print((bytes([0x70]) + len(b).to_bytes(3, "big") + b).hex())' "$1" "$2"
}

# subconf FILE BROKERPORT: the endpoint's configuration for subscription.
subconf() {
	cp "$EPCONF" "$1"
	cat >>"$1" <<EOF
NoSubMode 0
BrokerAddr 127.0.0.1:$2
BrokerChainRootPath $PL_TEST_DATA/pki/keys/k_ep.pub
EndpointAgentCertPath $P/certs/agent_ep_ep.cert
SubPrivCertChainPath $P/certs/subcmd_eop_ep.cert
AutoExtractChannel 1
BrokerChannel ,7075626c6963
EndpointAttr hostid=ep7;
ConnectTimeout 1s
HandshakeTimeout 1s
EOF
}

# ep_start NAME ARGS...: the endpoint in the background, pid in $EPID.
ep_start() {
	_name=$1
	shift
	"$ENDPOINT" "$@" 2>"$T/$_name.log" &
	EPID=$!
	XP_BG="$XP_BG $EPID"
}
ep_wait_log() {	# LOG RE [S]
	wait_grep "$2" "$T/$1" "${3:-15}"
}
ep_stop() {	# stop $EPID with SIGTERM; it must exit 0
	kill -TERM "$EPID"
	_rc=0
	wait "$EPID" || _rc=$?
	[ "$_rc" = 0 ] || fail "endpoint exited $_rc after SIGTERM"
}
nconn() {	# connections the scripted broker accepted
	grep -c '# accepted from' "$1" || true
}

xp_start -c "$CONF" -a "127.0.0.1:$PORT" "$MLET" mread 3

# ---- 1. B1's subscription, then one real experiment ----
XN=$(xnotify "$KEYID" "controller_addr=127.0.0.1:$PORT;sni_key=abc123;")
SBLOG=$T/b1.log xp_sbroker --xnotify "$XN"
subconf "$T/ep1.conf" "$SBPORT"
rc=0
timeout 60 "$ENDPOINT" -c "$T/ep1.conf" -r 1 2>"$T/ep1.log" || rc=$?
[ "$rc" = 0 ] || fail "subscription mode -r 1 exited $rc"
grep -E ' c1 <- ' "$T/b1.log" | awk '{print $5}' >"$T/b1.types"
[ "$(tr '\n' ' ' <"$T/b1.types")" = "xcert xsub " ] ||
    fail "subscription sequence: $(tr '\n' ' ' <"$T/b1.types")"
WANT="38000054 20${KEYID} 067075626c6963 00 ${RAW} 686f737469643d6570373b"
WANT=$(echo "$WANT" | tr -d ' ')
expect_grep "c1 <- $WANT  xsub " "$T/b1.log"
DER=$(openssl x509 -in "$P/certs/subcmd_eop_ep.cert" -outform DER |
    od -An -tx1 -v | tr -d ' \n')
expect_grep "c1 <- 30[0-9a-f]{6}$DER  xcert" "$T/b1.log"
expect_grep "broker 127.0.0.1:$SBPORT: subscribed \(1 certificate, 2 channels\)" "$T/ep1.log"
expect_grep "dialing the controller 127.0.0.1:$PORT with SNI abc123" "$T/ep1.log"
xp_wait_log '\[s1 [^]]* sni=abc123\] TLS established .*ExpExec entry abc123$'
xp_wait_log '\[s1 [^]]*\] session done .*mlet exit 0'

# ---- 2. duplicates, expiry, a broker that closes: backoff ----
DEAD=$(xp_port)
XE=$(xnotify 7075626c6963 "controller_addr=127.0.0.1:$DEAD;pub_end=1000000000;")
SBLOG=$T/b2.log xp_sbroker --close-after 2 --xnotify "$XN" --xnotify "$XN" --xnotify "$XE"
subconf "$T/ep2.conf" "$SBPORT"
ep_start ep2 -v -c "$T/ep2.conf"
xp_wait_log '\[s2 [^]]*\] session done .*mlet exit 0' 20
ep_wait_log ep2.log 'pub_end passed'
sleep 6
n=$(nconn "$T/b2.log")
[ "$n" -ge 2 ] || fail "no resubscription after the broker closed ($n connection)"
[ "$n" -le 6 ] || fail "$n subscriptions in about 7 s: no backoff"
expect_grep 'the same descriptor was received before' "$T/ep2.log"
expect_no_grep "dialing the controller 127.0.0.1:$DEAD" "$T/ep2.log"
expect_no_grep '\[s3 ' "$T/xpmgr.log"
[ "$(grep -c 'WARN .*the broker closed the connection' "$T/ep2.log")" = 1 ] ||
    fail "the same failure logged more than once"
ep_stop

# ---- 3. a broker refusing every xsub ----
SBLOG=$T/b3.log xp_sbroker --errid xsub=ESUBBADCHN
subconf "$T/ep3.conf" "$SBPORT"
ep_start ep3 -c "$T/ep3.conf"
ep_wait_log ep3.log 'refused the subscription .*ESUBBADCHN \(0x0061\)'
sleep 6
n=$(nconn "$T/b3.log")
[ "$n" -ge 2 ] && [ "$n" -le 6 ] || fail "$n subscriptions in about 6 s against a refusing broker"
[ "$(grep -c 'refused the subscription' "$T/ep3.log")" = 1 ] ||
    fail "the refusal is logged more than once"
ep_stop

# ---- 4. a broker that never starts TLS ----
SBLOG=$T/b4.log xp_sbroker --stall-tls
subconf "$T/ep4.conf" "$SBPORT"
ep_start ep4 -c "$T/ep4.conf"
ep_wait_log ep4.log 'TCP connect and TLS handshake with 127.0.0.1:[0-9]+ timed out after 2.0 s'
n=0
while [ "$(nconn "$T/b4.log")" -lt 2 ]; do
	[ $n -lt 200 ] || fail "no second attempt after a handshake timeout"
	sleep 0.05
	n=$((n + 1))
done
ep_stop

# ---- 5. a malformed XNOTIFY while an experiment runs ----
kill -INT "$XPID"
xp_expect_exit 0 10
xp_start -c "$CONF" -a "127.0.0.1:$PORT" "$MLET" sleep 3
XBAD=$(xnotify "$KEYID" "controller_addr=127.0.0.1:$PORT;sni_key=abc")
SBLOG=$T/b5.log xp_sbroker --xnotify "$XN" --xnotify "$XBAD"
subconf "$T/ep5.conf" "$SBPORT"
rc=0
timeout 60 "$ENDPOINT" -c "$T/ep5.conf" -r 1 2>"$T/ep5.log" || rc=$?
[ "$rc" = 0 ] || fail "the experiment did not end well around a link reset ($rc)"
expect_grep 'malformed message from the broker' "$T/ep5.log"
[ "$(nconn "$T/b5.log")" -ge 2 ] || fail "no resubscription after a malformed xnotify"
xp_wait_log '\[s1 [^]]*\] session done .*mlet exit 0'
expect_no_grep '\[s2 ' "$T/xpmgr.log"

# ---- 6. an incomplete configuration ----
grep -v '^SubPrivCertChainPath' "$T/ep1.conf" >"$T/ep6.conf"
rc=0
"$ENDPOINT" -c "$T/ep6.conf" 2>"$T/ep6.log" || rc=$?
[ "$rc" = 1 ] || fail "incomplete configuration: exit $rc"
expect_grep "ep6.conf:[0-9]+: subscription mode needs SubPrivCertChainPath" "$T/ep6.log"
printf 'BrokerChannel xyz\n' >>"$T/ep6.conf"
rc=0
"$ENDPOINT" -c "$T/ep6.conf" 2>"$T/ep6b.log" || rc=$?
[ "$rc" = 1 ] || fail "bad BrokerChannel: exit $rc"
expect_grep "ep6.conf:[0-9]+: BrokerChannel: \"xyz\"" "$T/ep6b.log"

# ---- 7. preemption, across a broker restart ----
kill -INT "$XPID"
xp_expect_exit 0 10
xp_start -c "$CONF" -a "127.0.0.1:$PORT" "$MLET" sleep 3
XLOW=$(xnotify "$KEYID" "controller_addr=127.0.0.1:$PORT;sni_key=abc123;exp_priority=1;")
XHIGH=$(xnotify "$KEYID" "controller_addr=127.0.0.1:$PORT;exp_priority=5;")
SBLOG=$T/b7.log xp_sbroker --xnotify "$XLOW"
SBPID=$!
subconf "$T/ep7.conf" "$SBPORT"
ep_start ep7 -c "$T/ep7.conf" -r 2
xp_wait_log '\[s1 [^]]* sni=abc123\] session started'
kill -9 "$SBPID"
SBLOG=$T/b7b.log xp_sbroker --port "$SBPORT" --xnotify "$XHIGH"
ep_wait_log ep7.log 'descriptor #2 \(priority 5\) preempts #1 \(priority 1\)'
ep_wait_log ep7.log 'descriptor #1 suspended'
xp_wait_log '\[s1 [^]]*\] session done .*endpoint->mlet 1 msgs 4 B'
xp_wait_log '\[s2 [^]]* sni=-\] session started'
xp_wait_log '\[s3 [^]]* sni=abc123\] session started' 20
rc=0
wait "$EPID" || rc=$?
[ "$rc" = 0 ] || fail "preemption run exited $rc"
expect_grep 'descriptor #2 done \(1 experiment ended\)' "$T/ep7.log"
expect_grep 'descriptor #1 done \(2 experiments ended\)' "$T/ep7.log"

# ---- 8. B2: a two-certificate subscription chain ----
"$CRED" key "$T/k_eop2" >"$T/cred8.out" 2>&1 || fail "pktlab-cred key"
"$CRED" sign -K "$P/keys/k_eop" -k "$T/k_eop2.pub" -t delpriv --del-type reppriv \
    -o "$T/delpriv_eop_eop2.cert" >>"$T/cred8.out" 2>&1 || fail "sign delpriv"
"$CRED" sign -K "$T/k_eop2" -k "$P/keys/k_ep.pub" -t subcmd \
    -o "$T/subcmd_eop2_ep.cert" >>"$T/cred8.out" 2>&1 || fail "sign subcmd"
KEYID2=$(openssl pkey -pubin -in "$T/k_eop2.pub" -outform DER | tail -c 32 |
    sha256sum | cut -d' ' -f1)
SBLOG=$T/b8.log xp_sbroker --delay 300
subconf "$T/ep8.conf" "$SBPORT"
echo "SubPrivCertChainPath $T/subcmd_eop2_ep.cert,$T/delpriv_eop_eop2.cert" >>"$T/ep8.conf"
ep_start ep8 -c "$T/ep8.conf"
ep_wait_log ep8.log 'subscribed \(2 certificates, 3 channels\)'
grep -E ' c1 <- ' "$T/b8.log" | awk '{print $5}' >"$T/b8.types"
[ "$(tr '\n' ' ' <"$T/b8.types")" = "xcert xcert xsub " ] ||
    fail "B2 sequence: $(tr '\n' ' ' <"$T/b8.types")"
WANT=$(echo "38000075 20${KEYID} 20${KEYID2} 067075626c6963 00 ${RAW} 686f737469643d6570373b" |
    tr -d ' ')
expect_grep "c1 <- $WANT  xsub " "$T/b8.log"
ep_stop

# ---- 9. BrokerAddr [::1]:PORT ----
if python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	SBLOG=$T/b9.log xp_sbroker --addr ::1
	subconf "$T/ep9.conf" "$SBPORT"
	echo "BrokerAddr [::1]:$SBPORT" >>"$T/ep9.conf"
	ep_start ep9 -c "$T/ep9.conf"
	ep_wait_log ep9.log "broker \[::1\]:$SBPORT: subscribed"
	ep_stop
	wait_grep 'c1 # TLS close_notify received' "$T/b9.log"
else
	echo "no IPv6 loopback: [::1] broker not tested"
fi

# ---- 10. nothing listens ----
subconf "$T/ep10.conf" "$(xp_port)"
ep_start ep10 -v -c "$T/ep10.conf"
ep_wait_log ep10.log 'could not connect \(127.0.0.1:[0-9]+: [Cc]onnection refused'
sleep 4
n=$(grep -c 'connecting (attempt' "$T/ep10.log")
[ "$n" -ge 2 ] && [ "$n" -le 5 ] || fail "$n connection attempts in about 4 s"
[ "$(grep -c 'WARN .*could not connect' "$T/ep10.log")" = 1 ] ||
    fail "the same failure logged more than once"
ep_stop

# ---- 11. closed right after accept ----
SBLOG=$T/b11.log xp_sbroker --close-on-accept
subconf "$T/ep11.conf" "$SBPORT"
ep_start ep11 -c "$T/ep11.conf"
ep_wait_log ep11.log 'TLS handshake with 127.0.0.1:[0-9]+ failed: the broker closed the connection; resubscribing'
sleep 4
n=$(nconn "$T/b11.log")
[ "$n" -ge 2 ] && [ "$n" -le 5 ] || fail "$n connections in about 4 s to a broker that closes at once"
ep_stop
echo "ok"
