"""A real desktop client: profanity (Debian's console XMPP client), driven through tmux as a
person types, exchanges messages with a slixmpp-driven user over STARTTLS."""
import asyncio
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import ServerTest, TIMEOUT


def tmux(*args):
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=10).stdout


class Profanity(ServerTest):
    def setUp(self):
        for tool in ("profanity", "tmux"):
            self.assertIsNotNone(shutil.which(tool), f"{tool} is installed by scripts/install-deps.sh --with-tests")
        self.home = tempfile.mkdtemp(prefix="ofs-profanity-")
        self.session = "ofs-profanity-" + os.path.basename(self.home)
        env = f"HOME={self.home} XDG_CONFIG_HOME={self.home}/.config XDG_DATA_HOME={self.home}/.local/share TERM=xterm"
        tmux("new-session", "-d", "-s", self.session, "-x", "200", "-y", "50", f"env {env} profanity")
        self.addCleanup(shutil.rmtree, self.home, True)
        self.addCleanup(tmux, "kill-session", "-t", self.session)

    def screen(self):
        return tmux("capture-pane", "-p", "-t", self.session)

    async def wait_for_screen(self, text, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.screen():
                return
            await asyncio.sleep(0.2)
        self.fail(f"profanity never showed {text!r}; the screen:\n{self.screen()}")

    def type(self, line):
        tmux("send-keys", "-t", self.session, "-l", line)
        tmux("send-keys", "-t", self.session, "Enter")

    async def test_profanity_logs_in_and_chats_with_a_library_client(self):
        alice, bob = self.users("alice", "bob")
        b = await self.client(bob)
        b.send_presence()
        await self.wait_for_screen("Type '/help'")
        # "tls trust": TLS required, and the server's self-signed certificate accepted.
        self.type(f"/connect {alice} server 127.0.0.1 port {self.server.ports['c2s']} tls trust")
        await self.wait_for_screen("Enter password")
        self.type("secret")
        await self.wait_for_screen("logged in successfully")
        self.type(f"/msg {bob} hello from profanity")
        m = await b.next("message", lambda m: m["body"] == "hello from profanity")
        self.assertEqual(m["from"].bare, alice)
        b.send_message(mto=m["from"], mbody="hi profanity, bob here", mtype="chat")
        await self.wait_for_screen("hi profanity, bob here")


if __name__ == "__main__":
    unittest.main()
