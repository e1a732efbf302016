#!/bin/sh
# xpmgr_check.sh: "pktxpmgr -t" on real files, with the real program.
# Good configurations (the shipped local example, the tutorial's seed
# workflow with a second ExpExec, publication with a broker name that no
# resolver knows: -t must not resolve it) must pass and print the plan;
# broken credentials must fail with a file:line message naming the problem.
set -eu
BIN=$(cd "${PL_BIN_DIR:?}" && pwd)/pktxpmgr
PKI=${PL_TEST_DATA:?}/pki
SRC=${PL_SRC_DIR:?}
T=$(mktemp -d "${TMPDIR:-/tmp}/xpmgr_check.XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# run NAME EXPECTED_STATUS [VAR=VALUE...] PKTXPMGR_ARGS...: the outputs go
# to $T/NAME.out and $T/NAME.err (values hold no spaces)
run() {
	name=$1 want=$2
	shift 2
	envs=
	while [ $# -gt 0 ]; do
		case $1 in
		*=*) envs="$envs $1"; shift ;;
		*) break ;;
		esac
	done
	st=0
	# shellcheck disable=SC2086
	env $envs "$BIN" "$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null || st=$?
	if [ "$st" != "$want" ]; then
		fail "$name: exit $st, want $want"
		sed 's/^/  stderr: /' "$T/$name.err" >&2
	fi
}
# has NAME out|err TEXT: a fixed string in the output
has() {
	grep -qF -- "$3" "$T/$1.$2" || { fail "$1: $2 lacks: $3"; sed "s/^/  $2: /" "$T/$1.$2" >&2; }
}
hasnt() {
	! grep -qF -- "$3" "$T/$1.$2" || fail "$1: $2 has: $3"
}

# A ~/.pktlab made of the test PKI (what pktlab-cred init would make).
H=$T/home
mkdir -p "$H/.pktlab/progs"
cp -R "$PKI/keys" "$PKI/certs" "$H/.pktlab/"
cp "$PKI/keys/k_eop.pub" "$H/.pktlab/keys/caida_k_bop.pub"
MLET=$T/mlet
printf '#!/bin/sh\nexit 0\n' >"$MLET"
chmod 755 "$MLET"
KEYCH=73be06b78b7eaeb76843415a6c6f6731dc961ba9349b4151f2e367f3ba63a374

# 1. The shipped local example.
cp "$SRC/conf/examples/xpmgr.local.conf" "$H/.pktlab/"
run local 0 -t -c "$H/.pktlab/xpmgr.local.conf" "$MLET" arg1
has local out "mode:             passive: listen on 0.0.0.0:20556"
has local out "mlet:             $MLET arg1 (one per endpoint)"
has local out "  SNI key:        local"
has local out "  channels:       $KEYCH (key channel)"
has local out "check passed: $H/.pktlab/xpmgr.local.conf"

# 2. The tutorial: pktlab-cred's xpmgr.conf, then the documented printf.
P=$H/.pktlab
cp "$P/certs/exppriv_eop_exper.cert" "$P/certs/caida_exppriv.cert"
cp "$P/keys/k_eop.pub" "$P/keys/caida_k_eop.pub"
cat >"$P/xpmgr.conf" <<EOF
EnableExpPublication 1
BrokerAddr broker.invalid
PubAgentCertPath $P/certs/agent_xc_xc.cert
BrokerCertRootPath $P/keys/caida_k_bop.pub
PubPeriod 31536000000000000
ControllerPrivkeyPath $P/keys/k_xc
ExpExec 1::$P/certs/exppriv_eop_exper.cert,$P/certs/pubcmd_exper_xc.cert:$P/keys/k_eop.pub::
ProgramDirPath $P/progs
EOF
HOME=$H /bin/sh -c 'printf "%b" "\nExpExec 0::${HOME}/.pktlab/certs/caida_exppriv.cert,${HOME}/.pktlab/certs/pubcmd_exper_xc.cert:${HOME}/.pktlab/keys/caida_k_eop.pub::\n" >> ~/.pktlab/xpmgr.conf'
run seed 0 HOME=$H -t -a 127.0.0.1:20999 "$MLET"
has seed out "configuration:    $P/xpmgr.conf"
has seed out "mode:             passive: listen on 127.0.0.1:20999"
has seed out "publication:      to broker broker.invalid:20556 (resolved when publishing)"
has seed out "ExpExec (line 7) default entry"
has seed out "ExpExec (line 10):"
has seed out "  chain:          $P/certs/caida_exppriv.cert, $P/certs/pubcmd_exper_xc.cert"
has seed out "  controller_addr: 127.0.0.1:20999"
has seed out "check passed"
[ "$(grep -c "(random, new on every run)" "$T/seed.out")" = 2 ] || fail "seed: want 2 random keys"

# 3. Broken credentials: every problem is reported, with its line.
cat >"$P/bad.conf" <<EOF
EnableExpPublication 1
BrokerAddr 127.0.0.1
PubAgentCertPath certs/agent_ep_ep.cert
PubPeriod 1
ControllerPrivkeyPath keys/k_xc
ExpExec 1:a:certs/exppriv_eop_exper.cert,certs/pubcmd_exper_xc.cert:keys/k_exper.pub::
ExpExec 0:b:$PKI/deleg/exppriv_expired.cert,certs/pubcmd_exper_xc.cert:keys/k_eop.pub::
ExpExec 0:c:certs/exppriv_eop_exper.cert:keys/k_eop.pub::
ExpExec 0:d:$PKI/deleg/pubcmd_exper2_xc.cert,$PKI/deleg/delpriv_exp.cert,$PKI/deleg/exppriv_pl0.cert:keys/k_eop.pub::
ExpExec 0:e:certs/exppriv_eop_exper.cert,certs/pubcmd_exper_xc.cert:certs/agent_xc_xc.cert::
EOF
run bad 1 -t -c "$P/bad.conf" "$MLET"
has bad err "bad.conf:3: PubAgentCertPath: agent_ep_ep.cert: the certificate is not issued to the controller key (k_xc)"
has bad err "bad.conf:6: ExpExec: chain: exppriv_eop_exper.cert: untrusted root"
has bad err "bad.conf:7: ExpExec: chain: exppriv_expired.cert: expired"
has bad err "bad.conf:8: ExpExec: EXPPRIVCHAIN_PATH: no certificate in the chain (exppriv_eop_exper.cert) matches the controller key"
has bad err "bad.conf:9: ExpExec: chain:"
has bad err "bad.conf:10: ExpExec: TRUSTEDEOP_PATH:"
has bad err "check failed: 6 problems in $P/bad.conf"
# Each problem fails the check: FATAL, as the same error at start-up
# (docs/logging.md); six problems and the verdict, nothing at WARN.
[ "$(grep -c '^pktxpmgr FATAL ' "$T/bad.err")" = 7 ] || fail "bad: not 7 FATAL lines"
hasnt bad err "pktxpmgr WARN  $P/bad.conf:"
hasnt bad out "check passed"

# 4. The controller key: wrong passphrase, no terminal to ask on.
cat >"$P/enc.conf" <<EOF
EnableExpPublication 0
ControllerPrivkeyPath keys/k_enc_demo
ExpExec 1::certs/exppriv_eop_exper.cert,certs/pubcmd_exper_xc.cert:keys/k_eop.pub::
EOF
run enc 1 PKTLAB_PASSPHRASE=wrong -t -c "$P/enc.conf" "$MLET"
has enc err "enc.conf:2: ControllerPrivkeyPath: $P/keys/k_enc_demo: cannot decrypt the private key (wrong passphrase?)"
has enc err "check failed: 1 problem in"
# The right one loads it; the chain is not this key's, which is the next problem.
run enc2 1 PKTLAB_PASSPHRASE=secret-pass -t -c "$P/enc.conf" "$MLET"
hasnt enc2 err "ControllerPrivkeyPath"
has enc2 err "enc.conf:3: ExpExec: EXPPRIVCHAIN_PATH: no certificate in the chain"

# 5. MLET must be an executable file (run as given, no PATH search).
run nomlet 1 -t -c "$P/xpmgr.local.conf" true
has nomlet err "MLET true: No such file or directory"
chmod 644 "$MLET"
run noexec 1 -t -c "$P/xpmgr.local.conf" "$MLET"
has noexec err "MLET $MLET: not executable"
chmod 755 "$MLET"

# 6. A syntax error stops before anything is loaded; nothing on stdout.
printf 'EnableExpPublication 0\nControllerPrivkeyPath keys/k_xc\nExpExec 1:ab_c:certs/x.cert:::\n' >"$P/syntax.conf"
run syntax 1 -t -c "$P/syntax.conf" "$MLET"
has syntax err "$P/syntax.conf:3: ExpExec: SNIKEY \"ab_c\": invalid character '_'"
[ ! -s "$T/syntax.out" ] || fail "syntax: stdout not empty"

# 7. Proxy mode needs -a; with it, the plan names the proxy.
cp "$SRC/conf/examples/xpmgr.proxy.conf" "$P/"
run proxy_noa 1 -t -c "$P/xpmgr.proxy.conf" "$MLET"
has proxy_noa err "xpmgr.proxy.conf:19: EnableProxyMode: proxy mode needs the proxy's address: give -a PROXY_ADDR[:PORT] (default port 20557)"
run proxy 0 -t -c "$P/xpmgr.proxy.conf" -a proxy.invalid "$MLET"
has proxy out "mode:             proxy: 2 backlog connection(s) per SNI key to proxy.invalid:20557"
has proxy out "  controller_addr: proxy.invalid (proxy mode publishes the proxy's host)"
has proxy out "  pool:           1 SNI key(s) x 2 = 2 backlog connection(s) to proxy.invalid:20557"
has proxy out "  timeouts:       2s per set-up stage, 5s bootstrap"

# 8. Warnings reach the user, without failing the check.
printf 'EnableExpPublication 0\nControllerPrivkeyPath keys/k_xc\nControllerPrivkeyPath keys/k_xc\nExpExec 1::certs/exppriv_eop_exper.cert,certs/pubcmd_exper_xc.cert:keys/k_eop.pub::\n' >"$P/dup.conf"
run dup 0 -t -c "$P/dup.conf" -p ctrl.example "$MLET"
has dup err "dup.conf:3: ControllerPrivkeyPath: given again: this value replaces the one on line 2"
has dup err "dup.conf: -p is ignored: publication is off (EnableExpPublication 0)"

# A chain with a known limit marked optional (*max_recv_pkt) works with our
# endpoint, but every 1.1.0 endpoint crashes decoding it (certs spec §9.4):
# said at the check and at start-up; the certificate is named.
printf 'EnableExpPublication 0\nControllerPrivkeyPath keys/k_xc\nExpExec 1::%s,certs/pubcmd_exper_xc.cert:keys/k_eop.pub::\n' \
    "$PKI/certs/exppriv_eop_exper.optstar.cert" >"$P/optstar.conf"
run optstar 0 -t -c "$P/optstar.conf" "$MLET"
has optstar err "optstar.conf:3: ExpExec: exppriv_eop_exper.optstar.cert marks the limit max_recv_pkt optional (*max_recv_pkt): PacketLab 1.1.0 endpoints crash decoding it"
has optstar out "check passed"
# A singleton that ends at once ends the run.
run optstar_run 0 -s -c "$P/optstar.conf" -a "127.0.0.1:$("${PL_BUILD_DIR:?}/tests/tools/xp_freeport")" "$MLET"
has optstar_run err "optstar.conf:3: ExpExec: exppriv_eop_exper.optstar.cert marks the limit max_recv_pkt optional (*max_recv_pkt): PacketLab 1.1.0 endpoints crash decoding it"
hasnt local err "optional"

# 9. No HOME: ./xpmgr.conf, said so.
(cd "$P" && env -u HOME "$BIN" -t "$MLET" >"$T/nohome.out" 2>"$T/nohome.err") || fail "nohome: exit $?"
has nohome err "HOME is not set: using xpmgr.conf in the working directory"
has nohome out "configuration:    xpmgr.conf"

if [ "$fails" -ne 0 ]; then
	echo "xpmgr_check: $fails failure(s)" >&2
	exit 1
fi
echo "xpmgr_check: all passed"
