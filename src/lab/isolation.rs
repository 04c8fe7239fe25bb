//! The response headers that make the lab's page cross-origin isolated, and
//! so give it fine-grained timers (5–20 µs instead of 100 µs–1 ms). Four
//! places send them: `piedge serve` (which reads them from here), `trunk
//! serve` (Trunk.toml), the service worker for static hosts
//! (static/coi-serviceworker.js) and the end-to-end test server
//! (tests/e2e/server.mjs); `tests/isolation.rs` checks that those three
//! send exactly these.

/// Name and value of each isolation header.
pub const HEADERS: [(&str, &str); 3] = [
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Embedder-Policy", "require-corp"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
];
