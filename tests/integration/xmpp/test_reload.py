"""Reload (SIGHUP and `ofsctl reload`): a new log level and a new certificate take effect,
limits reach the connections made afterwards, clients connected before stay connected, and
a bad file is refused while the server keeps serving on what it had."""
import asyncio
import json
import os
import re
import signal
import ssl
import time
import unittest

from harness import Client, Server
from test_certs import make_certificate, presented_certificate

DEBUG_LINE = re.compile(r"^\S+ debug ", re.M)


class ReloadTest(unittest.IsolatedAsyncioTestCase):
    def start(self, extra):
        server = Server(extra)
        self.addCleanup(lambda: self.assertEqual(server.stop(), 0))
        return server

    def edit_config(self, server, *replacements, append=""):
        with open(server.config) as f:
            text = f.read()
        for old, new in replacements:
            self.assertIn(old, text)
            text = text.replace(old, new)
        with open(server.config, "w") as f:
            f.write(text + append)

    def connections(self, server):
        r = server.ctl("--json", "sessions")
        self.assertEqual(r.returncode, 0, r.stderr)
        return {s["jid"]: s["connection"] for s in json.loads(r.stdout)["sessions"]}

    def wait_for_log(self, server, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, server.log(), re.M)
            if found:
                return found
            time.sleep(0.05)
        self.fail(f"no log line matching {pattern!r}:\n{server.log()}")

    async def chat(self, sender, receiver, body):
        sender.send_message(mto=receiver.boundjid.full, mbody=body, mtype="chat")
        m = await receiver.next("message", lambda m: m["body"] == body)
        self.assertEqual(m["from"].bare, sender.boundjid.bare)

    async def online(self, server, *names, **kw):
        clients = []
        for n in names:
            jid = server.add_user(n + os.urandom(3).hex())
            c = Client(server, jid, **kw)
            clients.append(await c.login())
            self.addCleanup(c.disconnect)
        return clients

    async def test_a_new_log_level_and_certificate_apply_and_connected_clients_stay(self):
        server = self.start('[log]\nlevel = "info"\n')
        alice, bob = await self.online(server, "alice", "bob")
        before = self.connections(server)
        self.assertIsNone(DEBUG_LINE.search(server.log()))

        certs = os.path.join(server.dir, "new-cert")
        make_certificate(certs, "localhost", days=5)  # within [tls] expiry_warning_days (14)
        cert, key = os.path.join(certs, "fullchain.pem"), os.path.join(certs, "privkey.pem")
        self.edit_config(server, ('level = "info"', 'level = "debug"'),
                         append=f'[tls]\ncertificate = "{cert}"\nprivate_key = "{key}"\n')
        r = server.ctl("--json", "reload")
        self.assertEqual(r.returncode, 0, r.stderr)
        report = json.loads(r.stdout)
        self.assertTrue(report["ok"])
        self.assertIn("log.level", report["applied"])
        self.assertTrue(any(k.startswith("tls.certificate") for k in report["applied"]), report)
        self.assertEqual(report["restart"], [])
        self.assertEqual(report["certificates"], [cert])
        self.assertEqual(len(report["warnings"]), 1)
        self.assertIn(f"TLS certificate {cert} expires on", report["warnings"][0])
        self.wait_for_log(server, r"warn.* TLS certificate " + re.escape(cert) + " expires on")

        # New handshakes see the new certificate, on every TLS port.
        with open(cert) as f:
            new_der = ssl.PEM_cert_to_DER_cert(f.read())
        for port in ("c2s_tls", "https"):
            self.assertEqual(presented_certificate(server.ports[port], "localhost"), new_der, port)
        # A new client (STARTTLS) trusts the new certificate alone, and its lines are debug.
        carol = Client(server, server.add_user("carol" + os.urandom(3).hex()))
        carol.ca_certs = cert
        await carol.login()
        self.addCleanup(carol.disconnect)
        self.wait_for_log(server, r"^\S+ debug c2s-[0-9a-f]+: connection from 127\.0\.0\.1")

        # Clients logged in before the reload are on the same connections and still chat.
        await self.chat(alice, bob, "after the reload")
        await self.chat(bob, carol, "to the newcomer")
        after = self.connections(server)
        for jid in (alice.boundjid.full, bob.boundjid.full):
            self.assertEqual(after[jid], before[jid])

    async def test_a_bad_file_is_refused_and_the_server_keeps_serving(self):
        server = self.start('[log]\nlevel = "info"\n')
        alice, bob = await self.online(server, "alice", "bob")
        self.edit_config(server, ('level = "info"', 'level = "loud"'))
        # ofsctl reads the same file first: it says what is wrong and leaves the server alone.
        r = server.ctl("reload")
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{server.config}:", r.stderr)
        self.assertIn("'log.level' must be one of", r.stderr)
        self.assertIn("not reloaded", r.stderr)
        # SIGHUP: the server refuses the file and says why.
        os.kill(server.proc.pid, signal.SIGHUP)
        self.wait_for_log(server, r"error reload refused, still running on the previous configuration: "
                                  + re.escape(server.config) + r":\d+: 'log.level' must be one of")

        # A certificate that cannot be read is refused whole too: the log level stays.
        self.edit_config(server, ('level = "loud"', 'level = "debug"'),
                         append='[tls]\ncertificate = "/nonexistent/cert.pem"\nprivate_key = "/nonexistent/key.pem"\n')
        r = server.ctl("reload")
        self.assertEqual(r.returncode, 1)
        self.assertIn("reload refused", r.stderr)
        self.assertIn("cannot read TLS certificate /nonexistent/cert.pem", r.stderr)
        r = server.ctl("--json", "reload")
        self.assertEqual(r.returncode, 1)
        self.assertFalse(json.loads(r.stdout)["ok"])

        await self.chat(alice, bob, "still here")
        carol, = await self.online(server, "carol")
        await self.chat(carol, alice, "and a new login works")
        self.assertIsNone(DEBUG_LINE.search(server.log()), "the refused level was applied")

    async def test_sighup_applies_limits_to_new_connections_and_reports_what_needs_a_restart(self):
        server = self.start('[log]\nlevel = "info"\n[limits]\nmax_stanza_bytes = 65536\n')
        alice, bob = await self.online(server, "alice", "bob")
        self.edit_config(server, ("max_stanza_bytes = 65536", "max_stanza_bytes = 4096"),
                         ("threads = 2", "threads = 3"))
        os.kill(server.proc.pid, signal.SIGHUP)
        line = self.wait_for_log(server, r"info +reloaded .*$").group(0)
        self.assertIn("applied: limits.max_stanza_bytes (new XMPP connections over TCP", line)
        self.assertIn("needs a restart: server.threads", line)

        big = "x" * 6000
        await self.chat(alice, bob, big)  # the connection keeps the limit it started with
        carol, = await self.online(server, "carol")
        disconnected = asyncio.ensure_future(carol.wait_until("disconnected", 10))
        carol.send_message(mto=bob.boundjid.full, mbody=big, mtype="chat")
        await asyncio.wait_for(disconnected, 10)  # over the new limit: a stream error
        await self.chat(alice, bob, "after the big one")
        self.assertFalse(any(m["body"] == big for m in bob.received["message"]))


if __name__ == "__main__":
    unittest.main()
