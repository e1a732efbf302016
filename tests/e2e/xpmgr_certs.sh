#!/bin/sh
# xpmgr_certs: endpoint certificates made with pktlab-cred sign.  With an
# ExpExec entry that trusts the operator key k_eop, a missing certificate,
# one signed by another operator, and an expired one are all refused with
# their reason, while the proper one is served.  Then monitor programs: a
# chain whose exppriv lists a program's digest makes pktxpmgr send it in a
# cdata "monitor" before start; a digest with no loaded program is skipped
# with a warning.
. "$(dirname "$0")/xpmgr_lib"
xp_pki
H=$T/pktlab
PORT=$(xp_port)
sign() {
	"$CRED" sign "$@" >>"$T/cred.log" 2>&1 || fail "pktlab-cred sign $*"
}

"$CRED" key "$T/k_eop2" >>"$T/cred.log" 2>&1 || fail "pktlab-cred key"
sign -K "$T/k_eop2" -k "$H/keys/k_ep.pub" -t subcmd -o "$T/subcmd_eop2_ep.cert"
sign -K "$H/keys/k_eop" -k "$H/keys/k_ep.pub" -t subcmd --not-before 2001-01-01 \
    --not-after 2001-01-02 -o "$T/subcmd_expired.cert"

xp_start -c "$CONF" -a "127.0.0.1:$PORT" "$MLET" mread 2
xp_baseline
R="-R $H/keys/k_eop.pub"
"$BADEP" $R 127.0.0.1 "$PORT" serve >"$T/none.out" && fail "no certificate, yet in"
"$BADEP" $R -c "$T/subcmd_eop2_ep.cert" -k "$H/keys/k_ep" 127.0.0.1 "$PORT" serve \
    >"$T/wrong.out" && fail "a certificate from another operator, yet in"
"$BADEP" $R -c "$T/subcmd_expired.cert" -k "$H/keys/k_ep" 127.0.0.1 "$PORT" serve \
    >"$T/expired.out" && fail "an expired certificate, yet in"
xp_endpoint "$PORT" 2>"$T/ep.log" || fail "the proper endpoint"
xp_wait_log '\[s1 [^]]*\] session failed \(TLS handshake failed: the endpoint presented no certificate'
xp_wait_log '\[s2 [^]]*\] session failed \(TLS handshake failed: endpoint chain rejected \(no matching signing key\): peer certificate 1: untrusted root: .*\): [0-9.]+ s'
xp_wait_log '\[s3 [^]]*\] session failed \(TLS handshake failed: endpoint chain rejected \(expired certificate\): peer certificate 1: expired 2001-01-02\)'
xp_wait_log '\[s4 [^]]*\] session done \(mlet closed its socket\).*mlet exit 0'
xp_check_baseline
kill -INT "$XPID"
xp_wait_exit 5

# Monitor programs.  m1.ebpf is in ProgramDirPath and listed by the chain;
# the chain also lists a digest nobody has.
printf '# r0 = 0; exit\n0xb7 0 0 0 0\n0x95 0 0 0 0\n' >"$H/progs/m1.ebpf"
GHOST=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
sign -K "$H/keys/k_eop" -k "$H/keys/k_exper.pub" -t exppriv --monitor-prog "$H/progs/m1.ebpf" \
    --monitor $GHOST -o "$T/exppriv_mon.cert"
sed "s|$H/certs/exppriv_eop_exper.cert|$T/exppriv_mon.cert|" "$CONF" >"$T/mon.conf"
xp_start -c "$T/mon.conf" -a "127.0.0.1:$PORT" -n 1 "$MLET" mread 2
xp_wait_log '1 monitor program\(s\) loaded from'
"$BADEP" $(xp_ep_creds) 127.0.0.1 "$PORT" serve >"$T/mon.out" || fail "endpoint with monitors"
xp_expect_exit 0 5
expect_grep '^cdata monitor 17 bytes$' "$T/mon.out"
expect_grep '^setup ok \(1 cdata\)$' "$T/mon.out"
expect_grep "no program in .* has the monitor digest $GHOST, skipping it" "$T/xpmgr.log"
echo "ok"
