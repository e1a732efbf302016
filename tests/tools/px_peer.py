#!/usr/bin/env python3
"""px_peer.py: scripted peers of pktlab-proxy for its tests (stdlib only).

  px_peer.py ctl HOST PORT SNIKEY [--n N] [--cert C --key K] [--sessions M]
      A controller doing broker spec §3.1 (transcript C1) byte by byte:
      TLS 1.3 with no SNI, xreg written as two records (header, body),
      result, our close_notify, the proxy's close_notify, raw PKTLAB in,
      raw PKTLAB out, then idle.  Keeps N registrations; when an endpoint's
      bytes arrive on one, it echoes them back (as the test's "controller
      session"), passes the half-close on, and registers a replacement.
      Prints one line per event on stdout: "registered", "refused ERRID",
      "session BYTES", "failed REASON".  Exits after M sessions (0: never).
  px_peer.py xreg HOST PORT HEXBODY [--type T]
      One registration with a raw xreg body; prints "result ERRID".
  px_peer.py ep HOST PORT SNI [--split K] [--payload N] [--no-sni]
      An endpoint: a real TLS ClientHello (made by this Python's OpenSSL)
      with SNI, cut into K records and sent in K segments; then N payload
      bytes, a half-close, and the echo read back.  Prints "echo OK N",
      or "closed AFTER_BYTES" when the proxy closed it.
  px_peer.py hello SNI FILE
      Write a real ClientHello (one record) to FILE (fuzzer seeds).
"""
import argparse
import os
import select
import socket
import ssl
import sys
import time

MARK = b"PKTLAB"


def client_hello(sni):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    inb, outb = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inb, outb, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outb.read()


def resplit(hello, k):
    """The same handshake message cut into k records."""
    body = hello[5:]
    n = len(body)
    cuts = [n * i // k for i in range(k + 1)]
    out = []
    for a, b in zip(cuts, cuts[1:]):
        frag = body[a:b]
        if frag:
            out.append(bytes([22, 3, 1]) + len(frag).to_bytes(2, "big") + frag)
    return out


def out(*a):
    print(*a, flush=True)


def register(host, port, snikey, cert, key, body=None, rtype=0x80):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if cert:
        ctx.load_cert_chain(cert, key)
    raw = socket.create_connection((host, port), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname=None)
    if body is None:
        body = snikey.encode()
    s.sendall(bytes([rtype]) + len(body).to_bytes(3, "big"))
    s.sendall(body)
    hdr = b""
    while len(hdr) < 4:
        c = s.recv(4 - len(hdr))
        if not c:
            return None, "eof before the result"
        hdr += c
    blen = int.from_bytes(hdr[1:4], "big")
    rb = b""
    while len(rb) < blen:
        c = s.recv(blen - len(rb))
        if not c:
            return None, "eof in the result"
        rb += c
    if hdr[0] != 0x40:
        return None, "not a result: %02x" % hdr[0]
    errid = int.from_bytes(rb[:2], "big") if blen >= 2 else 0
    if errid:
        return errid, "refused"
    raw = s.unwrap()  # ours, then the proxy's close_notify
    buf = b""
    deadline = time.time() + 10
    while MARK not in buf:
        if time.time() > deadline:
            return None, "no PKTLAB"
        c = raw.recv(64)
        if not c:
            return None, "eof before PKTLAB"
        buf += c
    if not buf.endswith(MARK):
        return None, "bytes after PKTLAB"
    raw.sendall(MARK)
    raw.settimeout(None)
    return 0, raw


def cmd_ctl(a):
    idle = []
    sessions = []
    done = 0

    def refill():
        while len(idle) < a.n:
            r, v = register(a.host, a.port, a.snikey, a.cert, a.key)
            if r == 0:
                idle.append(v)
                out("registered")
            elif r is None:
                out("failed", v)
                time.sleep(0.2)
            else:
                out("refused", r)
                time.sleep(0.2)

    refill()
    while a.sessions == 0 or done < a.sessions:
        rl = idle + [s[0] for s in sessions]
        r, _, _ = select.select(rl, [], [], 1.0)
        for sk in r:
            ent = next((s for s in sessions if s[0] is sk), None)
            try:
                data = sk.recv(1 << 20)
            except ConnectionError:
                data = None
            if ent is None:
                idle.remove(sk)
                if not data:
                    out("failed idle closed")
                    sk.close()
                    continue
                ent = [sk, 0]
                sessions.append(ent)
            if data and a.sink:
                ent[1] += len(data)
            elif data:
                sk.sendall(data)
                ent[1] += len(data)
            else:
                try:
                    if a.sink:
                        sk.sendall(b"%d\n" % ent[1])
                    sk.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                sk.close()
                sessions.remove(ent)
                out("session", ent[1])
                done += 1
        refill()
    return 0


def cmd_xreg(a):
    r, v = register(a.host, a.port, None, a.cert, a.key,
                    bytes.fromhex(a.body), a.type)
    if r is None:
        out("failed", v)
        return 1
    out("result", r)
    return 0


def cmd_stream(a):
    """Endpoint -> controller throughput: hello, then a.bytes, then EOF;
    the controller (ctl --sink) answers with the count it received."""
    s = socket.create_connection((a.host, a.port), timeout=60)
    s.sendall(client_hello(a.sni))
    chunk = memoryview(bytearray(1 << 20))
    t0 = time.perf_counter()
    left = a.bytes
    while left > 0:
        n = s.send(chunk[:min(left, len(chunk))])
        left -= n
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        c = s.recv(64)
        if not c:
            break
        got += c
    dt = time.perf_counter() - t0
    out("stream %d bytes in %.3f s: %.0f MB/s (controller got %s)" % (
        a.bytes, dt, a.bytes / dt / 1e6, got.decode().strip()))
    return 0


def cmd_ep(a):
    hello = client_hello(None if a.no_sni else a.sni)
    recs = resplit(hello, a.split) if a.split > 1 else [hello]
    s = socket.create_connection((a.host, a.port), timeout=15)
    for r in recs:
        # one record per segment, cut again in two segments
        h = len(r) // 2
        s.sendall(r[:h])
        time.sleep(0.01)
        s.sendall(r[h:])
        time.sleep(0.01)
    payload = os.urandom(a.payload)
    sent = b"".join(recs) + payload
    try:
        if payload:
            s.sendall(payload)
        if not a.no_shutdown:
            s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    got = b""
    try:
        while True:
            c = s.recv(65536)
            if not c:
                break
            got += c
    except (ConnectionError, socket.timeout):
        pass
    if got == sent:
        out("echo OK", len(got))
        return 0
    out("closed", len(got))
    return 1


def cmd_hello(a):
    with open(a.file, "wb") as f:
        f.write(client_hello(a.sni))
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("ctl")
    c.add_argument("host")
    c.add_argument("port", type=int)
    c.add_argument("snikey")
    c.add_argument("--n", type=int, default=2)
    c.add_argument("--sessions", type=int, default=0)
    c.add_argument("--cert")
    c.add_argument("--key")
    c.add_argument("--sink", action="store_true",
                   help="count bytes instead of echoing them")
    st = sub.add_parser("stream")
    st.add_argument("host")
    st.add_argument("port", type=int)
    st.add_argument("sni")
    st.add_argument("bytes", type=int)
    x = sub.add_parser("xreg")
    x.add_argument("host")
    x.add_argument("port", type=int)
    x.add_argument("body")
    x.add_argument("--type", type=lambda v: int(v, 0), default=0x80)
    x.add_argument("--cert")
    x.add_argument("--key")
    e = sub.add_parser("ep")
    e.add_argument("host")
    e.add_argument("port", type=int)
    e.add_argument("sni")
    e.add_argument("--split", type=int, default=1)
    e.add_argument("--payload", type=int, default=1000)
    e.add_argument("--no-sni", action="store_true")
    e.add_argument("--no-shutdown", action="store_true",
                   help="keep sending open, as a TLS client does")
    h = sub.add_parser("hello")
    h.add_argument("sni")
    h.add_argument("file")
    a = p.parse_args()
    return {"ctl": cmd_ctl, "xreg": cmd_xreg, "ep": cmd_ep,
            "hello": cmd_hello, "stream": cmd_stream}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
