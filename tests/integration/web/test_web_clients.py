"""Web XMPP libraries (@xmpp/client, stanza, strophe.js; from npm) log in over WebSocket
(RFC 7395) or BOSH (XEP-0206) and chat both ways with a slixmpp user on TCP. Each library runs
in node (chat.js) as a child."""
import asyncio
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "xmpp"))
from harness import ServerTest, TIMEOUT  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def setUpModule():
    """npm ci from the committed lock file, when a dependency is missing from node_modules."""
    with open(os.path.join(HERE, "package.json")) as f:
        wanted = json.load(f)["dependencies"]
    if not all(os.path.isdir(os.path.join(HERE, "node_modules", name)) for name in wanted):
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True, text=True,
                           timeout=600)
        if r.returncode != 0:
            raise RuntimeError("npm ci failed:\n" + r.stdout + r.stderr)


class WebClients(ServerTest):
    async def chat(self, library, scheme):
        web, tcp = self.users("web", "tcp")
        peer = await self.client(tcp)
        peer.send_presence()
        port = self.server.ports["http" if scheme in ("ws", "http") else "https"]
        path = "/http-bind" if scheme.startswith("http") else "/xmpp-websocket"
        url = f"{scheme}://localhost:{port}{path}"
        env = dict(os.environ, NODE_EXTRA_CA_CERTS=self.server.cert)
        proc = await asyncio.create_subprocess_exec(
            "node", os.path.join(HERE, "chat.js"), library, url, web, "secret", tcp, cwd=HERE, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        self.addAsyncCleanup(self.reap, proc)

        async def line():
            text = (await asyncio.wait_for(proc.stdout.readline(), 25)).decode().strip()
            if not text or text.startswith("error"):
                err = (await proc.stderr.read()).decode()
                self.fail(f"{library} over {scheme}: {text or 'exited'}\n{err}\nserver log:\n{self.server.log()[-2000:]}")
            return text

        online = await line()
        self.assertTrue(online.startswith(f"online {web}/"), online)
        full = online.split()[1]
        hello = await peer.next("message", lambda m: m["body"].startswith("hello from"))
        self.assertEqual(hello["from"], full)
        self.assertEqual(hello["body"], "hello from " + library)
        peer.send_message(mto=full, mbody=f"hello back over {scheme}", mtype="chat")
        self.assertEqual(await line(), f"received hello back over {scheme}")
        self.assertEqual(await asyncio.wait_for(proc.wait(), TIMEOUT), 0)

    @staticmethod
    async def reap(proc):
        if proc.returncode is None:
            proc.kill()
            await proc.wait()

    async def test_xmpp_js_over_ws(self):
        await self.chat("xmpp.js", "ws")

    async def test_xmpp_js_over_wss(self):
        await self.chat("xmpp.js", "wss")

    async def test_stanza_over_ws(self):
        await self.chat("stanza", "ws")

    async def test_stanza_over_wss(self):
        await self.chat("stanza", "wss")

    async def test_stanza_over_bosh(self):
        await self.chat("stanza", "http")

    async def test_stanza_over_bosh_https(self):
        await self.chat("stanza", "https")

    async def test_strophe_over_bosh(self):
        await self.chat("strophe", "http")

    async def test_strophe_over_bosh_https(self):
        await self.chat("strophe", "https")


if __name__ == "__main__":
    unittest.main()
