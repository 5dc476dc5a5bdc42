"""Certificates per domain: `ofsctl cert import` of a directory laid out like Let's Encrypt's
live/ folder, picked by SNI on the TLS ports, with a warning before one expires."""
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from harness import OFSCTL, OFSD


def make_certificate(directory, name, days):
    """A self-signed certificate and key for `name`, as Let's Encrypt lays them out."""
    os.makedirs(directory)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
                    "-days", str(days), "-keyout", os.path.join(directory, "privkey.pem"),
                    "-out", os.path.join(directory, "fullchain.pem")],
                   check=True, capture_output=True, timeout=30)


def presented_certificate(port, server_name):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=server_name) as tls:
            return tls.getpeercert(binary_form=True)


class CertificateTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ofs-certs-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.config = os.path.join(self.dir, "ofs.toml")
        with open(self.config, "w") as f:
            f.write(f'[server]\ndomains = ["localhost", "example.test"]\ndata_dir = "{self.dir}/var"\n'
                    '[listen]\naddress = "127.0.0.1"\nhttp = 0\nhttps = 0\nc2s = 0\nc2s_tls = 0\n')

    def ctl(self, *args):
        return subprocess.run([OFSCTL, "--config", self.config, *args], capture_output=True, text=True,
                              timeout=30)

    def start(self):
        log = open(os.path.join(self.dir, "log"), "w")
        proc = subprocess.Popen([OFSD, "--config", self.config], stdout=subprocess.PIPE, stderr=log, text=True)
        self.addCleanup(lambda: (proc.terminate(), proc.wait(10), log.close()))
        for line in proc.stdout:
            if line.startswith("ready"):
                return {k: int(v) for k, v in (w.split("=") for w in line.split()[1:])}
        raise AssertionError("ofsd did not start: " + open(os.path.join(self.dir, "log")).read())

    def log(self):
        with open(os.path.join(self.dir, "log")) as f:
            return f.read()

    def test_an_imported_certificate_is_chosen_by_sni_and_its_expiry_announced(self):
        letsencrypt = os.path.join(self.dir, "letsencrypt")
        make_certificate(os.path.join(letsencrypt, "live", "example.test"), "example.test", days=5)
        r = self.ctl("cert", "import", letsencrypt)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("imported the certificate of example.test", r.stdout)
        self.assertIn("expires on", r.stdout)
        installed = os.path.join(self.dir, "var", "certs", "example.test")
        self.assertEqual(os.stat(os.path.join(installed, "privkey.pem")).st_mode & 0o077, 0)

        ports = self.start()
        with open(os.path.join(installed, "fullchain.pem")) as f:
            imported = ssl.PEM_cert_to_DER_cert(f.read())
        for port in (ports["c2s_tls"], ports["https"]):
            self.assertEqual(presented_certificate(port, "example.test"), imported)
            self.assertEqual(presented_certificate(port, "EXAMPLE.test"), imported)
            self.assertNotEqual(presented_certificate(port, "localhost"), imported)
        deadline = time.time() + 5
        while "TLS certificate of example.test expires on" not in self.log() and time.time() < deadline:
            time.sleep(0.1)
        self.assertIn("TLS certificate of example.test expires on", self.log())

    def test_a_key_that_does_not_match_is_refused(self):
        source = os.path.join(self.dir, "live")
        make_certificate(os.path.join(source, "example.test"), "example.test", days=90)
        make_certificate(os.path.join(self.dir, "other"), "example.test", days=90)
        shutil.copy(os.path.join(self.dir, "other", "privkey.pem"), os.path.join(source, "example.test"))
        r = self.ctl("cert", "import", source)
        self.assertEqual(r.returncode, 1)
        self.assertIn("does not match its private key", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "var", "certs", "example.test")))

    def test_nothing_for_the_served_domains_is_an_error(self):
        make_certificate(os.path.join(self.dir, "live", "elsewhere.test"), "elsewhere.test", days=90)
        r = self.ctl("cert", "import", os.path.join(self.dir, "live"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("no certificate for any served domain (localhost, example.test)", r.stderr)


if __name__ == "__main__":
    unittest.main()
