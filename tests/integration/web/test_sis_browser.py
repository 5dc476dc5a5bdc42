"""Status images in headless Chromium: a page of another origin embeds three users' images
with the /sis/<JID>/embed snippets (online, away, offline); the test checks each image's
colour in the page's screenshot, then one user changes state and the page, told by the
event stream (no polling), shows the new image. Screenshots: <build>/test-artifacts/sis/."""
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

from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "xmpp"))
from harness import ServerTest  # noqa: E402
from sis_client import COLOURS, OPT_IN, get, probe, set_rules, wait_state  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ARTIFACTS = os.environ.get("OFS_ARTIFACTS") or os.path.join(tempfile.gettempdir(), "ofs-test-artifacts")
CHROMIUM = "/usr/bin/chromium"
SIZE = 32


def setUpModule():
    if not os.access(CHROMIUM, os.X_OK):
        raise unittest.SkipTest("Debian's chromium is not installed (scripts/install-deps.sh --with-tests)")
    if not os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True, text=True,
                           timeout=600)
        if r.returncode != 0:
            raise RuntimeError("npm ci failed:\n" + r.stdout + r.stderr)


class Portal:
    """A portal page on its own origin holding the given HTML."""

    def __init__(self, body):
        self.dir = tempfile.mkdtemp(prefix="ofs-sis-page-")
        with open(os.path.join(self.dir, "index.html"), "w") as f:
            f.write('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Team</title>'
                    '<style>body{font-family:sans-serif;margin:16px} p{margin:0 0 12px}</style></head><body>'
                    "<h1>Our team</h1>" + body + "</body></html>")

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=self.dir))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        shutil.rmtree(self.dir, ignore_errors=True)


class EmbeddedStatusImages(ServerTest):
    extra_config = "[sis]\nrules_refresh = 0\n"

    async def do(self, proc, cmd, **args):
        proc.stdin.write((json.dumps(dict(args, cmd=cmd)) + "\n").encode())
        await proc.stdin.drain()
        raw = await asyncio.wait_for(proc.stdout.readline(), 40)
        answer = json.loads(raw or b'{"ok": false, "error": "the browser driver exited"}')
        self.assertTrue(answer.pop("ok"), f"{answer}\nserver log:\n{self.server.log()[-2000:]}")
        return answer

    def colour_at(self, shot, img):
        x, y = probe(SIZE, 1, "badge")
        return Image.open(shot).convert("RGB").getpixel((round(img["x"]) + x, round(img["y"]) + y))

    async def test_three_states_and_a_live_change(self):
        port = self.server.ports["http"]
        users = self.users("ann", "ben", "cal")
        for u in users:
            set_rules(port, u, OPT_IN)
        ann = await self.client(users[0])
        ann.send_presence(pstatus="Ready")
        ben = await self.client(users[1])
        ben.send_presence(pshow="away", pstatus="Lunch — 午饭 — غداء")
        await wait_state(port, users[0], "online")
        await wait_state(port, users[1], "away")
        snippets = []
        for u in users:
            r = get(port, f"/sis/{u}/embed?size={SIZE}&style=badge", {"Host": f"127.0.0.1:{port}"})
            self.assertEqual(r.status, 200)
            snippets.append(f"<p>{r.body.decode()}</p>")
        portal = Portal("".join(snippets))
        self.addCleanup(portal.stop)

        artifacts = os.path.join(ARTIFACTS, "sis")
        shutil.rmtree(artifacts, ignore_errors=True)
        os.makedirs(artifacts)
        proc = await asyncio.create_subprocess_exec(
            "node", os.path.join(HERE, "sis_browser.js"), artifacts, cwd=HERE,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        self.addAsyncCleanup(self.reap, proc)

        images = (await self.do(proc, "goto", url=portal.url))["images"]
        self.assertEqual(len(images), 3)
        for img in images:
            self.assertEqual((img["width"], img["height"]), (SIZE * 8, SIZE))
        shot = (await self.do(proc, "screenshot", name="three-states"))["path"]
        for img, state in zip(images, ("online", "away", "offline")):
            self.assertEqual(self.colour_at(shot, img), COLOURS[state], img["alt"])

        cal = await self.client(users[2])
        cal.send_presence(pshow="dnd", pstatus="Presenting")
        images = (await self.do(proc, "change", index=2, label="Do not disturb"))["images"]
        shot = (await self.do(proc, "screenshot", name="live-change"))["path"]
        self.assertEqual(self.colour_at(shot, images[2]), COLOURS["dnd"])
        self.assertEqual(self.colour_at(shot, images[0]), COLOURS["online"])

    @staticmethod
    async def reap(proc):
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


if __name__ == "__main__":
    unittest.main()
