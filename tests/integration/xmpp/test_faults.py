"""Faults while clients chat: the database stops and comes back, ofsd gets SIGTERM under load,
a client drops its connection during offline delivery. In each, every message a client saw the
server accept is received, stored for later, or bounced to its sender: none vanishes.

Clients are light_client.LightClient sessions (PLAIN without TLS on loopback) so that hundreds
fit in one test; the accounting is ledger.Ledger, whose failure messages list the lost ids.
"""
import asyncio
import random
import re
import secrets
import time
import unittest

from harness import STORAGE, Server
from ledger import Ledger, describe_missing, message_id
from light_client import LightClient, StreamClosed
from pg_cluster import PgCluster

GRACE = 15  # [limits] shutdown_timeout below
MARGIN = 3  # seconds past the grace for the process to exit
# Each sender: BATCH messages to online users and as many to offline users, a ping, a pause.
# The offline rate (200 senders x BATCH / PAUSE) stays below what storage absorbs on a loaded
# machine; the burst before SIGTERM (200 x BURST) is queued work a clean stop can drain in GRACE:
# about a second of SQLite's offline writes, or of PostgreSQL's (which are slower) on 2 cores.
BATCH = 1
PAUSE = 0.5
BURST = 10 if STORAGE == "postgres" else 100
CONFIG = f"""[c2s]
require_tls = false
allow_plain_on_loopback = true
[im]
registration = true
registrations_per_ip_hour = 10000
offline_quota = 100000
[limits]
shutdown_timeout = {GRACE}
"""
SANITIZER = re.compile(r"ERROR: \w+Sanitizer|runtime error:|LeakSanitizer")


def log_excerpt(log, size=6000):
    """The end of ofsd's log without the one-line-per-login noise."""
    return "\n".join(l for l in log.splitlines() if "authenticated as" not in l)[-size:]


async def gather_limited(coros, limit=25):
    sem = asyncio.Semaphore(limit)

    async def one(c):
        async with sem:
            return await c

    return await asyncio.gather(*(one(c) for c in coros))


class FaultTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        # The test loop runs in debug mode; hundreds of clients make its slow-step notes noise.
        asyncio.get_running_loop().slow_callback_duration = 10

    def start_server(self, **kw):
        server = Server(CONFIG, **kw)
        self.addCleanup(server.stop)  # a no-op once stopped; removes the directory
        return server

    def restart(self, server):
        """A new ofsd on the same data directory and database as the stopped one."""
        server.proc.stdout.close()
        server.log_file.close()
        return self.start_server(storage_url=server.storage_url, directory=server.dir)

    def users(self, prefix, n):
        tag = secrets.token_hex(3)
        return [f"{prefix}{tag}x{i:03d}" for i in range(n)]

    async def register(self, server, names):
        await gather_limited(LightClient(server.ports["c2s"], n).register() for n in names)

    async def login(self, server, names, resource="r", presence=True):
        clients = [LightClient(server.ports["c2s"], n, resource=resource) for n in names]
        for c in clients:
            self.addCleanup(c.drop)
        await gather_limited(c.login(presence) for c in clients)
        return clients

    async def close_all(self, clients):
        await asyncio.gather(*(c.close() for c in clients))

    def assert_none_missing(self, missing, log):
        if missing:
            self.fail(describe_missing(missing) + "\nofsd log (end):\n" + log_excerpt(log))

    def assert_clean_log(self, server):
        found = SANITIZER.search(server.log())
        self.assertIsNone(found, f"sanitizer report in ofsd's log:\n{log_excerpt(server.log())}")


@unittest.skipUnless(STORAGE == "postgres", "PostgreSQL backend only")
class PostgresRestart(FaultTest):
    """ofsd on a private cluster (the shared one serves other suites in parallel)."""

    async def test_fast_stop_and_restart(self):
        await self.outage("fast")

    async def test_immediate_stop_and_restart(self):
        await self.outage("immediate")

    async def outage(self, mode):
        pg = PgCluster()
        self.addCleanup(pg.destroy)
        server = self.start_server(storage_url=pg.url)
        online_names, offline_names = self.users("on", 4), self.users("off", 4)
        await self.register(server, online_names + offline_names)
        online = await self.login(server, online_names)
        ledger = Ledger(f"PostgreSQL stop -m {mode}")
        ledger.live = online
        n = len(online)

        def send_round(seq):
            for i, c in enumerate(online):
                c.send_message(online_names[(i + 1) % n], message_id(i, 2 * seq, "on", (i + 1) % n))
                c.send_message(offline_names[i], message_id(i, 2 * seq + 1, "off", i))

        send_round(0)  # before the fault: ordinary chat, delivered and stored
        self.assertTrue(all(await asyncio.gather(*(c.ping() for c in online))))
        self.assertEqual(await ledger.wait_accounted([m for c in online for m in c.sent if ">on" in m], 10), [])
        stored = 0
        for _ in range(100):  # offline storage is asynchronous: let it finish before the fault
            if (stored := int(pg.query("SELECT count(*) FROM offline_messages"))) >= n:
                break
            await asyncio.sleep(0.1)
        self.assertEqual(stored, n)
        self.assertEqual(ledger.bounced(), {})
        self.assertEqual(server.health(), 200)

        # A burst to the offline users right before the stop: stores are in flight when it comes.
        for i, c in enumerate(online):
            for k in range(20):
                c.send_message(offline_names[i], message_id(i, 1000 + k, "off", i))
        await asyncio.to_thread(pg.stop, mode)
        outage_health = await asyncio.to_thread(server.health)
        seq, until = 1, time.monotonic() + 3
        while time.monotonic() < until:  # keep chatting for a few seconds without a database
            send_round(seq)
            seq += 1
            await asyncio.gather(*(c.ping(timeout=2) for c in online))
        self.assertIsNone(server.proc.poll(), "ofsd died while PostgreSQL was down:\n" + server.log())
        self.assertNotEqual(outage_health, 200, "/health said ok while PostgreSQL was down")

        await asyncio.to_thread(pg.start)
        deadline = time.monotonic() + 20
        while (status := await asyncio.to_thread(server.health)) != 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        self.assertEqual(status, 200, "/health did not recover within 20 s of PostgreSQL's restart:\n"
                         + log_excerpt(server.log()))
        sessions_alive = await asyncio.gather(*(c.ping() for c in online))
        sent = [m for c in online for m in c.sent]

        # New logins: a new account, and the offline users, who collect what was stored.
        fresh = self.users("new", 1)
        await self.register(server, fresh)
        ledger.later = await self.login(server, fresh + offline_names)
        missing = await ledger.wait_accounted(sent, timeout=15)
        text, missing = ledger.report(sent, sent)
        print(f"\n{text}; sessions still up after the outage: {sum(sessions_alive)}/{n}")
        await self.close_all(online + ledger.later)
        self.assertEqual(server.stop(remove=False), 0)
        self.assert_none_missing(missing, server.log())


class ShutdownUnderLoad(FaultTest):
    async def test_sigterm_while_200_clients_send(self):
        server = self.start_server()
        online_names, offline_names = self.users("on", 200), self.users("off", 100)
        await self.register(server, online_names + offline_names)
        online = await self.login(server, online_names)
        ledger = Ledger("SIGTERM under load")
        ledger.live = online

        signalled = asyncio.Event()

        async def chat(i, c):
            # Batches of messages to online and to offline users, each followed by a ping whose
            # answer acknowledges the batch, until the server closes the stream; back to back
            # once SIGTERM is sent, so that messages meet sessions that are closing.
            await asyncio.sleep(random.uniform(0, PAUSE))
            for batch in range(400):  # the limit only guards against a server that never stops
                try:
                    for k in range(BATCH):
                        seq = 2 * (BATCH * batch + k)
                        j = (i + 1 + batch + k) % len(online)
                        c.send_message(online_names[j], message_id(i, seq, "on", j))
                        j = (i + batch + k) % len(offline_names)
                        c.send_message(offline_names[j], message_id(i, seq + 1, "off", j))
                except StreamClosed:
                    return
                if not await c.ping():
                    return
                if not signalled.is_set():
                    await asyncio.sleep(PAUSE)

        senders = asyncio.gather(*(chat(i, c) for i, c in enumerate(online)))
        await asyncio.sleep(2)  # chat for a while; then a burst fills the storage queues
        for i, c in enumerate(online):
            for k in range(BURST):
                j = (i + k) % len(offline_names)
                c.send_message(offline_names[j], message_id(i, 5000 + k, "off", j))
        burst_pings = [asyncio.create_task(c.ping()) for c in online]
        await asyncio.sleep(0.05)  # the pings are written; SIGTERM meets the burst in the queues
        signalled.set()
        code, seconds = await asyncio.to_thread(server.terminate, GRACE + MARGIN)
        try:
            await asyncio.wait_for(senders, 10)
        except asyncio.TimeoutError:
            pass
        await asyncio.gather(*burst_pings)
        still_open = sum(1 for c in online if not c.closed.is_set())
        for c in online:
            c.drop()
        log = server.log()

        # The offline users, and the online ones whose last messages may have been stored,
        # collect on a restarted ofsd.
        sent = [m for c in online for m in c.sent]
        must = [m for c in online for m in c.sent[:c.acked]]
        again = self.restart(server)
        ledger.later = await self.login(again, online_names + offline_names, resource="after")
        missing = await ledger.wait_accounted(must, timeout=20)
        text, missing = ledger.report(sent, must)
        print(f"\n{text}; ofsd exited with {code} after {seconds:.2f} s (grace {GRACE} s); "
              f"streams the server left open: {still_open}")
        await self.close_all(ledger.later)
        self.assertEqual(code, 0, f"ofsd did not exit cleanly within {GRACE + MARGIN} s:\n{log_excerpt(log)}")
        self.assertLessEqual(seconds, GRACE + MARGIN)
        self.assert_clean_log(server)
        self.assert_none_missing(missing, log)
        self.assertEqual(again.stop(remove=False), 0)


class DroppedDuringOfflineDelivery(FaultTest):
    async def test_abrupt_disconnect_keeps_undelivered_offline_messages(self):
        server = self.start_server()
        sender_name, owner_name = self.users("s", 1) + self.users("o", 1)
        await self.register(server, [sender_name, owner_name])
        sender, = await self.login(server, [sender_name])
        padding = " " + "x" * 8000  # 500 x 8 KB: far more than the socket buffers hold
        for seq in range(500):
            mid = message_id(0, seq, "off", 0)
            sender.send_message(owner_name, mid, mid + padding)
        self.assertTrue(await sender.ping())
        self.assertEqual(sender.bounced, {}, "the messages were not stored")

        # The owner logs in with a tiny receive buffer, reads the first message and resets.
        first = LightClient(server.ports["c2s"], owner_name, resource="crash", rcvbuf=4096)
        self.addCleanup(first.drop)
        await first.login()
        await asyncio.wait_for(first.message_arrived.wait(), 10)
        first.abort()

        ledger = Ledger("reset during offline delivery")
        ledger.live = [first]  # the sender's bounces do not count: these were stored
        ledger.later = await self.login(server, [owner_name], resource="again")
        sent = sender.sent
        missing = await ledger.wait_accounted(sent, timeout=15)
        text, missing = ledger.report(sent, sent)
        print(f"\n{text}; read before the reset: {len(first.received)}")
        await self.close_all([sender] + ledger.later)
        self.assert_none_missing(missing, server.log())
        self.assertEqual(server.stop(remove=False), 0)


if __name__ == "__main__":
    unittest.main()
