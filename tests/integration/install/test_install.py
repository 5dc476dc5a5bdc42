"""Installs OFS as an administrator would (cmake --install, here into a temporary root) and
runs it the way its systemd unit does: the unit's own command line, as the unit's dedicated
user, with systemd's readiness protocol. This machine has no systemd, so the test plays its
part: a NOTIFY_SOCKET that must hear READY=1 once the ports answer, and STOPPING=1 on SIGTERM.
Then ofsctl, found on the PATH, manages accounts of the running server, and a client logs in.

Needs root (it creates the system user 'ofs' when missing, and removes it afterwards).
"""
import asyncio
import configparser
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import unittest

BUILD = os.environ["OFS_BUILD_DIR"]
SKIP = 77  # ctest SKIP_RETURN_CODE


def run(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=120, **kw)


def unit_file(root):
    for dirpath, _, files in os.walk(root):
        if "ofs.service" in files and dirpath.endswith("systemd/system"):
            return os.path.join(dirpath, "ofs.service")
    raise AssertionError("no systemd unit installed")


class InstallTest(unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="ofs-install-")
        os.chmod(cls.root, 0o755)  # the service user must reach the installed binaries
        run("cmake", "--install", BUILD, env={**os.environ, "DESTDIR": cls.root})
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.optionxform = str
        unit.read(unit_file(cls.root))
        cls.service = unit["Service"]
        cls.user = cls.service["User"]
        cls.created_user = False
        try:
            pwd.getpwnam(cls.user)
        except KeyError:  # what the package's postinst does
            run("adduser", "--system", "--group", "--no-create-home", "--home", "/nonexistent", cls.user)
            cls.created_user = True

    @classmethod
    def tearDownClass(cls):
        if cls.created_user:
            subprocess.run(["deluser", "--system", "--quiet", cls.user], timeout=60)
            subprocess.run(["delgroup", "--system", "--quiet", cls.user], timeout=60)
        shutil.rmtree(cls.root, ignore_errors=True)

    def installed(self, path):
        return self.root + path

    def test_the_unit_is_hardened_and_waits_for_readiness(self):
        s = self.service
        self.assertEqual(s["Type"], "notify")
        self.assertNotEqual(s["User"], "root")
        self.assertEqual(s["NoNewPrivileges"], "yes")
        self.assertEqual(s["ProtectSystem"], "strict")
        self.assertEqual(s["Restart"], "on-failure")
        self.assertEqual(s["StateDirectory"], "ofs")
        self.assertEqual(s["ExecReload"], "/bin/kill -HUP $MAINPID")

    def test_the_manual_pages_are_installed(self):
        found = {}
        for dirpath, _, files in os.walk(self.root):
            if dirpath.endswith(os.path.join("man", "man8")):
                found.update({f: os.path.join(dirpath, f) for f in files})
        for page, title in (("ofsd.8", ".TH OFSD 8"), ("ofsctl.8", ".TH OFSCTL 8")):
            self.assertIn(page, found)
            with open(found[page]) as f:
                text = f.read()
            self.assertTrue(text.startswith(title), page)
            self.assertIn(".SH SYNOPSIS", text)
        with open(found["ofsctl.8"]) as f:
            text = f.read()
        for command in ("adduser", "sessions", "kick", "announce", "stats", "reload", "cert import",
                        "delete\\-offline", "create\\-room"):
            self.assertIn(command, text)

    async def test_the_service_runs_as_its_user_and_ofsctl_on_the_path_manages_accounts(self):
        # The unit's command line, relocated into the temporary root.
        command = self.service["ExecStart"].split()
        binary, config_path = self.installed(command[0]), self.installed(command[2])
        self.assertEqual(command[1], "--config")
        self.assertTrue(os.access(binary, os.X_OK), binary)
        bindir = os.path.dirname(binary)
        self.assertTrue(os.access(os.path.join(bindir, "ofsctl"), os.X_OK))

        # The installed configuration, made private as an administrator would: its own
        # state directory (systemd's StateDirectory) and free loopback ports.
        with open(config_path) as f:
            config = f.read()
        self.assertIn('data_dir = "/var/lib/ofs"', config)
        state = os.path.join(self.root, "state")
        os.mkdir(state, 0o750)
        user = pwd.getpwnam(self.user)
        os.chown(state, user.pw_uid, user.pw_gid)
        config = config.replace('data_dir = "/var/lib/ofs"', f'data_dir = "{state}"')
        config = re.sub(r"^(http|https|c2s|c2s_tls) = \d+$", r"\1 = 0", config, flags=re.M)
        config = config.replace('address = "0.0.0.0"', 'address = "127.0.0.1"')
        with open(config_path, "w") as f:
            f.write(config)
        os.chmod(config_path, 0o644)

        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify_path = os.path.join(self.root, "notify")
        notify.bind(notify_path)
        os.chmod(notify_path, 0o777)
        notify.settimeout(20)
        env = {"PATH": bindir + ":" + os.environ["PATH"], "NOTIFY_SOCKET": notify_path}
        proc = subprocess.Popen(
            ["setpriv", f"--reuid={self.user}", f"--regid={self.user}", "--init-groups",
             binary, "--config", config_path],
            cwd=state, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            ready = notify.recv(4096).decode()
            self.assertIn("READY=1", ready)
            banner, ports = [], {}
            for line in proc.stdout:
                banner.append(line)
                if line.startswith("ready"):
                    ports = {k: int(v) for k, v in (w.split("=") for w in line.split()[1:])}
                    break
            self.assertTrue(ports, "".join(banner))
            # Ready means serving: the ports answer.
            socket.create_connection(("127.0.0.1", ports["c2s"]), timeout=5).close()
            # The installed web root is served at /.
            import urllib.request
            with urllib.request.urlopen(f"http://127.0.0.1:{ports['http']}/", timeout=5) as page:
                self.assertIn("OFS", page.read().decode())
            # It runs as the unit's user, not as root.
            with open(f"/proc/{proc.pid}/status") as f:
                uid = re.search(r"^Uid:\s+(\d+)", f.read(), re.M).group(1)
            self.assertEqual(int(uid), user.pw_uid)
            # The banner names an ofsctl command that works from here: on the PATH, with the
            # configuration it would not find by itself.
            add_line = next(l for l in banner if "Add a user:" in l)
            self.assertIn(f"ofsctl --config {config_path} adduser", add_line)

            # ofsctl from the PATH, run as root, works as the state's owner.
            ctl = shutil.which("ofsctl", path=env["PATH"])
            self.assertEqual(ctl, os.path.join(bindir, "ofsctl"))
            run(ctl, "--config", config_path, "adduser", "alice@localhost", "secret")
            listed = run(ctl, "--config", config_path, "list-users").stdout
            self.assertIn("alice@localhost", listed)
            database = os.path.join(state, "ofs.db")
            self.assertEqual(os.stat(database).st_uid, user.pw_uid)

            # The running service accepts the new account.
            sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "xmpp"))
            os.environ.setdefault("OFS_OFSD", binary)
            os.environ.setdefault("OFS_OFSCTL", ctl)
            from harness import Client

            class Installed:
                pass
            server = Installed()
            server.ports = ports
            server.cert = os.path.join(state, "tls", "cert.pem")
            client = await Client(server, "alice@localhost", "secret").login()
            # The live commands reach it too: its session with its connection id, and a reload.
            sessions = json.loads(run(ctl, "--config", config_path, "--json", "sessions").stdout)
            online = {s["jid"]: s for s in sessions["sessions"]}
            self.assertRegex(online[client.boundjid.full]["connection"], r"^c2s-[0-9a-f]+$")
            reloaded = run(ctl, "--config", config_path, "reload").stdout
            self.assertIn(f"reloaded {config_path}", reloaded)
            self.assertIn("needs a restart:  none", reloaded)
            await client.logout()

            proc.send_signal(signal.SIGTERM)
            self.assertIn("STOPPING=1", notify.recv(4096).decode())
            self.assertEqual(proc.wait(timeout=20), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            notify.close()


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("needs root: it runs the service as its own user", file=sys.stderr)
        sys.exit(SKIP)
    unittest.main(verbosity=2)
