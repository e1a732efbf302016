#!/bin/sh
# xpmgr_tshark: the Wireshark dissector (contrib/wireshark/pktlab.lua) run
# by Debian's tshark on traces that real sessions made through a real
# pktlab-endpoint: test_http_get (TCP), test_dns (UDP), and xp_mlet's mread
# and nsend on a socket that is not open (mread/mdata, an error result, a
# message above the trace's capture size).  Decoded fields are checked.
. "$(dirname "$0")/xpmgr_lib"
xp_need_low_ports 53
command -v tshark >/dev/null || { echo "SKIP: tshark is not installed"; exit 77; }
tshark --version 2>/dev/null | grep -q 'with Lua' ||
    { echo "SKIP: this tshark has no Lua"; exit 77; }
LUA=$PL_SRC_DIR/contrib/wireshark/pktlab.lua
xp_pki
PORT=$(xp_port)
R=$T/res
# tshark keeps its profile under HOME; nothing of the user's is read.
export HOME=$T

ts() {
	tshark -n -X "lua_script:$LUA" -r "$@" 2>"$T/tshark.err" ||
	    { cat "$T/tshark.err" >&2; fail "tshark failed on $1"; }
}

# fields PCAP FILTER FIELD...: one line per matching message, fields by '|'.
fields() {
	_f=$1
	_y=$2
	shift 2
	_e=
	for _x in "$@"; do
		_e="$_e -e $_x"
	done
	# shellcheck disable=SC2086
	ts "$_f" -Y "$_y" -T fields -E separator='|' $_e
}

expect_eq() {
	[ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
}

run() {
	xp_start -c "$CONF" -a "127.0.0.1:$PORT" -n 1 -o "$R" --append --trace "$@"
	xp_endpoint "$PORT" 2>"$T/endpoint.log" || fail "pktlab-endpoint failed"
	xp_expect_exit 0 10
}

xp_server xp_httpd -a 127.0.0.1 -p 80
xp_server xp_dnsd -a 127.0.0.1 -p 53 -A 192.0.2.80

# ---- test_http_get: s1
run "$PL_MLET_DIR/test_http_get" 127.0.0.1 /
P=$R/s1-127.0.0.1.pcap
# No message is malformed or unknown to the dissector.
expect_eq "$(ts "$P" -Y 'pktlab.type' | wc -l)" "$(ts "$P" | wc -l)" "http: every record is PacketLab"
expect_eq "$(ts "$P" -Y '_ws.expert.severity == "error" || _ws.malformed' | wc -l)" 0 \
    "http: malformed messages"
# Set-up: start from pktxpmgr, its result, both marked intercepted.
expect_eq "$(fields "$P" 'pktlab.intercepted == 1' pktlab.type pktlab.dir pktlab.errname)" \
    "$(printf '0x21|1|\n0x40|0|SUCCESS')" "http: set-up messages"
expect_eq "$(fields "$P" 'pktlab.type == 0x2a' pktlab.sktid pktlab.family pktlab.proto \
    pktlab.rbufsz pktlab.laddr pktlab.lport pktlab.raddr pktlab.rport pktlab.dir)" \
    "1|0x04|0x06|4096|0.0.0.0|0|127.0.0.1|80|1" "http: nopen"
expect_eq "$(fields "$P" 'pktlab.type == 0x2c' pktlab.proto pktlab.tag pktlab.payload_len)" \
    "0x06|1234|35" "http: nsend (GET / HTTP/1.0, Host: 127.0.0.1)"
expect_eq "$(fields "$P" 'pktlab.type == 0x61 && pktlab.raddr' pktlab.nstat.code pktlab.raddr pktlab.rport)" \
    "0|127.0.0.1|80" "http: nstat ESTABLISHED"
expect_eq "$(fields "$P" 'pktlab.type == 0x60' pktlab.tag pktlab.errname)" "1234|SUCCESS" "http: ntag"
# ndata: the bytes the mlet says it received, and they are the page.
got=$(fields "$P" 'pktlab.type == 0x62' pktlab.payload_len | awk '{ n += $1 } END { print n }')
want=$(sed -n 's/^Received data length: //p' "$R/s1-127.0.0.1.err")
expect_eq "$got" "$want" "http: ndata payload bytes"
# All of them: the server's headers and page may arrive in separate ndata.
ts "$P" -Y 'pktlab.type == 0x62' -T fields -e pktlab.payload |
    python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex("".join(sys.stdin.read().split())))' |
    grep -q 'Hello from the local web server' || fail "http: ndata payload is not the page"
expect_eq "$(fields "$P" 'pktlab.type == 0x2b' pktlab.sktid)" 1 "http: nclose"
expect_eq "$(fields "$P" 'pktlab.type == 0x40 && pktlab.intercepted == 0' pktlab.errname | sort -u)" \
    SUCCESS "http: results"

# ---- test_dns: s2
run "$PL_MLET_DIR/test_dns" www.pktlab.test 127.0.0.1
P=$R/s2-127.0.0.1.pcap
expect_eq "$(fields "$P" 'pktlab.type == 0x2a' pktlab.proto pktlab.laddr pktlab.lport pktlab.raddr)" \
    "0x11|0.0.0.0|0|" "dns: nopen"
# 12-byte header, www.pktlab.test as 17 bytes of labels, type and class.
expect_eq "$(fields "$P" 'pktlab.type == 0x2c' pktlab.proto pktlab.raddr pktlab.rport pktlab.tag pktlab.payload_len)" \
    "0x11|127.0.0.1|53|1234|33" "dns: nsend"
expect_eq "$(fields "$P" 'pktlab.type == 0x62' pktlab.proto pktlab.raddr pktlab.rport)" \
    "0x11|127.0.0.1|53" "dns: ndata"
len=$(fields "$P" 'pktlab.type == 0x62' pktlab.payload_len)
[ "$len" -gt 33 ] || fail "dns: ndata payload of $len bytes"
expect_eq "$(fields "$P" 'pktlab.type == 0x40' pktlab.errname | sort -u)" SUCCESS "dns: results"
# Byte totals per direction equal sessions.jsonl's (relayed, not intercepted).
for d in 0 1; do
	got=$(ts "$P" -Y "pktlab.dir == $d && pktlab.intercepted == 0" -T fields -e frame.len |
	    awk '{ n += $1 - 4 } END { print n + 0 }')
	key=$([ $d = 0 ] && echo endpoint_to_mlet || echo mlet_to_endpoint)
	want=$(jq -r "select(.session == 2) | .relayed.$key.bytes" "$R/sessions.jsonl")
	expect_eq "$got" "$want" "dns: bytes $key"
done

# ---- xp_mlet mread 2: s3 (mread and mdata of the endpoint's clock)
run "$MLET" mread 2 "$T/mread.out"
P=$R/s3-127.0.0.1.pcap
expect_eq "$(fields "$P" 'pktlab.type == 0x28' pktlab.addr pktlab.mlen | sort -u)" \
    "0x10010000|8" "mread"
expect_eq "$(fields "$P" 'pktlab.type == 0x41' pktlab.addr pktlab.data_len | sort -u)" \
    "0x10010000|8" "mdata"
expect_eq "$(fields "$P" 'pktlab.type == 0x41' pktlab.dir | wc -l)" 2 "two mdata"

# ---- xp_mlet nsend 300000: s4 (socket 1 not open: ESKTNOTOPEN; the
# message is above the 256 KiB capture size, so it is captured in part)
run "$MLET" nsend 300000 "$T/nsend.out"
expect_grep '^reply 51$' "$T/nsend.out"
P=$R/s4-127.0.0.1.pcap
expect_eq "$(fields "$P" 'pktlab.type == 0x2c' pktlab.sktid pktlab.proto pktlab.payload_len frame.len frame.cap_len)" \
    "1|0x06|300000|300021|262144" "big nsend"
expect_eq "$(fields "$P" 'pktlab.type == 0x40 && pktlab.intercepted == 0' pktlab.errid pktlab.errname)" \
    "0x0033|ESKTNOTOPEN" "error result"
ts "$P" -V -Y 'pktlab.type == 0x40 && pktlab.intercepted == 0' >"$T/v.txt"
expect_grep '^PacketLab result, endpoint -> mlet: ESKTNOTOPEN$' "$T/v.txt"
expect_grep '^    Error: ESKTNOTOPEN \(0x0033\)$' "$T/v.txt"
expect_grep 'Error result: ESKTNOTOPEN' "$T/v.txt"
ts "$P" -V -Y 'pktlab.type == 0x2c' >"$T/v.txt"
expect_grep 'Message captured in part' "$T/v.txt"
echo "ok"
