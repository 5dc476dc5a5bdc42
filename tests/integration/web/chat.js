// Logs in with one web XMPP library, says hello to a peer and waits for its answer. A ws(s)://
// URL is WebSocket (RFC 7395), an http(s):// one BOSH (XEP-0206).
// Usage: node chat.js <xmpp.js|stanza|strophe> <url> <jid> <password> <peer jid>
// Prints "online <full jid>", then "received <body>"; exits 0 once the answer came, 1 on
// any error or after 20 s.
"use strict";
const [library, url, jid, password, peer] = process.argv.slice(2);
const [local, domain] = jid.split("@");
const say = (line) => process.stdout.write(line + "\n");
const fail = (why) => {
  say("error " + why);
  process.exit(1);
};
setTimeout(() => fail("timed out"), 20000).unref();

function with_xmpp_js() {
  const { client, xml } = require("@xmpp/client");
  const xmpp = client({ service: url, domain, username: local, password, resource: "xmppjs" });
  xmpp.on("error", (e) => fail("xmpp.js: " + (e.condition || e.message)));
  xmpp.on("stanza", (s) => {
    if (s.is("message") && s.getChildText("body")) {
      say("received " + s.getChildText("body"));
      xmpp.stop().then(() => process.exit(0));
    }
  });
  xmpp.on("online", async (address) => {
    await xmpp.send(xml("presence"));
    say("online " + address.toString());
    await xmpp.send(xml("message", { to: peer, type: "chat" }, xml("body", {}, "hello from xmpp.js")));
  });
  xmpp.start().catch((e) => fail("xmpp.js start: " + (e.condition || e.message)));
}

function with_stanza() {
  const XMPP = require("stanza");
  const c = XMPP.createClient({
    jid,
    password,
    resource: "stanza",
    transports: url.startsWith("http") ? { websocket: false, bosh: url } : { websocket: url, bosh: false },
  });
  c.on("auth:failed", () => fail("stanza: authentication failed"));
  c.on("stream:error", (e) => fail("stanza: stream error " + e.condition));
  c.on("session:started", () => {
    c.sendPresence();
    say("online " + c.jid);
    c.sendMessage({ to: peer, type: "chat", body: "hello from stanza" });
  });
  c.on("message", (m) => {
    if (!m.body) return;
    say("received " + m.body);
    c.disconnect();
    setTimeout(() => process.exit(0), 200);
  });
  c.connect();
}

// strophe.js under Node: its own DOM shim (@xmldom/xmldom) and xhr2 as XMLHttpRequest, which
// lacks responseXML; Strophe reads BOSH responses from it, so it is parsed here.
function with_strophe() {
  const XHR = require("xhr2");
  globalThis.XMLHttpRequest = class extends XHR {
    get responseXML() {
      if (this.readyState !== 4 || !this.responseText) return null;
      return new globalThis.DOMParser().parseFromString(this.responseText, "text/xml");
    }
  };
  const { Strophe, $msg, $pres } = require("strophe.js");
  Strophe.setLogLevel(process.env.STROPHE_DEBUG ? Strophe.LogLevel.DEBUG : Strophe.LogLevel.FATAL);  // its log goes to stdout
  const c = new Strophe.Connection(url);
  if (process.env.STROPHE_DEBUG) {
    c.rawInput = (d) => process.stderr.write("IN " + d + "\n");
    c.rawOutput = (d) => process.stderr.write("OUT " + d + "\n");
  }
  let done = false;
  c.addHandler(
    (m) => {
      const body = m.getElementsByTagName("body")[0];
      if (!body || done) return true;
      done = true;
      say("received " + Strophe.getText(body));
      c.disconnect();
      setTimeout(() => process.exit(0), 200);
      return true;
    },
    null,
    "message"
  );
  c.connect(jid + "/strophe", password, (status, condition) => {
    const S = Strophe.Status;
    if (status === S.CONNECTED) {
      c.send($pres());
      say("online " + c.jid);
      c.send($msg({ to: peer, type: "chat" }).c("body").t("hello from strophe"));
    } else if (status === S.AUTHFAIL) fail("strophe: authentication failed");
    else if (status === S.CONNFAIL) fail("strophe: connection failed " + (condition || ""));
    else if (status === S.DISCONNECTED && !done) fail("strophe: disconnected " + (condition || ""));
  });
}

if (library === "xmpp.js") with_xmpp_js();
else if (library === "strophe") with_strophe();
else if (library === "stanza") with_stanza();
else fail("unknown library " + library);
