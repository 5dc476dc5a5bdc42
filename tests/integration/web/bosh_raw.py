"""A BOSH client (XEP-0124, XEP-0206) that sends exactly the bodies a test builds, rid by rid,
one blocking HTTP request at a time (run it in a thread from asyncio tests)."""
import base64
import http.client
import random
import xml.etree.ElementTree as ET

NS = "http://jabber.org/protocol/httpbind"
SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
BIND = "urn:ietf:params:xml:ns:xmpp-bind"
STREAMS = "http://etherx.jabber.org/streams"
TIMEOUT = 15


def request(port, body, method="POST", headers=None, path="/http-bind"):
    """(status, headers with lower-case names, body text) of one HTTP request on its own connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        h = {"Content-Type": "text/xml; charset=utf-8", **(headers or {})}
        conn.request(method, path, body=body.encode() if isinstance(body, str) else body, headers=h)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode()
    finally:
        conn.close()


def parse(text):
    root = ET.fromstring(text)
    assert root.tag == f"{{{NS}}}body", text
    return root


class Session:
    """One BOSH session; send() posts the next rid unless told otherwise."""

    def __init__(self, port, wait=5, hold=1, to="localhost", extra=""):
        self.port = port
        self.rid = random.randint(1 << 20, 1 << 40)
        self.status, self.headers, self.text = request(
            port, f"<body xmlns='{NS}' xmlns:xmpp='urn:xmpp:xbosh' rid='{self.rid}' to='{to}' wait='{wait}' "
                  f"hold='{hold}' ver='1.11' xml:lang='en' xmpp:version='1.0'{extra}/>")
        self.root = parse(self.text)
        self.sid = self.root.get("sid")

    def body(self, payload="", rid=None, attrs=""):
        if rid is None:
            self.rid += 1
            rid = self.rid
        return f"<body xmlns='{NS}' xmlns:xmpp='urn:xmpp:xbosh' rid='{rid}' sid='{self.sid}'{attrs}>{payload}</body>"

    def send(self, payload="", rid=None, attrs=""):
        """(HTTP status, the response <body/> element, its text)."""
        status, _, text = request(self.port, self.body(payload, rid, attrs))
        return status, parse(text), text

    def until(self, match, tries=4):
        """Empty requests until a response child satisfies match; that child."""
        for _ in range(tries):
            _, root, _ = self.send()
            for child in root:
                if match(child):
                    return child
            assert root.get("type") != "terminate", ET.tostring(root)
        raise AssertionError("no matching element")

    def login(self, user, password="secret"):
        """SASL PLAIN (the test server allows it on loopback), restart, bind; the full JID."""
        local = user.split("@")[0]
        token = base64.b64encode(f"\0{local}\0{password}".encode()).decode()
        _, root, text = self.send(f"<auth xmlns='{SASL}' mechanism='PLAIN'>{token}</auth>")
        if root.find(f"{{{SASL}}}success") is None:
            root = self.until(lambda c: c.tag in (f"{{{SASL}}}success", f"{{{SASL}}}failure"))
            assert root.tag == f"{{{SASL}}}success", ET.tostring(root)
        _, root, text = self.send(attrs=" xmpp:restart='true' to='localhost'")
        if root.find(f"{{{STREAMS}}}features") is None:
            self.until(lambda c: c.tag == f"{{{STREAMS}}}features")
        _, root, text = self.send(
            f"<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='{BIND}'><resource>raw</resource></bind></iq>")
        iq = root.find("{jabber:client}iq")
        if iq is None:
            iq = self.until(lambda c: c.tag == "{jabber:client}iq")
        return iq.find(f".//{{{BIND}}}jid").text

    def ping(self, n):
        """An XEP-0199 ping to the server; the answer's type."""
        _, root, _ = self.send(f"<iq xmlns='jabber:client' type='get' id='ping{n}' to='localhost'>"
                               "<ping xmlns='urn:xmpp:ping'/></iq>")
        iq = root.find("{jabber:client}iq")
        if iq is None:
            iq = self.until(lambda c: c.tag == "{jabber:client}iq" and c.get("id") == f"ping{n}")
        return iq.get("type")
