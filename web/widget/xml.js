// XML for the widget's XMPP client: stanzas are built as small trees and serialised with
// escaping here; what the server sends is parsed by the browser's DOMParser.
export const NS = {
  client: "jabber:client",
  framing: "urn:ietf:params:xml:ns:xmpp-framing",
  streams: "http://etherx.jabber.org/streams",
  sasl: "urn:ietf:params:xml:ns:xmpp-sasl",
  bind: "urn:ietf:params:xml:ns:xmpp-bind",
  sm: "urn:xmpp:sm:3",
  roster: "jabber:iq:roster",
  disco: "http://jabber.org/protocol/disco#info",
  mam: "urn:xmpp:mam:2",
  rsm: "http://jabber.org/protocol/rsm",
  forward: "urn:xmpp:forward:0",
  delay: "urn:xmpp:delay",
  receipts: "urn:xmpp:receipts",
  chatstates: "http://jabber.org/protocol/chatstates",
  oob: "jabber:x:oob",
  token: "urn:ofs:widget-token:0",
  httpbind: "http://jabber.org/protocol/httpbind",
  xbosh: "urn:xmpp:xbosh",
  stanzas: "urn:ietf:params:xml:ns:xmpp-stanzas",
};

// x("message", {to, type}, x("body", {}, "text")): a node that toString() serialises.
export function x(name, attrs = {}, ...children) {
  return { name, attrs, children: children.flat().filter((c) => c !== null && c !== undefined && c !== false) };
}

const escapes = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };
export function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => escapes[c]);
}

export function serialize(node) {
  if (typeof node === "string") return escape(node);
  let out = "<" + node.name;
  for (const [k, v] of Object.entries(node.attrs)) if (v !== undefined && v !== null) out += ` ${k}="${escape(v)}"`;
  if (!node.children.length) return out + "/>";
  return out + ">" + node.children.map(serialize).join("") + "</" + node.name + ">";
}

export function parse(text) {
  const doc = new DOMParser().parseFromString(text, "text/xml");
  if (doc.getElementsByTagName("parsererror").length) throw new Error("the server sent XML the browser cannot parse");
  return doc.documentElement;
}

// The first child element with that local name (and namespace, when given).
export function child(el, name, ns) {
  if (!el) return null;
  for (const c of el.children) if (c.localName === name && (!ns || c.namespaceURI === ns)) return c;
  return null;
}
export function children(el, name, ns) {
  return el ? [...el.children].filter((c) => c.localName === name && (!ns || c.namespaceURI === ns)) : [];
}
export function text(el) {
  return el ? el.textContent : "";
}

export function bare(jid) {
  return String(jid || "").split("/")[0];
}
export function resource(jid) {
  const i = String(jid || "").indexOf("/");
  return i < 0 ? "" : jid.slice(i + 1);
}
export function domainOf(jid) {
  const b = bare(jid);
  return b.slice(b.indexOf("@") + 1);
}

let counter = 0;
export function newId(prefix = "w") {
  const r = crypto.getRandomValues(new Uint32Array(2));
  return `${prefix}${(++counter).toString(36)}${r[0].toString(36)}${r[1].toString(36)}`;
}
