"""Stream management (XEP-0198) and client state indication (XEP-0352) against the real ofsd,
with slixmpp's own plugins: a receiver whose connection is cut (a TCP reset, not a close)
resumes and gets what was sent meanwhile exactly once; a session not resumed in time hands
its stanzas to another resource or to offline storage; resumption with another account's or
an unknown SM-ID fails; an ack for a message to an offline user survives kill -9; an inactive
client gets presence late and collapsed, messages at once.
"""
import asyncio
import socket
import struct
import time

from harness import Client, Server, ServerTest, TIMEOUT


class SmClient(Client):
    """A slixmpp client with stream management (resumable) and CSI; cut() drops its
    connection with a TCP reset, and resume() reconnects to resume the session."""

    def __init__(self, server, jid, **kw):
        super().__init__(server, jid, **kw)
        self.register_plugin("xep_0198")
        self.register_plugin("xep_0352")
        self.resumed = asyncio.Event()
        self.enabled = asyncio.Event()
        self.csi = asyncio.Event()
        self.gone = asyncio.Event()
        self.add_event_handler("sm_enabled", lambda _: self.enabled.set())
        self.add_event_handler("csi_enabled", lambda _: self.csi.set())
        self.sm_failures = []
        self.add_event_handler("disconnected", lambda _: self.gone.set())
        self.add_event_handler("session_resumed", lambda _: self.resumed.set())
        self.add_event_handler("sm_failed", lambda f: self.sm_failures.append(str(f)))

    async def login(self, port="c2s", use_ssl=False):
        await super().login(port, use_ssl)
        # slixmpp takes the CSI feature only after SM's <enabled/> has come back: wait for both.
        await asyncio.wait_for(self.enabled.wait(), TIMEOUT)
        await asyncio.wait_for(self.csi.wait(), TIMEOUT)
        return self

    def cut(self):
        self.gone.clear()
        sock = self.transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    async def resume(self):
        await asyncio.wait_for(self.gone.wait(), TIMEOUT)
        self.resumed.clear()
        self.connect(("127.0.0.1", self.ofs.ports["c2s"]), force_starttls=True)
        await asyncio.wait_for(self.resumed.wait(), TIMEOUT)


def arrived(client, kind):
    """Every stanza of this kind received and not yet taken by next()."""
    q = client.queues[kind]
    while not q.empty():
        client.received[kind].append(q.get_nowait())
    return client.received[kind]


def bodies(client):
    return [m["body"] for m in arrived(client, "message")]


async def wait_resumable(server, count):
    """Until the server holds `count` resumable sessions (its /metrics), within TIMEOUT."""
    deadline = time.monotonic() + TIMEOUT
    while (held := await asyncio.to_thread(server.metric, "ofs_resumable_sessions")) != count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{held} resumable sessions, not {count}")
        await asyncio.sleep(0.1)


class SmTest(ServerTest):
    async def sm_client(self, jid, **kw):
        c = SmClient(self.server, jid, **kw)
        self.addAsyncCleanup(self._close, c)
        return await c.login()

    async def drain(self, client, marker, sender, to):
        """Sends a marker after everything else and waits for it: all before it has arrived."""
        sender.send_message(mto=to, mbody=marker, mtype="chat")
        await client.next("message", lambda m: m["body"] == marker)


class Resumption(SmTest):
    async def test_a_message_sent_while_the_connection_is_cut_arrives_once_after_resuming(self):
        alice, bob = self.users("alice", "bob")
        a = await self.sm_client(alice, resource="phone")
        b = await self.client(bob)
        sm_id = a["xep_0198"].sm_id
        self.assertTrue(sm_id)
        a.cut()
        b.send_message(mto=a.boundjid.full, mbody="while away", mtype="chat")
        await a.resume()
        self.assertEqual(a["xep_0198"].sm_id, sm_id)
        await a.next("message", lambda m: m["body"] == "while away")
        await self.drain(a, "marker", b, a.boundjid.full)
        self.assertEqual(bodies(a).count("while away"), 0)  # taken by next() above: none left over
        # The session went on: the server still counts it as the same resource.
        b.send_message(mto=a.boundjid.full, mbody="after", mtype="chat")
        await a.next("message", lambda m: m["body"] == "after")

    async def test_another_accounts_or_an_unknown_id_fails_with_item_not_found(self):
        alice, bob = self.users("alice", "bob")
        a = await self.sm_client(alice)
        sm_id = a["xep_0198"].sm_id
        a.cut()
        for jid, previd in ((bob, sm_id), (alice, "0" * 32)):
            thief = SmClient(self.server, jid)
            self.addAsyncCleanup(self._close, thief)
            thief["xep_0198"].sm_id = previd
            thief.connect(("127.0.0.1", self.server.ports["c2s"]), force_starttls=True)
            # Refused, it binds a session of its own instead.
            await asyncio.wait_for(thief.wait_until("session_start"), TIMEOUT)
            self.assertEqual(len(thief.sm_failures), 1, thief.sm_failures)
            self.assertIn("item-not-found", thief.sm_failures[0])
            self.assertNotIn(" h=", thief.sm_failures[0])
            self.assertEqual(thief.boundjid.bare, jid)
        # The session was neither taken nor ended: its owner resumes it.
        await a.resume()
        self.assertEqual(a["xep_0198"].sm_id, sm_id)


class ResumptionTimeout(SmTest):
    extra_config = "[c2s]\nresume_timeout = 2\n"

    async def test_not_resumed_in_time_it_goes_to_another_resource(self):
        alice, bob = self.users("alice", "bob")
        phone = await self.sm_client(alice, resource="phone")
        desk = await self.client(alice, resource="desk")
        desk.send_presence()
        await desk.next("presence", lambda p: p["from"].resource == "desk")
        phone.send_presence()
        await desk.next("presence", lambda p: p["from"].resource == "phone")
        b = await self.client(bob)
        phone.cut()
        start = time.monotonic()
        b.send_message(mto=f"{alice}/phone", mbody="for the phone", mtype="chat")
        m = await desk.next("message", lambda m: m["body"] == "for the phone")
        self.assertGreaterEqual(time.monotonic() - start, 1.5)  # only once the phone's time is up
        self.assertEqual(m["to"].resource, "phone")
        await self.drain(desk, "marker", b, alice)
        self.assertNotIn("for the phone", bodies(desk))  # once

    async def test_not_resumed_in_time_it_is_stored_for_the_next_login(self):
        alice, bob = self.users("alice", "bob")
        a = await self.sm_client(alice, resource="phone")
        b = await self.client(bob)
        a.cut()
        b.send_message(mto=a.boundjid.full, mbody="stored", mtype="chat")
        await wait_resumable(self.server, 0)  # past resume_timeout
        again = await self.client(alice, resource="phone")
        again.send_presence()
        m = await again.next("message", lambda m: m["body"] == "stored")
        self.assertTrue(m["delay"]["stamp"])


class AckAfterStorage(SmTest):
    async def test_an_acknowledged_message_to_an_offline_user_survives_kill_9(self):
        alice, bob = self.users("alice", "bob")
        a = await self.sm_client(alice)
        acked = asyncio.Event()
        a.add_event_handler("stanza_acked", lambda s: acked.set() if s["id"] == "m1" else None)
        msg = a.make_message(mto=bob, mbody="kept", mtype="chat")
        msg["id"] = "m1"
        msg.send()
        # slixmpp writes its <r/> ahead of queued stanzas: have the message out first.
        await a["xep_0199"].ping(jid="localhost", timeout=TIMEOUT)
        a["xep_0198"].request_ack()
        await asyncio.wait_for(acked.wait(), TIMEOUT)
        self.server.proc.kill()  # no shutdown: only what was stored before the ack is left
        self.server.proc.wait()
        old = self.server
        old.proc.stdout.close()
        old.log_file.close()
        self.__class__.server = Server(storage_url=old.storage_url, directory=old.dir)
        b = await self.client(bob)
        b.send_presence()
        m = await b.next("message", lambda m: m["body"] == "kept")
        self.assertEqual(m["from"].bare, alice)


class ClientState(SmTest):
    async def test_presence_waits_collapsed_while_inactive_and_messages_do_not(self):
        alice, bob, carol = self.users("alice", "bob", "carol")
        a = await self.sm_client(alice)
        self.assertTrue(a["xep_0352"].enabled)
        b = await self.client(bob)
        c = await self.client(carol)
        a["xep_0352"].send_inactive()
        await a["xep_0199"].ping(jid="localhost", timeout=TIMEOUT)  # the server has read it
        for status in ("one", "two", "three"):
            b.send_presence(pto=a.boundjid.full, pstatus=status)
        c.send_presence(pto=a.boundjid.full, pstatus="carol")
        b.send_message(mto=a.boundjid.full, mbody="from bob", mtype="chat")
        c.send_message(mto=a.boundjid.full, mbody="from carol", mtype="chat")
        # Each sender's presence came before its message: had it not been held, it would be here.
        await a.next("message", lambda m: m["body"] == "from bob")
        await a.next("message", lambda m: m["body"] == "from carol")
        self.assertEqual([p["status"] for p in arrived(a, "presence")], [])
        a["xep_0352"].send_active()
        await a.next("presence", lambda p: p["status"] == "three")
        await a.next("presence", lambda p: p["status"] == "carol")
        # What was held came out at once: "one" and "two" would be here now.
        await a["xep_0199"].ping(jid="localhost", timeout=TIMEOUT)
        self.assertEqual([p["status"] for p in arrived(a, "presence")], [])
