// The widget's screen, in a shadow root so that the page's styles and ours stay apart. Every
// text from the network (bodies, names, status texts, errors) goes in through textContent,
// isolated with <bdi dir="auto">, cut to a length; nothing is ever parsed as HTML.
import { Client, LoginError } from "./client.js";
import { bare } from "./xml.js";

const LIMITS = { body: 2000, name: 48, status: 120, error: 300 };
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

// Text for display: bidi controls removed where the text is a label (names, statuses),
// kept but isolated in bodies; past max characters, cut with an ellipsis.
export function displayText(value, max, { keepBidi = false } = {}) {
  let s = String(value ?? "");
  if (!keepBidi) s = s.replace(BIDI_CONTROLS, "");
  const chars = [...s];
  return chars.length > max ? chars.slice(0, max).join("") + "…" : s;
}

function h(tag, attrs = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") el.textContent = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v !== false && v !== undefined) el.setAttribute(k, v === true ? "" : v);
  }
  for (const k of kids) if (k) el.append(k);
  return el;
}
function isolated(value, max, opts) {
  return h("bdi", { dir: "auto", text: displayText(value, max, opts) });
}

const LOGIN_ERRORS = {
  "not-authorized": "Wrong address or password.",
  "temporary-auth-failure": "The server cannot log you in right now; try again in a moment.",
  "encryption-required": "This server only accepts logins over a secure connection (HTTPS).",
  "account-disabled": "This account is disabled.",
};

export class Widget {
  constructor(host, options) {
    this.host = host;
    this.options = options;
    this.root = host.attachShadow({ mode: "open" });
    this.typingTimers = new Map();
    this.client = new Client(options, (event, detail) => this.on(event, detail));
    this.build();
    addEventListener("pagehide", () => this.client.pagehide());
  }

  build() {
    const o = this.options;
    this.root.append(h("link", { rel: "stylesheet", href: o.css }));
    const panelId = "ofs-panel";
    this.launcher = h("button", { class: "launcher", type: "button", "aria-controls": panelId, "aria-expanded": "false",
      text: o.visitor ? o.launcherText || "Chat with us" : "Chat", onclick: () => this.expand(true) });
    this.statusLine = h("span", { class: "status", role: "status" });
    this.title = h("h2", { text: o.visitor ? "Chat with us" : "Chat" });
    const minimise = h("button", { class: "minimise", type: "button", "aria-label": "Minimise the chat", text: "–", onclick: () => this.expand(false) });
    this.errorLine = h("p", { class: "error", role: "alert" });

    this.jidInput = h("input", { id: "ofs-jid", name: "jid", type: "text", autocomplete: "username", required: true, placeholder: "you@example.org" });
    this.passwordInput = h("input", { id: "ofs-password", name: "password", type: "password", autocomplete: "current-password", required: true });
    this.loginForm = h("form", { class: "login", "aria-label": "Log in", onsubmit: (e) => (e.preventDefault(), this.login()) },
      h("label", { for: "ofs-jid", text: "Address" }), this.jidInput,
      h("label", { for: "ofs-password", text: "Password" }), this.passwordInput,
      h("button", { type: "submit", text: "Log in" }));
    this.visitorStart = h("div", { class: "visitor-start" },
      h("p", { text: o.visitorGreeting || "Questions? Write to us, no account needed." }),
      h("button", { type: "button", class: "start", text: "Start the chat", onclick: () => this.startVisitor() }));

    this.rosterList = h("ul", { class: "contacts", "aria-label": "Contacts" });
    this.openInput = h("input", { id: "ofs-open", type: "text", placeholder: "someone@example.org", "aria-label": "Address to chat with" });
    this.rosterPane = h("nav", { class: "roster", "aria-label": "Contacts" }, this.rosterList,
      h("form", { class: "open-chat", onsubmit: (e) => (e.preventDefault(), this.openInput.value.trim() && this.openChat(this.openInput.value.trim())) },
        this.openInput, h("button", { type: "submit", text: "Chat" })),
      h("button", { type: "button", class: "logout", text: "Log out", onclick: () => this.logout() }));

    this.peerName = h("h3", { class: "peer" });
    this.typing = h("p", { class: "typing", "aria-live": "polite" });
    this.log = h("ol", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Messages", tabindex: "0" });
    this.input = h("textarea", { id: "ofs-message", rows: "2", "aria-label": "Message", placeholder: "Write a message",
      oninput: () => this.composing(), onkeydown: (e) => {
        if (e.key === "Enter" && !e.shiftKey) (e.preventDefault(), this.sendCurrent());
      } });
    this.back = h("button", { type: "button", class: "back", "aria-label": "Back to the contacts", text: "←", onclick: () => this.showRoster() });
    this.conversation = h("section", { class: "conversation", "aria-label": "Conversation" },
      h("header", {}, o.visitor ? null : this.back, this.peerName), this.log, this.typing,
      h("form", { class: "compose", onsubmit: (e) => (e.preventDefault(), this.sendCurrent()) }, this.input,
        h("button", { type: "submit", text: "Send" })));

    this.panel = h("section", { class: "panel", id: panelId, role: "dialog", "aria-label": this.title.textContent,
      onkeydown: (e) => e.key === "Escape" && this.expand(false) },
      h("header", {}, this.title, this.statusLine, minimise), this.errorLine,
      o.visitor ? this.visitorStart : this.loginForm, o.visitor ? null : this.rosterPane, this.conversation);
    this.frame = h("div", { class: "ofs-widget", "data-theme": o.theme }, this.launcher, this.panel);
    this.root.append(this.frame);
    this.mode("start");
    this.expand(!o.startMinimised);
  }

  // What the panel shows: "start" (login or visitor button), "roster", "chat".
  mode(m) {
    this.view = m;
    this.frame.dataset.view = m;
    this.host.dataset.view = m;
  }
  expand(open) {
    this.frame.classList.toggle("minimised", !open);
    this.launcher.setAttribute("aria-expanded", String(open));
    if (open) (this.view === "chat" ? this.input : this.view === "start" ? (this.options.visitor ? this.visitorStart.querySelector("button") : this.jidInput) : this.openInput).focus();
    else this.launcher.focus();
  }
  status(text, state) {
    this.statusLine.textContent = displayText(text, LIMITS.status);
    if (state) this.host.dataset.state = state;
  }
  error(text) {
    this.errorLine.textContent = text ? displayText(text, LIMITS.error) : "";
    this.host.dataset.error = text || "";
  }

  // The client has one connection: a login submitted while a restore runs waits for it
  // (sharing the connection, the failed restore would drop the login's).
  restore() {
    const attempt = this.client.restore().finally(() => {
      if (this.restoring === attempt) this.restoring = null;
    });
    this.restoring = attempt;
    return attempt;
  }

  async start() {
    this.status("Connecting…");
    try {
      if (await this.restore()) return;
    } catch (e) {
      this.error(`Could not reconnect: ${e.message}`);
    }
    this.status("", "offline");
  }

  // A lost connection (not a stream error, not a logout): the same way back as a reload,
  // a few times, a little later each time.
  reconnect(attempt = 1) {
    if (attempt > 3) return;
    setTimeout(async () => {
      this.status(`Reconnecting (${attempt})…`);
      try {
        if (await this.restore()) return;
      } catch { /* the server is still away */ }
      if (this.host.dataset.state !== "online") this.reconnect(attempt + 1);
    }, 2000 * attempt);
  }

  // Whether a restore still running when the user asked to log in brought the session back.
  async restored() {
    return this.restoring ? this.restoring.catch(() => false) : false;
  }

  async login() {
    this.error("");
    const jid = this.jidInput.value.trim();
    if (!/^[^@\s/]+@[^@\s/]+$/.test(jid)) return this.error("Enter your address as name@domain.");
    if (await this.restored()) return;
    this.status("Logging in…", "connecting");
    try {
      await this.client.login(jid, this.passwordInput.value);
      this.passwordInput.value = "";
    } catch (e) {
      this.passwordInput.value = "";
      this.client.transport && this.client.transport.drop();
      const text = e instanceof LoginError ? LOGIN_ERRORS[e.condition] || `The login failed: ${e.message}` : `Cannot connect: ${e.message}`;
      this.error(text);
      this.status("", "login-failed");
    }
  }

  async startVisitor() {
    this.error("");
    if (await this.restored()) return;
    this.status("Connecting…", "connecting");
    try {
      await this.client.login(this.options.visitorDomain, null, { anonymous: true });
    } catch (e) {
      this.error(e instanceof LoginError ? LOGIN_ERRORS[e.condition] || e.message : `Cannot connect: ${e.message}`);
      this.status("", "login-failed");
    }
  }

  async logout() {
    await this.client.logout();
    this.host.dataset.jid = "";
    this.log.replaceChildren();
    this.rosterList.replaceChildren();
    this.status("Logged out", "offline");
    this.mode("start");
  }

  on(event, detail) {
    if (event === "online") {
      this.host.dataset.jid = detail.jid;
      this.host.dataset.login = detail.how;
      this.host.dataset.result = detail.result;
      this.host.dataset.transport = detail.transport;
      this.status(`Online as ${bare(detail.jid)}`, "online");
      this.error("");
      this.renderRoster();
      if (this.options.visitor) this.openChat(this.options.support);
      else if (this.current || this.client.current) this.openChat(this.current || this.client.current);
      else this.showRoster();
    } else if (event === "roster") {
      this.renderRoster();
    } else if (event === "chat") {
      if (detail === this.current) this.renderChat();
    } else if (event === "chatstate") {
      if (detail.peer !== this.current) return;
      this.typing.textContent = detail.state === "composing" ? `${displayText(this.nameOf(detail.peer), LIMITS.name)} is typing…` : "";
    } else if (event === "message") {
      if (detail.peer === this.current) this.typing.textContent = "";
    } else if (event === "disconnected") {
      this.status("Disconnected", "disconnected");
      this.error(`The connection ended: ${detail}`);
      if (!this.client.closing) this.reconnect();
    } else if (event === "error") {
      this.error(detail);
    } else if (event === "endpoints") {
      this.host.dataset.websocket = detail.websocket || "";
      this.host.dataset.bosh = detail.bosh || "";
    }
  }

  nameOf(jid) {
    const c = this.client.contacts.get(bare(jid));
    return (c && c.name) || bare(jid);
  }

  renderRoster() {
    const items = [...this.client.contacts.values()].filter((c) => c.jid !== this.options.support || !this.options.visitor);
    items.sort((a, b) => (a.name || a.jid).localeCompare(b.name || b.jid));
    this.rosterList.replaceChildren(...items.map((c) => {
      const res = Object.values(c.resources || {});
      const online = res.length > 0;
      const show = online ? res[0].show : "offline";
      const status = online ? res.find((r) => r.status)?.status || "" : "";
      const unread = c.jid !== this.current && (this.client.chats.get(c.jid) || []).some((m) => m.dir === "in" && !m.seen);
      const label = `${displayText(c.name || c.jid, LIMITS.name)}, ${show}${unread ? ", unread messages" : ""}`;
      return h("li", { class: "contact" },
        h("button", { type: "button", class: `open ${show}`, "data-jid": c.jid, "aria-label": label, onclick: () => this.openChat(c.jid) },
          h("span", { class: "dot", "aria-hidden": "true" }),
          h("span", { class: "name" }, isolated(c.name || c.jid, LIMITS.name)),
          status ? h("span", { class: "status-text" }, isolated(status, LIMITS.status)) : null,
          unread ? h("span", { class: "unread", "aria-hidden": "true", text: "●" }) : null));
    }));
  }

  showRoster() {
    this.current = this.client.current = null;
    this.client.save();
    this.mode("roster");
    this.renderRoster();
  }

  async openChat(jid) {
    const peer = bare(jid);
    this.current = this.client.current = peer;
    this.client.save();
    this.mode("chat");
    this.peerName.replaceChildren(isolated(this.options.visitor ? this.options.supportName || "Support" : this.nameOf(peer), LIMITS.name));
    this.typing.textContent = "";
    this.renderChat();
    this.input.focus();
    if (!this.options.visitor && this.client.hasArchive() && !this.historyLoaded?.has(peer)) {
      (this.historyLoaded ??= new Set()).add(peer);
      this.client.loadHistory(peer).catch((e) => this.error(`The history could not be loaded: ${e.message}`));
    }
  }

  renderChat() {
    const list = this.client.chats.get(this.current) || [];
    for (const m of list) m.seen = true;
    this.log.replaceChildren(...list.map((m) => {
      const time = new Date(m.time);
      const meta = h("span", { class: "meta" }, h("time", { datetime: time.toISOString(), text: time.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) }));
      if (m.dir === "out") meta.append(h("span", { class: m.error ? "failed" : m.receipt ? "receipt delivered" : "receipt", text: m.error ? ` not delivered: ${displayText(m.error, LIMITS.error)}` : m.receipt ? " ✓ delivered" : "" }));
      return h("li", { class: `msg ${m.dir}`, "data-id": m.id }, h("p", { class: "body" }, isolated(m.body, LIMITS.body, { keepBidi: true })), meta);
    }));
    this.log.scrollTop = this.log.scrollHeight;
  }

  sendCurrent() {
    const body = this.input.value.trim();
    if (!body || !this.current || !this.client.established) return;
    if (this.options.visitor && this.options.sharePage) this.client.sendPageInfo(this.current, location.href, document.title);
    this.client.sendMessage(this.current, body);
    this.input.value = "";
    this.composingState = null;
    clearTimeout(this.pausedTimer);
    this.renderChat();
  }

  // XEP-0085: composing while typing, paused after 5 s without a key.
  composing() {
    if (!this.current || !this.client.established) return;
    if (this.composingState !== "composing") {
      this.composingState = "composing";
      this.client.sendChatState(this.current, "composing");
    }
    clearTimeout(this.pausedTimer);
    this.pausedTimer = setTimeout(() => {
      this.composingState = "paused";
      if (this.client.established) this.client.sendChatState(this.current, "paused");
    }, 5000);
  }
}

// Options from the container's data-* attributes, the script tag's as defaults.
export function optionsFor(host, script, base) {
  const d = { ...(script ? script.dataset : {}), ...host.dataset };
  const visitor = d.mode === "visitor";
  const visitorDomain = d.visitorDomain || "";
  return {
    visitor,
    support: d.support || "",
    supportName: d.supportName || "",
    visitorDomain,
    sharePage: d.sharePage === "true",
    theme: ["light", "dark"].includes(d.theme) ? d.theme : "auto",
    startMinimised: d.start === "minimised" || d.start === "minimized",
    transport: d.transport === "bosh" ? "bosh" : "websocket",
    hostmeta: d.hostmeta || new URL("/.well-known/host-meta.json", base).href,
    websocket: d.websocket || "",
    bosh: d.bosh || "",
    css: new URL("widget/widget.css", base).href,
    launcherText: d.launcherText || "",
    storageKey: `ofs-widget:${host.id || "default"}:${visitor ? "visitor" : "user"}`,
  };
}

export function mountAll(script, base) {
  let hosts = [...document.querySelectorAll("[data-ofs-widget]")];
  if (!hosts.length) {
    const div = document.createElement("div");
    div.setAttribute("data-ofs-widget", "");
    document.body.append(div);
    hosts = [div];
  }
  return hosts.map((host) => {
    const options = optionsFor(host, script, base);
    if (options.visitor && (!options.support || !options.visitorDomain)) {
      host.textContent = "The chat widget needs data-support and data-visitor-domain in visitor mode.";
      return null;
    }
    const w = new Widget(host, options);
    host.ofsWidget = w;
    w.start();
    return w;
  });
}
