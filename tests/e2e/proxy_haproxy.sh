#!/bin/sh
# Scale-out in passive mode with the real HAProxy (conf/examples/haproxy.cfg
# on test ports): two pktxpmgr processes behind it, 50 endpoints with SNI
# key "spread" spread round robin over both (each gets 25) and TLS end to
# end through the balancer; SNI key "solo" is routed on req.ssl_sni to the
# first one only.  Every experiment fetches the local web page.
. "$(dirname "$0")/xpmgr_lib"
HAPROXY=$(command -v haproxy || ls /usr/sbin/haproxy 2>/dev/null || true)
[ -n "$HAPROXY" ] || { echo "SKIP: no haproxy (scripts/install-deps installs it)"; exit 77; }
xp_need_low_ports 80
xp_pki
H=$T/pktlab
CH="$H/certs/exppriv_eop_exper.cert,$H/certs/pubcmd_exper_xc.cert"
printf 'ExpExec 0:spread:%s:%s::\nExpExec 0:solo:%s:%s::\n' \
    "$CH" "$H/keys/k_eop.pub" "$CH" "$H/keys/k_eop.pub" >>"$CONF"
LB=$(xp_port)
P1=$(xp_port)
P2=$(xp_port)
xp_server xp_httpd -a 127.0.0.1 -p 80

sed -e "s/0.0.0.0:20556/127.0.0.1:$LB/" -e "s/127.0.0.1:20561/127.0.0.1:$P1/" \
    -e "s/127.0.0.1:20562/127.0.0.1:$P2/" \
    "$PL_SRC_DIR/conf/examples/haproxy.cfg" >"$T/haproxy.cfg"
"$HAPROXY" -c -f "$T/haproxy.cfg" >"$T/haproxy-check.log" 2>&1 ||
    fail "haproxy -c rejects conf/examples/haproxy.cfg"

for i in 1 2; do
	eval "P=\$P$i"
	"$XPMGR" -c "$CONF" -a "127.0.0.1:$P" "$PL_MLET_DIR/test_http_get" \
	    127.0.0.1 / >"$T/mlet$i.out" 2>"$T/xpmgr$i.log" &
	XP_BG="$XP_BG $!"
	eval "XP$i=$!"
done
"$HAPROXY" -f "$T/haproxy.cfg" -db >"$T/haproxy.log" 2>&1 &
XP_BG="$XP_BG $!"
_n=0
until grep -q 'greeting endpoints on' "$T/xpmgr1.log" 2>/dev/null &&
    grep -q 'greeting endpoints on' "$T/xpmgr2.log" 2>/dev/null &&
    python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1)' "$LB" 2>/dev/null; do
	[ $_n -lt 200 ] || fail "pktxpmgr or haproxy did not start"
	sleep 0.05; _n=$((_n + 1))
done

# 50 endpoints, 10 at a time.
ok=0
i=0
while [ $i -lt 50 ]; do
	pids=""
	for j in 0 1 2 3 4 5 6 7 8 9; do
		"$ENDPOINT" -c "$EPCONF" -k spread "127.0.0.1:$LB" \
		    2>"$T/ep$((i + j)).log" &
		pids="$pids $!"
	done
	for p in $pids; do
		if wait "$p"; then ok=$((ok + 1)); fi
	done
	i=$((i + 10))
done
[ "$ok" = 50 ] || fail "$ok of 50 endpoints succeeded"
for i in 1 2; do
	"$ENDPOINT" -c "$EPCONF" -k solo "127.0.0.1:$LB" 2>"$T/solo$i.log" ||
	    fail "endpoint with SNI solo"
done

done_re='session done \(mlet closed its socket\)'
_n=0
while [ $(( $(grep -Ec "$done_re" "$T/xpmgr1.log") + $(grep -Ec "$done_re" "$T/xpmgr2.log") )) -lt 52 ]; do
	[ $_n -lt 200 ] || fail "not 52 sessions done"
	sleep 0.05; _n=$((_n + 1))
done
n1=$(grep -Ec 'sni=spread\] session done' "$T/xpmgr1.log")
n2=$(grep -Ec 'sni=spread\] session done' "$T/xpmgr2.log")
echo "spread: $n1 on the first pktxpmgr, $n2 on the second"
[ "$n1" = 25 ] && [ "$n2" = 25 ] || fail "not spread round robin: $n1 + $n2"
[ "$(grep -Ec 'sni=solo\] session done' "$T/xpmgr1.log")" = 2 ] ||
    fail "SNI solo not routed to the first pktxpmgr"
[ "$(grep -Ec 'sni=solo\]' "$T/xpmgr2.log")" = 0 ] || fail "SNI solo reached the second"
[ "$(grep -c '<h1>Hello from the local web server</h1>' "$T/mlet1.out" "$T/mlet2.out" |
    awk -F: '{s += $2} END {print s}')" = 52 ] || fail "not 52 pages fetched"
echo "proxy_haproxy: ok"
