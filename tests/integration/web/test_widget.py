"""The OFS chat widget (web/) in headless Chromium against ofsd: the demo page at / and a page
on another origin log a user in and chat with a slixmpp user (receipts, typing); a reload goes
on without the password (stream management resumed over WebSocket with the widget's login
token, the BOSH session taken over); a wrong password is shown as such; a visitor reaches the
support address, which learns the page it came from; hostile bodies, names and status texts
are shown as text and never run. Screenshots: <build>/test-artifacts/widget/<class>-<test>/.

The transport is a class attribute: the BOSH run is the subclass at the end."""
import asyncio
import http.server
import functools
import json
import os
import shutil
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "xmpp"))
from harness import ServerTest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ARTIFACTS = os.environ.get("OFS_ARTIFACTS") or os.path.join(tempfile.gettempdir(), "ofs-test-artifacts")
CHROMIUM = "/usr/bin/chromium"
VISITORS = "visitors.localhost"
HOSTILE_NAME = '<img src=x onerror="window.__pwned=\'name\'">\u202eevil'
HOSTILE_STATUS = '<script>window.__pwned="status"</script>\u2067away'
HOSTILE_BODIES = ['<script>window.__pwned="body"</script>', '<img src=x onerror="window.__pwned=\'img\'">',
                  "abc\u202edef\u2066ghi", "x" * 10000]


def setUpModule():
    if not os.access(CHROMIUM, os.X_OK):
        raise unittest.SkipTest("Debian's chromium is not installed (scripts/install-deps.sh --with-tests)")
    if not os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
        raise unittest.SkipTest("playwright-core is not installed: npm ci in tests/integration/web")


class OtherOrigin:
    """A page of another origin (a web server of its own on a free port) that embeds the
    widget from ofsd with one script tag."""

    def __init__(self, ofsd_http_port, attrs):
        self.dir = tempfile.mkdtemp(prefix="ofs-widget-page-")
        with open(os.path.join(self.dir, "index.html"), "w") as f:
            f.write(f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>A shop</title></head>
<body><h1>A shop on another origin</h1><div id="support" data-ofs-widget {attrs}></div>
<script src="http://127.0.0.1:{ofsd_http_port}/widget.js" defer></script></body></html>""")

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=self.dir))
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Browser:
    """widget_browser.js as a child process: one JSON command, one JSON answer, with a deadline."""

    def __init__(self, test, proc):
        self.test, self.proc = test, proc

    async def do(self, cmd, timeout=40, **args):
        self.proc.stdin.write((json.dumps(dict(args, cmd=cmd)) + "\n").encode())
        await self.proc.stdin.drain()
        try:
            raw = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        except asyncio.TimeoutError:
            raw = json.dumps({"ok": False, "error": f"{cmd}: no answer within {timeout} s"}).encode()
        answer = json.loads(raw or b'{"ok": false, "error": "the browser driver exited"}')
        if not answer.pop("ok"):
            err = (await self.proc.stderr.read()).decode() if self.proc.returncode is not None else ""
            self.test.fail(f"{answer}\n{err[-2000:]}\nserver log (tail):\n{self.test.server.log()[-3000:]}")
        return answer


class WidgetOverWebSocket(ServerTest):
    transport = "websocket"
    domains = ["localhost", VISITORS]
    extra_config = f'[anonymous]\ndomain = "{VISITORS}"\n[widget]\ntoken_lifetime = 600\n'

    async def browser(self):
        artifacts = os.path.join(ARTIFACTS, "widget", f"{self.transport}-{self._testMethodName}")
        shutil.rmtree(artifacts, ignore_errors=True)
        os.makedirs(artifacts)
        proc = await asyncio.create_subprocess_exec(
            "node", os.path.join(HERE, "widget_browser.js"), artifacts, cwd=HERE,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        self.addAsyncCleanup(self.reap, proc)
        return Browser(self, proc)

    @staticmethod
    async def reap(proc):
        if proc.returncode is None:
            proc.kill()
            await proc.wait()

    def demo(self, query=""):
        return f"http://127.0.0.1:{self.server.ports['http']}/?transport={self.transport}{query}"

    def password_logins(self, jid):
        return sum(f"authenticated as {jid} with {m}" in line for line in self.server.log().splitlines()
                   for m in ("SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"))

    async def peer(self, jid):
        c = await self.client(jid)
        c.register_plugin("xep_0184")  # answers the widget's receipt requests
        c.register_plugin("xep_0085")
        c.composing = asyncio.Event()  # slixmpp's "message" event is for messages with a body
        c.add_event_handler("chatstate_composing", lambda m: c.composing.set())
        c.send_presence()
        return c

    async def test_demo_page_logs_in_chats_and_survives_a_reload(self):
        web, tcp = self.users("web", "tcp")
        peer = await self.peer(tcp)
        b = await self.browser()
        await b.do("goto", url=self.demo())
        await b.do("screenshot", name="login-form")
        await b.do("login", jid=web, password="secret")
        online = await b.do("online")
        self.assertTrue(online["jid"].startswith(web + "/"), online)
        self.assertEqual(online["transport"], self.transport)
        self.assertTrue(online["login"].startswith("SCRAM-SHA-"), online)
        await b.do("screenshot", name="logged-in")

        peer.send_message(mto=web, mbody="hello from slixmpp", mtype="chat")
        await b.do("open", jid=tcp)
        self.assertEqual((await b.do("message", text="hello from slixmpp"))["text"], "hello from slixmpp")
        composing = peer.make_message(mto=online["jid"], mtype="chat")
        composing["chat_state"] = "composing"
        composing.send()
        self.assertIn("is typing", (await b.do("typing"))["text"])
        await b.do("send", text="hello back from the widget")
        reply = await peer.next("message", lambda m: m["body"] == "hello back from the widget")
        self.assertEqual(str(reply["from"]), online["jid"])
        await asyncio.wait_for(peer.composing.wait(), 10)  # typed before sending (XEP-0085)
        await b.do("delivered", text="hello back from the widget")
        await b.do("screenshot", name="chatting")

        await b.do("reload")
        again = await b.do("online")
        self.assertEqual(again["jid"], online["jid"], "a reload must keep the same session (resource)")
        self.assertEqual(again["result"], "resumed" if self.transport == "websocket" else "restored")
        self.assertNotIn("SCRAM", again["login"])
        self.assertEqual(self.password_logins(web), 1, "the reload must not log in with the password again")
        logins = self.server.log().count(f"authenticated as {web} with ")
        # BOSH: the session itself is taken over, no SASL at all; WebSocket: XEP-0198 needs an
        # authenticated stream before <resume/>, which the token gives.
        self.assertEqual(logins, 1 if self.transport == "bosh" else 2, self.server.log()[-3000:])
        shown = [m["text"] for m in (await b.do("messages"))["list"]]
        self.assertEqual(shown, ["hello from slixmpp", "hello back from the widget"])
        peer.send_message(mto=web, mbody="after the reload", mtype="chat")
        await b.do("message", text="after the reload")
        await b.do("screenshot", name="after-reload")
        await b.do("close")

    async def test_past_resumption_the_token_logs_in_until_it_is_revoked(self):
        (web,) = self.users("web")
        b = await self.browser()
        await b.do("goto", url=self.demo())
        await b.do("login", jid=web, password="secret")
        first = await b.do("online")
        await self.wait_for_log(f"issued a widget login token to {first['jid']}")
        r = self.server.ctl("kick", web)  # the session ends for good: nothing to resume
        self.assertEqual(r.returncode, 0, r.stderr)
        await b.do("reload")
        again = await b.do("online")
        self.assertEqual(again["login"], "HT-SHA-256-NONE")
        self.assertEqual(again["result"], "bound")
        self.assertNotEqual(again["jid"], first["jid"], "a new session, a new resource")
        self.assertEqual(self.password_logins(web), 1)
        await self.wait_for_log(f"issued a widget login token to {again['jid']}")
        r = self.server.ctl("revoke-tokens", web)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("revoked 2 widget login tokens", r.stdout)
        self.assertEqual(self.server.ctl("kick", web).returncode, 0)
        await b.do("reload")
        await b.do("login", jid=web, password="secret")  # the form is back: the token is gone
        await b.do("online")
        self.assertEqual(self.password_logins(web), 2)
        await b.do("close")

    async def wait_for_log(self, text, timeout=10):
        for _ in range(timeout * 10):
            if text in self.server.log():
                return
            await asyncio.sleep(0.1)
        self.fail(f"not in the server's log within {timeout} s: {text}")

    async def test_a_page_on_another_origin_embeds_the_widget(self):
        web, tcp = self.users("web", "tcp")
        peer = await self.peer(tcp)
        page = OtherOrigin(self.server.ports["http"],
                           f'data-transport="{self.transport}" data-theme="dark" data-start="minimised"')
        self.addCleanup(page.stop)
        b = await self.browser()
        await b.do("goto", url=page.origin + "/index.html")
        await b.do("screenshot", name="minimised")
        await b.do("launcher")
        await b.do("login", jid=web, password="secret")
        online = await b.do("online")
        self.assertEqual(online["transport"], self.transport)
        await b.do("open", jid=tcp)
        await b.do("send", text="from another origin")
        got = await peer.next("message", lambda m: m["body"] == "from another origin")
        self.assertEqual(str(got["from"]), online["jid"])
        peer.send_message(mto=web, mbody="answer to the shop", mtype="chat")
        await b.do("message", text="answer to the shop")
        await b.do("screenshot", name="other-origin-dark")
        await b.do("close")

    async def test_a_wrong_password_is_shown_as_such(self):
        (web,) = self.users("web")
        b = await self.browser()
        await b.do("goto", url=self.demo())
        await b.do("login", jid=web, password="not the password")
        shown = await b.do("login_error")
        self.assertEqual(shown["text"], "Wrong address or password.")
        self.assertTrue(shown["focusable"], "the login form stays for another try")
        await b.do("screenshot", name="wrong-password")
        await b.do("close")

    async def test_a_visitor_reaches_the_support_address(self):
        (support_jid,) = self.users("support")
        support = await self.peer(support_jid)
        b = await self.browser()
        url = self.demo(f"&mode=visitor&support={support_jid}&visitor-domain={VISITORS}&share-page=true")
        await b.do("goto", url=url)
        await b.do("visitor")
        online = await b.do("online")
        self.assertTrue(online["jid"].split("/")[0].endswith("@" + VISITORS), online)
        self.assertEqual(online["login"], "ANONYMOUS")
        await b.do("send", text="I need help with my order")
        where = await support.next("message", lambda m: m["body"].startswith("Visitor from "))
        self.assertEqual(where["body"], f"Visitor from {url} (OFS web chat)")
        self.assertEqual(str(where["from"]), online["jid"])
        await support.next("message", lambda m: m["body"] == "I need help with my order")
        support.send_message(mto=online["jid"], mbody="How can we help?", mtype="chat")
        await b.do("message", text="How can we help?")
        await b.do("screenshot", name="visitor-chat")
        phone = await b.do("viewport", width=375, height=667)
        self.assertEqual((phone["panel"]["width"], phone["panel"]["height"]), (375, 667), "full screen on a phone")
        await b.do("screenshot", name="visitor-chat-phone")
        await b.do("close")

    async def test_hostile_texts_are_shown_as_text(self):
        web, evil = self.users("web", "evil")
        own = await self.client(web)  # the web user names the contact with the hostile name
        await own.update_roster(evil, name=HOSTILE_NAME)
        await own.logout()
        peer = await self.peer(evil)
        b = await self.browser()
        await b.do("goto", url=self.demo())
        await b.do("login", jid=web, password="secret")
        online = await b.do("online")
        peer.send_presence(pto=online["jid"], pstatus=HOSTILE_STATUS)
        for body in HOSTILE_BODIES:
            peer.send_message(mto=web, mbody=body, mtype="chat")
        await b.do("open", jid=evil)
        await b.do("message", text="xxxxxxxx")  # the last one
        shown = await b.do("messages")
        self.assertIsNone(shown["pwned"])
        texts = [m["text"] for m in shown["list"]]
        self.assertEqual(texts[:3], HOSTILE_BODIES[:3])
        self.assertEqual(texts[3], "x" * 2000 + "…", "an overlong body is cut for display")
        for m in shown["list"]:
            self.assertTrue(m["isolated"], m)
            self.assertNotIn("<img", m["html"])
            self.assertNotIn("<script", m["html"])
        await b.do("screenshot", name="hostile-bodies")
        await b.do("reload")  # the same chat again; then the contacts: the name and the status
        await b.do("online")
        await b.do("back")
        contacts = await b.do("contacts")
        self.assertIsNone(contacts["pwned"])
        evil_entry = next(c for c in contacts["list"] if c["jid"] == evil)
        self.assertEqual(evil_entry["name"], HOSTILE_NAME.replace("\u202e", ""), "bidi controls are dropped from names")
        self.assertEqual(evil_entry["status"], HOSTILE_STATUS.replace("\u2067", ""))
        self.assertNotIn("<img", evil_entry["nameHtml"])
        self.assertNotIn("<script", evil_entry["statusHtml"])
        await b.do("screenshot", name="hostile-contact")
        await b.do("close")


class WidgetOverBosh(WidgetOverWebSocket):
    """The same over BOSH: a reload takes the BOSH session over (sid and rid)."""
    transport = "bosh"


if __name__ == "__main__":
    unittest.main()
