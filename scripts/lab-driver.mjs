// Driving the built lab from a script, as the measuring scripts do
// (cold-start-experiment.mjs, lesson-measurements.mjs): a page's cold-start
// button, and a run with the link's settings read back from its latency.csv.
// (tests/e2e/ drives the lab with its own helpers and assertions.)

import { catchDownloads } from "../tests/e2e/shared.mjs";

const TIMEOUT = 180_000;

/** The count of kept runs the page shows. */
export const runs = (page) => page.evaluate(() => Number(document.querySelector(".app").dataset.runs));

/** Waits until the page has more than `before` runs and is idle. */
export async function waitRun(page, before) {
    await page.waitFor((n) => {
        const app = document.querySelector(".app");
        return Number(app.dataset.runs) > n && app.dataset.busy === "false";
    }, before, TIMEOUT);
}

/** The cold-start button on `url` (step 2, English, `model`): first / median of its 20 runs, from its sentence. */
export async function coldStartRatio(page, url, model) {
    await page.goto(`${url}#step=2&lang=en&model=${model}`);
    await page.waitFor(() => document.querySelector("#cold-start") && !document.querySelector("#cold-start").disabled, null, TIMEOUT);
    const before = await runs(page);
    await page.click("#cold-start");
    await waitRun(page, before);
    const text = await page.evaluate(() => document.querySelector("#cold-result").textContent);
    const [, first, median] = text.match(/First run: ([\d.]+) ms\. Median: ([\d.]+) ms/);
    return Number(first) / Number(median);
}

/** A run with the settings of `hash` on `url`; its latencies, from its latency.csv. */
export async function runLatencies(page, url, hash) {
    await page.goto(url + hash);
    await page.waitFor(() => document.querySelector("#lang-select"));
    if (!(await page.evaluate(() => Boolean(window.__downloads)))) await page.evaluate(catchDownloads);
    await page.waitFor(() => document.querySelector("#run") && !document.querySelector("#run").disabled, null, TIMEOUT);
    const before = await runs(page);
    await page.click("#run");
    await waitRun(page, before);
    await page.click("#read-results");
    await page.waitFor(() => document.querySelector('[data-export="latency.csv"]'));
    await page.evaluate(() => { window.__downloads = {}; });
    await page.click('[data-export="latency.csv"]');
    await page.waitFor(() => window.__downloads["latency.csv"]);
    const csv = await page.evaluate(() => window.__downloads["latency.csv"].text());
    return csv.trim().split("\n").slice(1).map((r) => Number(r.split(",")[1]));
}
