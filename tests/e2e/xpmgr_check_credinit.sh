#!/bin/sh
# xpmgr_check_credinit.sh: the tutorial's set-up with our own tools, checked
# by "pktxpmgr -t": pktlab-cred init makes ~/.pktlab (publication on, the
# broker never contacted by -t), a second operator ("caida") grants an
# exppriv certificate that asks for a monitor program, the documented printf
# appends the second ExpExec, and both entries verify, each with its own
# key channel; the monitor is found in ProgramDirPath, or warned about.
set -eu
BIN=$(cd "${PL_BIN_DIR:?}" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/xpmgr_credinit.XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
has() { grep -qF -- "$2" "$T/$1" || { fail "$1 lacks: $2"; sed 's/^/  /' "$T/$1" >&2; }; }
hasnt() { ! grep -qF -- "$2" "$T/$1" || fail "$1 has: $2"; }
cred() { "$BIN/pktlab-cred" "$@" </dev/null >>"$T/cred.log" 2>&1 || { cat "$T/cred.log" >&2; exit 1; }; }

H=$T/home
P=$H/.pktlab
MLET=$T/mlet
printf '#!/bin/sh\n' >"$MLET"
chmod 755 "$MLET"

mkdir -p "$H"
cred init --home "$P"

# The endpoint operator of the tutorial's second entry, and its grant.
printf '149 0 0 0 0\n' >"$T/pass.ebpf"
cred key "$T/caida_k_eop"
cred sign -K "$T/caida_k_eop" -r "$P/csrs/exppriv_exper.csr" -t exppriv \
    --monitor-prog "$T/pass.ebpf" -o "$P/certs/caida_exppriv.cert"
cp "$T/caida_k_eop.pub" "$P/keys/caida_k_eop.pub"
HOME=$H /bin/sh -c 'printf "%b" "\nExpExec 0::${HOME}/.pktlab/certs/caida_exppriv.cert,${HOME}/.pktlab/certs/pubcmd_exper_xc.cert:${HOME}/.pktlab/keys/caida_k_eop.pub::\n" >> ~/.pktlab/xpmgr.conf'
HOME=$H /bin/sh -c 'printf "%b" "\nExpExec 0::${HOME}/.pktlab/certs/caida_exppriv.cert,${HOME}/.pktlab/certs/pubcmd_exper_xc.cert:${HOME}/.pktlab/keys/caida_k_eop.pub::\n" >> ~/.pktlab/xpmgr.proxy.conf'

# The monitor is not in progs/ yet: a warning, not a failure.
st=0
env HOME="$H" "$BIN/pktxpmgr" -t "$MLET" >"$T/a.out" 2>"$T/a.err" </dev/null || st=$?
[ "$st" = 0 ] || { fail "init conf: exit $st"; cat "$T/a.err" >&2; }
has a.out "publication:      to broker pktbrokr.caida.org:20556 (resolved when publishing)"
has a.out "publication plan (sent in this order; pub_end as if started now):"
has a.out "  XPUB xdescr:     pub_end="
has a.out "ExpExec (line "
[ "$(grep -c "(key channel)" "$T/a.out")" = 2 ] || fail "want 2 key channels"
[ "$(grep "(key channel)" "$T/a.out" | sort -u | wc -l)" = 2 ] || fail "key channels not distinct"
has a.out "no such program in ProgramDirPath"
has a.err "the chain lists monitor"
has a.out "check passed"

# With the program in progs/, -t names the file that will be sent.
cp "$T/pass.ebpf" "$P/progs/pass.ebpf"
st=0
env HOME="$H" "$BIN/pktxpmgr" -t "$MLET" >"$T/b.out" 2>"$T/b.err" </dev/null || st=$?
[ "$st" = 0 ] || { fail "with program: exit $st"; cat "$T/b.err" >&2; }
has b.out ": pass.ebpf"
hasnt b.err "the chain lists monitor"

# The proxy configuration, through a proxy name nobody resolves.
st=0
env HOME="$H" "$BIN/pktxpmgr" -t -c "$P/xpmgr.proxy.conf" -a proxy.invalid "$MLET" \
    >"$T/c.out" 2>"$T/c.err" </dev/null || st=$?
[ "$st" = 0 ] || { fail "proxy conf: exit $st"; cat "$T/c.err" >&2; }
has c.out "mode:             proxy: 2 backlog connection(s) per SNI key to proxy.invalid:20557"
has c.out "check passed"

# An operator key the grant does not come from: the second entry fails.
cp "$P/keys/k_eop.pub" "$P/keys/caida_k_eop.pub"
st=0
env HOME="$H" "$BIN/pktxpmgr" -t "$MLET" >"$T/d.out" 2>"$T/d.err" </dev/null || st=$?
[ "$st" = 1 ] || fail "wrong operator key: exit $st, want 1"
has d.err "ExpExec: chain: caida_exppriv.cert: untrusted root"

if [ "$fails" -ne 0 ]; then
	echo "xpmgr_check_credinit: $fails failure(s)" >&2
	exit 1
fi
echo "xpmgr_check_credinit: all passed"
