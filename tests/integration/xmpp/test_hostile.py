"""Hostile input: each bad stream gets its RFC 6120 stream error and a closed connection, the
server keeps serving everyone else, and its memory comes back to where it was."""
import asyncio
import socket
import ssl
import unittest

from harness import ServerTest, TIMEOUT

HEADER = (b"<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' "
          b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")


class RawStream:
    """A bare TCP (optionally TLS) connection that speaks only what the test writes."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)

    def send(self, data):
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may close before it has read everything: that is the point

    def read_until(self, marker):
        data = b""
        while marker not in data:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data

    def read_to_close(self):
        data = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return data, True
                data += chunk
        except (socket.timeout, TimeoutError):
            return data, False
        except ConnectionResetError:
            return data, True

    def starttls(self, cafile):
        self.send(HEADER)
        self.read_until(b"</stream:features>")
        self.send(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        self.read_until(b"<proceed")
        ctx = ssl.create_default_context(cafile=cafile)
        self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost")
        self.send(HEADER)
        return self.read_until(b"</stream:features>")


class Hostile(ServerTest):
    def raw(self):
        r = RawStream(self.server.ports["c2s"])
        self.addCleanup(r.sock.close)
        return r

    def expect_stream_error(self, r, condition):
        data, closed = r.read_to_close()
        self.assertIn(b"<stream:error><" + condition.encode(), data)
        self.assertTrue(data.rstrip().endswith(b"</stream:stream>"), data[-200:])
        self.assertTrue(closed, "the server must close the connection")

    async def bystander(self):
        alice, = self.users("alice")
        return await self.client(alice)

    async def assert_still_served(self, c):
        self.assertIsNotNone(await c["xep_0199"].ping(jid="localhost", timeout=TIMEOUT))

    async def test_sasl_before_starttls_is_refused_when_tls_is_required(self):
        r = self.raw()
        r.send(HEADER)
        features = r.read_until(b"</stream:features>")
        self.assertNotIn(b"<mechanism", features)
        r.send(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>"
               b"biwsbj1hbGljZSxyPWFiY2RlZmdoaWprbG1ub3A=</auth>")
        self.assertIn(b"<encryption-required/>", r.read_until(b"</failure>"))

    async def test_dtd_is_restricted_xml(self):
        c = await self.bystander()
        r = self.raw()
        r.send(b"<?xml version='1.0'?><!DOCTYPE stream [<!ENTITY x 'y'>]>" + HEADER[21:])
        self.expect_stream_error(r, "restricted-xml")
        await self.assert_still_served(c)

    async def test_entity_reference_is_refused(self):
        r = self.raw()
        r.send(HEADER + b"<message><body>&xxe;</body></message>")
        data, closed = r.read_to_close()
        self.assertTrue(b"<stream:error><restricted-xml" in data or b"<stream:error><not-well-formed" in data, data)
        self.assertTrue(closed)

    async def test_comment_is_restricted_xml(self):
        r = self.raw()
        r.send(HEADER + b"<!-- a comment -->")
        self.expect_stream_error(r, "restricted-xml")

    async def test_processing_instruction_is_restricted_xml(self):
        r = self.raw()
        r.send(HEADER + b"<?php evil() ?>")
        self.expect_stream_error(r, "restricted-xml")

    async def test_ten_mib_stanza_is_a_policy_violation_and_memory_returns(self):
        c = await self.bystander()
        before = self.server.rss_kib()
        for _ in range(3):
            r = self.raw()
            r.send(HEADER + b"<message><body>")
            chunk = b"a" * 65536
            for _ in range(160):  # 10 MiB
                r.send(chunk)
            self.expect_stream_error(r, "policy-violation")
            r.sock.close()
        await self.assert_still_served(c)
        await asyncio.sleep(0.5)
        after = self.server.rss_kib()
        self.assertLess(after - before, 4096, f"RSS grew from {before} KiB to {after} KiB")

    async def test_ten_thousand_nested_elements_is_a_policy_violation(self):
        c = await self.bystander()
        r = self.raw()
        r.send(HEADER + b"<message>" + b"<a>" * 10000)
        self.expect_stream_error(r, "policy-violation")
        await self.assert_still_served(c)

    async def test_invalid_utf8_is_not_well_formed(self):
        r = self.raw()
        r.send(HEADER + b"<message><body>\xff\xfe\xc3</body></message>")
        self.expect_stream_error(r, "not-well-formed")

    async def test_stanza_before_authentication_is_not_authorized(self):
        r = self.raw()
        r.send(HEADER + b"<message to='someone@localhost'><body>hi</body></message>")
        self.expect_stream_error(r, "not-authorized")

    async def test_plain_is_refused_without_tls(self):
        r = self.raw()
        r.send(HEADER)
        features = r.read_until(b"</stream:features>")
        self.assertIn(b"<required/>", features)
        self.assertNotIn(b"<mechanism>PLAIN</mechanism>", features)
        r.send(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHNlY3JldA==</auth>")
        data = r.read_until(b"</failure>")
        self.assertIn(b"<encryption-required/>", data)

    async def test_garbage_base64_in_sasl(self):
        r = self.raw()
        features = r.starttls(self.server.cert)
        self.assertIn(b"<mechanism>PLAIN</mechanism>", features)
        for _ in range(2):
            r.send(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>!!not base64!!</auth>")
            self.assertIn(b"<incorrect-encoding/>", r.read_until(b"</failure>"))
        # The third failure on one connection ends it.
        r.send(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%%%</auth>")
        self.expect_stream_error(r, "policy-violation")

    def starttls_with_injected_header(self, injected):
        """<starttls/> and a stream header in ONE write (CVE-2011-0411 class): the header came in
        clear, so after the handshake the server must say nothing until the client's own."""
        r = self.raw()
        r.send(HEADER)
        r.read_until(b"</stream:features>")
        r.send(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" + injected)
        self.assertIn(b"<proceed", r.read_until(b"<proceed"))
        ctx = ssl.create_default_context(cafile=self.server.cert)
        r.sock = ctx.wrap_socket(r.sock, server_hostname="localhost")
        r.sock.settimeout(1)
        unprompted, closed = r.read_to_close()
        self.assertEqual(unprompted, b"", "the server answered bytes sent before the TLS handshake")
        self.assertFalse(closed)
        r.sock.settimeout(TIMEOUT)
        r.send(HEADER)
        features = r.read_until(b"</stream:features>")
        self.assertIn(b"<mechanism>PLAIN</mechanism>", features)
        self.assertNotIn(b"<stream:error>", features)

    async def test_stream_header_injected_after_starttls_is_dropped(self):
        self.starttls_with_injected_header(HEADER)

    async def test_stream_header_without_declaration_injected_after_starttls_is_dropped(self):
        self.starttls_with_injected_header(HEADER[21:])

    async def test_spoofed_from_is_an_invalid_from_stream_error(self):
        alice, bob = self.users("alice", "bob")
        a = await self.client(alice)
        b = await self.client(bob)
        b.send_presence()
        errors = []
        closed = asyncio.Event()
        a.add_event_handler("stream_error", lambda e: errors.append(e["condition"]))
        a.add_event_handler("disconnected", lambda _: closed.set())
        a.send_raw(f"<message from='{bob}/forged' to='{bob}' type='chat'><body>it is me, bob</body></message>")
        await asyncio.wait_for(closed.wait(), TIMEOUT)
        self.assertEqual(errors, ["invalid-from"])
        with self.assertRaises(AssertionError):  # the forged message never left the server
            await b.next("message", lambda m: m["body"] == "it is me, bob", timeout=1)
        await self.assert_still_served(b)


if __name__ == "__main__":
    unittest.main()
