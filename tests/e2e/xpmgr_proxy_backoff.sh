#!/bin/sh
# xpmgr_proxy_backoff: a proxy that refuses every xreg (errid ECTLBADMSG,
# transcript C2).  1.1.0 re-registers in a tight loop (214-224 times in 5 s);
# pktxpmgr backs off exponentially from 100 ms, logs the refusal with the
# error's name once, and, with nothing registered at the end of
# BootstrapBacklogTimeout (3 s), exits 1.  Then a proxy that refuses the
# first three (C3): the pool fills and the recovery is logged.
. "$(dirname "$0")/xpmgr_proxy_lib"
xp_proxy_conf abc123
xp_sproxy --refuse 0x10

xp_run_fail -c "$PCONF" -a "127.0.0.1:$PPORT" -v "$MLET" hold
ms=$MS
[ "$ms" -lt 6000 ] || fail "bootstrap took $ms ms (BootstrapBacklogTimeout is 3 s)"
expect_grep 'proxy bootstrap failed: no backlog connection was registered' "$T/xpmgr.log"
expect_grep 'registration refused: the proxy refused the xreg: errid 16 \(ECTLBADMSG\)' "$T/xpmgr.log"
[ "$(grep -c 'WARN .*\] registration refused' "$T/xpmgr.log")" = 1 ] ||
    fail "the refusal was warned about more than once"
n=$(xp_proxy_count 'xreg snikey=abc123')
echo "registrations in $ms ms: $n (1.1.0: about 130 in 3 s)"
# Two connections start at once; then one probe at a time, 50-100, 100-200,
# 200-400, 400-800, 800-1600 ms apart.
if [ "$n" -lt 2 ] || [ "$n" -gt 9 ]; then fail "$n registrations in $ms ms"; fi
xp_sproxy_stop

# C3: three refusals, then acceptance.
rm -f "$T/proxy.log"
xp_sproxy --refuse 0x10 --refuse-first 3
xp_start -c "$PCONF" -a "127.0.0.1:$PPORT" "$MLET" hold
xp_wait_log 'registered again after [0-9]+ failed attempt' 10
xp_wait_log 'proxy bootstrap complete' 10
xp_proxy_wait 'idle in the pool of abc123 \(2 idle\)' 1 10
[ "$(xp_proxy_count 'result ECTLBADMSG')" = 3 ] || fail "not three refusals"
kill -INT "$XPID"
xp_expect_exit 0 5
echo "ok"
