// The core journey of a student, in each engine a class brings: Chromium
// (Chromebooks), Firefox ESR (school laptops) and WebKitGTK (Safari's engine,
// as on iPads). One test per engine; engines.mjs hides how each is driven.
//
// What differs between engines is asserted per engine, not skipped: the
// browser's name, the timer step with and without isolation (measured in the
// page and compared with what the lab reports), wasm SIMD, and storage that
// survives a reload. The heavier drills (crashes, quota, memory, the
// service worker) need Chromium's DevTools protocol and stay in lab.test.mjs.
//
// Run: node --test tests/e2e/journey.test.mjs   (after the bundle is built).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { serve } from "./server.mjs";
import { ENGINES, launch, missing, tempFile } from "./engines.mjs";
import { catchDownloads, fixed, percentile, svNumbers } from "./shared.mjs";

const REPO = path.resolve(import.meta.dirname, "../..");
const DIST = path.join(REPO, "dist");
const PIEDGE = process.env.PIEDGE_BIN || path.join(REPO, "target/debug/piedge");
const RUN_TIMEOUT = 120_000;

// What each engine says about itself, as measured here (Debian's Chromium
// 156, Firefox ESR 153, WebKitGTK 2.50): the browser's name, and the timer
// step isolated and not, in ms. docs/measuring.md's timer table gives the same
// figures; a new engine release that changes them fails here first.
const EXPECTED = {
    chromium: { browser: /^Chrome \d+ \(Blink(, headless)?\)/, fine: 0.005, coarse: 0.1, roundsCores: false },
    firefox: { browser: /^Firefox \d+ \(Gecko\)/, fine: 0.02, coarse: 1, roundsCores: false },
    // WebKitGTK's user agent names Safari with a made-up version: the lab
    // names the engine and says it does not know the browser. WebKit rounds
    // navigator.hardwareConcurrency to 4 or 8, and the lab says so.
    webkit: { browser: /^unknown browser \(WebKit\)/, fine: 0.02, coarse: 1, roundsCores: true },
};

/** `measured` is `expected` up to a factor of 1.5 (a busy machine can skip a tick). */
function near(measured, expected) {
    return measured >= expected / 1.5 && measured <= expected * 1.5;
}

let isolated;
let plain;
let piReports;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "piedge-journey-"));

before(async () => {
    assert.ok(fs.existsSync(path.join(DIST, "index.html")), "dist/ is built (trunk build --release)");
    isolated = await serve(DIST);
    plain = await serve(DIST, { isolate: false });
    piReports = path.join(tmp, "pi");
    execFileSync(PIEDGE, ["bench", "--fakedata", "--model-path", path.join(REPO, "static/models/tinycnn.onnx"),
        "--warmup", "1", "--runs", "12", "--output-dir", piReports, "--quiet"]);
});

after(async () => {
    await isolated?.close();
    await plain?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
});

/** The page's own timer step: the median of 25 non-zero steps of
 * performance.now(), as the lab's probe measures it (src/clock.rs). */
function timerStepMs() {
    const steps = [];
    let t = performance.now();
    while (performance.now() === t);
    t = performance.now();
    for (let spins = 0; steps.length < 25 && spins < 1e8; spins++) {
        const u = performance.now();
        if (u !== t) {
            steps.push(u - t);
            t = u;
        }
    }
    steps.sort((a, b) => a - b);
    return steps[Math.floor(steps.length / 2)];
}

async function downloaded(page, selector, name) {
    await page.click(selector);
    await page.waitFor((n) => window.__downloads?.[n], name);
    return page.evaluate((n) => window.__downloads[n].text(), name);
}

const text = (page, selector) => page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector);
const count = (page, selector) => page.evaluate((s) => document.querySelectorAll(s).length, selector);
const runsKept = (page) => page.evaluate(() => Number(document.querySelector(".app").dataset.runs));

async function open(page, url) {
    await page.goto(url);
    await page.waitFor(() => document.querySelector("#lang-select"), null, RUN_TIMEOUT);
    await page.evaluate(catchDownloads);
}

async function runAndWait(page, selector) {
    await page.waitFor((s) => document.querySelector(s) && !document.querySelector(s).disabled, selector, RUN_TIMEOUT);
    const before = await runsKept(page);
    await page.click(selector);
    await page.waitFor((n) => {
        const app = document.querySelector(".app");
        return Number(app.dataset.runs) > n && app.dataset.busy === "false";
    }, before, RUN_TIMEOUT);
}

for (const engine of Object.keys(ENGINES)) {
    test(`the core journey in ${ENGINES[engine].title}`, async () => {
        // Not skipped when an engine is missing: scripts/setup installs all three.
        const absent = missing(engine);
        assert.equal(absent, null, absent);
        const t0 = Date.now();
        const browser = await launch(engine);
        try {
            await journey(engine, browser);
        } finally {
            await browser.close();
        }
        console.log(`# ${ENGINES[engine].title}: the journey took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });
}

/** The first glossary term on step 1 ("latens"): described by its
 * definition for a screen reader; shown on hover; opened and closed with
 * the mouse, and with Enter and Escape from the keyboard. */
async function glossaryTerm(engine, page) {
    const term = 'button.term[data-term="latency"]';
    await page.waitFor((s) => document.querySelector(s), term);
    const shown = () => page.evaluate(() => getComputedStyle(document.getElementById("term-def-latency")).display !== "none");
    const expanded = () => page.evaluate((s) => document.querySelector(s).getAttribute("aria-expanded"), term);
    const described = await page.evaluate((s) => {
        const b = document.querySelector(s);
        return [b.textContent, document.getElementById(b.getAttribute("aria-describedby"))?.textContent];
    }, term);
    assert.deepEqual(described, ["Latens", "latens: Tiden från att modellen får en bild tills den har svarat."]);
    await page.hover("header.top h1");
    assert.equal(await shown(), false, "the definition waits to be asked for");
    await page.hover(term);
    await page.waitFor(() => getComputedStyle(document.getElementById("term-def-latency")).display !== "none");
    await page.click(term);
    await page.waitFor((s) => document.querySelector(s).getAttribute("aria-expanded") === "true", term);
    await page.hover("header.top h1");
    assert.equal(await shown(), true, "a pressed term stays open when the mouse leaves");
    await page.click(term);
    await page.waitFor((s) => document.querySelector(s).getAttribute("aria-expanded") === "false", term);
    // WebKitGTK's WebDriver leaves :hover on the element it last clicked
    // (the mouse "moving" to the title does not clear it), so there the
    // open state is read from aria-expanded alone.
    const hoverFollows = engine !== "webkit";
    await page.hover("header.top h1");
    if (hoverFollows) assert.equal(await shown(), false, "a second press closes it");
    await page.press(term, "Enter");
    await page.waitFor((s) => document.querySelector(s).getAttribute("aria-expanded") === "true", term);
    assert.equal(await shown(), true, "Enter opens it");
    await page.press(term, "Escape");
    await page.waitFor((s) => document.querySelector(s).getAttribute("aria-expanded") === "false", term);
    assert.equal(await expanded(), "false");
    if (hoverFollows) assert.equal(await shown(), false, "Escape closes it");
}

async function journey(engine, browser) {
    const page = await browser.newPage();

    // Not isolated, the page gets the engine's coarse timer.
    await page.goto(plain.url + "no-such-page");
    const coarse = await page.evaluate(timerStepMs);

    // Open the lab (isolated): the lesson in Swedish, and the environment
    // panel telling this engine's truth.
    await open(page, isolated.url + "#step=1");
    assert.equal(await page.evaluate(() => document.documentElement.lang), "sv");
    assert.match(await text(page, "article.step h2"), /Vad är latens/);
    assert.equal(await page.evaluate(() => window.crossOriginIsolated), true);
    await page.waitFor(() => !document.querySelector("#env-timer").textContent.includes("…"));
    const fine = await page.evaluate(timerStepMs);
    // A decimal comma on the Swedish page.
    const reported = parseFloat((await text(page, "#env-timer")).replace(",", "."));
    assert.equal(await text(page, "#env-isolated"), "ja");
    assert.equal(await text(page, "#env-simd"), "ja", "wasm SIMD (tract's simd128 kernels)");
    const browserRow = await page.evaluate(() => [...document.querySelectorAll(".environment tr")]
        .map((tr) => tr.cells[1]?.textContent).pop());
    assert.match(browserRow, EXPECTED[engine].browser);
    const cores = await text(page, "#env-cores");
    assert.equal(/avrundar till 4 eller 8/.test(cores), EXPECTED[engine].roundsCores, `the cores row: ${cores}`);
    // The lab measures in its worker, this probe in the page: the same clock.
    assert.ok(reported > 0 && reported <= 2 * fine && fine <= 2 * reported,
        `the lab reports a ${reported} ms timer step, the page measures ${fine} ms`);
    assert.ok(near(fine, EXPECTED[engine].fine), `isolated, a ${EXPECTED[engine].fine} ms timer step, measured ${fine} ms`);
    assert.ok(near(coarse, EXPECTED[engine].coarse), `not isolated, a ${EXPECTED[engine].coarse} ms timer step, measured ${coarse} ms`);
    console.log(`# ${ENGINES[engine].title}: timer step ${fine.toFixed(4)} ms isolated (lab: ${reported} ms), ` +
        `${coarse.toFixed(4)} ms not isolated`);

    await glossaryTerm(engine, page);

    // Cold start on step 2.
    await page.click("#next");
    await page.waitFor(() => document.querySelector('article.step[data-step="2"]'));
    await page.waitFor(() => document.querySelector("#cold-start") && !document.querySelector("#cold-start").disabled, null, RUN_TIMEOUT);
    await page.click("#cold-start");
    await page.waitFor(() => document.querySelector("#cold-result"), null, RUN_TIMEOUT);
    assert.match(await text(page, "#cold-result"), /^Första körningen: \d+,\d{3} ms\. Medianen: \d+,\d{3} ms/);

    // The cold question: predicted, measured, explained in the student's own
    // words; the answer opens after the explanation, and a reload keeps all three.
    const cold = '[data-question="cold"]';
    await page.type(`${cold} .prediction`, "4");
    await page.click(`${cold} .measure`);
    await page.waitFor((q) => document.querySelector(`${q} .outcome`), cold, RUN_TIMEOUT);
    const outcome = await text(page, `${cold} .outcome`);
    assert.match(outcome, /^första körningen \/ medianen: din gissning 4,00 ×, uppmätt \d+,\d\d ×/);
    const closed = (q) => document.querySelector(`${q} .reveal`).disabled;
    assert.equal(await page.evaluate(closed, cold), true, "the answer waits for the explanation");
    const explanation = "Webbläsaren kompilerar koden först, så den första körningen tar längre tid.";
    await page.type(`${cold} .explanation`, explanation);
    await page.waitFor((q) => !document.querySelector(`${q} .reveal`).disabled, cold);
    await page.click(`${cold} .reveal`);
    await page.waitFor((q) => document.querySelector(`${q} .answer`), cold);
    await page.reload();
    await page.waitFor((q) => document.querySelector(`${q} .outcome`), cold, RUN_TIMEOUT);
    const field = (s) => page.evaluate((sel) => document.querySelector(sel).value, s);
    assert.equal(await field(`${cold} .prediction`), "4");
    assert.equal(await field(`${cold} .explanation`), explanation);
    assert.equal(await text(page, `${cold} .outcome`), outcome);
    assert.equal(await count(page, `${cold} .answer`), 1);

    // A run of the bundled MobileNetV2 on step 3, with its one-line result.
    await open(page, isolated.url + "#step=3&model=mobilenetv2&warmup=3&runs=30");
    await page.waitFor(() => document.querySelector("#model-name")?.textContent === "mobilenetv2.onnx", null, RUN_TIMEOUT);
    await runAndWait(page, "#run");
    const kept = await runsKept(page);
    assert.match(await text(page, "#run-done"), /^Klart: 30 tidtagna körningar, P50 \d+,\d{3} ms, P95 \d+,\d{3} ms\./);

    // The results: table, exports and charts agree.
    await page.click("#read-results");
    await page.waitFor(() => document.querySelector("#stats-table"));
    const csv = await downloaded(page, '[data-export="latency.csv"]', "latency.csv");
    const latencies = csv.trim().split("\n").slice(1).map((r) => Number(r.split(",")[1]));
    assert.equal(latencies.length, 30);
    const cell = (key) => text(page, `#stats-table tr[data-stat="${key}"] td`);
    assert.equal(await cell("n"), "30");
    assert.equal(await text(page, '#stats-table tr[data-stat="Mean"] th'), "Medelvärde", "Swedish names in the table");
    assert.equal(await cell("P50"), svNumbers(fixed(percentile(latencies, 50), 3)), "a decimal comma in Swedish");
    assert.equal(await cell("P95"), svNumbers(fixed(percentile(latencies, 95), 3)));
    const results = JSON.parse(await downloaded(page, '[data-export="latency_results.json"]', "latency_results.json"));
    assert.deepEqual(results.raw_latencies, latencies);
    assert.match(results.system_info.device.replace(/^Browser: /, ""), EXPECTED[engine].browser);
    assert.equal(results.system_info.cpu_count === null, EXPECTED[engine].roundsCores, "a rounded core count is not the device's");
    await page.waitFor(() => {
        const c = document.querySelector("#chart-histogram");
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let blue = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 2] - d[i] > 50 && d[i + 2] > 150) blue++;
        return blue > 500;
    });

    // An import from piedge bench (as from the Pi) beside the browser's run.
    await open(page, isolated.url + "#step=6");
    await page.waitFor((n) => document.querySelectorAll("#saved-runs li").length === n, kept);
    await page.setFiles("#import-file", [path.join(piReports, "latency_results.json")]);
    await page.waitFor((n) => document.querySelectorAll("#saved-runs li").length === n, kept + 1);
    assert.match(await text(page, "#saved-runs"), /latency_results\.json|piedge/);

    await page.type("#experiment-question", "Halverar uppvärmning 10 P95?");
    await page.type("#experiment-conclusion", "Nej, inte vid 30 körningar.");

    // A reload keeps both runs (IndexedDB in this engine).
    await page.reload();
    await page.waitFor(() => document.querySelector("#lang-select"));
    await page.waitFor((n) => document.querySelectorAll("#saved-runs li").length === n, kept + 1);
    assert.equal(await runsKept(page), kept + 1);

    // The worksheet, with the name typed once, downloads from this static
    // host with the prediction, the outcome, the explanation and the experiment.
    await open(page, isolated.url + "#step=7");
    await page.type("#student-name", "Ada");
    const sheet = await downloaded(page, "#export-worksheet", "piedge-worksheet.html");
    const data = JSON.parse(sheet.slice(sheet.indexOf('id="piedge-worksheet">') + 22, sheet.lastIndexOf("</script>")).replaceAll("<\\/", "</"));
    assert.equal(data.name, "Ada");
    const sheetCold = data.questions.find((q) => q.id === "cold");
    assert.deepEqual([sheetCold.prediction, sheetCold.outcome, sheetCold.explanation, sheetCold.answer_opened_before_explanation],
        ["4", outcome, explanation, false]);
    assert.equal(data.experiment.question, "Halverar uppvärmning 10 P95?");
    assert.equal(data.experiment.conclusion, "Nej, inte vid 30 körningar.");
    assert.ok(sheet.includes(`<blockquote class="explanation">${explanation}</blockquote>`));
    await open(page, isolated.url + "#step=6");

    // The language switch changes the words, not the runs.
    await page.select("#lang-select", "en");
    await page.waitFor(() => document.documentElement.lang === "en");
    assert.match(await text(page, "article.step h2"), /^[A-Z]/);
    assert.equal(await count(page, "#saved-runs li"), kept + 1);

    // A bad file gets a readable error in English; the model and runs stay.
    await open(page, isolated.url + "#step=3&lang=en&model=mobilenetv2");
    await page.waitFor(() => document.querySelector("#model-name")?.textContent === "mobilenetv2.onnx", null, RUN_TIMEOUT);
    await page.setFiles("#model-file", [tempFile("broken.onnx", "this is not a network")]);
    await page.waitFor(() => document.querySelector(".notice.error"));
    assert.match(await text(page, ".notices"), /broken\.onnx is not an ONNX model/);
    assert.equal(await text(page, "#model-name"), "mobilenetv2.onnx");
    assert.equal(await runsKept(page), kept + 1);

    assert.deepEqual(await page.pageErrors(), []);
    await page.close();
}
