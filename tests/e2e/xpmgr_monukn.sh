#!/bin/sh
# xpmgr_monukn: ECTLMONUKN is a failed set-up only when it answers no request
# of the mlet's (ERRATA missing fact 1).  As the reply to an mlet's own
# request (a monitor crashed on it, protocol spec §12.1) it is relayed like
# any reply and the session goes on.
. "$(dirname "$0")/xpmgr_lib"
xp_pki
EP=$(xp_ep_creds)
PORT=$(xp_port)

xp_start -c "$CONF" -a "127.0.0.1:$PORT" -n 1 "$MLET" mread 3 "$T/replies"
"$BADEP" $EP -w 20 127.0.0.1 "$PORT" monuknreply >"$T/ep.out" 2>&1 || true
xp_expect_exit 0
expect_grep '^replies 3$' "$T/replies"
expect_grep '^served 3 requests$' "$T/ep.out"
xp_wait_log '\[s1 [^]]*\] session done \(mlet closed its socket\)'
expect_no_grep 'ECTLMONUKN after start' "$T/xpmgr.log"
echo "ok"
