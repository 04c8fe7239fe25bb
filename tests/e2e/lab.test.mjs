// End-to-end tests of the browser lab in Debian's headless Chromium, driven
// by playwright-core, against the built bundle (dist/) on a real HTTP server.
//
// Run: node --test tests/e2e/   (after `trunk build --release` and
// `cargo build --bin piedge`; scripts/test-all does both).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { piedgeServe as startPiedgeServe, serve } from "./server.mjs";
import { audit, fixed, percentile, svNumbers } from "./shared.mjs";

const REPO = path.resolve(import.meta.dirname, "../..");
const DIST = path.join(REPO, "dist");
const PIEDGE = process.env.PIEDGE_BIN || path.join(REPO, "target/debug/piedge");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const RUN_TIMEOUT = 120_000;

let browser;
let server;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "piedge-e2e-"));

before(async () => {
    assert.ok(fs.existsSync(path.join(DIST, "index.html")), "dist/ is built (trunk build --release)");
    server = await serve(DIST);
    browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"],
    });
});

after(async () => {
    await browser?.close();
    await server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
});

/** A fresh browser profile (empty storage) with the lab open at `hash`. */
async function openLab(hash = "", { context, viewport, url } = {}) {
    context = context || (await browser.newContext({ acceptDownloads: true, viewport: viewport || { width: 1280, height: 1000 } }));
    const page = await context.newPage();
    page.errors = [];
    page.on("pageerror", (e) => page.errors.push(e.message));
    await page.goto((url || server.url) + hash);
    await page.waitForSelector("#lang-select");
    return { context, page };
}

async function waitForModel(page, name) {
    await page.waitForFunction((n) => document.querySelector("#model-name")?.textContent === n, name, { timeout: RUN_TIMEOUT });
}

/** Clicks Run (or another start button) and waits until the run is kept. */
async function runAndWait(page, selector = "#run") {
    await page.waitForSelector(`${selector}:not([disabled])`, { timeout: RUN_TIMEOUT });
    const before = Number(await page.getAttribute(".app", "data-runs"));
    await page.click(selector);
    await page.waitForFunction(
        (n) => {
            const app = document.querySelector(".app");
            return Number(app.dataset.runs) > n && app.dataset.busy === "false";
        },
        before,
        { timeout: RUN_TIMEOUT },
    );
}

/** Types `guess` as question `q`'s prediction, measures, and waits for the outcome line. */
async function predictAndMeasure(page, q, guess) {
    await page.waitForSelector(q);
    await page.fill(`${q} .prediction`, guess);
    await page.waitForSelector(`${q} .measure:not([disabled])`, { timeout: RUN_TIMEOUT });
    await page.click(`${q} .measure`);
    await page.waitForSelector(`${q} .outcome`, { timeout: RUN_TIMEOUT });
}

async function download(page, selector) {
    const [dl] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
    return fs.readFileSync(await dl.path(), "utf8");
}

function parseCsv(text) {
    const [header, ...rows] = text.trim().split("\n");
    assert.equal(header, "run,latency_ms");
    return rows.map((r, i) => {
        const [run, ms] = r.split(",");
        assert.equal(Number(run), i);
        return Number(ms);
    });
}

async function statCell(page, key) {
    return page.textContent(`#stats-table tr[data-stat="${key}"] td`);
}

async function notices(page) {
    return page.$$eval(".notice", (ns) => ns.map((n) => n.textContent));
}

test("the lesson walks through seven steps, in Swedish by default", async () => {
    const { context, page } = await openLab();
    assert.equal(await page.getAttribute("html", "lang"), "sv");
    assert.match(await page.textContent("article.step h2"), /Vad är latens/);
    for (let step = 2; step <= 7; step++) {
        await page.click("#next");
        await page.waitForFunction((s) => location.hash.includes(`step=${s}&`), step);
        assert.equal(await page.getAttribute("article.step", "data-step"), String(step));
    }
    assert.ok(await page.isDisabled("#next"));
    await page.click("#back");
    await page.waitForFunction(() => location.hash.includes("step=6&"));
    await page.goBack();
    await page.waitForFunction(() => document.querySelector("article.step")?.dataset.step === "7");
    assert.deepEqual(page.errors, []);
    await context.close();
});

test("the environment panel shows isolation and a fine timer", async () => {
    const { context, page } = await openLab("#step=1");
    await page.waitForFunction(() => !document.querySelector("#env-timer").textContent.includes("…"));
    assert.equal(await page.textContent("#env-isolated"), "ja");
    assert.equal(await page.textContent("#env-simd"), "ja");
    const timer = parseFloat((await page.textContent("#env-timer")).replace(",", "."));
    assert.ok(timer > 0 && timer < 0.05, `isolated Chromium resolves time finer than 50 µs, got ${timer} ms`);

    // The project's kernels, checked against tract's own operators inside
    // this browser's worker with wasm SIMD and with the scalar loops.
    await page.click("#self-check");
    await page.waitForFunction(() => /✓|Avvikelse/.test(document.querySelector("#self-check-result").textContent), null,
        { timeout: RUN_TIMEOUT });
    const check = await page.textContent("#self-check-result");
    assert.match(check, /^✓ 40 \+ 40 \+ 40 slumpmässiga former ger samma svar som tracts egna operatorer \(scalar, simd128; max \|Δ\| /);
    assert.deepEqual(page.errors, []);
    await context.close();
});

test("a benchmark of mobilenetv2 (warmup 3, runs 30): table, CSV, summary and charts agree; language and reload keep it", async () => {
    const { context, page } = await openLab("#step=3&model=mobilenetv2&warmup=3&runs=30");
    await waitForModel(page, "mobilenetv2.onnx");
    await runAndWait(page);
    await page.click("#next");
    await page.waitForSelector("#stats-table");

    const latencies = parseCsv(await download(page, '[data-export="latency.csv"]'));
    assert.equal(latencies.length, 30);
    assert.equal(await statCell(page, "n"), "30");
    const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
    // The Swedish page writes a decimal comma; the files keep the point.
    assert.equal(await statCell(page, "Mean"), svNumbers(fixed(mean, 3)));
    assert.equal(await statCell(page, "P50"), svNumbers(fixed(percentile(latencies, 50), 3)));
    assert.equal(await statCell(page, "P95"), svNumbers(fixed(percentile(latencies, 95), 3)));
    assert.equal(await statCell(page, "Min"), svNumbers(fixed(Math.min(...latencies), 3)));

    const results = JSON.parse(await download(page, '[data-export="latency_results.json"]'));
    assert.deepEqual(results.raw_latencies, latencies);
    assert.equal(results.warmup_latencies.length, 3);
    assert.equal(results.benchmark_config.benchmark_runs, 30);
    assert.equal(results.engine.name, "tract");
    const summary = await download(page, '[data-export="latency_summary.txt"]');
    assert.equal(summary.trim().split("\n").pop(), `median_ms: ${fixed(percentile(latencies, 50), 3)}`);
    // The summary box mirrors the English file byte for byte, decimal points included.
    assert.equal(await page.textContent("#summary-text"), summary);

    // The histogram has drawn bars: bar-blue pixels on the canvas.
    await page.waitForTimeout(200);
    const bars = await page.$eval("#chart-histogram", (c) => {
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 2] - d[i] > 50 && d[i + 2] > 150) n++;
        return n;
    });
    assert.ok(bars > 500, `histogram bars drawn (${bars} pixels)`);

    // Switch language: the text changes, the run stays.
    const name = await page.textContent(".run-name strong");
    await page.selectOption("#lang-select", "en");
    await page.waitForFunction(() => document.documentElement.lang === "en");
    assert.match(await page.textContent("article.step h2"), /Read the results/);
    assert.equal(await page.textContent(".run-name strong"), name);
    assert.match(page.url(), /lang=en/);

    // Reload: the run is still there (IndexedDB).
    await page.reload();
    await page.waitForSelector("#stats-table");
    assert.equal(await page.textContent(".run-name strong"), name);
    assert.equal(await statCell(page, "n"), "30");
    assert.deepEqual(page.errors, []);
    await context.close();
});

test("opened from file:// (a USB stick), the page explains itself within a second, in both languages", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const started = Date.now();
    await page.goto("file://" + path.join(DIST, "index.html"));
    await page.waitForSelector("#file-help:not([hidden])", { timeout: 1000 });
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 1000, `the explanation took ${elapsed} ms`);
    const text = await page.textContent("#file-help");
    assert.match(text, /Labbet kan inte startas från en fil/);
    assert.match(text, /The lab cannot start from a file/);
    assert.match(text, /piedge serve --dir \./);
    assert.match(text, /python3 -m http\.server 8080/);
    assert.equal(await page.$("#loading"), null, "the spinner is gone");
    // Served over HTTP, the same page keeps the explanation hidden.
    await page.goto(server.url);
    await page.waitForSelector("#lang-select");
    assert.equal(await page.isVisible("#file-help"), false);
    await context.close();
});

test("a glossary term opens with a tap under touch emulation, and a screen reader hears its definition", async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
    const { page } = await openLab("#step=2&lang=en", { context });
    const term = 'button.term[data-term="run"]';
    await page.waitForSelector(term);
    const shown = () => page.$eval("#term-def-run", (d) => getComputedStyle(d).display !== "none");
    assert.equal(await shown(), false);
    await page.tap(term);
    await page.waitForFunction((s) => document.querySelector(s).getAttribute("aria-expanded") === "true", term);
    assert.equal(await shown(), true, "a tap opens the definition");
    // What assistive technology gets: Chromium's accessibility tree.
    const cdp = await context.newCDPSession(page);
    const { root } = await cdp.send("DOM.getDocument");
    const { nodeId } = await cdp.send("DOM.querySelector", { nodeId: root.nodeId, selector: term });
    const { nodes } = await cdp.send("Accessibility.getPartialAXTree", { nodeId, fetchRelatives: false });
    const node = nodes.find((n) => n.role?.value === "button");
    assert.equal(node.name?.value, "runs");
    assert.equal(node.description?.value,
        "run: One timed inference; with a coarse timer, the mean of a group of inferences in a row.");
    await page.tap(term);
    await page.waitForFunction((s) => document.querySelector(s).getAttribute("aria-expanded") === "false", term);
    // A new step closes what was open.
    await page.tap(term);
    await page.waitForFunction((s) => document.querySelector(s).getAttribute("aria-expanded") === "true", term);
    await page.tap("#next");
    await page.waitForSelector('article.step[data-step="3"]');
    await page.tap("#back");
    await page.waitForSelector(term);
    assert.equal(await page.getAttribute(term, "aria-expanded"), "false");
    assert.deepEqual(page.errors, []);
    await context.close();
});

test("a finished run says so beside its button, with the way to its results", async () => {
    const { context, page } = await openLab("#step=3&lang=en&model=tinycnn&warmup=1&runs=10");
    await waitForModel(page, "tinycnn.onnx");
    assert.equal((await page.textContent("#run-done")).trim(), "", "nothing before a run");
    await runAndWait(page);
    const line = await page.textContent("#run-done");
    assert.match(line, /^Done: 10 timed runs, P50 \d+\.\d{3} ms, P95 \d+\.\d{3} ms\./);
    await page.click("#read-results");
    await page.waitForSelector('article.step[data-step="4"]');
    assert.match(await page.textContent("#stats-table"), /P95/);
    // Ten runs leave half a run above P95: the table says what that means.
    assert.match(await page.textContent("#tail-note"), /^At n = 10 only 0\.5 runs lie above P95: .* P95 from 100 runs, P99 from 500\.$/);
    await context.close();
});

test("the URL carries step, language, model and settings", async () => {
    const { context, page } = await openLab("#step=3&lang=en&model=tinycnn&warmup=7&runs=13&seed=5&plan=unoptimized");
    await waitForModel(page, "tinycnn.onnx");
    assert.equal(await page.inputValue("#warmup"), "7");
    assert.equal(await page.inputValue("#runs"), "13");
    assert.equal(await page.inputValue("#seed"), "5");
    assert.equal(await page.inputValue("#model-select"), "tinycnn");
    assert.ok(await page.isChecked("#plan-unoptimized"));
    await page.fill("#runs", "21");
    await page.waitForFunction(() => location.hash.includes("runs=21"));
    await context.close();
});

test("invalid settings are explained inline and cannot start a run", async () => {
    const { context, page } = await openLab("#step=3&lang=en&model=tinycnn");
    await waitForModel(page, "tinycnn.onnx");
    assert.ok(!(await page.isDisabled("#run")));
    await page.fill("#runs", "0");
    assert.match(await page.textContent("#runs-error"), /at least 1/);
    assert.ok(await page.isDisabled("#run"));
    await page.fill("#runs", "abc");
    assert.match(await page.textContent("#runs-error"), /whole number/);
    await page.fill("#warmup", "20000");
    assert.match(await page.textContent("#warmup-error"), /at most 10000/);
    await page.fill("#runs", "5");
    await page.fill("#warmup", "1");
    assert.ok(!(await page.isDisabled("#run")));
    await context.close();
});

test("a corrupt .onnx gets a readable error; the model, the app and the results survive", async () => {
    const { context, page } = await openLab("#step=3&lang=en&model=tinycnn&warmup=1&runs=5");
    await waitForModel(page, "tinycnn.onnx");
    await runAndWait(page);
    await page.setInputFiles("#model-file", { name: "broken.onnx", mimeType: "application/octet-stream", buffer: Buffer.from("this is not a network") });
    await page.waitForSelector(".notice.error");
    const text = (await notices(page)).join("\n");
    assert.match(text, /broken\.onnx is not an ONNX model/);
    assert.equal(await page.textContent("#model-name"), "tinycnn.onnx");
    await runAndWait(page);
    await page.goto(server.url + "#step=6&lang=en");
    await page.waitForSelector("#saved-runs li");
    assert.equal(await page.$$eval("#saved-runs li", (l) => l.length), 2);
    assert.deepEqual(page.errors, []);
    await context.close();
});

test("a student's own model is read locally and benchmarked", async () => {
    const { context, page } = await openLab("#step=3&lang=en&warmup=0&runs=3");
    await page.setInputFiles("#model-file", path.join(REPO, "static/models/tinycnn.onnx"));
    await waitForModel(page, "tinycnn.onnx");
    assert.match(await page.textContent("#model-macs"), /6\.50 M/);
    await runAndWait(page);
    await context.close();
});

test("results from piedge bench import and compare; a malformed import is rejected and nothing is lost", async () => {
    const out = path.join(tmp, "pi-reports");
    execFileSync(PIEDGE, ["bench", "--fakedata", "--model-path", path.join(REPO, "static/models/tinycnn.onnx"),
        "--warmup", "1", "--runs", "12", "--output-dir", out, "--quiet"]);
    const { context, page } = await openLab("#step=6&lang=en");
    await page.setInputFiles("#import-file", path.join(out, "latency.csv"));
    await page.waitForSelector("#saved-runs li");
    await page.setInputFiles("#import-file", path.join(out, "latency_results.json"));
    await page.waitForFunction(() => document.querySelectorAll("#saved-runs li").length === 2);
    const rows = await page.$$eval("#comparison-table tbody tr", (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    assert.equal(rows.length, 2);
    assert.ok(rows.every((r) => r[4] === "12"), JSON.stringify(rows));
    assert.ok(rows.some((r) => r[2].startsWith("tract")), "the JSON names its engine");

    await page.setInputFiles("#import-file", { name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from("run,latency_ms\n0,1.5\n1,oops\n") });
    await page.waitForSelector(".notice.error");
    assert.match((await notices(page)).join("\n"), /bad\.csv: line 3: `oops` is not a number/);
    assert.equal(await page.$$eval("#saved-runs li", (l) => l.length), 2);
    await context.close();
});

test("cancel stops a long run within a moment and keeps what finished", async () => {
    const { context, page } = await openLab("#step=3&lang=en&model=mobilenetv2&warmup=0&runs=100000");
    await waitForModel(page, "mobilenetv2.onnx");
    await page.click("#run");
    await page.waitForFunction(() => /Measuring: [1-9]/.test(document.querySelector("#progress")?.textContent || ""));
    const t0 = Date.now();
    await page.click("#cancel");
    await page.waitForSelector("#progress", { state: "detached", timeout: 5000 });
    assert.ok(Date.now() - t0 < 2000, `cancel took ${Date.now() - t0} ms`);
    await page.click("#next");
    await page.waitForSelector("#stats-table");
    assert.match(await page.textContent(".results"), /Cancelled/);
    const n = Number(await statCell(page, "n"));
    assert.ok(n > 0 && n < 100000, `kept ${n} runs`);
    await context.close();
});

test("a crashed worker is reported and replaced; the page and earlier results survive", async () => {
    const { context, page } = await openLab("#step=3&lang=en&model=tinycnn&warmup=1&runs=5");
    await waitForModel(page, "tinycnn.onnx");
    await runAndWait(page);
    await page.evaluate(() => window.piedgeLab.crashWorker());
    await page.waitForFunction(() => /crashed and was restarted/.test(document.querySelector(".notices").textContent));
    await runAndWait(page);
    await page.goto(server.url + "#step=6&lang=en");
    await page.waitForSelector("#saved-runs li");
    assert.equal(await page.$$eval("#saved-runs li", (l) => l.length), 2);
    await context.close();
});

test("cold start; a question predicted, measured and explained survives a reload; the experiment and the worksheet a teacher grades", async () => {
    const { context, page } = await openLab("#step=2&lang=en&model=tinycnn");
    await page.waitForSelector("#cold-start:not([disabled])", { timeout: RUN_TIMEOUT });
    await page.click("#cold-start");
    await page.waitForSelector("#cold-result", { timeout: RUN_TIMEOUT });
    assert.match(await page.textContent("#cold-result"), /First run: [\d.]+ ms\. Median: [\d.]+ ms/);

    await page.click("#next");
    await page.click("#next");
    await page.click("#next");
    const q = '[data-question="p95"]';
    await page.waitForSelector(q);
    assert.ok(await page.isDisabled(`${q} .reveal`), "the answer waits for a prediction and a measurement");
    // The lesson asks for p95 in ms: words are no prediction there.
    await page.fill(`${q} .prediction`, "a bit above the mean");
    await page.click(`${q} .measure`);
    await page.waitForSelector(`${q} table.mini tbody tr`, { timeout: RUN_TIMEOUT });
    await page.waitForFunction(() => document.querySelector(".app").dataset.busy === "false", null, { timeout: RUN_TIMEOUT });
    assert.ok(await page.isDisabled(`${q} .reveal`), "measured, but words are not a number");
    await page.fill(`${q} .prediction`, "0,5");
    // Predicted and measured: the answer now waits for the explanation (the lesson's default).
    await page.waitForSelector(`${q} .explanation`);
    assert.ok(await page.isDisabled(`${q} .reveal`), "predicted and measured, but not explained");
    assert.match(await page.textContent(`${q} .answer-waits`), /^Write your explanation/);
    await page.fill(`${q} .explanation`, "dunno");
    assert.ok(await page.isDisabled(`${q} .reveal`), "one word is no explanation");
    const explanation = "The slow tail: a few runs take much longer, & users feel those <not the mean>.";
    await page.fill(`${q} .explanation`, explanation);
    await page.waitForSelector(`${q} .reveal:not([disabled])`);
    // The prediction beside the measurement: the p95 of the run the table shows.
    const p95Cell = await page.textContent(`${q} table.mini tbody tr td:nth-child(4)`);
    const outcome = await page.textContent(`${q} .outcome`);
    assert.match(outcome, /^P95: you predicted 0\.500 ms, measured [\d.]+ ms: [\d.]+ ms \(\d+ %\) too (high|low)\.$/);
    assert.ok(outcome.includes(`measured ${p95Cell} ms`), `${outcome} vs ${p95Cell}`);
    await page.click(`${q} .reveal`);
    assert.match(await page.textContent(`${q} .answer`), /slow tail/);
    assert.equal(await page.locator(`${q} .tail-hidden`).count(), 0, "a fine timer times one inference at a time");
    // After a reload the prediction, its measurement, the explanation and the open answer are still there.
    await page.reload();
    await page.waitForSelector(`${q} .outcome`, { timeout: RUN_TIMEOUT });
    assert.equal(await page.inputValue(`${q} .prediction`), "0,5");
    assert.equal(await page.textContent(`${q} .outcome`), outcome);
    assert.equal(await page.inputValue(`${q} .explanation`), explanation);
    assert.match(await page.textContent(`${q} .answer`), /slow tail/);

    // The student's own experiment: a question and a prediction, the suggested series as a start, a conclusion.
    await page.click("#next");
    await page.fill("#experiment-question", "Does the spread shrink with more runs?");
    await page.fill("#experiment-prediction", "The standard deviation halves at 100 runs.");
    await page.waitForSelector("#series-runs:not([disabled])");
    await page.click("#series-runs");
    await page.waitForFunction(() => document.querySelectorAll("#comparison-table tbody tr").length === 3, null, { timeout: RUN_TIMEOUT });
    const ns = await page.$$eval("#comparison-table tbody tr", (trs) => trs.map((tr) => tr.cells[4].textContent));
    assert.deepEqual(ns, ["10", "50", "100"]);
    await page.waitForFunction(() => document.querySelectorAll("#experiment-table tbody tr").length === 3);
    assert.match(await page.textContent("#experiment-table tbody tr:last-child"), /warmup 3, 100 runs, optimised/);
    await page.fill("#experiment-conclusion", "It did not shrink; the interval did.");

    // The worksheet, downloaded from this static host, holds what a teacher grades.
    await page.click("#next");
    await page.fill("#student-name", "Ada Lovelace");
    await page.fill("#student-class", "NA22b");
    assert.match(await page.textContent("#hand-in"), /the way your school usually takes assignments/);
    const sheet = await download(page, "#export-worksheet");
    assert.match(sheet, /^<!doctype html>/);
    const data = JSON.parse(sheet.slice(sheet.indexOf('id="piedge-worksheet">') + 22, sheet.lastIndexOf("</script>")).replaceAll("<\\/", "</"));
    assert.equal(data.name, "Ada Lovelace");
    assert.equal(data.class, "NA22b");
    assert.ok(sheet.includes('<dd class="name">Ada Lovelace</dd>'));
    assert.ok(sheet.includes(`<p class="outcome">${outcome}</p>`), "the outcome line, as the page showed it");
    assert.ok(sheet.includes(`<blockquote class="explanation">${explanation.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")}</blockquote>`));
    assert.ok(sheet.includes("<svg"), "the answering run's histogram");
    const p95q = data.questions.find((x) => x.id === "p95");
    assert.equal(p95q.prediction, "0,5");
    assert.equal(p95q.explanation, explanation);
    assert.equal(p95q.answer_opened, true);
    assert.equal(p95q.answer_opened_before_explanation, false);
    assert.equal(p95q.measured.toFixed(3), p95Cell);
    assert.ok(Math.abs(p95q.error_percent - (0.5 - p95q.measured) / p95q.measured * 100) < 1e-9);
    assert.equal(data.runs.find((r) => r.id === p95q.runs[0]).p95_ms.toFixed(3), p95Cell);
    // Every question of the lesson is there, measured or not.
    // A static host asks the reference question in place of the server's.
    assert.deepEqual(data.questions.map((x) => x.id), ["cold", "plans", "p95", "spread", "reference"]);
    const e = data.experiment;
    assert.equal(e.question, "Does the spread shrink with more runs?");
    assert.equal(e.prediction, "The standard deviation halves at 100 runs.");
    assert.equal(e.conclusion, "It did not shrink; the interval did.");
    assert.deepEqual(e.runs.map((id) => data.runs.find((r) => r.id === id).runs), [10, 50, 100]);
    for (const text of ["Does the spread shrink with more runs?", "The standard deviation halves at 100 runs.", "It did not shrink; the interval did."]) {
        assert.ok(sheet.includes(text), text);
    }
    // Opened in a browser, its first screen is the name and the overview a teacher grades from.
    const reader = await context.newPage();
    await reader.setContent(sheet);
    const overview = await reader.locator("table.overview").boundingBox();
    assert.ok(overview && overview.y + overview.height <= 1000, "the overview is on the first screen");
    if (process.env.PIEDGE_WORKSHEET_PNG) await reader.screenshot({ path: process.env.PIEDGE_WORKSHEET_PNG });
    await reader.close();
    // The name is kept in the browser.
    await page.reload();
    await page.waitForSelector("#student-name");
    await page.waitForFunction(() => document.querySelector("#student-name").value === "Ada Lovelace");
    assert.equal(await page.inputValue("#student-class"), "NA22b");
    assert.deepEqual(page.errors, []);
    await context.close();
});

test("teacher mode shows the checklist, the notes and makes a class link; the class's answers wait for the teacher's word", async () => {
    const { context, page } = await openLab("#step=1&lang=en&model=tinycnn&warmup=2&runs=30&teacher=t1");
    await page.waitForSelector("#teacher-panel");
    // The time plan: the core and the slack fill the hour; the extensions come on top.
    assert.match(await page.textContent("#time-plan tr.slack"), /Slack.*\s*\d+ min/);
    assert.match(await page.textContent("#time-plan tr.total"), /The lesson \(core and slack\)\s*60 min\s*\d+ min/);
    assert.equal(await page.locator("article.step .teacher-note").count(), 1, "the step's note");
    // Before the lesson: on a static host the server's item says what the class goes without.
    await page.waitForSelector('#checklist[open][data-serving="static"]');
    assert.match(await page.textContent('#checklist [data-item="serve"]'), /static site.*no class board/);
    assert.equal(await page.getAttribute('#checklist [data-item="device-check"] a', "href"), "check.html");
    for (const item of ["serve", "device-check", "class-link", "projector", "unreachable"]) await page.check(`#check-${item}`);
    await page.waitForSelector("#checklist:not([open])");
    await page.reload();
    await page.waitForSelector("#checklist:not([open])");
    assert.match(await page.textContent("#checklist summary"), /Before the lesson: all done/);
    assert.ok(await page.isChecked("#check-projector"), "the ticks are kept in the browser");
    await page.fill("#release-word-set", "Tiger");
    await page.check("#fix-settings");
    const link = await page.getAttribute("#class-link", "href");
    assert.match(link, /#step=1&lang=en&model=tinycnn&warmup=2&runs=30&seed=0&plan=optimized&class=[0-9a-f]{8}&fixed=1$/);
    assert.ok(!link.includes("teacher="), "the class link carries no teacher code");
    await context.close();

    const student = await openLab(link.slice(link.indexOf("#")).replace("step=1", "step=3"));
    const s = student.page;
    assert.equal(await s.locator("#teacher-panel").count(), 0);
    assert.equal(await s.locator(".teacher-note").count(), 0, "no teacher's notes for students");
    assert.ok(await s.isDisabled("#runs"), "the teacher fixed the settings");
    assert.match(await s.textContent("#fixed-note"), /fixed the settings/);
    await s.goto(server.url + link.slice(link.indexOf("#")).replace("step=1", "step=5"));
    const q = '[data-question="p95"]';
    await predictAndMeasure(s, q, "1");
    await s.fill(`${q} .explanation`, "the slow tail matters");
    assert.ok(await s.isDisabled(`${q} .reveal`), "predicted, measured and explained, but the teacher has not released the answers");
    await s.fill(`${q} .release-word`, "lion");
    await s.click(`${q} .release`);
    await s.waitForSelector(".notices .notice.error");
    assert.ok(await s.isDisabled(`${q} .reveal`));
    await s.fill(`${q} .release-word`, " tiger");
    await s.click(`${q} .release`);
    await s.waitForSelector(`${q} .reveal:not([disabled])`);
    assert.equal(await s.locator(`${q} .release-lock`).count(), 0);
    await s.click(`${q} .reveal`);
    assert.match(await s.textContent(`${q} .answer`), /slow tail/);
    await student.context.close();
});

test("a step and a question a teacher adds to the Markdown show up and are gated, with no change to the lab", async () => {
    const copy = path.join(tmp, "teacher-copy");
    fs.cpSync(DIST, copy, { recursive: true });
    const lesson = path.join(copy, "lessons/en.md");
    fs.appendFileSync(lesson, "\n# Our class's own step\n\nOne more measurement.\n\n" +
        "::: question ours measure=2,30 predict=p50 opens=measured explain=\"What is a median?\"\n" +
        "Guess the median in milliseconds.\n---\nIt is the p50.\n:::\n");
    const copied = await serve(copy);
    try {
        const { context, page } = await openLab("#step=8&lang=en&model=tinycnn", { url: copied.url });
        await page.waitForSelector('article.step[data-step="8"]');
        assert.equal(await page.textContent("article.step h2"), "Our class's own step");
        assert.match(await page.textContent(".step-count"), /8 \/ 8$/);
        const q = '[data-question="ours"]';
        await page.fill(`${q} .prediction`, "soon");
        await page.waitForSelector(`${q} .measure:not([disabled])`, { timeout: RUN_TIMEOUT });
        await page.click(`${q} .measure`);
        await page.waitForSelector(`${q} table.mini tbody tr`, { timeout: RUN_TIMEOUT });
        await page.waitForFunction(() => document.querySelector(".app").dataset.busy === "false", null, { timeout: RUN_TIMEOUT });
        assert.equal(await page.textContent(`${q} table.mini tbody tr td:first-child`), "30", "the runs the Markdown asked for");
        assert.ok(await page.isDisabled(`${q} .reveal`), "a word is not a number");
        await page.fill(`${q} .prediction`, "1");
        await page.waitForSelector(`${q} .reveal:not([disabled])`);
        assert.match(await page.textContent(`${q} .outcome`), /^P50: you predicted 1\.000 ms, measured [\d.]+ ms/);
        // opens=measured: the answer opens before an explanation, under the Markdown's prompt.
        assert.match(await page.textContent(`${q} .explain`), /^Explain in your own words\s*What is a median\?/);
        assert.equal(await page.inputValue(`${q} .explanation`), "");
        await page.click(`${q} .reveal`);
        assert.match(await page.textContent(`${q} .answer`), /It is the p50/);
        await context.close();
    } finally {
        await copied.close();
    }
});

test("after a normal run, the cold start runs in a new worker and marks the runs the stated rule selects", async () => {
    const { context, page } = await openLab("#step=3&lang=en&model=mobilenetv2&warmup=3&runs=20");
    await waitForModel(page, "mobilenetv2.onnx");
    await runAndWait(page);
    const before = page.workers()[0];
    await page.goto(server.url + "#step=2&lang=en&model=mobilenetv2");
    await runAndWait(page, "#cold-start");
    await page.waitForSelector("#cold-result");
    // The worker that ran the model was ended, and a new one measured.
    assert.equal(page.workers().length, 1);
    assert.notEqual(page.workers()[0], before);
    await page.goto(server.url + "#step=6&lang=en");
    await page.waitForSelector("#export-all:not([disabled])");
    const [dl] = await Promise.all([page.waitForEvent("download"), page.click("#export-all")]);
    const all = JSON.parse(fs.readFileSync(await dl.path(), "utf8")).runs.map((r) => r.report ?? r);
    const cold = all.find((r) => r.benchmark_config.warmup_runs === 0);
    assert.equal(cold.system_info.extra.fresh_worker, "true", "the new worker planned the model itself");
    assert.equal(all.find((r) => r.benchmark_config.warmup_runs === 3).system_info.extra.fresh_worker, undefined);
    // The rule of src/cold.rs, computed here: leading runs above Q3 + 1.5 IQR of the second half.
    const x = cold.raw_latencies;
    const later = x.slice(x.length / 2);
    const q1 = percentile(later, 25);
    const q3 = percentile(later, 75);
    const edge = q3 + 1.5 * (q3 - q1);
    let n = 0;
    while (n < x.length / 2 && x[n] > edge) n++;
    await page.goto(server.url + "#step=2&lang=en&model=mobilenetv2");
    const alt = await page.waitForFunction(() => document.querySelector(".cold-start canvas")?.getAttribute("aria-label"));
    const text = await alt.jsonValue();
    if (n === 0) assert.doesNotMatch(text, /cold run/);
    else assert.match(text, new RegExp(`${n} cold runs? at the start: above ${fixed(edge, 3)} ms`));
    console.log(`# cold start in a new worker: first run ${x[0].toFixed(3)} ms, ${n} cold runs above ${edge.toFixed(3)} ms`);
    await context.close();
});

test("a run during which the tab was hidden is marked disturbed, in the page and in its JSON", async () => {
    const { context, page } = await openLab("#step=3&lang=en&model=tinycnn&warmup=0&runs=3000");
    await waitForModel(page, "tinycnn.onnx");
    await page.click("#run");
    await page.waitForFunction(() => /Measuring: [1-9]/.test(document.querySelector("#progress")?.textContent || ""));
    // Headless Chromium never hides a tab: the page is told as a browser tells it.
    const setHidden = (hidden) => page.evaluate((h) => {
        Object.defineProperty(document, "hidden", { value: h, configurable: true });
        document.dispatchEvent(new Event("visibilitychange"));
    }, hidden);
    await setHidden(true);
    await setHidden(false);
    await page.waitForFunction(() => document.querySelector(".app").dataset.runs === "1" &&
        document.querySelector(".app").dataset.busy === "false", null, { timeout: RUN_TIMEOUT });
    await page.click("#read-results");
    assert.match(await page.textContent("#disturbed-note"), /^Disturbed measurement: the tab was hidden while it ran/);
    const results = JSON.parse(await download(page, '[data-export="latency_results.json"]'));
    assert.equal(results.system_info.extra.disturbed_tab_hidden, "true");
    // The next run, with the tab in view, is not marked.
    await page.goto(server.url + "#step=3&lang=en&model=tinycnn&warmup=0&runs=20");
    await runAndWait(page);
    await page.click("#read-results");
    await page.waitForSelector("#stats-table");
    assert.equal(await page.$("#disturbed-note"), null);
    await context.close();
});

test("at 360 px wide nothing scrolls sideways", async () => {
    const { context, page } = await openLab("#step=4&lang=sv", { viewport: { width: 360, height: 740 } });
    await page.waitForSelector("article.step");
    for (const step of [1, 3, 6]) {
        await page.goto(server.url + `#step=${step}&lang=sv`);
        await page.waitForSelector(`article.step[data-step="${step}"]`);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= 360, `step ${step} is ${width} px wide`);
    }
    await context.close();
});

test("without isolation the lab says the timer is coarse and times batches when an inference is too short", async () => {
    const plain = await serve(DIST, { isolate: false });
    try {
        // Blocking service workers leaves the page as a plain static host
        // serves it: not isolated, with Chromium's 100 µs timer.
        const context = await browser.newContext({ serviceWorkers: "block", acceptDownloads: true });
        const { page } = await openLab("#step=1&lang=en&model=tinycnn", { context, url: plain.url });
        await page.waitForFunction(() => !document.querySelector("#env-timer").textContent.includes("…"));
        assert.equal(await page.textContent("#env-isolated"), "no");
        // Served from this device without the headers: secure, not isolated.
        assert.match(await page.textContent("#timer-why"),
            /^The server did not send the headers that let the browser isolate this page .* coarse timer \(\d+ µs here\)\. Reload the page once/);
        const timer = parseFloat(await page.textContent("#env-timer"));
        assert.ok(timer >= 0.05, `a coarse timer, got ${timer} ms`);

        await page.goto(plain.url + "#step=3&lang=en&model=tinycnn&warmup=5&runs=10");
        await waitForModel(page, "tinycnn.onnx");
        await runAndWait(page);
        await page.click("#next");
        await page.waitForSelector("#stats-table");
        const results = JSON.parse(await download(page, '[data-export="latency_results.json"]'));
        assert.equal(results.system_info.extra.timer_context, "no_isolation_headers", "the report says why the timer was coarse");
        assert.match(await page.textContent('[data-timer-why="run"]'), /did not send the headers/);
        // The fastest warmup inference the timer saw decides.
        const fastest = Math.min(...results.warmup_latencies.filter((x) => x > 0));
        const expected = Math.max(1, Math.ceil((20 * results.timer.median_step_ms) / fastest));
        assert.equal(results.benchmark_config.inferences_per_sample, expected);
        const noted = /mean of a group of inferences/.test(await page.textContent(".results"));
        assert.equal(noted, expected > 1, "the batching note shows exactly when samples are batches");

        // The P95 question measured in batches: the page says, beside the
        // outcome, that the tail is hidden and what to do here.
        await page.goto(plain.url + "#step=5&lang=en&model=tinycnn");
        const q = '[data-question="p95"]';
        await predictAndMeasure(page, q, "1");
        assert.match(await page.textContent(`${q} .tail-hidden`),
            /^The timer was too coarse: each run is the mean of \d+ inferences, so single slow inferences are averaged away, and P95 and the spread look smaller than they are\. Reload the page once, so that it gets a fine timer, and measure again\.$/);

        // The warmup series: one batch size, chosen before it, for all three runs (warmup 0 too).
        await page.goto(plain.url + "#step=6&lang=en&model=tinycnn");
        await page.waitForSelector("#series-warmup:not([disabled])", { timeout: RUN_TIMEOUT });
        await page.click("#series-warmup");
        await page.waitForFunction(() => document.querySelectorAll("#comparison-table tbody tr").length >= 3, null, { timeout: RUN_TIMEOUT });
        await page.waitForFunction(() => document.querySelector(".app").dataset.busy === "false", null, { timeout: RUN_TIMEOUT });
        const all = JSON.parse(await download(page, "#export-all")).runs.map((r) => r.report);
        const series = all.filter((r) => r.benchmark_config.benchmark_runs === 50);
        assert.deepEqual(series.map((r) => r.benchmark_config.warmup_runs), [0, 3, 10]);
        const ks = series.map((r) => r.benchmark_config.inferences_per_sample);
        assert.ok(ks[0] > 1, `tinycnn is too quick for a ${timer} ms timer, yet the series timed ${ks[0]} per sample`);
        assert.deepEqual(ks, [ks[0], ks[0], ks[0]], "every run of the series is timed alike");
        await context.close();
    } finally {
        await plain.close();
    }
});

test("a static host without headers under a sub-path: the service worker isolates the page after one reload", async () => {
    const plain = await serve(DIST, { isolate: false, prefix: "/course/lab/" });
    try {
        const context = await browser.newContext();
        const page = await context.newPage();
        await page.goto(plain.url + "#step=1&lang=en");
        await page.waitForFunction(() => window.crossOriginIsolated === true, null, { timeout: 30000 });
        await page.waitForSelector("#env-isolated");
        await page.waitForFunction(() => document.querySelector("#env-isolated").textContent === "yes");
        await page.goto(plain.url + "#step=3&lang=en&model=tinycnn");
        await waitForModel(page, "tinycnn.onnx");
        await context.close();
    } finally {
        await plain.close();
    }
});

/** Rows of a CSV file whose fields may be quoted (RFC 4180). */
function parseQuotedCsv(text) {
    const rows = [];
    let row = [], field = "", quoted = false;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (quoted) {
            if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
            else if (c === '"') quoted = false;
            else field += c;
        } else if (c === '"') quoted = true;
        else if (c === ",") { row.push(field); field = ""; }
        else if (c === "\n") { row.push(field); rows.push(row); row = []; field = ""; }
        else field += c;
    }
    if (field || row.length) { row.push(field); rows.push(row); }
    return rows;
}

/** `piedge serve` on the built lab, with a data folder of its own unless
 * `--data-dir` is given (server.mjs). */
function piedgeServe(...extra) {
    return startPiedgeServe(PIEDGE, DIST, fs.mkdtempSync(path.join(tmp, "data-")), ...extra);
}

test("piedge serve: the lab is isolated, runs the test natively on request beside the browser run, and two tabs queue", async () => {
    const server = await piedgeServe();
    try {
        const { context, page } = await openLab("#step=3&lang=en&model=mobilenetv2&warmup=2&runs=40", { url: server.url });
        assert.equal(await page.evaluate(() => window.crossOriginIsolated), true);
        await waitForModel(page, "mobilenetv2.onnx");
        await runAndWait(page);

        // Another tab (its own browser profile, so its own session) starts a
        // long native job, so that this tab's job has to wait behind it.
        const other = await openLab("#step=6&lang=en&model=mobilenetv2&warmup=0&runs=9000", { url: server.url });
        // Step 6 has no model card: the button is enabled once the model is loaded.
        await other.page.waitForSelector("#run-native:not([disabled])", { timeout: RUN_TIMEOUT });
        await other.page.click("#run-native");
        await other.page.waitForFunction(() => /The server is timing/.test(document.querySelector("#native-progress")?.textContent || ""),
            null, { timeout: RUN_TIMEOUT });

        for (let step = 4; step <= 6; step++) await page.click("#next");
        await page.waitForSelector("#run-native:not([disabled])");
        assert.equal(await page.locator('[data-question="native"]').count(), 1, "under piedge serve, the native question");
        assert.equal(await page.locator('[data-question="reference"]').count(), 0);
        assert.match(await page.textContent("#run-native"), /^Make the same measurement on .+, native, 1 thread$/);
        await page.click("#run-native");
        await page.waitForFunction(() => /In the queue: you are next/.test(document.querySelector("#native-progress")?.textContent || ""),
            null, { timeout: RUN_TIMEOUT });
        // The other tab cancels its job; this one's starts and finishes.
        await other.page.click("#cancel-native");
        await other.page.waitForFunction(() => [...document.querySelectorAll(".notice")].some((n) => /cancelled/.test(n.textContent)),
            null, { timeout: RUN_TIMEOUT });
        await page.waitForSelector("#versus-ratios", { timeout: RUN_TIMEOUT });

        // The comparison shows the native run's own latencies, and the ratio
        // of the two runs' percentiles.
        const [browserId, nativeId] = await page.$$eval("#versus-table tbody tr", (trs) => trs.map((t) => t.dataset.runId));
        const exported = async (id) => JSON.parse(await download(page, `li[data-run-id="${id}"] [data-export="latency_results.json"]`));
        const native = await exported(nativeId);
        const inBrowser = await exported(browserId);
        assert.equal(native.raw_latencies.length, 40);
        assert.equal(native.warmup_latencies.length, 2);
        assert.equal(native.system_info.runtime, "native");
        assert.match(native.host, /native, 1 thread$/);
        assert.equal(native.system_info.extra.server_other_jobs_max, "0");
        assert.match(inBrowser.system_info.runtime, /^browser/);
        const p50 = (r) => percentile(r.raw_latencies, 50);
        const p95 = (r) => percentile(r.raw_latencies, 95);
        const nativeRow = `#versus-table tr[data-run-id="${nativeId}"]`;
        assert.equal(await page.textContent(`${nativeRow} [data-stat="P50"]`), fixed(p50(native), 3));
        assert.equal(await page.textContent(`${nativeRow} [data-stat="P95"]`), fixed(p95(native), 3));
        assert.equal(await page.textContent(`${nativeRow} td:nth-of-type(2)`), native.system_info.arch, "the code the server ran");
        assert.equal(await page.textContent("#versus-ratios"),
            `Browser / server: P50 × ${fixed(p50(inBrowser) / p50(native), 2)}, P95 × ${fixed(p95(inBrowser) / p95(native), 2)}`);
        assert.match(await page.textContent("#versus-reason"), /^Same machine, same engine \(tract\) and one thread in both: .*WebAssembly/);
        assert.match(await page.textContent("#native-conditions"), /^During the measurement on the server: the server answered \d+ requests during the measurement; at most 0 other measurements ran at the same time\.$/);
        assert.deepEqual(await audit(page), [], "the comparison passes the WCAG audit");
        // Both runs are ticked in the comparison table too.
        assert.equal(await page.$$eval("#comparison-table tbody tr", (r) => r.length), 2);
        assert.deepEqual(page.errors, []);
        assert.deepEqual(other.page.errors, []);
        await other.context.close();
        await context.close();
    } finally {
        await server.stop();
    }
});

test("the class board: three students share, the teacher's board shows them within 2 s, survives a restart, and exports the class", async () => {
    const data = fs.mkdtempSync(path.join(tmp, "board-"));
    // Every page here comes from one address, and four browser contexts (two students, the
    // teacher, a third student) may each hold six connections: more than the 16 one client may
    // have by default, which a real class (one address per device) never meets.
    const oneAddress = ["--max-connections-per-client", "48"];
    let server = await piedgeServe("--data-dir", data, ...oneAddress);
    try {
        // Two students run TinyCNN in their browsers and share the run.
        const student = async (nickname) => {
            const s = await openLab("#step=3&lang=en&model=tinycnn&warmup=1&runs=20", { url: server.url });
            await waitForModel(s.page, "tinycnn.onnx");
            await runAndWait(s.page);
            for (let step = 4; step <= 6; step++) await s.page.click("#next");
            await s.page.fill("#nickname", nickname);
            await s.page.fill("#device-label", "laptop");
            await s.page.click("[data-share]");
            await s.page.waitForSelector(".shared-mark", { timeout: RUN_TIMEOUT });
            return s;
        };
        const ada = await student("Ada");
        const bo = await student("Bo");
        // The teacher's board, open on the projector.
        const teacher = await openLab(`#board=1&lang=en&teacher=${server.teacherCode}`, { url: server.url });
        await teacher.page.waitForFunction(() => document.querySelectorAll("#board-table tbody tr").length === 2);
        // A third student runs the test natively on the server: it joins the board by itself.
        const cleo = await openLab("#step=6&lang=en&model=tinycnn&warmup=1&runs=20", { url: server.url });
        await cleo.page.waitForSelector("#run-native:not([disabled])", { timeout: RUN_TIMEOUT });
        await cleo.page.click("#run-native");
        await cleo.page.waitForSelector("#versus", { timeout: RUN_TIMEOUT });
        const seen = Date.now();
        await teacher.page.waitForFunction(() => document.querySelectorAll("#board-table tbody tr").length === 3, null, { timeout: 2000 });
        const within = Date.now() - seen;
        const table = async () => teacher.page.$$eval("#board-table tbody tr", (trs) => trs.map((t) => {
            const cells = [...t.querySelectorAll("td")].map((c) => c.textContent);
            return { nickname: cells[0], kind: cells[2], p50: t.querySelector('[data-stat="P50"]').textContent };
        }));
        const before = await table();
        assert.deepEqual(before.map((r) => r.kind).sort(), ["Blink", "Blink", "native"]);
        assert.deepEqual(before.map((r) => r.nickname).sort(), ["Ada", "Bo", "server"]);
        // Only the server's own run is marked as measured by it; the shares are the students' word.
        const origins = await teacher.page.$$eval("#board-table tbody tr", (trs) => trs.map((t) => `${t.cells[0].textContent}:${t.dataset.origin}`));
        assert.deepEqual(origins.sort(), ["Ada:student", "Bo:student", "server:server"]);
        assert.match(await teacher.page.textContent("#board-summary"), /3 measurements from 2 kinds of device/);
        assert.match(await teacher.page.textContent("#board-standouts"), /^Fastest: .* · P95 under 10 ms: \d of 3 · P95 under 100 ms: 3 of 3$/);
        const chartLabel = await teacher.page.getAttribute("#board-chart", "aria-label");
        assert.match(chartLabel, /Fastest/);
        assert.deepEqual(await audit(teacher.page), [], "the board passes the WCAG audit");
        assert.deepEqual(await audit(ada.page), [], "step 6 with sharing passes the WCAG audit");

        // The CSV has the three runs with the board's numbers.
        const [dl] = await Promise.all([teacher.page.waitForEvent("download"), teacher.page.click("#export-class-csv")]);
        const csv = parseQuotedCsv(fs.readFileSync(await dl.path(), "utf8"));
        const header = csv[0];
        const col = (name) => header.indexOf(name);
        assert.equal(csv.length, 4);
        for (const row of before) {
            const line = csv.find((c) => c[col("nickname")] === row.nickname);
            assert.ok(line, `${row.nickname} in the CSV`);
            assert.equal(line[col("p50_ms")], row.p50);
            assert.equal(line[col("runs")], "20");
        }

        // Restart the server on the same port and folder: the board is the same.
        const port = server.port;
        await server.stop();
        server = await piedgeServe("--data-dir", data, "--port", port, ...oneAddress);
        await teacher.page.reload();
        await teacher.page.waitForFunction(() => document.querySelectorAll("#board-table tbody tr").length === 3, null, { timeout: 5000 });
        assert.deepEqual(await table(), before);
        console.log(`class board: the native run appeared on the board ${within} ms after it finished`);
        for (const s of [ada, bo, cleo]) {
            assert.deepEqual(s.page.errors, []);
            await s.context.close();
        }

        // A class link locks the answers to a word; the teacher can release them on the board instead.
        // (The students' tabs are closed first: every tab here comes from one address, and the
        // server allows one client 16 connections.)
        const code = "0000beef";
        const locked = await openLab(`#step=5&lang=en&model=tinycnn&class=${code}`, { url: server.url });
        const q = '[data-question="p95"]';
        await locked.page.fill(`${q} .prediction`, "1");
        await locked.page.waitForSelector(`${q} .measure:not([disabled])`, { timeout: RUN_TIMEOUT });
        await locked.page.click(`${q} .measure`);
        await locked.page.waitForSelector(`${q} .outcome`, { timeout: RUN_TIMEOUT });
        await locked.page.fill(`${q} .explanation`, "the slow tail matters");
        assert.ok(await locked.page.isDisabled(`${q} .reveal`), "locked until the teacher releases the answers");
        await teacher.page.click("#release-answers");
        await teacher.page.waitForSelector("#board-released");
        // The locked page asks the board every 3 s.
        await locked.page.waitForSelector(`${q} .reveal:not([disabled])`, { timeout: 8000 });
        assert.equal(await locked.page.locator(`${q} .release-lock`).count(), 0);
        await locked.context.close();

        assert.deepEqual(teacher.page.errors, []);
        await teacher.context.close();
    } finally {
        await server.stop();
    }
});

test("on a static host the native button is absent, the lab says what it needs, and the native question's twin is asked", async () => {
    const { context, page } = await openLab("#step=6&lang=en&model=tinycnn");
    await page.waitForFunction(() => /piedge serve --lan/.test(document.querySelector("#native-blocked")?.textContent || ""));
    assert.equal(await page.$("#run-native"), null);
    await page.waitForSelector('[data-question="reference"]');
    assert.match(await page.textContent('[data-question="reference"]'), /reference machine.*not a Pi/s);
    assert.equal(await page.$('[data-question="native"]'), null, "no field that can never open");
    await context.close();
});

// --- Reliability: hostile files, dying workers, full storage, huge runs ------

const HOSTILE = path.join(REPO, "tests/hostile");

async function waitForNotice(page, needle, timeout = RUN_TIMEOUT) {
    await page.waitForFunction(
        (n) => [...document.querySelectorAll(".notice")].some((e) => e.textContent.includes(n)),
        needle,
        { timeout },
    );
}

async function savedRuns(page) {
    return Number(await page.getAttribute(".app", "data-runs"));
}

test("hostile files each get their own readable error; the model, the app and the results survive", async () => {
    const { files } = JSON.parse(fs.readFileSync(path.join(HOSTILE, "expected.json"), "utf8"));
    const { context, page } = await openLab("#step=3&lang=en&model=tinycnn&warmup=0&runs=3");
    await waitForModel(page, "tinycnn.onnx");
    await runAndWait(page);
    let model = "tinycnn.onnx";
    let runs = 1;
    for (const { file, error } of files.filter((f) => f.file.endsWith(".onnx"))) {
        await page.setInputFiles("#model-file", path.join(HOSTILE, file));
        if (error === null) {
            await waitForModel(page, file);
            model = file;
            await runAndWait(page);
            runs += 1;
        } else {
            await waitForNotice(page, error);
            assert.equal(await page.textContent("#model-name"), model, `${file} replaced the model`);
        }
    }
    // A 300 MB model file (sparse: it costs no disk) is refused before it is read.
    const huge = path.join(tmp, "huge.onnx");
    fs.closeSync(fs.openSync(huge, "w"));
    fs.truncateSync(huge, 300 * 1024 * 1024);
    await page.setInputFiles("#model-file", huge);
    await waitForNotice(page, "huge.onnx is 300 MB, over the lab's 256 MB limit for a model file");
    assert.equal(await page.textContent("#model-name"), model);
    // The last good model still runs, in the same (never restarted) worker.
    await runAndWait(page);
    runs += 1;

    await page.click("#next");
    await page.goto(server.url + "#step=6&lang=en");
    await page.waitForSelector("#saved-runs li");
    for (const { file, error } of files.filter((f) => f.file.endsWith(".csv"))) {
        await page.setInputFiles("#import-file", path.join(HOSTILE, file));
        await waitForNotice(page, error);
    }
    // A 10 MB CSV with 1.75 million rows: more than the lab keeps.
    const big = Buffer.from("latency_ms\n" + "0.512\n".repeat(1_750_000));
    assert.ok(big.length > 10_000_000);
    await page.setInputFiles("#import-file", { name: "big.csv", mimeType: "text/csv", buffer: big });
    await waitForNotice(page, "big.csv holds 1750000 latencies in one run; the lab keeps at most 1000000 per run");
    assert.equal(await savedRuns(page), runs);
    assert.deepEqual(page.errors, []);
    await context.close();
});

// An error kills the worker at once; a hang is only silence, noticed after
// max(0.7 s, 5 × the longest gap between progress messages) (a hiccup of
// this shared machine can stretch that gap, hence the margin).
for (const [how, kill, within] of [
    ["an endless loop", (page) => page.evaluate(() => window.piedgeLab.crashWorker("hang")), 1500],
    ["a thrown error", (page) => page.workers()[0].evaluate(() => setTimeout(() => { throw new Error("killed by the test"); })), 1000],
    ["running out of memory", (page) => page.evaluate(() => window.piedgeLab.crashWorker("oom")), 1000],
]) {
    test(`a worker killed mid-run by ${how} is noticed within ${within / 1000} s and replaced; the run keeps what it measured`, async () => {
        const { context, page } = await openLab("#step=3&lang=en&model=tinycnn&warmup=0&runs=200000");
        await waitForModel(page, "tinycnn.onnx");
        await page.click("#run");
        await page.waitForFunction(() => /Measuring: [1-9]\d{2}/.test(document.querySelector("#progress")?.textContent || ""));
        assert.equal(page.workers().length, 1);
        const t0 = Date.now();
        await kill(page);
        await page.waitForSelector(".notice.error", { timeout: 10_000 });
        const noticed = Date.now() - t0;
        assert.ok(noticed < within, `noticed after ${noticed} ms`);
        const text = (await notices(page)).join("\n");
        assert.match(text, how === "an endless loop" ? /stopped answering/ : /crashed and was restarted/);
        await page.waitForSelector("#progress", { state: "detached" });
        // The interrupted run is kept with what it measured.
        await page.waitForFunction(() => document.querySelector(".app").dataset.runs === "1");
        await page.click("#next");
        await page.waitForSelector("#stats-table");
        const n = Number(await statCell(page, "n"));
        assert.ok(n > 100 && n < 200000, `kept ${n} latencies`);
        // The replacement worker runs the next benchmark.
        await page.goto(server.url + "#step=3&lang=en&model=tinycnn&warmup=0&runs=5");
        await waitForModel(page, "tinycnn.onnx");
        await runAndWait(page);
        assert.equal(await savedRuns(page), 2);
        assert.deepEqual(page.errors, []);
        const silence = text.match(/\((\d+\.\d) s\)/)?.[1];
        console.log(`# worker killed by ${how}: noticed after ${noticed} ms${silence ? ` (silent for ${silence} s)` : ""}`);
        await context.close();
    });
}

test("full storage: the student is told, the run stays in the tab, and 'export all' keeps everything", async () => {
    const { context, page } = await openLab("#step=3&lang=en&model=tinycnn&warmup=0&runs=2000");
    await waitForModel(page, "tinycnn.onnx");
    const cdp = await context.newCDPSession(page);
    await cdp.send("Storage.overrideQuotaForOrigin", { origin: new URL(server.url).origin, quotaSize: 1 });
    await runAndWait(page);
    await runAndWait(page);
    await waitForNotice(page, "could not be saved in the browser");
    assert.match((await notices(page)).join("\n"), /QuotaExceededError/);
    assert.equal(await savedRuns(page), 2);
    const [dl] = await Promise.all([page.waitForEvent("download"), page.click(".notice-action")]);
    assert.equal(dl.suggestedFilename(), "piedge-lab-runs.json");
    const exported = fs.readFileSync(await dl.path());
    assert.equal(JSON.parse(exported).runs.length, 2);
    // The override holds for the origin in the whole browser: lift it.
    await cdp.send("Storage.overrideQuotaForOrigin", { origin: new URL(server.url).origin });
    await context.close();

    // A fresh browser (nothing stored) gets both runs back from the file.
    const fresh = await openLab("#step=6&lang=en");
    await fresh.page.setInputFiles("#import-file", { name: "piedge-lab-runs.json", mimeType: "application/json", buffer: exported });
    await fresh.page.waitForFunction(() => document.querySelectorAll("#saved-runs li").length === 2);
    // Stored too: a reload (once the writes have committed) shows both.
    let stored = 0;
    for (let i = 0; i < 20 && stored !== 2; i++) {
        await fresh.page.waitForTimeout(250);
        await fresh.page.reload();
        await fresh.page.waitForSelector("#lang-select");
        await fresh.page.waitForTimeout(250);
        stored = await fresh.page.$$eval("#saved-runs li", (l) => l.length);
    }
    assert.equal(stored, 2);
    await fresh.context.close();
});

test("more than 100 000 runs warns, more than 1 000 000 is refused", async () => {
    const { context, page } = await openLab("#step=3&lang=en&model=tinycnn&warmup=0&runs=250000");
    await waitForModel(page, "tinycnn.onnx");
    assert.match(await page.textContent("#runs-warning"), /250000 runs is a lot: the tab keeps 2 MB/);
    assert.equal(await page.isDisabled("#run"), false);
    await page.fill("#runs", "1000001");
    assert.match(await page.textContent("#runs-error"), /at most 1000000/);
    assert.equal(await page.isDisabled("#run"), true);
    await page.fill("#runs", "100000");
    assert.equal(await page.textContent("#runs-warning"), "");
    await context.close();
});

test("a run past its time budget offers to stop, and stopping keeps what was measured", async () => {
    const { context, page } = await openLab("#step=3&lang=en&model=tinycnn&warmup=0&runs=1000000");
    await waitForModel(page, "tinycnn.onnx");
    await page.evaluate(() => window.piedgeLab.setRunBudget(1500));
    await page.click("#run");
    await page.waitForSelector("#long-run", { timeout: 10_000 });
    assert.match(await page.textContent("#long-run"), /This measurement has been going for 0\.\d minutes/);
    await page.click("#keep-going");
    await page.waitForSelector("#long-run", { state: "detached" });
    await page.waitForSelector("#long-run", { timeout: 10_000 });
    await page.click("#stop-long-run");
    await page.waitForSelector("#progress", { state: "detached", timeout: 5000 });
    await page.waitForFunction(() => document.querySelector(".app").dataset.runs === "1");
    await context.close();
});

test("50 000 inferences in one run: the tab's memory stays bounded", async () => {
    const { context, page } = await openLab("#step=3&lang=en&model=tinycnn&warmup=0&runs=5000");
    await waitForModel(page, "tinycnn.onnx");
    const cdp = await context.newCDPSession(page);
    await cdp.send("Performance.enable");
    const heap = async () => {
        await cdp.send("HeapProfiler.collectGarbage");
        const { metrics } = await cdp.send("Performance.getMetrics");
        return metrics.find((m) => m.name === "JSHeapUsedSize").value / 1e6;
    };
    const wasmPages = () => page.workers()[0].evaluate(() => globalThis.piedgeWorkerMemory?.() ?? 0);
    await runAndWait(page);
    const pageWasm = () => page.evaluate(() => window.piedgeLab.memoryMb());
    const small = { heap: await heap(), worker: await wasmPages(), wasm: await pageWasm() };
    await page.fill("#runs", "50000");
    const t0 = Date.now();
    await runAndWait(page);
    const seconds = (Date.now() - t0) / 1000;
    const large = { heap: await heap(), worker: await wasmPages(), wasm: await pageWasm() };
    console.log(`# 50 000 inferences in ${seconds.toFixed(1)} s; page JS heap ${small.heap.toFixed(1)} → ${large.heap.toFixed(1)} MB; ` +
        `page wasm memory ${small.wasm.toFixed(1)} → ${large.wasm.toFixed(1)} MB; worker wasm memory ${small.worker.toFixed(1)} → ${large.worker.toFixed(1)} MB`);
    // Ten times the runs: the latencies themselves are 0.4 MB more (and are
    // kept twice in the page: the live run, then the stored record).
    assert.ok(large.heap - small.heap < 32, `page heap grew ${large.heap - small.heap} MB`);
    assert.ok(large.wasm > 0 && large.wasm - small.wasm < 32, `page wasm memory grew ${large.wasm - small.wasm} MB`);
    assert.ok(large.worker > 0 && large.worker - small.worker < 16, `worker memory grew ${large.worker - small.worker} MB`);
    await page.click("#next");
    await page.waitForSelector("#stats-table");
    assert.equal(await statCell(page, "n"), "50000");
    assert.deepEqual(page.errors, []);
    await context.close();
});

/** Drops `files` onto `selector` with a real DataTransfer, as a file manager would. */
async function dropFiles(page, selector, files) {
    const payload = files.map((f) => ({ name: path.basename(f), bytes: fs.readFileSync(f).toString("base64") }));
    await page.evaluate(({ selector, payload }) => {
        const dt = new DataTransfer();
        for (const { name, bytes } of payload) {
            const raw = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
            dt.items.add(new File([raw], name, { type: "application/octet-stream" }));
        }
        const target = document.querySelector(selector);
        target.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
        target.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, { selector, payload });
}

test("models students bring: an .onnx with its .data file, dynamic batch, quantized, free dimensions", async () => {
    const COMPAT = path.join(REPO, "tests/compat");
    const { context, page } = await openLab("#step=3&lang=en&model=tinycnn&warmup=1&runs=5");
    await waitForModel(page, "tinycnn.onnx");
    // PyTorch's default export alone: the lab names the file that is missing.
    await page.setInputFiles("#model-file", path.join(COMPAT, "mobilenetv2-dynamo.onnx"));
    await waitForNotice(page, "mobilenetv2-dynamo.onnx keeps its weights in a second file, 'mobilenetv2-dynamo.onnx.data'; give both files together");
    assert.equal(await page.textContent("#model-name"), "tinycnn.onnx");
    // Both files at once, as a student picks them.
    await page.setInputFiles("#model-file", [
        path.join(COMPAT, "mobilenetv2-dynamo.onnx"),
        path.join(COMPAT, "mobilenetv2-dynamo.onnx.data"),
    ]);
    await waitForModel(page, "mobilenetv2-dynamo.onnx");
    await runAndWait(page);
    let runs = 1;
    // Dropped together onto the model card, as from a file manager.
    await dropFiles(page, "section.model", [
        path.join(COMPAT, "resnet18-dynamo.onnx"),
        path.join(COMPAT, "resnet18-dynamo.onnx.data"),
    ]);
    await waitForModel(page, "resnet18-dynamo.onnx");
    await runAndWait(page);
    runs += 1;
    for (const file of ["resnet18-dynamo-dynbatch.onnx", "efficientnet-dynamo-dynbatch.onnx",
        "mobilenetv2-int8-qdq.onnx", "mobilenetv2-int8-qoperator.onnx"]) {
        await page.setInputFiles("#model-file", path.join(COMPAT, file));
        await waitForModel(page, file);
        await runAndWait(page);
        runs += 1;
    }
    // A model with free image dimensions: the message points to the field,
    // tract's words wait behind a detail, and the field makes it load.
    const free = path.join(REPO, "tests/hostile/free-dims.onnx");
    await page.setInputFiles("#model-file", free);
    await waitForNotice(page, "has a free dimension 'height' at position 2");
    assert.equal(await page.textContent("#model-name"), "mobilenetv2-int8-qoperator.onnx");
    await page.fill("#input-shape", "1,3,16,16");
    await page.click("#apply-shape");
    await waitForModel(page, "free-dims.onnx");
    await runAndWait(page);
    runs += 1;
    // A layer tract cannot analyse: plain words first, tract's text in the detail.
    await page.fill("#input-shape", "");
    await page.setInputFiles("#model-file", path.join(REPO, "tests/hostile/clash.onnx"));
    await waitForNotice(page, "clash.onnx: tract cannot work out the tensor shapes at layer MatMul 'product'");
    const detail = await page.$$eval(".notice-detail pre", (ps) => ps.map((p) => p.textContent).join("\n"));
    assert.match(detail, /Failed analyse for node/);
    assert.equal(await page.textContent("#model-name"), "free-dims.onnx");
    assert.equal(Number(await page.getAttribute(".app", "data-runs")), runs);
    assert.deepEqual(page.errors, []);
    await context.close();
});
