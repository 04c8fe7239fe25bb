#!/usr/bin/env node
// The expected values in the lesson's teacher notes, measured: what a class
// will likely see with the bundled MobileNetV2 in each browser engine the
// suite runs (Chromium, Firefox ESR, WebKitGTK), and the browser against
// `piedge bench` (machine code) on the same machine. Writes
// tests/data/lesson-measurements.json, which tests/lesson_text.rs holds the
// notes' numbers to; the file names the machine and the date, and the notes
// say that other devices will differ.
//
// Per engine and round, alternated with a native round so that machine noise
// hits both alike:
//   first-ratio   a new page's cold-start button: the first of 20 runs
//                 without warmup over their median (the cold question)
//   p50           warmup 3, 10 runs, the optimised plan (step 3's values)
//   plan-ratio    the same with the unoptimised plan, its P50 over that
//   p95           warmup 3, 100 runs (the P95 question)
//   native        `piedge bench --warmup 3 --runs 10`, release build: its
//                 P50, and the engine's p50 over it (the native question)
//
// Usage: flock /work/agents/heavy.lock node scripts/lesson-measurements.mjs [rounds=3]
// Needs dist/ (scripts/build-web) and target/release/piedge
// (cargo build --release --bin piedge); nothing else runs meanwhile.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { launch, ENGINES } from "../tests/e2e/engines.mjs";
import { serve } from "../tests/e2e/server.mjs";
import { coldStartRatio, runLatencies } from "./lab-driver.mjs";

const REPO = path.resolve(import.meta.dirname, "..");
const OUT = path.join(REPO, "tests/data/lesson-measurements.json");
const PIEDGE = process.env.PIEDGE_BIN || path.join(REPO, "target/release/piedge");
const MODEL = "mobilenetv2";
const rounds = Number(process.argv[2] || 3);

/** A run with these settings; its latencies. */
const latencies = (page, url, { warmup, n, plan }) =>
    runLatencies(page, url, `#step=3&lang=en&model=${MODEL}&warmup=${warmup}&runs=${n}&plan=${plan}`);

/** numpy's linear percentile, as the lab computes it. */
function percentile(xs, q) {
    const s = [...xs].sort((a, b) => a - b);
    const h = (s.length - 1) * (q / 100);
    const k = Math.floor(h);
    return k + 1 < s.length ? s[k] + (h - k) * (s[k + 1] - s[k]) : s[k];
}

/** `piedge bench` at the lesson's values: its P50 in ms. */
function nativeP50() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lesson-native-"));
    try {
        execFileSync(PIEDGE, ["bench", "--fakedata", "--model-path", path.join(REPO, `static/models/${MODEL}.onnx`),
            "--warmup", "3", "--runs", "10", "--output-dir", dir], { stdio: "ignore" });
        const results = JSON.parse(fs.readFileSync(path.join(dir, "latency_results.json"), "utf8"));
        return results.statistics.p50;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const range = (xs) => [Math.min(...xs), Math.max(...xs)].map((x) => Number(x.toPrecision(3)));
const median = (xs) => percentile(xs, 50);

if (!fs.existsSync(PIEDGE)) throw new Error(`${PIEDGE} is missing: cargo build --release --bin piedge`);
const server = await serve(path.join(REPO, "dist"));
const engines = {};
const native = [];
try {
    for (const engine of Object.keys(ENGINES)) {
        const browser = await launch(engine);
        const found = { first_ratio: [], p50_ms: [], plan_ratio: [], p95_100_ms: [], over_native: [] };
        try {
            for (let r = 0; r < rounds; r++) {
                const page = await browser.newPage();
                found.first_ratio.push(await coldStartRatio(page, server.url, MODEL));
                const opt = median(await latencies(page, server.url, { warmup: 3, n: 10, plan: "optimized" }));
                const unopt = median(await latencies(page, server.url, { warmup: 3, n: 10, plan: "unoptimized" }));
                found.p50_ms.push(opt);
                found.plan_ratio.push(unopt / opt);
                found.p95_100_ms.push(percentile(await latencies(page, server.url, { warmup: 3, n: 100, plan: "optimized" }), 95));
                await page.close();
                const n = nativeP50();
                native.push(n);
                found.over_native.push(opt / n);
                console.log(`${engine} round ${r + 1}: first ${found.first_ratio.at(-1).toFixed(2)}, p50 ${opt.toFixed(2)} ms, ` +
                    `plans ${(unopt / opt).toFixed(2)}, p95 ${found.p95_100_ms.at(-1).toFixed(2)} ms, native ${n.toFixed(2)} ms`);
            }
        } finally {
            await browser.close();
        }
        engines[engine] = { title: ENGINES[engine].title, ...Object.fromEntries(Object.entries(found).map(([k, v]) => [k, range(v)])) };
    }
} finally {
    await server.close();
}

const cpu = os.cpus();
const measurements = {
    what: "MobileNetV2 (bundled, 64 × 64) in the built lab, per browser engine, and `piedge bench` (release) on the same machine; ranges are min–max over rounds",
    command: `flock /work/agents/heavy.lock node scripts/lesson-measurements.mjs ${rounds}`,
    date: new Date().toISOString().slice(0, 10),
    machine: {
        cpu: cpu[0].model.trim(),
        logical_cores: cpu.length,
        os: `${os.type()} ${os.release()} ${os.arch()}`,
        // The notes call a machine a Pi only when it is one.
        is_raspberry_pi: (() => {
            try {
                return fs.readFileSync("/proc/device-tree/model", "utf8").includes("Raspberry Pi");
            } catch {
                return false;
            }
        })(),
    },
    rounds,
    engines,
    native: { p50_ms: range(native), p50_median_ms: Number(median(native).toPrecision(3)) },
};
fs.writeFileSync(OUT, JSON.stringify(measurements, null, 2) + "\n");
console.log(`wrote ${path.relative(REPO, OUT)}`);
