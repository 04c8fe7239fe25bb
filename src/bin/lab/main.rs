//! The browser lab's page: a thin shell over `piedge::lab::state`. The
//! runtime (`runtime.rs`) keeps the state and carries out its effects; the
//! views (`views/`) render it. It does not link tract; models run in the
//! `worker` binary, in a Web Worker (`client.rs`).

#[cfg(target_arch = "wasm32")]
mod charts;
#[cfg(target_arch = "wasm32")]
mod client;
#[cfg(target_arch = "wasm32")]
mod dom;
#[cfg(target_arch = "wasm32")]
mod runtime;
#[cfg(target_arch = "wasm32")]
mod server;
#[cfg(target_arch = "wasm32")]
mod storage;
#[cfg(target_arch = "wasm32")]
mod views;

#[cfg(target_arch = "wasm32")]
fn main() {
    views::mount();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
