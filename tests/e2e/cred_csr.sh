#!/bin/sh
# cred_csr.sh: pktlab-cred from the command line, as an experimenter and an
# endpoint operator use it: keys, a request (csr), the operator's
# certificate for it (sign, command line merged over the request), show,
# and verify (accepted with the right root, refused with the reason and
# exit 1 otherwise).  The files are compared with the PacketLab vectors:
# the same keys give byte-identical requests (Ed25519 is deterministic) and
# certificates of the same ASN.1 shape as `openssl asn1parse` shows it.
set -eu

CRED="$PL_BIN_DIR/pktlab-cred"
PKI="$PL_TEST_DATA/pki"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# openssl's view with the serial blanked, offsets and lengths kept.
shape() {
	openssl asn1parse -in "$1" | sed -E 's/(INTEGER +:)[0-9A-F]{8,}$/\1SERIAL/'
}
# The same without offsets and lengths (serials of different sizes).
shape_loose() {
	shape "$1" | sed -E 's/^ *[0-9]+:d=([0-9]+) +hl= *[0-9]+ l= *[0-9]+/d=\1/'
}
keyid() {
	openssl pkey -pubin -in "$1" -outform DER | tail -c 32 |
	    openssl dgst -sha256 -r | cut -d' ' -f1
}

echo "== keys"
for k in k_eop k_exper k_xc; do
	"$CRED" key "$T/$k" >"$T/$k.out"
	[ "$(stat -c %a "$T/$k")" = 600 ] || fail "$k is not mode 0600"
	# The key id printed is SHA-256 of the raw key, as openssl computes it.
	grep -q "key id $(keyid "$T/$k.pub")" "$T/$k.out" ||
	    fail "$k: key id differs from openssl's"
done
if "$CRED" key "$T/k_eop" 2>"$T/err"; then
	fail "key replaced an existing key without -f"
fi
grep -q "already exists" "$T/err" || fail "no reason for refusing to replace"

echo "== request (csr) and its decode (show)"
"$CRED" csr -t exppriv -k "$T/k_exper" --pathlen 1 --desc "e2e request" \
    --max-socket-count 8 --max-recv-pkt 1000 \
    --limit x_site_policy=strict --optional x_site_policy \
    -o "$T/req.csr" >/dev/null
openssl req -in "$T/req.csr" -noout -verify 2>&1 | grep -qi "verify OK" ||
    fail "openssl does not verify the request's self-signature"
"$CRED" show "$T/req.csr" >"$T/show.csr"
grep -q "request for: exppriv" "$T/show.csr" || fail "csr type"
grep -q "pathLen:     1" "$T/show.csr" || fail "csr pathLen"
grep -q "max_recv_pkt *1000$" "$T/show.csr" || fail "csr limit"
grep -q "x_site_policy *strict (.*optional)" "$T/show.csr" ||
    fail "csr optional limit"
grep -q "subject key: $(keyid "$T/k_exper.pub")" "$T/show.csr" ||
    fail "csr key id"

echo "== the operator signs it (command line wins over the request)"
"$CRED" sign -K "$T/k_eop" -r "$T/req.csr" --max-socket-count 4 \
    --valid-dest 10.9.8.7/8 --not-before 0 --not-after 2147483647 \
    -o "$T/exppriv.cert" 2>"$T/sign.err"
grep -q "written as 10.0.0.0/8" "$T/sign.err" ||
    fail "no word about the masked valid_dest"
"$CRED" show "$T/exppriv.cert" >"$T/show.cert"
for want in "type:        exppriv (may sign; pathLen 1)" \
    "description: e2e request" "max_socket_count     4" \
    "max_recv_pkt         1000" "valid_dest           10.0.0.0/8" \
    "*x_site_policy       strict (not known to PacketLab; optional)" \
    "subject key: $(keyid "$T/k_exper.pub")" \
    "signer key:  $(keyid "$T/k_eop.pub")" \
    "valid:       1970-01-01 .. 2038-01-19 03:14:07 UTC"; do
	grep -qF "$want" "$T/show.cert" || fail "show lacks \"$want\""
done
# The 1.2.3.3 payload as written, seen by openssl.
openssl x509 -in "$T/exppriv.cert" -noout -text | grep -qF \
    'max_socket_count=4;max_recv_pkt=1000;valid_dest=10.0.0.0/8;*x_site_policy=strict;' ||
    fail "1.2.3.3 payload not as expected"

echo "== no known limit marked optional (PacketLab 1.1.0 crashes on one)"
# certs spec §9.4: libpktlab 1.1.0 dereferences NULL when it decodes a known
# limit written "*name", so such a certificate would kill every 1.1.0
# endpoint and pktxpmgr that reads it.  Refused on the command line ...
for args in "--max-recv-pkt 5 --optional max_recv_pkt" \
    "--limit *max_socket_count=2" "--monitor $(printf '%064d' 0) --optional monitor"; do
	for cmd in "csr -t exppriv -k $T/k_exper" "sign -K $T/k_eop -k $T/k_exper.pub -t exppriv"; do
		set +e
		# shellcheck disable=SC2086
		"$CRED" $cmd $args -o "$T/opt.out" >/dev/null 2>"$T/err"
		rc=$?
		set -e
		[ $rc = 2 ] || fail "$cmd $args: exit $rc, not 2"
		grep -q "PacketLab 1.1.0 .* crash" "$T/err" ||
		    fail "$cmd $args: no reason ($(cat "$T/err"))"
		[ ! -e "$T/opt.out" ] || fail "$cmd $args: wrote a file"
	done
done
# ... and when a request (from another tool) asks for it: its own key signs
# a PKCS#10 request with "*max_recv_pkt=5;" in 1.2.3.3.
hexof() { printf '%s' "$1" | od -An -tx1 | tr -s ' \n' '::' | sed 's/^://; s/:$//'; }
info="cert_type=exppriv;"
lim="*max_recv_pkt=5;"
openssl req -new -key "$T/k_exper" -subj "/CN=x" -out "$T/optreq.csr" \
    -addext "1.2.3.1=critical,DER:04:$(printf '%02x' ${#info}):$(hexof "$info")" \
    -addext "1.2.3.3=critical,DER:04:$(printf '%02x' ${#lim}):$(hexof "$lim")"
set +e
"$CRED" sign -K "$T/k_eop" -r "$T/optreq.csr" -o "$T/opt.cert" >/dev/null 2>"$T/err"
rc=$?
set -e
[ $rc = 1 ] || fail "request with *max_recv_pkt: exit $rc, not 1"
grep -q "\*max_recv_pkt.*PacketLab 1.1.0 .* crash" "$T/err" ||
    fail "request with *max_recv_pkt: no reason ($(cat "$T/err"))"
[ ! -e "$T/opt.cert" ] || fail "request with *max_recv_pkt: certificate written"
# The command line can make it mandatory: it wins name by name.
"$CRED" sign -K "$T/k_eop" -r "$T/optreq.csr" --max-recv-pkt 5 \
    -o "$T/opt.cert" >/dev/null 2>&1 || fail "--max-recv-pkt over the request's *max_recv_pkt"
"$CRED" show "$T/opt.cert" | grep -q "^    max_recv_pkt  *5$" ||
    fail "max_recv_pkt not made mandatory"

echo "== the experimenter signs the controller's pubcmd"
"$CRED" sign -K "$T/k_exper" -k "$T/k_xc.pub" -t pubcmd \
    --not-before 2020-01-01 --not-after 2037-12-31T23:59:59Z \
    -o "$T/pubcmd.cert" 2>/dev/null
if "$CRED" sign -K "$T/k_exper" -k "$T/k_xc.pub" -t pubcmd \
    --max-socket-count 1 -o "$T/bad.cert" 2>"$T/err"; then
	fail "a pubcmd with limits was signed"
fi
grep -q "cannot carry limits" "$T/err" || fail "no reason for limits"

echo "== verify"
"$CRED" verify -r "$T/k_eop.pub" "$T/pubcmd.cert" "$T/exppriv.cert" \
    >"$T/verify.out"
grep -q "^ACCEPTED (controller chain, 2 certificates" "$T/verify.out" ||
    fail "chain not accepted"
grep -q "channel: $(keyid "$T/k_eop.pub")" "$T/verify.out" ||
    fail "channel is not the operator's key id"
# The order on the command line does not matter after the leaf ...
"$CRED" verify -q -r "$T/k_eop.pub" "$T/pubcmd.cert" "$T/exppriv.cert" ||
    fail "quiet verify"
# ... but the leaf must be first; --leaf-key reorders as pktxpmgr does.
set +e
"$CRED" verify -r "$T/k_eop.pub" "$T/exppriv.cert" "$T/pubcmd.cert" \
    >"$T/v1" 2>&1
rc=$?
set -e
[ $rc = 1 ] || fail "leaf not first: exit $rc, not 1"
grep -q "the leaf must be first" "$T/v1" || fail "leaf-first reason"
"$CRED" verify -q --leaf-key "$T/k_xc.pub" -r "$T/k_eop.pub" \
    "$T/exppriv.cert" "$T/pubcmd.cert" || fail "--leaf-key"
set +e
"$CRED" verify -r "$T/k_exper.pub" "$T/pubcmd.cert" "$T/exppriv.cert" \
    >"$T/v2" 2>&1
rc=$?
"$CRED" verify --at 2038-02-01 -r "$T/k_eop.pub" "$T/pubcmd.cert" \
    "$T/exppriv.cert" >"$T/v3" 2>&1
rc3=$?
"$CRED" verify -r "$T/k_eop.pub" "$T/pubcmd.cert" >"$T/v4" 2>&1
rc4=$?
set -e
[ $rc = 1 ] && grep -q "exppriv.cert: untrusted root" "$T/v2" ||
    fail "wrong root: exit $rc, $(cat "$T/v2")"
[ $rc3 = 1 ] && grep -q "pubcmd.cert: expired 2037-12-31 23:59:59 UTC" \
    "$T/v3" || fail "expired: exit $rc3, $(cat "$T/v3")"
[ $rc4 = 1 ] && grep -q "needs at least 2" "$T/v4" ||
    fail "one certificate: exit $rc4"
# Without roots it is accepted, with a warning that nothing pinned it.
"$CRED" verify "$T/pubcmd.cert" "$T/exppriv.cert" >/dev/null 2>"$T/v5"
grep -q "NOT checked" "$T/v5" || fail "no warning without roots"

echo "== the same keys give the vectors' bytes and shapes"
for r in exppriv_exper:exppriv: delpriv_exp_exper:delpriv:exppriv; do
	name=${r%%:*}; rest=${r#*:}; type=${rest%%:*}; del=${rest#*:}
	if [ -n "$del" ]; then
		"$CRED" csr -t "$type" --del-type "$del" -k "$PKI/keys/k_exper" \
		    -o "$T/$name.csr" >/dev/null
	else
		"$CRED" csr -t "$type" -k "$PKI/keys/k_exper" \
		    -o "$T/$name.csr" >/dev/null
	fi
	cmp -s "$T/$name.csr" "$PKI/csrs/$name.csr" ||
	    fail "$name.csr differs from the vector"
done
"$CRED" csr -t delpriv --del-type reppriv -k "$PKI/keys/k_eop" \
    -o "$T/delpriv_rep_eop.csr" >/dev/null
cmp -s "$T/delpriv_rep_eop.csr" "$PKI/csrs/delpriv_rep_eop.csr" ||
    fail "delpriv_rep_eop.csr differs from the vector"

mk() {	# TYPE SIGNER SUBJECT OUT
	"$CRED" sign -t "$1" -K "$PKI/keys/$2" -k "$PKI/keys/$3.pub" \
	    --not-before 0 --not-after 2147483647 -o "$T/$4" 2>/dev/null
}
mk pubcmd k_exper k_xc pubcmd_exper_xc.cert
mk agent k_xc k_xc agent_xc_xc.cert
mk agent k_ep k_ep agent_ep_ep.cert
mk subcmd k_eop k_ep subcmd_eop_ep.cert
mk exppriv k_eop k_exper exppriv_eop_exper.cert
for c in pubcmd_exper_xc agent_xc_xc agent_ep_ep subcmd_eop_ep \
    exppriv_eop_exper; do
	shape_loose "$T/$c.cert" >"$T/$c.mine"
	shape_loose "$PKI/certs/$c.cert" >"$T/$c.vec"
	diff -u "$T/$c.vec" "$T/$c.mine" >&2 ||
	    fail "$c.cert has another shape than the vector"
done
# With a 16-byte serial both ways, offsets and lengths agree too (§2.4).
shape "$T/pubcmd_exper_xc.cert" >"$T/exact.mine"
shape "$PKI/certs/pubcmd_exper_xc.cert" >"$T/exact.vec"
diff -u "$T/exact.vec" "$T/exact.mine" >&2 ||
    fail "pubcmd_exper_xc.cert differs from the vector's layout"
head -1 "$T/exact.mine" | grep -q "l= 367 cons: SEQUENCE" ||
    fail "pubcmd is not 371 bytes"
"$CRED" verify -q -r "$PKI/keys/k_eop.pub" "$T/pubcmd_exper_xc.cert" \
    "$T/exppriv_eop_exper.cert" || fail "reissued chain refused"

echo "== help for the tool and every command"
"$CRED" --help | grep -q "^Commands:" || fail "top help"
for c in init key csr sign show verify; do
	"$CRED" "$c" --help >"$T/help" || fail "$c --help exit status"
	grep -q "^usage: pktlab-cred $c" "$T/help" || fail "$c --help text"
done
set +e
"$CRED" sign >/dev/null 2>&1
rc=$?
set -e
[ $rc = 2 ] || fail "usage error exit $rc, not 2"
# Validity past 2262-04-11 overflows 1.1.0's 64-bit nanosecond times.
set +e
"$CRED" sign -K "$T/k_eop" -k "$T/k_exper.pub" -t exppriv --not-after 2300-01-01 \
    -o "$T/far.cert" >/dev/null 2>"$T/far.err"
rc=$?
set -e
[ $rc = 2 ] || fail "--not-after 2300: exit $rc, not 2"
grep -q "after 2262-04-11T23:47:16Z, where PacketLab 1.1.0's nanosecond clock overflows" \
    "$T/far.err" || fail "--not-after 2300: $(cat "$T/far.err")"
[ ! -e "$T/far.cert" ] || fail "--not-after 2300 wrote a certificate"
"$CRED" sign -K "$T/k_eop" -k "$T/k_exper.pub" -t exppriv --not-after 2262-04-11 \
    -o "$T/far.cert" >/dev/null 2>&1 || fail "--not-after 2262-04-11 refused"
echo "cred_csr: ok"
