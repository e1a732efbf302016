#!/bin/sh
# xpmgr_proxy_stall: a proxy that stalls at each stage.  BacklogConnTimeout
# (1 s here) bounds every stage, during the bootstrap too (1.1.0 stalls for
# ever there when PKTLAB never comes, ERRATA 13): the TLS handshake, the
# xreg result and PKTLAB (transcript C5) each time out, the proxy sees the
# connection closed about 1 s later, and with nothing registered pktxpmgr
# exits 1 after BootstrapBacklogTimeout (3 s).  Then transcript C8: a 0x50
# right before PKTLAB, which 1.1.0's matcher misses; ours registers.  And a
# proxy that sends bytes after PKTLAB.
. "$(dirname "$0")/xpmgr_proxy_lib"
xp_proxy_conf abc123

for stage in tls:2:TLS.handshake result:4:xreg.result pktlab:6:PKTLAB.from.the.proxy; do
	name=${stage%%:*}
	rest=${stage#*:}
	num=${rest%%:*}
	what=${rest#*:}
	rm -f "$T/proxy.log"
	xp_sproxy --stall "$name"
	xp_run_fail -c "$PCONF" -a "127.0.0.1:$PPORT" -v "$MLET" hold
	ms=$MS
	[ "$ms" -lt 7000 ] || fail "stall at $name: exit after $ms ms"
	expect_grep "stage $num \($what\) timed out after 1000 ms" "$T/xpmgr.log"
	expect_grep 'proxy bootstrap failed' "$T/xpmgr.log"
	xp_proxy_wait "stalled at .* the controller (closed|reset)" 1 5
	grep -E 'stalled at' "$T/proxy.log" | head -1
	# Closed by the stage timeout: 1 s, not earlier, not much later.
	grep -E 'stalled at' "$T/proxy.log" | head -1 |
	    awk '{ s = $(NF - 1); exit !(s >= 0.9 && s < 2.5) }' ||
	    fail "stall at $name: not closed about 1 s later"
	xp_sproxy_stop
done

rm -f "$T/proxy.log"
xp_sproxy --prefix 50
xp_start -c "$PCONF" -a "127.0.0.1:$PPORT" -v "$MLET" hold
xp_wait_log 'proxy bootstrap complete' 5
expect_grep 'skipped 25 byte\(s\) before PKTLAB' "$T/xpmgr.log"
[ "$(xp_proxy_count 'R[0-9]+ < raw 50  # prefix before PKTLAB')" -ge 2 ] || fail "no prefix sent"
xp_proxy_wait 'idle in the pool of abc123 \(2 idle\)' 1
expect_no_grep 'WARN' "$T/xpmgr.log"
kill -INT "$XPID"
xp_expect_exit 0 5
xp_sproxy_stop

# A proxy that sends its close_notify after PKTLAB (broker.md §3.1: it must
# not): not taken for an endpoint; the key backs off with one warning.
rm -f "$T/proxy.log"
xp_sproxy --after 1503030013aabbccddeeff00112233445566778899
xp_start -c "$PCONF" -a "127.0.0.1:$PPORT" -v "$MLET" hold
xp_wait_log 'WARN .*protocol error: the proxy sent a byte 0x15 on an idle backlog connection, not the start of an endpoint.s TLS ClientHello' 10
expect_no_grep 'new endpoint connection' "$T/xpmgr.log"
xp_wait_log 'failure 3 in a row' 10
n=$(xp_proxy_count 'xreg snikey=abc123')
[ "$n" -le 5 ] || fail "$n registrations for 3 failures: the backoff was reset"
kill -INT "$XPID"
xp_expect_exit 0 5
echo "ok"
