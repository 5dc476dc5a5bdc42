"""Churn: slixmpp clients with stream management (resumable) chat at random while their
connections are cut at random (TCP resets) and ofsd itself is killed with SIGKILL and restarted
once in the middle. Afterwards every message the server acknowledged (XEP-0198 <a/>) is
accounted for: received by a session of its recipient, stored offline for the next login, in
the recipient's archive (XEP-0313), or bounced to its sender with an error. No session, resumed
or not, receives one message twice.

Random but replayable: the seed is printed, OFS_CHURN_SEED=<seed> runs the same choices again
(the timing, and so the interleaving, still differs). Message ids (also the bodies) say who sent
what to whom: "s03.0017>u11" is the 17th message of user 3, to user 11.
"""
import asyncio
import collections
import os
import random
import logging
import time
import unittest

from slixmpp.plugins.xep_0198.stream_management import MAX_SEQ

from harness import STORAGE, Client, Server, TIMEOUT
from test_faults import log_excerpt
from test_sm import SmClient

USERS = 14
PHASE = 12  # seconds of churn before the kill, and again after it
RESUME_TIMEOUT = 2  # [c2s] resume_timeout: some cut clients wait it out and log in afresh
# slixmpp empties its queue of unacknowledged stanzas when it sends <resume/> (see reconnect), and
# then logs an error on every <resumed/>: the test does that bookkeeping itself.
logging.getLogger("slixmpp.plugins.xep_0198.stream_management").setLevel(logging.CRITICAL)
CONFIG = f"[c2s]\nresume_timeout = {RESUME_TIMEOUT}\n[im]\noffline_quota = 100000\n"


class Run:
    """What every client saw, for the accounting."""

    def __init__(self):
        self.start = time.monotonic()
        self.sent = {}  # id -> seconds since start
        self.acked = {}  # id -> seconds since start
        self.bounced = {}  # id -> error condition
        self.stored = set()  # ids that came to a session from offline storage (delayed)
        self.received = collections.defaultdict(list)  # (user index, session) -> ids in order
        self.resent = 0  # unacknowledged when cut, not received by the server: sent again
        self.events = []  # (seconds, text): cuts, resumptions, fresh logins, the kill

    def now(self):
        return round(time.monotonic() - self.start, 2)

    def note(self, text):
        self.events.append((self.now(), text))


def recipient(mid):
    return int(mid.rsplit(">u", 1)[1])


class ChurnClient(SmClient):
    """One user's only client. A session is one binding of the resource: a resumption
    continues it, a fresh login after a failed resumption starts the next one."""

    def __init__(self, server, jid, index, run):
        super().__init__(server, jid, resource="r")
        sm = self["xep_0198"]
        sm.window = sm.window_counter = 1  # <r/> after each stanza: acks come at once
        self.index, self.run = index, run
        self.session = 0
        self.up = False  # bound with SM enabled: the sender loop may send
        self.seq = 0
        self.started = asyncio.Event()
        self.add_event_handler("session_bind", self._bound)
        self.add_event_handler("session_start", lambda _: self.started.set())
        self.add_event_handler("stanza_acked", self._acked)
        self.add_event_handler("message", self._message)
        self.resumed_h = 0
        self.add_event_handler("session_resumed", self._resumed_h)

    def _resumed_h(self, resumed):
        self.resumed_h = resumed["h"]

    def _bound(self, _):
        self.session += 1

    def _acked(self, stanza):
        if stanza.name == "message" and stanza["body"]:
            self.run.acked.setdefault(stanza["body"], self.run.now())

    def _message(self, m):
        if m["type"] == "error":
            self.run.bounced[m["id"] or m["body"]] = m["error"]["condition"]
        elif m["body"].startswith("s"):
            self.run.received[(self.index, self.session)].append(m["body"])
            if m["delay"]["stamp"]:
                self.run.stored.add(m["body"])

    def send_one(self, to_index, to_jid):
        self.seq += 1
        mid = f"s{self.index:02d}.{self.seq:04d}>u{to_index:02d}"
        m = self.make_message(mto=to_jid, mbody=mid, mtype="chat")
        m["id"] = mid
        m.send()
        self.run.sent[mid] = self.run.now()
        return mid

    async def start(self):
        await self.login()
        self.send_presence()
        self.up = True

    def drop(self):
        self.up = False
        self.cut()
        self.run.note(f"cut u{self.index:02d} (session {self.session})")

    async def reconnect(self):
        """Resumes the session, or logs in afresh when the server refuses (timed out, restarted)."""
        for e in (self.resumed, self.started, self.enabled):
            e.clear()
        before = self.session
        sm = self["xep_0198"]
        # slixmpp empties its queue of unacknowledged stanzas when it sends <resume/>, and so
        # neither counts what <resumed h=.../> acknowledges nor re-sends the rest: done below.
        pending, last_ack = list(sm.unacked_queue), sm.last_ack
        self.connect(("127.0.0.1", self.ofs.ports["c2s"]), force_starttls=True)
        waits = [asyncio.ensure_future(e.wait()) for e in (self.resumed, self.started)]
        await asyncio.wait(waits, timeout=TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        for w in waits:
            w.cancel()
        if self.resumed.is_set():
            done = (self.resumed_h - last_ack) % MAX_SEQ
            for _, stanza in pending[:done]:
                self._acked(stanza)
            for _, stanza in pending[done:]:
                self.send(stanza)  # what the server did not get, as XEP-0198 says
            self.run.resent += len(pending[done:])
            self.run.note(f"u{self.index:02d} resumed session {self.session}")
        elif self.started.is_set():
            async with asyncio.timeout(TIMEOUT):
                await self.enabled.wait()
            self.send_presence()
            self.run.note(f"u{self.index:02d} fresh session {self.session} (was {before})")
        else:
            raise AssertionError(f"u{self.index:02d}: neither resumed nor bound within {TIMEOUT}s")
        self.up = True

    async def come_back(self, pause):
        # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation.
        async with asyncio.timeout(TIMEOUT):
            await self.gone.wait()
        await asyncio.sleep(pause)
        await self.reconnect()


class ChurnTest(unittest.IsolatedAsyncioTestCase):
    """The scenario and its accounting; the subclasses choose the server's configuration."""
    config = CONFIG

    async def asyncSetUp(self):
        asyncio.get_running_loop().slow_callback_duration = 10  # many clients: noise otherwise
        self.seed = int(os.environ.get("OFS_CHURN_SEED") or random.randrange(1 << 32))
        print(f"\nchurn seed {self.seed} (replay: OFS_CHURN_SEED={self.seed})", flush=True)
        self.rng = random.Random(self.seed)
        self.server = Server(self.config)
        self.addCleanup(lambda: self.server.stop())
        self.jids = [self.server.add_user(f"churn{i:02d}") for i in range(USERS)]
        self.run_ = Run()

    async def close(self, c):
        if c.is_connected():
            c.disconnect()
            try:
                await asyncio.wait_for(c.wait_until("disconnected"), 3)
            except asyncio.TimeoutError:
                pass

    async def chatter(self, c, rng, stop):
        """Sends to random other users, to the bare JID or now and then to the full one."""
        while not stop.is_set():
            await asyncio.sleep(rng.uniform(0.05, 0.35))
            if not c.up:
                continue
            to = rng.choice([i for i in range(USERS) if i != c.index])
            c.send_one(to, self.jids[to] + ("/r" if rng.random() < 0.3 else ""))

    async def chaos(self, clients, stop, bounces):
        """Cuts a random connected client every few tenths of a second; most resume within a
        second, a quarter wait past resume_timeout first."""
        while not stop.is_set():
            await asyncio.sleep(self.rng.uniform(0.15, 0.5))
            up = [c for c in clients if c.up]
            if up:
                c = self.rng.choice(up)
                late = self.rng.random() < 0.25
                pause = RESUME_TIMEOUT + 1 if late else self.rng.uniform(0, 0.8)
                c.drop()
                bounces.append(asyncio.ensure_future(c.come_back(pause)))

    def start_chaos(self, clients):
        stop, bounces = asyncio.Event(), []
        return stop, bounces, asyncio.ensure_future(self.chaos(clients, stop, bounces))

    async def kill_and_restart(self, clients, bounces):
        """SIGKILL in the middle of it all: clients chatting, some cut and waiting to resume, some
        reconnecting. A new ofsd on the same data; no session can be resumed there."""
        # For certain, one session waits for resumption with an acknowledged message for it.
        away, sender = self.rng.sample([c for c in clients if c.up], 2)
        away.drop()
        async with asyncio.timeout(TIMEOUT):
            await away.gone.wait()
        mid = sender.send_one(away.index, self.jids[away.index])
        await sender["xep_0199"].ping(jid="localhost", timeout=TIMEOUT)
        sender["xep_0198"].request_ack()
        deadline = time.monotonic() + TIMEOUT
        while mid not in self.run_.acked and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self.run_.note("SIGKILL ofsd")
        old = self.server
        old.proc.kill()
        old.proc.wait()
        for b in bounces:
            b.cancel()
        for c in clients:
            c.up = False
        await asyncio.wait(bounces, timeout=TIMEOUT)
        deadline = time.monotonic() + TIMEOUT
        while any(c.is_connected() for c in clients):  # each has seen its connection go
            self.assertLess(time.monotonic(), deadline, "a client still connected to a killed ofsd")
            await asyncio.sleep(0.05)
        old.proc.stdout.close()
        old.log_file.close()
        self.server = await asyncio.to_thread(Server, self.config, storage_url=old.storage_url,
                                              directory=old.dir)
        self.run_.note("ofsd restarted")
        for c in clients:
            c.ofs = self.server
        await asyncio.wait_for(asyncio.gather(*(c.reconnect() for c in clients)), 3 * TIMEOUT)

    async def settle_acks(self, clients):
        """Every client has its last messages acknowledged (or is seen never to get an ack)."""
        async def one(c):
            # slixmpp writes <r/> ahead of queued stanzas: have the messages out first.
            await c["xep_0199"].ping(jid="localhost", timeout=TIMEOUT)
            c["xep_0198"].request_ack()
            deadline = time.monotonic() + TIMEOUT
            while c["xep_0198"].unacked_queue and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        await asyncio.gather(*(one(c) for c in clients))
        return sum(len(c["xep_0198"].unacked_queue) for c in clients)

    async def collect(self):
        """Each user logs in once more (another resource, with presence): offline messages come;
        then their archive. Returns (ids received, {user index: archived ids} or None)."""
        final = []
        for i, jid in enumerate(self.jids):
            c = Client(self.server, jid, resource="final")
            c.register_plugin("xep_0313")
            self.addAsyncCleanup(self.close, c)
            final.append(c)
        await asyncio.gather(*(c.login() for c in final))
        for c in final:
            c.send_presence()
        got = collections.defaultdict(list)  # user index -> ids
        quiet_since, deadline = time.monotonic(), time.monotonic() + 3 * TIMEOUT
        while time.monotonic() - quiet_since < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            for i, c in enumerate(final):
                q = c.queues["message"]
                while not q.empty():
                    m = q.get_nowait()
                    if m["type"] == "error":
                        self.run_.bounced[m["id"] or m["body"]] = m["error"]["condition"]
                    elif m["body"].startswith("s"):
                        got[i].append(m["body"])
                        quiet_since = time.monotonic()
        info = await final[0]["xep_0030"].get_info(jid=self.jids[0], timeout=TIMEOUT)
        if "urn:xmpp:mam:2" not in info["disco_info"]["features"]:
            return got, None

        async def archive(c):
            return [r["mam_result"]["forwarded"]["stanza"]["body"]
                    async for r in c["xep_0313"].iterate(rsm={"max": 250})]
        archived = await asyncio.wait_for(asyncio.gather(*(archive(c) for c in final)), 3 * TIMEOUT)
        return got, dict(enumerate(archived))

    async def churn_and_account(self):
        run = self.run_
        clients = [ChurnClient(self.server, jid, i, run) for i, jid in enumerate(self.jids)]
        for c in clients:
            self.addAsyncCleanup(self.close, c)
        await asyncio.wait_for(asyncio.gather(*(c.start() for c in clients)), 3 * TIMEOUT)
        run.note("all logged in")

        quiet = asyncio.Event()
        chatter = [asyncio.ensure_future(self.chatter(c, random.Random(f"{self.seed}/{c.index}"), quiet))
                   for c in clients]
        stop, bounces, chaos = self.start_chaos(clients)
        await asyncio.sleep(PHASE)
        stop.set()
        await asyncio.wait_for(chaos, TIMEOUT)
        await self.kill_and_restart(clients, bounces)
        stop, bounces, chaos = self.start_chaos(clients)
        await asyncio.sleep(PHASE)
        stop.set()
        await asyncio.wait_for(chaos, TIMEOUT)
        quiet.set()
        await asyncio.wait_for(asyncio.gather(*chatter), TIMEOUT)
        await asyncio.wait_for(asyncio.gather(*bounces), 2 * TIMEOUT)  # every client is back
        never_acked = await self.settle_acks(clients)
        run.note("churn over")
        await asyncio.gather(*(self.close(c) for c in clients))  # clean close: the rest goes offline
        later, archived = await self.collect()
        run.note("collected")

        live = {(recipient_index, mid) for (recipient_index, _), ids in run.received.items() for mid in ids}
        offline = {(i, mid) for i, ids in later.items() for mid in ids}
        archive = {(i, mid) for i, ids in (archived or {}).items() for mid in ids}
        counts = collections.Counter()
        missing, archive_only = [], []
        for mid in sorted(run.acked):
            key = (recipient(mid), mid)
            if key in live:
                counts["live"] += 1
            elif key in offline:
                counts["offline"] += 1
            elif key in archive:
                counts["archive"] += 1
                archive_only.append(mid)
            elif mid in run.bounced:
                counts["bounced"] += 1
            else:
                missing.append(mid)
        sessions = list(run.received.items()) + [((i, "final"), ids) for i, ids in later.items()]
        duplicates = {f"u{i:02d} session {s}": [m for m, n in collections.Counter(ids).items() if n > 1]
                      for (i, s), ids in sessions}
        duplicates = {k: v for k, v in duplicates.items() if v}
        resumed = sum(1 for _, e in run.events if "resumed" in e)
        fresh = sum(1 for _, e in run.events if "fresh" in e)
        print(f"churn ({STORAGE}): "
              f"sent {len(run.sent)}, acked {len(run.acked)}, never acked {never_acked}, "
              f"delivered live {counts['live']} ({len(run.stored)} of them from offline storage), "
              f"offline at the final login {counts['offline']}, "
              f"archive-only {counts['archive']}"
              f"{'' if archived is not None else ' (no archive on this server)'}, "
              f"bounced {counts['bounced']} {dict(collections.Counter(run.bounced.values()))}, "
              f"missing {len(missing)}, duplicates {sum(len(v) for v in duplicates.values())}; "
              f"cuts {sum(1 for _, e in run.events if e.startswith('cut'))}, resumed {resumed}, "
              f"fresh logins {fresh}, re-sent on resumption {run.resent}; seed {self.seed}", flush=True)

        kill = next(t for t, e in run.events if e == "SIGKILL ofsd")

        def when(ids):
            return ", ".join(f"{m} (sent {run.sent.get(m)}s, acked {run.acked[m]}s)" for m in ids[:40])
        if archive_only:  # accounted for, but no session of the recipient got them: worth a look
            print(f"in the archive only (kill at {kill}s): {when(archive_only)}", flush=True)
            for u in sorted({recipient(m) for m in archive_only}):
                since = min(run.sent[m] for m in archive_only if recipient(m) == u) - 1
                print(f"  u{u:02d} since {since:.2f}s: " + "; ".join(
                    f"{t:.2f} {e}" for t, e in run.events if t >= since and (f"u{u:02d}" in e or "ofsd" in e)
                    and t <= kill + 3), flush=True)
        problems = []
        if missing:
            problems.append(f"{len(missing)} acknowledged messages are nowhere (kill at {kill}s): "
                            + when(missing))
        if duplicates:
            problems.append(f"delivered twice to one session: {duplicates}")
        if problems:
            since = min([run.sent.get(m, 0) for m in missing] or [0]) - 1
            events = "\n".join(f"  {t:6.2f} {e}" for t, e in run.events if t >= since)
            self.fail("\n".join(problems) + f"\nseed {self.seed}\nlast events:\n{events}\n"
                      f"ofsd log (end):\n{log_excerpt(self.server.log())}")
        self.assertGreater(counts["live"], 0)
        self.assertGreater(fresh, 0)
        self.assertGreater(resumed, 0)


class Churn(ChurnTest):
    """With the archive on (the default). Known to fail now and then, mostly on PostgreSQL: the
    message acknowledged just before the SIGKILL to a session waiting for resumption is in neither
    the offline store nor the archive, whose write runs on its own after the hook has passed the
    message on (message_archive::post_write), so the ack can precede it."""

    async def test_every_acknowledged_message_is_accounted_for_after_churn_and_kill_9(self):
        await self.churn_and_account()


class ChurnWithoutArchive(ChurnTest):
    """The same with the archive off: then a message acknowledged while its recipient's session
    waits for resumption lives only in that session's memory, and SIGKILL loses it. Known to fail
    until the server stores such a message durably before it acknowledges it."""
    config = CONFIG + "[archive]\nenabled = false\n"

    @unittest.expectedFailure
    async def test_every_acknowledged_message_is_accounted_for_after_churn_and_kill_9(self):
        await self.churn_and_account()


if __name__ == "__main__":
    unittest.main()
