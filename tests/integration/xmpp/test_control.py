"""Live administration: ofsctl talking to the running ofsd over its control socket, with
slixmpp clients online (sessions, kick, announce, stats), and delete-offline on the store."""
import asyncio
import json
import os
import stat
import subprocess

from harness import OFSCTL, ServerTest


class ControlTest(ServerTest):
    def ctl_ok(self, *args):
        r = self.server.ctl(*args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def sessions(self):
        return {s["jid"]: s for s in json.loads(self.ctl_ok("--json", "sessions"))["sessions"]}

    async def test_sessions_lists_who_is_online_with_address_and_transport(self):
        alice, bob = self.users("alice", "bob")
        a = await self.client(alice, resource="laptop")
        b = await self.client(bob, resource="phone")
        a.send_presence()
        listed = self.sessions()
        self.assertIn(f"{alice}/laptop", listed)
        self.assertIn(f"{bob}/phone", listed)
        s = listed[f"{alice}/laptop"]
        self.assertEqual(s["address"], "127.0.0.1")
        self.assertEqual(s["transport"], "tcp")
        text = self.ctl_ok("sessions")
        self.assertIn(f"{bob}/phone", text)
        await b.logout()
        await asyncio.sleep(0.2)
        self.assertNotIn(f"{bob}/phone", self.sessions())

    async def test_kick_ends_exactly_the_named_session_with_a_stream_error(self):
        alice, = self.users("alice")
        laptop = await self.client(alice, resource="laptop")
        phone = await self.client(alice, resource="phone")
        errors = []
        laptop.add_event_handler("stream_error", lambda e: errors.append(e["condition"]))
        out = self.ctl_ok("kick", f"{alice}/laptop", "--reason", "testing")
        self.assertIn("kicked 1 session", out)
        await asyncio.wait_for(laptop.wait_until("disconnected"), 10)
        self.assertEqual(errors, ["policy-violation"])
        # The other session of the same user is untouched.
        await phone.plugin["xep_0199"].ping(jid="localhost", timeout=5)
        self.assertNotIn(f"{alice}/laptop", self.sessions())
        self.assertIn(f"{alice}/phone", self.sessions())
        # Nobody there: says so, non-zero.
        r = self.server.ctl("kick", f"{alice}/gone")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("kicked 0 sessions", r.stdout)

    async def test_announce_reaches_every_online_session(self):
        alice, bob = self.users("alice", "bob")
        a = await self.client(alice)
        b = await self.client(bob)
        out = json.loads(self.ctl_ok("--json", "announce", "Maintenance at 22:00"))
        self.assertGreaterEqual(out["sent"], 2)
        for c in (a, b):
            m = await c.next("message", lambda m: m["body"] == "Maintenance at 22:00")
            self.assertEqual(m["from"].full, "localhost")

    async def test_stats_counts_sessions_stanzas_and_store_latency(self):
        alice, bob = self.users("alice", "bob")
        a = await self.client(alice)
        b = await self.client(bob)

        async def chatter():
            for i in range(200):
                a.send_message(mto=b.boundjid.full, mbody=f"m{i}", mtype="chat")
                await asyncio.sleep(0.005)
        sending = asyncio.create_task(chatter())
        await asyncio.sleep(0.1)
        proc = await asyncio.create_subprocess_exec(OFSCTL, "--config", self.server.config, "--json", "stats",
                                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 20)
        await sending
        self.assertEqual(proc.returncode, 0, err)
        stats = json.loads(out)
        self.assertGreaterEqual(stats["sessions"], 2)
        self.assertGreaterEqual(stats["sessions_by_transport"]["tcp"], 2)
        self.assertGreater(stats["stanzas_per_second"], 0)
        self.assertGreaterEqual(stats["stanzas_routed"], stats["stanzas_per_second"])
        self.assertTrue(stats["store_ok"])
        self.assertGreater(stats["resident_memory_bytes"], 1024 * 1024)
        await b.next("message", lambda m: m["body"] == "m199")
        self.assertIn("stanzas per second", self.ctl_ok("stats"))

    async def test_delete_offline_removes_what_waits_for_a_user(self):
        alice, bob = self.users("alice", "bob")
        a = await self.client(alice)
        for i in range(3):
            a.send_message(mto=bob, mbody=f"stored {i}", mtype="chat")
        await a.plugin["xep_0199"].ping(jid="localhost", timeout=5)  # after the messages: handled
        await asyncio.sleep(0.3)
        self.assertIn("deleted 3 offline messages", self.ctl_ok("delete-offline", bob))
        b = await self.client(bob)
        b.send_presence()
        with self.assertRaises(AssertionError):
            await b.next("message", lambda m: m["body"].startswith("stored"), timeout=1)

    def test_a_user_other_than_root_and_the_server_s_is_refused(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to act as another user")
        # Open the files wide, so that only the server's own check can refuse.
        socket_path = os.path.join(self.server.dir, "var", "ofsd.sock")
        self.assertTrue(stat.S_ISSOCK(os.stat(socket_path).st_mode))
        for d in (self.server.dir, os.path.join(self.server.dir, "var")):
            os.chmod(d, 0o755)
        os.chmod(socket_path, 0o666)
        os.chmod(self.server.config, 0o644)
        r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                            OFSCTL, "--config", self.server.config, "sessions"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("permission denied", r.stderr)

    def test_without_a_running_server_ofsctl_says_so(self):
        r = subprocess.run([OFSCTL, "--config", "/dev/null", "sessions"], capture_output=True, text=True,
                           timeout=30, cwd="/tmp")
        self.assertEqual(r.returncode, 1)
        self.assertIn("is ofsd running", r.stderr)
