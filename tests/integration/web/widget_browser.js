// Drives the OFS chat widget in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core; no browser is downloaded). Usage: node widget_browser.js <artifacts dir>
// Reads one JSON command per line on stdin and answers each with one JSON line on stdout:
// {"ok": true, ...} or {"ok": false, "error": "..."}. Commands:
//   goto {url}                 open a page (the widget container: [data-ofs-widget])
//   login {jid, password}      fill the login form and submit it
//   launcher                   press the launcher of a minimised widget
//   viewport {width, height}   resize the page: {panel: its box}
//   visitor                    press the visitor mode's start button
//   online                     wait for the widget to be online: {jid, login, result, transport}
//   login_error                wait for a login error: {text}
//   open {jid}                 open the chat with jid
//   back                       from a chat back to the contacts
//   send {text}                type text in the message box and press Enter
//   message {text}             wait for an incoming message containing text: {text}
//   delivered {text}           wait for the receipt of an outgoing message containing text
//   typing                     wait for the typing notification: {text}
//   reload                     reload the page
//   messages                   every message shown: [{dir, text, html}] and window.__pwned
//   contacts                   the contacts list: [{jid, name, status, nameHtml, statusHtml}]
//   screenshot {name}          a screenshot in the artifacts dir: {path}
//   close
"use strict";
const { chromium } = require("playwright-core");
const path = require("path");
const readline = require("readline");

const artifacts = process.argv[2];
const STEP = 20000;
const say = (o) => process.stdout.write(JSON.stringify(o) + "\n");
let shot = 0;
setTimeout(() => (say({ ok: false, error: "timed out after 240 s" }), process.exit(1)), 240000).unref();

async function main() {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const context = await browser.newContext({ viewport: { width: 900, height: 700 } });
  const page = await context.newPage();
  const logs = [];
  page.on("console", (m) => logs.push(`console ${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => logs.push(`page error: ${e.message}`));
  const host = () => page.locator("[data-ofs-widget]").first();
  const attr = (name) => host().getAttribute(name);
  const waitAttr = (name, values) =>
    page.waitForFunction(([n, v]) => {
      const el = document.querySelector("[data-ofs-widget]");
      return el && v.includes(el.getAttribute(n));
    }, [name, values], { timeout: STEP });

  const commands = {
    async goto({ url }) {
      await page.goto(url, { waitUntil: "load", timeout: STEP });
      await page.locator(".panel").waitFor({ state: "attached", timeout: STEP });
      return {};
    },
    async login({ jid, password }) {
      await page.locator("#ofs-jid").waitFor({ state: "visible", timeout: STEP });
      await page.fill("#ofs-jid", jid);
      await page.fill("#ofs-password", password);
      await page.press("#ofs-password", "Enter");  // the keyboard submits the form
      return {};
    },
    async launcher() {  // a widget started minimised shows only its launcher
      if (await page.locator(".panel").isVisible()) throw new Error("the panel is open before the launcher was pressed");
      await page.click(".launcher", { timeout: STEP });
      await page.locator(".panel").waitFor({ state: "visible", timeout: STEP });
      return {};
    },
    async viewport({ width, height }) {
      await page.setViewportSize({ width, height });
      const box = await page.locator(".panel").boundingBox();
      return { panel: box };
    },
    async visitor() {
      await page.click(".visitor-start .start", { timeout: STEP });
      return {};
    },
    async online() {
      await waitAttr("data-state", ["online"]);
      return { jid: await attr("data-jid"), login: await attr("data-login"), result: await attr("data-result"),
               transport: await attr("data-transport") };
    },
    async login_error() {
      await waitAttr("data-state", ["login-failed"]);
      const text = await page.locator(".error").innerText();
      return { text, focusable: await page.locator("#ofs-jid").isVisible() };
    },
    async open({ jid }) {
      await page.fill("#ofs-open", jid);
      await page.press("#ofs-open", "Enter");
      await page.locator(".conversation").waitFor({ state: "visible", timeout: STEP });
      return {};
    },
    async back() {
      await page.click(".back", { timeout: STEP });
      await page.locator(".roster").waitFor({ state: "visible", timeout: STEP });
      return {};
    },
    async send({ text }) {
      await page.fill("#ofs-message", text);
      await page.press("#ofs-message", "Enter");
      return {};
    },
    async message({ text }) {
      const m = page.locator(".msg.in .body", { hasText: text }).first();
      await m.waitFor({ state: "visible", timeout: STEP });
      return { text: await m.innerText() };
    },
    async delivered({ text }) {
      const m = page.locator(".msg.out", { hasText: text }).locator(".receipt.delivered").first();
      await m.waitFor({ state: "visible", timeout: STEP });
      return {};
    },
    async typing() {
      const t = page.locator(".typing", { hasText: "typing" });
      await t.waitFor({ state: "visible", timeout: STEP });
      return { text: await t.innerText() };
    },
    async reload() {
      await page.reload({ waitUntil: "load", timeout: STEP });
      return {};
    },
    async messages() {
      const list = await page.locator(".msg").evaluateAll((els) => els.map((e) => {
        const body = e.querySelector(".body");
        return { dir: e.classList.contains("out") ? "out" : "in", text: body.textContent, html: body.innerHTML,
                 isolated: !!body.querySelector("bdi[dir=auto]") };
      }));
      return { list, pwned: await page.evaluate(() => window.__pwned === undefined ? null : String(window.__pwned)) };
    },
    async contacts() {
      const list = await page.locator(".contact .open").evaluateAll((els) => els.map((e) => ({
        jid: e.dataset.jid, name: e.querySelector(".name").textContent, nameHtml: e.querySelector(".name").innerHTML,
        status: e.querySelector(".status-text") ? e.querySelector(".status-text").textContent : "",
        statusHtml: e.querySelector(".status-text") ? e.querySelector(".status-text").innerHTML : "",
      })));
      return { list, pwned: await page.evaluate(() => window.__pwned === undefined ? null : String(window.__pwned)) };
    },
    async screenshot({ name }) {
      const file = path.join(artifacts, `${String(++shot).padStart(2, "0")}-${name}.png`);
      await page.screenshot({ path: file });
      return { path: file };
    },
    async close() {
      await browser.close();
      return {};
    },
  };

  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const c = JSON.parse(line);
    try {
      say({ ok: true, ...(await commands[c.cmd](c)) });
    } catch (e) {
      await page.screenshot({ path: path.join(artifacts, `${String(++shot).padStart(2, "0")}-failure.png`) }).catch(() => {});
      const shown = await page.evaluate(() => {
        const el = document.querySelector("[data-ofs-widget]");
        return el && el.shadowRoot ? el.shadowRoot.textContent.slice(0, 800) : "no widget";
      }).catch((x) => String(x));
      say({ ok: false, error: `${c.cmd}: ${String(e.message).split("\n")[0]}`, shown, logs: logs.slice(-20) });
    }
    if (c.cmd === "close") break;
  }
  process.exit(0);
}

main().catch((e) => (say({ ok: false, error: String(e) }), process.exit(1)));
