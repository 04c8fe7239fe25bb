//! Every limit PiEdge Lab puts on what a user hands it, in one place: the
//! CLI, the worker, the page and the import read them from here, so a
//! limit the README names is the one the code applies.

/// The largest model (its `.onnx` and weight files together), in MB: the
/// CLI's `--max-model-mb` default and the lab's fixed limit.
pub const MAX_MODEL_MB: u64 = 256;

/// The most memory one input tensor (or a shape stored in the model) may
/// ask for on the command line, in MB: `--max-input-mb`'s default.
pub const CLI_MAX_INPUT_MB: u64 = 1024;

/// The same in the browser, in bytes: a tab has at most 4 GB of wasm
/// memory, shared by the weights, tract's buffers and the input, so one
/// input may take a sixteenth of it.
pub const BROWSER_MAX_INPUT_BYTES: u64 = 256 << 20;

/// Runs and warmup runs one benchmark configuration may ask for; the
/// shells may impose lower ones.
pub const BENCH_MAX_WARMUP: usize = 10_000_000;
pub const BENCH_MAX_RUNS: usize = 10_000_000;

/// The lab's own limits. A browser tab keeps every latency in memory,
/// draws them and stores them: above `LAB_WARN_RUNS` the lab warns, above
/// `LAB_MAX_RUNS` it refuses (and refuses imports holding more).
pub const LAB_MAX_WARMUP: usize = 10_000;
pub const LAB_WARN_RUNS: usize = 100_000;
pub const LAB_MAX_RUNS: usize = 1_000_000;

/// The largest file the lab imports. A `latency.csv` of the lab's maximum
/// of 1 000 000 runs is about 25 MB.
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

/// The most threads one native run may use (`--threads`): more than any Pi
/// or classroom laptop has cores, few enough that a typo (`--threads 1000`)
/// is refused instead of starting a thousand threads.
pub const MAX_THREADS: usize = 64;
