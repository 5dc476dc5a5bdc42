"""A small XCAP (RFC 4825) client over http.client for the scenario tests: Basic or Digest
(RFC 7616, MD5 or SHA-256) authentication, and raw request targets (no normalisation), so
that hostile paths reach the server as written."""
import base64
import hashlib
import http.client
import os
import re

ROOT = "/xcap-root"


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        return self.headers.get(name.lower())

    @property
    def etag(self):
        tag = self.header("etag")
        return tag.strip('"') if tag else None

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


class XcapClient:
    def __init__(self, port, user, password="secret", digest=None):
        self.port = port
        self.user = user
        self.password = password
        self.digest = digest  # None: Basic; "MD5" or "SHA-256"
        self.nc = 0

    def url(self, auid, doc="index", selector=None, user=None, query=None):
        path = f"{ROOT}/{auid}/users/{user or self.user}/{doc}"
        if selector is not None:
            path += "/~~/" + quote_selector(selector)
        if query:
            path += "?" + query
        return path

    def request(self, method, target, body=None, content_type=None, headers=None, auth=True):
        headers = dict(headers or {})
        if body is not None and content_type:
            headers["Content-Type"] = content_type
        if auth and self.digest:
            first = self._send(method, target, body, headers)
            if first.status != 401:
                return first
            headers["Authorization"] = self._digest_header(method, target, first)
        elif auth:
            token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            headers["Authorization"] = "Basic " + token
        return self._send(method, target, body, headers)

    def _send(self, method, target, body, headers):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            data = body.encode() if isinstance(body, str) else body
            conn.request(method, target, body=data, headers=headers)
            r = conn.getresponse()
            headers = {}
            for k, v in r.getheaders():  # repeated headers (WWW-Authenticate) joined
                headers[k.lower()] = headers[k.lower()] + ", " + v if k.lower() in headers else v
            return Reply(r.status, headers, r.read().decode(errors="replace"))
        finally:
            conn.close()

    def _digest_header(self, method, target, challenge):
        wanted = self.digest
        text = challenge.header("www-authenticate") or ""
        m = re.search(r'Digest realm="([^"]*)", qop="auth", nonce="([^"]*)", algorithm=' + re.escape(wanted), text)
        assert m, f"no Digest {wanted} challenge in {text!r}"
        realm, nonce = m.group(1), m.group(2)
        h = (lambda s: hashlib.md5(s.encode()).hexdigest()) if wanted == "MD5" else \
            (lambda s: hashlib.sha256(s.encode()).hexdigest())
        self.nc += 1
        nc = f"{self.nc:08x}"
        cnonce = os.urandom(8).hex()
        ha1 = h(f"{self.user}:{realm}:{self.password}")
        ha2 = h(f"{method}:{target}")
        response = h(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
        return (f'Digest username="{self.user}", realm="{realm}", nonce="{nonce}", uri="{target}", '
                f'algorithm={wanted}, qop=auth, nc={nc}, cnonce="{cnonce}", response="{response}"')

    def get(self, target, **kw):
        return self.request("GET", target, **kw)

    def put(self, target, body, content_type, **kw):
        return self.request("PUT", target, body, content_type, **kw)

    def delete(self, target, **kw):
        return self.request("DELETE", target, **kw)


def quote_selector(selector):
    """Percent-encodes what RFC 4825 6.2 requires in a node selector ([, ], ", spaces)."""
    out = []
    for ch in selector:
        if ch.isalnum() or ch in "-._~/:@=*'()!$&+,;":
            out.append(ch)
        else:
            out.append("".join(f"%{b:02X}" for b in ch.encode()))
    return "".join(out)
