"""Runs the real ofsd for XMPP scenario tests driven by slixmpp, a third-party client library.

Each server gets a temporary directory, free loopback ports, its own SQLite file or its own
PostgreSQL database (when OFS_TEST_PG names a server), and is stopped with SIGTERM.
"""
import asyncio
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import shutil
import time
import unittest

import slixmpp

OFSD = os.environ["OFS_OFSD"]
OFSCTL = os.environ["OFS_OFSCTL"]
STORAGE = os.environ.get("OFS_XMPP_STORAGE", "sqlite")
TIMEOUT = 10


def create_pg_database(url):
    """A fresh database on the test PostgreSQL server; returns its URL."""
    name = "ofs_xmpp_" + secrets.token_hex(6)
    subprocess.run(["psql", url, "-q", "-c", f"CREATE DATABASE {name}"], check=True,
                   capture_output=True)
    return url.rsplit("/", 1)[0] + "/" + name


class Server:
    def __init__(self, extra_config="", listen_address="127.0.0.1"):
        self.dir = tempfile.mkdtemp(prefix="ofs-xmpp-")
        storage = ""
        if STORAGE == "postgres":
            url = os.environ.get("OFS_TEST_PG")
            if not url:
                raise unittest.SkipTest("OFS_TEST_PG not set")
            storage = f'[storage]\nurl = "{create_pg_database(url)}"\n'
        self.config = os.path.join(self.dir, "ofs.toml")
        with open(self.config, "w") as f:
            f.write(f'[server]\ndata_dir = "{self.dir}/var"\nthreads = 2\n'
                    f'[listen]\naddress = "{listen_address}"\nhttp = 0\nc2s = 0\nc2s_tls = 0\nhttps = 0\n'
                    + storage + extra_config)
        self.log_file = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen([OFSD, "--config", self.config], cwd=self.dir,
                                     stdout=subprocess.PIPE, stderr=self.log_file, text=True)
        self.ports = {}
        deadline = time.time() + 20
        for line in self.proc.stdout:
            if line.startswith("ready"):
                self.ports = {k: int(v) for k, v in (w.split("=") for w in line.split()[1:])}
                break
            if time.time() > deadline:
                break
        if not self.ports:
            raise RuntimeError("ofsd did not start: " + self.log())
        self.cert = os.path.join(self.dir, "var", "tls", "cert.pem")

    def log(self):
        with open(os.path.join(self.dir, "log")) as f:
            return f.read()

    def ctl(self, *args):
        return subprocess.run([OFSCTL, "--config", self.config, *args], capture_output=True, text=True,
                              timeout=30)

    def add_user(self, user, password="secret"):
        r = self.ctl("adduser", f"{user}@localhost", password)
        assert r.returncode == 0, r.stderr
        return f"{user}@localhost"

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                code = -9
        else:
            code = self.proc.returncode
        self.proc.stdout.close()
        self.log_file.close()
        if code != 0:  # a crash or sanitizer report: show it before the log goes with the dir
            print(f"ofsd exited with {code}; its log:\n{self.log()}", file=sys.stderr)
        shutil.rmtree(self.dir, ignore_errors=True)
        return code


class Client(slixmpp.ClientXMPP):
    """A slixmpp client whose stanzas are collected in queues, to be awaited with a deadline."""

    def __init__(self, server, jid, password="secret", mech=None, resource=None):
        full = jid + ("/" + resource if resource else "")
        super().__init__(full, password, sasl_mech=mech)
        self.ofs = server  # not "server": slixmpp uses that name itself
        self.ca_certs = server.cert
        self.queues = {"message": asyncio.Queue(), "presence": asyncio.Queue(), "iq": asyncio.Queue()}
        self.received = {kind: [] for kind in self.queues}
        self.add_event_handler("message", lambda m: self.queues["message"].put_nowait(m))
        self.add_event_handler("presence", lambda p: self.queues["presence"].put_nowait(p))
        self.failed_auth = asyncio.Event()
        self.add_event_handler("failed_auth", lambda _: self.failed_auth.set())
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0199")
        self.register_plugin("xep_0092")
        self.register_plugin("xep_0054")
        self.register_plugin("xep_0191")
        self.register_plugin("xep_0203")

    async def login(self, port="c2s", use_ssl=False):
        self.connect(("127.0.0.1", self.ofs.ports[port]), use_ssl=use_ssl, force_starttls=not use_ssl)
        await asyncio.wait_for(self.wait_until("session_start"), TIMEOUT)
        return self

    async def next(self, kind, match=lambda s: True, timeout=TIMEOUT):
        """The first stanza of this kind, received or still to come, that satisfies match.
        Stanzas that do not match stay for later calls, so arrival order does not matter."""
        deadline = time.monotonic() + timeout
        seen = self.received[kind]
        while True:
            for i, s in enumerate(seen):
                if match(s):
                    return seen.pop(i)
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise asyncio.TimeoutError()
                seen.append(await asyncio.wait_for(self.queues[kind].get(), left))
            except asyncio.TimeoutError:
                raise AssertionError(f"{self.boundjid}: no matching <{kind}/> within {timeout}s") from None

    async def logout(self):
        self.disconnect()
        await asyncio.wait_for(self.wait_until("disconnected"), TIMEOUT)


class ServerTest(unittest.IsolatedAsyncioTestCase):
    """One server for the whole class; each test uses its own users."""
    extra_config = ""

    @classmethod
    def setUpClass(cls):
        cls.server = Server(cls.extra_config)

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        assert code == 0, f"ofsd exited with {code}"

    def users(self, *names):
        tag = secrets.token_hex(3)
        return [self.server.add_user(f"{n}{tag}") for n in names]

    async def client(self, jid, **kw):
        port = kw.pop("port", "c2s")
        use_ssl = kw.pop("use_ssl", False)
        c = Client(self.server, jid, **kw)
        self.addAsyncCleanup(self._close, c)
        return await c.login(port, use_ssl)

    @staticmethod
    async def _close(c):
        if c.is_connected():
            c.disconnect()
            try:
                await asyncio.wait_for(c.wait_until("disconnected"), 3)
            except asyncio.TimeoutError:
                pass
