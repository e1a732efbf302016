#!/bin/sh
# wireshark_types: contrib/wireshark/pktlab.lua decodes every message type
# of the protocol spec.  A pcap in pktxpmgr's --trace format holding one of
# each (byte layouts from docs: protocol spec §4), plus an unknown type and
# a malformed body, is read by Debian's tshark; the one-line summary of each
# and a few fields per type are compared with what the spec says.
set -eu
: "${PL_SRC_DIR:?run through ctest}"
command -v tshark >/dev/null || { echo "SKIP: tshark is not installed"; exit 77; }
tshark --version 2>/dev/null | grep -q 'with Lua' ||
    { echo "SKIP: this tshark has no Lua"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/wireshark_types.XXXXXX")
trap 'rm -rf "$T"' EXIT
export HOME=$T
LUA=$PL_SRC_DIR/contrib/wireshark/pktlab.lua

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

cat >"$T/gen.py" <<'EOF'
import struct, sys

def msg(t, body):
    return bytes([t]) + len(body).to_bytes(3, 'big') + body

ip4 = bytes([127, 0, 0, 1])
ip6 = bytes(15) + b'\x01'
any4 = bytes(4)
t0 = (1796496429667982763).to_bytes(8, 'big')
wasm = b'\x01\x00asm\x01\x00\x00\x00'
ebpf = b'\x00' + bytes([0x06, 0, 0, 0, 0, 0, 0, 0x40])
chl = b'\x02\xaa\xbb\x00'
M = [  # (direction, flags, message)
    (1, 1, msg(0x20, b'\x07monitor' + wasm)),                        # cdata
    (1, 1, msg(0x21, b'')),                                          # start
    (0, 1, msg(0x40, b'')),                                          # result SUCCESS
    (0, 1, msg(0x65, struct.pack('>III', 7, 2, 5) + b'monitor\x00\x00hello')),  # linfo
    (1, 0, msg(0x22, b'')),                                          # end
    (1, 0, msg(0x23, t0)),                                           # yield
    (1, 0, msg(0x24, b'')),                                          # cont
    (1, 0, msg(0x28, struct.pack('>IH', 0x10010000, 8))),            # mread
    (0, 0, msg(0x41, struct.pack('>I', 0x10010000) + t0)),           # mdata
    (1, 0, msg(0x29, struct.pack('>I', 0x20000070) + b'\x00\x02')),  # mwrite
    (1, 0, msg(0x2A, bytes([1, 4, 6]) + struct.pack('>I', 4096) + any4 + b'\x00\x00' + ip4 + b'\x00\x50')),  # nopen TCP
    (1, 0, msg(0x2A, bytes([2, 6, 0x11]) + struct.pack('>I', 4096) + ip6 + b'\x13\x88')),  # nopen UDP v6
    (1, 0, msg(0x2B, b'\x01')),                                      # nclose
    (1, 0, msg(0x2C, bytes([2, 4, 0x11]) + bytes(8) + b'\x00\x07' + ip4 + b'\x00\x35' + b'q' * 33)),  # nsend UDP
    (1, 0, msg(0x2D, bytes([3, 4, 0]) + b'\xff' * 8 + ebpf)),        # ncap
    (1, 0, msg(0x2E, bytes([1, 4, 6]) + bytes(8) + b'\x01')),        # nctl
    (1, 0, msg(0x30, b'\x30\x03\x02\x01\x00')),                      # xcert
    (1, 0, msg(0x31, chl + bytes(32) + b'country=USA;')),            # xpub
    (1, 0, msg(0x38, chl + bytes(32))),                              # xsub
    (0, 0, msg(0x40, struct.pack('>HHH', 0x12, 1, 7))),              # result ECTLMONREJ
    (0, 0, msg(0x60, b'\x01\x00\x07' + t0 + b'\x00\x41')),           # ntag EPKTNOTSENT
    (0, 0, msg(0x61, bytes([1, 6, 6]) + t0 + ip6 + b'\x00\x50')),    # nstat ESTABLISHED v6
    (0, 0, msg(0x61, bytes([1, 4, 6]) + t0 + b'\x01')),              # nstat RESET
    (0, 0, msg(0x62, bytes([3, 4, 0]) + t0 + b'\x45' + bytes(19))),  # ndata RAW
    (0, 0, msg(0x63, bytes([3, 4, 0]) + t0 + t0 + struct.pack('>II', 2, 100))),  # ndrop
    (0, 0, msg(0x64, bytes([1, 4, 6]) + b'\x00\x05' + t0)),          # nblock
    (0, 0, msg(0x68, b'')),                                          # suspd
    (0, 0, msg(0x69, b'')),                                          # resumd
    (0, 0, msg(0x70, b'\x02\xaa\xbb' + b'hostid=x;')),               # xnotify
    (1, 0, msg(0x80, b'abc123')),                                    # xreg
    (1, 0, msg(0x99, b'\x01\x02')),                                  # unknown type
    (1, 0, msg(0x2B, b'\x01\x02')),                                  # malformed nclose
]
out = sys.stdout.buffer
out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, 147))
for i, (d, f, m) in enumerate(M):
    rec = bytes([1, d, f, 0]) + m
    out.write(struct.pack('<IIII', 1796496429, i, len(rec), len(rec)) + rec)
EOF
python3 "$T/gen.py" >"$T/all.pcap"
tshark -n -X "lua_script:$LUA" -r "$T/all.pcap" -T fields -E separator='|' \
    -e _ws.col.Source -e _ws.col.Destination -e _ws.col.Info >"$T/got.txt" 2>"$T/err.txt" ||
    { cat "$T/err.txt" >&2; fail "tshark failed"; }
cat >"$T/want.txt" <<'EOF'
pktxpmgr|endpoint|cdata hint "monitor", 9-byte program [pktxpmgr]
pktxpmgr|endpoint|start [pktxpmgr]
endpoint|pktxpmgr|result SUCCESS [pktxpmgr]
endpoint|pktxpmgr|linfo name "monitor", 5 bytes of info [pktxpmgr]
mlet|endpoint|end
mlet|endpoint|yield rhint 1796496429667982763
mlet|endpoint|cont
mlet|endpoint|mread addr 0x10010000, 8 bytes
endpoint|mlet|mdata addr 0x10010000, 8 bytes
mlet|endpoint|mwrite addr 0x20000070, 2 bytes
mlet|endpoint|nopen skt 1 IPv4/TCP 0.0.0.0:0 -> 127.0.0.1:80
mlet|endpoint|nopen skt 2 IPv6/UDP [::1]:5000
mlet|endpoint|nclose skt 1
mlet|endpoint|nsend skt 2 IPv4/UDP tag 7 to 127.0.0.1:53, 33 bytes
mlet|endpoint|ncap skt 3 IPv4/RAW
mlet|endpoint|nctl skt 1 IPv4/TCP TCP_FIN
mlet|endpoint|xcert 5-byte certificate
mlet|endpoint|xpub 1 channel(s)
mlet|endpoint|xsub 1 channel(s)
endpoint|mlet|result ECTLMONREJ
endpoint|mlet|ntag skt 1 tag 7 EPKTNOTSENT
endpoint|mlet|nstat skt 1 IPv6/TCP ESTABLISHED [::1]:80
endpoint|mlet|nstat skt 1 IPv4/TCP RESET
endpoint|mlet|ndata skt 3 IPv4/RAW, 20 bytes
endpoint|mlet|ndrop skt 3 IPv4/RAW, 2 units, 100 bytes
endpoint|mlet|nblock skt 1 IPv4/TCP monitor error 0x0005
endpoint|mlet|suspd
endpoint|mlet|resumd
endpoint|mlet|xnotify
mlet|endpoint|xreg abc123
mlet|endpoint|type 0x99
mlet|endpoint|nclose skt 1
EOF
diff "$T/want.txt" "$T/got.txt" || fail "summaries differ"

f() {
	tshark -n -X "lua_script:$LUA" -r "$T/all.pcap" -Y "$1" -T fields -E separator='|' \
	    -e "$2" ${3:+-e "$3"} ${4:+-e "$4"} 2>/dev/null
}
check() {
	[ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
}
check "$(f 'pktlab.type == 0x20' pktlab.hint pktlab.prog.type)" "monitor|0x01" cdata
check "$(f 'pktlab.type == 0x65' pktlab.linfo.name pktlab.linfo.info)" "monitor|68656c6c6f" linfo
check "$(f 'pktlab.type == 0x2a && pktlab.proto == 0x11' pktlab.laddr6 pktlab.lport)" "::1|5000" "nopen v6"
check "$(f 'pktlab.type == 0x2c' pktlab.raddr pktlab.rport pktlab.payload_len)" "127.0.0.1|53|33" nsend
check "$(f 'pktlab.type == 0x40 && pktlab.errid == 0x12' pktlab.errname pktlab.monindx pktlab.monerrid)" \
    "ECTLMONREJ|1|0x0007" "result with monitor fields"
check "$(f 'pktlab.type == 0x60' pktlab.errname pktlab.time.abs)" \
    "EPKTNOTSENT|Dec  5, 2026 18:47:09.667982763 UTC" ntag
check "$(f 'pktlab.type == 0x2d' pktlab.prog.type pktlab.endtime)" "0x00|18446744073709551615" ncap
check "$(f 'pktlab.type == 0x31' pktlab.channel pktlab.nvp)" "aabb|country=USA;" xpub
check "$(f 'pktlab.type == 0x80' pktlab.snikey)" "abc123" xreg
check "$(f 'pktlab.type == 0x63' pktlab.unitcnt pktlab.bytecnt)" "2|100" ndrop
# Only the last record is malformed, and it says so.
check "$(tshark -n -X "lua_script:$LUA" -r "$T/all.pcap" -Y '_ws.expert.severity == "error"' \
    -T fields -e frame.number 2>/dev/null)" 32 "malformed records"
tshark -n -X "lua_script:$LUA" -r "$T/all.pcap" -V -Y 'frame.number == 32' 2>/dev/null |
    grep -q 'Malformed nclose' || fail "no 'Malformed nclose' expert note"
echo "ok"
