//! PiEdge Lab engine: everything that decides *what* a latency benchmark
//! measures and reports, shared by the browser lab and the `piedge` binary.
//!
//! The engine is plain Rust. It never touches the file system, the network,
//! command-line parsing or the user interface: the shells (`src/bin/piedge`,
//! the web app) read bytes, call the engine and write or show what it returns.
//! That is why every report is produced as bytes and every chart is drawn on a
//! caller-supplied plotters backend.
//!
//! The inference half (`model`, `zoo`) needs tract and sits behind the
//! `tract` feature, so that a user interface can link statistics, reports and
//! charts without carrying an inference engine.

pub mod api;
pub mod bench;
pub mod board;
pub mod card;
pub mod charts;
pub mod clock;
pub mod cold;
pub mod compare;
pub mod fakedata;
pub mod histogram;
pub mod lab;
pub mod limits;
pub mod model_error;
pub mod npy;
pub mod plan;
pub mod preprocess;
pub mod report;
pub mod rng;
pub mod stats;
pub mod sysinfo;

#[cfg(feature = "tract")]
pub mod kernels;
#[cfg(feature = "tract")]
pub mod model;
#[cfg(feature = "tract")]
pub mod zoo;

/// The version of this crate, written into every report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The tract release the engine is built against, written into every report so
/// that numbers from different builds can be told apart.
pub const TRACT_VERSION: &str = "0.23.9";
