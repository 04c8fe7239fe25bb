// Writes a brotli (.br) and a gzip (.gz) twin next to every compressible file
// of the built lab, so `piedge serve` can send compressed files without
// compressing on the fly. Uses Node's own zlib: nothing to install.
//
// Usage: node scripts/precompress.mjs dist

import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const COMPRESSIBLE = new Set([".html", ".js", ".css", ".wasm", ".json", ".md", ".svg"]);
const root = process.argv[2] || "dist";

function* files(dir) {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        if (entry.name.startsWith(".")) continue;
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) yield* files(p);
        else if (COMPRESSIBLE.has(path.extname(p))) yield p;
    }
}

let raw = 0, br = 0, gz = 0;
for (const file of files(root)) {
    const data = fs.readFileSync(file);
    const b = zlib.brotliCompressSync(data, {
        params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length },
    });
    const g = zlib.gzipSync(data, { level: 9 });
    fs.writeFileSync(file + ".br", b);
    fs.writeFileSync(file + ".gz", g);
    raw += data.length; br += b.length; gz += g.length;
}
console.log(`precompressed ${root}: ${raw.toLocaleString()} bytes -> ${gz.toLocaleString()} gzip, ${br.toLocaleString()} brotli`);
