// The classroom network, as a student's device meets `piedge serve --lan`:
// over plain HTTP from another machine's address the page is not a secure
// context (coarse timer) and the lab says why; over HTTPS, after accepting
// the certificate warning or with the classroom CA trusted, it is isolated
// with the fine timer. No traffic leaves this machine: Chromium maps the
// name classroom.lan to 127.0.0.1 (--host-resolver-rules), Firefox and WebKit
// open this machine's own network address, which a browser treats exactly as
// another computer's.
//
// Each engine prints one row of docs/teacher.md's network table ("# classroom: …").

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { ENGINES, launch, missing } from "./engines.mjs";

const REPO = path.resolve(import.meta.dirname, "../..");
const DIST = path.join(REPO, "dist");
const PIEDGE = process.env.PIEDGE_BIN || path.join(REPO, "target/debug/piedge");
const RUN_TIMEOUT = 120_000;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "piedge-classroom-"));
let server;
let port;

/** This machine's first IPv4 address that is not loopback, if it has one. */
function lanAddress() {
    for (const list of Object.values(os.networkInterfaces())) {
        for (const a of list || []) if (a.family === "IPv4" && !a.internal) return a.address;
    }
    return null;
}

before(async () => {
    assert.ok(fs.existsSync(path.join(DIST, "index.html")), "dist/ is built (scripts/build-web)");
    server = spawn(PIEDGE, ["serve", "--lan", "--port", "0", "--name", "classroom.lan", "--dir", DIST,
        "--data-dir", path.join(tmp, "data")], { stdio: ["ignore", "pipe", "inherit"] });
    const lines = readline.createInterface({ input: server.stdout });
    port = await new Promise((resolve, reject) => {
        server.on("exit", (code) => reject(new Error(`piedge serve exited with ${code}`)));
        lines.on("line", (l) => {
            const m = l.trim().match(/^http:\/\/127\.0\.0\.1:(\d+)\/$/);
            if (m) resolve(Number(m[1]));
        });
    });
});

after(() => {
    server?.kill();
    fs.rmSync(tmp, { recursive: true, force: true });
});

const CA = () => path.join(tmp, "data/tls/piedge-classroom-ca.crt");

/** An NSS certificate store in `dir` that trusts the classroom CA, as a
 * school's IT would install it (Chromium reads $HOME/.pki/nssdb, Firefox its
 * profile's cert9.db). */
function trustingStore(dir) {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync("certutil", ["-N", "-d", `sql:${dir}`, "--empty-password"]);
    execFileSync("certutil", ["-A", "-d", `sql:${dir}`, "-n", "PiEdge classroom CA", "-t", "C,,", "-i", CA()]);
}

/** The check page's findings at `origin`. */
async function check(page, origin) {
    await page.goto(`${origin}/check#lang=en`);
    await page.waitFor(() => document.body.dataset.done === "true", null, 30_000);
    return page.evaluate(() => ({
        secure: window.isSecureContext,
        isolated: window.crossOriginIsolated,
        stepMs: Number(document.body.dataset.timerStepMs),
        rows: Object.fromEntries([...document.querySelectorAll("#checks tr")].map((r) => [r.dataset.check, r.dataset.ok === "true"])),
        verdict: document.querySelector("#verdict").textContent,
    }));
}

const us = (ms) => `${Math.round(ms * 1000)} µs`;
const describe = (c) => `${c.secure ? "secure" : "not secure"}, ${c.isolated ? "isolated" : "not isolated"}, timer ${us(c.stepMs)}`;

for (const engine of ["chromium", "firefox", "webkit"]) {
    const why = missing(engine);
    const host = engine === "chromium" ? "classroom.lan" : lanAddress();
    const skip = why || (!host && "this machine has no network address besides loopback") ||
        (engine !== "webkit" && !fs.existsSync("/usr/bin/certutil") && "certutil is not installed (libnss3-tools; scripts/setup)");
    test(`the classroom network in ${ENGINES[engine].title}`, { skip }, async () => {
        const args = engine === "chromium" ? ["--host-resolver-rules=MAP classroom.lan 127.0.0.1"] : [];
        const row = [];

        // Plain HTTP from another machine: the notice, then the lab saying why.
        let b = await launch(engine, { args });
        try {
            const page = await b.newPage();
            await page.goto(`http://${host}:${port}/#lang=en`);
            await page.waitFor(() => document.querySelector("a[data-https]"));
            const link = await page.evaluate(() => document.querySelector("a[data-https]").href);
            assert.equal(link, `https://${host}:${port}/#lang=en`, "the notice links to the same address over https");
            const plain = await check(page, `http://${host}:${port}`);
            assert.equal(plain.secure, false);
            assert.equal(plain.isolated, false);
            assert.equal(plain.rows.secure, false);
            assert.ok(plain.stepMs >= 0.05, `a coarse timer over plain HTTP, got ${plain.stepMs} ms`);
            row.push(`plain http: ${describe(plain)}`);
            await page.goto(`http://${host}:${port}/?http#lang=en&step=1`);
            await page.waitFor(() => document.querySelector("#env-timer") && !document.querySelector("#env-timer").textContent.includes("…"), null, RUN_TIMEOUT);
            const whyText = await page.evaluate(() => document.querySelector("#timer-why")?.textContent ?? "");
            assert.match(whyText, /^This page came over plain HTTP from another machine, so the browser does not count it as secure and gives it a coarse timer \(\d+ µs here\)\. Ask the teacher for the https:\/\/ address\./);
            await page.close();
        } finally {
            await b.close();
        }

        // HTTPS after clicking through the warning (the driver accepts the
        // certificate as the student would).
        b = await launch(engine, { args, acceptInsecureCerts: true });
        try {
            const page = await b.newPage();
            const accepted = await check(page, `https://${host}:${port}`);
            assert.ok(accepted.rows.server, "the API answers over https");
            row.push(`warning accepted: ${describe(accepted)}`);
            await page.close();
        } finally {
            await b.close();
        }

        // HTTPS with the classroom CA in the browser's store (Chromium and
        // Firefox; WebKitGTK reads only the system's store).
        if (engine !== "webkit") {
            const store = path.join(tmp, engine);
            const options = { args };
            if (engine === "chromium") {
                trustingStore(path.join(store, ".pki/nssdb"));
                options.env = { ...process.env, HOME: store };
            } else {
                trustingStore(store);
                options.userDataDir = store;
            }
            b = await launch(engine, options);
            try {
                const page = await b.newPage();
                const trusted = await check(page, `https://${host}:${port}`);
                assert.ok(trusted.secure && trusted.isolated, describe(trusted));
                // ≤ 20 µs (Firefox's steps read as 0.02000000000001 ms).
                assert.ok(trusted.stepMs <= 0.0201, `a fine timer with the CA trusted, got ${trusted.stepMs} ms`);
                assert.equal(trusted.verdict, "Ready for the lab.");
                row.push(`CA trusted: ${describe(trusted)}`);
                await page.goto(`https://${host}:${port}/#lang=en&step=1`);
                await page.waitFor(() => document.querySelector("#env-isolated")?.textContent === "yes", null, RUN_TIMEOUT);
                assert.equal(await page.evaluate(() => document.querySelector("#timer-why")), null);
                await page.close();
            } finally {
                await b.close();
            }
        } else {
            row.push("CA trusted: not measured (WebKitGTK trusts only the system store)");
        }
        console.log(`# classroom: ${ENGINES[engine].title} | ${row.join(" | ")}`);
    });
}
