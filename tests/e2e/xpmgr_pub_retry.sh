#!/bin/sh
# xpmgr_pub_retry: a broker that is down at start-up is retried with
# exponential backoff (1 s doubling, with jitter), logged once, and
# published to as soon as it appears; a broker that refuses connections
# (accepts and closes at once) is retried at the same pace, not in a tight
# loop as 1.1.0's endpoint does; a broker that drops the connection later
# gets everything republished, with the same pub_end values.
. "$(dirname "$0")/xpmgr_lib"
xp_pki
LPORT=$(xp_port)
SBPORT=$(xp_port)
# Two entries (as A1), for the scripted broker on $SBPORT.
two_entries() {
	xp_pub_conf <<CONF
PubPeriod 60000000000
ExpExec 1:abc123:$CHAIN:$EOP::
ExpExec 0:def456:$CHAIN::7075626c6963:
CONF
}
two_entries
# Stop the last scripted broker; the next one logs to $T/$1.log on a new port.
next_broker() {
	kill "$(echo $XP_BG | awk '{print $NF}')"
	SBLOG=$T/$1.log
	SBPORT=$(xp_port)
	two_entries
}

# 1. Nothing listens: refused, logged once however many retries.
xp_start -c "$PUBCONF" -a "127.0.0.1:$LPORT" -v "$MLET"
xp_wait_log "broker: connect to 127.0.0.1:$SBPORT: Connection refused; retrying with backoff" 5
xp_wait_log "retry 3 in" 15
[ "$(grep -c 'WARN .*Connection refused; retrying' "$T/xpmgr.log")" = 1 ] ||
    fail "the same failure was logged more than once"
# Backoff: failures 1, 2, 3 are at least ~0.75 s, ~1.5 s apart.
grep -E 'Connection refused; (retrying|retry [0-9]+ in)' "$T/xpmgr.log" |
    sed 's/^[0-9-]*T\([0-9:.]*\)Z.*/\1/' |
    awk -F: '{ t = $1 * 3600 + $2 * 60 + $3; if (NR > 1) printf "%.3f\n", t - p; p = t }' \
    >"$T/gaps"
awk 'NR == 1 && $1 < 0.7 { exit 1 } NR == 2 && $1 < 1.4 { exit 1 }' "$T/gaps" ||
    fail "retries too fast: $(tr '\n' ' ' <"$T/gaps")"
# 2. The broker appears: published within the next backoff step (< 8 s here).
xp_sbroker --port "$SBPORT"
xp_wait_log 'broker 127.0.0.1:[0-9]+ reachable again; publishing' 10
xp_wait_log 'Experiment publication completed \(2 publication' 5
kill -INT "$XPID"
xp_expect_exit 0 10

# 3. A refusing broker (accept, close): attempts per interval from its log.
next_broker sb2
xp_sbroker --port "$SBPORT" --first 3 --close-on-accept
xp_start -c "$PUBCONF" -a "127.0.0.1:$LPORT" "$MLET"
xp_wait_log 'Experiment publication completed' 20
sed -n 's/^+\([0-9.]*\) c[0-9]* # accepted.*/\1/p' "$SBLOG" >"$T/acc"
[ "$(wc -l <"$T/acc")" = 4 ] || fail "want 4 connections, got $(wc -l <"$T/acc")"
# Gaps ~1 s, ~2 s, ~4 s (75%..125%).
awk 'NR > 1 { g = $1 - p; want = 2 ^ (NR - 2); if (g < 0.7 * want || g > 1.3 * want + 1.0) bad = 1 }
    { p = $1 } END { exit bad }' "$T/acc" || fail "backoff gaps: $(tr '\n' ' ' <"$T/acc")"
[ "$(grep -c 'WARN .*broker: TLS with' "$T/xpmgr.log")" = 1 ] ||
    fail "each retry logged"

# 4. The broker drops the connection: everything republished, same pub_end.
kill -INT "$XPID"
xp_expect_exit 0 10
next_broker sb3
xp_sbroker --port "$SBPORT" --first 1 --close-after 4
xp_start -c "$PUBCONF" -a "127.0.0.1:$LPORT" "$MLET"
xp_wait_log 'republished 2 experiment' 20
got=$(sed -n 's/^+[0-9.]* c2 <- [0-9a-f]*  \([a-z]*\).*/\1/p' "$SBLOG" | tr '\n' ' ')
[ "$got" = "xpub xcert xcert xpub " ] || fail "republication sequence: $got"
sed -n "s/^.* c1 <- 31[0-9a-f]*  xpub .* xdescr='\(.*\)'$/\1/p" "$SBLOG" >"$T/x1"
sed -n "s/^.* c2 <- 31[0-9a-f]*  xpub .* xdescr='\(.*\)'$/\1/p" "$SBLOG" >"$T/x2"
[ -s "$T/x1" ] && cmp -s "$T/x1" "$T/x2" || fail "republished xdescrs differ"
kill -INT "$XPID"
xp_expect_exit 0 10
echo "ok"
