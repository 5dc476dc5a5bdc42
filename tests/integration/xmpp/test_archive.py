"""Message archive (XEP-0313, XEP-0359), carbons (XEP-0280) and multicast (XEP-0033) against
the real ofsd, with slixmpp's own plugins for them."""
import asyncio
import time

from harness import Client, ServerTest, TIMEOUT


def body_of(result):
    return result["mam_result"]["forwarded"]["stanza"]["body"]


class Archive(ServerTest):
    async def xep_client(self, jid, resource=None):
        c = Client(self.server, jid, resource=resource)
        for plugin in ("xep_0313", "xep_0280", "xep_0359", "xep_0085"):
            c.register_plugin(plugin)
        self.addAsyncCleanup(self._close, c)
        return await c.login()

    async def chat(self, alice, bob, texts):
        """alice sends each text to bob's bare JID; returns what bob received, in order."""
        for t in texts:
            alice.send_message(mto=bob.boundjid.bare, mbody=t, mtype="chat")
        return [await bob.next("message", lambda m, t=t: m["body"] == t) for t in texts]

    async def test_earlier_messages_page_forward_and_backward(self):
        alice_jid, bob_jid = self.users("alice", "bob")
        a = await self.xep_client(alice_jid, "a")
        b = await self.xep_client(bob_jid, "b")
        a.send_presence()
        b.send_presence()
        texts = [f"message {i}" for i in range(1, 6)]
        got = await self.chat(a, b, texts)
        # The receiver's copy carries its archive's stanza id (XEP-0359), by its own account.
        for m in got:
            self.assertEqual(m["stanza_id"]["by"], b.boundjid.bare)
            self.assertEqual(len(m["stanza_id"]["id"]), 23)

        # A later session (another device) pages through the history, both ways.
        b2 = await self.xep_client(bob_jid, "phone")
        first = await b2["xep_0313"].retrieve(rsm={"max": 2}, timeout=TIMEOUT)
        self.assertEqual([body_of(r) for r in first["mam"]["results"]], texts[:2])
        self.assertIsNone(first["mam_fin"].xml.get("complete"))
        self.assertEqual(first["mam_fin"]["rsm"]["count"], "5")
        self.assertEqual([r["mam_result"]["id"] for r in first["mam"]["results"]],
                         [m["stanza_id"]["id"] for m in got[:2]])

        forward = [body_of(r) async for r in b2["xep_0313"].iterate(rsm={"max": 2})]
        self.assertEqual(forward, texts)
        backward = [body_of(r) async for r in b2["xep_0313"].iterate(rsm={"max": 2}, reverse=True)]
        self.assertEqual(backward, texts[::-1])
        # The sender's archive has them too, with the sender as 'from'.
        mine = await a["xep_0313"].retrieve(with_jid=b.boundjid.bare, timeout=TIMEOUT)
        sent = [r["mam_result"]["forwarded"]["stanza"] for r in mine["mam"]["results"]]
        self.assertEqual([s["body"] for s in sent], texts)
        self.assertEqual(sent[0]["from"].full, a.boundjid.full)
        self.assertEqual(mine["mam_fin"].xml.get("complete"), "true")

    async def test_chat_states_are_not_archived(self):
        alice_jid, bob_jid = self.users("alice", "bob")
        a = await self.xep_client(alice_jid, "a")
        b = await self.xep_client(bob_jid, "b")
        a.send_presence()
        b.send_presence()
        for state in ("composing", "paused"):
            m = a.make_message(mto=b.boundjid.bare, mtype="chat")
            m["chat_state"] = state
            m.send()
        # One stream, routed in order: once this arrives, the chat states went before it.
        await self.chat(a, b, ["the only one kept"])
        for c in (a, b):
            r = await c["xep_0313"].retrieve(timeout=TIMEOUT)
            self.assertEqual([body_of(x) for x in r["mam"]["results"]], ["the only one kept"])

    async def test_carbons_reach_the_senders_and_the_receivers_other_resources(self):
        alice_jid, bob_jid = self.users("alice", "bob")
        a1 = await self.xep_client(alice_jid, "desk")
        a2 = await self.xep_client(alice_jid, "phone")
        b1 = await self.xep_client(bob_jid, "desk")
        b2 = await self.xep_client(bob_jid, "phone")
        copies = {"sent": [], "received": []}
        a2.add_event_handler("carbon_sent", lambda m: copies["sent"].append(m))
        b2.add_event_handler("carbon_received", lambda m: copies["received"].append(m))
        for c in (a1, a2, b1, b2):
            c.send_presence()
        await a2["xep_0280"].enable(timeout=TIMEOUT)
        await b2["xep_0280"].enable(timeout=TIMEOUT)

        a1.send_message(mto=b1.boundjid.full, mbody="to your desk", mtype="chat")
        await b1.next("message", lambda m: m["body"] == "to your desk")
        deadline = time.monotonic() + TIMEOUT
        while (not copies["sent"] or not copies["received"]) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self.assertEqual(len(copies["sent"]), 1)
        sent = copies["sent"][0]["carbon_sent"]
        self.assertEqual(sent["body"], "to your desk")
        self.assertEqual(sent["from"].full, a1.boundjid.full)
        self.assertEqual(copies["sent"][0]["from"].full, alice_jid)
        self.assertEqual(len(copies["received"]), 1)
        received = copies["received"][0]["carbon_received"]
        self.assertEqual(received["body"], "to your desk")
        self.assertEqual(received["to"].full, b1.boundjid.full)
        self.assertEqual(received["stanza_id"]["by"], bob_jid)

        # <private/> keeps a message off the other resources.
        m = a1.make_message(mto=b1.boundjid.full, mbody="just here", mtype="chat")
        m.enable("carbon_private")
        m.send()
        await b1.next("message", lambda m: m["body"] == "just here")
        a1.send_message(mto=b1.boundjid.full, mbody="marker", mtype="chat")
        await b1.next("message", lambda m: m["body"] == "marker")
        deadline = time.monotonic() + TIMEOUT
        while len(copies["received"]) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self.assertEqual([c["carbon_received"]["body"] for c in copies["received"]], ["to your desk", "marker"])

    async def test_disco_advertises_mam_and_carbons(self):
        alice_jid, = self.users("alice")
        a = await self.xep_client(alice_jid)
        account = await a["xep_0030"].get_info(jid=alice_jid, timeout=TIMEOUT)
        self.assertIn("urn:xmpp:mam:2", account["disco_info"]["features"])
        self.assertIn("urn:xmpp:sid:0", account["disco_info"]["features"])
        server = await a["xep_0030"].get_info(jid="localhost", timeout=TIMEOUT)
        self.assertIn("urn:xmpp:carbons:2", server["disco_info"]["features"])


class Multicast(ServerTest):
    async def test_one_message_to_the_server_reaches_three_users_and_hides_the_bcc(self):
        alice_jid, bob_jid, carol_jid, dave_jid = self.users("alice", "bob", "carol", "dave")
        clients = []
        for jid in (alice_jid, bob_jid, carol_jid, dave_jid):
            c = Client(self.server, jid)
            c.register_plugin("xep_0033")
            c.register_plugin("xep_0030")
            self.addAsyncCleanup(self._close, c)
            clients.append(await c.login())
        a, b, c, d = clients
        info = await a["xep_0030"].get_info(jid="localhost", timeout=TIMEOUT)
        self.assertIn("http://jabber.org/protocol/address", info["disco_info"]["features"])
        for x in clients:
            x.send_presence()
        m = a.make_message(mto="localhost", mbody="to three", mtype="chat")
        m["addresses"].add_address(atype="to", jid=bob_jid)
        m["addresses"].add_address(atype="cc", jid=carol_jid)
        m["addresses"].add_address(atype="bcc", jid=dave_jid)
        m.send()
        for x in (b, c, d):
            got = await x.next("message", lambda m: m["body"] == "to three")
            self.assertEqual(got["from"].bare, alice_jid)
            kinds = sorted(addr["type"] for addr in got["addresses"])
            self.assertEqual(kinds, ["cc", "to"])  # dave's bcc is on no copy
            self.assertTrue(all(addr["delivered"] for addr in got["addresses"]))
