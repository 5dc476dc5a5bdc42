// Headless Chromium (Debian's /usr/bin/chromium through playwright-core) on a page that
// embeds status images with /sis/<JID>/embed snippets. Usage: node sis_browser.js <artifacts>
// Reads one JSON command per line and answers each with one JSON line:
//   goto {url}                 open the page, wait until every image has loaded: {images}
//   change {index, label}      wait until image index says label (its events stream changed
//                              it) and has loaded again: {images}
//   screenshot {name}          a PNG of the page in the artifacts dir: {path}
// images: [{alt, src, x, y, width, height}] in CSS pixels (device scale 1).
"use strict";
const { chromium } = require("playwright-core");
const path = require("path");
const readline = require("readline");

const artifacts = process.argv[2];
const say = (o) => process.stdout.write(JSON.stringify(o) + "\n");
setTimeout(() => (say({ ok: false, error: "timed out after 120 s" }), process.exit(1)), 120000).unref();

async function images(page) {
  return page.$$eval("img", (imgs) =>
    imgs.map((i) => {
      const r = i.getBoundingClientRect();
      return { alt: i.alt, src: i.src, x: r.x, y: r.y, width: r.width, height: r.height,
               loaded: i.complete && i.naturalWidth > 0 };
    }));
}

async function main() {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const page = await browser.newPage({ viewport: { width: 640, height: 360 }, deviceScaleFactor: 1 });
  const logs = [];
  page.on("console", (m) => logs.push(`console ${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => logs.push(`page error: ${e.message}`));
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const cmd = JSON.parse(line);
    try {
      if (cmd.cmd === "goto") {
        await page.goto(cmd.url);
        await page.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0),
                                   null, { timeout: 20000 });
        say({ ok: true, images: await images(page) });
      } else if (cmd.cmd === "change") {
        await page.waitForFunction(({ index, label }) => {
          const i = document.images[index];
          return i.alt.endsWith(label) && i.src.includes("&v=") && i.complete && i.naturalWidth > 0;
        }, { index: cmd.index, label: cmd.label }, { timeout: 20000 });
        say({ ok: true, images: await images(page) });
      } else if (cmd.cmd === "screenshot") {
        const file = path.join(artifacts, `${cmd.name}.png`);
        await page.screenshot({ path: file });
        say({ ok: true, path: file });
      } else {
        say({ ok: false, error: `unknown command ${cmd.cmd}` });
      }
    } catch (e) {
      say({ ok: false, error: `${cmd.cmd}: ${e.message}`, logs });
    }
  }
  await browser.close();
}

main().catch((e) => (say({ ok: false, error: e.message }), process.exit(1)));
