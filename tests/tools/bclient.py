#!/usr/bin/env python3
"""bclient.py: a scripted broker client (publisher or subscriber) for tests.

It connects to a broker port with agent-mode TLS 1.3 (its agent
certificate and key), sends the messages given on the command line and
prints every message the broker sends, one line each, flushed at once:

    result SUCCESS | result 0xNNNN
    xnotify CHANNELHEX XDESCR
    eof | tls-error TEXT

Messages (arguments, in order):
    xcert:FILE                one certificate (PEM or DER)
    xpub:CHANNELS:EOP:XDESCR  CHANNELS is a comma list of hex channels or
    xsub:CHANNELS:EOP:DATTR   key=PUBFILE (the key id of that key); EOP is
                              "zero" or a public key file (PEM)
    raw:HEX                   bytes as they are (header included)
    split:HEX                 the same, written one byte per TLS record

Options:
    --port P --host H          the broker (host default 127.0.0.1)
    --cert F --key F           agent certificate and key; --no-cert: none
    --pipeline                 send everything, then read the results (as a
                               1.1.0 endpoint); default: wait for each result
    --notify N                 then wait for N xnotify messages
    --hold S                   then keep the connection S seconds more,
                               printing what arrives (-1: until stdin ends)
    --timeout S                give up waiting after S seconds (default 20)
    --emit                     print each message's bytes in hex, one line
                               per argument, and exit (for xp_tlsclient)
Exit 0 when every expected answer came, 1 otherwise.
"""

import argparse
import base64
import hashlib
import select
import socket
import ssl
import sys
import time


def pem_der(path, kind):
    data = open(path, "rb").read()
    if b"-----BEGIN" not in data:
        return data
    text = data.decode()
    start = text.index("-----BEGIN %s-----" % kind) if kind else text.index("-----BEGIN")
    body = text[start:].split("-----", 2)[2]
    body = body.split("-----END", 1)[0]
    return base64.b64decode("".join(body.split()))


def raw_key(path):
    return pem_der(path, "PUBLIC KEY")[-32:]


def chlist(spec):
    out = b""
    for c in spec.split(",") if spec else []:
        if c.startswith("key="):
            ch = hashlib.sha256(raw_key(c[4:])).digest()
        else:
            ch = bytes.fromhex(c)
        out += bytes([len(ch)]) + ch
    return out + b"\0"


def msg(t, body):
    return bytes([t]) + len(body).to_bytes(3, "big") + body


def build(arg):
    kind, rest = arg.split(":", 1)
    if kind == "xcert":
        return [msg(0x30, pem_der(rest, "CERTIFICATE"))]
    if kind in ("xpub", "xsub"):
        chans, eop, descr = rest.split(":", 2)
        key = bytes(32) if eop == "zero" else raw_key(eop)
        body = chlist(chans) + key + descr.encode()
        return [msg(0x31 if kind == "xpub" else 0x38, body)]
    if kind == "raw":
        return [bytes.fromhex(rest)]
    if kind == "split":
        b = bytes.fromhex(rest)
        return [b[i:i + 1] for i in range(len(b))]
    raise SystemExit("bclient: unknown message " + arg)


class Reader:
    def __init__(self, s, deadline):
        self.s, self.buf, self.deadline = s, b"", deadline

    def next(self):
        """One message (type, body), None at EOF, or raise TimeoutError."""
        while True:
            if len(self.buf) >= 4:
                n = int.from_bytes(self.buf[1:4], "big")
                if len(self.buf) >= 4 + n:
                    t, body = self.buf[0], self.buf[4:4 + n]
                    self.buf = self.buf[4 + n:]
                    return t, body
            if self.s.pending() == 0:
                left = self.deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                r, _, _ = select.select([self.s], [], [], left)
                if not r:
                    raise TimeoutError
            try:
                d = self.s.recv(65536)
            except ssl.SSLWantReadError:
                continue
            if not d:
                return None
            self.buf += d


def show(t, body):
    if t == 0x40:
        e = int.from_bytes(body[:2], "big") if len(body) >= 2 else 0
        print("result SUCCESS" if e == 0 else "result 0x%04x" % e, flush=True)
    elif t == 0x70 and body:
        n = body[0]
        print("xnotify %s %s" % (body[1:1 + n].hex(),
                                 body[1 + n:].decode("latin-1")), flush=True)
    else:
        print("type-0x%02x %s" % (t, body.hex()), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--no-cert", action="store_true")
    ap.add_argument("--pipeline", action="store_true")
    ap.add_argument("--notify", type=int, default=0)
    ap.add_argument("--hold", type=float, default=0)
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--emit", action="store_true")
    ap.add_argument("msgs", nargs="*")
    a = ap.parse_args()
    if a.emit:
        for m in a.msgs:
            print(b"".join(build(m)).hex())
        return 0

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if not a.no_cert:
        ctx.load_cert_chain(a.cert, a.key)
    deadline = time.monotonic() + a.timeout
    raw = socket.create_connection((a.host, a.port), timeout=a.timeout)
    try:
        s = ctx.wrap_socket(raw, server_hostname=None)
        s.setblocking(False)
    except (ssl.SSLError, OSError) as e:
        print("tls-error %s" % e, flush=True)
        return 1
    rd = Reader(s, deadline)
    groups = [build(m) for m in a.msgs]
    ok = True

    def send(parts):
        for p in parts:
            s.setblocking(True)
            s.sendall(p)
            s.setblocking(False)

    def expect_result():
        m = rd.next()
        if m is None:
            print("eof", flush=True)
            return False
        show(*m)
        return m[0] == 0x40

    try:
        if a.pipeline:
            for g in groups:
                send(g)
            for _ in groups:
                if not expect_result():
                    ok = False
                    break
        else:
            for g in groups:
                send(g)
                if not expect_result():
                    ok = False
                    break
        got = 0
        while ok and got < a.notify:
            m = rd.next()
            if m is None:
                print("eof", flush=True)
                ok = False
                break
            show(*m)
            got += m[0] == 0x70
        if ok and a.hold != 0:
            rd.deadline = time.monotonic() + (a.hold if a.hold > 0 else 1e9)
            try:
                while True:
                    if a.hold < 0 and select.select([sys.stdin], [], [], 0)[0] \
                            and not sys.stdin.read(1):
                        break
                    m = rd.next()
                    if m is None:
                        print("eof", flush=True)
                        break
                    show(*m)
            except TimeoutError:
                pass
    except TimeoutError:
        print("timeout", flush=True)
        ok = False
    except (ssl.SSLError, OSError) as e:
        print("tls-error %s" % e, flush=True)
        ok = False
    try:
        s.close()
    except OSError:
        pass
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
