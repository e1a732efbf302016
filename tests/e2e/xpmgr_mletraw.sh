#!/bin/sh
# xpmgr_mletraw: the mlet's bytes reach the endpoint unchanged, even a
# message our codec calls malformed: 1.1.0 pktxpmgr forwards it as raw
# bytes (protocol spec §1.2 step 5) and the endpoint, whose decoder is the
# one that counts, answers it (a 1.1.0 endpoint: ECTLBADMSG, then a reset).
# Here an nclose without its sktid byte; the session is not ended by
# pktxpmgr, and a warning names the message.
. "$(dirname "$0")/xpmgr_lib"
xp_pki
PORT=$(xp_port)

xp_start -c "$CONF" -a "127.0.0.1:$PORT" -n 1 "$MLET" write 2b000000
# The endpoint answers, then (no more requests) gives up after -w seconds.
"$BADEP" $(xp_ep_creds) -w 3 127.0.0.1 "$PORT" serve >"$T/ep.out" || true
expect_grep '^served 1 requests$' "$T/ep.out"
xp_expect_exit 0 10
expect_grep 'WARN  \[s1 [^]]*\] mlet sent a malformed nclose \(nclose: body length 0 .*\): forwarded; a 1.1.0 endpoint answers ECTLBADMSG' "$T/xpmgr.log"
expect_grep '\[s1 [^]]*\] session done \(endpoint closed the session\).*mlet->endpoint 1 msgs 4 B.*endpoint->mlet 1 msgs 6 B|\[s1 [^]]*\] session done \(endpoint closed the session\).*endpoint->mlet 1 msgs 6 B, mlet->endpoint 1 msgs 4 B' "$T/xpmgr.log"
echo "ok"
