// A small static HTTP server for the end-to-end tests: serves a directory,
// optionally under a sub-path, with or without the cross-origin isolation
// headers, so the tests can check both a well-configured host and a plain
// static host (where the lab's service worker must supply the headers). And
// `piedgeServe`, which starts the real classroom server on the built lab.

import { spawn } from "node:child_process";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";

const TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".wasm": "application/wasm",
    ".onnx": "application/octet-stream",
    ".md": "text/markdown; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".png": "image/png",
};

/** Starts serving `root` on a free loopback port; resolves to {url, close}.
 * `mounts` maps further URL prefixes to directories (the peer benchmark
 * serves onnxruntime-web's files beside the lab). */
export function serve(root, { isolate = true, prefix = "/", mounts = {} } = {}) {
    const server = http.createServer((req, res) => {
        const url = new URL(req.url, "http://localhost");
        if (!url.pathname.startsWith(prefix)) {
            res.writeHead(404).end("not found");
            return;
        }
        const mount = Object.keys(mounts).find((m) => url.pathname.startsWith(m));
        const base = mount ? mounts[mount] : root;
        let rel = decodeURIComponent(url.pathname.slice(mount ? mount.length : prefix.length));
        if (rel === "" || rel.endsWith("/")) rel += "index.html";
        const file = path.resolve(base, rel);
        if (!file.startsWith(path.resolve(base) + path.sep)) {
            res.writeHead(403).end("forbidden");
            return;
        }
        fs.readFile(file, (err, body) => {
            if (err) {
                res.writeHead(404).end("not found");
                return;
            }
            const headers = {
                "Content-Type": TYPES[path.extname(file)] || "application/octet-stream",
                "Cache-Control": "no-store",
            };
            if (isolate) {
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                headers["Cross-Origin-Embedder-Policy"] = "require-corp";
                headers["Cross-Origin-Resource-Policy"] = "same-origin";
            }
            res.writeHead(200, headers).end(body);
        });
    });
    return new Promise((resolve) => {
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address();
            resolve({
                url: `http://127.0.0.1:${port}${prefix}`,
                close: () => new Promise((r) => server.close(r)),
            });
        });
    });
}

/** Starts `piedge serve` (the binary `bin`) on the bundle `dist`, on a free
 * port unless `--port` is in `extra`, with `dataDir` as its data folder unless
 * `--data-dir` is. Resolves once it has printed its whole start-up message, to
 * {url, port, teacherCode, guide, stop}: the loopback address, the board's
 * teacher code and the teacher's guide's address as printed. */
export function piedgeServe(bin, dist, dataDir, ...extra) {
    if (!extra.includes("--data-dir")) extra.push("--data-dir", dataDir);
    if (!extra.includes("--port")) extra.push("--port", "0");
    const child = spawn(bin, ["serve", "--dir", dist, ...extra], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    return new Promise((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d) => {
            out += d;
            const url = out.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
            if (!url || !out.includes("Stop with Ctrl-C")) return;
            resolve({
                url: url[0],
                port: url[1],
                teacherCode: out.match(/teacher code ([0-9A-F]+)/)?.[1],
                guide: out.match(/the teacher's guide: (\S+)/)?.[1],
                stop: async () => { child.kill(); await exited; },
            });
        });
        child.on("exit", (code) => reject(new Error(`piedge serve exited with ${code}`)));
    });
}
