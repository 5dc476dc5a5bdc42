// The two ways the widget reaches ofsd: XMPP over WebSocket (RFC 7395, one element per
// message) and BOSH (XEP-0124/0206, elements inside <body/> wrappers). Both hand parsed
// elements to onElement(el) and report the end with onClose(reason); the client above
// speaks XMPP the same way over either.
import { NS, x, serialize, parse } from "./xml.js";

export class WebSocketTransport {
  constructor(url) {
    this.url = url;
    this.kind = "websocket";
    this.onElement = () => {};
    this.onClose = () => {};
  }

  connect(domain) {
    this.domain = domain;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url, "xmpp");
      this.ws = ws;
      let opened = false;
      ws.onopen = () => {
        opened = true;
        this.openStream();
        resolve();
      };
      ws.onerror = () => {
        if (!opened) reject(new Error(`cannot open a WebSocket to ${this.url}`));
      };
      ws.onclose = (e) => {
        if (opened) this.onClose(e.reason || "the WebSocket closed");
        else reject(new Error(`the WebSocket to ${this.url} was refused`));
      };
      ws.onmessage = (e) => {
        let el;
        try {
          el = parse(e.data);
        } catch (err) {
          return this.onClose(err.message);
        }
        if (el.localName === "open" && el.namespaceURI === NS.framing) return;
        if (el.localName === "close" && el.namespaceURI === NS.framing) return ws.close();
        this.onElement(el);
      };
    });
  }

  openStream() {
    this.sendRaw(serialize(x("open", { xmlns: NS.framing, to: this.domain, version: "1.0" })));
  }
  restart() {
    this.openStream();
  }
  send(node) {
    this.sendRaw(serialize(node));
  }
  sendRaw(text) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
  }
  // A logout: the stream is closed, which also ends the session for stream management.
  close() {
    this.sendRaw(serialize(x("close", { xmlns: NS.framing })));
    setTimeout(() => this.ws && this.ws.close(), 200);
  }
  // Gone without a word (a reload): the server keeps the session for resumption.
  drop() {
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close();
    }
  }
  state() {
    return null;  // nothing to restore but stream management's
  }
}

export class BoshTransport {
  constructor(url) {
    this.url = url;
    this.kind = "bosh";
    this.onElement = () => {};
    this.onClose = () => {};
    this.queue = [];
    this.inflight = 0;
    this.ended = false;
  }

  // A new BOSH session (XEP-0206 7.1).
  async connect(domain) {
    this.domain = domain;
    this.rid = Math.floor(Math.random() * 2 ** 40) + 1;
    const body = x("body", {
      xmlns: NS.httpbind, "xmlns:xmpp": NS.xbosh, to: domain, "xml:lang": "en", wait: "30", hold: "1",
      rid: String(this.rid++), ver: "1.6", "xmpp:version": "1.0", content: "text/xml; charset=utf-8",
    });
    const reply = await this.post(serialize(body));
    if (reply.getAttribute("type") === "terminate")
      throw new Error(`the BOSH connection was refused: ${reply.getAttribute("condition") || "terminate"}`);
    this.sid = reply.getAttribute("sid");
    this.requests = Number(reply.getAttribute("requests") || 2);
    this.deliver(reply);
    this.pump();
  }

  // The session a previous page left (sid and the next rid): true when the server still has
  // it. A live session holds the request (up to "wait"); an unknown one answers at once.
  resume(domain, saved) {
    this.domain = domain;
    this.sid = saved.sid;
    this.rid = saved.rid;
    this.requests = saved.requests || 2;
    return new Promise((resolve) => {
      this.restoring = (ok) => {
        this.restoring = null;
        resolve(ok);
      };
      this.pump();
      setTimeout(() => this.restoring && this.restoring(true), 1500);
    });
  }

  // Ends the transport: a failed restore says so to resume(), anything else to the client.
  end(reason) {
    if (this.ended) return;
    this.ended = true;
    if (this.restoring) return this.restoring(false);
    this.onClose(reason);
  }

  wrap(nodes, extra = {}) {
    const attrs = { xmlns: NS.httpbind, sid: this.sid, rid: String(this.rid++), ...extra };
    this.onRid && this.onRid(this.rid);
    return x("body", attrs, ...nodes);
  }

  async post(text) {
    const res = await fetch(this.url, { method: "POST", body: text, headers: { "Content-Type": "text/xml; charset=utf-8" } });
    if (!res.ok) throw new Error(`BOSH request failed: HTTP ${res.status}`);
    return parse(await res.text());
  }

  deliver(body) {
    for (const el of [...body.children]) this.onElement(el);
  }

  // Keeps one request held at the server and sends what is queued, within the allowed count.
  pump(extra) {
    if (this.ended) return;
    while (this.inflight < this.requests && (this.queue.length || this.inflight === 0 || extra)) {
      const nodes = this.queue.splice(0);
      const text = serialize(this.wrap(nodes, extra || {}));
      extra = undefined;
      this.inflight++;
      this.post(text).then(
        (reply) => {
          this.inflight--;
          if (reply.getAttribute("type") === "terminate") {
            if (!this.restoring) this.deliver(reply);
            return this.end(reply.getAttribute("condition") || "the BOSH session ended");
          }
          if (this.restoring) this.restoring(true);
          this.deliver(reply);
          this.pump();
        },
        (err) => {
          this.inflight--;
          this.end(err.message);
        },
      );
    }
  }

  restart() {
    this.pump({ "xmpp:restart": "true", "xmlns:xmpp": NS.xbosh, to: this.domain, "xml:lang": "en" });
  }
  send(node) {
    this.queue.push(node);
    this.pump();
  }
  close() {
    this.ended = true;
    fetch(this.url, { method: "POST", body: serialize(this.wrap([], { type: "terminate" })) }).catch(() => {});
  }
  drop() {
    this.ended = true;
  }
  state() {
    return { sid: this.sid, rid: this.rid, requests: this.requests };
  }
}
