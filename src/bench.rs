//! The benchmark loop: `warmup` runs, then `runs` timed runs, one latency each.
//!
//! The loop is generic over what it runs ([`Inference`]) and what it reads the
//! time from ([`Clock`]), so the same code times tract natively, tract in a Web
//! Worker, and a scripted fake in tests. Nothing is allocated inside the timed
//! region, and the progress callback runs outside it.

use crate::clock::Clock;
use serde::{Deserialize, Serialize};

/// One inference on a prepared input; the engine calls it in a tight loop.
pub trait Inference {
    type Error;
    fn run_once(&mut self) -> Result<(), Self::Error>;
}

/// What to run. Validated by [`BenchConfig::validate`] before anything runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchConfig {
    pub warmup: usize,
    pub runs: usize,
    /// Inferences per timed sample. With a coarse timer (a browser without
    /// cross-origin isolation) a single inference can be shorter than a few
    /// ticks; timing a batch and dividing gives a usable number. 1 natively.
    pub inferences_per_sample: usize,
}

impl Default for BenchConfig {
    /// The old lesson's command-line defaults.
    fn default() -> Self {
        BenchConfig {
            warmup: 1,
            runs: 3,
            inferences_per_sample: 1,
        }
    }
}

/// Limits on a configuration (see `crate::limits`).
pub use crate::limits::{BENCH_MAX_RUNS as MAX_RUNS, BENCH_MAX_WARMUP as MAX_WARMUP};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("runs must be at least 1: with 0 timed runs there is nothing to measure")]
    NoRuns,
    #[error("runs is {0}; the most this tool accepts is {MAX_RUNS}")]
    TooManyRuns(usize),
    #[error("warmup is {0}; the most this tool accepts is {MAX_WARMUP}")]
    TooMuchWarmup(usize),
    #[error("inferences per sample must be at least 1")]
    NoInferencesPerSample,
}

impl BenchConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.runs == 0 {
            return Err(ConfigError::NoRuns);
        }
        if self.runs > MAX_RUNS {
            return Err(ConfigError::TooManyRuns(self.runs));
        }
        if self.warmup > MAX_WARMUP {
            return Err(ConfigError::TooMuchWarmup(self.warmup));
        }
        if self.inferences_per_sample == 0 {
            return Err(ConfigError::NoInferencesPerSample);
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Warmup,
    Timed,
}

/// Reported to the progress callback after every run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    pub phase: Phase,
    /// Runs finished in this phase.
    pub done: usize,
    /// Runs this phase will do.
    pub total: usize,
    /// The run's latency in milliseconds.
    pub latency_ms: f64,
}

/// The callback's answer: go on, or stop before the next run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Continue,
    Cancel,
}

/// Everything one benchmark measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measurements {
    /// Latencies of the warmup runs, kept to show why warmup exists.
    pub warmup_ms: Vec<f64>,
    /// One latency per timed run.
    pub latencies_ms: Vec<f64>,
    /// True when the callback stopped the loop early; the vectors then hold
    /// the runs that finished.
    pub cancelled: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BenchError<E> {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("inference failed during {phase:?} run {run}: {source}")]
    Inference { phase: Phase, run: usize, source: E },
}

/// A benchmark in progress, advanced one sample at a time. The browser's
/// worker drives it between yields to its event loop (so a cancel message can
/// arrive); [`run_benchmark`] drives it in a plain loop.
pub struct Benchmark {
    config: BenchConfig,
    out: Measurements,
}

impl Benchmark {
    pub fn new(config: BenchConfig) -> Result<Benchmark, ConfigError> {
        config.validate()?;
        let out = Measurements {
            warmup_ms: Vec::with_capacity(config.warmup),
            latencies_ms: Vec::with_capacity(config.runs),
            cancelled: false,
        };
        Ok(Benchmark { config, out })
    }

    pub fn config(&self) -> &BenchConfig {
        &self.config
    }

    /// True when every warmup and timed run is done.
    pub fn is_done(&self) -> bool {
        self.out.latencies_ms.len() == self.config.runs
    }

    /// The phase the next sample belongs to.
    pub fn phase(&self) -> Phase {
        if self.out.warmup_ms.len() < self.config.warmup {
            Phase::Warmup
        } else {
            Phase::Timed
        }
    }

    /// Runs and times the next sample and records it. Must not be called
    /// once [`Benchmark::is_done`].
    pub fn step<I: Inference, C: Clock + ?Sized>(
        &mut self,
        model: &mut I,
        clock: &C,
    ) -> Result<Progress, BenchError<I::Error>> {
        assert!(!self.is_done(), "the benchmark is finished");
        let phase = self.phase();
        let (list, total) = match phase {
            Phase::Warmup => (&mut self.out.warmup_ms, self.config.warmup),
            Phase::Timed => (&mut self.out.latencies_ms, self.config.runs),
        };
        let run = list.len();
        let latency_ms = time_sample(model, clock, self.config.inferences_per_sample)
            .map_err(|source| BenchError::Inference { phase, run, source })?;
        list.push(latency_ms);
        Ok(Progress {
            phase,
            done: run + 1,
            total,
            latency_ms,
        })
    }

    /// Adjusts how many inferences make one timed sample; allowed only
    /// before the first timed sample (the browser decides after warmup, once
    /// it knows how long one inference takes against its timer).
    pub fn set_inferences_per_sample(&mut self, k: usize) {
        assert!(
            self.out.latencies_ms.is_empty(),
            "timed runs already started"
        );
        self.config.inferences_per_sample = k.max(1);
    }

    pub fn measurements(&self) -> &Measurements {
        &self.out
    }

    /// Ends the benchmark, early (`cancelled`) or not.
    pub fn finish(mut self, cancelled: bool) -> Measurements {
        self.out.cancelled = cancelled;
        self.out
    }
}

/// Runs the benchmark. `on_progress` is called after each run, outside the
/// timed region, and may cancel.
pub fn run_benchmark<I, C, F>(
    model: &mut I,
    clock: &C,
    config: &BenchConfig,
    mut on_progress: F,
) -> Result<Measurements, BenchError<I::Error>>
where
    I: Inference,
    C: Clock + ?Sized,
    F: FnMut(&Progress) -> Control,
{
    let mut bench = Benchmark::new(config.clone())?;
    while !bench.is_done() {
        let progress = bench.step(model, clock)?;
        if on_progress(&progress) == Control::Cancel {
            return Ok(bench.finish(true));
        }
    }
    Ok(bench.finish(false))
}

/// Times `k` back-to-back inferences and returns the mean per inference.
#[inline]
fn time_sample<I: Inference, C: Clock + ?Sized>(
    model: &mut I,
    clock: &C,
    k: usize,
) -> Result<f64, I::Error> {
    let start = clock.now_ms();
    for _ in 0..k {
        model.run_once()?;
    }
    let end = clock.now_ms();
    Ok((end - start) / k as f64)
}

/// An [`Inference`] that advances a fake clock by scripted latencies, cycling
/// through them. Tests (and the CLI's hidden `--debug-fake-latencies`) use it
/// to make every statistic exact. When it wraps a real model, the model still
/// runs, so the rest of the pipeline is exercised for real.
pub struct Scripted<I> {
    pub inner: Option<I>,
    clock: crate::clock::FakeClock,
    script: Vec<f64>,
    next: usize,
}

impl<I> Scripted<I> {
    pub fn new(inner: Option<I>, clock: crate::clock::FakeClock, script: Vec<f64>) -> Self {
        assert!(
            !script.is_empty(),
            "a scripted model needs at least one latency"
        );
        Scripted {
            inner,
            clock,
            script,
            next: 0,
        }
    }
}

impl<I: Inference> Inference for Scripted<I> {
    type Error = I::Error;
    fn run_once(&mut self) -> Result<(), I::Error> {
        if let Some(inner) = self.inner.as_mut() {
            inner.run_once()?;
        }
        self.clock
            .advance(self.script[self.next % self.script.len()]);
        self.next += 1;
        Ok(())
    }
}

/// A model that does nothing; the peer for measuring the loop's own overhead.
pub struct NoOp;

impl Inference for NoOp {
    type Error = std::convert::Infallible;
    fn run_once(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FakeClock;

    fn scripted(script: &[f64]) -> (Scripted<NoOp>, FakeClock) {
        let clock = FakeClock::new();
        (
            Scripted::new(Some(NoOp), clock.clone(), script.to_vec()),
            clock,
        )
    }

    #[test]
    fn warmup_and_runs_are_separate_and_exact() {
        let (mut m, clock) = scripted(&[5.0, 4.0, 1.0, 2.0, 3.0]);
        let cfg = BenchConfig {
            warmup: 2,
            runs: 3,
            inferences_per_sample: 1,
        };
        let mut seen = Vec::new();
        let r = run_benchmark(&mut m, &clock, &cfg, |p| {
            seen.push((p.phase, p.done, p.total));
            Control::Continue
        })
        .unwrap();
        assert_eq!(r.warmup_ms, vec![5.0, 4.0]);
        assert_eq!(r.latencies_ms, vec![1.0, 2.0, 3.0]);
        assert!(!r.cancelled);
        assert_eq!(
            seen,
            vec![
                (Phase::Warmup, 1, 2),
                (Phase::Warmup, 2, 2),
                (Phase::Timed, 1, 3),
                (Phase::Timed, 2, 3),
                (Phase::Timed, 3, 3)
            ]
        );
    }

    #[test]
    fn batches_report_the_mean_per_inference() {
        let (mut m, clock) = scripted(&[1.0, 3.0]);
        let cfg = BenchConfig {
            warmup: 0,
            runs: 2,
            inferences_per_sample: 2,
        };
        let r = run_benchmark(&mut m, &clock, &cfg, |_| Control::Continue).unwrap();
        assert_eq!(r.latencies_ms, vec![2.0, 2.0]);
    }

    #[test]
    fn cancel_stops_between_runs() {
        let (mut m, clock) = scripted(&[1.0]);
        let cfg = BenchConfig {
            warmup: 1,
            runs: 100,
            inferences_per_sample: 1,
        };
        let r = run_benchmark(&mut m, &clock, &cfg, |p| {
            if p.phase == Phase::Timed && p.done == 10 {
                Control::Cancel
            } else {
                Control::Continue
            }
        })
        .unwrap();
        assert!(r.cancelled);
        assert_eq!(r.latencies_ms.len(), 10);
        assert_eq!(r.warmup_ms.len(), 1);
    }

    #[test]
    fn zero_runs_is_refused_before_running() {
        let (mut m, clock) = scripted(&[1.0]);
        let cfg = BenchConfig {
            warmup: 1,
            runs: 0,
            inferences_per_sample: 1,
        };
        let e = run_benchmark(&mut m, &clock, &cfg, |_| Control::Continue).unwrap_err();
        assert!(matches!(e, BenchError::Config(ConfigError::NoRuns)));
        assert_eq!(clock.now_ms(), 0.0, "nothing ran");
    }

    struct Failing(usize);
    impl Inference for Failing {
        type Error = String;
        fn run_once(&mut self) -> Result<(), String> {
            self.0 += 1;
            if self.0 == 3 {
                Err("boom".into())
            } else {
                Ok(())
            }
        }
    }

    #[test]
    fn an_inference_error_names_the_run() {
        let clock = FakeClock::new();
        let cfg = BenchConfig {
            warmup: 1,
            runs: 5,
            inferences_per_sample: 1,
        };
        let e = run_benchmark(&mut Failing(0), &clock, &cfg, |_| Control::Continue).unwrap_err();
        assert_eq!(e.to_string(), "inference failed during Timed run 1: boom");
    }
}
