"""converse.js in headless Chromium against ofsd: a page on another origin discovers the
endpoint through host-meta (XEP-0156, a cross-origin fetch), logs a user in through converse's
login form and chats with a slixmpp user; a page whose origin is not allowed cannot log in and
the user sees an error. Screenshots of each step go to <build>/test-artifacts/converse/.

The transport is a class parameter: a BOSH run is one more subclass with transport = "bosh"."""
import asyncio
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "xmpp"))
from harness import ServerTest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ARTIFACTS = os.environ.get("OFS_ARTIFACTS") or os.path.join(tempfile.gettempdir(), "ofs-test-artifacts")
CHROMIUM = "/usr/bin/chromium"


def setUpModule():
    if not os.access(CHROMIUM, os.X_OK):
        raise unittest.SkipTest("Debian's chromium is not installed (scripts/install-deps.sh --with-tests)")
    if not os.path.isdir(os.path.join(HERE, "node_modules", "converse.js")):
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True, text=True,
                           timeout=600)
        if r.returncode != 0:
            raise RuntimeError("npm ci failed:\n" + r.stdout + r.stderr)


class PageServer:
    """A web server of its own on a free loopback port: the test page and converse's dist/."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ofs-converse-page-")
        shutil.copy(os.path.join(HERE, "converse", "index.html"), self.dir)
        os.symlink(os.path.join(HERE, "node_modules", "converse.js", "dist"), os.path.join(self.dir, "dist"))

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

        handler = functools.partial(Quiet, directory=self.dir)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Browser:
    """converse_browser.js as a child: its lines are read with a deadline."""

    def __init__(self, test, proc, name):
        self.test, self.proc, self.name = test, proc, name
        self.screenshots = []

    async def line(self, timeout=40):
        while True:
            try:
                raw = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
            except asyncio.TimeoutError:
                raw = b"error no answer from the browser within %d s" % timeout
            text = raw.decode().strip()
            if text.startswith("screenshot "):
                self.screenshots.append(text.split(" ", 1)[1])
                print(f"{self.name}: {text}", file=sys.stderr)
                continue
            if not text or text.startswith("error"):
                if self.proc.returncode is None:
                    self.proc.kill()
                err = (await self.proc.stderr.read()).decode()
                self.test.fail(f"{self.name}: {text or 'exited'}\nbrowser log (tail):\n{err[-3000:]}\n"
                               f"server log (tail):\n{self.test.server.log()[-2000:]}")
            return text

    async def finish(self):
        if self.proc.stdin:
            self.proc.stdin.write(b"done\n")
            await self.proc.stdin.drain()
        return await asyncio.wait_for(self.proc.wait(), 30)


class ConverseOverWebSocket(ServerTest):
    """The same scenarios over BOSH are the subclass below."""
    transport = "websocket"  # the page picks this kind of link from host-meta
    endpoint = "/xmpp-websocket"
    plain_scheme = "ws"
    refusal_logged = "Origin '{origin}' is not allowed"

    @classmethod
    def setUpClass(cls):
        cls.allowed = PageServer()
        cls.stranger = PageServer()  # another origin, not in the allow-list
        cls.extra_config = f'[websocket]\nallowed_origins = ["{cls.allowed.origin}"]\n'
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.allowed.stop()
        cls.stranger.stop()

    def service_url(self):
        """What the page, on plain HTTP from this machine, should take from host-meta."""
        return f"{self.plain_scheme}://127.0.0.1:{self.server.ports['http']}{self.endpoint}"

    def page_url(self, pages):
        hostmeta = f"http://127.0.0.1:{self.server.ports['http']}/.well-known/host-meta.json"
        return f"{pages.origin}/index.html?transport={self.transport}&hostmeta={hostmeta}"

    async def browser(self, scenario, pages, **args):
        artifacts = os.path.join(ARTIFACTS, "converse", f"{self.transport}-{scenario}")
        shutil.rmtree(artifacts, ignore_errors=True)
        spec = dict(args, scenario=scenario, page=self.page_url(pages), artifacts=artifacts)
        proc = await asyncio.create_subprocess_exec(
            "node", os.path.join(HERE, "converse_browser.js"), json.dumps(spec), cwd=HERE,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        self.addAsyncCleanup(self.reap, proc)
        return Browser(self, proc, f"converse over {self.transport} ({scenario})")

    @staticmethod
    async def reap(proc):
        if proc.returncode is None:
            proc.kill()
            await proc.wait()

    async def test_a_user_logs_in_with_converse_and_chats_with_a_tcp_user(self):
        web, tcp = self.users("web", "tcp")
        peer = await self.client(tcp)
        peer.send_presence()
        b = await self.browser("chat", self.allowed, jid=web, password="secret", peer=tcp,
                               expect="hello from slixmpp", reply="hello back from converse")
        discovered = await b.line()
        self.assertEqual(discovered, f"discovered {self.service_url()}")
        online = await b.line()
        self.assertTrue(online.startswith(f"online {web}/"), online)
        full = online.split()[1]
        peer.send_message(mto=web, mbody="hello from slixmpp", mtype="chat")
        self.assertEqual(await b.line(), "received hello from slixmpp")
        self.assertEqual(await b.line(), "sent hello back from converse")
        reply = await peer.next("message", lambda m: m["body"] == "hello back from converse")
        self.assertEqual(reply["from"], full)
        self.assertEqual(await b.finish(), 0)
        self.assertEqual([os.path.basename(s) for s in b.screenshots],
                         ["01-login-form.png", "02-logged-in.png", "03-message-notified.png", "04-message-received.png",
                          "05-reply-sent.png"])
        for s in b.screenshots:
            self.assertGreater(os.path.getsize(s), 1000, s)

    async def test_a_page_from_an_origin_not_allowed_cannot_log_in(self):
        (web,) = self.users("web")
        b = await self.browser("refused", self.stranger, jid=web, password="secret")
        self.assertEqual(await b.line(), f"discovered {self.service_url()}")  # CORS: any origin reads it
        shown = await b.line()
        self.assertTrue(shown.startswith("refusal-shown "), shown)
        self.assertGreater(len(shown), len("refusal-shown "), "the error has no text")
        self.assertEqual(await asyncio.wait_for(b.proc.wait(), 30), 0)
        self.assertEqual([os.path.basename(s) for s in b.screenshots], ["01-login-form.png", "02-login-refused.png"])
        self.assertIn(self.refusal_logged.format(origin=self.stranger.origin), self.server.log())
        self.assertNotIn(f"authenticated as {web}", self.server.log())


class ConverseOverBosh(ConverseOverWebSocket):
    """BOSH takes [websocket] allowed_origins when it has no list of its own: the same page
    origin, now with CORS on every request."""
    transport = "bosh"
    endpoint = "/http-bind"
    plain_scheme = "http"
    # COMPAT: converse 14 keeps reconnecting when its BOSH requests are refused by CORS (to
    # the page they look like network errors), with a spinner and no message, for minutes:
    # the refusal itself is checked in test_bosh_hostile.py, not through converse.
    test_a_page_from_an_origin_not_allowed_cannot_log_in = None


if __name__ == "__main__":
    unittest.main()
