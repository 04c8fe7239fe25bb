// What the end-to-end tests and the measuring scripts share.

import fs from "node:fs";
import { createRequire } from "node:module";

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** axe-core's WCAG 2.1 A/AA violations on the page as it is now, one line each. */
export async function audit(page) {
    await page.evaluate(AXE);
    return page.evaluate(async () => {
        const r = await window.axe.run(document, {
            runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
        });
        return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    });
}

/** numpy's default (linear) percentile, to the last bit: like numpy's
 * `_lerp` (and src/stats.rs) it interpolates from the nearer end, so a value
 * halfway between two runs rounds as the lab's table rounds it. */
export function percentile(xs, q) {
    const s = [...xs].sort((a, b) => a - b);
    const h = (q / 100) * (s.length - 1);
    const lo = Math.floor(h);
    const [a, b] = [s[lo], s[Math.min(lo + 1, s.length - 1)]];
    const t = h - lo;
    return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/** Run in the page (`page.evaluate(catchDownloads)`): keeps each Blob the
 * lab offers as a download in `window.__downloads`, by file name, instead of
 * saving it, since each browser driver saves files its own way. Install it
 * after each load. */
export function catchDownloads() {
    window.__downloads = {};
    const blobs = new Map();
    const create = URL.createObjectURL;
    URL.createObjectURL = (blob) => {
        const url = create.call(URL, blob);
        blobs.set(url, blob);
        return url;
    };
    const click = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function () {
        if (this.download && blobs.has(this.href)) window.__downloads[this.download] = blobs.get(this.href);
        else click.call(this);
    };
}

/** `text`'s numbers as the lab writes them in Swedish (src/lab/i18n/native.rs,
 * `Lang::numbers`): a run of digits with one point inside takes a comma;
 * versions, addresses and a sentence's full stop stay as they are. */
export function svNumbers(text) {
    return String(text).replace(/[\d.]+/g, (t) =>
        t.split(".").length === 2 && !t.startsWith(".") && !t.endsWith(".") ? t.replace(".", ",") : t);
}

/** `x` with `digits` decimals as Rust's `{:.N}` writes it. Both Rust and
 * `toFixed` round the exact binary value, but on an exact tie (2.8125 to three
 * places, common when a median averages two timer steps) `toFixed` rounds up
 * and Rust, like Python, rounds to the even digit. */
export function fixed(x, digits) {
    const exact = Math.abs(x).toFixed(100);
    const cut = exact.indexOf(".") + (digits === 0 ? 0 : 1 + digits);
    const tie = /^\.?50*$/.test(exact.slice(cut));
    const lastDigit = Number(exact[cut - 1]);
    if (tie && lastDigit % 2 === 0) return (x < 0 ? "-" : "") + exact.slice(0, cut);
    return x.toFixed(digits);
}
