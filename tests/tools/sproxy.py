#!/usr/bin/env python3
"""sproxy.py: a scripted PacketLab proxy for pktxpmgr's proxy-mode tests.

Controller side (--ctl, default 127.0.0.1:20557), per broker.md §3.1: TLS 1.3
server with one agent certificate, no client certificate asked for; reads one
xreg, answers one result, exchanges close_notify, sends raw PKTLAB, reads the
controller's raw PKTLAB, then keeps the raw TCP connection idle in the pool
of that SNI key.

Endpoint side (--ep, default 127.0.0.1:20556), per broker.md §3.2: reads the
endpoint's first TLS record, takes the SNI from its ClientHello, takes the
oldest idle backlog connection of that key (waiting up to --hold seconds),
forwards the bytes read so far and splices both ways with half-close.

Every event is one log line in the style of the transcripts
(shared/vectors/broker_transcripts.txt):
    +SECONDS CONN DIR HEX  # summary      (R<n> controller, E<n> endpoint)
    +SECONDS CONN: event

Misbehaviour for tests:
    --refuse ERRID        answer every xreg with this errid (e.g. 0x10)
    --refuse-first N      ... only the first N xregs
    --stall STAGE         tls: never answer the ClientHello; result: never
                          answer the xreg; pktlab: never send PKTLAB
    --prefix HEX          raw bytes sent right before PKTLAB (C8: 50)
    --close-idle SECONDS  close backlog connections idle that long
    --after HEX           raw bytes sent right after the controller's PKTLAB
                          (which a proxy must never do)
    --client-ca FILE      ask for a client certificate (verified by X.509
                          rules against FILE, e.g. the controller's
                          self-signed agent certificate)
    --require-cert        ... and refuse a client without one
"""

import argparse
import collections
import os
import select
import socket
import ssl
import sys
import threading
import time

T0 = time.monotonic()
LOCK = threading.Lock()
POOL = collections.defaultdict(collections.deque)   # snikey -> deque of Backlog
POOL_CV = threading.Condition(LOCK)
COUNT = {"R": 0, "E": 0}
OPTS = None
LOGF = sys.stderr
MARKER = b"PKTLAB"
ERRNAMES = {0x00: "SUCCESS", 0x10: "ECTLBADMSG"}


def log(line):
    with LOCK:
        LOGF.write("+%.3f %s\n" % (time.monotonic() - T0, line))
        LOGF.flush()


def next_name(kind):
    with LOCK:
        COUNT[kind] += 1
        return "%s%d" % (kind, COUNT[kind])


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("EOF after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def hold_until_eof(sock, name, what):
    """Stall: say nothing, read and drop until the peer gives up."""
    start = time.monotonic()
    sock.settimeout(None)
    try:
        while sock.recv(4096):
            pass
        how = "closed"
    except OSError as e:
        how = "reset (%s)" % e.strerror
    log("%s: stalled at %s; the controller %s after %.3f s"
        % (name, what, how, time.monotonic() - start))


class Backlog:
    def __init__(self, name, sock, snikey):
        self.name = name
        self.sock = sock
        self.snikey = snikey
        self.taken = False
        self.since = time.monotonic()


def pool_watch(b):
    """Notice the controller closing an idle connection; --close-idle."""
    while True:
        r, _, _ = select.select([b.sock], [], [], 0.05)
        with LOCK:
            if b.taken:
                return
            idle = time.monotonic() - b.since
            gone = False
            if r:
                try:
                    gone = b.sock.recv(1, socket.MSG_PEEK) == b""
                except OSError:
                    gone = True
                if not gone:
                    continue        # bytes from an idle controller: leave them
            closing = OPTS.close_idle is not None and idle >= OPTS.close_idle
            if gone or closing:
                POOL[b.snikey].remove(b)
                b.taken = True
        if gone:
            log("%s: the controller closed its idle connection (sni %s)"
                % (b.name, b.snikey))
            b.sock.close()
            return
        if closing:
            log("%s: closing the idle connection (--close-idle %.3g)"
                % (b.name, OPTS.close_idle))
            b.sock.close()
            return


def controller_conn(raw, addr, ctx):
    name = next_name("R")
    log("%s: TCP accept from %s:%d" % (name, addr[0], addr[1]))
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    raw.settimeout(30)
    try:
        if OPTS.stall == "tls":
            hold_until_eof(raw, name, "the TLS handshake")
            raw.close()
            return
        tls = ctx.wrap_socket(raw, server_side=True)
        log("%s: TLS %s %s, client SNI %s, client certificate %s"
            % (name, tls.version(), tls.cipher()[0], "absent",
               "present" if tls.getpeercert(binary_form=True) else "absent"))
        hdr = recv_exact(tls, 4)
        blen = int.from_bytes(hdr[1:4], "big")
        body = recv_exact(tls, blen) if blen <= 4096 else b""
        msg = hdr + body
        snikey = body.decode("ascii", "replace")
        if hdr[0] != 0x80:
            log("%s > %s  # not an xreg (type 0x%02x)" % (name, msg.hex(), hdr[0]))
            tls.close()
            return
        log("%s > %s  # xreg snikey=%s" % (name, msg.hex(), snikey))
        if OPTS.stall == "result":
            hold_until_eof(tls, name, "the xreg result")
            tls.close()
            return
        refuse = OPTS.refuse is not None and (
            OPTS.refuse_first is None or int(name[1:]) <= OPTS.refuse_first)
        if refuse:
            res = bytes([0x40, 0, 0, 2]) + OPTS.refuse.to_bytes(2, "big")
            tls.sendall(res)
            log("%s < %s  # result %s (refused)"
                % (name, res.hex(), ERRNAMES.get(OPTS.refuse, "0x%04x" % OPTS.refuse)))
            try:
                tls.unwrap()
            except (OSError, ssl.SSLError):
                pass
            raw.close()
            return
        res = bytes([0x40, 0, 0, 0])
        tls.sendall(res)
        log("%s < %s  # result SUCCESS" % (name, res.hex()))
        # Our close_notify, then the controller's (which must come now:
        # before any PKTLAB).
        sock = tls.unwrap()
        log("%s: TLS close_notify exchanged (the controller's received)" % name)
        if OPTS.stall == "pktlab":
            hold_until_eof(sock, name, "PKTLAB (withheld)")
            sock.close()
            return
        if OPTS.prefix:
            sock.sendall(OPTS.prefix)
            log("%s < raw %s  # prefix before PKTLAB" % (name, OPTS.prefix.hex()))
        sock.sendall(MARKER)
        log("%s < raw %s  # PKTLAB" % (name, MARKER.hex()))
        got = recv_exact(sock, 6)
        log("%s > raw %s  # %s" % (name, got.hex(), "PKTLAB" if got == MARKER
                                    else "NOT PKTLAB"))
        if got != MARKER:
            sock.close()
            return
        if OPTS.after:
            sock.sendall(OPTS.after)
            log("%s < raw %s  # after PKTLAB" % (name, OPTS.after.hex()))
        sock.settimeout(None)
        b = Backlog(name, sock, snikey)
        with POOL_CV:
            POOL[snikey].append(b)
            n = len(POOL[snikey])
            POOL_CV.notify_all()
        log("%s: idle in the pool of %s (%d idle)" % (name, snikey, n))
        pool_watch(b)
    except (OSError, EOFError, ssl.SSLError) as e:
        log("%s: closed: %s" % (name, e))
        raw.close()


def client_hello_sni(rec):
    """The host_name of a ClientHello in one TLS record, or None."""
    try:
        if rec[0] != 0x16 or rec[5] != 0x01:
            return None
        p = 9 + 2 + 32                    # record+handshake headers, version, random
        p += 1 + rec[p]                   # session id
        p += 2 + int.from_bytes(rec[p:p + 2], "big")   # cipher suites
        p += 1 + rec[p]                   # compression
        end = p + 2 + int.from_bytes(rec[p:p + 2], "big")
        p += 2
        while p + 4 <= end:
            et = int.from_bytes(rec[p:p + 2], "big")
            el = int.from_bytes(rec[p + 2:p + 4], "big")
            if et == 0:
                q = p + 4 + 2
                if rec[q] == 0:
                    nl = int.from_bytes(rec[q + 1:q + 3], "big")
                    return rec[q + 3:q + 3 + nl].decode("ascii", "replace")
            p += 4 + el
    except IndexError:
        pass
    return None


def pump(src, dst, counter, key):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
            counter[key] += len(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def endpoint_conn(ep, addr):
    name = next_name("E")
    log("%s: TCP accept from %s:%d" % (name, addr[0], addr[1]))
    try:
        ep.settimeout(10)
        hdr = recv_exact(ep, 5)
        rec = hdr + recv_exact(ep, int.from_bytes(hdr[3:5], "big"))
        sni = client_hello_sni(rec)
        log("%s: ClientHello %d bytes, SNI %s" % (name, len(rec), sni))
        deadline = time.monotonic() + OPTS.hold
        b = None
        with POOL_CV:
            while sni is not None:
                if POOL[sni]:
                    b = POOL[sni].popleft()
                    b.taken = True
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                POOL_CV.wait(left)
        if b is None:
            log("%s: no idle backlog connection for %s within %.3g s; closing"
                % (name, sni, OPTS.hold))
            ep.close()
            return
        log("%s: spliced onto %s (sni %s)" % (name, b.name, sni))
        ep.settimeout(None)
        b.sock.sendall(rec)
        count = {"up": len(rec), "down": 0}
        start = time.monotonic()
        t1 = threading.Thread(target=pump, args=(ep, b.sock, count, "up"), daemon=True)
        t2 = threading.Thread(target=pump, args=(b.sock, ep, count, "down"), daemon=True)
        t1.start()
        t2.start()
        t1.join()
        t2.join()
        log("%s: splice over: endpoint->controller %d B, controller->endpoint %d B, "
            "%.3f s" % (name, count["up"], count["down"], time.monotonic() - start))
        b.sock.close()
        ep.close()
    except (OSError, EOFError) as e:
        log("%s: closed: %s" % (name, e))
        ep.close()


def serve(lsock, handler, *args):
    while True:
        try:
            s, addr = lsock.accept()
        except OSError:
            return
        threading.Thread(target=handler, args=(s, addr) + args, daemon=True).start()


def listen(spec):
    host, _, port = spec.rpartition(":")
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host.strip("[]"), int(port)))
    s.listen(128)
    return s


def main():
    global OPTS, LOGF
    here = os.path.dirname(os.path.abspath(__file__))
    pki = os.path.join(here, "..", "data", "pki")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ctl", default="127.0.0.1:20557")
    ap.add_argument("--ep", default="127.0.0.1:20556")
    ap.add_argument("--cert", default=os.path.join(pki, "certs", "agent_xc_xc.cert"))
    ap.add_argument("--key", default=os.path.join(pki, "keys", "k_xc"))
    ap.add_argument("--refuse", type=lambda v: int(v, 0))
    ap.add_argument("--refuse-first", type=int)
    ap.add_argument("--stall", choices=["tls", "result", "pktlab"])
    ap.add_argument("--prefix", type=bytes.fromhex, default=b"")
    ap.add_argument("--close-idle", type=float)
    ap.add_argument("--after", type=bytes.fromhex, default=b"")
    ap.add_argument("--hold", type=float, default=5.0)
    ap.add_argument("--require-cert", action="store_true",
                    help="with --client-ca: refuse a client without one")
    ap.add_argument("--client-ca", help="ask for a client certificate and "
                    "verify it against this file (X.509 rules)")
    ap.add_argument("--log")
    ap.add_argument("--ready")
    OPTS = ap.parse_args()
    if OPTS.log:
        LOGF = open(OPTS.log, "a", buffering=1)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.verify_mode = ssl.CERT_NONE
    if OPTS.client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED if OPTS.require_cert else ssl.CERT_OPTIONAL
        ctx.load_verify_locations(OPTS.client_ca)
        # pktlab certificates carry critical extensions X.509 does not know.
        ctx.verify_flags |= 0x10        # X509_V_FLAG_IGNORE_CRITICAL
    ctx.num_tickets = 0
    ctx.load_cert_chain(OPTS.cert, OPTS.key)
    lc = listen(OPTS.ctl)
    le = listen(OPTS.ep)
    log("listening: controllers on %s, endpoints on %s" % (OPTS.ctl, OPTS.ep))
    threading.Thread(target=serve, args=(le, endpoint_conn), daemon=True).start()
    if OPTS.ready:
        with open(OPTS.ready + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(OPTS.ready + ".tmp", OPTS.ready)
    serve(lc, controller_conn, ctx)


if __name__ == "__main__":
    main()
