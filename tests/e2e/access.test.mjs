// Accessibility in headless Chromium: an axe-core audit (WCAG 2.1 A and AA)
// of every step in both languages once there are results to show, and a
// walk through the lesson with the keyboard alone that runs a benchmark.
//
// Run: node --test tests/e2e/access.test.mjs   (after the bundle is built).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { serve } from "./server.mjs";
import { audit } from "./shared.mjs";

const REPO = path.resolve(import.meta.dirname, "../..");
const DIST = path.join(REPO, "dist");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const RUN_TIMEOUT = 120_000;
const STEPS = 7;

let browser;
let server;

before(async () => {
    assert.ok(fs.existsSync(path.join(DIST, "index.html")), "dist/ is built (trunk build --release)");
    server = await serve(DIST);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
});

after(async () => {
    await browser?.close();
    await server?.close();
});

async function waitIdle(page) {
    await page.waitForFunction(() => document.querySelector(".app")?.dataset.busy === "false", null, { timeout: RUN_TIMEOUT });
}

test("axe finds no WCAG 2.1 A/AA violation on any step, in either language, with results on the page", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    // Results to show: a cold start, two runs (so step 6 compares them).
    await page.goto(server.url + "#step=2&model=tinycnn&warmup=1&runs=20");
    await page.waitForSelector("#cold-start:not([disabled])", { timeout: RUN_TIMEOUT });
    await page.click("#cold-start");
    await page.waitForSelector("#cold-result", { timeout: RUN_TIMEOUT });
    await page.goto(server.url + "#step=3&model=tinycnn&warmup=1&runs=20");
    for (let i = 0; i < 2; i++) {
        await page.waitForSelector("#run:not([disabled])", { timeout: RUN_TIMEOUT });
        await page.click("#run");
        await page.waitForFunction((n) => Number(document.querySelector(".app").dataset.runs) > n, i, { timeout: RUN_TIMEOUT });
        await waitIdle(page);
    }
    // And a notice on the page: a file that is not a model.
    await page.setInputFiles("#model-file", { name: "broken.onnx", mimeType: "application/octet-stream", buffer: Buffer.from("not a network") });
    await page.waitForSelector(".notice.error");
    const found = [];
    for (const lang of ["sv", "en"]) {
        for (let step = 1; step <= STEPS; step++) {
            await page.goto(server.url + `#step=${step}&lang=${lang}&model=tinycnn`);
            await page.waitForSelector(`article.step[data-step="${step}"]`);
            await page.waitForFunction((l) => document.documentElement.lang === l, lang);
            await waitIdle(page);
            await page.waitForTimeout(200);
            assert.ok(await page.$(".notice.error"), "the notice stays while the student moves on");
            for (const v of await audit(page)) found.push(`step ${step} (${lang}): ${v}`);
        }
    }
    // The charts' text alternatives carry the numbers the table shows.
    await page.goto(server.url + "#step=4&lang=sv&model=tinycnn");
    await page.waitForSelector("#stats-table");
    const p95 = await page.textContent('#stats-table tr[data-stat="P95"] td');
    const alt = (id) => page.getAttribute(`#${id}`, "aria-label");
    await page.waitForFunction(() => document.querySelector("#chart-box")?.getAttribute("role") === "img");
    assert.match(await alt("chart-histogram"), new RegExp(`^Latensfördelning: 20 körningar .* P95 ${p95} ms\\. Staplar`));
    assert.match(await alt("chart-box"), new RegExp(`^Lådagram för latens\\. .*P95 ${p95} ms`));
    assert.match(await alt("chart-series"), /^Latens per körning: 1 uppvärmningskörning från .* 20 tidtagna körningar/);

    // Projector mode: larger type, the same rules.
    await page.goto(server.url + "#step=4&lang=sv&model=tinycnn");
    await page.click("label.toggle input[type=checkbox]");
    await page.waitForSelector(".app.projector");
    for (const v of await audit(page)) found.push(`step 4 (projector): ${v}`);
    assert.deepEqual(found, []);
    await context.close();
});

/** Presses Tab until `selector` has the focus; fails when a whole round of
 * the page's focusable elements never reaches it. Returns the presses. */
async function tabTo(page, selector, max = 120) {
    for (let i = 1; i <= max; i++) {
        await page.keyboard.press("Tab");
        if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return i;
    }
    throw new Error(`${selector} cannot be reached with Tab`);
}

/** The visible, enabled controls on the page that Tab does not reach in
 * rounds from the top. A radio group is one stop (Tab reaches the group, the
 * arrow keys choose within it, as in every browser). */
async function reachability(page) {
    const controls = await page.evaluate(() => {
        const all = document.querySelectorAll("a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex='-1'])");
        const keys = new Set();
        [...all]
            // Inside a closed fold (not its summary) a control waits for the fold to open.
            .filter((e) => !(e.closest("details") && !e.closest("details").open && !e.closest("summary")))
            .filter((e) => !e.disabled && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden")
            .forEach((e, i) => {
                e.dataset.kbd = e.type === "radio" ? `radio:${e.name}` : String(i);
                keys.add(e.dataset.kbd);
            });
        return [...keys];
    });
    await page.evaluate(() => document.activeElement?.blur());
    await page.evaluate(() => window.scrollTo(0, 0));
    const reached = new Set();
    for (let i = 0; i < controls.length * 2 + 10; i++) {
        await page.keyboard.press("Tab");
        const k = await page.evaluate(() => document.activeElement?.dataset?.kbd);
        if (k !== undefined) reached.add(k);
    }
    const missed = await page.evaluate((ids) => ids.map((k) => {
        const e = document.querySelector(`[data-kbd="${CSS.escape(k)}"]`);
        return `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${e.className ? "." + String(e.className).split(" ").join(".") : ""}`;
    }), controls.filter((k) => !reached.has(k)));
    return missed;
}

test("the keyboard alone walks the lesson, runs a benchmark, reads and exports its results; every control is reachable", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(server.url + "#step=1&model=tinycnn&warmup=1&runs=10");
    await page.waitForSelector("#lang-select");

    // English, from the language menu.
    await tabTo(page, "#lang-select");
    await page.keyboard.press("ArrowDown");
    await page.waitForFunction(() => document.documentElement.lang === "en");

    // Step 2: the cold start, with Space.
    await tabTo(page, "#next");
    await page.keyboard.press("Enter");
    await page.waitForSelector('article.step[data-step="2"]');
    await page.waitForSelector("#cold-start:not([disabled])", { timeout: RUN_TIMEOUT });
    await tabTo(page, "#cold-start");
    await page.keyboard.press("Space");
    await page.waitForSelector("#cold-result", { timeout: RUN_TIMEOUT });

    // Step 3: twelve runs typed in, then Run with Enter.
    await tabTo(page, "#next");
    await page.keyboard.press("Enter");
    await page.waitForSelector('article.step[data-step="3"]');
    await tabTo(page, "#runs");
    await page.keyboard.press("Control+A");
    await page.keyboard.type("12");
    await page.waitForFunction(() => location.hash.includes("runs=12"));
    await page.waitForSelector("#run:not([disabled])", { timeout: RUN_TIMEOUT });
    await tabTo(page, "#run");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => /^Done: 12 timed runs/.test(document.querySelector("#run-done")?.textContent || ""), null,
        { timeout: RUN_TIMEOUT });

    // The one-line result leads to the results; the CSV downloads with Enter.
    await tabTo(page, "#read-results");
    await page.keyboard.press("Enter");
    await page.waitForSelector('article.step[data-step="4"] #stats-table');
    assert.equal(await page.textContent('#stats-table tr[data-stat="n"] td'), "12");
    await tabTo(page, '[data-export="latency.csv"]');
    const [dl] = await Promise.all([page.waitForEvent("download"), page.keyboard.press("Enter")]);
    assert.equal(dl.suggestedFilename(), "latency.csv");
    assert.equal(fs.readFileSync(await dl.path(), "utf8").trim().split("\n").length, 13);

    // On every step, Tab reaches every control the step shows.
    const missed = [];
    for (let step = 1; step <= STEPS; step++) {
        await page.goto(server.url + `#step=${step}&lang=en&model=tinycnn`);
        await page.waitForSelector(`article.step[data-step="${step}"]`);
        await waitIdle(page);
        for (const m of await reachability(page)) missed.push(`step ${step}: ${m}`);
    }
    assert.deepEqual(missed, []);
    await context.close();
});
