#!/usr/bin/env node
// Browser peer benchmark: the lab's engine (tract in the lab's Web Worker,
// wasm SIMD) against onnxruntime-web (npm, wasm backend with SIMD, one
// thread) in the same headless Chromium page, served cross-origin isolated
// by one local server, on the bundled models with the same seeded input and
// the same warmup and runs, alternating A/B/A/B. Prints per-model p50s and
// the ratio engine/onnxruntime-web with min-max over rounds.
//
// Usage: node scripts/bench-peer-web.mjs [--rounds 5] [--warmup 20] [--runs 200] [--models tinycnn,mobilenetv2]
// Needs dist/ (scripts/build-web), target/debug/piedge (for the seeded
// input), and the npm tools (scripts/setup).

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
const rounds = Number(args.rounds || 5);
const warmup = Number(args.warmup || 20);
const runs = Number(args.runs || 200);
const models = (args.models || "tinycnn,mobilenetv2").split(",");
const PIEDGE = process.env.PIEDGE_BIN || path.join(REPO, "target/debug/piedge");
const ORT_DIR = path.join(REPO, "node_modules/onnxruntime-web/dist");
const ortVersion = JSON.parse(fs.readFileSync(path.join(REPO, "node_modules/onnxruntime-web/package.json"))).version;

/** The float32 data of a little-endian .npy file. */
function readNpy(file) {
    const b = fs.readFileSync(file);
    const headerLen = b.readUInt16LE(8);
    const header = b.subarray(10, 10 + headerLen).toString();
    if (!header.includes("'<f4'")) throw new Error(`${file}: expected float32, got ${header}`);
    const shape = header.match(/\((.*?)\)/)[1].split(",").filter((s) => s.trim()).map(Number);
    const data = new Float32Array(b.buffer.slice(b.byteOffset + 10 + headerLen, b.byteOffset + b.length));
    return { shape, data: Array.from(data) };
}

function median(xs) {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "piedge-peer-"));
const server = await serve(path.join(REPO, "dist"), { mounts: { "/ort/": ORT_DIR } });
const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});
const chromiumVersion = browser.version();
const rows = [];
try {
    for (const name of models) {
        const model = path.join(REPO, "static/models", `${name}.onnx`);
        execFileSync(PIEDGE, ["predict", "--fakedata", "--seed", "0", "--model-path", model, "--save-input", path.join(tmp, "x.npy")]);
        const input = readNpy(path.join(tmp, "x.npy"));
        const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
        const page = await context.newPage();
        await page.goto(`${server.url}#step=3&model=${name}&warmup=${warmup}&runs=${runs}`);
        await page.waitForFunction((n) => document.querySelector("#model-name")?.textContent === `${n}.onnx`, name, { timeout: 120_000 });
        if (!(await page.evaluate(() => crossOriginIsolated))) throw new Error("the page is not cross-origin isolated");
        await page.evaluate(async ({ name, ortVersion }) => {
            const ort = await import(`/ort/ort.wasm.min.mjs`);
            ort.env.wasm.wasmPaths = "/ort/";
            ort.env.wasm.numThreads = 1;
            ort.env.wasm.proxy = false;
            const bytes = new Uint8Array(await (await fetch(`models/${name}.onnx`)).arrayBuffer());
            window.peer = {
                ort,
                session: await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" }),
                version: ortVersion,
            };
        }, { name, ortVersion });
        const engine = [];
        const peer = [];
        for (let r = 0; r < rounds; r++) {
            // A: the lab's own Run button, as a student would press it.
            await page.waitForSelector("#run:not([disabled])", { timeout: 120_000 });
            const before = Number(await page.getAttribute(".app", "data-runs"));
            await page.click("#run");
            await page.waitForFunction(
                (n) => Number(document.querySelector(".app").dataset.runs) > n && document.querySelector(".app").dataset.busy === "false",
                before,
                { timeout: 600_000 },
            );
            const p50 = await page.evaluate(() => window.piedgeLab.lastRun().p50);
            // B: onnxruntime-web on the same page, same input, same counts.
            const o = await page.evaluate(async ({ input, warmup, runs }) => {
                const { ort, session } = window.peer;
                const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", Float32Array.from(input.data), input.shape) };
                for (let i = 0; i < warmup; i++) await session.run(feeds);
                const lat = [];
                for (let i = 0; i < runs; i++) {
                    const t = performance.now();
                    await session.run(feeds);
                    lat.push(performance.now() - t);
                }
                lat.sort((a, b) => a - b);
                const h = 0.5 * (lat.length - 1);
                const lo = Math.floor(h);
                return lat[lo] + (h - lo) * (lat[Math.min(lo + 1, lat.length - 1)] - lat[lo]);
            }, { input, warmup, runs });
            engine.push(p50);
            peer.push(o);
            console.error(`  ${name} round ${r + 1}: engine ${p50.toFixed(3)} ms, onnxruntime-web ${o.toFixed(3)} ms, ratio ${(p50 / o).toFixed(2)}`);
        }
        rows.push({ name, engine, peer, ratio: engine.map((e, i) => e / peer[i]) });
        await context.close();
    }
} finally {
    await browser.close();
    await server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
}

const cell = (xs, d) => `${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})`;
console.log(`Chromium ${chromiumVersion}, cross-origin isolated; engine: the lab's worker (tract, wasm SIMD); ` +
    `onnxruntime-web ${ortVersion} (wasm, SIMD, 1 thread); ${rounds} rounds of warmup ${warmup} + runs ${runs}, alternating\n`);
console.log("| model | engine p50 ms | onnxruntime-web p50 ms | engine/onnxruntime-web |");
console.log("|---|---|---|---|");
for (const r of rows) console.log(`| ${r.name} | ${cell(r.engine, 3)} | ${cell(r.peer, 3)} | ${cell(r.ratio, 2)} |`);
console.log("\nmedian over rounds (min–max over rounds)");
