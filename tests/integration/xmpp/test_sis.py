"""The status image server (/sis) against the real ofsd, users made online and away by
slixmpp: images that decode to the right size with the state's colour at the dot, privacy
(opt-in, opt-out, existing and non-existing users alike, signed viewer tokens), ETags and
304s, hostile names, JSON, the embed snippet and the event stream."""
import asyncio
import http.client
import json
import secrets
import time
import unittest

from harness import ServerTest, TIMEOUT
from sis_client import (COLOURS, OPT_IN, OPT_OUT, decode, get, probe, rule, rules, set_rules, wait_state)

# Every change of the rules shows at once (rules_refresh = 0); a max-age of our own to check.
CONFIG = "[sis]\nmax_age = 7\nrules_refresh = 0\n"
# Date and Server aside, these are every header the endpoint sets.
COMPARED = ("content-type", "content-length", "etag", "cache-control", "vary", "access-control-allow-origin",
            "x-content-type-options")


class SisTest(ServerTest):
    extra_config = CONFIG

    @property
    def port(self):
        return self.server.ports["http"]

    def image(self, user, query="", headers=None):
        r = get(self.port, f"/sis/{user}.png{query}", headers)
        self.assertEqual(r.status, 200, r.body[:200])
        self.assertEqual(r.header("content-type"), "image/png")
        return r

    def assert_colour(self, png, state, size, scale=1, style="icon"):
        im = decode(png)
        x, y = probe(size, scale, style)
        self.assertEqual(im.getpixel((x, y)), COLOURS[state] + (255,), f"{state} at {(x, y)}")
        return im

    def token(self, viewer, *extra):
        r = self.server.ctl("sis-token", viewer, *extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip()


class Images(SisTest):
    async def test_online_away_and_offline_users_decode_at_their_size_with_their_colour(self):
        alice, = self.users("alice")
        set_rules(self.port, alice, OPT_IN)
        a = await self.client(alice)
        a.send_presence()
        await wait_state(self.port, alice, "online")
        im = self.assert_colour(self.image(alice, "?size=32").body, "online", 32)
        self.assertEqual(im.size, (32, 32))

        a.send_presence(pshow="away", pstatus="In a meeting, back at 3")
        state = await wait_state(self.port, alice, "away")
        self.assertEqual(state["text"], "In a meeting, back at 3")
        im = self.assert_colour(self.image(alice, "?size=24&style=badge").body, "away", 24, style="badge")
        self.assertEqual(im.size, (24 * 8, 24))
        im = self.assert_colour(self.image(alice, "?size=16&scale=2").body, "away", 16, scale=2)
        self.assertEqual(im.size, (32, 32))  # twice the pixels for high-density screens

        a.send_presence(pshow="dnd", pstatus="Привет, 世界, مرحبا")
        await wait_state(self.port, alice, "dnd")
        self.assert_colour(self.image(alice, "?size=48&style=text&theme=dark").body, "dnd", 48, style="text")

        await a.logout()
        await wait_state(self.port, alice, "offline")
        im = self.assert_colour(self.image(alice, "?size=128").body, "offline", 128)
        self.assertEqual(im.size, (128, 128))

    async def test_svg_json_and_head(self):
        alice, = self.users("alice")
        set_rules(self.port, alice, OPT_IN)
        r = get(self.port, f"/sis/{alice}.svg?size=24&style=badge")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("content-type"), "image/svg+xml")
        self.assertIn(b'width="192px"', r.body)
        self.assertIn("default-src 'none'", r.header("content-security-policy"))
        j = get(self.port, f"/sis/{alice}.json")
        self.assertEqual(j.header("content-type"), "application/json")
        self.assertEqual(j.header("access-control-allow-origin"), "*")
        self.assertEqual(json.loads(j.body)["state"], "offline")
        h = get(self.port, f"/sis/{alice}.png", method="HEAD")
        self.assertEqual(h.status, 200)
        self.assertEqual(h.body, b"")
        self.assertEqual(int(h.header("content-length")), len(self.image(alice).body))
        self.assertEqual(get(self.port, f"/sis/{alice}.png", method="DELETE").status, 405)


class Privacy(SisTest):
    async def test_without_opt_in_an_online_user_looks_like_one_that_does_not_exist(self):
        bob, carol = self.users("bob", "carol")
        nobody = f"nobody{secrets.token_hex(3)}@localhost"
        set_rules(self.port, carol, OPT_OUT)  # opted out explicitly; bob never opted in
        b = await self.client(bob)
        b.send_presence(pshow="away", pstatus="secret plans")
        c = await self.client(carol)
        c.send_presence()
        await asyncio.sleep(0.3)
        for query in ("", "?size=64&style=badge", "?style=text&theme=dark"):
            answers = [self.image(u, query) for u in (bob, carol, nobody)]
            for r in answers[1:]:
                self.assertEqual(r.body, answers[0].body, query)
                for h in COMPARED:
                    self.assertEqual(r.header(h), answers[0].header(h), f"{h} {query}")
            self.assert_colour(answers[0].body, "unknown", 16 if not query else (64 if "64" in query else 16),
                               style="badge" if "badge" in query else ("text" if "text" in query else "icon"))
        svgs = [get(self.port, f"/sis/{u}.svg?size=24&style=badge") for u in (bob, carol, nobody)]
        self.assertEqual(len({(r.body, r.header("etag")) for r in svgs}), 1)
        jsons = [get(self.port, f"/sis/{u}.json") for u in (bob, nobody)]
        self.assertEqual(json.loads(jsons[0].body)["state"], "unknown")
        self.assertEqual(json.loads(jsons[0].body)["text"], "")
        self.assertEqual(jsons[0].header("etag"), jsons[1].header("etag"))
        # Opting in shows the real state; opting out again hides it.
        set_rules(self.port, bob, OPT_IN)
        await wait_state(self.port, bob, "away")
        set_rules(self.port, bob, OPT_OUT)
        await wait_state(self.port, bob, "unknown")

    async def test_timing_does_not_tell_an_existing_user_from_a_missing_one(self):
        bob, = self.users("bob")
        nobody = f"nobody{secrets.token_hex(3)}@localhost"
        times = {bob: [], nobody: []}
        for i in range(120):  # interleaved, so that the machine's load falls on both alike
            for user in (bob, nobody) if i % 2 else (nobody, bob):
                t = time.perf_counter()
                self.image(user, "?size=20")
                times[user].append(time.perf_counter() - t)
        a, b = (sorted(t[20:])[len(t[20:]) // 2] for t in times.values())  # medians, warm
        self.assertLess(abs(a - b), max(a, b) * 0.5 + 0.002, f"{a * 1e3:.2f} ms vs {b * 1e3:.2f} ms")

    async def test_signed_viewer_tokens_valid_expired_and_forged(self):
        dave, erin, frank = self.users("dave", "erin", "frank")
        # dave lets erin see him, not anyone else, and blocks frank (XEP-0191 view: offline).
        set_rules(self.port, dave, rules(rule("friends", "allow", f'<cr:one id="xmpp:{erin}"/>'),
                                         rule("nope", "polite-block", f'<cr:one id="xmpp:{frank}"/>')))
        d = await self.client(dave)
        d.send_presence(pshow="xa", pstatus="gone fishing")
        await asyncio.sleep(0.3)
        self.assertEqual((await wait_state(self.port, dave, "unknown"))["text"], "")
        good = self.token(erin)
        state = await wait_state(self.port, dave, "xa", {"Authorization": "Bearer " + good})
        self.assertEqual(state["text"], "gone fishing")
        r = self.image(dave, "?size=32&token=" + good)
        self.assert_colour(r.body, "xa", 32)
        self.assertEqual(r.header("cache-control"), "private, max-age=7")
        self.assertEqual(r.header("vary"), "Authorization")
        # A viewer named without a signature is nobody.
        self.assertEqual(self.image(dave, f"?size=32&viewer={erin}").body, self.image(dave, "?size=32").body)
        # Blocked viewers see the user offline.
        await wait_state(self.port, dave, "offline", {"Authorization": "Bearer " + self.token(frank)})
        # Expired, forged, another viewer's signature, garbage: 401 saying why.
        expired = self.token(erin, "--lifetime", "1")
        await asyncio.sleep(2.1)
        forged = good[:-1] + ("0" if good[-1] != "0" else "1")
        other = self.token(frank)
        swapped = good.rsplit(".", 1)[0] + "." + other.rsplit(".", 1)[1]
        for bad, why in ((expired, "expired"), (forged, "bad signature"), (swapped, "bad signature"),
                         ("v1.garbage", "malformed")):
            r = get(self.port, f"/sis/{dave}.png?token={bad}")
            self.assertEqual(r.status, 401, bad)
            self.assertIn(why, r.body.decode())
            self.assertIn('error="invalid_token"', r.header("www-authenticate"))
            self.assertEqual(get(self.port, f"/sis/{dave}.json", {"Authorization": "Bearer " + bad}).status, 401)


class Caching(SisTest):
    async def test_etag_304_and_a_new_etag_after_a_change(self):
        gina, = self.users("gina")
        set_rules(self.port, gina, OPT_IN)
        first = self.image(gina, "?size=40")
        tag = first.header("etag")
        self.assertRegex(tag, r'^"[0-9a-f]{32}"$')
        self.assertEqual(first.header("cache-control"), "public, max-age=7")
        self.assertEqual(first.header("vary"), "Authorization")
        again = get(self.port, f"/sis/{gina}.png?size=40", {"If-None-Match": tag})
        self.assertEqual(again.status, 304)
        self.assertEqual(again.body, b"")
        self.assertEqual(again.header("etag"), tag)
        self.assertEqual(get(self.port, f"/sis/{gina}.png?size=40", {"If-None-Match": f'"x", W/{tag}'}).status, 304)
        self.assertNotEqual(self.image(gina, "?size=41").header("etag"), tag)  # per options
        g = await self.client(gina)
        g.send_presence()
        await wait_state(self.port, gina, "online")
        changed = get(self.port, f"/sis/{gina}.png?size=40", {"If-None-Match": tag})
        self.assertEqual(changed.status, 200)
        self.assertNotEqual(changed.header("etag"), tag)
        j = get(self.port, f"/sis/{gina}.json")
        self.assertEqual(get(self.port, f"/sis/{gina}.json", {"If-None-Match": j.header("etag")}).status, 304)


class Hostile(SisTest):
    def test_hostile_names_and_options_get_4xx(self):
        long = "a" * 5000
        targets = ["/sis/../etc/passwd.png", "/sis/..%2F..%2Fetc%2Fpasswd.png", "/sis/%2e%2e/x@localhost.png",
                   "/sis/a%00b@localhost.png", f"/sis/{long}@localhost.png",
                   "/sis/" + "b" * 1100 + "@localhost.png", "/sis/%E2%80%AEalice@localhost.png",
                   "/sis/alice%E2%81%A7@localhost.png", "/sis/%D8%9Calice@localhost.png", "/sis/a%0d%0ab@localhost.png",
                   "/sis/alice.png", "/sis/alice@localhost/x.png", "/sis/alice@localhost.gif",
                   "/sis/alice@localhost.png?size=1000", "/sis/alice@localhost.png?style=%3Cscript%3E",
                   "/sis/alice@localhost%2Fres.png", "/sis/@localhost.png", "/sis/alice@other.example.png"]
        for t in targets:
            r = get(self.port, t)
            self.assertTrue(400 <= r.status < 500, f"{t[:80]}: {r.status}")
            self.assertTrue(r.body, t[:80])  # every refusal says why
        # A raw NUL and a raw bidi override in the request line, not percent-encoded.
        for raw in (b"/sis/a\x00b@localhost.png", "/sis/\u202ealice@localhost.png".encode()):
            with socket_to(self.port) as s:
                s.sendall(b"GET " + raw + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                status = s.recv(64).split(b" ")[1]
                self.assertTrue(status.startswith(b"4"), (raw, status))
        self.assertEqual(self.server.proc.poll(), None)
        # Decoded once: "%2500" is the three characters "%00" of a valid name, not a NUL.
        self.assertEqual(get(self.port, "/sis/a%2500b@localhost.png").status, 200)


def socket_to(port):
    import socket
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    return s


class Embedding(SisTest):
    async def test_embed_snippet_and_live_events(self):
        hank, = self.users("hank")
        set_rules(self.port, hank, OPT_IN)
        e = get(self.port, f"/sis/{hank}/embed?size=24&style=badge", {"Host": "portal.example:5280"})
        self.assertEqual(e.status, 200)
        html = e.body.decode()
        self.assertIn(f'src="http://portal.example:5280/sis/{hank}.png?size=24&amp;scale=1&amp;style=badge', html)
        self.assertIn(f'data-ofs-events="http://portal.example:5280/sis/{hank}/events"', html)
        self.assertIn('width="192" height="24"', html)
        self.assertEqual(get(self.port, f"/sis/{hank}/embed", {"Host": "a\"><script>"}).status, 400)

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        conn.request("GET", f"/sis/{hank}/events")
        r = conn.getresponse()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("content-type"), "text/event-stream")
        self.assertEqual(r.getheader("access-control-allow-origin"), "*")

        def next_event():
            data = None
            while True:
                line = r.fp.readline().decode()
                self.assertTrue(line, "the stream ended")
                if line.startswith("data: "):
                    data = json.loads(line[6:])
                elif line == "\n" and data:
                    return data

        loop = asyncio.get_running_loop()
        self.assertEqual((await loop.run_in_executor(None, next_event))["state"], "offline")
        h = await self.client(hank)
        h.send_presence(pshow="chat", pstatus="talk to me")
        event = await asyncio.wait_for(loop.run_in_executor(None, next_event), TIMEOUT)
        if event["state"] == "online":  # an intermediate state may come first
            event = await asyncio.wait_for(loop.run_in_executor(None, next_event), TIMEOUT)
        self.assertEqual((event["state"], event["text"]), ("chat", "talk to me"))
        await h.logout()
        event = await asyncio.wait_for(loop.run_in_executor(None, next_event), TIMEOUT)
        self.assertEqual(event["state"], "offline")
        conn.close()


if __name__ == "__main__":
    unittest.main()
