// The widget's XMPP client: discovery (XEP-0156), login (sasl.js), binding, stream management
// with resumption (XEP-0198), roster and presence, one-to-one chat with receipts (XEP-0184),
// chat states (XEP-0085) and history from the archive (XEP-0313) when disco says it is there.
// Receiving is in receive.js. The conversation, the roster snapshot, the stream management state and the login token
// (never the password) live in sessionStorage, so a reload continues where it was.
import { NS, x, child, children, text, bare, domainOf, newId } from "./xml.js";
import { WebSocketTransport, BoshTransport } from "./transport.js";
import * as sasl from "./sasl.js";
import { receiving, streamErrorText } from "./receive.js";

export class LoginError extends Error {
  constructor(condition, message) {
    super(message);
    this.condition = condition;
  }
}

const KEEP = 200;  // messages kept per conversation

export class Client {
  constructor(options, notify) {
    this.options = options;  // { hostmeta, websocket, bosh, transport, storageKey }
    this.notify = notify;    // (event, detail) => void
    this.contacts = new Map();  // bare JID -> { jid, name, subscription, resources: {res: {show, status}} }
    this.chats = new Map();     // bare JID -> [{ id, dir, body, time, receipt, error }]
    this.inbox = [];
    this.waiting = [];
    this.pending = new Map();   // iq id -> { resolve, reject }
    this.sm = null;             // { id, h, outCount, unacked: [] } once enabled
    this.features = new Set();  // the account's disco#info features (urn:xmpp:mam:2, ...)
  }

  // ----- storage -----
  load() {
    try {
      return JSON.parse(sessionStorage.getItem(this.options.storageKey) || "null");
    } catch {
      return null;
    }
  }
  save() {
    if (!this.jid) return;
    const state = {
      jid: this.jid, anonymous: this.anonymous, token: this.token,
      sm: this.sm && this.sm.id ? { id: this.sm.id, h: this.sm.h } : null,
      transport: this.transport ? { kind: this.transport.kind, url: this.transport.url, bosh: this.transport.state() } : null,
      contacts: [...this.contacts.values()], chats: [...this.chats.entries()], page: this.pageSent, current: this.current,
    };
    try {
      sessionStorage.setItem(this.options.storageKey, JSON.stringify(state));
    } catch { /* storage full or refused: the session just will not survive a reload */ }
  }
  forget() {
    sessionStorage.removeItem(this.options.storageKey);
  }

  // ----- discovery and connection -----
  // XEP-0156: the endpoints that host-meta.json lists. Of several of a kind, the one with the
  // security of the host-meta URL itself (ws:// from an http:// server on this machine, wss://
  // from https://), which is what this browser can reach there.
  async discover() {
    const found = { websocket: this.options.websocket, bosh: this.options.bosh };
    if (found.websocket && found.bosh) return found;
    const res = await fetch(this.options.hostmeta).catch(() => null);
    if (!res || !res.ok) throw new Error(`cannot read ${this.options.hostmeta} to find the server's endpoints`);
    const secure = new URL(this.options.hostmeta, location.href).protocol === "https:";
    const rank = (href) => (/^(wss|https):/.test(href) === secure ? 0 : 1);
    const links = ((await res.json()).links || []).filter((l) => typeof l.href === "string");
    for (const [kind, rel] of [["websocket", "urn:xmpp:alt-connections:websocket"], ["bosh", "urn:xmpp:alt-connections:xbosh"]]) {
      const hrefs = links.filter((l) => l.rel === rel).map((l) => l.href).sort((a, b) => rank(a) - rank(b));
      if (!found[kind] && hrefs.length) found[kind] = hrefs[0];
    }
    return found;
  }

  // WebSocket first, BOSH when it cannot be opened (or when configured so).
  async open(domain, prefer) {
    const ends = await this.discover();
    this.notify("endpoints", ends);
    const order = (prefer || this.options.transport) === "bosh" ? ["bosh", "websocket"] : ["websocket", "bosh"];
    let last;
    for (const kind of order) {
      if (!ends[kind]) continue;
      const t = kind === "websocket" ? new WebSocketTransport(ends[kind]) : new BoshTransport(ends[kind]);
      this.attach(t);
      try {
        await t.connect(domain);
        return t;
      } catch (e) {
        last = e;
      }
    }
    throw last || new Error("the server lists neither a WebSocket nor a BOSH endpoint");
  }

  attach(t) {
    this.transport = t;
    t.onElement = (el) => this.onElement(el);
    t.onClose = (why) => this.onClose(t, why);
    t.onRid = () => this.save();
  }

  // ----- negotiation -----
  next(timeout = 20000) {
    if (this.inbox.length) return Promise.resolve(this.inbox.shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the server did not answer in time")), timeout);
      this.waiting.push((el) => (clearTimeout(timer), resolve(el)));
    });
  }

  async authenticate(domain, pickMechanism) {
    const features = await this.next();
    if (features.localName === "error") throw new LoginError("stream", streamErrorText(features));
    const offered = children(child(features, "mechanisms", NS.sasl), "mechanism").map(text);
    const mech = pickMechanism(offered);
    if (!mech) throw new LoginError("no-mechanism", `the server offers no login this page can use (${offered.join(", ") || "none"}): is it served over HTTPS?`);
    const initial = mech.initial();
    this.transport.send(x("auth", { xmlns: NS.sasl, mechanism: mech.name }, initial.length ? sasl.toBase64(initial) : "="));
    for (;;) {
      const el = await this.next();
      if (el.localName === "challenge") {
        const answer = await mech.challenge(sasl.fromBase64(text(el) === "=" ? "" : text(el)));
        this.transport.send(x("response", { xmlns: NS.sasl }, answer.length ? sasl.toBase64(answer) : "="));
      } else if (el.localName === "success") {
        if (text(el) && !mech.verify(sasl.fromBase64(text(el)))) throw new LoginError("server-proof", "the server could not prove that it knows this account");
        return mech.name;
      } else if (el.localName === "failure") {
        const condition = el.firstElementChild ? el.firstElementChild.localName : "not-authorized";
        throw new LoginError(condition, text(child(el, "text")) || condition);
      } else if (el.localName === "error") {
        throw new LoginError("stream", streamErrorText(el));
      }
    }
  }

  async bindOrResume(saved) {
    this.transport.restart();
    const features = await this.next();
    const smOffered = !!child(features, "sm", NS.sm);
    if (saved && saved.sm && smOffered) {
      this.transport.send(x("resume", { xmlns: NS.sm, previd: saved.sm.id, h: String(saved.sm.h) }));
      const answer = await this.next();
      if (answer.localName === "resumed") {
        this.sm = { id: saved.sm.id, h: saved.sm.h, outCount: 0, unacked: [] };
        this.jid = saved.jid;
        this.established = true;
        this.flushInbox();
        return "resumed";
      }
    }
    const id = newId("bind");
    this.transport.send(x("iq", { xmlns: NS.client, type: "set", id }, x("bind", { xmlns: NS.bind })));
    const reply = await this.next();
    const jid = text(child(child(reply, "bind", NS.bind), "jid", NS.bind));
    if (reply.getAttribute("type") !== "result" || !jid) throw new LoginError("bind", "the server refused to bind a resource");
    this.jid = jid;
    this.established = true;
    this.sm = null;
    if (smOffered) this.transport.send(x("enable", { xmlns: NS.sm, resume: "true" }));
    this.flushInbox();
    return "bound";
  }

  flushInbox() {
    const early = this.inbox.splice(0);
    for (const el of early) this.onElement(el);
  }

  // A password login (or a visitor's, with password null and anonymous true).
  async login(jid, password, { anonymous = false } = {}) {
    const domain = anonymous ? jid : domainOf(jid);
    await this.open(domain);
    this.anonymous = anonymous;
    const user = bare(jid).split("@")[0];
    const how = await this.authenticate(domain, (offered) =>
      anonymous ? (offered.includes("ANONYMOUS") ? sasl.anonymous() : null) : sasl.pick(offered, user, password));
    await this.bindOrResume(null);
    await this.started(how, "bound");
  }

  // After a reload: the BOSH session as it was, else the token and stream resumption.
  async restore() {
    const saved = this.load();
    if (!saved || !saved.jid) return false;
    this.anonymous = saved.anonymous;
    this.token = saved.token;
    this.pageSent = saved.page;
    this.current = saved.current;  // the conversation on screen
    for (const c of saved.contacts || []) this.contacts.set(c.jid, c);
    for (const [k, v] of saved.chats || []) this.chats.set(k, v);
    const domain = domainOf(saved.jid);
    if (saved.transport && saved.transport.kind === "bosh" && saved.transport.bosh && saved.transport.bosh.sid) {
      const t = new BoshTransport(saved.transport.url);
      this.attach(t);
      this.established = true;
      this.jid = saved.jid;
      if (saved.sm) this.sm = { id: saved.sm.id, h: saved.sm.h, outCount: 0, unacked: [] };
      if (await t.resume(domain, saved.transport.bosh)) {
        await this.started("bosh-session", "restored");
        return true;
      }
      this.established = false;
      this.sm = null;
    }
    if (!saved.token || Date.parse(saved.token.expiry) < Date.now()) return false;
    this.inbox = [];
    await this.open(domain, saved.transport && saved.transport.kind);
    try {
      const user = bare(saved.jid).split("@")[0];
      const mech = await sasl.hashedToken(user, saved.token.secret);
      const how = await this.authenticate(domain, (offered) => (offered.includes(mech.name) ? mech : null));
      const result = await this.bindOrResume(saved);
      await this.started(how, result);
      return true;
    } catch (e) {
      this.transport.drop();
      if (e instanceof LoginError) {
        this.token = null;
        this.forget();
        return false;
      }
      throw e;
    }
  }

  async started(how, result) {
    this.notify("online", { jid: this.jid, how, result, transport: this.transport.kind });
    if (result !== "resumed" && result !== "restored") {
      this.send(x("presence", { xmlns: NS.client }));
      this.loadRoster();
      this.discoverAccount();
    }
    if (result === "resumed" || result === "restored") this.discoverAccount();
    if (how !== "bosh-session") this.requestToken();
    this.save();
  }

  // ----- after login -----
  async requestToken() {
    try {
      const reply = await this.iq("set", null, x("request", { xmlns: NS.token }));
      const t = child(reply, "token", NS.token);
      if (t) this.token = { secret: t.getAttribute("secret"), expiry: t.getAttribute("expiry") };
      this.save();
    } catch { /* no tokens on this server: a reload past resumption asks for the password */ }
  }

  async loadRoster() {
    try {
      const reply = await this.iq("get", null, x("query", { xmlns: NS.roster }));
      for (const item of children(child(reply, "query", NS.roster), "item")) this.rosterItem(item);
      this.changed();
    } catch (e) {
      this.notify("error", `the contact list could not be loaded: ${e.message}`);
    }
  }

  async discoverAccount() {
    try {
      const reply = await this.iq("get", bare(this.jid), x("query", { xmlns: NS.disco }));
      for (const f of children(child(reply, "query", NS.disco), "feature")) this.features.add(f.getAttribute("var"));
    } catch { /* no disco on the account: no archive */ }
    this.notify("features", [...this.features]);
  }

  hasArchive() {
    return this.features.has(NS.mam);
  }

  // The last messages with a contact from the archive (XEP-0313), when the server has one.
  async loadHistory(peer) {
    if (!this.hasArchive()) return;
    const queryid = newId("mam");
    const form = x("x", { xmlns: "jabber:x:data", type: "submit" },
      x("field", { var: "FORM_TYPE", type: "hidden" }, x("value", {}, NS.mam)),
      x("field", { var: "with" }, x("value", {}, peer)));
    this.archiveQuery = { queryid, peer, found: [] };
    await this.iq("set", null, x("query", { xmlns: NS.mam, queryid }, form, x("set", { xmlns: NS.rsm }, x("max", {}, "50"), x("before"))));
    const known = new Set(this.chat(peer).map((m) => m.id));
    const list = this.chat(peer);
    for (const m of this.archiveQuery.found) if (!known.has(m.id)) list.push(m);
    list.sort((a, b) => a.time - b.time);
    this.archiveQuery = null;
    this.notify("chat", peer);
    this.save();
  }

  rosterItem(item) {
    const jid = item.getAttribute("jid");
    if (!jid) return;
    if (item.getAttribute("subscription") === "remove") return this.contacts.delete(jid);
    const c = this.contact(jid);
    c.name = item.getAttribute("name") || "";
    c.subscription = item.getAttribute("subscription") || "none";
    c.inRoster = true;
  }

  contact(jid) {
    const key = bare(jid);
    if (!this.contacts.has(key)) this.contacts.set(key, { jid: key, name: "", subscription: "none", resources: {} });
    return this.contacts.get(key);
  }
  chat(peer) {
    const key = bare(peer);
    if (!this.chats.has(key)) this.chats.set(key, []);
    return this.chats.get(key);
  }
  changed() {
    this.notify("roster", [...this.contacts.values()]);
    this.save();
  }

  // ----- sending -----
  send(node) {
    if (this.sm && this.sm.id !== undefined && ["message", "presence", "iq"].includes(node.name)) this.sm.unacked.push(node);
    this.transport.send(node);
  }

  iq(type, to, payload, timeout = 20000) {
    const id = newId("iq");
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => (this.pending.delete(id), reject(new Error("no answer in time"))), timeout);
      this.pending.set(id, {
        resolve: (el) => (clearTimeout(timer), resolve(el)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.send(x("iq", { xmlns: NS.client, type, id, to: to || undefined }, payload));
    });
  }

  sendMessage(peer, body, extra = []) {
    const id = newId("m");
    const m = { id, dir: "out", body, time: Date.now(), receipt: false };
    this.chat(peer).push(m);
    this.trim(peer);
    this.send(x("message", { xmlns: NS.client, to: peer, type: "chat", id },
      x("body", {}, body), x("active", { xmlns: NS.chatstates }), x("request", { xmlns: NS.receipts }), extra));
    if (this.sm) this.transport.send(x("r", { xmlns: NS.sm }));
    this.notify("chat", bare(peer));
    this.save();
    return m;
  }

  // Tells the support address where the visitor is (once per conversation), if the page allows.
  sendPageInfo(peer, url, title) {
    if (this.pageSent) return;
    this.pageSent = true;
    const id = newId("page");
    this.send(x("message", { xmlns: NS.client, to: peer, type: "chat", id },
      x("body", {}, `Visitor from ${url}${title ? ` (${title})` : ""}`),
      x("x", { xmlns: NS.oob }, x("url", {}, url), title ? x("desc", {}, title) : null)));
  }

  sendChatState(peer, state) {
    this.transport.send(x("message", { xmlns: NS.client, to: peer, type: "chat" }, x(state, { xmlns: NS.chatstates })));
  }

  trim(peer) {
    const list = this.chat(peer);
    if (list.length > KEEP) list.splice(0, list.length - KEEP);
  }

  async logout() {
    try {
      if (this.token) await this.iq("set", null, x("revoke", { xmlns: NS.token }), 3000);
    } catch { /* gone anyway: the token expires */ }
    this.forget();
    this.closing = true;
    this.transport.send(x("presence", { xmlns: NS.client, type: "unavailable" }));
    this.transport.close();
  }
}

Object.assign(Client.prototype, receiving);
