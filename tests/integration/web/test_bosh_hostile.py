"""Hostile BOSH input (XEP-0124, XEP-0206) from raw HTTP requests: each gets the protocol's
terminal error or an HTTP 4xx with a body saying why, and a healthy logged-in BOSH session
of another client keeps working throughout."""
import asyncio
import os
import secrets
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "xmpp"))
from harness import ServerTest, TIMEOUT  # noqa: E402
from bosh_raw import NS, SASL, STREAMS, Session, parse, request  # noqa: E402

ALLOWED = "https://chat.example"


class BoshHostile(ServerTest):
    extra_config = ('[c2s]\nallow_plain_on_loopback = true\n'
                    '[limits]\nmax_http_body_bytes = 65536\nmax_stanza_bytes = 16384\n'
                    f'[bosh]\nallowed_origins = ["{ALLOWED}"]\nmax_buffered_bytes = 65536\n')

    async def asyncSetUp(self):
        self.port = self.server.ports["http"]
        (user,) = self.users("healthy")
        self.healthy = await asyncio.to_thread(Session, self.port, 2)
        self.jid = await asyncio.to_thread(self.healthy.login, user)
        self.pings = 0

    async def call(self, fn, *args, **kw):
        return await asyncio.to_thread(fn, *args, **kw)

    async def assert_healthy(self):
        self.pings += 1
        self.assertEqual(await self.call(self.healthy.ping, self.pings), "result")

    async def new_session(self, **kw):
        return await self.call(Session, self.port, **kw)

    async def assert_terminated(self, session, condition):
        """The session is gone: its next request gets item-not-found."""
        status, root, _ = await self.call(session.send)
        self.assertEqual((status, root.get("type"), root.get("condition")), (200, "terminate", "item-not-found"))

    async def test_session_creation_grants_what_the_server_allows(self):
        s = await self.new_session(wait=3600)
        r = s.root
        self.assertEqual(len(s.sid), 32)
        self.assertEqual((r.get("wait"), r.get("hold"), r.get("requests"), r.get("ver")), ("60", "1", "2", "1.11"))
        self.assertEqual(r.get("{urn:xmpp:xbosh}version"), "1.0")
        self.assertEqual(r.get("{urn:xmpp:xbosh}restartlogic"), "true")
        self.assertEqual(r.get("from"), "localhost")
        mechs = [m.text for m in r.iter(f"{{{SASL}}}mechanism")]
        self.assertIn("SCRAM-SHA-256", mechs)
        self.assertFalse([m for m in mechs if m.endswith("-PLUS")], mechs)  # no channel binding over BOSH
        await self.assert_healthy()

    async def test_guessed_sid_gets_item_not_found(self):
        body = f"<body xmlns='{NS}' rid='42' sid='{secrets.token_hex(16)}'/>"
        status, headers, text = await self.call(request, self.port, body)
        self.assertEqual(status, 200)
        root = parse(text)
        self.assertEqual((root.get("type"), root.get("condition")), ("terminate", "item-not-found"))
        self.assertTrue(headers["content-type"].startswith("text/xml"))
        await self.assert_healthy()

    async def test_rid_far_out_of_window_terminates_with_item_not_found(self):
        s = await self.new_session()
        status, root, _ = await self.call(s.send, rid=s.rid + 1000)
        self.assertEqual((status, root.get("type"), root.get("condition")), (200, "terminate", "item-not-found"))
        await self.assert_terminated(s, "item-not-found")
        await self.assert_healthy()

    async def test_replayed_rid_gets_the_same_answer(self):
        s = await self.new_session()
        bad = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AG5vYm9keQB3cm9uZw==</auth>"
        status, root, first = await self.call(s.send, bad)
        if root.find(f"{{{SASL}}}failure") is None:  # the answer came after wait: ask again
            self.fail(first)
        self.assertIsNotNone(root.find(f"{{{SASL}}}failure/{{{SASL}}}not-authorized"), first)
        _, _, again = await self.call(s.send, bad, rid=s.rid)
        self.assertEqual(again, first)
        # The session goes on: the next rid is processed (a second failure, not a third).
        _, root, text = await self.call(s.send, bad)
        self.assertIsNotNone(root.find(f"{{{SASL}}}failure"), text)
        self.assertNotEqual(root.get("type"), "terminate", text)
        await self.assert_healthy()

    async def test_oversized_body_gets_413_with_a_body(self):
        s = await self.new_session()
        payload = "<message xmlns='jabber:client' to='x@localhost'><body>" + "a" * 70000 + "</body></message>"
        status, headers, text = await self.call(request, self.port, s.body(payload))
        self.assertEqual(status, 413)
        self.assertIn("Payload Too Large", text)
        await self.assert_healthy()

    async def test_oversized_stanza_gets_policy_violation(self):
        s = await self.new_session()
        payload = "<message xmlns='jabber:client' to='x@localhost'><body>" + "a" * 20000 + "</body></message>"
        status, root, text = await self.call(s.send, payload)
        self.assertEqual((status, root.get("type"), root.get("condition")), (200, "terminate", "remote-stream-error"))
        self.assertIsNotNone(root.find(f"{{{STREAMS}}}error/{{urn:ietf:params:xml:ns:xmpp-streams}}policy-violation"),
                             text)
        await self.assert_terminated(s, "item-not-found")
        await self.assert_healthy()

    async def test_entity_declaration_gets_400_bad_request(self):
        s = await self.new_session()
        body = f"<!DOCTYPE body [<!ENTITY x 'boom'>]>" + s.body("<message xmlns='jabber:client'>&x;</message>")
        status, _, text = await self.call(request, self.port, body)
        self.assertEqual(status, 400)
        root = parse(text)
        self.assertEqual((root.get("type"), root.get("condition")), ("terminate", "bad-request"))
        await self.assert_healthy()

    async def test_stanza_before_authentication_gets_not_authorized(self):
        s = await self.new_session()
        status, root, text = await self.call(
            s.send, "<message xmlns='jabber:client' to='someone@localhost'><body>hi</body></message>")
        self.assertEqual((status, root.get("type"), root.get("condition")), (200, "terminate", "remote-stream-error"))
        self.assertIsNotNone(root.find(f"{{{STREAMS}}}error/{{urn:ietf:params:xml:ns:xmpp-streams}}not-authorized"),
                             text)
        await self.assert_terminated(s, "item-not-found")
        await self.assert_healthy()

    async def test_too_many_simultaneous_requests_get_policy_violation(self):
        s = await self.new_session(wait=10)
        results = {}

        def send(key, rid):
            results[key] = request(self.port, s.body(rid=rid))

        def both_copies(rid):
            # A second copy of a waiting request takes its place; the first copy is answered
            # at once, empty: proof that the server has the rid before the test goes on.
            a = threading.Thread(target=send, args=((rid, 1), rid))
            b = threading.Thread(target=send, args=((rid, 2), rid))
            a.start()
            b.start()
            deadline = time.monotonic() + TIMEOUT
            while len([k for k in results if k[0] == rid]) < 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            return [a, b]

        base = s.rid
        threads = await self.call(both_copies, base + 1)  # held
        threads += await self.call(both_copies, base + 3)  # early: rid base+2 is missing
        first = [results[k] for k in list(results)]
        self.assertEqual(len(first), 2, first)
        self.assertTrue(all(r[0] == 200 and parse(r[2]).get("type") is None for r in first), first)
        status, _, text = await self.call(request, self.port, s.body(rid=base + 2))  # a third at once
        root = parse(text)
        self.assertEqual((status, root.get("type"), root.get("condition")), (200, "terminate", "policy-violation"))
        for t in threads:
            await self.call(t.join, TIMEOUT)
        waiting = [parse(r[2]) for r in results.values() if parse(r[2]).get("type") == "terminate"]
        self.assertEqual([(w.get("type"), w.get("condition")) for w in waiting],
                         [("terminate", "policy-violation")] * 2)
        await self.assert_healthy()

    async def test_pause_longer_than_maxpause_gets_policy_violation(self):
        s = await self.new_session()
        status, root, _ = await self.call(s.send, attrs=" pause='100000'")
        self.assertEqual((status, root.get("type"), root.get("condition")), (200, "terminate", "policy-violation"))
        await self.assert_healthy()

    async def test_unknown_host_gets_host_unknown(self):
        s = await self.new_session(to="elsewhere.example")
        self.assertEqual((s.status, s.root.get("type"), s.root.get("condition")),
                         (200, "terminate", "host-unknown"))
        self.assertIsNone(s.sid)
        await self.assert_healthy()

    async def test_other_methods_get_405_with_a_body(self):
        for method in ("GET", "PUT", "DELETE", "PATCH"):
            status, headers, text = await self.call(request, self.port, "", method=method)
            self.assertEqual(status, 405, method)
            self.assertEqual(headers["allow"], "POST, OPTIONS")
            self.assertIn("BOSH", text)
        await self.assert_healthy()

    async def test_bad_content_gets_400_bad_request(self):
        for body in ("hello", '{"rid": 1}', "<body xmlns='urn:other' rid='1'/>",
                     f"<body xmlns='{NS}'/>", f"<body xmlns='{NS}' rid='x'/>", f"<body xmlns='{NS}' rid='1'>text</body>",
                     f"<body xmlns='{NS}' rid='1'><message>"):
            status, _, text = await self.call(request, self.port, body)
            self.assertEqual(status, 400, body)
            root = parse(text)
            self.assertEqual((root.get("type"), root.get("condition")), ("terminate", "bad-request"), body)
        await self.assert_healthy()

    async def test_cors_preflight_and_origin_list(self):
        status, headers, _ = await self.call(
            request, self.port, "", method="OPTIONS",
            headers={"Origin": ALLOWED, "Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "content-type"})
        self.assertEqual(status, 200)
        self.assertEqual(headers["access-control-allow-origin"], ALLOWED)
        self.assertIn("POST", headers["access-control-allow-methods"])
        self.assertEqual(headers["access-control-allow-headers"], "Content-Type")
        s = await self.new_session()
        status, headers, _ = await self.call(request, self.port, s.body(), headers={"Origin": ALLOWED})
        self.assertEqual((status, headers["access-control-allow-origin"]), (200, ALLOWED))
        status, headers, text = await self.call(request, self.port, s.body(), headers={"Origin": "https://evil.example"})
        self.assertEqual(status, 403)
        self.assertIn("https://evil.example", text)
        self.assertNotIn("access-control-allow-origin", headers)
        await self.assert_healthy()

    async def test_client_terminate_is_answered_and_ends_the_session(self):
        (user,) = self.users("leaving")
        s = await self.new_session()
        await self.call(s.login, user)
        status, root, _ = await self.call(s.send, "<presence xmlns='jabber:client' type='unavailable'/>",
                                          attrs=" type='terminate'")
        self.assertEqual((status, root.get("type"), root.get("condition")), (200, "terminate", None))
        await self.assert_terminated(s, "item-not-found")
        await self.assert_healthy()

    async def test_plain_http_request_of_an_https_session_ends_it(self):
        https = self.server.ports["https"]
        import ssl
        ctx = ssl.create_default_context(cafile=self.server.cert)
        import http.client

        def create():
            conn = http.client.HTTPSConnection("localhost", https, timeout=TIMEOUT, context=ctx)
            s = Session.__new__(Session)
            s.port, s.rid = self.port, 1000
            conn.request("POST", "/http-bind", body=f"<body xmlns='{NS}' rid='1000' to='localhost' wait='5' hold='1'/>")
            s.root = parse(conn.getresponse().read().decode())
            s.sid = s.root.get("sid")
            conn.close()
            return s

        s = await self.call(create)
        self.assertEqual(len(s.sid), 32)
        status, root, _ = await self.call(s.send)  # over plain HTTP
        self.assertEqual((status, root.get("type"), root.get("condition")), (200, "terminate", "policy-violation"))
        await self.assert_healthy()

    async def test_output_past_the_buffer_limit_ends_the_session_and_goes_offline(self):
        bosh_user, tcp_user = self.users("slow", "fast")
        s = await self.new_session()
        full = await self.call(s.login, bosh_user)
        sender = await self.client(tcp_user)
        bodies = [f"{i}:" + "x" * 8000 for i in range(10)]  # 80 KB > max_buffered_bytes, no request held
        for b in bodies:
            sender.send_message(mto=full, mbody=b, mtype="chat")
        # The messages reach the session through the IM layer (and the store): wait for its end.
        deadline = time.monotonic() + TIMEOUT
        while "wait for a request; ending the session" not in self.server.log() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        status, root, _ = await self.call(s.send)
        self.assertEqual((root.get("type"), root.get("condition")), ("terminate", "item-not-found"))
        # Nothing was dropped: what the session could not hand over went to offline storage.
        again = await self.client(bosh_user)
        again.send_presence()
        got = [(await again.next("message", lambda m: m["body"].startswith(f"{i}:")))["body"] for i in range(10)]
        self.assertEqual(got, bodies)
        await self.assert_healthy()


class Shutdown(unittest.TestCase):
    def test_a_held_request_gets_the_system_shutdown(self):
        from harness import Server
        server = Server()
        try:
            s = Session(server.ports["http"], wait=20)
            results = []
            copies = [threading.Thread(target=lambda: results.append(request(s.port, s.body(rid=s.rid + 1))))
                      for _ in range(2)]
            for t in copies:
                t.start()
            deadline = time.monotonic() + TIMEOUT
            while not results and time.monotonic() < deadline:  # one copy answered: the other is held
                time.sleep(0.01)
            self.assertEqual(parse(results[0][2]).get("type"), None, results)
            server.proc.send_signal(__import__("signal").SIGTERM)
            for t in copies:
                t.join(TIMEOUT)
            root = parse(results[1][2])
            self.assertEqual((root.get("type"), root.get("condition")), ("terminate", "remote-stream-error"))
            self.assertIsNotNone(
                root.find(f"{{{STREAMS}}}error/{{urn:ietf:params:xml:ns:xmpp-streams}}system-shutdown"), results[1][2])
        finally:
            self.assertEqual(server.stop(), 0)


class Inactivity(ServerTest):
    extra_config = "[bosh]\nmax_inactivity = 5\n"

    async def test_a_session_without_requests_ends_after_inactivity(self):
        port = self.server.ports["http"]
        s = await asyncio.to_thread(Session, port, 1)
        self.assertEqual(s.root.get("inactivity"), "5")
        # Requests held for their 'wait' (1 s) keep it alive past the inactivity limit.
        for _ in range(6):
            status, root, _ = await asyncio.to_thread(s.send)
            self.assertNotEqual(root.get("type"), "terminate")
        await asyncio.sleep(6.5)  # the limit itself is what is tested
        status, root, _ = await asyncio.to_thread(s.send)
        self.assertEqual((root.get("type"), root.get("condition")), ("terminate", "item-not-found"))


class LongPoll(ServerTest):
    extra_config = "[limits]\nhttp_request_timeout = 2\n"

    async def test_a_request_is_held_longer_than_the_http_request_timeout(self):
        port = self.server.ports["http"]
        s = await asyncio.to_thread(Session, port, 4)
        start = time.monotonic()
        status, root, text = await asyncio.to_thread(s.send)
        self.assertEqual(status, 200, text)
        self.assertIsNone(root.get("type"), text)
        self.assertGreater(time.monotonic() - start, 3.5)  # held for its 'wait', not cut at 2 s
        status, root, text = await asyncio.to_thread(s.send)
        self.assertIsNone(root.get("type"), text)


if __name__ == "__main__":
    unittest.main()
