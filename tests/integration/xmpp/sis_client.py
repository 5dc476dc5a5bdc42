"""Helpers of the status image tests: raw HTTP GETs (targets as written), PNG decoding with
Pillow (python3-pil), the pixel the server's dot always covers, pres-rules documents that
opt in or out, and waiting for a state over the JSON endpoint."""
import asyncio
import http.client
import io
import json
import time

from PIL import Image

from xcap_client import XcapClient

PR = "application/auth-policy+xml"
COLOURS = {"online": (0x2e, 0x9e, 0x44), "chat": (0x13, 0x86, 0x6f), "away": (0xe0, 0xa1, 0x00),
           "xa": (0xd9, 0x66, 0x1f), "dnd": (0xd2, 0x30, 0x2b), "offline": (0x8a, 0x8f, 0x98),
           "unknown": (0xb8, 0xbc, 0xc4)}


def rules(*rule_bodies):
    return ('<?xml version="1.0" encoding="UTF-8"?><cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy"'
            ' xmlns:pr="urn:ietf:params:xml:ns:pres-rules">' + "".join(rule_bodies) + "</cr:ruleset>")


def rule(rule_id, handling, identity=None):
    cond = f"<cr:identity>{identity}</cr:identity>" if identity else ""
    return (f'<cr:rule id="{rule_id}"><cr:conditions>{cond}</cr:conditions><cr:actions>'
            f"<pr:sub-handling>{handling}</pr:sub-handling></cr:actions></cr:rule>")


OPT_IN = rules(rule("web", "allow"))         # no <identity>: anyone, anonymous too (RFC 4745 7.1)
OPT_OUT = rules(rule("web", "polite-block"))


class Reply:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        return self.headers.get(name.lower())


def get(port, target, headers=None, method="GET"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, target, headers=headers or {})
        r = conn.getresponse()
        return Reply(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        conn.close()


def decode(png):
    im = Image.open(io.BytesIO(png))
    im.load()
    return im.convert("RGBA")


def probe(size, scale=1, style="icon"):
    """The pixel render::dot_probe names: inside the dot, above any mark, in the state's colour."""
    px = size * scale
    r = px * (0.42 if style == "icon" else 0.3)
    return int(px / 2), int(px / 2 - r * 0.6)


def set_rules(port, user, document):
    x = XcapClient(port, user)
    reply = x.put(x.url("pres-rules"), document, PR)
    assert reply.status in (200, 201), reply


async def wait_state(port, user, state, headers=None, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        r = get(port, f"/sis/{user}.json", headers)
        seen = json.loads(r.body)["state"] if r.status == 200 else r.status
        if seen == state:
            return json.loads(r.body)
        if time.monotonic() > deadline:
            raise AssertionError(f"{user}: state {seen}, not {state}, after {timeout}s")
        await asyncio.sleep(0.05)
