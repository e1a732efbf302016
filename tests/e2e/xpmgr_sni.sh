#!/bin/sh
# xpmgr_sni: the SNI key picks the ExpExec entry.  Three entries: the
# default (trusted operator key), "abc123" (trusted operator key) and "zz9"
# (no trusted keys, a public channel: 1.1.0 lets endpoints in without a
# certificate there).  No SNI -> default, each SNI -> its entry, an unknown
# SNI and a missing certificate are refused; pktxpmgr serves on regardless
# and leaks nothing.
. "$(dirname "$0")/xpmgr_lib"
xp_pki
PORT=$(xp_port)
CHAIN=$(sed -n 's/^ExpExec 1:[^:]*:\([^:]*\):.*/\1/p' "$CONF")
TRUST=$(sed -n 's/^ExpExec 1:[^:]*:[^:]*:\([^:]*\):.*/\1/p' "$CONF")
[ -n "$CHAIN" ] && [ -n "$TRUST" ] || fail "no default ExpExec line in $CONF"
printf 'ExpExec 0:abc123:%s:%s::\nExpExec 0:zz9:%s::0102:\n' "$CHAIN" "$TRUST" "$CHAIN" >>"$CONF"

xp_start -c "$CONF" -a "127.0.0.1:$PORT" "$MLET" mread 3
xp_baseline
# An entry without trusted keys lets anyone in: said at start-up, and for
# each session it takes.
ZZLINE=$(grep -n '^ExpExec 0:zz9:' "$CONF" | cut -d: -f1)
expect_grep "WARN  $CONF:$ZZLINE: ExpExec: TRUSTEDEOP_PATH is empty: any endpoint is accepted, even one without a certificate" "$T/xpmgr.log"
[ "$(grep -c 'TRUSTEDEOP_PATH is empty' "$T/xpmgr.log")" = 1 ] || fail "the warning is not for zz9 alone"

xp_endpoint "$PORT" 2>"$T/ep1.log" || fail "endpoint without SNI"
xp_wait_log '\[s1 [^]]* sni=-\] TLS established .*\(default\)'
xp_endpoint "$PORT" -k abc123 2>"$T/ep2.log" || fail "endpoint with SNI abc123"
xp_wait_log '\[s2 [^]]* sni=abc123\] TLS established .*ExpExec entry abc123$'
if xp_endpoint "$PORT" -k nothere 2>"$T/ep3.log"; then
	fail "an endpoint with an unknown SNI got in"
fi
xp_wait_log '\[s3 [^]]*\] session failed \(TLS handshake failed: unknown SNI "nothere"\)'

# zz9 has no trusted keys: no certificate needed (as 1.1.0).
"$BADEP" -s zz9 127.0.0.1 "$PORT" serve >"$T/b4.out" || fail "no-certificate endpoint on zz9"
expect_grep '^served 3 requests$' "$T/b4.out"
xp_wait_log '\[s4 [^]]* sni=zz9\] TLS established .*ExpExec entry zz9$'
xp_wait_log '\[s4 [^]]* sni=zz9\] endpoint not authenticated: it presented no certificate, and this ExpExec entry trusts no operator key'
# With a certificate there, its chain is checked for form only.
xp_endpoint "$PORT" -k zz9 2>"$T/ep6.log" || fail "endpoint with a certificate on zz9"
xp_wait_log '\[s5 [^]]* sni=zz9\] endpoint chain of 1 certificate checked for form only \(top signature unchecked\): this ExpExec entry trusts no operator key'
expect_no_grep '\[s[1-3] [^]]*\] endpoint (not authenticated|chain of)' "$T/xpmgr.log"
# abc123 trusts an operator: a certificate is required.
"$BADEP" -s abc123 127.0.0.1 "$PORT" serve >"$T/b5.out" && fail "no certificate, yet in"
xp_wait_log '\[s6 [^]]*\] session failed \(TLS handshake failed: the endpoint presented no certificate'

n=$(grep -c 'session done (mlet closed its socket).*mlet exit 0' "$T/xpmgr.log")
[ "$n" = 4 ] || fail "$n sessions done, want 4"
xp_check_baseline
kill -INT "$XPID"
xp_expect_exit 0 5
echo "ok"
