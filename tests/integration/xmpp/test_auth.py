"""Login under load: PBKDF2 runs on the key derivation pool, so one I/O thread keeps serving
everyone while PLAIN logins derive keys, and a full queue is a temporary failure."""
import asyncio
import base64
import hashlib
import time
import unittest

from harness import ServerTest, TIMEOUT
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
        # Were derivations on the I/O thread, a ping would wait for one: up to a whole derivation.
        self.assertGreaterEqual(len(rtts), 3, "the pings must overlap the logins")
        self.assertLess(max(rtts), self.derivation / 3, f"ping round trips {rtts}, derivation {self.derivation}")

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
        alice, bob = self.users("alice", "bob")
        a = await self.client(alice, mech="SCRAM-SHA-256")
        busy = await self.tls_streams(2)
        registering, = await self.tls_streams(1)
        for r in busy:  # fill the worker and the queue
            r.send(plain_auth(bob.split("@")[0]))
        # A round trip on the one I/O thread: the logins sent before it have been read.
        self.assertIsNotNone(await a["xep_0199"].ping(jid="localhost", timeout=TIMEOUT))
        registering.send(b"<iq type='set' id='r1'><query xmlns='jabber:iq:register'><username>newbie</username>"
                         b"<password>pw</password></query></iq>")
        reply = await asyncio.to_thread(registering.read_until, b"</iq>")
        self.assertIn(b'type="error"', reply)
        self.assertIn(b"<resource-constraint", reply)
        self.assertIn(b'type="wait"', reply)
        for r in busy:
            self.assertIn(b"<success", await asyncio.to_thread(r.read_until, b"success"))


if __name__ == "__main__":
    unittest.main()
