// A small static HTTP server for the end-to-end tests: serves a directory,
// optionally under a sub-path, with or without the cross-origin isolation
// headers, so the tests can check both a well-configured host and a plain
// static host (where the lab's service worker must supply the headers).

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
