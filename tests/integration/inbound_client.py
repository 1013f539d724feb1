#!/usr/bin/python3
"""inbound_client.py -- an independent HLX/1 client for the integration
tests (tests/integration/inbound.sh, durability.sh): Python's ssl and
http.client only, nothing shared with the gateway's code.  Loopback and
synthetic data only.

  inbound_client.py make TEMPLATE [--id UUID] [--sent-at T|now|now-30d|now+11m]
        [--case NUMBER] [--version N] [--issuer ID] [--sender ID]
        [--recipient ID] [--country CC]
      prints TEMPLATE (an HLX message) with those parts replaced; --id new
      makes a fresh uuid4, --sent-at now the current time (UTC, seconds).

  inbound_client.py parse FILE
      prints the HLX answer in FILE as one JSON object: header fields,
      body name, and the fields of a Receipt, Error or Capabilities.

  inbound_client.py [CONN] seq [--sleep S] [--between CMD] [--gap-after I]
        REQ...
      sends every REQ on ONE keep-alive connection, in order; REQ is
      METHOD PATH[@FILE] (FILE: the body, sent as application/xml).
      Between request I and I+1 (--gap-after I, default every one) it
      sleeps S seconds and runs CMD (sh -c).  Prints one JSON line per
      request: {"i", "status", "retry_after", "body"} or {"i", "error"}.

  inbound_client.py [CONN] many --template FILE --threads N --count M
        [--per-conn K] [--case-prefix P] [--save DIR] [--record OUT]
        [--barrier]
      N threads send M Referrals made from TEMPLATE (fresh MessageId,
      SentAt now, case number P + index), each thread K messages per
      keep-alive connection (default 1: a connection each).  The exact
      bytes of each message go to DIR/ID.xml before they are sent; every
      answer is a JSON line in OUT (flushed at once): {"id", "status",
      "receipt_status", "partner", "received_at"} or {"id", "error"}.
      A thread whose connection fails reconnects once, and stops when that
      fails too (the gateway is gone).  --barrier: all threads connect
      first, then send at once.  Prints a summary line of JSON.

  inbound_client.py [CONN] slow --mode headers|body|tcp [--for S]
        [--out FILE]
      slowloris: headers = a request line, then one header byte a second;
      body = full headers with Content-Length 1000, then one body byte a
      second; tcp = a bare TCP connection that never starts the TLS
      handshake.  Stops when the server answers or closes, or after S
      seconds (default 15).  Prints {"t", "status", "closed"}; the answer
      body goes to FILE, its headers to FILE.hdr.

  inbound_client.py [CONN] hold --n N [--then REQ]
      opens N connections (handshakes done) and keeps them, then sends REQ
      (as seq) on one more connection; prints one JSON line for it, with
      "error" when that connection got no HTTP answer.

  CONN: --port P [--host H] --ca CA --cert CRT --key KEY
"""
import argparse
import datetime
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET

NS = "{urn:x-hlx:1}"


def now_ts(delta=0):
    t = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    t += datetime.timedelta(seconds=delta)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def sent_at(spec):
    if spec is None:
        return None
    m = re.fullmatch(r"now(?:([+-])(\d+)([smhd]))?", spec)
    if not m:
        return spec
    if not m.group(1):
        return now_ts()
    n = int(m.group(2)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(3)]
    return now_ts(n if m.group(1) == "+" else -n)


def make(text, mid=None, at=None, case=None, version=None, issuer=None,
         sender=None, recipient=None, country=None):
    def sub(pat, repl, s):
        out, k = re.subn(pat, repl, s, count=1)
        if k != 1:
            sys.exit("make: no %s in the template" % pat)
        return out
    if mid is not None:
        if mid == "new":
            mid = str(uuid.uuid4())
        text = sub(r"<MessageId>[^<]*</MessageId>",
                   "<MessageId>%s</MessageId>" % mid, text)
    if at is not None:
        text = sub(r"<SentAt>[^<]*</SentAt>", "<SentAt>%s</SentAt>" % at,
                   text)
    if sender is not None:
        text = sub(r"<Sender>[^<]*</Sender>", "<Sender>%s</Sender>" % sender,
                   text)
    if recipient is not None:
        text = sub(r"<Recipient>[^<]*</Recipient>",
                   "<Recipient>%s</Recipient>" % recipient, text)
    if country is not None:
        text = sub(r"<Country>[^<]*</Country>",
                   "<Country>%s</Country>" % country, text)
    if issuer is not None:
        text = sub(r'(<CaseRef issuer=")[^"]*(")', r"\g<1>%s\g<2>" % issuer,
                   text)
    if version is not None:
        text = sub(r'(<CaseRef [^>]*version=")[^"]*(")',
                   r"\g<1>%s\g<2>" % version, text)
    if case is not None:
        text = sub(r"(<CaseRef [^>]*>)[^<]*(</CaseRef>)",
                   r"\g<1>%s\g<2>" % case, text)
    return text


def parse(data):
    """The answer as a dict; {"unparsable": why} if it is no HLX message."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        return {"unparsable": str(e)}
    d = {"root": root.tag, "version": root.get("version")}
    h = root.find(NS + "Header")
    if h is not None:
        for f in ("MessageId", "SentAt", "Sender", "Recipient", "InReplyTo",
                  "Test"):
            e = h.find(NS + f)
            d[f] = e.text if e is not None else None
    bodies = [e for e in root if e.tag != NS + "Header"]
    if len(bodies) != 1:
        d["body"] = None
        return d
    b = bodies[0]
    d["body"] = b.tag.replace(NS, "")
    for e in b:
        name = e.tag.replace(NS, "")
        if name in ("SupportedVersion", "Version", "MessageType"):
            d.setdefault(name, []).append(e.text)
        elif name == "PartnerCaseRef":
            d["PartnerCaseRef"] = e.text
            d["PartnerIssuer"] = e.get("issuer")
        elif name == "Hotline":
            d["HotlineId"] = e.get("id")
            d["HotlineCountry"] = e.get("country")
        else:
            d[name] = e.text
    return d


def context(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(a.ca)
    ctx.load_cert_chain(a.cert, a.key)
    return ctx


def connect(a, ctx):
    c = http.client.HTTPSConnection(a.host, a.port, context=ctx, timeout=60)
    c.connect()
    return c


def request(c, method, path, body=None):
    headers = {}
    if body is not None:
        headers["Content-Type"] = "application/xml"
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    return r.status, r.getheader("Retry-After"), data


def cmd_seq(a):
    ctx = context(a)
    c = None
    for i, spec in enumerate(a.req):
        if i > 0 and (a.gap_after is None or a.gap_after == i - 1):
            if a.sleep:
                time.sleep(a.sleep)
            if a.between:
                subprocess.run(["sh", "-c", a.between], check=False)
            if a.sleep_after:
                time.sleep(a.sleep_after)
        method, _, target = spec.partition(" ")
        path, _, f = target.partition("@")
        body = open(f, "rb").read() if f else None
        out = {"i": i}
        try:
            if c is None:
                c = connect(a, ctx)
                out["new_connection"] = True
            out["status"], out["retry_after"], data = request(c, method,
                                                              path, body)
            out["body"] = data.decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as e:
            out["error"] = "%s: %s" % (type(e).__name__, e)
            c = None
        print(json.dumps(out), flush=True)
    return 0


def cmd_many(a):
    template = open(a.template, encoding="utf-8").read()
    ctx = context(a)
    lock = threading.Lock()
    rec = open(a.record, "a") if a.record else None
    counts = {}
    per = [list(range(t, a.count, a.threads)) for t in range(a.threads)]
    barrier = threading.Barrier(a.threads) if a.barrier else None

    def note(line):
        with lock:
            k = str(line.get("status", "error"))
            if line.get("receipt_status") == "duplicate":
                k += "-duplicate"
            counts[k] = counts.get(k, 0) + 1
            if rec:
                rec.write(json.dumps(line) + "\n")
                rec.flush()

    def worker(idx):
        c = None
        sent_on = 0
        try:
            if barrier:
                c = connect(a, ctx)
                barrier.wait(timeout=60)
        except (OSError, threading.BrokenBarrierError) as e:
            note({"error": "connect: %s" % e})
            return
        for n in per[idx]:
            mid = str(uuid.uuid4())
            body = make(template, mid=mid, at=now_ts(),
                        case="%s%06d" % (a.case_prefix, n)).encode("utf-8")
            if a.save:
                with open(os.path.join(a.save, mid + ".xml"), "wb") as f:
                    f.write(body)
            for attempt in (0, 1):
                try:
                    if c is None or sent_on >= a.per_conn:
                        if c is not None:
                            c.close()
                        c = connect(a, ctx)
                        sent_on = 0
                    status, _, data = request(c, "POST", "/hlx/1/messages",
                                              body)
                    sent_on += 1
                    p = parse(data)
                    note({"id": mid, "status": status,
                          "receipt_status": p.get("Status"),
                          "partner": p.get("PartnerCaseRef"),
                          "received_at": p.get("ReceivedAt"),
                          "code": p.get("Code"),
                          "in_reply_to": p.get("InReplyTo")})
                    break
                except (OSError, http.client.HTTPException) as e:
                    c = None
                    if attempt == 1:
                        note({"id": mid, "error": "%s: %s" %
                              (type(e).__name__, e)})
                        return
    threads = [threading.Thread(target=worker, args=(i,))
               for i in range(a.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if rec:
        rec.close()
    print(json.dumps(counts), flush=True)
    return 0


def cmd_slow(a):
    start = time.time()
    raw = socket.create_connection((a.host, a.port))
    if a.mode == "tcp":
        s = raw
    else:
        s = context(a).wrap_socket(raw, server_hostname=a.host)
    s.settimeout(1.0)
    if a.mode == "headers":
        s.sendall(b"GET /hlx/1/capabilities HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    elif a.mode == "body":
        s.sendall(b"POST /hlx/1/messages HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/xml\r\nContent-Length: 1000\r\n"
                  b"\r\n<")
    got = b""
    closed = False
    while time.time() - start < a.for_:
        try:
            if a.mode != "tcp" and not got:
                s.sendall(b"a")
        except OSError:
            closed = True
            break
        try:
            d = s.recv(65536)
            if not d:
                closed = True
                break
            got += d
        except socket.timeout:
            if got:
                break
        except OSError:
            closed = True
            break
    t = round(time.time() - start, 1)
    head, _, body = got.partition(b"\r\n\r\n")
    status = None
    if head.startswith(b"HTTP/1."):
        status = int(head.split()[1])
    if a.out:
        open(a.out, "wb").write(body)
        open(a.out + ".hdr", "wb").write(head.partition(b"\r\n")[2])
    print(json.dumps({"t": t, "status": status, "closed": closed}))
    return 0


def cmd_hold(a):
    ctx = context(a)
    held = []
    for _ in range(a.n):
        held.append(connect(a, ctx))
    time.sleep(0.3)
    out = {"held": len(held)}
    if a.then:
        method, _, target = a.then.partition(" ")
        path, _, f = target.partition("@")
        body = open(f, "rb").read() if f else None
        try:
            c = connect(a, ctx)
            out["status"], out["retry_after"], data = request(c, method,
                                                              path, body)
            out["body"] = data.decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as e:
            out["error"] = "%s: %s" % (type(e).__name__, e)
    print(json.dumps(out), flush=True)
    for c in held:
        c.close()
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int)
    ap.add_argument("--ca")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    sp = ap.add_subparsers(dest="cmd", required=True)
    m = sp.add_parser("make")
    m.add_argument("template")
    m.add_argument("--id")
    m.add_argument("--sent-at")
    m.add_argument("--case")
    m.add_argument("--version")
    m.add_argument("--issuer")
    m.add_argument("--sender")
    m.add_argument("--recipient")
    m.add_argument("--country")
    p = sp.add_parser("parse")
    p.add_argument("file")
    s = sp.add_parser("seq")
    s.add_argument("--sleep", type=float, default=0)
    s.add_argument("--sleep-after", type=float, default=0)
    s.add_argument("--between")
    s.add_argument("--gap-after", type=int)
    s.add_argument("req", nargs="+")
    y = sp.add_parser("many")
    y.add_argument("--template", required=True)
    y.add_argument("--threads", type=int, default=8)
    y.add_argument("--count", type=int, default=100)
    y.add_argument("--per-conn", type=int, default=1)
    y.add_argument("--case-prefix", default="NL-T-")
    y.add_argument("--save")
    y.add_argument("--record")
    y.add_argument("--barrier", action="store_true")
    w = sp.add_parser("slow")
    w.add_argument("--mode", choices=("headers", "body", "tcp"),
                   required=True)
    w.add_argument("--for", dest="for_", type=float, default=15)
    w.add_argument("--out")
    h = sp.add_parser("hold")
    h.add_argument("--n", type=int, required=True)
    h.add_argument("--then")
    a = ap.parse_args()
    if a.cmd == "make":
        text = open(a.template, encoding="utf-8").read()
        sys.stdout.write(make(text, a.id, sent_at(a.sent_at), a.case,
                              a.version, a.issuer, a.sender, a.recipient,
                              a.country))
        return 0
    if a.cmd == "parse":
        print(json.dumps(parse(open(a.file, "rb").read())))
        return 0
    if a.port is None or not (a.ca and a.cert and a.key):
        ap.error("--port, --ca, --cert and --key are needed")
    return {"seq": cmd_seq, "many": cmd_many, "slow": cmd_slow,
            "hold": cmd_hold}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
