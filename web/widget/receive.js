// The receiving half of the widget's client (client.js): stream management counters and
// acks, IQs (results, roster pushes, ping, disco), presence, and messages (chat, receipts,
// chat states, archive results, errors). Mixed into Client's prototype.
import { NS, x, child, children, text, bare, resource, newId } from "./xml.js";

export const receiving = {
  onElement(el) {
    if (!this.established) {
      const w = this.waiting.shift();
      return w ? w(el) : this.inbox.push(el);
    }
    if (el.namespaceURI === NS.sm) return this.onSm(el);
    if (el.localName === "error" && el.namespaceURI === NS.streams) {
      this.closing = true;
      return this.notify("disconnected", streamErrorText(el));
    }
    if (!["message", "presence", "iq"].includes(el.localName)) return;
    if (this.sm) {
      this.sm.h++;
      this.saveSoon();
    }
    try {
      if (el.localName === "message") this.onMessage(el);
      else if (el.localName === "presence") this.onPresence(el);
      else this.onIq(el);
    } catch (e) {
      this.notify("error", `a stanza could not be handled: ${e.message}`);
    }
  },

  saveSoon() {
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.save(), 50);
  },

  onSm(el) {
    if (el.localName === "enabled") {
      this.sm = { id: el.getAttribute("id") || undefined, h: 0, outCount: 0, unacked: [] };
      return this.save();
    }
    if (!this.sm) return;
    if (el.localName === "r") return this.transport.send(x("a", { xmlns: NS.sm, h: String(this.sm.h) }));
    if (el.localName === "a") {
      const h = Number(el.getAttribute("h"));
      this.sm.unacked.splice(0, Math.max(0, h - this.sm.outCount));
      this.sm.outCount = h;
    }
  },

  onIq(el) {
    const type = el.getAttribute("type");
    const id = el.getAttribute("id");
    if (type === "result" || type === "error") {
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      return type === "result" ? p.resolve(el) : p.reject(new Error(stanzaErrorText(el)));
    }
    const payload = el.firstElementChild;
    const reply = (children) =>
      this.send(x("iq", { xmlns: NS.client, type: "result", id, to: el.getAttribute("from") || undefined }, children));
    if (type === "set" && payload && payload.namespaceURI === NS.roster) {
      for (const item of children(payload, "item")) this.rosterItem(item);
      this.changed();
      return reply();
    }
    if (type === "get" && payload && payload.namespaceURI === "urn:xmpp:ping") return reply();
    if (type === "get" && payload && payload.namespaceURI === NS.disco)
      return reply(x("query", { xmlns: NS.disco },
        x("identity", { category: "client", type: "web", name: "OFS web chat" }),
        [NS.disco, NS.receipts, NS.chatstates, "urn:xmpp:ping"].map((f) => x("feature", { var: f }))));
    this.send(x("iq", { xmlns: NS.client, type: "error", id, to: el.getAttribute("from") || undefined },
      x("error", { type: "cancel" }, x("service-unavailable", { xmlns: NS.stanzas }))));
  },

  onPresence(el) {
    const from = el.getAttribute("from");
    if (!from || bare(from) === bare(this.jid)) return;
    const type = el.getAttribute("type");
    if (type && type !== "unavailable") return;  // subscriptions are managed elsewhere
    const c = this.contact(from);
    const res = resource(from);
    if (type === "unavailable") delete c.resources[res];
    else c.resources[res] = { show: text(child(el, "show")) || "available", status: text(child(el, "status")) };
    this.changed();
  },

  onMessage(el) {
    const result = child(el, "result", NS.mam);
    if (result && this.archiveQuery && result.getAttribute("queryid") === this.archiveQuery.queryid) {
      const fwd = child(result, "forwarded", NS.forward);
      const m = child(fwd, "message");
      const stamp = child(fwd, "delay", NS.delay);
      if (m && child(m, "body")) {
        const out = bare(m.getAttribute("from")) === bare(this.jid);
        this.archiveQuery.found.push({
          id: m.getAttribute("id") || result.getAttribute("id"), dir: out ? "out" : "in", body: text(child(m, "body")),
          time: stamp ? Date.parse(stamp.getAttribute("stamp")) : Date.now(), receipt: out,
        });
      }
      return;
    }
    const from = el.getAttribute("from") || "";
    const peer = bare(from);
    const type = el.getAttribute("type");
    if (type === "error") {
      const m = this.chat(peer).find((m) => m.id === el.getAttribute("id"));
      if (m) m.error = stanzaErrorText(el);
      this.notify("chat", peer);
      return this.save();
    }
    const received = child(el, "received", NS.receipts);
    if (received) {
      const m = this.chat(peer).find((m) => m.id === received.getAttribute("id"));
      if (m) m.receipt = true;
      this.notify("chat", peer);
      this.save();
    }
    for (const state of ["composing", "paused", "active", "inactive", "gone"])
      if (child(el, state, NS.chatstates)) this.notify("chatstate", { peer, state });
    const body = child(el, "body");
    if (!body) return;
    const id = el.getAttribute("id") || newId("in");
    const stamp = child(el, "delay", NS.delay);
    this.contact(peer);
    const list = this.chat(peer);
    if (!list.some((m) => m.id === id && m.dir === "in"))
      list.push({ id, dir: "in", body: text(body), time: stamp ? Date.parse(stamp.getAttribute("stamp")) : Date.now() });
    this.trim(peer);
    if (child(el, "request", NS.receipts) && el.getAttribute("id"))
      this.send(x("message", { xmlns: NS.client, to: from, id: newId("r") }, x("received", { xmlns: NS.receipts, id })));
    this.notify("message", { peer, body: text(body) });
    this.notify("chat", peer);
    this.changed();
  },

  onClose(t, why) {
    if (t !== this.transport) return;
    for (const w of this.waiting.splice(0)) w(fakeError(why));
    this.established = false;
    if (!this.closing) this.notify("disconnected", why);
  },

  // Before the page goes away: save, and leave the session for resumption.
  pagehide() {
    this.save();
    if (this.transport && this.transport.kind === "websocket") this.transport.drop();
  },
};

// What a waiting negotiation step gets when the connection ends under it.
function fakeError(why) {
  const doc = new DOMParser().parseFromString("<error xmlns='http://etherx.jabber.org/streams'/>", "text/xml");
  doc.documentElement.setAttribute("reason", why);
  return doc.documentElement;
}

export function streamErrorText(el) {
  if (el.getAttribute("reason")) return el.getAttribute("reason");
  const t = [...el.children].find((c) => c.localName === "text");
  if (t) return t.textContent;
  const c = el.firstElementChild;
  return c ? c.localName : "the connection ended";
}

export function stanzaErrorText(el) {
  const err = child(el, "error");
  if (!err) return "error";
  const t = child(err, "text", NS.stanzas);
  return t ? t.textContent : err.firstElementChild ? err.firstElementChild.localName : "error";
}
