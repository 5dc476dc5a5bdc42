"""Logs: every line about a connection carries its id (the one `ofsctl sessions` shows), in
text and JSON; no password and no message body at debug level."""
import asyncio
import json
import re
import secrets
import time
import unittest

from harness import Client, Server


class LogTest(unittest.IsolatedAsyncioTestCase):
    async def login_and_chat(self, log_config):
        server = Server(log_config)
        self.addCleanup(lambda: self.assertEqual(server.stop(), 0))
        password = "pw-" + secrets.token_hex(8)
        alice = server.add_user("alice" + secrets.token_hex(3), password)
        bob = server.add_user("bob" + secrets.token_hex(3), password)
        # PLAIN (inside TLS) hands the password itself to the server.
        a = await Client(server, alice, password, mech="PLAIN").login()
        b = await Client(server, bob, password).login()
        body = "body-" + secrets.token_hex(8)
        a.send_message(mto=b.boundjid.full, mbody=body, mtype="chat")
        await b.next("message", lambda m: m["body"] == body)
        r = server.ctl("--json", "sessions")
        self.assertEqual(r.returncode, 0, r.stderr)
        connection = {s["jid"]: s["connection"] for s in json.loads(r.stdout)["sessions"]}[a.boundjid.full]
        self.assertRegex(connection, r"^c2s-[0-9a-f]+$")
        await a.logout()
        await b.logout()
        deadline = time.monotonic() + 5  # the server's side of the close may come just after
        while f"{connection}: connection closed" not in server.log() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        log = server.log()
        self.assertNotIn(password, log)
        self.assertNotIn(body, log)
        return log, connection, alice

    async def test_text_lines_of_one_session_carry_its_connection_id(self):
        log, connection, alice = await self.login_and_chat('[log]\nlevel = "debug"\n')
        mine = [l for l in log.splitlines() if re.search(f" {connection}[ :]", l)]
        self.assertTrue(any("connection from 127.0.0.1" in l for l in mine), log)
        self.assertTrue(any(f"authenticated as {alice}" in l and "PLAIN" in l for l in mine), log)
        self.assertTrue(any(re.search(f"bound {re.escape(alice)}/", l) for l in mine), log)
        self.assertTrue(any("connection closed" in l for l in mine), log)

    async def test_json_lines_parse_and_carry_the_connection_id(self):
        log, connection, alice = await self.login_and_chat('[log]\nlevel = "debug"\nformat = "json"\n')
        lines = [json.loads(l) for l in log.splitlines() if l.strip()]
        mine = [l["msg"] for l in lines if re.match(f"{connection}[ :]", l["msg"])]
        self.assertTrue(any(f"authenticated as {alice}" in m for m in mine), log)
        self.assertTrue(all(l["level"] in ("debug", "info", "warning", "error") for l in lines))


if __name__ == "__main__":
    unittest.main()
