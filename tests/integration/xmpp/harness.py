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
import urllib.error
import urllib.request

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
    """ofsd on free loopback ports. A second Server given the first one's directory and
    storage_url restarts on the same data (the SQLite file or the PostgreSQL database)."""

    def __init__(self, extra_config="", storage_url=None, directory=None, threads=2, domains=None):
        self.dir = directory or tempfile.mkdtemp(prefix="ofs-xmpp-")
        if storage_url is None and STORAGE == "postgres":
            url = os.environ.get("OFS_TEST_PG")
            if not url:
                raise unittest.SkipTest("OFS_TEST_PG not set")
            storage_url = create_pg_database(url)
        self.storage_url = storage_url
        storage = f'[storage]\nurl = "{storage_url}"\n' if storage_url else ""
        self.config = os.path.join(self.dir, "ofs.toml")
        with open(self.config, "w") as f:
            served = f"domains = {list(domains)!r}\n".replace("'", '"') if domains else ""
            f.write(f'[server]\ndata_dir = "{self.dir}/var"\nthreads = {threads}\n' + served +
                    '[listen]\naddress = "127.0.0.1"\nhttp = 0\nc2s = 0\nc2s_tls = 0\nhttps = 0\n'
                    + storage + extra_config)
        self.log_file = open(os.path.join(self.dir, "log"), "a")  # a restart appends
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
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("ofsd did not start: " + self.log())
        self.cert = os.path.join(self.dir, "var", "tls", "cert.pem")

    def log(self):
        try:
            with open(os.path.join(self.dir, "log")) as f:
                return f.read()
        except FileNotFoundError:  # removed with the directory by the server restarted on it
            return ""

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

    def metric(self, name):
        """The value of one gauge or counter of /metrics."""
        url = f"http://127.0.0.1:{self.ports['http']}/metrics"
        text = urllib.request.urlopen(url, timeout=2).read().decode()
        return float(re.search(rf"^{name} (\S+)$", text, re.M).group(1))

    def health(self):
        """The HTTP status of /health, or None when nothing answers within 2 s."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ports['http']}/health", timeout=2) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except (OSError, urllib.error.URLError):
            return None

    def terminate(self, timeout):
        """SIGTERM, then the exit code and the seconds it took; None (and SIGKILL) past timeout."""
        start = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = None
        return code, time.monotonic() - start

    def stop(self, remove=True):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                code = -9
        else:
            code = self.proc.returncode
        self.proc.stdout.close()
        self.log_file.close()
        if code != 0:  # a crash or sanitizer report: show it before the log goes with the dir
            print(f"ofsd exited with {code}; its log:\n{self.log()}", file=sys.stderr)
        if remove:
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
    threads = 2  # the server's I/O threads
    domains = None  # [server] domains; None: the default ("localhost")

    @classmethod
    def setUpClass(cls):
        cls.server = Server(cls.extra_config, threads=cls.threads, domains=cls.domains)

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
