#!/usr/bin/env node
// What a cold start is made of, measured in the built lab (dist/): how much
// slower the first of 20 runs without warmup is than their median, in three
// situations, per engine:
//
//   new page     a fresh page's cold-start button: the first run ever
//                (WebAssembly compiled and tiered up, the model planned,
//                its buffers allocated)
//   new worker   the same page after a normal run: the cold-start button,
//                which starts a new worker and plans the model in it
//   kept worker  then a warmup-0 run in the worker that has run the model
//                (what the button measured before it started a new worker)
//
// With the code of commit d1ad7e8 (a model planned anew in the warm worker)
// the middle case measured 1.2–2.5 (Chromium), 1.0–1.1 (Firefox) and
// 0.8–3.1 (WebKitGTK): planning anew removes little of the cold start, the
// browser's compiling of the WebAssembly is most of it.
//
// Usage: node scripts/cold-start-experiment.mjs [rounds=3] [engines=chromium,firefox,webkit]
// Prints the ratio first / median for each round, and their range.

import { launch, ENGINES } from "../tests/e2e/engines.mjs";
import { serve } from "../tests/e2e/server.mjs";
import { coldStartRatio, runLatencies } from "./lab-driver.mjs";
import path from "node:path";

const REPO = path.resolve(import.meta.dirname, "..");
const rounds = Number(process.argv[2] || 3);
const engines = (process.argv[3] || Object.keys(ENGINES).join(",")).split(",");
const coldStart = (page, url) => coldStartRatio(page, url, "mobilenetv2");
const run = runLatencies;

const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const server = await serve(path.join(REPO, "dist"));
try {
    for (const engine of engines) {
        const browser = await launch(engine);
        const found = { "new page": [], "new worker": [], "kept worker": [] };
        try {
            for (let r = 0; r < rounds; r++) {
                const page = await browser.newPage();
                found["new page"].push(await coldStart(page, server.url));
                await run(page, server.url, "#step=3&lang=en&model=mobilenetv2&warmup=3&runs=30");
                found["new worker"].push(await coldStart(page, server.url));
                const kept = await run(page, server.url, "#step=3&lang=en&model=mobilenetv2&warmup=0&runs=20");
                found["kept worker"].push(kept[0] / median(kept));
                await page.close();
            }
        } finally {
            await browser.close();
        }
        for (const [what, ratios] of Object.entries(found)) {
            const f = ratios.map((x) => x.toFixed(1)).join(", ");
            console.log(`${ENGINES[engine].title}, ${what}: first run / median = ${f} ` +
                `(range ${Math.min(...ratios).toFixed(1)}–${Math.max(...ratios).toFixed(1)})`);
        }
    }
} finally {
    await server.close();
}
