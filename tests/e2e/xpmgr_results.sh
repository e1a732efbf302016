#!/bin/sh
# xpmgr_results: -o DIR --trace with several endpoints at once.  Three real
# pktlab-endpoints run test_http_get through one pktxpmgr at the same time:
# each mlet's output is in its own file, whole; sessions.jsonl parses and
# every field is right (key id as pktlab-cred show prints it, byte counts
# equal to the trace's totals); run.json is rewritten at exit.  An earlier
# run is refused without --append and kept with it.  A forced end (second
# SIGINT) and a SIGKILL leave every finished session in sessions.jsonl.
. "$(dirname "$0")/xpmgr_lib"
xp_need_low_ports 80
command -v jq >/dev/null || { echo "SKIP: jq is not installed"; exit 77; }
xp_pki
PORT=$(xp_port)
R=$T/res
N=3

# jrec FILE ID FILTER: FILTER holds for session ID's record of FILE (one
# input per jq run: jq 1.6's -e looks at the last input only).
jrec() {
	jq -c "select(.session == $2)" "$1" >"$T/rec.json"
	[ -s "$T/rec.json" ] && jq -e "$3" "$T/rec.json" >/dev/null
}

xp_server xp_httpd -a 127.0.0.1 -p 80

# Three endpoints, three identities: endpoint 0 is pktlab-cred init's, 1
# and 2 get keys and subcmd certificates of their own from the same operator.
EOPKEY=$T/pktlab/keys/k_eop
[ -f "$EOPKEY" ] || fail "no operator key at $EOPKEY"
cp "$EPCONF" "$T/endpt0.conf"
for i in 1 2; do
	"$CRED" key "$T/k_ep$i" >/dev/null || fail "pktlab-cred key"
	"$CRED" sign -K "$EOPKEY" -k "$T/k_ep$i.pub" -t subcmd --not-before 0 --not-after 2147483647 \
	    -o "$T/ep$i.cert" 2>"$T/sign.err" || { cat "$T/sign.err" >&2; fail "pktlab-cred sign"; }
	sed -e "s|^EndpointPrivKey.*|EndpointPrivKey $T/k_ep$i|" \
	    -e "s|^ControllerCertChainPath.*|ControllerCertChainPath $T/ep$i.cert|" \
	    "$EPCONF" >"$T/endpt$i.conf"
done

xp_start -c "$CONF" -a "127.0.0.1:$PORT" -n $N -o "$R" --trace \
    "$PL_MLET_DIR/test_http_get" 127.0.0.1 /
[ "$(stat -c %a "$R")" = 700 ] || fail "results folder is not 0700"
jq -e '.end == null and .run == 1' "$R/run.json" >/dev/null || fail "run.json at start"
i=0
EPS=
while [ $i -lt $N ]; do
	"$ENDPOINT" -c "$T/endpt$i.conf" "127.0.0.1:$PORT" 2>"$T/endpoint$i.log" &
	EPS="$EPS $!"
	i=$((i + 1))
done
for p in $EPS; do
	wait "$p" || fail "pktlab-endpoint failed"
done
xp_expect_exit 0 15

# Nothing of the mlets on pktxpmgr's own stdout; one whole page per file.
[ ! -s "$T/mlet.out" ] || fail "mlet output reached pktxpmgr's stdout"
i=1
while [ $i -le $N ]; do
	out=$R/s$i-127.0.0.1.out
	[ -f "$out" ] && [ -f "$R/s$i-127.0.0.1.err" ] && [ -f "$R/s$i-127.0.0.1.pcap" ] ||
	    fail "s$i: missing output files: $(ls "$R")"
	[ "$(grep -c '^HTTP/1.0 200 OK' "$out")" = 1 ] || fail "$out: not exactly one response"
	[ "$(grep -c '<h1>Hello from the local web server</h1>' "$out")" = 1 ] ||
	    fail "$out: not exactly one page"
	[ "$(stat -c %a "$out")" = 600 ] || fail "$out is not 0600"
	i=$((i + 1))
done
# The same mlet against the same page: the files are identical, so no
# line of one session's output went to another's file.
cmp "$R/s1-127.0.0.1.out" "$R/s2-127.0.0.1.out" || fail "outputs differ"
cmp "$R/s1-127.0.0.1.out" "$R/s3-127.0.0.1.out" || fail "outputs differ"

# sessions.jsonl: one valid object per session, every field checked.
J=$R/sessions.jsonl
[ "$(wc -l <"$J")" = $N ] || fail "sessions.jsonl has $(wc -l <"$J") lines"
jq -e . "$J" >/dev/null || fail "sessions.jsonl does not parse"
# The key ids pktlab-cred show prints for the three endpoint certificates
# are the three sessions' key ids, one each.
: >"$T/keyids.want"
for i in 0 1 2; do
	c=$(sed -n 's/^ControllerCertChainPath[ 	]*//p' "$T/endpt$i.conf")
	k=$("$CRED" show "$c" | sed -n 's/^ *subject key: *\([0-9a-f]*\).*/\1/p' | head -n 1)
	[ -n "$k" ] || fail "pktlab-cred show printed no key id for $c"
	echo "$k" >>"$T/keyids.want"
done
sort -o "$T/keyids.want" "$T/keyids.want"
[ "$(uniq "$T/keyids.want" | wc -l)" = 3 ] || fail "the endpoints' key ids are not distinct"
jq -r .endpoint_key_id "$J" | sort >"$T/keyids.got"
diff "$T/keyids.want" "$T/keyids.got" || fail "sessions.jsonl's key ids are not the endpoints'"
SNIKEY=$(jq -r '.expexec[0].sni_key' "$R/run.json")
for id in $(jq -r '.session' "$J"); do
	# Each check is named: the names of those that fail are printed.
	bad=$(jq -r --argjson id "$id" --arg sni "$SNIKEY" '
	    select(.session == $id) | {
	    run: (.run == 1),
	    address: (.endpoint.address == "127.0.0.1"),
	    port: (.endpoint.port | type == "number" and . > 0 and . < 65536),
	    keyid: (.endpoint_key_id | test("^[0-9a-f]{64}$")),
	    sni: (.sni == null),
	    snikey: (.expexec.sni_key == $sni and .expexec.default == true),
	    line: (.expexec.line > 0),
	    tlsver: (.tls.version == "TLSv1.3"),
	    cipher: (.tls.cipher | startswith("TLS_")),
	    start: (.start | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{3}Z$")),
	    end: ((.end | test("^[0-9-]{10}T[0-9:]{8}[.][0-9]{3}Z$")) and .end >= .start),
	    duration: (.duration_ms >= 0 and .duration_ms < 15000),
	    ml2ep: (.relayed.mlet_to_endpoint.messages == 3),
	    ep2ml: (.relayed.endpoint_to_mlet.messages >= 3),
	    icpt: (.intercepted.mlet_to_endpoint.messages == 1 and
	        .intercepted.endpoint_to_mlet.messages == 1),
	    linfo: (.linfo == 0),
	    ended: (.ended.how == "done" and .ended.reason == "mlet closed its socket"),
	    mlet: (.mlet.exit == 0 and .mlet.pid > 1 and .mlet.singleton == false),
	    files: (.mlet.stdout == "s\($id)-127.0.0.1.out" and
	        .mlet.stderr == "s\($id)-127.0.0.1.err"),
	    trace: (.trace == "s\($id)-127.0.0.1.pcap")
	    } | to_entries[] | select(.value != true) | .key' "$J")
	[ -z "$bad" ] || { jq "select(.session == $id)" "$J" >&2; fail "s$id: wrong:" $bad; }
	# The key id is the endpoint's: the summary log names the same pid.
	pid=$(jq -r "select(.session == $id) | .mlet.pid" "$J")
	expect_grep "\[s$id [^]]*\] session started; mlet pid $pid," "$T/xpmgr.log"
done

# Byte and message counts equal the trace's totals, per direction and kind
# (the pcap read here without Wireshark: records, pseudo-header, lengths).
cat >"$T/pcapsum.py" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
magic, vmaj, vmin, _, _, snap, link = struct.unpack('<IHHiIII', d[:24])
# Nanosecond time stamps (magic 0xa1b23c4d), LINKTYPE_USER0.
assert magic == 0xa1b23c4d and (vmaj, vmin) == (2, 4) and link == 147, (hex(magic), link)
off, tot = 24, {}
while off < len(d):
    sec, nsec, cap, orig = struct.unpack('<IIII', d[off:off + 16])
    assert nsec < 1000000000
    rec = d[off + 16:off + 16 + cap]
    ver, dirn, flags, _ = rec[:4]
    assert ver == 1 and dirn in (0, 1) and flags in (0, 1)
    mlen = 4 + int.from_bytes(rec[5:8], 'big')
    assert orig - 4 == mlen, (orig, mlen)
    k = ('icpt' if flags else 'relay', 'ep2ml' if dirn == 0 else 'ml2ep')
    m, b = tot.get(k, (0, 0))
    tot[k] = (m + 1, b + orig - 4)
    off += 16 + cap
for kind in ('relay', 'icpt'):
    for dn in ('ep2ml', 'ml2ep'):
        m, b = tot.get((kind, dn), (0, 0))
        print(kind, dn, m, b)
EOF
for id in 1 2 3; do
	python3 "$T/pcapsum.py" "$R/s$id-127.0.0.1.pcap" >"$T/sum$id" || fail "s$id: bad pcap"
	jq -r "select(.session == $id) |
	    \"relay ep2ml \(.relayed.endpoint_to_mlet.messages) \(.relayed.endpoint_to_mlet.bytes)\",
	    \"relay ml2ep \(.relayed.mlet_to_endpoint.messages) \(.relayed.mlet_to_endpoint.bytes)\",
	    \"icpt ep2ml \(.intercepted.endpoint_to_mlet.messages) \(.intercepted.endpoint_to_mlet.bytes)\",
	    \"icpt ml2ep \(.intercepted.mlet_to_endpoint.messages) \(.intercepted.mlet_to_endpoint.bytes)\"" \
	    "$J" >"$T/want$id"
	diff "$T/want$id" "$T/sum$id" || fail "s$id: sessions.jsonl and the trace disagree"
	# The summary log line says the same.
	b=$(jq -r "select(.session == $id) | .relayed.mlet_to_endpoint.bytes" "$J")
	expect_grep "\[s$id [^]]*\] session done .*mlet->endpoint 3 msgs $b B" "$T/xpmgr.log"
done

# run.json rewritten at exit: the end, the totals, the entries.
jq -e --arg conf "$CONF" '.program == "pktxpmgr" and .run == 1 and
    .config == $conf and .mode == "passive" and .trace == true and
    (.command_line | index("--trace") != null) and
    (.expexec | length == 1) and (.expexec[0].chain | length >= 1) and
    (.expexec[0].channels | length >= 1) and .end >= .start and
    .totals.started == 3 and .totals.ended_normally == 3 and .totals.failed == 0 and
    .totals.connections == 3 and .sessions_recorded == 3 and .exit_status == 0' \
    "$R/run.json" >/dev/null || { cat "$R/run.json" >&2; fail "run.json at exit"; }

# An earlier run is refused; --append keeps it and numbers after it.
"$XPMGR" -c "$CONF" -a "127.0.0.1:$PORT" -o "$R" "$MLET" exit 0 2>"$T/refuse.log" &&
    fail "a folder with an earlier run was accepted"
expect_grep "-o $R: the folder holds an earlier run \(run.json\); give --append" "$T/refuse.log"
: >"$T/afile"
"$XPMGR" -c "$CONF" -a "127.0.0.1:$PORT" -o "$T/afile" "$MLET" exit 0 2>"$T/refuse.log" &&
    fail "-o with a file was accepted"
expect_grep "-o $T/afile: not a folder" "$T/refuse.log"
"$XPMGR" -c "$CONF" -a "127.0.0.1:$PORT" --trace "$MLET" exit 0 2>"$T/refuse.log" &&
    fail "--trace without -o was accepted"
expect_grep 'trace needs -o DIR' "$T/refuse.log"
xp_start -c "$CONF" -a "127.0.0.1:$PORT" -n 1 -o "$R" --append \
    "$PL_MLET_DIR/test_http_get" 127.0.0.1 /
xp_endpoint "$PORT" 2>"$T/endpoint.log" || fail "pktlab-endpoint failed"
xp_expect_exit 0 10
[ -f "$R/run-1.json" ] || fail "the earlier run.json was not kept"
jq -e '.run == 2 and .totals.started == 1' "$R/run.json" >/dev/null || fail "run 2's run.json"
[ "$(wc -l <"$J")" = 4 ] || fail "sessions.jsonl was not appended to"
jrec "$J" 4 '.run == 2 and .trace == null and .mlet.stdout == "s4-127.0.0.1.out"' ||
    fail "run 2's session record"
expect_grep '\[s4 127.0.0.1:' "$T/xpmgr.log"
[ ! -e "$R/s4-127.0.0.1.pcap" ] || fail "a trace without --trace"

# Forced end: s1 finished before the second SIGINT, s2 is cut; both are recorded.
EP=$(xp_ep_creds)
R2=$T/res2
xp_start -c "$CONF" -a "127.0.0.1:$PORT" -o "$R2" --trace "$MLET" hold
"$BADEP" $EP -w 20 127.0.0.1 "$PORT" serve >"$T/ep1.out" 2>&1 &
E1=$!
xp_wait_log '\[s1 [^]]*\] session started'
"$BADEP" $EP -w 20 127.0.0.1 "$PORT" serve >"$T/ep2.out" 2>&1 &
E2=$!
xp_wait_log '\[s2 [^]]*\] session started'
kill "$E1"
xp_wait_log '\[s1 [^]]*\] session done'
kill -INT "$XPID"
xp_wait_log 'stopping greeting'
kill -INT "$XPID"
xp_expect_exit 1 10
kill "$E2" 2>/dev/null || true
jrec "$R2/sessions.jsonl" 1 '.ended.how == "done" and .mlet.exit == 0' ||
    fail "finished session lost after a forced end"
jrec "$R2/sessions.jsonl" 2 '.ended.how == "dropped" and .ended.reason == "forced shutdown"
    and .mlet.signal == 15 and .mlet.signal_name == "SIGTERM"' ||
    fail "the cut session is not recorded"
jq -e '.exit_status == 1 and .sessions_recorded == 2' "$R2/run.json" >/dev/null ||
    fail "run.json after a forced end"

# Even SIGKILL: what finished is on disk already.
R3=$T/res3
xp_start -c "$CONF" -a "127.0.0.1:$PORT" -o "$R3" "$MLET" hold
"$BADEP" $EP -w 20 127.0.0.1 "$PORT" serve >"$T/ep1.out" 2>&1 &
E1=$!
xp_wait_log '\[s1 [^]]*\] session started'
kill "$E1"
xp_wait_log '\[s1 [^]]*\] session done'
kill -9 "$XPID"
xp_wait_exit 5
jrec "$R3/sessions.jsonl" 1 '.ended.how == "done"' ||
    fail "finished session lost after SIGKILL"

# Singleton mode: the one mlet's output files, named by every record.
R4=$T/res4
xp_start -c "$CONF" -a "127.0.0.1:$PORT" -s -n 1 -o "$R4" "$MLET" singleton "$T/sg.log"
"$BADEP" $EP -w 20 127.0.0.1 "$PORT" serve >"$T/ep1.out" 2>&1 || true
xp_expect_exit 0 10
[ -f "$R4/singleton.out" ] && [ -f "$R4/singleton.err" ] || fail "no singleton.out/.err"
SGPID=$(sed -n 's/.*singleton mlet .* started (pid \([0-9]*\)).*/\1/p' "$T/xpmgr.log")
jrec "$R4/sessions.jsonl" 1 ".mlet.singleton == true and .mlet.pid == $SGPID and
    .mlet.stdout == \"singleton.out\" and .mlet.stderr == \"singleton.err\"" ||
    fail "singleton session record"
echo "ok"
