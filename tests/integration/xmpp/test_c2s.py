"""XMPP client scenarios against the real ofsd, driven by slixmpp (RFC 6120, RFC 6121, XEPs)."""
import asyncio
import secrets
import unittest

import slixmpp
from slixmpp.exceptions import IqError

from harness import Client, ServerTest, TIMEOUT
from test_hostile import RawStream


class Login(ServerTest):
    async def test_starttls_with_scram_sha_256(self):
        alice, = self.users("alice")
        c = await self.client(alice, mech="SCRAM-SHA-256")
        self.assertIn(c.transport.get_extra_info("ssl_object").version(), ("TLSv1.2", "TLSv1.3"))
        self.assertEqual(c["feature_mechanisms"].mech.name, "SCRAM-SHA-256")
        self.assertEqual(c.boundjid.bare, alice)

    async def test_scram_sha_1(self):
        alice, = self.users("alice")
        c = await self.client(alice, mech="SCRAM-SHA-1")
        self.assertEqual(c["feature_mechanisms"].mech.name, "SCRAM-SHA-1")

    async def test_direct_tls_port(self):
        alice, = self.users("alice")
        c = await self.client(alice, port="c2s_tls", use_ssl=True)
        self.assertEqual(c.transport.get_extra_info("ssl_object").version(), "TLSv1.3")

    async def test_wrong_password_fails(self):
        alice, = self.users("alice")
        c = Client(self.server, alice, password="not the password", mech="SCRAM-SHA-256")
        self.addAsyncCleanup(self._close, c)
        c.connect(("127.0.0.1", self.server.ports["c2s"]))
        await asyncio.wait_for(c.failed_auth.wait(), TIMEOUT)

    async def test_unknown_user_fails_like_a_wrong_password(self):
        c = Client(self.server, "nobody@localhost", mech="SCRAM-SHA-256")
        self.addAsyncCleanup(self._close, c)
        c.connect(("127.0.0.1", self.server.ports["c2s"]))
        await asyncio.wait_for(c.failed_auth.wait(), TIMEOUT)

    async def test_resource_conflict_newer_session_wins(self):
        alice, = self.users("alice")
        older = await self.client(alice, resource="desk")
        closed = asyncio.Event()
        errors = []
        older.add_event_handler("stream_error", lambda e: errors.append(e["condition"]))
        older.add_event_handler("disconnected", lambda _: closed.set())
        newer = await self.client(alice, resource="desk")
        await asyncio.wait_for(closed.wait(), TIMEOUT)
        self.assertEqual(errors, ["conflict"])
        self.assertTrue(newer.is_connected())
        await self.assert_answers_ping(newer)

    async def assert_answers_ping(self, c):
        rtt = await c["xep_0199"].ping(jid="localhost", timeout=TIMEOUT)
        self.assertIsNotNone(rtt)


class Messaging(ServerTest):
    async def test_message_round_trip(self):
        alice, bob = self.users("alice", "bob")
        a = await self.client(alice, resource="a")
        b = await self.client(bob, resource="b")
        a.send_presence()
        b.send_presence()
        a.send_message(mto=b.boundjid.full, mbody="hello bob", mtype="chat")
        m = await b.next("message", lambda m: m["body"] == "hello bob")
        self.assertEqual(m["from"].full, a.boundjid.full)
        b.send_message(mto=m["from"], mbody="hello alice", mtype="chat")
        r = await a.next("message", lambda m: m["body"] == "hello alice")
        self.assertEqual(r["from"].full, b.boundjid.full)

    async def test_messages_flow_after_both_sessions_fell_silent(self):
        # A bound session silent for 2 s frees its XML parser; the next bytes rebuild it.
        alice, bob = self.users("alice", "bob")
        a = await self.client(alice, resource="a")
        b = await self.client(bob, resource="b")
        a.send_presence()
        b.send_presence()
        await asyncio.sleep(2.5)
        a.send_message(mto=b.boundjid.full, mbody="after the silence", mtype="chat")
        m = await b.next("message", lambda m: m["body"] == "after the silence")
        self.assertEqual(m["from"].full, a.boundjid.full)
        await asyncio.sleep(2.5)
        b.send_message(mto=a.boundjid.full, mbody="still here", mtype="chat")
        await a.next("message", lambda m: m["body"] == "still here")

    async def test_offline_message_delivered_with_delay_at_next_login(self):
        alice, bob = self.users("alice", "bob")
        a = await self.client(alice)
        a.send_message(mto=bob, mbody="while you were away", mtype="chat")
        await asyncio.sleep(0.3)  # let the server store it (no receipt to wait for)
        b = await self.client(bob)
        b.send_presence()
        m = await b.next("message", lambda m: m["body"] == "while you were away")
        self.assertEqual(m["from"].bare, alice)
        self.assertTrue(m["delay"]["stamp"] is not None)
        self.assertEqual(m["delay"]["from"].full, "localhost")

    async def test_message_to_unknown_user_bounces(self):
        alice, = self.users("alice")
        a = await self.client(alice)
        a.send_message(mto="nobody-here@localhost", mbody="anyone?", mtype="chat")
        err = await a.next("message", lambda m: m["type"] == "error")
        self.assertEqual(err["error"]["condition"], "service-unavailable")


class Presence(ServerTest):
    async def test_mutual_subscription_and_presence_including_a_cut_connection(self):
        alice, bob = self.users("alice", "bob")
        a = await self.client(alice)
        b = await self.client(bob)
        await a.get_roster()
        await b.get_roster()
        a.send_presence()
        b.send_presence()
        # slixmpp accepts and reciprocates subscription requests by default (auto_authorize,
        # auto_subscribe), so one request gives a mutual subscription.
        a.send_presence_subscription(pto=bob)
        await b.next("presence", lambda p: p["type"] == "subscribe" and p["from"].bare == alice)
        await a.next("presence", lambda p: p["type"] == "subscribed" and p["from"].bare == bob)
        await a.next("presence", lambda p: p["type"] == "available" and p["from"].bare == bob)
        await b.next("presence", lambda p: p["type"] == "available" and p["from"].bare == alice)
        await asyncio.sleep(0.2)
        self.assertEqual(a.client_roster[bob]["subscription"], "both")
        self.assertEqual(b.client_roster[alice]["subscription"], "both")
        # Cut bob's connection without a goodbye: alice must still see him go.
        b.transport.abort()
        p = await a.next("presence", lambda p: p["from"].bare == bob and p["type"] == "unavailable")
        self.assertEqual(p["from"].bare, bob)


class ServerFeatures(ServerTest):
    async def test_unknown_namespace_gets_service_unavailable(self):
        alice, = self.users("alice")
        a = await self.client(alice)
        iq = a.make_iq_get(ito="localhost")
        iq.append(slixmpp.xmlstream.ET.Element("{urn:example:nothing}query"))
        with self.assertRaises(IqError) as e:
            await iq.send(timeout=TIMEOUT)
        self.assertEqual(e.exception.iq["error"]["condition"], "service-unavailable")

    async def test_disco_ping_and_version(self):
        alice, = self.users("alice")
        a = await self.client(alice)
        info = await a["xep_0030"].get_info(jid="localhost", timeout=TIMEOUT)
        features = info["disco_info"]["features"]
        for ns in ("urn:xmpp:ping", "jabber:iq:version", "vcard-temp", "urn:xmpp:blocking", "msgoffline"):
            self.assertIn(ns, features)
        identities = info["disco_info"]["identities"]
        self.assertIn(("server", "im"), [(i[0], i[1]) for i in identities])
        self.assertIsNotNone(await a["xep_0199"].ping(jid="localhost", timeout=TIMEOUT))
        version = await a["xep_0092"].get_version("localhost", timeout=TIMEOUT)
        self.assertEqual(version["software_version"]["name"], "OFS")

    async def test_vcard_set_and_get(self):
        alice, bob = self.users("alice", "bob")
        a = await self.client(alice)
        card = a["xep_0054"].make_vcard()
        card["FN"] = "Alice Liddell"
        card["NICKNAME"] = "alice"
        await a["xep_0054"].publish_vcard(card, timeout=TIMEOUT)
        got = await a["xep_0054"].get_vcard(alice, cached=False, timeout=TIMEOUT)
        self.assertEqual(got["vcard_temp"]["FN"], "Alice Liddell")
        b = await self.client(bob)
        other = await b["xep_0054"].get_vcard(alice, cached=False, timeout=TIMEOUT)
        self.assertEqual(other["vcard_temp"]["NICKNAME"], ["alice"])

    async def test_blocking(self):
        alice, bob = self.users("alice", "bob")
        a = await self.client(alice)
        b = await self.client(bob)
        a.send_presence()
        await a["xep_0191"].block(bob, timeout=TIMEOUT)
        blocked = await a["xep_0191"].get_blocked(timeout=TIMEOUT)
        self.assertIn(bob, [j.bare for j in blocked["blocklist"]["items"]])
        b.send_message(mto=alice, mbody="can you hear me?", mtype="chat")
        # XEP-0191 3.5: the blocked sender gets service-unavailable, which also shows that
        # the server handled the message before the unblock below.
        refused = await b.next("message", lambda m: m["type"] == "error")
        self.assertEqual(refused["error"]["condition"], "service-unavailable")
        a.send_message(mto=bob, mbody="no", mtype="chat")
        err = await a.next("message", lambda m: m["type"] == "error")
        self.assertEqual(err["error"]["condition"], "not-acceptable")
        await a["xep_0191"].unblock(bob, timeout=TIMEOUT)
        b.send_message(mto=alice, mbody="and now?", mtype="chat")
        m = await a.next("message", lambda m: m["type"] != "error")
        self.assertEqual(m["body"], "and now?")  # the blocked one never arrived


class Registration(ServerTest):
    extra_config = "[im]\nregistration = true\n"

    async def test_in_band_registration_then_login(self):
        # XEP-0077 before authentication, over the TLS stream, as a client's sign-up screen does it.
        name = "newbie" + secrets.token_hex(3)
        r = RawStream(self.server.ports["c2s"])
        self.addCleanup(r.sock.close)
        features = r.starttls(self.server.cert)
        self.assertIn(b"<register xmlns=\"http://jabber.org/features/iq-register\"/>", features)
        r.send(b"<iq type='get' id='r1'><query xmlns='jabber:iq:register'/></iq>")
        form = r.read_until(b"</iq>")
        self.assertIn(b"<username/>", form)
        self.assertIn(b"<password/>", form)
        r.send(f"<iq type='set' id='r2'><query xmlns='jabber:iq:register'><username>{name}</username>"
               "<password>first password</password></query></iq>".encode())
        self.assertIn(b'type="result"', r.read_until(b"id=\"r2\""))
        r.send(f"<iq type='set' id='r3'><query xmlns='jabber:iq:register'><username>{name}</username>"
               "<password>again</password></query></iq>".encode())
        self.assertIn(b"<conflict", r.read_until(b"</iq>"))
        c = await self.client(f"{name}@localhost", password="first password")
        self.assertEqual(c.boundjid.bare, f"{name}@localhost")


if __name__ == "__main__":
    unittest.main()
