#!/bin/sh
# xpmgr_pub_stall: a broker that stalls at each step (TCP connect, TLS
# handshake, the result of a message): BrokerTimeout fires at each, the
# failure is logged once and retried with backoff; and a passive session
# (pktlab-endpoint straight to pktxpmgr running test_http_get) started
# while publication waits is served at once: the daemon never blocks on the
# broker.
. "$(dirname "$0")/xpmgr_lib"
xp_need_low_ports 80
xp_pki
xp_server xp_httpd -a 127.0.0.1 -p 80
LPORT=$(xp_port)

now_ms() {
	echo $(( $(date +%s%N) / 1000000 ))
}

# stall OPTION LOGRE: one run against a broker stalled by OPTION.
stall() {
	SBLOG=$T/sb$1.log
	xp_sbroker "$1"
	xp_pub_conf <<CONF
PubPeriod 60000000000
BrokerTimeout 5s
ExpExec 1::$CHAIN:$EOP::
CONF
	xp_start -c "$PUBCONF" -a "127.0.0.1:$LPORT" -v "$PL_MLET_DIR/test_http_get" \
	    127.0.0.1 /
	t0=$(now_ms)
	rm -f "$T/mlet.out.ep"
	xp_endpoint "$LPORT" 2>"$T/endpoint.log" || fail "$1: the endpoint failed"
	t1=$(now_ms)
	[ $((t1 - t0)) -lt 3000 ] || fail "$1: the session took $((t1 - t0)) ms"
	xp_wait_log 'session done \(mlet closed its socket\)' 5
	# Still waiting on the broker when the session was over.
	grep -Eq "$2" "$T/xpmgr.log" && fail "$1: the broker timed out before the session ended"
	xp_wait_log "WARN .*broker: $2 after 5 s; retrying with backoff" 15
	t2=$(now_ms)
	[ $((t2 - t0)) -ge 4000 ] || fail "$1: timed out after only $((t2 - t0)) ms"
	# The next attempt stalls the same way: logged at debug level only.
	xp_wait_log "DEBUG .*broker: $2 after 5 s; retry 2 in" 20
	[ "$(grep -Ec "WARN .*$2" "$T/xpmgr.log")" = 1 ] || fail "$1: logged twice"
	# Reaching the broker again and again is not news either.
	[ "$(grep -Ec 'INFO .*(connected to broker|reachable again)' "$T/xpmgr.log")" -le 1 ] ||
	    fail "$1: each connection logged"
	expect_grep '<h1>Hello from the local web server</h1>' "$T/mlet.out"
	kill -INT "$XPID"
	xp_expect_exit 0 10
	kill "$(echo $XP_BG | awk '{print $NF}')"
}

stall --stall-accept "connect to 127.0.0.1:[0-9]+ timed out"
stall --stall-tls "TLS handshake with 127.0.0.1:[0-9]+ timed out"
stall --never-answer "waiting for the result of the xcert from 127.0.0.1:[0-9]+ timed out"
# The stalled result was the first XCERT: nothing else was sent meanwhile.
[ "$(grep -c ' c1 <- ' "$T/sb--never-answer.log")" = 1 ] || fail "sent past an unanswered message"
echo "ok"
