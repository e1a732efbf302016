#!/bin/sh
# One experiment on two controllers through pktlab-proxy: two pktxpmgr
# processes register the same SNI key; 12 endpoints are spread over both;
# one pktxpmgr is killed (SIGKILL, as a host that dies); its idle
# connections leave the pool and 6 more endpoints all succeed on the other.
. "$(dirname "$0")/xpmgr_proxy_lib"
. "$(dirname "$0")/proxy_lib"
xp_need_low_ports 80
xp_proxy_conf abc123
PX_CTL=$PPORT
PX_EP=$EPORT
xp_server xp_httpd -a 127.0.0.1 -p 80
px_start

for i in 1 2; do
	"$XPMGR" -c "$PCONF" -a "127.0.0.1:$PX_CTL" "$PL_MLET_DIR/test_http_get" \
	    127.0.0.1 / >"$T/mlet$i.out" 2>"$T/xpmgr$i.log" &
	eval "XP$i=$!"
	XP_BG="$XP_BG $!"
done
_n=0
until grep -q 'proxy bootstrap complete' "$T/xpmgr1.log" &&
    grep -q 'proxy bootstrap complete' "$T/xpmgr2.log"; do
	[ $_n -lt 200 ] || fail "pktxpmgr bootstrap"
	sleep 0.05; _n=$((_n + 1))
done
_n=0
while [ "$(px_count 'sni=abc123\] registered')" -lt 4 ]; do
	[ $_n -lt 200 ] || fail "4 registrations"
	sleep 0.05; _n=$((_n + 1))
done

run_eps() {
	_ok=0
	_i=0
	while [ $_i -lt "$1" ]; do
		if xp_endpoint "$PX_EP" -k abc123 2>>"$T/endpoints.log"; then
			_ok=$((_ok + 1))
		fi
		_i=$((_i + 1))
	done
	[ "$_ok" = "$1" ] || fail "$_ok of $1 endpoints succeeded"
}

done_re='session done \(mlet closed its socket\)'
run_eps 12
n1=$(grep -Ec "$done_re" "$T/xpmgr1.log" || true)
n2=$(grep -Ec "$done_re" "$T/xpmgr2.log" || true)
echo "before the kill: $n1 + $n2 sessions"
[ "$n1" -ge 3 ] && [ "$n2" -ge 3 ] || fail "not spread over both controllers: $n1 + $n2"

kill -9 "$XP1"
wait "$XP1" 2>/dev/null || true
# Its connections were idle, or still registering (the kill can land
# while it refills its pool): either way the proxy drops them.
px_wait_log '(the controller closed an idle connection|idle connection lost|gave the registration up)' 10
run_eps 6
m2=$(grep -Ec "$done_re" "$T/xpmgr2.log" || true)
[ "$m2" = $((n2 + 6)) ] || fail "the survivor ran $((m2 - n2)) of 6"
expect_no_grep 'no idle backlog connection within' "$T/proxy.log"
[ "$(grep -c '<h1>Hello from the local web server</h1>' "$T/mlet2.out")" = "$m2" ] ||
    fail "pages of the survivor"
px_stop
echo "proxy_multi: ok"
