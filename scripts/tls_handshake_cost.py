#!/usr/bin/env python3
"""Server CPU per TLS connection on the direct TLS port, with a full handshake and with a
resumed one (a session ticket of an earlier connection). Starts the built ofsd on one core
with a private configuration, opens N connections of each kind from another core (handshake,
stream header, features, close), and reads ofsd's CPU time from /proc around each batch.

    scripts/tls_handshake_cost.py [--ofsd build/server/ofsd] [--connections 2000]
"""
import argparse
import os
import socket
import ssl
import subprocess
import tempfile
import time

HEADER = (b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
          b"to='localhost' version='1.0'>")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def connect(port, ctx, session=None):
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle wait after Finished
    s = ctx.wrap_socket(raw, server_hostname="localhost", session=session)
    s.sendall(HEADER)
    got = b""
    while b"</stream:features>" not in got:  # the ticket is read on the way
        chunk = s.recv(65536)
        if not chunk:
            raise RuntimeError("ofsd closed the stream: " + got.decode(errors="replace"))
        got += chunk
    return s


def batch(pid, port, ctx, n, session, idle_cpu):
    before, start = cpu_seconds(pid), time.monotonic()
    reused = 0
    for _ in range(n):
        s = connect(port, ctx, session)
        reused += s.session_reused
        s.close()
    wall = time.monotonic() - start
    return cpu_seconds(pid) - before - idle_cpu * wall, wall, reused  # less what it spends idle


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ofsd", default="build/server/ofsd")
    ap.add_argument("--connections", type=int, default=2000)
    ap.add_argument("--server-cpu", default="0")
    ap.add_argument("--client-cpu", type=int, default=1)
    args = ap.parse_args()
    os.sched_setaffinity(0, {args.client_cpu})
    with tempfile.TemporaryDirectory() as d:
        with open(f"{d}/ofs.toml", "w") as f:
            f.write(f'[server]\ndomains = ["localhost"]\ndata_dir = "{d}/var"\nthreads = 1\n'
                    '[log]\nlevel = "warn"\n'
                    '[listen]\naddress = "127.0.0.1"\nhttp = false\nhttps = false\nc2s = false\nc2s_tls = 0\n')
        server = subprocess.Popen(["taskset", "-c", args.server_cpu, args.ofsd, "--config", f"{d}/ofs.toml"],
                                  stdout=subprocess.PIPE, text=True)
        try:
            port = None
            for line in server.stdout:
                if line.startswith("ready"):
                    port = int(dict(kv.split("=") for kv in line.split()[1:])["c2s_tls"])
                    break
            if port is None:
                raise SystemExit("ofsd did not start")
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            first = connect(port, ctx)
            session = first.session
            print(f"{first.version()} {first.cipher()[0]}, ticket: {session is not None and session.has_ticket}")
            first.close()
            batch(server.pid, port, ctx, 200, None, 0)  # warm-up
            before = cpu_seconds(server.pid)
            time.sleep(5)
            idle_cpu = (cpu_seconds(server.pid) - before) / 5
            print(f"idle: {idle_cpu * 100:.2f} % of a core")
            for name, offered in (("full", None), ("resumed", session)):
                cpu, wall, reused = batch(server.pid, port, ctx, args.connections, offered, idle_cpu)
                print(f"{name:8} {args.connections} connections: server CPU {cpu * 1e6 / args.connections:6.0f} us "
                      f"each, {args.connections / wall:6.0f}/s, {reused} resumed")
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
