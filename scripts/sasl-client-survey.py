#!/usr/bin/python3
"""Which GS2 channel-binding flag do packaged XMPP clients send when ofsd offers SCRAM -PLUS
over TLS, and do they still log in when the server refuses SCRAM's "y" flag?

Runs the built ofsd twice on free loopback ports (c2s.refuse_cb_downgrade false, then true),
logs each client in over STARTTLS and prints, per client and setting, every SASL <auth/> it
sent (mechanism and GS2 flag), the failures it got and whether it logged in.

    scripts/sasl-client-survey.py [build-dir]

Clients (each skipped when missing): slixmpp, aioxmpp, nbxmpp (Gajim's library), libstrophe
through profanity, go-sendxmpp and sendxmpp.
"""
import asyncio
import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
os.environ.setdefault("OFS_OFSD", os.path.join(BUILD, "server", "ofsd"))
os.environ.setdefault("OFS_OFSCTL", os.path.join(BUILD, "server", "ofsctl"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "xmpp"))
import harness  # noqa: E402  (the integration tests' server runner)

PASSWORD = "secret"
TIMEOUT = 15
AUTH_RE = re.compile(r"<auth[^>]*mechanism=[\"']([A-Z0-9-]+)[\"'][^>]*?(?:/>|>([^<]*)</auth>)")
FAILURE_RE = re.compile(r"<failure[^>]*xmpp-sasl[^>]*>\s*<([a-z-]+)")


def describe_auths(sent):
    """The <auth/> elements in the sent text, as "MECH(flag)"."""
    out = []
    for mech, payload in AUTH_RE.findall(sent):
        flag = ""
        if mech.startswith("SCRAM") and payload and payload != "=":
            flag = base64.b64decode(payload).split(b",", 1)[0].decode()
        out.append(f"{mech}({flag})" if flag else mech)
    return out


def version(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg], capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else None


async def try_slixmpp(server, jid):
    import slixmpp
    sent, received = [], []
    c = slixmpp.ClientXMPP(jid, PASSWORD)
    c.ca_certs = server.cert
    send_raw = c.send_raw
    c.send_raw = lambda data: (sent.append(str(data)), send_raw(data))[1]
    c.add_event_handler("failed_auth", lambda f: received.append(str(f)))
    c.connect(("127.0.0.1", server.ports["c2s"]), force_starttls=True)
    ok = await logged_in(c)
    c.disconnect()
    return ok, "".join(sent), "".join(received)


async def try_aioxmpp(server, jid):
    import aioxmpp
    import aioxmpp.sasl
    sent = []
    initiate = aioxmpp.sasl.SASLXMPPInterface.initiate

    async def recording(self, mechanism, payload=None):
        text = base64.b64encode(payload).decode() if payload else ""
        sent.append(f"<auth mechanism='{mechanism}'>{text}</auth>")
        try:
            return await initiate(self, mechanism, payload)
        except Exception as e:
            sent.append(f"<failure xmlns='xmpp-sasl'><{getattr(e, 'opaque_error', 'error')}/>")
            raise
    aioxmpp.sasl.SASLXMPPInterface.initiate = recording
    client = aioxmpp.PresenceManagedClient(
        aioxmpp.JID.fromstr(jid), aioxmpp.make_security_layer(PASSWORD, no_verify=True),
        override_peer=[("127.0.0.1", server.ports["c2s"], aioxmpp.connector.STARTTLSConnector())])
    try:
        async with asyncio.timeout(TIMEOUT):
            async with client.connected():
                ok = True
    except Exception:
        ok = False
    finally:
        aioxmpp.sasl.SASLXMPPInterface.initiate = initiate
    text = "".join(sent)
    return ok, text, text


def try_nbxmpp(server, jid):
    code = f"""
import sys
from gi.repository import GLib
from nbxmpp.client import Client
from nbxmpp.const import ConnectionProtocol, ConnectionType
user, domain = {jid!r}.split("@")
sent, got, result = [], [], {{"ok": False}}
loop = GLib.MainLoop()
c = Client()
c.set_domain(domain); c.set_username(user); c.set_password({PASSWORD!r}); c.set_resource("survey")
c.set_custom_host("127.0.0.1:{server.ports['c2s']}", ConnectionProtocol.TCP, ConnectionType.START_TLS)
c.set_ignore_tls_errors(True)
c.subscribe("stanza-sent", lambda _c, _s, d: sent.append(str(d)))
c.subscribe("stanza-received", lambda _c, _s, d: got.append(str(d)))
def done(ok):
    result["ok"] = ok
    loop.quit()
c.subscribe("connected", lambda *a: done(True))
c.subscribe("connection-failed", lambda *a: done(False))
c.subscribe("disconnected", lambda *a: done(False))
GLib.timeout_add_seconds({TIMEOUT}, lambda: done(False))
c.connect()
loop.run()
print("OK" if result["ok"] else "FAILED")
print("SENT" + "".join(sent).replace("\\n", " "))
print("GOT" + "".join(got).replace("\\n", " "))
"""
    r = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True, text=True, timeout=TIMEOUT + 10)
    lines = r.stdout.splitlines()
    sent = next((l[4:] for l in lines if l.startswith("SENT")), "")
    got = next((l[3:] for l in lines if l.startswith("GOT")), "")
    return bool(lines) and lines[0] == "OK", sent, got


def try_profanity(server, jid):
    """profanity in tmux, typed to as a person would (as tests/integration/xmpp does); what
    libstrophe sends is in profanity's debug log."""
    home = tempfile.mkdtemp(prefix="ofs-profanity-")
    session = "ofs-survey-" + os.path.basename(home)
    log = os.path.join(home, "profanity.log")
    tmux = lambda *a: subprocess.run(["tmux", *a], capture_output=True, text=True, timeout=10).stdout
    try:
        env = f"HOME={home} XDG_CONFIG_HOME={home}/.config XDG_DATA_HOME={home}/.local/share TERM=xterm"
        tmux("new-session", "-d", "-s", session, "-x", "200", "-y", "50", f"env {env} profanity -l DEBUG -f {log}")
        wait_for(lambda: "Type '/help'" in tmux("capture-pane", "-p", "-t", session))
        tmux("send-keys", "-t", session, "-l", f"/connect {jid} server 127.0.0.1 port {server.ports['c2s']} tls trust")
        tmux("send-keys", "-t", session, "Enter")
        wait_for(lambda: "Enter password" in tmux("capture-pane", "-p", "-t", session))
        tmux("send-keys", "-t", session, "-l", PASSWORD)
        tmux("send-keys", "-t", session, "Enter")
        ok = wait_for(lambda: "logged in successfully" in tmux("capture-pane", "-p", "-t", session))
        text = open(log, errors="replace").read() if os.path.exists(log) else ""
        return ok, "".join(re.findall(r"SENT: (.*)", text)), "".join(re.findall(r"RECV: (.*)", text))
    finally:
        tmux("kill-session", "-t", session)
        shutil.rmtree(home, ignore_errors=True)


def wait_for(pred, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.2)
    return False


def try_go_sendxmpp(server, jid):
    r = subprocess.run(["go-sendxmpp", "--debug", "-n", "-u", jid, "-p", PASSWORD, "-j",
                        f"127.0.0.1:{server.ports['c2s']}", jid],
                       input="survey\n", capture_output=True, text=True, timeout=TIMEOUT + 10)
    out = r.stdout + r.stderr
    return r.returncode == 0, out, out


def try_sendxmpp(server, jid):
    user, domain = jid.split("@")
    r = subprocess.run(["sendxmpp", "-d", "-t", "-n", "-u", user, "-p", PASSWORD, "-o", domain, "-j",
                        f"127.0.0.1:{server.ports['c2s']}", jid],
                       input="survey\n", capture_output=True, text=True, timeout=TIMEOUT + 10)
    out = r.stdout + r.stderr
    return r.returncode == 0, out, out


async def logged_in(client):
    """True at session start, False when disconnected first or after TIMEOUT."""
    start = asyncio.ensure_future(client.wait_until("session_start"))
    gone = asyncio.ensure_future(client.wait_until("disconnected"))
    done, pending = await asyncio.wait([start, gone], timeout=TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
    for p in pending:
        p.cancel()
    return start in done


CLIENTS = [  # name, Debian package, runner, is it a coroutine
    ("slixmpp", "python3-slixmpp", try_slixmpp, True),
    ("aioxmpp", "python3-aioxmpp", try_aioxmpp, True),
    ("nbxmpp (Gajim)", "python3-nbxmpp", try_nbxmpp, False),
    ("profanity (libstrophe)", "profanity", try_profanity, False),
    ("go-sendxmpp", "go-sendxmpp", try_go_sendxmpp, False),
    ("sendxmpp", "sendxmpp", try_sendxmpp, False),
]


async def survey(refuse):
    server = harness.Server(f"[c2s]\nrefuse_cb_downgrade = {'true' if refuse else 'false'}\n")
    rows = []
    try:
        for i, (name, pkg, run, is_async) in enumerate(CLIENTS):
            ver = version(pkg)
            if not ver:
                rows.append((name, "not installed", "", "", ""))
                continue
            jid = server.add_user(f"survey{i}")
            try:
                ok, sent, got = await run(server, jid) if is_async else run(server, jid)
            except Exception as e:  # a client that cannot be driven is reported, not fatal
                ok, sent, got = False, "", f"<failure xmlns='xmpp-sasl'><{type(e).__name__}/>"
            auths = " ".join(describe_auths(sent))
            if not auths and name == "go-sendxmpp":  # its --debug shows only what it receives
                auths = "PLAIN (no SCRAM in this version)"
            rows.append((name, ver, auths or "-",
                         " ".join(FAILURE_RE.findall(got)) or "-", "logged in" if ok else "FAILED"))
    finally:
        server.stop()
    return rows


def main():
    for refuse in (False, True):
        print(f"\nc2s.refuse_cb_downgrade = {str(refuse).lower()}\n")
        print("| client | Debian version | <auth/> attempts (GS2 flag) | failures | result |")
        print("| --- | --- | --- | --- | --- |")
        for row in asyncio.run(survey(refuse)):
            print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
