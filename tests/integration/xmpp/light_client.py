"""A small asyncio XMPP client for fault scenarios that need hundreds of sessions and exact
bookkeeping: PLAIN without TLS on loopback (the server must set [c2s] require_tls = false and
allow_plain_on_loopback = true), XEP-0077 registration, and every stanza recorded by id.

Messages carry their id both as the id attribute and as the body, so that what arrives (live,
from offline storage, or as a bounce) can be matched to what was sent.
"""
import asyncio
import base64
import itertools
import socket
import struct
import xml.etree.ElementTree as ET

STREAM_NS = "http://etherx.jabber.org/streams"
SASL_NS = "urn:ietf:params:xml:ns:xmpp-sasl"
BIND_NS = "urn:ietf:params:xml:ns:xmpp-bind"
CLIENT = "{jabber:client}"
HEADER = ("<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' "
          f"xmlns:stream='{STREAM_NS}' version='1.0'>")
TIMEOUT = 10
_ids = itertools.count()


def esc(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&apos;")


class StreamClosed(Exception):
    pass


class LightClient:
    """One XMPP session. After login a reader task records, until the server closes the stream:
    `received` (message ids, in arrival order, duplicates kept), `bounced` (message id -> error
    condition) and `stream_error`. The client answers the server's </stream:stream> with its own,
    as a well-behaved client does, so a stopping server is not kept waiting."""

    def __init__(self, port, user, password="secret", resource="r", rcvbuf=None):
        self.port, self.user, self.password, self.resource = port, user, password, resource
        self.rcvbuf = rcvbuf  # a small receive buffer keeps the server's writes pending
        self.jid = f"{user}@localhost"
        self.received = []
        self.bounced = {}
        self.stream_error = None
        self.closed = asyncio.Event()
        self.message_arrived = asyncio.Event()
        self.sent = []  # message ids in the order they were written
        self.acked = 0  # sent[:acked] were read by the server before an iq it answered
        self._negotiation = asyncio.Queue()
        self._pending = {}  # iq id -> future
        self._depth = 0
        self._root = None
        self._restart = False
        self._reader_task = None
        self.writer = None

    # --- connection and negotiation -------------------------------------------------------
    async def _open(self):
        sock = socket.socket()
        sock.setblocking(False)
        if self.rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        try:
            await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", self.port)), TIMEOUT)
        except BaseException:
            sock.close()
            raise
        self.reader, self.writer = await asyncio.open_connection(sock=sock)
        self._new_parser()
        self._reader_task = asyncio.create_task(self._read_loop())
        self._write(HEADER)
        return await self._expect("features")

    def _new_parser(self):
        self._parser = ET.XMLPullParser(events=("start", "end"))
        self._depth = 0
        self._root = None

    async def _expect(self, name):
        e = await asyncio.wait_for(self._negotiation.get(), TIMEOUT)
        if e is None:
            raise StreamClosed(f"{self.jid}: stream closed while waiting for <{name}/> "
                               f"(stream error: {self.stream_error})")
        return e

    async def register(self):
        """Creates the account with XEP-0077 on a stream of its own, then closes it."""
        await self._open()
        iq_id = f"reg{next(_ids)}"
        self._write(f"<iq type='set' id='{iq_id}'><query xmlns='jabber:iq:register'>"
                    f"<username>{esc(self.user)}</username><password>{esc(self.password)}</password>"
                    "</query></iq>")
        reply = await self._expect("iq")
        await self.close()
        if reply.get("type") != "result":
            raise AssertionError(f"registering {self.jid} failed: {ET.tostring(reply).decode()}")

    async def login(self, presence=True):
        features = await self._open()
        mechs = [m.text for m in features.iter(f"{{{SASL_NS}}}mechanism")]
        if "PLAIN" not in mechs:
            raise AssertionError(f"PLAIN not offered on loopback: {mechs}")
        token = base64.b64encode(f"\0{self.user}\0{self.password}".encode()).decode()
        self._write(f"<auth xmlns='{SASL_NS}' mechanism='PLAIN'>{token}</auth>")
        outcome = await self._expect("success")
        if not outcome.tag.endswith("success"):
            raise AssertionError(f"{self.jid}: authentication failed: {ET.tostring(outcome).decode()}")
        self._write(HEADER)
        await self._expect("features")
        self._write(f"<iq type='set' id='bind'><bind xmlns='{BIND_NS}'>"
                    f"<resource>{self.resource}</resource></bind></iq>")
        bound = await self._expect("iq")
        if bound.get("type") != "result":
            raise AssertionError(f"{self.jid}: bind failed: {ET.tostring(bound).decode()}")
        self._negotiation = None  # from now on every stanza goes to _dispatch
        if presence:
            self._write("<presence/>")
        return self

    # --- traffic --------------------------------------------------------------------------
    def _write(self, text):
        if self.writer.is_closing():
            raise StreamClosed(self.jid)
        self.writer.write(text.encode())

    def send_message(self, to, mid, body=None):
        """Records the id as sent, then writes the message to a user name or JID."""
        to = to if "@" in to else f"{to}@localhost"
        self.sent.append(mid)
        self._write(f"<message to='{to}' type='chat' id='{mid}'><body>{esc(body or mid)}</body></message>")

    async def ping(self, timeout=TIMEOUT):
        """An XEP-0199 ping to the server; True when answered. An answer proves that the server
        read every message written before it, so those are counted as acknowledged."""
        iq_id = f"p{next(_ids)}"
        covered = len(self.sent)
        fut = asyncio.get_running_loop().create_future()
        self._pending[iq_id] = fut
        try:
            self._write(f"<iq type='get' to='localhost' id='{iq_id}'><ping xmlns='urn:xmpp:ping'/></iq>")
            await self.writer.drain()
            ok = await asyncio.wait_for(fut, timeout)
        except (StreamClosed, ConnectionError, asyncio.TimeoutError):
            return False
        finally:
            self._pending.pop(iq_id, None)
        if ok:
            self.acked = max(self.acked, covered)
        return ok

    async def close(self):
        """Ends the stream politely and waits (bounded) for the server to close it."""
        if self.writer and not self.writer.is_closing():
            try:
                self.writer.write(b"</stream:stream>")
                await self.writer.drain()
            except ConnectionError:
                pass
        try:
            await asyncio.wait_for(self.closed.wait(), TIMEOUT)
        except asyncio.TimeoutError:
            pass
        self.drop()

    def abort(self):
        """Drops the connection at once with a TCP reset: unread data is lost, as when a
        client crashes or its network goes away."""
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()
        self.drop()

    def drop(self):
        """Stops reading and closes the socket without a word: the end of every test."""
        if self._reader_task:
            self._reader_task.cancel()
        if self.writer:
            self.writer.close()
        self.closed.set()

    # --- reading --------------------------------------------------------------------------
    async def _read_loop(self):
        try:
            while True:
                data = await self.reader.read(65536)
                if not data:
                    break
                self._parser.feed(data)
                for event, elem in self._parser.read_events():
                    self._on_event(event, elem)
                if self._restart:  # after SASL success the next bytes start a new document
                    self._restart = False
                    self._new_parser()
        except (ConnectionError, ET.ParseError):
            pass
        finally:
            self.closed.set()
            if self._negotiation is not None:
                self._negotiation.put_nowait(None)
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_result(False)
            if self.writer and not self.writer.is_closing():
                self.writer.close()

    def _on_event(self, event, elem):
        if event == "start":
            self._depth += 1
            if self._depth == 1:
                self._root = elem
            return
        self._depth -= 1
        if self._depth == 0:  # the server's </stream:stream>: answer it and close
            if not self.writer.is_closing():
                self.writer.write(b"</stream:stream>")
                self.writer.close()
        elif self._depth == 1:
            self._root.remove(elem)
            if elem.tag == f"{{{STREAM_NS}}}error":
                self.stream_error = next((c.tag.split("}")[1] for c in elem), "?")
            elif self._negotiation is not None:
                if elem.tag == f"{{{SASL_NS}}}success":
                    self._restart = True
                self._negotiation.put_nowait(elem)
            else:
                self._dispatch(elem)

    def _dispatch(self, s):
        if s.tag == CLIENT + "message":
            if s.get("type") == "error":
                err = s.find(CLIENT + "error")
                cond = next((c.tag.split("}")[1] for c in err if "stanzas" in c.tag), "?") if err is not None else "?"
                body = s.find(CLIENT + "body")
                mid = s.get("id") or (body.text.split(" ", 1)[0] if body is not None and body.text else "?")
                self.bounced[mid] = cond
            else:
                body = s.find(CLIENT + "body")
                # The id is the body's first word; the rest may be padding.
                self.received.append(body.text.split(" ", 1)[0] if body is not None and body.text else s.get("id"))
                self.message_arrived.set()
        elif s.tag == CLIENT + "iq":
            fut = self._pending.get(s.get("id"))
            if fut is not None and not fut.done():
                fut.set_result(s.get("type") == "result")
            elif s.get("type") in ("get", "set") and not self.writer.is_closing():
                # e.g. the server's own ping: answer it
                to = f" to='{esc(s.get('from'))}'" if s.get("from") else ""
                self.writer.write(f"<iq type='result' id='{esc(s.get('id', ''))}'{to}/>".encode())
