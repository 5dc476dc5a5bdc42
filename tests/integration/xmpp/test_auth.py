"""Login hardening. Under load: PBKDF2 runs on the key derivation pool, so one I/O thread keeps
serving everyone while PLAIN logins derive keys, and a full queue is a temporary failure.
Channel binding: SCRAM's "y" flag while -PLUS is offered, accepted by default, refused when
configured (README, Security)."""
import asyncio
import base64
import hashlib
import time
import unittest

from harness import Client, ServerTest, TIMEOUT
from test_hostile import RawStream

ITERATIONS = 500_000


def plain_auth(user, password="secret"):
    payload = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
    return f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{payload}</auth>".encode()


class KeyDerivationPool(ServerTest):
    # One I/O thread, one derivation worker with room for one more job, and a derivation that
    # takes a visible time.
    threads = 1
    extra_config = (f"[auth]\nscram_iterations = {ITERATIONS}\n[limits]\nkdf_workers = 1\nkdf_queue = 1\n"
                    "[im]\nregistration = true\n")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start = time.monotonic()  # what one derivation costs on this machine
        hashlib.pbkdf2_hmac("sha256", b"secret", b"0123456789abcdef", ITERATIONS)
        cls.derivation = time.monotonic() - start

    async def tls_streams(self, n):
        streams = [RawStream(self.server.ports["c2s"]) for _ in range(n)]
        for r in streams:
            self.addCleanup(lambda r=r: r.sock.close())  # the TLS socket, once starttls replaced it
        await asyncio.gather(*(asyncio.to_thread(r.starttls, self.server.cert) for r in streams))
        return streams

    async def test_ping_is_answered_while_plain_logins_derive_keys(self):
        alice, bob = self.users("alice", "bob")
        a = await self.client(alice, mech="SCRAM-SHA-256")
        streams = await self.tls_streams(2)  # one derivation runs, one waits for the worker
        for r in streams:
            r.send(plain_auth(bob.split("@")[0]))
        logins = [asyncio.create_task(asyncio.to_thread(r.read_until, b"success")) for r in streams]
        rtts = []
        while not all(t.done() for t in logins):
            start = time.monotonic()
            self.assertIsNotNone(await a["xep_0199"].ping(jid="localhost", timeout=TIMEOUT))
            rtts.append(time.monotonic() - start)
        for t in logins:
            self.assertIn(b"<success", await t)
        # Were derivations on the I/O thread, each ping would wait for one: two or three pings
        # would fit in the two derivations, each taking a good part of one.
        rtts.sort()
        self.assertGreater(len(rtts), 10, f"ping round trips {rtts}, derivation {self.derivation}")
        self.assertLess(rtts[len(rtts) // 2], self.derivation / 10, f"ping round trips {rtts}")

    async def test_plain_logins_past_the_queue_get_temporary_auth_failure(self):
        bob, = self.users("bob")
        streams = await self.tls_streams(4)
        for r in streams:
            r.send(plain_auth(bob.split("@")[0]))
        answers = await asyncio.gather(*(asyncio.to_thread(r.read_until, b"/>") for r in streams))
        outcomes = sorted("success" if b"<success" in a else a.decode() for a in answers)
        self.assertEqual(outcomes.count("success"), 2, answers)  # the running one and the queued one
        for a in answers:
            if b"<success" not in a:
                self.assertIn(b"<temporary-auth-failure/>", a)

    async def test_registration_past_the_queue_gets_resource_constraint(self):
        bob, = self.users("bob")
        busy = await self.tls_streams(2)
        registering, = await self.tls_streams(1)
        for r in busy:  # fill the worker and the queue
            r.send(plain_auth(bob.split("@")[0]))
        # Each login looks its account up in the store before it derives: wait until both
        # derivations hold the worker and the queue.
        deadline = time.monotonic() + TIMEOUT
        while await asyncio.to_thread(self.server.metric, "ofs_kdf_pending") < 2:
            self.assertLess(time.monotonic(), deadline, "the two PLAIN logins never reached the pool")
            await asyncio.sleep(0.01)
        registering.send(b"<iq type='set' id='r1'><query xmlns='jabber:iq:register'><username>newbie</username>"
                         b"<password>pw</password></query></iq>")
        reply = await asyncio.to_thread(registering.read_until, b"</iq>")
        self.assertIn(b'type="error"', reply)
        self.assertIn(b"<resource-constraint", reply)
        self.assertIn(b'type="wait"', reply)
        for r in busy:
            self.assertIn(b"<success", await asyncio.to_thread(r.read_until, b"success"))


def scram_first(gs2, user="bob"):
    payload = base64.b64encode(f"{gs2}n={user},r=fyko+d2lbbFgONRv9qkxdawL".encode()).decode()
    return f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>{payload}</auth>".encode()


class ChannelBinding(ServerTest):
    async def raw_first(self, gs2):
        """The server's answer to a SCRAM-SHA-256 client-first-message with this GS2 header."""
        r = RawStream(self.server.ports["c2s"])
        self.addCleanup(lambda: r.sock.close())
        features = await asyncio.to_thread(r.starttls, self.server.cert)
        self.assertIn(b"<mechanism>SCRAM-SHA-256-PLUS</mechanism>", features)
        r.send(scram_first(gs2))
        return await asyncio.to_thread(r.read_until, b"</")


class ChannelBindingDefault(ChannelBinding):
    async def test_y_flag_is_taken_like_n(self):
        self.assertIn(b"<challenge", await self.raw_first("y,,"))
        self.assertIn(b"<challenge", await self.raw_first("n,,"))

    async def test_slixmpp_logs_in_after_its_plus_attempts_fail(self):
        # COMPAT: slixmpp 1.8 binds only with tls-unique, which TLS 1.3 lacks: it tries both -PLUS
        # mechanisms, then SCRAM-SHA-256 with "y", its third attempt.
        alice, = self.users("alice")
        c = await self.client(alice)
        self.assertEqual(c["feature_mechanisms"].mech.name, "SCRAM-SHA-256")


class ChannelBindingStrict(ChannelBinding):
    extra_config = "[c2s]\nrefuse_cb_downgrade = true\n"

    async def test_y_flag_is_refused_as_a_downgrade(self):
        failure = await self.raw_first("y,,")
        self.assertIn(b"<failure", failure)
        self.assertIn(b"<not-authorized/>", failure)
        self.assertIn(b"<challenge", await self.raw_first("n,,"))

    async def test_slixmpp_fails_to_log_in(self):
        # What the default spares slixmpp users (and poezio's): refused at the third attempt,
        # the stream ends. Should this fail, slixmpp learnt tls-exporter: revisit the default.
        alice, = self.users("alice")
        c = Client(self.server, alice)
        self.addAsyncCleanup(self._close, c)
        errors = []
        c.add_event_handler("stream_error", lambda e: errors.append(e["condition"]))
        c.connect(("127.0.0.1", self.server.ports["c2s"]))
        await asyncio.wait_for(c.wait_until("disconnected"), TIMEOUT)
        self.assertEqual(errors, ["policy-violation"])
        self.assertFalse(c.authenticated)


if __name__ == "__main__":
    unittest.main()
