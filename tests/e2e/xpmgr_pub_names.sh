#!/bin/sh
# xpmgr_pub_names: BrokerAddr as a host name, resolved without blocking
# (libevent's resolver reads /etc/hosts), and every address it resolves to
# tried in turn: "localhost" gives ::1 and 127.0.0.1 where IPv6 is up, and
# the broker listens on 127.0.0.1 only.
. "$(dirname "$0")/xpmgr_lib"
grep -Eq '^[[:space:]]*127\.0\.0\.1[[:space:]].*localhost' /etc/hosts ||
    { echo "SKIP: no localhost in /etc/hosts"; exit 77; }
xp_pki
LPORT=$(xp_port)
xp_sbroker
xp_pub_conf <<CONF
PubPeriod 60000000000
ExpExec 1:abc123:$CHAIN:$EOP::
CONF
sed -i "s/^BrokerAddr .*/BrokerAddr localhost:$SBPORT/" "$PUBCONF"
xp_start -c "$PUBCONF" -a "127.0.0.1:$LPORT" -v "$MLET"
xp_wait_log 'Experiment publication completed' 20
expect_grep "connected to broker 127.0.0.1:$SBPORT" "$T/xpmgr.log"
if grep -Eq '^[[:space:]]*::1[[:space:]].*localhost' /etc/hosts; then
	# Tried first or not, ::1 refuses; no warning as long as another works.
	expect_no_grep 'WARN .*broker: connect' "$T/xpmgr.log"
fi
kill -INT "$XPID"
xp_expect_exit 0 10
echo "ok"
