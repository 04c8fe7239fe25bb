//! What the page and the benchmark worker say to each other. Messages cross
//! `postMessage` as JavaScript values (serde-wasm-bindgen); model bytes travel
//! as a `Uint8Array` (`serde_bytes`), not as an array of numbers.

use crate::bench::{Measurements, Phase};
use crate::card::ModelCard;
use crate::clock::TimerResolution;
use crate::model_error::ModelError;
use crate::plan::{Plan, SelfCheck};
use crate::report::PipelineTimings;
use serde::{Deserialize, Serialize};

/// From the page to the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ToWorker {
    /// Parse, check, optimise and plan a model, and keep it for later runs.
    Load {
        request: u64,
        /// Identifies the model across messages ("bundled:tinycnn", or a
        /// file's name, size and a hash of its bytes).
        model_key: String,
        name: String,
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
        /// The other files chosen with the model (its weights, such as
        /// `model.onnx.data`), by file name.
        #[serde(default)]
        files: Vec<ModelFile>,
        /// The input's whole shape, for a model with free dimensions
        /// besides the batch.
        #[serde(default)]
        input_shape: Option<Vec<usize>>,
        plan: Plan,
    },
    /// Benchmark a loaded model.
    Run {
        request: u64,
        model_key: String,
        plan: Plan,
        warmup: usize,
        runs: usize,
        seed: u64,
        /// Inferences per timed sample, fixed for the whole run (a series
        /// uses the count its calibration chose for every run). Without it
        /// the worker decides after the warmup.
        #[serde(default)]
        inferences_per_sample: Option<usize>,
    },
    /// Stop the current run after the inference in progress.
    Cancel { request: u64 },
    /// Compare the project's kernels with tract's on `cases` random shapes.
    SelfCheck {
        request: u64,
        cases: usize,
        seed: u64,
    },
    /// Deliberately break the worker (recovery drills: tests check that the
    /// page notices, replaces it and loses nothing).
    Crash { how: CrashKind },
}

/// A file that came with a model: its name and bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelFile {
    pub name: String,
    #[serde(with = "serde_bytes")]
    pub bytes: Vec<u8>,
}

/// How a drill breaks the worker: the three ways a real one dies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CrashKind {
    /// A Rust panic (a bug, or tract on a damaged model): the instance traps.
    Panic,
    /// Allocate until the 4 GB wasm memory is exhausted: the allocator aborts.
    OutOfMemory,
    /// Spin forever, like a model that never finishes: the worker goes silent.
    Hang,
}

impl CrashKind {
    pub fn from_name(name: &str) -> Option<CrashKind> {
        match name {
            "panic" => Some(CrashKind::Panic),
            "oom" => Some(CrashKind::OutOfMemory),
            "hang" => Some(CrashKind::Hang),
            _ => None,
        }
    }
}

/// From the worker to the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum FromWorker {
    /// Sent once the worker's wasm has started.
    Ready { env: WorkerEnv },
    Loaded {
        request: u64,
        model_key: String,
        card: ModelCard,
        pipeline: PipelineTimings,
        nodes_analysed: usize,
        nodes_planned: usize,
        /// True when the plan came from the page session's cache.
        cached: bool,
    },
    /// Latencies measured since the last progress message.
    Progress {
        request: u64,
        phase: Phase,
        done: usize,
        total: usize,
        new_latencies: Vec<f64>,
        /// Inferences timed together per latency (see `inferences_per_sample`).
        inferences_per_sample: usize,
    },
    Finished {
        request: u64,
        measurements: Measurements,
        timer: TimerResolution,
        inferences_per_sample: usize,
        pipeline: PipelineTimings,
    },
    SelfChecked {
        request: u64,
        result: Result<SelfCheck, String>,
    },
    Failed {
        request: u64,
        message: String,
        /// tract's own words behind `message`, for an expandable detail.
        #[serde(default)]
        detail: Option<String>,
        /// The model error behind `message`, so the page can word it in the
        /// student's language.
        #[serde(default)]
        error: Option<ModelError>,
    },
}

/// What the worker knows about where it runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkerEnv {
    pub timer: TimerResolution,
    pub cross_origin_isolated: bool,
    /// Whether the worker was compiled with WebAssembly SIMD (its kernels
    /// use it; a browser without SIMD could not have started it).
    pub simd: bool,
    pub engine_version: String,
}

/// Timing a single inference needs at least this many timer ticks to be
/// worth reporting on its own; below it, samples are batches.
pub const MIN_TICKS_PER_SAMPLE: f64 = 20.0;

/// How many inferences one timed sample should hold so that it lasts at
/// least [`MIN_TICKS_PER_SAMPLE`] ticks, given a typical inference time.
pub fn inferences_per_sample(typical_inference_ms: f64, timer_step_ms: f64) -> usize {
    let positive = |x: f64| x.is_finite() && x > 0.0;
    if !positive(typical_inference_ms) || !positive(timer_step_ms) {
        return 1;
    }
    let needed = (MIN_TICKS_PER_SAMPLE * timer_step_ms / typical_inference_ms).ceil();
    (needed as usize).clamp(1, 10_000)
}

/// The inference time that decides batching, from the warmup's readings:
/// the fastest one the timer saw (0 where it saw none). Not the median:
/// in a freshly started worker the browser first runs its quickly
/// compiled, slower code, and a short warmup's median could then be twice
/// the steady time, so a run that needed batches was timed one inference
/// at a time. Readings of 0 (an inference shorter than a coarse timer's
/// step) are passed over: with a 1 ms timer a 0.6 ms inference reads 0
/// or 1 ms, and the 1 ms is the one that says batching is needed.
pub fn fastest_seen_ms(warmup_ms: &[f64]) -> f64 {
    let fastest = warmup_ms
        .iter()
        .copied()
        .filter(|x| x.is_finite() && *x > 0.0)
        .fold(f64::INFINITY, f64::min);
    if fastest.is_finite() {
        fastest
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batching_follows_the_fastest_inference_the_timer_saw() {
        // A cold worker's first runs are slow; the steady one decides.
        assert_eq!(fastest_seen_ms(&[2.4, 2.2, 0.9, 0.8, 0.8]), 0.8);
        // A coarse timer's zero readings are passed over.
        assert_eq!(fastest_seen_ms(&[0.0, 1.0, 0.0, 1.0, 0.0]), 1.0);
        // Nothing seen: 0, which never asks for batching.
        assert_eq!(fastest_seen_ms(&[0.0, 0.0]), 0.0);
        assert_eq!(fastest_seen_ms(&[]), 0.0);
        assert_eq!(inferences_per_sample(fastest_seen_ms(&[]), 0.1), 1);
        // The e2e case: 0.8 ms steady against a 0.1 ms timer.
        assert_eq!(
            inferences_per_sample(fastest_seen_ms(&[2.1, 2.0, 2.0, 0.8, 0.9]), 0.1),
            3
        );
    }

    #[test]
    fn batching_only_when_the_timer_is_coarse() {
        // 5 µs timer (isolated Chrome), 1 ms inference: one per sample.
        assert_eq!(inferences_per_sample(1.0, 0.005), 1);
        // 100 µs timer, 1 ms inference: 10 ticks, so two per sample.
        assert_eq!(inferences_per_sample(1.0, 0.1), 2);
        // 1 ms timer (Firefox, Safari), 0.3 ms inference: 67 per sample.
        assert_eq!(inferences_per_sample(0.3, 1.0), 67);
        // Unknown or zero readings never ask for batching.
        assert_eq!(inferences_per_sample(0.0, 1.0), 1);
        assert_eq!(inferences_per_sample(f64::NAN, 1.0), 1);
    }

    #[test]
    fn messages_round_trip_as_json() {
        let m = ToWorker::Load {
            request: 1,
            model_key: "k".into(),
            name: "m.onnx".into(),
            bytes: vec![1, 2, 3],
            files: vec![ModelFile {
                name: "m.onnx.data".into(),
                bytes: vec![4],
            }],
            input_shape: Some(vec![1, 3, 8, 8]),
            plan: Plan::Optimized,
        };
        let back: ToWorker = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back, m);
    }
}
