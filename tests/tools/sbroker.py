#!/usr/bin/env python3
"""sbroker.py: a scripted PacketLab broker (or proxy front) for tests.

It speaks just enough of broker.md §2 to drive pktxpmgr's publisher side
and an endpoint's subscriber side message by message, and logs every byte
of the conversation so a test can compare it with the 1.1.0 transcripts
(shared/vectors/broker_transcripts.txt).  It checks no PacketLab semantics:
no chain rules, no matching.

TLS: 1.3 only, the server side, no session tickets.  It presents ONE agent
certificate (--cert, --key; PEM, e.g. tests/data/pki/certs/agent_ep_ep.cert
with keys/k_ep, or one issued in the test with `pktlab-cred sign -t agent`)
and requests a client certificate.  The client certificate is accepted
whatever it is (an OpenSSL verify callback set through ctypes answers
"ok"); its DER size is logged.  If ctypes cannot reach libssl, no client
certificate is requested (a warning says so).

Log (stdout, or --log FILE), one line per event, flushed at once:
    +SECONDS cN <- HEX  TYPE [summary]     a message received on connection N
    +SECONDS cN -> HEX  TYPE [summary]     a message sent
    +SECONDS cN # text                      events: accept, TLS, close, errors
    +SECONDS # text                         listener events
TYPE is the message type name (xcert, xpub, xsub, result, xnotify, xreg,
or type-0xNN).  Summaries: xpub/xsub "chlist=[hex,...] eopkey=zero|hex
xdescr='...'" (dattr for xsub); result "SUCCESS" or "errid=0xNNNN NAME".

Options (behaviour options apply to every connection, or only to the
connections --conns names; the others get plain OK answers):
    --port P            listen on 127.0.0.1:P (0: any; the port is written
                        to --ready)
    --addr A            listen address (default 127.0.0.1)
    --ready FILE        write the port there once listening
    --log FILE          append the log there instead of stdout
    --cert F --key F    the agent certificate and its key (PEM)
    --conns SPEC        behaviour options below apply to these connections
                        only (numbered from 1 in accept order): "2", "1-3",
                        "4-", "1,3"
    --first K           the same as --conns 1-K
    --errid TYPE=ERR    answer messages of TYPE (name, e.g. xpub, or hex 0x31)
                        with errid ERR (name such as EPUBBADXD, or a number);
                        repeatable; other messages get SUCCESS
    --errid-nth N       apply --errid only to the Nth message of that type
                        on a connection (default: every one)
    --delay MS          wait MS milliseconds before each answer
    --never-answer      read and log, never answer
    --close-after N     close the connection (close_notify, then FIN) after
                        answering N messages
    --stall-tls         accept TCP, then never start the TLS handshake
    --close-on-accept   accept TCP and close at once (a refusing broker)
    --stall-accept      (whole listener) never accept: the listen queue is
                        filled by one connection of our own, so clients'
                        connects hang (a stalled TCP connect)
    --xnotify HEX       after the answer to an xsub, send this whole message
                        (header included, hex); repeatable, sent in order
    --extra HEX         after every answer, also send this whole message (an
                        unsolicited message, for robustness tests)
    --exit-after S      exit after S seconds (default 600), a safety net
Answers are sent in the order the messages arrived, so pipelining clients
(1.1.0 endpoints) get one answer per message as well.

Example:
    sbroker.py --port 0 --ready /tmp/p --cert agent_ep_ep.cert --key k_ep \\
        --errid xpub=EPUBBADXD
"""

import argparse
import ctypes
import ctypes.util
import os
import socket
import ssl
import sys
import threading
import time

TYPES = {
    0x20: "cdata", 0x21: "start", 0x30: "xcert", 0x31: "xpub", 0x38: "xsub",
    0x40: "result", 0x70: "xnotify", 0x80: "xreg",
}
ERRS = {
    0x0000: "SUCCESS", 0x0010: "ECTLBADMSG", 0x0050: "EPUBBADCHL",
    0x0051: "EPUBBADCHN", 0x0052: "EPUBBADADDR", 0x0053: "EPUBBADPR",
    0x0054: "EPUBBADXD", 0x0060: "ESUBBADCHL", 0x0061: "ESUBBADCHN",
    0x0062: "ESUBBADDA", 0xFFFF: "EUNKFAULT",
}
ERRNUM = {v: k for k, v in ERRS.items()}
TYPENUM = {v: k for k, v in TYPES.items()}

T0 = time.monotonic()
LOCK = threading.Lock()
OUT = sys.stdout


def log(conn, text):
    line = "+%.3f %s%s\n" % (time.monotonic() - T0,
                             "c%d " % conn if conn else "", text)
    with LOCK:
        OUT.write(line)
        OUT.flush()


def type_name(t):
    return TYPES.get(t, "type-0x%02x" % t)


def chlist(body):
    """(list of channel hex, bytes used) or (None, 0) when malformed."""
    out, i = [], 0
    while i < len(body):
        n = body[i]
        if n == 0:
            return out, i + 1
        if n > 32 or i + 1 + n > len(body):
            return None, 0
        out.append(body[i + 1:i + 1 + n].hex())
        i += 1 + n
    return None, 0


def summary(t, body):
    if t in (0x31, 0x38):
        chans, used = chlist(body)
        if chans is None or len(body) < used + 32:
            return "(malformed)"
        key = body[used:used + 32]
        rest = body[used + 32:].decode("latin-1")
        return "chlist=[%s] eopkey=%s %s='%s'" % (
            ",".join(chans), "zero" if key == bytes(32) else key.hex(),
            "xdescr" if t == 0x31 else "dattr", rest)
    if t == 0x40:
        if not body:
            return "SUCCESS"
        e = int.from_bytes(body[:2], "big")
        return "errid=0x%04x %s" % (e, ERRS.get(e, "?"))
    if t == 0x30:
        return "%d-byte DER" % len(body)
    if t == 0x70 and body:
        n = body[0]
        return "channel=%s xdescr='%s'" % (
            body[1:1 + n].hex(), body[1 + n:].decode("latin-1"))
    if t == 0x80:
        return "snikey=%s" % body.decode("latin-1")
    return ""


def msg(t, body):
    return bytes([t]) + len(body).to_bytes(3, "big") + body


def accept_any_client_cert(ctx):
    """Request a client certificate and accept any (ctypes into libssl)."""
    try:
        name = None
        import _ssl
        # The libssl _ssl is linked with is already loaded: find it by name.
        for cand in ("libssl.so.3", ctypes.util.find_library("ssl")):
            if cand:
                name = cand
                break
        lib = ctypes.CDLL(name)
        del _ssl
        cb_t = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_void_p)
        cb = cb_t(lambda ok, store: 1)
        # PySSLContext: PyObject_HEAD then SSL_CTX *ctx.
        ptr = ctypes.c_void_p.from_address(id(ctx) + 2 * ctypes.sizeof(
            ctypes.c_void_p)).value
        lib.SSL_CTX_get_verify_mode.restype = ctypes.c_int
        lib.SSL_CTX_get_verify_mode.argtypes = [ctypes.c_void_p]
        if lib.SSL_CTX_get_verify_mode(ptr) != 1 | 2:
            raise RuntimeError("unexpected SSL_CTX layout")
        lib.SSL_CTX_set_verify.argtypes = [ctypes.c_void_p, ctypes.c_int, cb_t]
        lib.SSL_CTX_set_verify(ptr, 1 | 2, cb)  # PEER | FAIL_IF_NO_PEER_CERT
        return cb   # keep alive
    except Exception as e:  # noqa: BLE001
        ctx.verify_mode = ssl.CERT_NONE
        log(0, "# warning: cannot accept unverified client certificates (%s): "
               "none requested" % e)
        return None


class Conn(threading.Thread):
    def __init__(self, n, sock, peer, args, ctx):
        super().__init__(daemon=True)
        self.n, self.sock, self.peer, self.a, self.ctx = n, sock, peer, args, ctx
        self.scripted = in_conns(args.conns, n)
        self.counts = {}
        self.answered = 0
        self.notified = False

    def run(self):
        try:
            self.serve()
        except Exception as e:  # noqa: BLE001
            log(self.n, "# error: %s" % e)
        try:
            self.sock.close()
        except OSError:
            pass

    def serve(self):
        a = self.a
        log(self.n, "# accepted from %s:%d" % self.peer)
        if self.scripted and a.close_on_accept:
            log(self.n, "# closing at once")
            return
        if self.scripted and a.stall_tls:
            log(self.n, "# stalling before TLS")
            while self.sock.recv(4096):
                pass
            log(self.n, "# closed by peer (EOF before TLS)")
            return
        try:
            s = self.ctx.wrap_socket(self.sock, server_side=True,
                                     suppress_ragged_eofs=False)
        except (ssl.SSLError, OSError) as e:
            log(self.n, "# TLS failed: %s" % e)
            return
        self.sock = s
        cert = s.getpeercert(binary_form=True)
        log(self.n, "# TLS %s %s, client SNI %s, client certificate %s" % (
            s.version(), s.cipher()[0], getattr(self, "sni", None) or "absent",
            "%d-byte DER" % len(cert) if cert else "none"))
        buf = b""
        while True:
            try:
                data = s.recv(65536)
            except ssl.SSLZeroReturnError:
                data = b""
            except ssl.SSLEOFError:
                log(self.n, "# EOF (no close_notify)")
                return
            except (ssl.SSLError, OSError) as e:
                log(self.n, "# read error: %s" % e)
                return
            if not data:
                log(self.n, "# TLS close_notify received")
                try:
                    s.unwrap()      # answer it with ours
                except (ssl.SSLError, OSError):
                    pass
                return
            buf += data
            while len(buf) >= 4:
                blen = int.from_bytes(buf[1:4], "big")
                if len(buf) < 4 + blen:
                    break
                m, buf = buf[:4 + blen], buf[4 + blen:]
                if not self.handle(s, m[0], m[4:], m):
                    return

    def handle(self, s, t, body, raw):
        a = self.a
        log(self.n, "<- %s  %s %s" % (raw.hex(), type_name(t), summary(t, body)))
        if t in (0x40, 0x70):
            return True     # answers and notifications are not answered
        self.counts[t] = self.counts.get(t, 0) + 1
        errid = 0
        if self.scripted:
            if a.never_answer:
                return True
            e = a.errids.get(t)
            if e is not None and (a.errid_nth == 0 or
                                  self.counts[t] == a.errid_nth):
                errid = e
            if a.delay:
                time.sleep(a.delay / 1000.0)
        out = msg(0x40, errid.to_bytes(2, "big") if errid else b"")
        self.send(s, out)
        self.answered += 1
        if self.scripted and a.extra:
            self.send(s, bytes.fromhex(a.extra))
        if t == 0x38 and errid == 0 and not self.notified:
            self.notified = True
            for x in a.xnotify:
                self.send(s, bytes.fromhex(x))
        if self.scripted and a.close_after and self.answered >= a.close_after:
            log(self.n, "# closing after %d answers" % self.answered)
            try:
                s.unwrap()
            except (ssl.SSLError, OSError):
                pass
            return False
        return True

    def send(self, s, out):
        log(self.n, "-> %s  %s %s" % (out.hex(), type_name(out[0]),
                                      summary(out[0], out[4:])))
        s.sendall(out)


def in_conns(spec, n):
    if not spec:
        return True
    for part in spec.split(","):
        lo, dash, hi = part.partition("-")
        lo = int(lo) if lo else 1
        hi = int(hi) if hi else (1 << 30) if dash else lo
        if lo <= n <= hi:
            return True
    return False


def parse_errid(spec):
    t, _, e = spec.partition("=")
    t = TYPENUM.get(t, None) if not t.startswith("0x") else int(t, 16)
    if t is None:
        raise argparse.ArgumentTypeError("unknown type in %r" % spec)
    e = ERRNUM[e] if e in ERRNUM else int(e, 0)
    return t, e


def main():
    global OUT
    p = argparse.ArgumentParser(description="scripted PacketLab broker for tests")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--addr", default="127.0.0.1")
    p.add_argument("--ready")
    p.add_argument("--log")
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--conns", default="")
    p.add_argument("--first", type=int, default=0)
    p.add_argument("--close-on-accept", action="store_true")
    p.add_argument("--stall-accept", action="store_true")
    p.add_argument("--errid", action="append", type=parse_errid, default=[])
    p.add_argument("--errid-nth", type=int, default=0)
    p.add_argument("--delay", type=int, default=0)
    p.add_argument("--never-answer", action="store_true")
    p.add_argument("--close-after", type=int, default=0)
    p.add_argument("--stall-tls", action="store_true")
    p.add_argument("--xnotify", action="append", default=[])
    p.add_argument("--extra", default="")
    p.add_argument("--exit-after", type=float, default=600)
    a = p.parse_args()
    a.errids = dict(a.errid)
    if a.first and not a.conns:
        a.conns = "1-%d" % a.first
    if a.log:
        OUT = open(a.log, "a", buffering=1)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    ctx.options |= ssl.OP_NO_TICKET
    ctx.load_cert_chain(a.cert, a.key)
    ctx.verify_mode = ssl.CERT_REQUIRED
    keep = accept_any_client_cert(ctx)  # noqa: F841

    def on_sni(_sslobj, name, _ctx):
        threading.current_thread().sni = name   # the Conn thread handshakes
    ctx.sni_callback = on_sni

    fam = socket.AF_INET6 if ":" in a.addr else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.addr, a.port))
    ls.listen(0 if a.stall_accept else 64)
    port = ls.getsockname()[1]
    log(0, "# listening on %s:%d" % (a.addr, port))
    if a.stall_accept:
        filler = socket.create_connection((a.addr, port))  # noqa: F841
        log(0, "# never accepting (queue filled)")
    if a.ready:
        with open(a.ready + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(a.ready + ".tmp", a.ready)
    threading.Timer(a.exit_after, lambda: os._exit(0)).start()
    n = 0
    while a.stall_accept:
        time.sleep(3600)
    while True:
        sock, peer = ls.accept()
        # Answers go out at once (no Nagle wait for the client's ACK).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        n += 1
        Conn(n, sock, peer[:2], a, ctx).start()


if __name__ == "__main__":
    main()
