"""The HTTP(S) listener as a client and an attacker meet it: keep-alive, HTTPS with the server's
certificate, and RFC 9112 strictness (each bad request gets a 4xx/5xx with a body, the
connection closes, and everyone else goes on being served)."""
import socket
import ssl
import time
import unittest
import urllib.request

from harness import ServerTest, TIMEOUT


def exchange(port, data, timeout=TIMEOUT):
    """Sends raw bytes, returns everything the server writes until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        reply = b""
        try:
            while chunk := s.recv(65536):
                reply += chunk
        except (ConnectionResetError, socket.timeout):
            pass
        return reply


class Http(ServerTest):
    extra_config = "[limits]\nhttp_request_timeout = 1\nhttp_idle_timeout = 2\nmax_http_header_bytes = 4096\n"

    def port(self):
        return self.server.ports["http"]

    def assert_refused(self, request, status, why):
        reply = exchange(self.port(), request)
        self.assertTrue(reply.startswith(b"HTTP/1.1 " + status), reply[:200])
        self.assertIn(why, reply)
        self.assertEqual(self.health(), 200)  # the server goes on serving

    def health(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port()}/health", timeout=TIMEOUT) as r:
            return r.status

    def test_keep_alive_serves_several_requests_on_one_connection(self):
        req = b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"
        last = b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        reply = exchange(self.port(), req + req + last)  # pipelined
        self.assertEqual(reply.count(b"HTTP/1.1 200 OK"), 3, reply)

    def test_https_serves_the_same_routes_with_the_server_certificate(self):
        ctx = ssl.create_default_context(cafile=self.server.cert)
        with socket.create_connection(("127.0.0.1", self.server.ports["https"]), timeout=TIMEOUT) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                reply = b""
                while chunk := s.recv(65536):
                    reply += chunk
        self.assertTrue(reply.startswith(b"HTTP/1.1 200 OK"), reply)
        self.assertTrue(reply.endswith(b"ok\n"), reply)

    def test_a_request_without_host_is_400(self):
        self.assert_refused(b"GET /health HTTP/1.1\r\n\r\n", b"400", b"Host header is required")

    def test_obs_fold_is_400(self):
        self.assert_refused(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-A: one\r\n two\r\n\r\n", b"400",
                            b"obs-fold")

    def test_unknown_transfer_encoding_is_501(self):
        self.assert_refused(b"POST /health HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n",
                            b"501", b"Transfer-Encoding gzip is not supported")

    def test_content_length_with_chunked_is_400(self):
        self.assert_refused(b"POST /health HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
                            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", b"400", b"Bad Request")

    def test_connect_is_501(self):
        self.assert_refused(b"CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n", b"501",
                            b"CONNECT is not supported")

    def test_oversized_header_is_431(self):
        big = b"X-Big: " + b"a" * 8000 + b"\r\n"
        self.assert_refused(b"GET /health HTTP/1.1\r\nHost: localhost\r\n" + big + b"\r\n", b"431", b"Too Large")

    def test_a_header_in_two_pieces_under_the_limit_is_read_whole(self):
        # Longer than the first read, shorter than the limit (4096 here): answered as sent.
        with socket.create_connection(("127.0.0.1", self.port()), timeout=TIMEOUT) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + b"p" * 3000)
            time.sleep(0.3)  # the server reads the first piece alone
            s.sendall(b"\r\nConnection: close\r\n\r\n")
            reply = b""
            while chunk := s.recv(65536):
                reply += chunk
        self.assertTrue(reply.startswith(b"HTTP/1.1 200"), reply[:200])

    def test_oversized_body_is_413(self):
        self.assert_refused(b"POST /health HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999\r\n\r\n",
                            b"413", b"Too Large")

    def test_slowloris_is_cut_off_at_the_request_timeout(self):
        with socket.create_connection(("127.0.0.1", self.port()), timeout=TIMEOUT) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: local")
            start = time.monotonic()
            for _ in range(10):  # a byte now and then never completes the header
                try:
                    s.sendall(b"h")
                except (BrokenPipeError, ConnectionResetError):
                    break
                time.sleep(0.3)
            try:
                closed = s.recv(100) == b""
            except ConnectionResetError:
                closed = True
            self.assertTrue(closed)
            self.assertLess(time.monotonic() - start, 5)
        self.assertEqual(self.health(), 200)

    def test_idle_keep_alive_connections_are_closed(self):
        with socket.create_connection(("127.0.0.1", self.port()), timeout=TIMEOUT) as s:
            start = time.monotonic()
            self.assertEqual(s.recv(100), b"")
            self.assertLess(time.monotonic() - start, 5)


if __name__ == "__main__":
    unittest.main()
