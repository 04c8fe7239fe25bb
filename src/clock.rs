//! The clock seam: every latency the engine reports is a difference of two
//! readings of a [`Clock`].
//!
//! Natively the clock is `std::time::Instant`; in the browser it is
//! `performance.now()`, because `Instant::now()` panics on
//! `wasm32-unknown-unknown`. Tests use [`FakeClock`], which only moves when
//! told to, so statistics computed end to end come out exact.

use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::rc::Rc;

/// A monotonic clock reading milliseconds since an arbitrary origin.
pub trait Clock {
    fn now_ms(&self) -> f64;

    /// A human name for reports ("Instant", "performance.now()", "fake").
    fn name(&self) -> &'static str;

    /// Measures the clock's resolution. The default spins on `now_ms`; a fake
    /// clock, which never moves on its own, overrides it.
    fn resolution(&self) -> TimerResolution {
        probe_resolution(self)
    }
}

/// What the resolution probe found: the smallest and the typical non-zero step
/// between two consecutive readings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimerResolution {
    pub clock: String,
    /// Smallest non-zero step seen, in milliseconds.
    pub min_step_ms: f64,
    /// Median of the steps seen, in milliseconds. Browsers that add jitter to
    /// coarse timers show a median well above the minimum.
    pub median_step_ms: f64,
    pub samples: usize,
}

/// How many steps the probe collects, and how many readings it allows per step
/// before giving up on a clock that does not move.
const PROBE_STEPS: usize = 25;
const PROBE_MAX_SPINS: usize = 10_000_000;

/// Measures the smallest non-zero step of `clock` by spinning until its
/// reading changes, `PROBE_STEPS` times. A coarse clock (1 ms) takes about
/// 25 ms to probe.
pub fn probe_resolution<C: Clock + ?Sized>(clock: &C) -> TimerResolution {
    let mut steps = Vec::with_capacity(PROBE_STEPS);
    for _ in 0..PROBE_STEPS {
        // Align to a tick first, so that the measured step is a whole tick and
        // not the remainder of one.
        let Some(start) = next_tick(clock, clock.now_ms()) else {
            break;
        };
        let Some(end) = next_tick(clock, start) else {
            break;
        };
        steps.push(end - start);
    }
    resolution_from_steps(clock.name(), &mut steps)
}

fn next_tick<C: Clock + ?Sized>(clock: &C, from: f64) -> Option<f64> {
    for _ in 0..PROBE_MAX_SPINS {
        let t = clock.now_ms();
        if t != from {
            return Some(t);
        }
    }
    None
}

fn resolution_from_steps(name: &str, steps: &mut [f64]) -> TimerResolution {
    steps.sort_by(f64::total_cmp);
    let (min, median) = if steps.is_empty() {
        (f64::NAN, f64::NAN)
    } else {
        (steps[0], steps[steps.len() / 2])
    };
    TimerResolution {
        clock: name.to_string(),
        min_step_ms: min,
        median_step_ms: median,
        samples: steps.len(),
    }
}

/// The platform's monotonic clock.
pub struct SystemClock {
    #[cfg(not(target_arch = "wasm32"))]
    origin: std::time::Instant,
    #[cfg(target_arch = "wasm32")]
    performance: web_sys::Performance,
}

impl SystemClock {
    /// Creates the clock. In the browser this looks up `performance` on the
    /// global object, which exists both in a page and in a Web Worker.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new() -> Self {
        SystemClock {
            origin: std::time::Instant::now(),
        }
    }

    #[cfg(target_arch = "wasm32")]
    pub fn new() -> Self {
        use wasm_bindgen::JsCast;
        let performance = js_sys::Reflect::get(&js_sys::global(), &"performance".into())
            .expect("the global object has a `performance` property")
            .unchecked_into::<web_sys::Performance>();
        SystemClock { performance }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    #[cfg(not(target_arch = "wasm32"))]
    fn now_ms(&self) -> f64 {
        self.origin.elapsed().as_secs_f64() * 1e3
    }

    #[cfg(target_arch = "wasm32")]
    fn now_ms(&self) -> f64 {
        self.performance.now()
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn name(&self) -> &'static str {
        "std::time::Instant"
    }

    #[cfg(target_arch = "wasm32")]
    fn name(&self) -> &'static str {
        "performance.now()"
    }
}

/// A clock that moves only when [`FakeClock::advance`] is called. Clones share
/// the same time, so a fake model can advance the clock the benchmark reads.
#[derive(Clone, Default)]
pub struct FakeClock {
    now: Rc<Cell<f64>>,
}

impl FakeClock {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn advance(&self, ms: f64) {
        self.now.set(self.now.get() + ms);
    }
}

/// The resolution a fake clock reports: one nanosecond.
pub const FAKE_CLOCK_RESOLUTION_MS: f64 = 1e-6;

impl Clock for FakeClock {
    fn now_ms(&self) -> f64 {
        self.now.get()
    }

    fn name(&self) -> &'static str {
        "fake"
    }

    fn resolution(&self) -> TimerResolution {
        TimerResolution {
            clock: self.name().to_string(),
            min_step_ms: FAKE_CLOCK_RESOLUTION_MS,
            median_step_ms: FAKE_CLOCK_RESOLUTION_MS,
            samples: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock that ticks every `tick` ms, one reading at a time, to test the
    /// probe without depending on the machine's timer.
    struct TickingClock {
        reads: Cell<u64>,
        reads_per_tick: u64,
        tick: f64,
    }

    impl Clock for TickingClock {
        fn now_ms(&self) -> f64 {
            let r = self.reads.get();
            self.reads.set(r + 1);
            (r / self.reads_per_tick) as f64 * self.tick
        }
        fn name(&self) -> &'static str {
            "ticking"
        }
    }

    #[test]
    fn probe_finds_a_coarse_tick() {
        let clock = TickingClock {
            reads: Cell::new(0),
            reads_per_tick: 7,
            tick: 0.1,
        };
        let r = clock.resolution();
        assert_eq!(r.samples, PROBE_STEPS);
        assert!((r.min_step_ms - 0.1).abs() < 1e-12, "{r:?}");
        assert!((r.median_step_ms - 0.1).abs() < 1e-12, "{r:?}");
    }

    #[test]
    fn system_clock_is_monotonic_and_fine() {
        let c = SystemClock::new();
        let a = c.now_ms();
        let b = c.now_ms();
        assert!(b >= a);
        let r = c.resolution();
        assert_eq!(r.samples, PROBE_STEPS);
        assert!(r.min_step_ms > 0.0 && r.min_step_ms < 1.0, "{r:?}");
    }

    #[test]
    fn fake_clock_moves_only_when_told() {
        let c = FakeClock::new();
        let shared = c.clone();
        assert_eq!(c.now_ms(), 0.0);
        shared.advance(1.5);
        assert_eq!(c.now_ms(), 1.5);
        assert_eq!(c.resolution().min_step_ms, FAKE_CLOCK_RESOLUTION_MS);
    }
}
