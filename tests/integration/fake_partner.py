#!/usr/bin/python3
"""fake_partner.py -- a scripted HLX/1 partner for the outbound tests
(tests/integration/outbound.sh; protocol.md §1, §4; issue 5).  Python's
ssl and http.server only, nothing shared with the gateway's code.
Loopback and synthetic data only.

  fake_partner.py serve --cert CRT --key KEY --ca CA --id ID
        --scenario NAME --log FILE [--port P] [--hang S]
      serves HTTPS (mutual TLS: a client certificate from CA is required)
      on 127.0.0.1:P (0: a free port), prints "port N" on stdout, and
      answers POST /hlx/1/messages as the scenario says (below; "then"
      counts the requests of each MessageId separately, so every message
      sees the whole script).  GET /hlx/1/capabilities gets Capabilities.
      Every request is one JSON line in FILE, written before it is
      answered and again (with "answer" and "t_end") after:
        {"i", "t", "t_end", "method", "path", "version", "headers",
         "body_b64", "message_id", "sender", "recipient", "answer"}
      and every failed handshake is {"event": "handshake_failed", ...}.

      scenarios:
        accept             202 + Receipt (accepted)
        503x2              503 (no body) twice, then accept
        429                429 + Retry-After: 2 (no body), then accept
        schema_invalid     400 + Error SCHEMA_INVALID, Retryable false
        retryable_400      400 + Error Retryable true, then accept
        nonretryable_503   503 + Error Retryable false
        reset              the connection closed (RST) unanswered, then accept
        hang               no answer for S seconds (default 6), then the
                           connection closed; then accept
        bad_receipt        202 + a Receipt whose InReplyTo is another id,
                           then accept
        malformed_receipt  202 + a body that is not XML, then accept
        receipt_wrong_sender     202 + a Receipt for this message from
                                 hotline-de.example, then accept
        receipt_wrong_recipient  ... to hotline-fr.example, then accept
        receipt_wrong_issuer     ... whose PartnerCaseRef/@issuer is
                                 hotline-de.example, then accept
        teapot             418 without a body
        always503          503 without a body, always

  fake_partner.py sample receipt|error|capabilities --id ID
        --recipient ID [--in-reply-to UUID]
      prints the answer the server would send (to check it with
      `hlx validate`).

  fake_partner.py summary LOG [--message-id UUID]
      one JSON object: the POSTs (of that MessageId), their times, the
      answers, how many distinct bodies, and the MessageIds in the bodies.

  fake_partner.py contains LOG STRING...
      looks for each STRING in every byte received (request line, headers
      and bodies of every request); prints the ones found, exit 1 if any.
"""
import argparse
import base64
import datetime
import http.server
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET

NS = "{urn:x-hlx:1}"
PARTNER_CASE = "IN-2026-000777"


def now_ts():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def esc(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;"))


def header_xml(sender, recipient, in_reply_to, test=False):
    h = ['  <Header>',
         '    <MessageId>%s</MessageId>' % uuid.uuid4(),
         '    <SentAt>%s</SentAt>' % now_ts(),
         '    <Sender>%s</Sender>' % esc(sender),
         '    <Recipient>%s</Recipient>' % esc(recipient)]
    if in_reply_to:
        h.append('    <InReplyTo>%s</InReplyTo>' % esc(in_reply_to))
    if test:
        h.append('    <Test>true</Test>')
    h.append('  </Header>')
    return "\n".join(h)


def message(header, body):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<Message xmlns="urn:x-hlx:1" version="1.0">\n'
            '%s\n%s\n</Message>\n' % (header, body)).encode()


def receipt(sender, recipient, in_reply_to, test=False, status="accepted",
            issuer=None, number=PARTNER_CASE):
    body = ('  <Receipt>\n'
            '    <Status>%s</Status>\n'
            '    <ReceivedAt>%s</ReceivedAt>\n'
            '    <PartnerCaseRef issuer="%s">%s</PartnerCaseRef>\n'
            '  </Receipt>' % (status, now_ts(), esc(issuer or sender),
                              esc(number)))
    return message(header_xml(sender, recipient, in_reply_to, test), body)


def error(sender, recipient, in_reply_to, code, detail, retryable,
          test=False):
    body = ('  <Error>\n'
            '    <Code>%s</Code>\n'
            '    <Detail>%s</Detail>\n'
            '    <Retryable>%s</Retryable>\n'
            '  </Error>' % (code, esc(detail),
                            "true" if retryable else "false"))
    return message(header_xml(sender, recipient, in_reply_to, test), body)


def capabilities(sender, recipient, country="NL"):
    body = ('  <Capabilities>\n'
            '    <Hotline id="%s" country="%s"/>\n'
            '    <Version>1.0</Version>\n'
            '    <MessageType>Referral</MessageType>\n'
            '    <MessageType>Assessment</MessageType>\n'
            '    <MessageType>StatusUpdate</MessageType>\n'
            '    <MessageType>Withdraw</MessageType>\n'
            '    <MessageType>Reroute</MessageType>\n'
            '    <MaxMessageBytes>4194304</MaxMessageBytes>\n'
            '    <MaxItems>1000</MaxItems>\n'
            '  </Capabilities>' % (esc(sender), country))
    return message(header_xml(sender, recipient, None), body)


def read_header(body):
    """MessageId, Sender, Recipient, Test of a request body (best effort)."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return {}
    h = root.find(NS + "Header")
    if h is None:
        return {}
    d = {}
    for f in ("MessageId", "Sender", "Recipient", "Test"):
        e = h.find(NS + f)
        if e is not None:
            d[f] = e.text
    return d


# ---------------------------------------------------------------- server

class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.n = 0
        self.seen = {}          # MessageId -> requests so far
        self.t0 = time.time()   # names this run in the log
        self.log = open(args.log, "a", buffering=1)

    def write(self, obj):
        with self.lock:
            self.log.write(json.dumps(obj, sort_keys=True) + "\n")
            self.log.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-partner/1"

    def log_message(self, fmt, *a):  # quiet: everything goes to the log
        pass

    def peer_cn(self):
        try:
            cert = self.connection.getpeercert()
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        return v
        except (ValueError, AttributeError):
            pass
        return "unknown.example"

    def send(self, status, body=b"", extra=()):
        self.send_response(status)
        if body:
            self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if body:
            self.wfile.write(body)
        self.wfile.flush()

    def reset(self):
        """Close the connection unanswered, with a TCP RST."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True

    def record(self, body):
        st = self.server.state
        with st.lock:
            st.n += 1
            i = st.n
        h = read_header(body)
        entry = {
            "i": i, "pid": os.getpid(), "t0": st.t0, "t": time.time(),
            "method": self.command,
            "path": self.path, "version": self.request_version,
            "headers": [[k, v] for k, v in self.headers.items()],
            "raw_request_line": self.requestline,
            "body_b64": base64.b64encode(body).decode(),
            "message_id": h.get("MessageId"), "sender": h.get("Sender"),
            "recipient": h.get("Recipient"), "test": h.get("Test"),
            "answer": None, "t_end": None,
        }
        st.write(dict(entry, event="request"))
        return entry, h

    def read_body(self):
        n = self.headers.get("Content-Length")
        if n is not None:
            return self.rfile.read(int(n))
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        return b""

    def do_GET(self):
        entry, _ = self.record(b"")
        st = self.server.state
        if self.path == "/hlx/1/capabilities":
            self.send(200, capabilities(st.args.id, self.peer_cn(),
                                        st.args.country))
            answer = 200
        else:
            self.send(404)
            answer = 404
        st.write(dict(entry, event="answered", answer=answer,
                      t_end=time.time()))

    def do_POST(self):
        body = self.read_body()
        entry, h = self.record(body)
        st = self.server.state
        mid = h.get("MessageId")
        key = mid or "-"
        with st.lock:
            k = st.seen.get(key, 0)
            st.seen[key] = k + 1
        me = st.args.id
        to = h.get("Sender") or self.peer_cn()
        test = h.get("Test") == "true"
        answer = self.answer(st.args.scenario, k, me, to, mid, test)
        st.write(dict(entry, event="answered", answer=answer, k=k,
                      t_end=time.time()))

    def answer(self, sc, k, me, to, mid, test):
        if self.path != "/hlx/1/messages":
            self.send(404)
            return 404

        def accept():
            self.send(202, receipt(me, to, mid, test))
            return 202
        if sc == "accept":
            return accept()
        if sc == "503x2":
            if k < 2:
                self.send(503)
                return 503
            return accept()
        if sc == "429":
            if k == 0:
                self.send(429, extra=[("Retry-After", "2")])
                return 429
            return accept()
        if sc == "schema_invalid":
            self.send(400, error(me, to, mid, "SCHEMA_INVALID",
                                 "Referral/Items: line 20: synthetic "
                                 "refusal of the fake partner", False,
                                 test))
            return 400
        if sc == "retryable_400":
            if k == 0:
                self.send(400, error(me, to, mid, "TRANSIENT_CHECK",
                                     "a 400 that says it may be retried",
                                     True, test))
                return 400
            return accept()
        if sc == "nonretryable_503":
            self.send(503, error(me, to, mid, "SERVICE_WITHDRAWN",
                                 "a 503 that says it must not be retried",
                                 False, test))
            return 503
        if sc == "reset":
            if k == 0:
                self.reset()
                return "reset"
            return accept()
        if sc == "hang":
            if k == 0:
                time.sleep(self.server.state.args.hang)
                self.reset()
                return "hang"
            return accept()
        if sc == "bad_receipt":
            if k == 0:
                self.send(202, receipt(me, to, str(uuid.uuid4()), test))
                return 202
            return accept()
        # A Receipt that is well formed and answers this MessageId, but
        # names another sender, recipient or case-number issuer (issue
        # 13): the first time, then a right one.
        if sc in WRONG_RECEIPTS:
            if k == 0:
                sender, recipient, issuer = WRONG_RECEIPTS[sc](me, to)
                self.send(202, receipt(sender, recipient, mid, test,
                                       issuer=issuer,
                                       number="IN-2026-000999"))
                return 202
            return accept()
        if sc == "malformed_receipt":
            if k == 0:
                self.send(202, b"this is not XML, and no Receipt <<<")
                return 202
            return accept()
        if sc == "teapot":
            self.send(418)
            return 418
        if sc == "always503":
            self.send(503)
            return 503
        self.send(500)
        return 500


# scenario -> (me, to) -> the Receipt's Sender, Recipient and
# PartnerCaseRef/@issuer
WRONG_RECEIPTS = {
    "receipt_wrong_sender":
        lambda me, to: ("hotline-de.example", to, "hotline-de.example"),
    "receipt_wrong_recipient":
        lambda me, to: (me, "hotline-fr.example", me),
    "receipt_wrong_issuer":
        lambda me, to: (me, to, "hotline-de.example"),
}


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def finish_request(self, request, client_address):
        # The handshake in the connection's own thread: a failing or slow
        # one never holds up the others.
        request.settimeout(30)
        try:
            tls = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.state.write({"event": "handshake_failed", "t": time.time(),
                              "error": str(e)})
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        self.state.write({"event": "connection_error", "t": time.time(),
                          "error": repr(sys.exc_info()[1])})


def serve(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.cert, args.key)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(args.ca)
    # A fake partner's server certificate may be expired on purpose
    # (expired.crt): the client has to refuse it, not this server.
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.ctx = ctx
    srv.state = State(args)
    port = srv.server_address[1]
    srv.state.write({"event": "listening", "port": port, "t": time.time(),
                     "scenario": args.scenario, "pid": os.getpid()})
    print("port %d" % port, flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


# ---------------------------------------------------------------- analysis

def load(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
    return out


def summary(args):
    ev = load(args.log)
    reqs = {}
    for e in ev:
        if e.get("event") in ("request", "answered") and \
                e.get("method") == "POST":
            if args.message_id and e.get("message_id") != args.message_id:
                continue
            reqs.setdefault((e.get("t0"), e["i"]), {}).update(e)
    rs = sorted(reqs.values(), key=lambda r: r["t"])
    bodies = [base64.b64decode(r["body_b64"]) for r in rs]
    ids_in_bodies = sorted({read_header(b).get("MessageId") or "-"
                            for b in bodies})
    gaps = []
    for a, b in zip(rs, rs[1:]):
        end = a.get("t_end")
        gaps.append(None if end is None else round(b["t"] - end, 3))
    out = {
        "posts": len(rs),
        "answers": [r.get("answer") for r in rs],
        "t": [round(r["t"], 3) for r in rs],
        "gaps_after_answer": gaps,
        "distinct_bodies": len(set(bodies)),
        "message_ids": ids_in_bodies,
        "recipients": sorted({r.get("recipient") or "-" for r in rs}),
        "senders": sorted({r.get("sender") or "-" for r in rs}),
        "content_types": sorted({dict((k.lower(), v) for k, v in
                                      r["headers"]).get("content-type", "-")
                                 for r in rs}),
        "http_versions": sorted({r.get("version") or "-" for r in rs}),
        "handshake_failures": sum(1 for e in ev
                                  if e.get("event") == "handshake_failed"),
        "gets": sum(1 for e in ev if e.get("event") == "request" and
                    e.get("method") == "GET"),
    }
    print(json.dumps(out, sort_keys=True))
    return 0


def contains(args):
    found = []
    data = []
    for e in load(args.log):
        if e.get("event") != "request":
            continue
        data.append(e.get("raw_request_line", "").encode())
        for k, v in e.get("headers", []):
            data.append(("%s: %s" % (k, v)).encode())
        data.append(base64.b64decode(e.get("body_b64", "")))
    blob = b"\n".join(data)
    for s in args.strings:
        if s.encode() in blob:
            found.append(s)
    for s in found:
        print("found: %s" % s)
    print("searched %d bytes" % len(blob))
    return 1 if found else 0


def sample(args):
    me, to = args.id, args.recipient
    irt = args.in_reply_to or str(uuid.uuid4())
    if args.kind == "receipt":
        sys.stdout.buffer.write(receipt(me, to, irt))
    elif args.kind == "error":
        sys.stdout.buffer.write(error(me, to, irt, "SCHEMA_INVALID",
                                      "synthetic", False))
    else:
        sys.stdout.buffer.write(capabilities(me, to))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--ca", required=True)
    s.add_argument("--id", required=True)
    s.add_argument("--country", default="NL")
    s.add_argument("--scenario", required=True,
                   choices=["accept", "503x2", "429", "schema_invalid",
                            "retryable_400", "nonretryable_503", "reset",
                            "hang", "bad_receipt", "malformed_receipt",
                            "teapot", "always503"] + list(WRONG_RECEIPTS))
    s.add_argument("--log", required=True)
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--hang", type=float, default=6.0)
    s = sub.add_parser("sample")
    s.add_argument("kind", choices=["receipt", "error", "capabilities"])
    s.add_argument("--id", required=True)
    s.add_argument("--recipient", required=True)
    s.add_argument("--in-reply-to")
    s = sub.add_parser("summary")
    s.add_argument("log")
    s.add_argument("--message-id")
    s = sub.add_parser("contains")
    s.add_argument("log")
    s.add_argument("strings", nargs="+")
    args = p.parse_args()
    return {"serve": serve, "sample": sample, "summary": summary,
            "contains": contains}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
