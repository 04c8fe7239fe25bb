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

/// What a student writes on the page (a prediction, an explanation, the
/// experiment's question or conclusion), in characters: a page of text,
/// far above a few sentences, so that the browser's `localStorage` (about
/// 5 MB) always holds every answer. A name and a class are shorter.
pub const LAB_MAX_TEXT_CHARS: usize = 4_000;
pub const LAB_MAX_NAME_CHARS: usize = 80;

/// The largest file the lab imports. A `latency.csv` of the lab's maximum
/// of 1 000 000 runs is about 25 MB.
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

/// The most threads one native run may use (`--threads`): more than any Pi
/// or classroom laptop has cores, few enough that a typo (`--threads 1000`)
/// is refused instead of starting a thousand threads.
pub const MAX_THREADS: usize = 64;

// The classroom server (`piedge serve`): what one student's share may hold
// and how much of the server it may take. The server checks these before it
// does any work a share asks for, and the page reads the same numbers.

/// A nickname and a device label on the class board, in characters.
pub const MAX_NICKNAME_CHARS: usize = 24;
pub const MAX_LABEL_CHARS: usize = 40;

/// The most latencies one shared run may hold: a long run of the lab's.
pub const MAX_SHARED_LATENCIES: usize = 100_000;

/// The most warmup latencies one shared run may hold: the lab's most
/// warmup runs.
pub const MAX_SHARED_WARMUP_LATENCIES: usize = LAB_MAX_WARMUP;

/// The largest share request: 100 000 latencies and as many warmup ones
/// as JSON, and the rest.
pub const MAX_SHARE_BYTES: usize = 4 << 20;

/// A latency above an hour is no measurement.
pub const MAX_LATENCY_MS: f64 = 3_600_000.0;

/// The longest text a shared report may carry in one field (a device
/// name, a browser's user agent, a model's file name), in characters.
pub const MAX_SHARED_TEXT_CHARS: usize = 512;

/// The most entries a list or map in a shared report may hold, besides
/// the latencies (`system_info.extra`, `providers`, the input's shape).
pub const MAX_SHARED_ENTRIES: usize = 64;

/// The most temperature and clock samples a shared report may hold (one a
/// second for an hour).
pub const MAX_SHARED_ENV_SAMPLES: usize = 3_600;

/// The largest count a shared report may name for its own sizes (cores,
/// batch size, inferences timed together, a dimension of the input).
pub const MAX_SHARED_COUNT: u64 = 1 << 20;

/// The bootstrap resamples the server recomputes a shared run's
/// confidence intervals with, whatever the report says: the server never
/// trusts a number it can compute, and this one sets how long the
/// computing takes (MEASURE).
pub const SHARE_BOOTSTRAP_RESAMPLES: usize = 100;

/// Shares one tab may send a minute, and one address.
pub const SHARES_PER_TOKEN_PER_MINUTE: usize = 6;
pub const SHARES_PER_ADDRESS_PER_MINUTE: usize = 20;

/// Runs one class session holds.
pub const MAX_RUNS_PER_SESSION: usize = 1_000;

/// Shares the server checks at once (their statistics recomputed): one,
/// so that a burst of shares keeps one core and leaves the others to the
/// class's pages and native runs.
pub const SHARES_AT_ONCE: usize = 1;

/// A share is checked and stored within this many seconds of arriving,
/// its wait for a turn included, or refused and not stored.
pub const SHARE_DEADLINE_S: u64 = 10;

/// The most bootstrap resamples an imported report's recorded count may
/// ask for: the most the engine ever chooses. A file asking for more gets
/// this many (an import recomputes its statistics either way).
pub const MAX_BOOTSTRAP_RESAMPLES: usize = 2_000;
