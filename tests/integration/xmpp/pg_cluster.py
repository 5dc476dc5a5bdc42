"""A private, throw-away PostgreSQL cluster that a test may stop and restart at will; the shared
test server (OFS_TEST_PG) must not be, as other suites use it in parallel.

Same commands as scripts/pg_temp.sh: initdb in a temp dir (as the postgres user when root, since
initdb and postgres refuse root), a free port on 127.0.0.1, trust authentication, fsync off.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import unittest

PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    def __init__(self):
        if not os.access(os.path.join(PG_BIN, "initdb"), os.X_OK):
            raise unittest.SkipTest(f"no PostgreSQL server binaries in {PG_BIN} (set PG_BIN)")
        self.dir = tempfile.mkdtemp(prefix="ofs-pg-fault-")
        self.data = os.path.join(self.dir, "data")
        self.as_user = []
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.running = False
        try:
            self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-N", "-E", "UTF8",
                      "--locale=C")
            for _ in range(5):  # a port found free may be taken before the server binds it
                self.port = free_port()
                if self.start(check=False):
                    break
            else:
                raise RuntimeError("PostgreSQL did not start: " + self.log())
        except BaseException:
            self.destroy()
            raise
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool, *args, check=True):
        r = subprocess.run([*self.as_user, os.path.join(PG_BIN, tool), *args], capture_output=True,
                           text=True, timeout=60)
        if check and r.returncode != 0:
            raise RuntimeError(f"{tool} failed ({r.returncode}): {r.stderr}\n{self.log()}")
        return r.returncode == 0

    def start(self, check=True):
        """Starts the cluster on its port (the same one after a stop) and waits until it accepts."""
        # No synchronous_commit=off: an immediate stop would then lose commits ofsd saw succeed.
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        ok = self._run("pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "server.log"), "-w", "-t", "30",
                       "-s", "start", "-o", options, check=check)
        self.running = self.running or ok
        return ok

    def stop(self, mode="fast"):
        """pg_ctl stop -m fast (clients disconnected, clean shutdown) or immediate (a crash)."""
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "30", "-s", "stop")
        self.running = False

    def query(self, sql):
        """One value from psql, as text."""
        r = subprocess.run(["psql", self.url, "-XAtqc", sql], capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise RuntimeError(f"psql failed: {r.stderr}")
        return r.stdout.strip()

    def log(self):
        try:
            with open(os.path.join(self.dir, "server.log")) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def destroy(self):
        if self.running:
            self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-s", "stop", check=False)
            self.running = False
        shutil.rmtree(self.dir, ignore_errors=True)
