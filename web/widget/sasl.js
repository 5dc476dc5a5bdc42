// SASL for the widget (RFC 4422 as framed by RFC 6120): SCRAM-SHA-256/-1 (RFC 5802, 7677)
// with WebCrypto, PLAIN only where the server offers it (TLS or loopback), ANONYMOUS
// (RFC 4505) for visitors and HT-SHA-256-NONE (XEP-0484's token mechanism) after a reload.
// Each mechanism is { name, initial(): bytes|null, challenge(bytes): bytes, verify(bytes) }.
const enc = new TextEncoder();
const dec = new TextDecoder();

export function toBase64(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}
export function fromBase64(text) {
  const s = atob(text);
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

async function hmac(hash, key, data) {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data));
}
async function digest(hash, data) {
  return new Uint8Array(await crypto.subtle.digest(hash, data));
}
function xor(a, b) {
  return a.map((v, i) => v ^ b[i]);
}
function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
}

const scramName = (user) => user.replace(/=/g, "=3D").replace(/,/g, "=2C");

export function scram(hash, user, password) {
  const cnonce = toBase64(crypto.getRandomValues(new Uint8Array(18)));
  const firstBare = `n=${scramName(user)},r=${cnonce}`;
  let serverSignature;
  return {
    name: hash === "SHA-256" ? "SCRAM-SHA-256" : "SCRAM-SHA-1",
    initial: () => enc.encode("n,," + firstBare),
    async challenge(bytes) {
      const serverFirst = dec.decode(bytes);
      const attrs = Object.fromEntries(serverFirst.split(",").map((kv) => [kv[0], kv.slice(2)]));
      if (!attrs.r || !attrs.r.startsWith(cnonce) || !attrs.s || !attrs.i) throw new Error("the server's SCRAM challenge is malformed");
      const base = await crypto.subtle.importKey("raw", enc.encode(password.normalize("NFKC")), "PBKDF2", false, ["deriveBits"]);
      const bits = hash === "SHA-256" ? 256 : 160;
      const salted = new Uint8Array(await crypto.subtle.deriveBits(
        { name: "PBKDF2", salt: fromBase64(attrs.s), iterations: Number(attrs.i), hash }, base, bits));
      const clientKey = await hmac(hash, salted, enc.encode("Client Key"));
      const storedKey = await digest(hash, clientKey);
      const finalBare = `c=biws,r=${attrs.r}`;
      const authMessage = enc.encode(`${firstBare},${serverFirst},${finalBare}`);
      const proof = xor(clientKey, await hmac(hash, storedKey, authMessage));
      const serverKey = await hmac(hash, salted, enc.encode("Server Key"));
      serverSignature = toBase64(await hmac(hash, serverKey, authMessage));
      return enc.encode(`${finalBare},p=${toBase64(proof)}`);
    },
    verify(bytes) {  // the server proves it knew the password's keys too
      return dec.decode(bytes) === `v=${serverSignature}`;
    },
  };
}

export function plain(user, password) {
  return { name: "PLAIN", initial: () => enc.encode(`\0${user}\0${password}`), challenge: async () => new Uint8Array(), verify: () => true };
}

export function anonymous() {
  return { name: "ANONYMOUS", initial: () => new Uint8Array(), challenge: async () => new Uint8Array(), verify: () => true };
}

// XEP-0484: "user NUL HMAC(token, 'Initiator')"; success carries HMAC(token, 'Responder').
export async function hashedToken(user, secret) {
  const key = enc.encode(secret);
  const initiator = await hmac("SHA-256", key, enc.encode("Initiator"));
  const responder = toBase64(await hmac("SHA-256", key, enc.encode("Responder")));
  return {
    name: "HT-SHA-256-NONE",
    initial: () => concat(enc.encode(user + "\0"), initiator),
    challenge: async () => { throw new Error("unexpected challenge"); },
    verify: (bytes) => toBase64(bytes) === responder,
  };
}

// What to use for a password login among what the server offers.
export function pick(offered, user, password) {
  if (crypto.subtle) {
    if (offered.includes("SCRAM-SHA-256")) return scram("SHA-256", user, password);
    if (offered.includes("SCRAM-SHA-1")) return scram("SHA-1", user, password);
  }
  if (offered.includes("PLAIN")) return plain(user, password);
  return null;
}
