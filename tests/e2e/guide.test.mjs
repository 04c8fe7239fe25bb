// The teacher's guide in a classroom without internet: `piedge serve` serves
// the built lab, Chromium can reach no other origin (every other address goes
// to a proxy that does not exist), and the guide opens from teacher mode and
// from the address the server prints at start, rendered from the bundle's
// docs/teacher*.md by the lab's own Markdown path. Then the same bundle as
// plain static files (a school's web folder, no isolation headers) opens it too.
//
// Run: node --test tests/e2e/guide.test.mjs  (after scripts/build-web and
// `cargo build --bin piedge`; scripts/test-all e2e does both).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { piedgeServe, serve } from "./server.mjs";
import { audit } from "./shared.mjs";

const REPO = path.resolve(import.meta.dirname, "../..");
const DIST = path.join(REPO, "dist");
const PIEDGE = process.env.PIEDGE_BIN || path.join(REPO, "target/debug/piedge");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "piedge-guide-"));
let browser;
let server;

before(async () => {
    assert.ok(fs.existsSync(path.join(DIST, "docs/teacher.sv.md")), "dist/ is built with the guide (scripts/build-web)");
    server = await piedgeServe(PIEDGE, DIST, tmp);
    browser = await chromium.launch({
        executablePath: CHROMIUM,
        // Chromium sends every request through the proxy except those to
        // loopback, which it always connects to directly: with no proxy
        // listening on port 9, no other origin is reachable.
        args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic", "--proxy-server=http://127.0.0.1:9"],
    });
});

after(async () => {
    await browser?.close();
    await server?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
});

/** The `## ` headings of a guide's Markdown, as the page shows them. */
function sections(file) {
    return fs.readFileSync(path.join(REPO, file), "utf8").split("\n")
        .filter((l) => l.startsWith("## "))
        .map((l) => l.slice(3).replaceAll("`", "").replaceAll("*", "").trim());
}

async function shownSections(page) {
    return page.$$eval("#guide .prose h2", (hs) => hs.map((h) => h.textContent.trim()));
}

test("the teacher's guide opens from teacher mode and from the server's printed address, with no other origin reachable", async () => {
    assert.match(server.guide, /^http:\/\/127\.0\.0\.1:\d+\/#guide=teacher$/, "the start-up message's address");
    const context = await browser.newContext();
    const requests = [];
    context.on("request", (r) => requests.push(r.url()));
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const origin = new URL(server.url).origin;

    // Teacher mode, in Swedish (the lab's default).
    await page.goto(`${server.url}#step=2&teacher=${server.teacherCode}`);
    await page.waitForSelector("#teacher-panel #open-guide");
    assert.deepEqual(await audit(page), [], "teacher mode with the guide's link passes the WCAG audit");
    const probe = await context.newPage();
    await assert.rejects(probe.goto("http://example.com/"), /net::ERR_/, "the test's browser reaches no other origin");
    await probe.close();

    await page.click("#open-guide");
    await page.waitForSelector("#guide .prose h1");
    assert.equal(await page.textContent("#guide .prose h1"), "Lärarhandledning");
    assert.match(page.url(), /step=2&.*teacher=[0-9A-F]+.*&guide=teacher/, "the guide keeps the teacher's place");
    assert.deepEqual(await shownSections(page), sections("docs/teacher.sv.md"), "every section, from the bundle's file");
    assert.ok(await page.locator("#guide .prose table").count() >= 3, "the guide's tables are rendered");
    assert.equal(await page.getAttribute("#guide", "lang"), "sv");
    assert.deepEqual(await audit(page), [], "the guide passes the WCAG audit");
    // The bundle carries only the teacher's guide: links to the other docs
    // stay as text, and the one to the English guide stays in the lab.
    assert.equal(await page.locator('#guide .prose a[href$=".md"]').count(), 0);
    await page.click('#guide .prose a[href*="lang=en"]');
    await page.waitForFunction(() => document.querySelector("#guide .prose h1")?.textContent === "The teacher's guide");
    assert.deepEqual(await shownSections(page), sections("docs/teacher.md"));
    assert.equal(await page.getAttribute("#guide", "lang"), "en");

    // Back to the lesson, teacher mode and step as they were.
    await page.click("#guide-back");
    await page.waitForSelector("article.step");
    assert.equal(await page.getAttribute("article.step", "data-step"), "2");
    assert.equal(await page.locator("#teacher-panel").count(), 1);
    assert.ok(!page.url().includes("guide="));

    // The address `piedge serve` printed, opened as it is.
    const printed = await context.newPage();
    printed.on("pageerror", (e) => errors.push(e.message));
    await printed.goto(server.guide);
    await printed.waitForSelector("#guide .prose h1");
    assert.equal(await printed.textContent("#guide .prose h1"), "Lärarhandledning");

    assert.ok(requests.some((u) => u.endsWith("/docs/teacher.sv.md")), "the guide came from the server's bundle");
    assert.deepEqual(requests.filter((u) => !u.startsWith(origin) && !u.startsWith("data:") && !u.startsWith("blob:")),
        ["http://example.com/"], "nothing but the probe left the server's origin");
    assert.deepEqual(errors, []);
    await context.close();
});

test("from plain static files (no server of ours, no headers) the guide opens at its address", async () => {
    const files = await serve(DIST, { isolate: false });
    const context = await browser.newContext();
    const requests = [];
    context.on("request", (r) => requests.push(r.url()));
    try {
        const page = await context.newPage();
        const errors = [];
        page.on("pageerror", (e) => errors.push(e.message));
        await page.goto(`${files.url}#guide=teacher&lang=en`);
        await page.waitForSelector("#guide .prose h1");
        assert.equal(await page.textContent("#guide .prose h1"), "The teacher's guide");
        assert.deepEqual(await shownSections(page), sections("docs/teacher.md"));
        const origin = new URL(files.url).origin;
        assert.deepEqual(requests.filter((u) => !u.startsWith(origin) && !u.startsWith("data:") && !u.startsWith("blob:")), []);
        assert.deepEqual(errors, []);
    } finally {
        await context.close();
        await files.close();
    }
});
