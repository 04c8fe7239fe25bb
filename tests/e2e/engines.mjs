// The three browser engines a class brings, behind one small page API, so
// the core journey (journey.test.mjs) is written once and run in each:
//
//   chromium  Debian's Chromium (Blink), over CDP by puppeteer-core
//   firefox   Debian's Firefox ESR (Gecko), over WebDriver BiDi by puppeteer-core
//   webkit    WebKitGTK's MiniBrowser (Safari's engine), over WebDriver
//             (WebKitWebDriver) by selenium-webdriver, on an Xvfb display
//             this module starts when there is none
//
// Every wait polls a function in the page, in every engine alike, so a test
// reads the same whichever engine runs it. Downloads are caught in the page
// (the lab's Blob and its link) rather than on disk: each driver treats
// downloads its own way, and lab.test.mjs checks Chromium's real download.

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import puppeteer from "puppeteer-core";
import { Builder, By, Key } from "selenium-webdriver";
import remote from "selenium-webdriver/remote/index.js";

export const ENGINES = {
    chromium: { title: "Chromium (Blink)", executable: process.env.CHROMIUM || "/usr/bin/chromium" },
    firefox: { title: "Firefox ESR (Gecko)", executable: process.env.FIREFOX || "/usr/bin/firefox-esr" },
    webkit: {
        title: "WebKitGTK (WebKit)",
        executable: process.env.MINIBROWSER || "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
        driver: process.env.WEBKITWEBDRIVER || "/usr/bin/WebKitWebDriver",
    },
};

/** Why `name` cannot run here, or null when it can. */
export function missing(name) {
    const e = ENGINES[name];
    for (const file of [e.executable, e.driver].filter(Boolean)) {
        if (!fs.existsSync(file)) return `${file} is not installed (scripts/setup installs it)`;
    }
    return null;
}

/** Starts `name`; resolves to {newPage(), close()}. Options, for the
 * classroom-network tests: `acceptInsecureCerts` (as a student who clicked
 * through the certificate warning), `args` (more Chromium flags), `env` (the
 * browser's environment: a HOME whose NSS store trusts the classroom CA),
 * `userDataDir` (a Firefox profile whose certificate store does) and
 * `firefoxPrefs`. */
export async function launch(name, options = {}) {
    return name === "webkit" ? launchWebKit(options) : launchPuppeteer(name, options);
}

async function launchPuppeteer(name, { acceptInsecureCerts = false, args = [], env, userDataDir, firefoxPrefs } = {}) {
    const browser = await puppeteer.launch({
        browser: name === "firefox" ? "firefox" : "chrome",
        executablePath: ENGINES[name].executable,
        headless: true,
        acceptInsecureCerts,
        ...(env ? { env } : {}),
        ...(userDataDir ? { userDataDir } : {}),
        ...(firefoxPrefs ? { extraPrefsFirefox: firefoxPrefs } : {}),
        args: name === "chromium" ? ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync",
            "--no-first-run", "--disable-quic", ...args] : [],
    });
    return {
        async newPage() {
            // A fresh profile per page: empty storage, as a new student has.
            const context = await browser.createBrowserContext();
            const page = await context.newPage();
            const errors = [];
            page.on("pageerror", (e) => errors.push(e.message));
            return new PuppeteerPage(page, context, errors);
        },
        close: () => browser.close(),
    };
}

class PuppeteerPage {
    constructor(page, context, errors) {
        Object.assign(this, { page, context, errors });
    }
    async goto(url) {
        await this.page.goto(url);
    }
    /** The uncaught errors the page has had. */
    async pageErrors() {
        return this.errors;
    }
    async reload() {
        await this.page.reload();
    }
    evaluate(fn, ...args) {
        return this.page.evaluate(fn, ...args);
    }
    async waitFor(fn, arg, timeout = 30_000) {
        await this.page.waitForFunction(fn, { timeout, polling: 100 }, arg);
    }
    async click(selector) {
        await this.page.click(selector);
    }
    /** Moves the mouse onto the element. */
    async hover(selector) {
        await this.page.hover(selector);
    }
    /** Focuses the element and presses a key on it ("Enter", "Escape"). */
    async press(selector, key) {
        await this.page.focus(selector);
        await this.page.keyboard.press(key);
    }
    async select(selector, value) {
        await this.page.select(selector, value);
    }
    /** Types `text` into the field, key by key, as a student does. */
    async type(selector, text) {
        await this.page.type(selector, text);
    }
    async setFiles(selector, files) {
        const input = await this.page.$(selector);
        await input.uploadFile(...files);
    }
    async close() {
        await this.context.close();
    }
}

async function launchWebKit({ acceptInsecureCerts = false } = {}) {
    const xvfb = process.env.DISPLAY ? null : await startXvfb();
    const env = { ...process.env, ...(xvfb ? { DISPLAY: xvfb.display } : {}) };
    const port = 4400 + (process.pid % 500);
    const service = new remote.DriverService(ENGINES.webkit.driver, {
        port,
        hostname: "127.0.0.1",
        args: [`--port=${port}`, "--host=127.0.0.1"],
        env,
    });
    const url = await service.start(30_000);
    const sessions = [];
    return {
        async newPage() {
            // One WebDriver session per page: MiniBrowser starts each with an
            // ephemeral profile, so storage starts empty.
            const driver = await new Builder()
                .usingServer(url)
                .withCapabilities({
                    browserName: "MiniBrowser",
                    acceptInsecureCerts,
                    "webkitgtk:browserOptions": { binary: ENGINES.webkit.executable, args: ["--automation"] },
                })
                .build();
            sessions.push(driver);
            return new WebDriverPage(driver);
        },
        async close() {
            for (const d of sessions) await d.quit().catch(() => {});
            await service.kill();
            xvfb?.stop();
        },
    };
}

/** An Xvfb server on a free display; resolves to {display, stop()}. */
function startXvfb() {
    return new Promise((resolve, reject) => {
        const child = spawn("Xvfb", ["-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "1280x1024x24"], {
            stdio: ["ignore", "ignore", "pipe", "pipe"],
        });
        let out = "";
        child.on("error", (e) => reject(new Error(`Xvfb could not start (${e.message}); scripts/setup installs xvfb`)));
        child.stdio[3].on("data", (d) => {
            out += d;
            if (out.includes("\n")) resolve({ display: ":" + out.trim(), stop: () => child.kill() });
        });
    });
}

class WebDriverPage {
    constructor(driver) {
        this.driver = driver;
        // WebDriver classic has no page-error events: the page keeps its own
        // uncaught errors (a listener installed on every load), collected
        // before each navigation.
        this.errors = [];
    }
    async goto(url) {
        await this.#collectErrors().catch(() => {});
        await this.driver.get(url);
        await this.#watchErrors();
    }
    async pageErrors() {
        await this.#collectErrors();
        return this.errors;
    }
    async reload() {
        await this.#collectErrors();
        await this.driver.navigate().refresh();
        await this.#watchErrors();
    }
    async #watchErrors() {
        await this.driver.executeScript(() => {
            window.__pageErrors = [];
            window.addEventListener("error", (e) => window.__pageErrors.push(e.message));
            window.addEventListener("unhandledrejection", (e) => window.__pageErrors.push(String(e.reason)));
        });
    }
    async #collectErrors() {
        const seen = await this.driver.executeScript(() => {
            const e = window.__pageErrors || [];
            window.__pageErrors = [];
            return e;
        });
        this.errors.push(...seen);
    }
    evaluate(fn, ...args) {
        // WebDriver runs a script body; wrap the function so both drivers take the same arguments.
        return this.driver.executeScript(`return (${fn}).apply(null, arguments)`, ...args);
    }
    async waitFor(fn, arg, timeout = 30_000) {
        const deadline = Date.now() + timeout;
        while (!(await this.evaluate(fn, arg))) {
            if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${fn}`);
            await new Promise((r) => setTimeout(r, 100));
        }
    }
    async click(selector) {
        await this.driver.findElement(By.css(selector)).click();
    }
    async hover(selector) {
        const element = await this.driver.findElement(By.css(selector));
        await this.driver.actions().move({ origin: element }).perform();
    }
    async press(selector, key) {
        const keys = { Enter: Key.ENTER, Escape: Key.ESCAPE };
        await this.driver.findElement(By.css(selector)).sendKeys(keys[key]);
    }
    async select(selector, value) {
        await this.driver.findElement(By.css(`${selector} option[value="${value}"]`)).click();
    }
    async type(selector, text) {
        await this.driver.findElement(By.css(selector)).sendKeys(text);
    }
    async setFiles(selector, files) {
        await this.driver.findElement(By.css(selector)).sendKeys(files.join("\n"));
    }
    async close() {
        await this.driver.quit();
    }
}

/** Writes `bytes` to a temporary file named `name`, for a file input. */
export function tempFile(name, bytes) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "piedge-engine-"));
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    return file;
}
