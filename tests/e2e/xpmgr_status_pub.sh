#!/bin/sh
# xpmgr_status_pub: the status (SIGUSR1's log line, the same text as the
# terminal's status line) shows the publication's state: the broker down at
# first, then, once pktlab-broker is up, the experiment published.
. "$(dirname "$0")/xpmgr_lib"
. "$(dirname "$0")/broker_lib"
[ "${PL_IN_NETNS:-0}" = 1 ] || { echo "SKIP: needs fixed ports 20556, 20566, 20567"; exit 77; }
export HOME="$T/home"
mkdir -p "$HOME"
"$CRED" init --broker 127.0.0.1 >"$T/init.out" 2>&1 || fail "init: $(cat "$T/init.out")"

xp_start "$PL_MLET_DIR/test_http_get" 127.0.0.1 /
xp_wait_log 'broker: connect to .*retrying with backoff' 10
kill -USR1 "$XPID"
xp_wait_log 'status: run 0 .* \| broker down, retrying$' 10

: >"$T/broker.log"
"$BROKER" 2>"$T/broker.log" &
BKPID=$!
XP_BG="$XP_BG $BKPID"
bk_wait_log 'publication p1 on 1 channel' 20
kill -USR1 "$XPID"
xp_wait_log 'status: run 0 .* \| published$' 10
kill -INT "$XPID"
xp_expect_exit 0 10
bk_stop
[ "$BKRC" = 0 ] || fail "pktlab-broker exited $BKRC"
echo "xpmgr_status_pub: ok"
