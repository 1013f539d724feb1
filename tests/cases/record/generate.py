#!/usr/bin/env python3
"""generate.py -- writes the data-driven case-record cases.

    python3 tests/cases/record/generate.py

Each case is a base record (synthetic data only: hosts under example.*,
addresses from the documentation ranges, hashes of harmless strings such as
sha256("hlx-test-1")) plus one mutation.  For every case this script writes
what `hlx translate` must answer, decided here from the rules
(../../../../shared/spec/case-record.md, protocol.md §2.1, the message
formats of src/record.c and src/types.c), never copied from the program:

  valid/NAME/input.json + expected.xml   the XML is rendered below by an
                                         independent model of the canonical
                                         form (schema order, defaults
                                         written, Test only when true, IPv6
                                         in RFC 5952 form, hashes in the
                                         order sha256 sha1 md5 pdq photodna,
                                         `internal` never written);
  invalid/NAME/input.json + expected.err the one line hlx must print.

The runner (tests/run-cases.sh) translates with config tests/hlx-test.conf
(hotline-be.example, case_prefix IN-), --recipient hotline-nl.example, the
message id and time below.

Deterministic and re-runnable: the folders it wrote last time are listed in
generated.lst next to this script; they are removed and written again, and a
folder nobody generated (a hand-written case) is left alone.  Python 3,
standard library only.
"""
import base64
import copy
import hashlib
import ipaddress
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "generated.lst")

# What the runner passes and what tests/hlx-test.conf says.
SENDER = "hotline-be.example"
RECIPIENT = "hotline-nl.example"
MESSAGE_ID = "00000000-0000-4000-8000-000000000001"
SENT_AT = "2026-11-28T12:00:00Z"
CASE_PREFIX = "IN-"


# --------------------------------------------------------------------------
# Synthetic values
# --------------------------------------------------------------------------

def sha256(s):
    return hashlib.sha256(s.encode()).hexdigest()


def sha1(s):
    return hashlib.sha1(s.encode()).hexdigest()


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def pdq(s):
    # 256 bits as 64 lowercase hex digits, like a PDQ hash.
    return hashlib.sha256(("pdq:" + s).encode()).hexdigest()


def photodna(s):
    # 144 bytes -> 192 base64 characters, no padding.
    return base64.b64encode(hashlib.shake_256(s.encode()).digest(144)).decode()


assert len(photodna("x")) == 192

# The shared examples (/work/shared/examples/case-{nl,be}.json), byte for
# byte, so that the cases do not depend on a path outside the repository.
EXAMPLE_NL = r'''{
  "case_id": "CF-2026-000123",
  "received_at": "2026-11-28T09:12:00Z",
  "assessed_at": "2026-11-28T10:40:00Z",
  "source": "public_report",
  "reported_url": "http://gallery.example.net/album/77",
  "site_type": "image_host",
  "hosting": {
    "country": "NL",
    "ips": ["203.0.113.7", "2001:db8::7"],
    "asn": 64500,
    "provider": "Example Hosting B.V.",
    "cdn": false,
    "traced_at": "2026-11-28T10:35:00Z"
  },
  "severity": "high",
  "restriction": "red",
  "expectation": "assess_and_takedown",
  "items": [
    {
      "content_url": "http://gallery.example.net/img/77-1.jpg",
      "media_type": "image",
      "hashes": { "sha256": "a4eb5c0a7a0846eedbc464b64ac16c3bc77e139405cc5c1cb7a5539ceab1279f", "md5": "66215dc453f9685adbeca97f56e383e7" },
      "intl_verdict": "baseline",
      "national_verdict": { "jurisdiction": "BE", "status": "illegal", "code": "art-417-44" },
      "industry_class": "A1",
      "previously_assessed": false
    },
    {
      "content_url": "http://gallery.example.net/img/77-2.mp4",
      "media_type": "video",
      "hashes": { "sha256": "4d7ada32354f753567bd4ad4c805d5f1422454f1846ef94f1278d67e2ee64f06" },
      "intl_verdict": "not_assessed",
      "national_verdict": { "jurisdiction": "BE", "status": "illegal" }
    }
  ],
  "sender_actions": { "lea_notified_at": null, "host_notified_at": null },
  "test": false,
  "internal": { "analyst": "analyst-2", "notes": "internal note that must never leave the hotline" }
}
'''

EXAMPLE_BE = r'''{
  "case_id": "CF-2026-000124",
  "received_at": "2026-11-28T11:00:00Z",
  "assessed_at": "2026-11-28T11:30:00Z",
  "source": "public_report",
  "reported_url": "https://forum.example.org/t/5512",
  "site_type": "forum",
  "hosting": { "country": "BE", "ips": ["198.51.100.23"], "traced_at": "2026-11-28T11:25:00Z" },
  "severity": "critical",
  "items": [
    {
      "content_url": "https://forum.example.org/att/5512-a.png",
      "media_type": "image",
      "hashes": { "sha256": "5547f2226f7b8f190a8ae9d29a2552619b4e2234c4364707f31d1df821a779e6" },
      "intl_verdict": "baseline"
    }
  ]
}
'''

# The base of every generated case: case-nl.json with our own hashes.
BASE = {
    "case_id": "CF-2026-000123",
    "received_at": "2026-11-28T09:12:00Z",
    "assessed_at": "2026-11-28T10:40:00Z",
    "source": "public_report",
    "reported_url": "http://gallery.example.net/album/77",
    "site_type": "image_host",
    "hosting": {
        "country": "NL",
        "ips": ["203.0.113.7", "2001:db8::7"],
        "asn": 64500,
        "provider": "Example Hosting B.V.",
        "cdn": False,
        "traced_at": "2026-11-28T10:35:00Z",
    },
    "severity": "high",
    "restriction": "red",
    "expectation": "assess_and_takedown",
    "items": [
        {
            "content_url": "http://gallery.example.net/img/77-1.jpg",
            "media_type": "image",
            "hashes": {"sha256": sha256("hlx-test-1"), "md5": md5("hlx-test-1")},
            "intl_verdict": "baseline",
            "national_verdict": {"jurisdiction": "BE", "status": "illegal",
                                 "code": "art-417-44"},
            "industry_class": "A1",
            "previously_assessed": False,
        },
        {
            "content_url": "http://gallery.example.net/img/77-2.mp4",
            "media_type": "video",
            "hashes": {"sha256": sha256("hlx-test-2")},
            "intl_verdict": "not_assessed",
            "national_verdict": {"jurisdiction": "BE", "status": "illegal"},
        },
    ],
    "sender_actions": {"lea_notified_at": None, "host_notified_at": None},
    "test": False,
    "internal": {"analyst": "analyst-2",
                 "notes": "internal note that must never leave the hotline"},
}

MINIMAL = {
    "case_id": "CF-2026-000200",
    "received_at": "2026-11-28T09:12:00Z",
    "assessed_at": "2026-11-28T10:40:00Z",
    "source": "proactive",
    "reported_url": "https://files.example.com/d/1",
    "hosting": {"country": "NL", "traced_at": "2026-11-28T10:35:00Z"},
    "severity": "low",
    "items": [
        {
            "content_url": "https://files.example.com/d/1/a.zip",
            "media_type": "archive",
            "intl_verdict": "not_baseline",
        }
    ],
}


def base():
    return copy.deepcopy(BASE)


def dump(rec):
    """The record as the case system would write it: UTF-8, indented."""
    return (json.dumps(rec, indent=2, ensure_ascii=False) + "\n").encode()


# --------------------------------------------------------------------------
# The expected XML: an independent model of the canonical form
# (protocol.md §2, §2.3; operations.md §3 via message_write.c's contract).
# --------------------------------------------------------------------------

HASH_ORDER = ["sha256", "sha1", "md5", "pdq", "photodna"]


def esc(s):
    # What an XML writer must escape in text and attribute values.
    return (s.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;"))


def ip5952(s):
    if ":" not in s:
        return str(ipaddress.IPv4Address(s))
    a = ipaddress.IPv6Address(s)
    if a.ipv4_mapped is not None:
        # RFC 5952 §5: ::ffff:192.0.2.1
        return "::ffff:" + str(a.ipv4_mapped)
    return a.compressed  # lowercase, longest run (>1 group) of zeros, first


def render(rec, recipient=RECIPIENT):
    out = []

    def line(depth, text):
        out.append("  " * depth + text)

    def elem(depth, name, value):
        line(depth, "<%s>%s</%s>" % (name, esc(value), name))

    def boolean(v):
        return "true" if v else "false"

    out.append('<?xml version="1.0" encoding="UTF-8"?>')
    line(0, '<Message xmlns="urn:x-hlx:1" version="1.0">')
    line(1, "<Header>")
    elem(2, "MessageId", MESSAGE_ID)
    elem(2, "SentAt", SENT_AT)
    elem(2, "Sender", SENDER)
    elem(2, "Recipient", recipient)
    if rec.get("test") is True:
        elem(2, "Test", "true")
    line(1, "</Header>")
    line(1, "<Referral>")
    line(2, '<CaseRef issuer="%s" version="1">%s</CaseRef>'
         % (esc(SENDER), esc(rec["case_id"])))
    elem(2, "Restriction", rec.get("restriction", "red"))
    elem(2, "ReportedUrl", rec["reported_url"])
    elem(2, "ReceivedAt", rec["received_at"])
    elem(2, "AssessedAt", rec["assessed_at"])
    elem(2, "Source", rec["source"])
    if "site_type" in rec:
        elem(2, "SiteType", rec["site_type"])
    h = rec["hosting"]
    line(2, "<Hosting>")
    elem(3, "Country", h["country"])
    for ip in h.get("ips", []):
        elem(3, "Ip", ip5952(ip))
    if "asn" in h:
        elem(3, "Asn", str(h["asn"]))
    if "provider" in h:
        elem(3, "Provider", h["provider"])
    if "cdn" in h:
        elem(3, "Cdn", boolean(h["cdn"]))
    elem(3, "TracedAt", h["traced_at"])
    line(2, "</Hosting>")
    elem(2, "Severity", rec["severity"])
    line(2, "<Items>")
    for it in rec["items"]:
        line(3, "<Item>")
        elem(4, "ContentUrl", it["content_url"])
        elem(4, "MediaType", it["media_type"])
        hashes = it.get("hashes", {})
        for alg in HASH_ORDER:
            if alg in hashes:
                line(4, '<Hash alg="%s">%s</Hash>' % (alg, esc(hashes[alg])))
        elem(4, "IntlVerdict", it["intl_verdict"])
        if "national_verdict" in it:
            nv = it["national_verdict"]
            attrs = ' jurisdiction="%s"' % esc(nv["jurisdiction"])
            if "code" in nv:
                attrs += ' code="%s"' % esc(nv["code"])
            line(4, "<NationalVerdict%s>%s</NationalVerdict>"
                 % (attrs, esc(nv["status"])))
        if "industry_class" in it:
            elem(4, "IndustryClass", it["industry_class"])
        if "previously_assessed" in it:
            elem(4, "PreviouslyAssessed", boolean(it["previously_assessed"]))
        line(3, "</Item>")
    line(2, "</Items>")
    sa = rec.get("sender_actions") or {}
    lea, host = sa.get("lea_notified_at"), sa.get("host_notified_at")
    if lea is not None or host is not None:
        line(2, "<SenderActions>")
        if lea is not None:
            elem(3, "LeaNotifiedAt", lea)
        if host is not None:
            elem(3, "HostNotifiedAt", host)
        line(2, "</SenderActions>")
    elem(2, "Expectation", rec.get("expectation", "assess_and_takedown"))
    line(1, "</Referral>")
    line(0, "</Message>")
    return ("\n".join(out) + "\n").encode()


# --------------------------------------------------------------------------
# The expected error lines, from the rules.  Vocabularies in the order of
# protocol.md §2.3; messages in the forms of record.c / types.c.
# --------------------------------------------------------------------------

VOCAB = {
    "source": "public_report, proactive, hash_match, partner",
    "site_type": "website, image_host, file_host, forum, image_store, "
                 "banner_site, link_site, social_network, blog, "
                 "search_provider, redirector, web_archive, other",
    "severity": "low, medium, high, critical",
    "restriction": "red, amber+strict, amber, green, clear",
    "expectation": "assess_and_takedown, inform_only",
    "media_type": "image, video, archive, text, other",
    "intl_verdict": "baseline, not_baseline, not_assessed",
    "national": "illegal, not_illegal, not_assessed",
    "industry_class": "A1, A2, B1, B2",
    "hash": "sha256, sha1, md5, pdq, photodna",
}

REQUIRED = "is required"
UNKNOWN = "unknown member"
NULL = "null is not allowed here"
DUPLICATE = "duplicate member"
TIMESTAMP = ("not an RFC 3339 UTC timestamp "
             "(YYYY-MM-DDTHH:MM:SS[.ffffff]Z)")
COUNTRY_FORM = "not a country (two upper-case letters, ISO 3166-1)"
COUNTRY_ISO = "not an ISO 3166-1 alpha-2 country code"
URL_LONG = "longer than 2048 characters"
URL_ASCII = "not printable ASCII (IRIs must be percent-encoded)"
URL_SCHEME = "not an absolute http or https URL"
URL_HOST = "has no host"
URL_LITERAL = "has a malformed IP literal host"
URL_HOST_PORT = "has a malformed host or port"
URL_TWO_AT = "has more than one @ before its host"
IP = "not an IPv4 or IPv6 address"
TEXT_LONG = "longer than 1000 characters"
TEXT_CONTROL = "contains a control character"
CASE_NUMBER = "not a case number (1 to 64 of A-Z a-z 0-9 . _ : -)"
TOKEN = "not a token (1 to 64 of A-Z a-z 0-9 . _ : / -)"
ASN = "expected an AS number from 1 to 4294967295"
DEPTH = "nested deeper than 32 levels"


def quote(s):
    """A value quoted in an error: printable ASCII but '"', else '?';
    at most 58 characters, then "..." (record.c quote(), 64-byte buffer)."""
    b = s.encode()
    q = "".join(chr(c) if 0x20 <= c < 0x7f and c != 0x22 else "?"
                for c in b[:58])
    return '"%s%s"' % (q, "..." if len(b) > 58 else "")


def enum_err(vocab, got):
    return "expected one of %s, got %s" % (VOCAB[vocab], quote(got))


def got(want, kind):
    return "expected %s, got %s" % (want, kind)


def line(path, what):
    return "hlx: input.json: %s: %s\n" % (path, what)


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

VALID = {}      # name -> (input bytes, expected xml bytes)
INVALID = {}    # name -> (input bytes, expected err line)


def valid(name, rec, text=None):
    assert name not in VALID, name
    data = text if text is not None else dump(rec)
    # The model parses what it renders from, so input and model agree.
    assert json.loads(data.decode()) == rec, name
    xml = render(rec)
    # internal never leaves the hotline: every value in it that names
    # itself internal must be absent from the message.
    for s in strings(rec.get("internal", {})):
        assert "internal" not in s.lower() or s.encode() not in xml, \
            (name, s)
    VALID[name] = (data, xml)


def invalid(name, data, err):
    assert name not in INVALID, name
    if not isinstance(data, bytes):
        data = dump(data)
    assert err.endswith("\n") and err.count("\n") == 1, name
    INVALID[name] = (data, err)


def strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for k, e in v.items():
            yield k
            yield from strings(e)
    elif isinstance(v, list):
        for e in v:
            yield from strings(e)


def set_path(rec, path, value):
    """set_path(r, "hosting.provider", v); items[0] written "items.0"."""
    keys = path.split(".")
    cur = rec
    for k in keys[:-1]:
        cur = cur[int(k)] if isinstance(cur, list) else cur[k]
    last = keys[-1]
    if isinstance(cur, list):
        cur[int(last)] = value
    else:
        cur[last] = value
    return rec


def del_path(rec, path):
    keys = path.split(".")
    cur = rec
    for k in keys[:-1]:
        cur = cur[int(k)] if isinstance(cur, list) else cur[k]
    del cur[keys[-1]]
    return rec


def json_path(path):
    """"items.0.hashes.sha256" -> "items[0].hashes.sha256"."""
    out = ""
    for k in path.split("."):
        if k.isdigit():
            out += "[%s]" % k
        else:
            out += ("." if out else "") + k
    return out


def slug(path):
    """"items.0.media_type" -> "items-0-media_type", for a folder name."""
    return path.replace(".", "-")


def with_value(path, value):
    return set_path(base(), path, value)


def without(path):
    return del_path(base(), path)


def nested(key, levels, leaf):
    """levels objects {key: {key: ... leaf}} (levels >= 1)."""
    v = leaf
    for _ in range(levels):
        v = {key: v}
    return v


def nested_arrays(levels, leaf):
    v = leaf
    for _ in range(levels):
        v = [v]
    return v


def item(i, **extra):
    it = {
        "content_url": "http://gallery.example.net/img/%04d.jpg" % i,
        "media_type": "image",
        "hashes": {"sha256": sha256("hlx-test-%d" % i)},
        "intl_verdict": "baseline",
    }
    it.update(extra)
    return it


def url_of_length(n, prefix="http://gallery.example.net/"):
    u = prefix + "p/"
    u += "a" * (n - len(u))
    assert len(u) == n
    return u


def define_valid():
    valid("example-nl", json.loads(EXAMPLE_NL), EXAMPLE_NL.encode())
    valid("example-be", json.loads(EXAMPLE_BE), EXAMPLE_BE.encode())
    valid("base", base())
    valid("minimal", copy.deepcopy(MINIMAL))

    every = {
        "case_id": "CF-2026-000201",
        "received_at": MINIMAL["received_at"],
        "assessed_at": MINIMAL["assessed_at"],
        "source": "hash_match",
        "reported_url": MINIMAL["reported_url"],
        "site_type": "web_archive",
        "hosting": {
            "country": "DE",
            "ips": ["192.0.2.10", "2001:db8:a::10"],
            "asn": 64496,
            "provider": "Example Cloud GmbH",
            "cdn": True,
            "traced_at": "2026-11-28T10:35:00.5Z",
        },
        "severity": "critical",
        "restriction": "amber+strict",
        "expectation": "inform_only",
        "items": [{
            "content_url": "https://files.example.com/d/1/a.zip",
            "media_type": "archive",
            "hashes": {"sha256": sha256("hlx-test-1"),
                       "sha1": sha1("hlx-test-1"),
                       "md5": md5("hlx-test-1"),
                       "pdq": pdq("hlx-test-1"),
                       "photodna": photodna("hlx-test-1")},
            "intl_verdict": "not_baseline",
            "national_verdict": {"jurisdiction": "DE",
                                 "status": "not_illegal",
                                 "code": "sec/184b:1"},
            "industry_class": "B2",
            "previously_assessed": True,
        }],
        "sender_actions": {"lea_notified_at": "2026-11-28T11:00:00Z",
                           "host_notified_at": "2026-11-28T11:05:00.123456Z"},
        "test": True,
        "internal": {"analyst": "analyst-7",
                     "notes": "every-optional internal note, never sent"},
    }
    valid("every-optional-member", every)

    # Member order in the JSON does not matter: every object reversed.
    def reverse(v):
        if isinstance(v, dict):
            return {k: reverse(v[k]) for k in reversed(list(v))}
        if isinstance(v, list):
            return [reverse(e) for e in v]
        return v
    valid("members-in-reverse-order", reverse(every))

    r = base()
    r["items"] = [item(i, media_type=["image", "video", "archive", "text",
                                      "other"][i % 5])
                  for i in range(1000)]
    valid("items-1000", r)

    r = base()
    r["reported_url"] = url_of_length(2048)
    r["items"][0]["content_url"] = url_of_length(
        2048, "https://cdn.example.org:8443/")
    valid("url-2048", r)

    r = base()
    r["hosting"]["ips"] = (["192.0.2.%d" % i for i in range(1, 6)]
                           + ["198.51.100.%d" % i for i in range(250, 256)]
                           + ["203.0.113.0", "2001:db8::1", "2001:db8::2",
                              "2001:db8:ffff::ffff", "2001:db8::c0:0:2:1"])
    assert len(r["hosting"]["ips"]) == 16
    valid("ips-16", r)

    # 1000 code points, 2500 bytes: 'é' (2 bytes), an emoji (4 bytes), 'a'.
    r = base()
    r["hosting"]["provider"] = ("é\U0001F600a" * 334)[:1000]
    assert len(r["hosting"]["provider"]) == 1000
    assert len(r["hosting"]["provider"].encode()) > 2000
    valid("provider-1000-code-points", r)

    r = base()
    r["hosting"]["provider"] = 'Tab\there, line\nfeed & <b>"quoted"</b> \'x\''
    valid("provider-tab-newline-xml-specials", r)

    # Given in reverse order; written sha256 sha1 md5 pdq photodna.
    r = base()
    r["items"][0]["hashes"] = {"photodna": photodna("hlx-test-1"),
                               "pdq": pdq("hlx-test-1"),
                               "md5": md5("hlx-test-1"),
                               "sha1": sha1("hlx-test-1"),
                               "sha256": sha256("hlx-test-1")}
    r["items"][1]["hashes"] = {"md5": md5("hlx-test-2"),
                               "photodna": "A" * 190 + "=="}
    valid("hashes-every-algorithm", r)

    r = base()
    r["items"][0]["hashes"] = {}
    del r["items"][1]["hashes"]
    valid("hashes-empty-and-absent", r)

    valid("test-true", with_value("test", True))

    r = base()
    r["hosting"]["ips"] = ["2001:DB8:0:0::7",
                           "2001:0db8:0000:0000:0001:0000:0000:0000",
                           "2001:db8:0:0:1:0:0:1",
                           "2001:db8:0:1:1:1:1:1",
                           "2001:DB8::ABCD:0:0",
                           "2001:db8::0:1",
                           "::ffff:192.0.2.1",
                           "192.0.2.255"]
    valid("ipv6-normalisation", r)

    r = base()
    r["sender_actions"] = {"lea_notified_at": None,
                           "host_notified_at": "2026-11-28T11:00:00Z"}
    valid("sender-actions-one-null", r)

    r = base()
    r["sender_actions"] = {"lea_notified_at": "2026-11-28T11:00:00Z"}
    valid("sender-actions-lea-only", r)

    r = base()
    r["sender_actions"] = {}
    valid("sender-actions-empty", r)

    r = base()
    r["internal"] = {
        "analyst": "INTERNAL-ANALYST-a.peeters",
        "notes": "INTERNAL-NOTE reporter called twice",
        "history": [{"at": "2026-11-28T09:12:00Z",
                     "what": "INTERNAL-HISTORY-received"},
                    {"at": "2026-11-28T10:40:00Z",
                     "what": "INTERNAL-HISTORY-assessed",
                     "tags": ["INTERNAL-TAG-1", "INTERNAL-TAG-2"]}],
        "flags": {"urgent": True, "count": 3,
                  "reporter": {"channel": "INTERNAL-CHANNEL-web"}},
    }
    valid("internal-nested", r)

    # internal is level 2; 30 more objects inside put the last at level 32.
    r = base()
    r["internal"] = {"d": nested("d", 29, {"leaf": "INTERNAL-DEEPEST"})}
    valid("internal-depth-32", r)

    r = base()
    r["internal"] = {"a": nested_arrays(30, "INTERNAL-DEEPEST-ARRAY")}
    valid("internal-depth-32-arrays", r)

    r = base()
    r["received_at"] = "2028-02-29T00:00:00Z"
    r["assessed_at"] = "2028-02-29T23:59:59.999999Z"
    r["hosting"]["traced_at"] = "2000-02-29T12:00:00.1Z"
    valid("timestamps-leap-day-and-fractions", r)

    r = base()
    r["hosting"]["asn"] = 4294967295
    valid("asn-max", r)
    valid("asn-1", with_value("hosting.asn", 1))

    r = base()
    r["case_id"] = "Cf.2026_x:" + "9" * 54
    assert len(r["case_id"]) == 64
    valid("case-id-64-characters", r)

    r = base()
    r["reported_url"] = "HTTPS://user:pw@[2001:db8::1]:8080/x?q=1#f"
    r["items"][0]["content_url"] = "http://198.51.100.7:/a?b=%20&c=<d>"
    valid("url-forms", r)

    r = base()
    r["items"][1]["national_verdict"]["code"] = "A/b.c_d:e-" + "f" * 54
    r["items"][1]["industry_class"] = "B1"
    r["items"][1]["previously_assessed"] = True
    r["hosting"]["cdn"] = True
    valid("optional-item-members", r)

    r = base()
    r["source"] = "partner"
    r["site_type"] = "other"
    r["severity"] = "medium"
    r["restriction"] = "clear"
    r["items"][0]["media_type"] = "text"
    r["items"][0]["intl_verdict"] = "not_assessed"
    r["items"][0]["national_verdict"]["status"] = "not_assessed"
    r["items"][0]["industry_class"] = "A2"
    valid("vocabulary-other-values", r)


def define_invalid():
    # -- every required member missing in turn
    for p in ["case_id", "received_at", "assessed_at", "source",
              "reported_url", "hosting", "hosting.country",
              "hosting.traced_at", "severity", "items",
              "items.0.content_url", "items.0.media_type",
              "items.0.intl_verdict", "items.0.national_verdict.jurisdiction",
              "items.0.national_verdict.status"]:
        invalid("missing-" + slug(p),
                without(p), line(json_path(p), REQUIRED))

    # -- every vocabulary with a bad value
    for p, vocab, bad in [
            ("source", "source", "tip"),
            ("site_type", "site_type", "webpage"),
            ("severity", "severity", "High"),
            ("restriction", "restriction", "amber-strict"),
            ("expectation", "expectation", "takedown"),
            ("items.0.media_type", "media_type", "photo"),
            ("items.0.intl_verdict", "intl_verdict", "illegal"),
            ("items.0.national_verdict.status", "national", "legal"),
            ("items.0.industry_class", "industry_class", "C1")]:
        name = "enum-" + slug(p)
        invalid(name, with_value(p, bad), line(json_path(p),
                                                enum_err(vocab, bad)))
    # the quote of a value: long (cut at 58 + ...), and '"' / non-ASCII
    long_value = "critical-" + "x" * 91
    invalid("enum-severity-long-value", with_value("severity", long_value),
            line("severity", enum_err("severity", long_value)))
    assert quote(long_value) == '"critical-' + "x" * 49 + '..."'
    invalid("enum-source-quote-and-non-ascii",
            with_value("source", 'pub"lic_repört'),
            line("source", 'expected one of %s, got "pub?lic_rep??rt"'
                 % VOCAB["source"]))
    invalid("enum-wrong-type", with_value("severity", 3),
            line("severity", got("a string", "an integer")))

    # -- every limit one past its edge
    r = base()
    r["items"] = [item(i) for i in range(1001)]
    invalid("items-1001", r, line("items",
                                  "expected 1 to 1000 items, got 1001"))
    invalid("items-0", with_value("items", []),
            line("items", "expected 1 to 1000 items, got 0"))
    invalid("url-2049-reported", with_value("reported_url",
                                            url_of_length(2049)),
            line("reported_url", URL_LONG))
    invalid("url-2049-content",
            with_value("items.1.content_url", url_of_length(2049)),
            line("items[1].content_url", URL_LONG))
    r = base()
    r["hosting"]["ips"] = ["192.0.2.%d" % i for i in range(1, 18)]
    invalid("ips-17", r, line("hosting.ips",
                              "expected at most 16 addresses, got 17"))
    invalid("provider-1001-code-points",
            with_value("hosting.provider", ("é\U0001F600a" * 334)[:1001]),
            line("hosting.provider", TEXT_LONG))

    # -- hashes
    for alg, want, n, what in [("sha256", 64, 12, "hex digits"),
                               ("sha256", 64, 65, "hex digits"),
                               ("sha1", 40, 39, "hex digits"),
                               ("md5", 32, 33, "hex digits"),
                               ("pdq", 64, 63, "hex digits"),
                               ("photodna", 192, 193, "base64 characters"),
                               ("photodna", 192, 191, "base64 characters")]:
        value = ("0123456789abcdef" * 13)[:n] if what == "hex digits" \
            else ("ABCDabcd0123+/" * 14)[:n]
        invalid("hash-%s-length-%d" % (alg, n),
                with_value("items.0.hashes." + alg, value),
                line("items[0].hashes." + alg,
                     "expected %d %s, got %d" % (want, what, n)))
    invalid("hash-sha256-uppercase",
            with_value("items.0.hashes.sha256", sha256("hlx-test-1").upper()),
            line("items[0].hashes.sha256",
                 "expected lowercase hex digits only"))
    invalid("hash-md5-not-hex",
            with_value("items.0.hashes.md5", "g" * 32),
            line("items[0].hashes.md5", "expected lowercase hex digits only"))
    invalid("hash-photodna-not-base64",
            with_value("items.0.hashes.photodna", "A" * 191 + "-"),
            line("items[0].hashes.photodna",
                 "expected base64 characters only"))
    invalid("hash-unknown-algorithm",
            with_value("items.1.hashes.sha512",
                       hashlib.sha512(b"hlx-test-1").hexdigest()),
            line("items[1].hashes.sha512",
                 "unknown hash algorithm (expected one of %s)"
                 % VOCAB["hash"]))
    invalid("hash-not-a-string", with_value("items.0.hashes.md5", 12345),
            line("items[0].hashes.md5", got("a string", "an integer")))
    invalid("hashes-null", with_value("items.0.hashes", None),
            line("items[0].hashes", NULL))

    # -- duplicate keys (JSON_REJECT_DUPLICATES): the spec wants the path
    text = dump(base()).decode()
    dup = text.replace('"md5": "%s"' % md5("hlx-test-1"),
                       '"sha256": "%s",\n        "md5": "%s"'
                       % (sha256("hlx-test-3"), md5("hlx-test-1")), 1)
    assert dup != text
    invalid("hash-two-of-one-algorithm", dup.encode(),
            line("items[0].hashes.sha256", DUPLICATE))
    dup = text.replace('  "source": ', '  "case_id": "CF-2026-000999",\n'
                       '  "source": ', 1)
    assert dup != text
    invalid("duplicate-key-top-level", dup.encode(),
            line("case_id", DUPLICATE))
    # deeper, after arrays, nested objects and strings that hold brackets,
    # commas, colons and escaped quotes
    r = base()
    r["internal"] = {"notes": 'a "quoted" {[,:]} note \\', "x": [1, {"y": 2}]}
    text = dump(r).decode()
    marker = '"x": ['
    assert text.count(marker) == 1
    dup = text.replace(marker, '"notes": "again",\n    ' + marker)
    invalid("duplicate-key-internal-after-tricky-string", dup.encode(),
            line("internal.notes", DUPLICATE))
    text = dump(base()).decode()
    marker = '"status": "illegal"\n      }\n    }\n  ]'
    assert text.count(marker) == 1
    dup = text.replace(marker, '"status": "illegal",\n        '
                       '"status": "not_illegal"\n      }\n    }\n  ]')
    invalid("duplicate-key-items-1-national-verdict", dup.encode(),
            line("items[1].national_verdict.status", DUPLICATE))
    marker = '"cdn": false,'
    assert text.count(marker) == 1
    dup = text.replace(marker, marker + '\n    "ips": [],')
    invalid("duplicate-key-hosting-after-array", dup.encode(),
            line("hosting.ips", DUPLICATE))

    # -- unknown members (realistic typos)
    invalid("unknown-member-top-level",
            set_path(without("received_at"), "recieved_at",
                     "2026-11-28T09:12:00Z"),
            line("recieved_at", UNKNOWN))
    invalid("unknown-member-hosting", with_value("hosting.ip", "192.0.2.1"),
            line("hosting.ip", UNKNOWN))
    invalid("unknown-member-item",
            with_value("items.1.media", "video"),
            line("items[1].media", UNKNOWN))
    invalid("unknown-member-national-verdict",
            with_value("items.0.national_verdict.article", "417"),
            line("items[0].national_verdict.article", UNKNOWN))
    invalid("unknown-member-sender-actions",
            with_value("sender_actions.police_notified_at",
                       "2026-11-28T11:00:00Z"),
            line("sender_actions.police_notified_at", UNKNOWN))
    invalid("unknown-member-handoff",
            with_value("handoff", {"kind": "domestic"}),
            line("handoff", UNKNOWN))

    # -- encoding and text
    data = dump(with_value("hosting.provider", "Example Hosting B.V."))
    at = data.index(b"Example Hosting") + len("Example")
    data = data[:at] + b"\xff" + data[at + 1:]
    invalid("not-utf8", data, line("(record)", "byte %d: not valid UTF-8 "
                                   "(or a NUL byte)" % at))
    invalid("control-u0001-in-provider",
            with_value("hosting.provider", "Example\x01Hosting"),
            line("hosting.provider", TEXT_CONTROL))
    invalid("control-cr-in-provider",
            with_value("hosting.provider", "Example Hosting\r\nB.V."),
            line("hosting.provider", TEXT_CONTROL))
    invalid("control-c1-in-provider",
            with_value("hosting.provider", "Example\u0085Hosting"),
            line("hosting.provider", TEXT_CONTROL))
    invalid("control-del-in-provider",
            with_value("hosting.provider", "Example\x7fHosting"),
            line("hosting.provider", TEXT_CONTROL))

    # -- URLs
    invalid("url-non-ascii", with_value("reported_url",
                                        "http://bücher.example/album/77"),
            line("reported_url", URL_ASCII))
    invalid("url-space", with_value("items.0.content_url",
                                    "http://gallery.example.net/img/77 1.jpg"),
            line("items[0].content_url", URL_ASCII))
    invalid("url-ftp", with_value("reported_url",
                                  "ftp://files.example.com/album/77"),
            line("reported_url", URL_SCHEME))
    invalid("url-relative", with_value("reported_url", "/album/77"),
            line("reported_url", URL_SCHEME))
    invalid("url-no-host", with_value("reported_url", "http:///album/77"),
            line("reported_url", URL_HOST))
    invalid("url-no-host-port-only",
            with_value("reported_url", "http://:8080/album/77"),
            line("reported_url", URL_HOST))
    invalid("url-no-host-userinfo-only",
            with_value("reported_url", "http://user@/album/77"),
            line("reported_url", URL_HOST))
    # Forms the schema refuses (schemas/hlx-1.xsd, Url): the record check
    # must refuse them too, as a record error (exit 65), not let translate
    # fail its own output check (exit 70).
    # (Wording: these reasons are more precise than the generic "not an
    # absolute http or https URL" this script first expected.)
    invalid("url-empty-ip-literal",
            with_value("reported_url", "http://[]/album/77"),
            line("reported_url", URL_LITERAL))
    invalid("url-ip-literal-unclosed",
            with_value("reported_url", "http://[2001:db8::1/album/77"),
            line("reported_url", URL_LITERAL))
    invalid("url-port-not-digits",
            with_value("reported_url", "http://gallery.example.net:80a/x"),
            line("reported_url", URL_HOST_PORT))
    invalid("url-two-at-signs",
            with_value("reported_url", "http://a@b@gallery.example.net/x"),
            line("reported_url", URL_TWO_AT))
    invalid("url-backslash-in-host",
            with_value("reported_url", "http://gallery\\example.net/x"),
            line("reported_url", URL_HOST_PORT))

    # -- timestamps
    invalid("timestamp-no-z",
            with_value("received_at", "2026-11-28T09:12:00"),
            line("received_at", TIMESTAMP))
    invalid("timestamp-offset",
            with_value("received_at", "2026-11-28T09:12:00+00:00"),
            line("received_at", TIMESTAMP))
    invalid("timestamp-month-13",
            with_value("assessed_at", "2026-13-28T10:40:00Z"),
            line("assessed_at", TIMESTAMP))
    invalid("timestamp-feb-30",
            with_value("hosting.traced_at", "2026-02-30T10:35:00Z"),
            line("hosting.traced_at", TIMESTAMP))
    invalid("timestamp-feb-29-not-leap",
            with_value("hosting.traced_at", "2100-02-29T10:35:00Z"),
            line("hosting.traced_at", TIMESTAMP))
    invalid("timestamp-7-fraction-digits",
            with_value("assessed_at", "2026-11-28T10:40:00.1234567Z"),
            line("assessed_at", TIMESTAMP))
    invalid("timestamp-empty-fraction",
            with_value("assessed_at", "2026-11-28T10:40:00.Z"),
            line("assessed_at", TIMESTAMP))
    invalid("timestamp-sender-actions",
            with_value("sender_actions.host_notified_at", "yesterday"),
            line("sender_actions.host_notified_at", TIMESTAMP))

    # -- countries
    invalid("country-lowercase", with_value("hosting.country", "nl"),
            line("hosting.country", COUNTRY_FORM))
    invalid("country-not-iso", with_value("hosting.country", "XX"),
            line("hosting.country", COUNTRY_ISO))
    invalid("country-three-letters", with_value("hosting.country", "NLD"),
            line("hosting.country", COUNTRY_FORM))
    invalid("jurisdiction-not-iso",
            with_value("items.1.national_verdict.jurisdiction", "EU"),
            line("items[1].national_verdict.jurisdiction", COUNTRY_ISO))
    invalid("national-verdict-code-not-token",
            with_value("items.0.national_verdict.code", "art 417"),
            line("items[0].national_verdict.code", TOKEN))

    # -- IP addresses
    invalid("ip-octet-256", with_value("hosting.ips.0", "256.1.1.1"),
            line("hosting.ips[0]", IP))
    invalid("ip-leading-zero", with_value("hosting.ips.1", "01.2.3.4"),
            line("hosting.ips[1]", IP))
    invalid("ip-v6-two-double-colons",
            with_value("hosting.ips.1", "2001:db8::1::2"),
            line("hosting.ips[1]", IP))
    invalid("ip-v6-zone", with_value("hosting.ips.1", "fe80::1%eth0"),
            line("hosting.ips[1]", IP))
    invalid("ip-not-a-string", with_value("hosting.ips.0", 3221225985),
            line("hosting.ips[0]", got("a string", "an integer")))

    # -- numbers and types
    invalid("asn-0", with_value("hosting.asn", 0), line("hosting.asn", ASN))
    invalid("asn-4294967296", with_value("hosting.asn", 4294967296),
            line("hosting.asn", ASN))
    invalid("asn-negative", with_value("hosting.asn", -64500),
            line("hosting.asn", ASN))
    invalid("asn-float", with_value("hosting.asn", 64500.0),
            line("hosting.asn", got("an integer", "a number with a "
                                    "fraction or exponent")))
    assert b'"asn": 64500.0' in INVALID["asn-float"][0]
    invalid("asn-string", with_value("hosting.asn", "64500"),
            line("hosting.asn", got("an integer", "a string")))
    invalid("bool-as-string-cdn", with_value("hosting.cdn", "false"),
            line("hosting.cdn", got("true or false", "a string")))
    invalid("bool-as-string-test", with_value("test", "true"),
            line("test", got("true or false", "a string")))
    invalid("bool-as-integer-previously-assessed",
            with_value("items.0.previously_assessed", 0),
            line("items[0].previously_assessed",
                 got("true or false", "an integer")))
    invalid("null-site-type", with_value("site_type", None),
            line("site_type", NULL))
    invalid("null-test", with_value("test", None), line("test", NULL))
    invalid("null-provider", with_value("hosting.provider", None),
            line("hosting.provider", NULL))
    invalid("null-national-verdict",
            with_value("items.1.national_verdict", None),
            line("items[1].national_verdict", NULL))
    invalid("hosting-not-object", with_value("hosting", "NL"),
            line("hosting", got("an object", "a string")))
    invalid("sender-actions-not-object", with_value("sender_actions", []),
            line("sender_actions", got("an object", "an array")))
    invalid("internal-not-object", with_value("internal", "note"),
            line("internal", got("an object", "a string")))

    # -- depth: root = level 1, internal = 2; the 33rd level is refused and
    # named by the path of the object (or array) that is too deep.
    r = base()
    r["internal"] = {"d": nested("d", 30, {"leaf": "x"})}
    invalid("depth-33-objects-in-internal", r,
            line("internal" + ".d" * 31, DEPTH))
    r = base()
    r["internal"] = {"a": nested_arrays(31, "x")}
    invalid("depth-33-arrays-in-internal", r,
            line("internal.a" + "[0]" * 30, DEPTH))

    # -- the document
    invalid("top-level-array", b"[" + dump(base()).rstrip() + b"]\n",
            line("(record)", got("an object", "an array")))
    invalid("top-level-string", b'"CF-2026-000123"\n',
            line("(record)", got("an object", "a string")))

    # -- case_id
    invalid("case-id-case-prefix", with_value("case_id", "IN-2026-000088"),
            line("case_id", "must not start with the prefix of received "
                 "cases, " + CASE_PREFIX))
    invalid("case-id-space", with_value("case_id", "CF 2026-000123"),
            line("case_id", CASE_NUMBER))
    invalid("case-id-65-characters", with_value("case_id", "C" * 65),
            line("case_id", CASE_NUMBER))
    invalid("case-id-empty", with_value("case_id", ""),
            line("case_id", CASE_NUMBER))
    invalid("case-id-integer", with_value("case_id", 123),
            line("case_id", got("a string", "an integer")))

    # -- items
    invalid("items-content-url-repeated",
            with_value("items.1.content_url",
                       "http://gallery.example.net/img/77-1.jpg"),
            line("items[1].content_url", "repeats items[0].content_url; "
                 "content URLs must be distinct"))
    r = base()
    r["items"] = [item(0), item(1), item(0)]
    invalid("items-content-url-repeated-not-adjacent", r,
            line("items[2].content_url", "repeats items[0].content_url; "
                 "content URLs must be distinct"))
    invalid("items-not-array", with_value("items", base()["items"][0]),
            line("items", got("an array", "an object")))
    invalid("items-element-not-object",
            with_value("items.1", "http://gallery.example.net/img/77-2.mp4"),
            line("items[1]", got("an object", "a string")))


# --------------------------------------------------------------------------

def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def main():
    define_valid()
    define_invalid()
    owned = []
    if os.path.exists(MANIFEST):
        with open(MANIFEST) as f:
            owned = [l.strip() for l in f if l.strip()]
    for rel in owned:
        # Only ever a folder directly under valid/ or invalid/.
        kind, _, name = rel.partition("/")
        if kind in ("valid", "invalid") and name and "/" not in name \
                and name not in (".", ".."):
            shutil.rmtree(os.path.join(HERE, kind, name), ignore_errors=True)
    written = []
    for kind, cases in (("valid", VALID), ("invalid", INVALID)):
        os.makedirs(os.path.join(HERE, kind), exist_ok=True)
        for name in sorted(cases):
            d = os.path.join(HERE, kind, name)
            if os.path.exists(d):
                sys.exit("generate.py: %s/%s exists and is not ours"
                         % (kind, name))
            os.makedirs(d)
            data, expected = cases[name]
            write(os.path.join(d, "input.json"), data)
            if kind == "valid":
                write(os.path.join(d, "expected.xml"), expected)
            else:
                write(os.path.join(d, "expected.err"), expected.encode())
            written.append("%s/%s" % (kind, name))
    write(MANIFEST, ("".join(w + "\n" for w in written)).encode())
    print("generate.py: %d valid, %d invalid cases" % (len(VALID),
                                                       len(INVALID)))


if __name__ == "__main__":
    main()
