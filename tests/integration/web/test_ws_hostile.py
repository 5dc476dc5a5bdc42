"""Hostile WebSocket input (RFC 6455, RFC 7395) on raw sockets: each bad handshake gets its
HTTP refusal with a body, each bad frame its close code, each bad XML document its stream
error and <close/>; after each, new WebSocket and TCP sessions are still served."""
import base64
import os
import socket
import struct
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "xmpp"))
from harness import ServerTest, TIMEOUT  # noqa: E402
from test_hostile import HEADER, RawStream  # noqa: E402

OPEN = b"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>"
ALLOWED = "https://chat.example"


def frame(payload, opcode=0x1, fin=True, mask=True, length=None):
    """One client frame; length overrides the length field (the payload is still what is sent)."""
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | opcode])
    m = 0x80 if mask else 0
    if n < 126:
        head += bytes([m | n])
    elif n < 1 << 16:
        head += bytes([m | 126]) + struct.pack(">H", n)
    else:
        head += bytes([m | 127]) + struct.pack(">Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class RawWebSocket:
    """A WebSocket client that sends exactly the bytes the test builds."""

    def __init__(self, port, protocol="xmpp", origin=None, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET /xmpp-websocket HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n")
        if protocol:
            req += f"Sec-WebSocket-Protocol: {protocol}\r\n"
        if origin:
            req += f"Origin: {origin}\r\n"
        self.sock.sendall((req + "\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.head = head.decode(errors="replace")
        self.status = int(self.head.split()[1]) if self.head else 0

    def body(self):
        data = self.buf
        try:
            while chunk := self.sock.recv(4096):
                data += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        return data.decode(errors="replace")

    def send(self, data):
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed before it read everything: that is the point

    def send_text(self, text):
        self.send(frame(text if isinstance(text, bytes) else text.encode()))

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def next_frame(self):
        """(opcode, payload) of the next server frame; (None, b'') once the connection is closed."""
        try:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            return b0 & 0x0F, self._read(n)
        except (EOFError, ConnectionResetError):
            return None, b""

    def messages_until_close(self):
        """Text messages, then the close code (None if the TCP connection ended without one)."""
        texts = []
        while True:
            op, payload = self.next_frame()
            if op is None:
                return texts, None
            if op == 0x8:
                return texts, struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005
            if op == 0x1:
                texts.append(payload.decode())

    def open_stream(self):
        self.send_text(OPEN)
        texts = []
        while not any("features" in t for t in texts):
            op, payload = self.next_frame()
            if op is None:
                break
            if op == 0x1:
                texts.append(payload.decode())
        return texts


class WebSocketHostile(ServerTest):
    extra_config = f'[websocket]\nallowed_origins = ["{ALLOWED}"]\n'

    def ws(self, **kw):
        ws = RawWebSocket(self.server.ports["http"], **kw)
        self.addCleanup(ws.sock.close)
        return ws

    def assert_still_serving(self):
        ws = self.ws()
        self.assertEqual(ws.status, 101, ws.head)
        texts = ws.open_stream()
        self.assertTrue(texts and texts[0].startswith("<open "), texts)
        self.assertIn("<stream:features xmlns:stream=", texts[-1])
        self.assertIn("<mechanism>SCRAM-SHA-1</mechanism>", texts[-1])
        tcp = RawStream(self.server.ports["c2s"])
        self.addCleanup(tcp.sock.close)
        tcp.send(HEADER)
        self.assertIn(b"<starttls", tcp.read_until(b"</stream:features>"))

    def test_handshake_without_the_xmpp_subprotocol_is_refused(self):
        ws = self.ws(protocol=None)
        self.assertEqual(ws.status, 400)
        self.assertIn("'xmpp' subprotocol", ws.body())
        ws = self.ws(protocol="mqtt, chat")
        self.assertEqual(ws.status, 400)
        self.assert_still_serving()

    def test_the_answer_selects_xmpp(self):
        ws = self.ws(protocol="chat, xmpp")
        self.assertEqual(ws.status, 101)
        self.assertIn("sec-websocket-protocol: xmpp", ws.head.lower())

    def test_forbidden_origin_is_refused(self):
        ws = self.ws(origin="https://evil.example")
        self.assertEqual(ws.status, 403)
        self.assertIn("https://evil.example", ws.body())
        self.assertEqual(self.ws(origin=ALLOWED).status, 101)
        self.assert_still_serving()

    def test_plain_get_gets_426_with_a_body(self):
        s = socket.create_connection(("127.0.0.1", self.server.ports["http"]), timeout=TIMEOUT)
        self.addCleanup(s.close)
        s.sendall(b"GET /xmpp-websocket HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = RawStream.read_to_close(type("S", (), {"sock": s})())[0].decode()
        self.assertTrue(data.startswith("HTTP/1.1 426"), data)
        self.assertIn("xmpp", data.split("\r\n\r\n", 1)[1])

    def test_unmasked_client_frame_closes_with_1002(self):
        ws = self.ws()
        ws.send(frame(OPEN, mask=False))
        self.assertEqual(ws.messages_until_close()[1], 1002)
        self.assert_still_serving()

    def test_frame_claiming_2_pow_62_bytes_closes_with_1009(self):
        ws = self.ws()
        ws.send(frame(b"<open", length=1 << 62))
        self.assertEqual(ws.messages_until_close()[1], 1009)
        self.assert_still_serving()

    def test_continuations_past_the_limit_close_with_1009(self):
        ws = self.ws()
        ws.send(frame(b"<message xmlns='jabber:client'><body>", fin=False))
        chunk = b"a" * 1024
        for _ in range(300):  # 300 KiB > the 256 KiB stanza limit
            ws.send(frame(chunk, opcode=0x0, fin=False))
        self.assertEqual(ws.messages_until_close()[1], 1009)
        self.assert_still_serving()

    def test_invalid_utf8_closes_with_1007(self):
        ws = self.ws()
        ws.send(frame(b"<message xmlns='jabber:client'><body>\xc3\x28</body></message>"))
        self.assertEqual(ws.messages_until_close()[1], 1007)
        self.assert_still_serving()

    def test_binary_message_closes_with_1003(self):
        ws = self.ws()
        ws.send(frame(OPEN, opcode=0x2))
        self.assertEqual(ws.messages_until_close()[1], 1003)
        self.assert_still_serving()

    def test_entity_declaration_gets_restricted_xml_then_close(self):
        ws = self.ws()
        ws.open_stream()
        ws.send_text("<!DOCTYPE m [<!ENTITY x 'boom'>]><message xmlns='jabber:client'>&x;</message>")
        texts, code = ws.messages_until_close()
        self.assertTrue(texts and "<restricted-xml" in texts[0], texts)
        self.assertTrue(texts[0].startswith("<stream:error xmlns:stream="), texts)
        self.assertEqual(texts[-1], "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>")
        self.assertEqual(code, 1000)
        self.assert_still_serving()

    def test_stanza_before_authentication_gets_not_authorized(self):
        ws = self.ws()
        ws.open_stream()
        ws.send_text("<message xmlns='jabber:client' to='someone@localhost'><body>hi</body></message>")
        texts, code = ws.messages_until_close()
        self.assertTrue(texts and "<not-authorized" in texts[0], texts)
        self.assertEqual(texts[-1], "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>")
        self.assert_still_serving()

    def test_close_is_answered_with_close(self):
        ws = self.ws()
        ws.open_stream()
        ws.send_text("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>")
        texts, code = ws.messages_until_close()
        self.assertEqual(texts, ["<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>"])
        self.assertEqual(code, 1000)


class SeeOtherUri(ServerTest):
    extra_config = '[websocket]\nsee_other_uri = "wss://other.example/xmpp-websocket"\n'

    def test_every_new_stream_is_sent_elsewhere(self):
        ws = RawWebSocket(self.server.ports["http"])
        self.addCleanup(ws.sock.close)
        ws.send_text(OPEN)
        texts, code = ws.messages_until_close()
        self.assertEqual(texts, ["<close xmlns='urn:ietf:params:xml:ns:xmpp-framing' "
                                 "see-other-uri='wss://other.example/xmpp-websocket'/>"])
        self.assertEqual(code, 1000)


class Shutdown(unittest.TestCase):
    def test_open_sessions_get_system_shutdown_then_close(self):
        from harness import Server
        server = Server()
        try:
            ws = RawWebSocket(server.ports["http"])
            self.addCleanup(ws.sock.close)
            ws.open_stream()
            server.proc.send_signal(__import__("signal").SIGTERM)
            texts, code = ws.messages_until_close()
            self.assertTrue(texts and "<system-shutdown" in texts[0], texts)
            self.assertEqual(texts[-1], "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>")
            self.assertEqual(code, 1000)
        finally:
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main()
