"""The web root and connection discovery on the HTTP(S) listener, as a browser and an attacker
meet them: files with their types and validators (304), HEAD, index.html, traversal refused
however spelled (400/404 with a body), symlinks out of the root not followed; XEP-0156's
host-meta documents parse, carry CORS, and their URLs open XMPP over WebSocket."""
import base64
import json
import os
import shutil
import socket
import ssl
import struct
import tempfile
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

from harness import ServerTest, TIMEOUT

XRD = "{http://docs.oasis-open.org/ns/xri/xrd-1.0}"
WS_REL = "urn:xmpp:alt-connections:websocket"
BOSH_REL = "urn:xmpp:alt-connections:xbosh"


def request(port, raw, tls_cert=None):
    """Sends one raw request (Connection: close), returns (status, headers, body)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    if tls_cert:
        s = ssl.create_default_context(cafile=tls_cert).wrap_socket(s, server_hostname="localhost")
    with s:
        s.sendall(raw)
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def get(port, target, extra="", method="GET", host="localhost"):
    raw = f"{method} {target} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n"
    return request(port, raw.encode())


def receive_at_least(sock, buf, n):
    while len(buf) < n:
        chunk = sock.recv(4096)
        if not chunk:
            raise AssertionError(f"closed after {buf!r}")
        buf += chunk
    return buf


def open_xmpp_websocket(url, cafile):
    """Opens url as RFC 7395 asks and sends <open/>; returns the server's first message."""
    u = urllib.parse.urlsplit(url)
    sock = socket.create_connection((u.hostname, u.port), timeout=TIMEOUT)
    if u.scheme == "wss":
        sock = ssl.create_default_context(cafile=cafile).wrap_socket(sock, server_hostname=u.hostname)
    with sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall((f"GET {u.path} HTTP/1.1\r\nHost: {u.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n"
                      ).encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(4096)
            if not chunk:
                raise AssertionError(f"{url}: closed during the handshake: {buf!r}")
            buf += chunk
        head, _, buf = buf.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise AssertionError(f"{url}: {head!r}")
        payload = b"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>"
        mask = os.urandom(4)
        sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
        buf = receive_at_least(sock, buf, 2)
        n, start = buf[1] & 0x7F, 2
        if n == 126:
            buf = receive_at_least(sock, buf, 4)
            n, start = struct.unpack(">H", buf[2:4])[0], 4
        buf = receive_at_least(sock, buf, start + n)
        return buf[start:start + n].decode()


class DefaultWebRoot(ServerTest):
    """No [http] web_root: ofsd serves the web/ folder of its source tree."""

    def test_the_widget_demo_page_is_served_at_the_root(self):
        status, headers, body = get(self.server.ports["http"], "/")
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        self.assertIn(b"<h1>OFS web chat</h1>", body)
        self.assertIn(b'<script src="widget.js">', body)
        self.assertIn(b"/xmpp-websocket", body)

    def test_the_widget_loads_from_pages_of_other_origins(self):
        for path in ("/widget.js", "/widget/ui.js", "/widget/widget.css"):
            status, headers, body = get(self.server.ports["http"], path)
            self.assertEqual(status, 200, path)
            self.assertEqual(headers["access-control-allow-origin"], "*", path)  # module scripts need CORS

    def test_routes_of_features_keep_their_prefix(self):
        self.assertEqual(get(self.server.ports["http"], "/health")[2], b"ok\n")
        status, _, body = get(self.server.ports["http"], "/xmpp-websocket")
        self.assertEqual(status, 426, body)


class WebRoot(ServerTest):
    @classmethod
    def setUpClass(cls):
        cls.base = tempfile.mkdtemp(prefix="ofs-web-root-")
        root = os.path.join(cls.base, "root")
        os.makedirs(os.path.join(root, "docs"))
        for name, text in {"index.html": "<p>home</p>", "app.js": "let a = 1;\n", "style.css": "p {}\n",
                           "docs/index.html": "<p>docs</p>", "logo.svg": "<svg/>", ".hidden": "x"}.items():
            with open(os.path.join(root, name), "w") as f:
                f.write(text)
        with open(os.path.join(cls.base, "secret.txt"), "w") as f:
            f.write("the secret")
        os.symlink(os.path.join(cls.base, "secret.txt"), os.path.join(root, "leak.txt"))
        os.symlink(cls.base, os.path.join(root, "up"))
        cls.extra_config = f'[http]\nweb_root = "{root}"\ncache_max_age = 600\n'
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.base, ignore_errors=True)

    def get(self, target, **kw):
        return get(self.server.ports["http"], target, **kw)

    def test_files_have_their_type_validators_and_cache_headers(self):
        for target, ctype, body in [("/app.js", "text/javascript; charset=utf-8", b"let a = 1;\n"),
                                    ("/style.css", "text/css; charset=utf-8", b"p {}\n"),
                                    ("/logo.svg", "image/svg+xml", b"<svg/>"),
                                    ("/docs/", "text/html; charset=utf-8", b"<p>docs</p>")]:
            status, headers, got = self.get(target)
            self.assertEqual((status, headers["content-type"], got), (200, ctype, body), target)
            self.assertEqual(headers["cache-control"], "public, max-age=600")
            self.assertEqual(headers["content-length"], str(len(body)))
            self.assertIn("etag", headers)
            self.assertIn("last-modified", headers)
            self.assertIn("date", headers)

    def test_revalidation_gives_304_without_a_body(self):
        _, headers, _ = self.get("/app.js")
        status, again, body = self.get("/app.js", extra=f"If-None-Match: {headers['etag']}\r\n")
        self.assertEqual((status, body), (304, b""))
        self.assertEqual(again["etag"], headers["etag"])
        status, _, body = self.get("/app.js", extra=f"If-Modified-Since: {headers['last-modified']}\r\n")
        self.assertEqual((status, body), (304, b""))
        self.assertEqual(self.get("/app.js", extra='If-None-Match: "stale"\r\n')[0], 200)

    def test_head_gives_the_header_of_get_without_the_body(self):
        status, headers, body = self.get("/app.js", method="HEAD")
        self.assertEqual((status, body), (200, b""))
        self.assertEqual(headers["content-length"], "11")
        self.assertEqual(headers["content-type"], "text/javascript; charset=utf-8")

    def test_a_directory_without_its_slash_is_redirected(self):
        status, headers, _ = self.get("/docs")
        self.assertEqual(status, 301)
        self.assertEqual(headers["location"], "/docs/")

    def test_traversal_is_refused_with_a_body(self):
        for target in ["/../secret.txt", "/docs/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt",
                       "/docs/..%2f..%2fsecret.txt", "/%00", "/a%zz", "http://localhost/../secret.txt"]:
            status, _, body = self.get(target)
            self.assertEqual(status, 400, target)
            self.assertTrue(body.startswith(b"Bad Request: "), (target, body))
            self.assertNotIn(b"the secret", body)

    def test_absolute_paths_symlinks_out_and_hidden_files_are_not_found(self):
        for target in ["//etc/passwd", "/%2Fetc%2Fpasswd", "/etc/passwd", "/leak.txt", "/up/secret.txt", "/.hidden"]:
            status, _, body = self.get(target)
            self.assertEqual(status, 404, target)
            self.assertTrue(body.startswith(b"Not found"), (target, body))
            self.assertNotIn(b"root:", body)
            self.assertNotIn(b"the secret", body)

    def test_other_methods_get_405(self):
        status, headers, body = self.get("/app.js", method="DELETE")
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "GET, HEAD")
        self.assertIn(b"GET and HEAD", body)


class HostMeta(ServerTest):
    def documents(self, port, host="localhost", tls=False):
        cert = self.server.cert if tls else None
        raw = f"GET /.well-known/host-meta HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
        xrd = request(port, raw, cert)
        jrd = request(port, raw.replace(b"host-meta", b"host-meta.json"), cert)
        for status, headers, body in (xrd, jrd):
            self.assertEqual(status, 200, body)
            self.assertEqual(headers["access-control-allow-origin"], "*")
        self.assertEqual(xrd[1]["content-type"], "application/xrd+xml; charset=utf-8")
        self.assertEqual(jrd[1]["content-type"], "application/json")
        root = ET.fromstring(xrd[2])
        self.assertEqual(root.tag, XRD + "XRD")
        from_xrd = [(link.get("rel"), link.get("href")) for link in root.iter(XRD + "Link")]
        from_jrd = [(link["rel"], link["href"]) for link in json.loads(jrd[2])["links"]]
        self.assertEqual(from_xrd, from_jrd)
        return from_xrd

    def test_over_plain_http_from_loopback_both_secure_and_plain_endpoints_are_listed(self):
        http, https = self.server.ports["http"], self.server.ports["https"]
        links = self.documents(http, host=f"localhost:{http}")
        self.assertEqual(links, [(WS_REL, f"wss://localhost:{https}/xmpp-websocket"),
                                 (BOSH_REL, f"https://localhost:{https}/http-bind"),
                                 (WS_REL, f"ws://localhost:{http}/xmpp-websocket"),
                                 (BOSH_REL, f"http://localhost:{http}/http-bind")])
        for rel, url in links:
            if rel == WS_REL:
                self.assertIn("<open ", open_xmpp_websocket(url, self.server.cert), url)

    def test_over_https_only_secure_endpoints_are_listed(self):
        https = self.server.ports["https"]
        links = self.documents(https, host=f"localhost:{https}", tls=True)
        self.assertEqual([rel for rel, _ in links], [WS_REL, BOSH_REL])
        self.assertTrue(all(url.startswith(("wss://", "https://")) for _, url in links), links)

    def test_a_host_header_that_is_not_a_host_is_refused(self):
        for host in ["x'/><Link rel='evil", 'x","href":"evil', "a b", "x:80:80"]:
            status, _, body = get(self.server.ports["http"], "/.well-known/host-meta.json", host=host)
            self.assertEqual(status, 400, host)
            self.assertIn(b"Host header", body)


class HostMetaBehindAProxy(ServerTest):
    extra_config = '[http]\npublic_url = "https://chat.example.com/xmpp/"\n'

    def test_the_public_url_gives_every_link(self):
        status, headers, body = get(self.server.ports["http"], "/.well-known/host-meta.json")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["links"],
                         [{"rel": WS_REL, "href": "wss://chat.example.com/xmpp/xmpp-websocket"},
                          {"rel": BOSH_REL, "href": "https://chat.example.com/xmpp/http-bind"}])


if __name__ == "__main__":
    unittest.main()
