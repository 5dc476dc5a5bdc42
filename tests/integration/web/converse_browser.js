// Drives converse.js in headless Chromium (Debian's /usr/bin/chromium through playwright-core;
// no browser is downloaded). Usage: node converse_browser.js '<json>' where json has
//   scenario: "chat" | "refused", page: the page URL, jid, password, artifacts: a directory,
//   peer: who sends it, expect: the text of the message to wait for, reply: the text to
//   answer (chat only).
// Prints one line per step: "discovered <url>", "screenshot <path>", "online <full jid>",
// "received <text>", "sent <text>" (then waits for "done" on stdin), "refusal-shown <text>";
// "error <why>" and exit 1 on any failure, or after 90 s.
"use strict";
const { chromium } = require("playwright-core");
const fs = require("fs");
const path = require("path");
const readline = require("readline");

const args = JSON.parse(process.argv[2]);
const say = (line) => process.stdout.write(line + "\n");
const STEP = 20000; // ms for any one DOM state to appear
let browser, page;
const fail = async (why) => {
  if (page) {
    await screenshot(page, "failure").catch(() => {});  // what the user saw then
    const text = await page.evaluate(() => document.body.innerText).catch((e) => String(e));
    process.stderr.write(`page ${page.url()} shows:\n${text.slice(0, 1000)}\n`);
  }
  say("error " + String(why).split("\n")[0]);
  if (browser) await browser.close().catch(() => {});
  process.exit(1);
};
setTimeout(() => fail("timed out after 90 s"), 90000).unref();

let shot = 0;
async function screenshot(page, name) {
  const file = path.join(args.artifacts, `${String(++shot).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file });
  say("screenshot " + file);
}

function stdin_line() {
  const rl = readline.createInterface({ input: process.stdin });
  return new Promise((resolve) => rl.once("line", (l) => (rl.close(), resolve(l.trim()))));
}

async function log_in(page) {
  await page.goto(args.page, { waitUntil: "load", timeout: STEP });
  const discovery = page.locator("#discovery");
  await page.waitForFunction(
    () => { const d = document.getElementById("discovery").dataset; return d.service || d.error; },
    null, { timeout: STEP });
  const error = await discovery.getAttribute("data-error");
  if (error) throw new Error("host-meta discovery failed in the page: " + error);
  say("discovered " + (await discovery.getAttribute("data-service")));
  await page.locator("#converse-login-jid").waitFor({ state: "visible", timeout: STEP });
  await screenshot(page, "login-form");
  await page.fill("#converse-login-jid", args.jid);
  await page.fill("#converse-login-password", args.password);
  await page.click('#converse-login button[type="submit"]');
}

async function chat(page) {
  await log_in(page);
  await page.waitForFunction(() => document.body.dataset.xmppJid, null, { timeout: STEP });
  await page.locator("converse-roster").waitFor({ state: "visible", timeout: STEP });
  await page.locator("#converse-login").waitFor({ state: "detached", timeout: STEP });
  const jid = await page.evaluate(() => document.body.dataset.xmppJid);
  await screenshot(page, "logged-in");
  say("online " + jid);

  // A message from someone not in the roster shows as unread in the contacts list: open it.
  const contact = page.locator(`converse-roster a.open-chat[data-jid="${args.peer}"]`).first();
  await contact.waitFor({ state: "visible", timeout: STEP });
  await screenshot(page, "message-notified");
  await contact.click();
  const incoming = page.locator(".chat-msg__text", { hasText: args.expect });
  await incoming.waitFor({ state: "visible", timeout: STEP });
  await screenshot(page, "message-received");
  say("received " + (await incoming.innerText()).trim());

  const textarea = page.locator("textarea.chat-textarea");
  await textarea.fill(args.reply);
  await textarea.press("Enter");
  await page.locator(".chat-msg__text", { hasText: args.reply }).waitFor({ state: "visible", timeout: STEP });
  await screenshot(page, "reply-sent");
  say("sent " + args.reply);
  if ((await stdin_line()) !== "done") throw new Error("the test did not confirm the reply");
}

async function refused(page) {
  await log_in(page);
  const feedback = page.locator("#converse-login .conn-feedback.alert-danger");
  await feedback.waitFor({ state: "visible", timeout: STEP });
  await screenshot(page, "login-refused");
  say("refusal-shown " + (await feedback.innerText()).trim());
}

(async () => {
  fs.mkdirSync(args.artifacts, { recursive: true });
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--disable-dev-shm-usage", "--disable-gpu"],
    timeout: 30000,
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on("console", (m) => process.stderr.write(`console.${m.type()}: ${m.text()}\n`));
  page.on("pageerror", (e) => process.stderr.write(`pageerror: ${e.message}\n`));
  if (args.scenario === "chat") await chat(page);
  else if (args.scenario === "refused") await refused(page);
  else throw new Error("unknown scenario " + args.scenario);
  await browser.close();
  process.exit(0);
})().catch((e) => fail(e.message));
