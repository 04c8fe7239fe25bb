//! The browser lab's benchmark worker: tract and the engine, in a dedicated
//! Web Worker so the page stays responsive while a model runs.
//!
//! It loads models (and keeps each optimised plan for the page session),
//! runs benchmarks one sample at a time, yields to its event loop every few
//! milliseconds so that a cancel message can arrive, and streams progress.

#[cfg(target_arch = "wasm32")]
mod worker;

#[cfg(target_arch = "wasm32")]
fn main() {
    worker::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
