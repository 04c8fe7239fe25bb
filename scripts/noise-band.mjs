#!/usr/bin/env node
// The noise band of `piedge compare` and the lab's comparisons
// (`piedge::compare::NOISE_BAND`): how far apart two runs of the *same*
// settings land on this machine. Repeats identical runs natively
// (`piedge bench`, a fresh process each time) and in headless Chromium (the
// lab's own worker, a fresh page each time, as a student reloading would),
// on both bundled models at each run count, then compares every pair of
// repeats of one setting with `piedge compare --json`.
//
// For each band X (in steps of 0.5 %) it counts the pairs whose verdict
// would still be "faster" or "slower" — a false verdict, since the settings
// were the same — and chooses the smallest X at which at most 5 % of all
// pairs get one. A repeat whose median lies beyond Tukey's fences of its
// setting's repeats (a run its machine disturbed) is set aside first. It
// writes every pair's ratio, interval and p-value to
// tests/data/compare/noise-band.json, where tests/compare.rs recomputes the
// choice with the engine's own verdict and checks that NOISE_BAND is it.
//
// Usage: node scripts/noise-band.mjs [--repeats 16] [--warmup 10] [--counts 100,1000]
//            [--models tinycnn,mobilenetv2] [--runtimes native,chromium] [--out FILE]
//        node scripts/noise-band.mjs --analyse FILE   (choose again from a measurement)
// Needs target/release/piedge (cargo build --release --bin piedge), dist/
// (scripts/build-web) and the npm tools (scripts/setup). Run it on a quiet
// machine (under the team's lock): it measures the machine, ~15 minutes.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { serve } from "../tests/e2e/server.mjs";

const REPO = path.resolve(import.meta.dirname, "..");
const args = Object.fromEntries(
    process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const repeats = Number(args.repeats || 16);
const warmup = Number(args.warmup || 10);
const counts = (args.counts || "100,1000").split(",").map(Number);
const models = (args.models || "tinycnn,mobilenetv2").split(",");
const runtimes = (args.runtimes || "native,chromium").split(",");
const OUT = path.resolve(args.out || path.join(REPO, "tests/data/compare/noise-band.json"));
const PIEDGE = process.env.PIEDGE_BIN || path.join(REPO, "target/release/piedge");
const ALPHA = 0.05;
const MAX_FALSE = 0.05;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "piedge-noise-"));
const groupDir = (runtime, model, n) => path.join(tmp, `${runtime}-${model}-${n}`);
const log = (s) => console.error(s);

/** The machine's CPU time so far, all cores together (Linux /proc/stat, in ticks). */
function cpuTicks() {
    const f = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1, 9).map(Number);
    return { idle: f[3] + f[4], total: f.reduce((a, b) => a + b, 0) };
}

/** The share of the whole machine (all cores) busy between two readings. */
const busyShare = (a, b) => (b.total > a.total ? 1 - (b.idle - a.idle) / (b.total - a.total) : 0);

/** Waits (up to a minute) until the machine is nearly idle — less than 10 %
 * of it busy over half a second — so that each run starts alike. */
async function waitQuiet() {
    for (let tries = 0; tries < 60; tries++) {
        const a = cpuTicks();
        await new Promise((r) => setTimeout(r, 500));
        if (busyShare(a, cpuTicks()) < 0.1) return;
        await new Promise((r) => setTimeout(r, 500));
    }
}

/** One native run: a fresh `piedge bench` process. Returns the share of the
 * machine busy while it ran. */
async function nativeRun(model, n, file) {
    const out = path.join(tmp, "bench");
    await waitQuiet();
    const before = cpuTicks();
    execFileSync(PIEDGE, ["bench", "--fakedata", "--seed", "0", "--quiet", "--warmup", String(warmup), "--runs", String(n),
        "--model-path", path.join(REPO, "static/models", `${model}.onnx`), "--output-dir", out]);
    const busy = busyShare(before, cpuTicks());
    fs.copyFileSync(path.join(out, "latency_results.json"), file);
    return busy;
}

/** One browser run: a fresh page of the lab, its Run button, its export. */
async function browserRun(browser, url, model, n, file) {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    await page.goto(`${url}#step=3&model=${model}&warmup=${warmup}&runs=${n}`);
    await page.waitForFunction((m) => document.querySelector("#model-name")?.textContent === `${m}.onnx`, model, { timeout: 120_000 });
    await page.waitForSelector("#run:not([disabled])", { timeout: 120_000 });
    const before = Number(await page.getAttribute(".app", "data-runs"));
    await waitQuiet();
    const ticks = cpuTicks();
    await page.click("#run");
    await page.waitForFunction(
        (k) => Number(document.querySelector(".app").dataset.runs) > k && document.querySelector(".app").dataset.busy === "false",
        before,
        { timeout: 600_000, polling: 50 },
    );
    const busy = busyShare(ticks, cpuTicks());
    await page.click("#next");
    const [dl] = await Promise.all([page.waitForEvent("download"), page.click('[data-export="latency_results.json"]')]);
    fs.copyFileSync(await dl.path(), file);
    await context.close();
    return busy;
}

const p50 = (file) => JSON.parse(fs.readFileSync(file, "utf8")).statistics.p50;

/** Runs every repeat and compares every pair; returns the measurement. */
async function measure() {
    let chromiumVersion = null;
    let host = null;
    for (const runtime of runtimes) {
        let browser;
        let server;
        if (runtime === "chromium") {
            server = await serve(path.join(REPO, "dist"));
            browser = await chromium.launch({
                executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
                args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
            });
            chromiumVersion = browser.version();
        }
        try {
            // Repeats outermost, so that a slow drift of the machine spreads
            // over every setting alike.
            for (let r = 0; r < repeats; r++) {
                for (const model of models) {
                    for (const n of counts) {
                        const dir = groupDir(runtime, model, n);
                        fs.mkdirSync(dir, { recursive: true });
                        const file = path.join(dir, `${r}.json`);
                        const busy = runtime === "native"
                            ? await nativeRun(model, n, file)
                            : await browserRun(browser, server.url, model, n, file);
                        // How busy the whole machine was during the run: a run
                        // that lands far from the others can be told from one
                        // that shared the machine with another program.
                        fs.writeFileSync(path.join(dir, `${r}.busy`), busy.toFixed(3));
                        log(`  ${runtime} ${model} runs ${n} repeat ${r + 1}/${repeats}: p50 ${p50(file).toFixed(4)} ms, machine ${(100 * busy).toFixed(0)} % busy`);
                    }
                }
            }
        } finally {
            await browser?.close();
            await server?.close();
        }
        host ??= JSON.parse(fs.readFileSync(path.join(groupDir(runtime, models[0], counts[0]), "0.json"), "utf8")).host;
    }

    // Every pair of repeats of one setting, through the engine's comparison.
    const groups = [];
    for (const runtime of runtimes) {
        for (const model of models) {
            for (const n of counts) {
                const dir = groupDir(runtime, model, n);
                const files = [...Array(repeats).keys()].map((r) => path.join(dir, `${r}.json`));
                const pairs = [];
                for (let i = 0; i < repeats; i++) {
                    for (let j = i + 1; j < repeats; j++) {
                        const c = JSON.parse(execFileSync(PIEDGE, ["compare", "--json", files[i], files[j]], { encoding: "utf8" }));
                        pairs.push([i, j, c.ratio, c.ratio_ci95.low, c.ratio_ci95.high, c.p_value].map((v, k) => (k < 2 ? v : Number(v.toPrecision(6)))));
                    }
                }
                const busy = files.map((f) => Number(fs.readFileSync(f.replace(/json$/, "busy"), "utf8")));
                groups.push({ runtime, model, runs: n, p50s: files.map((f) => Number(p50(f).toPrecision(6))), busy, pairs });
            }
        }
    }
    return {
        generated_by: "scripts/noise-band.mjs",
        date: new Date().toISOString().slice(0, 10),
        host,
        chromium: chromiumVersion,
        settings: { repeats, warmup, counts, models, runtimes },
        groups,
    };
}

/** numpy's linear percentile (q in 0..1). */
function quantile(xs, q) {
    const s = [...xs].sort((a, b) => a - b);
    const h = q * (s.length - 1);
    const lo = Math.floor(h);
    return s[lo] + (h - lo) * (s[Math.min(lo + 1, s.length - 1)] - s[lo]);
}

/** Chooses the band from a measurement, writes the file and prints the summary. */
function analyse(doc) {
    // A repeat whose p50 lies beyond Tukey's fences of its setting's repeats
    // (Q1 − 1.5 IQR, Q3 + 1.5 IQR, the lab's rule for outliers) was disturbed
    // — on this machine, by whatever else its host ran meanwhile — and is set
    // aside with every pair it is in.
    for (const g of doc.groups) {
        const [q1, q3] = [quantile(g.p50s, 0.25), quantile(g.p50s, 0.75)];
        const [low, high] = [q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)];
        g.set_aside = g.p50s.flatMap((v, i) => (v < low || v > high ? [i] : []));
    }
    const kept = (g) => g.pairs.filter(([i, j]) => !g.set_aside.includes(i) && !g.set_aside.includes(j));
    const pooled = doc.groups.flatMap(kept);
    // The verdict for identical settings at band X is "faster" or "slower"
    // (false) when the test rejects and the interval leaves the band on one
    // side of 1 — the rule of piedge::compare::Verdict::decide.
    const falseVerdict = ([, , , low, high, p], x) => p < ALPHA && !(low >= 1 / (1 + x) && high <= 1 + x) && (low > 1 || high < 1);
    const rate = (pairs, x) => pairs.filter((pair) => falseVerdict(pair, x)).length / pairs.length;
    let band = null;
    for (let halfPercents = 1; halfPercents <= 100 && band === null; halfPercents++) {
        if (rate(pooled, halfPercents / 200) <= MAX_FALSE) band = halfPercents / 200;
    }
    const out = {
        ...doc,
        rule: `the smallest band, in steps of 0.5 %, at which at most ${MAX_FALSE * 100} % of the pairs of identical runs ` +
            `(all settings pooled, repeats beyond Tukey's fences of their setting set aside) get the verdict "faster" or "slower"`,
        noise_band: band,
        pair_columns: ["i", "j", "ratio", "ci95_low", "ci95_high", "p_value"],
        groups: undefined,
    };
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    const head = JSON.stringify(out, null, 1).slice(0, -2);
    const body = doc.groups.map((g) => "  " + JSON.stringify(g)).join(",\n");
    fs.writeFileSync(OUT, `${head},\n "groups": [\n${body}\n ]\n}\n`);

    // The summary: per setting, how far apart identical runs' medians land
    // and how often each band would give a false verdict.
    const pct = (v) => `${(100 * v).toFixed(1)} %`;
    const { repeats: k, warmup: w, counts: c } = doc.settings;
    console.log(`${doc.host}; Chromium ${doc.chromium ?? "-"}; ${doc.date}; ${k} repeats of warmup ${w} + runs ${c.join(" and ")}, ` +
        `all ${k * (k - 1) / 2} pairs per setting\n`);
    console.log("| runtime | model | runs | median p50 ms | p50 max/min | set aside | |ratio − 1|: median, 95th pct | U test p < 0.05 | false verdicts at ±2 % | ±5 % | ±10 % | the band |");
    console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (const g of doc.groups) {
        const pairs = kept(g);
        const off = pairs.map(([, , r]) => Math.abs(Math.log(r)));
        const significant = pairs.filter(([, , , , , p]) => p < ALPHA).length / pairs.length;
        console.log(`| ${g.runtime} | ${g.model} | ${g.runs} | ${quantile(g.p50s, 0.5).toFixed(4)} | ${(Math.max(...g.p50s) / Math.min(...g.p50s)).toFixed(3)} ` +
            `| ${g.set_aside.length} | ${pct(Math.expm1(quantile(off, 0.5)))}, ${pct(Math.expm1(quantile(off, 0.95)))} | ${pct(significant)} ` +
            `| ${pct(rate(pairs, 0.02))} | ${pct(rate(pairs, 0.05))} | ${pct(rate(pairs, 0.1))} | ${band === null ? "-" : pct(rate(pairs, band))} |`);
    }
    console.log(`| all | | | | | | | ${pct(pooled.filter(([, , , , , p]) => p < ALPHA).length / pooled.length)} ` +
        `| ${pct(rate(pooled, 0.02))} | ${pct(rate(pooled, 0.05))} | ${pct(rate(pooled, 0.1))} | ${band === null ? "-" : pct(rate(pooled, band))} |`);
    console.log(`\nnoise band: ${band === null ? "none up to 50 %" : `±${(band * 100).toFixed(1)} %`} (${out.rule}); wrote ${path.relative(REPO, OUT)}`);
}

try {
    analyse(args.analyse ? JSON.parse(fs.readFileSync(args.analyse, "utf8")) : await measure());
} finally {
    fs.rmSync(tmp, { recursive: true, force: true });
}
