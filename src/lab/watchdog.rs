//! When a silent worker counts as hung. A worker that runs a model that
//! never finishes cannot say so, so the page's client asks this rule, ten
//! times a second, whether the worker has been quiet too long for what the
//! page waits for.
//!
//! While a run streams progress (every 10 ms of computing, or after each
//! inference if one takes longer), silence beyond `max(0.7 s, 5 × the
//! longest gap seen so far in runs)` means it hangs: a small model's hang is
//! noticed within a second. Loading a model, a run's first inference and the
//! kernel self-check are single long computations of unknown length: they
//! get [`SLOW_STEP_MS`].

use crate::lab::protocol::{FromWorker, ToWorker};
use std::collections::HashMap;

/// Silence that always counts as a hang while a run streams progress.
pub const HANG_MS: f64 = 700.0;
/// Silence allowed for a step of unknown length (a load, a first inference).
pub const SLOW_STEP_MS: f64 = 20_000.0;
/// How often the client looks.
pub const WATCH_EVERY_MS: f64 = 100.0;

/// What the page waits for, by request id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Awaiting {
    /// A load, a self-check, or a run that has not reported yet.
    SlowStep,
    /// A run that is streaming progress.
    Streaming,
}

/// What one worker has been asked and when it was last heard.
#[derive(Clone, Debug)]
pub struct Watchdog {
    awaiting: HashMap<u64, Awaiting>,
    last_heard_ms: f64,
    /// The longest silence between two messages of a streaming run.
    longest_gap_ms: f64,
    last_look_ms: f64,
}

impl Watchdog {
    /// A watchdog for a worker started at `now_ms`.
    pub fn new(now_ms: f64) -> Watchdog {
        Watchdog {
            awaiting: HashMap::new(),
            last_heard_ms: now_ms,
            longest_gap_ms: 0.0,
            last_look_ms: now_ms,
        }
    }

    /// Notes a message to the worker that expects an answer.
    pub fn sent(&mut self, msg: &ToWorker, now_ms: f64) {
        let request = match msg {
            ToWorker::Load { request, .. }
            | ToWorker::Run { request, .. }
            | ToWorker::SelfCheck { request, .. } => *request,
            ToWorker::Cancel { .. } | ToWorker::Crash { .. } => return,
        };
        if self.awaiting.is_empty() {
            // The clock starts now, not at the worker's last word.
            self.last_heard_ms = now_ms;
        }
        self.awaiting.insert(request, Awaiting::SlowStep);
    }

    /// Notes a message from the worker: when it was heard, and which request
    /// it answers or advances.
    pub fn heard(&mut self, msg: &FromWorker, now_ms: f64) {
        match msg {
            FromWorker::Progress { request, .. } => {
                // Every gap counts, the first too: it holds at least one
                // inference, which is what a later gap may have to wait for.
                if self.awaiting.contains_key(request) {
                    self.longest_gap_ms = self.longest_gap_ms.max(now_ms - self.last_heard_ms);
                    self.awaiting.insert(*request, Awaiting::Streaming);
                }
            }
            FromWorker::Loaded { request, .. }
            | FromWorker::Finished { request, .. }
            | FromWorker::SelfChecked { request, .. }
            | FromWorker::Failed { request, .. } => {
                self.awaiting.remove(request);
            }
            FromWorker::Ready { .. } => {}
        }
        self.last_heard_ms = now_ms;
    }

    /// Looks at `now_ms`: how long the worker has been silent, if that is a
    /// hang. Before the worker is ready nothing is expected of it yet.
    pub fn look(&mut self, now_ms: f64, ready: bool) -> Option<f64> {
        // If the page itself was too busy to look (drawing a huge chart),
        // the worker's messages may still be queued behind this look: start
        // the silence over.
        let previous = std::mem::replace(&mut self.last_look_ms, now_ms);
        if now_ms - previous > 3.0 * WATCH_EVERY_MS {
            self.last_heard_ms = now_ms;
        }
        if self.awaiting.is_empty() || !ready {
            return None;
        }
        let limit = if self.awaiting.values().any(|a| *a == Awaiting::SlowStep) {
            SLOW_STEP_MS
        } else {
            HANG_MS.max(5.0 * self.longest_gap_ms)
        };
        let silent_ms = now_ms - self.last_heard_ms;
        (silent_ms > limit).then_some(silent_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::Phase;
    use crate::plan::Plan;

    fn run(request: u64) -> ToWorker {
        ToWorker::Run {
            request,
            model_key: "m".into(),
            plan: Plan::Optimized,
            warmup: 0,
            runs: 10,
            seed: 0,
            inferences_per_sample: None,
        }
    }

    fn progress(request: u64) -> FromWorker {
        FromWorker::Progress {
            request,
            phase: Phase::Timed,
            done: 1,
            total: 10,
            new_latencies: vec![1.0],
            inferences_per_sample: 1,
        }
    }

    /// Looks every 100 ms from `from` to `to` and returns the first hang.
    fn watch(w: &mut Watchdog, from: f64, to: f64) -> Option<(f64, f64)> {
        let mut t = from;
        while t <= to {
            if let Some(silent) = w.look(t, true) {
                return Some((t, silent));
            }
            t += WATCH_EVERY_MS;
        }
        None
    }

    #[test]
    fn a_streaming_run_that_stops_is_a_hang_within_a_second() {
        let mut w = Watchdog::new(0.0);
        w.sent(&run(1), 0.0);
        w.heard(&progress(1), 50.0);
        w.heard(&progress(1), 60.0);
        assert_eq!(watch(&mut w, 100.0, 5000.0), Some((800.0, 740.0)));
    }

    #[test]
    fn a_slow_model_gets_five_times_its_longest_gap() {
        let mut w = Watchdog::new(0.0);
        w.sent(&run(1), 0.0);
        assert_eq!(w.look(100.0, true), None);
        w.heard(&progress(1), 150.0);
        w.heard(&progress(1), 550.0);
        // 5 × 400 ms = 2 s of silence after the last word, at 550 ms.
        assert_eq!(watch(&mut w, 200.0, 9000.0), Some((2600.0, 2050.0)));
    }

    #[test]
    fn a_load_or_first_inference_gets_the_slow_step_allowance() {
        let mut w = Watchdog::new(0.0);
        w.sent(&run(1), 0.0);
        assert_eq!(watch(&mut w, 100.0, 19_900.0), None);
        assert!(w.look(20_100.0, true).is_some());
    }

    #[test]
    fn nothing_awaited_or_not_ready_is_never_a_hang() {
        let mut w = Watchdog::new(0.0);
        assert_eq!(watch(&mut w, 100.0, 60_000.0), None);
        w.sent(&run(1), 60_000.0);
        assert_eq!(w.look(90_000.0, false), None);
        w.heard(
            &FromWorker::Failed {
                request: 1,
                message: "no".into(),
                detail: None,
                error: None,
            },
            60_100.0,
        );
        assert_eq!(watch(&mut w, 60_200.0, 200_000.0), None);
    }

    #[test]
    fn a_page_too_busy_to_look_starts_the_silence_over() {
        let mut w = Watchdog::new(0.0);
        w.sent(&run(1), 0.0);
        w.heard(&progress(1), 10.0);
        // The page froze for 2 s: the worker's messages may be queued.
        assert_eq!(w.look(2000.0, true), None);
        assert_eq!(watch(&mut w, 2100.0, 5000.0), Some((2800.0, 800.0)));
    }

    #[test]
    fn cancel_and_crash_expect_no_answer() {
        let mut w = Watchdog::new(0.0);
        w.sent(&ToWorker::Cancel { request: 1 }, 0.0);
        assert_eq!(watch(&mut w, 100.0, 30_000.0), None);
    }
}
