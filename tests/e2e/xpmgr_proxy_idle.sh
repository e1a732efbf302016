#!/bin/sh
# xpmgr_proxy_idle: a proxy that closes idle backlog connections (transcript
# C4, here after 1.2 s each).  pktxpmgr replaces each one at once, without
# backoff or warning (a connection that stayed idle a while worked); then a
# proxy that takes and drops every connection right after registering it
# makes the key back off with one warning.
. "$(dirname "$0")/xpmgr_proxy_lib"
xp_proxy_conf abc123
xp_sproxy --close-idle 1.2

xp_start -c "$PCONF" -a "127.0.0.1:$PPORT" -v "$MLET" hold
xp_wait_log 'proxy bootstrap complete' 10
xp_proxy_wait 'closing the idle connection' 4 20
xp_proxy_wait 'R6: idle in the pool of abc123' 1 10
expect_no_grep 'WARN' "$T/xpmgr.log"
expect_grep 'closed in stage 8 \(idle\): the proxy closed an idle backlog connection$' "$T/xpmgr.log"
xp_sproxy_stop

# Dropped 0.1 s after registration: a failure each time.
xp_sproxy --close-idle 0.1
xp_wait_log 'WARN .*idle connections lost: the proxy closed an idle backlog connection [0-9]+ ms after registering it; retrying with backoff' 20
[ "$(grep -c 'WARN .*idle connections lost' "$T/xpmgr.log")" = 1 ] ||
    fail "warned more than once"
kill -INT "$XPID"
xp_expect_exit 0 5
echo "ok"
