#!/bin/sh
# xpmgr_proxy_certs: the agent-mode TLS of the proxy link (broker.md §3.1).
# The proxy's agent certificate pinned by ProxyCertRootPath: the right key
# registers, a wrong one is a TLS failure (the bootstrap ends with exit 1,
# naming it).  BacklogConnAgentCertPath is sent when the proxy asks for a
# certificate; without it a proxy that requires one refuses (C7).  Two
# ExpExec entries: each SNI key gets its own TargetBacklogConn connections.
. "$(dirname "$0")/xpmgr_proxy_lib"
xp_proxy_conf abc123
PKI=$PL_TEST_DATA/pki
cp "$PCONF" "$T/base.conf"

# Pinned to the key that issued the proxy's certificate, and a second entry.
sed -n 's/^ExpExec 0:abc123:/ExpExec 0:def456:/p' "$T/base.conf" >>"$PCONF"
echo "ProxyCertRootPath $PKI/keys/k_xc.pub" >>"$PCONF"
xp_sproxy --client-ca "$T/pktlab/certs/agent_xc_xc.cert"
xp_start -c "$PCONF" -a "127.0.0.1:$PPORT" "$MLET" hold
xp_wait_log 'proxy bootstrap complete' 10
xp_proxy_wait 'idle in the pool of abc123 \(2 idle\)' 1
xp_proxy_wait 'idle in the pool of def456 \(2 idle\)' 1
[ "$(xp_proxy_count 'client certificate present')" = 4 ] ||
    fail "BacklogConnAgentCertPath not sent"
expect_no_grep 'WARN' "$T/xpmgr.log"
kill -INT "$XPID"
xp_expect_exit 0 5
xp_sproxy_stop

# Pinned to a key that did not issue it.
cp "$T/base.conf" "$PCONF"
echo "ProxyCertRootPath $T/pktlab/keys/k_eop.pub" >>"$PCONF"
xp_sproxy
xp_run_fail -c "$PCONF" -a "127.0.0.1:$PPORT" "$MLET" hold
expect_grep 'WARN .*TLS failure: TLS handshake failed: .*' "$T/xpmgr.log"
expect_grep 'proxy bootstrap failed: .*; last trouble: TLS failure' "$T/xpmgr.log"
xp_sproxy_stop

# No agent certificate of ours, and a proxy that requires one (C7 (2)).
grep -v '^BacklogConnAgentCertPath' "$T/base.conf" >"$PCONF"
xp_sproxy --client-ca "$T/pktlab/certs/agent_xc_xc.cert" --require-cert
xp_run_fail -c "$PCONF" -a "127.0.0.1:$PPORT" "$MLET" hold
expect_grep 'WARN .*TLS failure: .*certificate required \(the proxy wants our agent certificate: set BacklogConnAgentCertPath\)' "$T/xpmgr.log"
echo "ok"
