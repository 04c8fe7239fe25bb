//! How many threads tract's operators may use (`piedge --threads N`).
//!
//! tract splits its matrix products and element-wise operators across an
//! executor, a rayon pool, and the project's kernels split theirs across a
//! `kernels::team::Team` of the same threads; this module owns both and
//! runs work inside them. One thread is the default everywhere: the
//! lesson's numbers are the steady single-core ones, and a browser worker has one thread anyway, so
//! on wasm32 only `Threads::new(1)` exists.

use crate::limits::MAX_THREADS;
use std::fmt;

/// A pool of threads for tract's operators, started once before timing.
pub struct Threads {
    n: usize,
    #[cfg(not(target_arch = "wasm32"))]
    executor: tract_linalg::multithread::Executor,
}

/// Why a pool could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadsError(String);

impl fmt::Display for ThreadsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ThreadsError {}

impl Threads {
    /// `n` threads (1 runs everything on the caller's thread, as before).
    pub fn new(n: usize) -> Result<Threads, ThreadsError> {
        if n == 0 || n > MAX_THREADS {
            return Err(ThreadsError(format!(
                "{n} threads: give a number from 1 to {MAX_THREADS}"
            )));
        }
        #[cfg(target_arch = "wasm32")]
        {
            if n > 1 {
                return Err(ThreadsError(
                    "a browser's worker runs the model on one thread".into(),
                ));
            }
            Ok(Threads { n })
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            use tract_linalg::multithread::Executor;
            let executor = if n == 1 {
                Executor::SingleThread
            } else {
                // Built here rather than with `Executor::multithread`, which
                // panics when the system refuses threads.
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .thread_name(|i| format!("piedge-tract-{i}"))
                    .build()
                    .map_err(|e| {
                        ThreadsError(format!(
                            "could not start {n} threads ({e}); try fewer threads"
                        ))
                    })?;
                Executor::MultiThread(std::sync::Arc::new(pool))
            };
            Ok(Threads { n, executor })
        }
    }

    /// One thread: the default.
    pub fn one() -> Threads {
        Threads::new(1).expect("one thread is always allowed")
    }

    pub fn count(&self) -> usize {
        self.n
    }

    /// Runs `f` with tract's operators dispatching to the pool; everything
    /// inside (warmup, timed runs) sees the same pool. With more than one
    /// thread, `f` itself runs on one of the pool's threads, so that N
    /// threads are N busy threads: run from outside, the caller's thread
    /// would do the serial work between parallel operators while the pool's
    /// idle threads spin waiting for more, and on a machine with N cores
    /// that made two threads slower than one.
    pub fn run<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        #[cfg(not(target_arch = "wasm32"))]
        {
            use tract_linalg::multithread::{multithread_tract_scope, Executor};
            match &self.executor {
                Executor::MultiThread(pool) => {
                    let executor = self.executor.clone();
                    let helpers = self.n - 1;
                    pool.install(move || {
                        with_spinning_helpers(helpers, || multithread_tract_scope(executor, f))
                    })
                }
                _ => f(),
            }
        }
        #[cfg(target_arch = "wasm32")]
        {
            f()
        }
    }
}

/// Runs `f` on this pool thread while the pool's `helpers` other threads
/// spin, taking each parallel operator's work the moment it is split off.
///
/// Left to rayon, an idle thread sleeps after a few dozen rounds of
/// looking for work; a layer of a small model lasts 5–80 µs, and waking a
/// sleeping thread (through the hypervisor, on a cloud machine) took about
/// as long: with two threads TinyCNN's convolutions took longer than on one,
/// because the main thread finished its half and then waited for a helper
/// that had only just woken to do the other. onnxruntime's pool spins for
/// the same reason. rayon has no setting for it, so each helper runs a job
/// that polls the pool (`rayon::yield_now`, which runs any job it finds)
/// until `f` returns, and the kernels' team (`kernels::team`), whose
/// splits do not go through rayon. While `f` runs, the helpers keep their
/// cores busy; that is what `--threads N` asks for.
#[cfg(not(target_arch = "wasm32"))]
fn with_spinning_helpers<R: Send>(helpers: usize, f: impl FnOnce() -> R + Send) -> R {
    use crate::kernels::team::{Idle, Team};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let (started, done) = (AtomicUsize::new(0), AtomicBool::new(false));
    // The kernels' own splits go through the team (see `kernels::team`),
    // tract's through the pool.
    let team = Team::new(helpers + 1);
    rayon::scope(|scope| {
        for _ in 0..helpers {
            scope.spawn(|_| {
                let mut member = team.member(started.fetch_add(1, Ordering::AcqRel) + 1);
                // Until every helper has its own thread, look for no work:
                // a helper that took another helper's job would spin inside
                // it and leave a thread asleep.
                let mut idle = Idle::default();
                while started.load(Ordering::Acquire) < helpers && !done.load(Ordering::Acquire) {
                    idle.wait();
                }
                while !done.load(Ordering::Acquire) {
                    if member.poll() {
                        idle = Idle::default();
                        continue;
                    }
                    match rayon::yield_now() {
                        Some(rayon::Yield::Executed) => idle = Idle::default(),
                        _ => idle.wait(),
                    }
                }
            });
        }
        // The same for this thread: were a helper's job still queued here
        // when `f` waits for a split-off half, this thread could run it and
        // spin forever. (The pool has `helpers` other threads to take them.)
        // The helpers stop when `f` returns, and also when it panics: the
        // scope waits for them before it passes the panic on, and would
        // otherwise wait for ever.
        struct StopHelpers<'a>(&'a AtomicBool);
        impl Drop for StopHelpers<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Release);
            }
        }
        let _stop = StopHelpers(&done);
        let mut idle = Idle::default();
        while started.load(Ordering::Acquire) < helpers {
            idle.wait();
        }
        team.lead(f)
    })
}

impl fmt::Debug for Threads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Threads({})", self.n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_outside_the_range_are_refused_with_the_range() {
        for n in [0, MAX_THREADS + 1] {
            let e = Threads::new(n).unwrap_err().to_string();
            assert!(e.contains(&format!("from 1 to {MAX_THREADS}")), "{e}");
        }
        assert_eq!(Threads::one().count(), 1);
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn a_pool_is_the_executor_inside_run_and_only_there() {
        use tract_linalg::multithread::{current_tract_executor, Executor};
        let threads = Threads::new(2).unwrap();
        let inside = threads.run(current_tract_executor);
        assert!(matches!(inside, Executor::MultiThread(ref p) if p.current_num_threads() == 2));
        assert!(matches!(current_tract_executor(), Executor::SingleThread));
    }

    /// A panic inside `run` reaches the caller instead of leaving the
    /// helpers spinning and the call waiting for them.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn a_panic_inside_run_is_passed_on() {
        let threads = Threads::new(2).unwrap();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            threads.run(|| panic!("inside the pool"))
        }));
        assert!(caught.is_err());
        // The pool still works afterwards.
        assert_eq!(threads.run(|| 7), 7);
    }

    /// Split-off work reaches a helper, through tract's pool and through
    /// the kernels' team alike, and `run` returns (the helpers stop)
    /// however often it is called. The first chunk holds its thread until
    /// another thread has taken a chunk, so the rest can only run on a
    /// helper: the test does not depend on how the machine schedules.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn helpers_take_split_work_and_stop_when_run_returns() {
        use std::sync::Mutex;
        use std::time::{Duration, Instant};
        type Split = fn(
            &mut [u64],
            usize,
            usize,
            &(dyn Fn(usize, &mut [u64]) -> tract_onnx::prelude::TractResult<()> + Sync),
        ) -> tract_onnx::prelude::TractResult<()>;
        let splits: [(&str, Split); 2] = [
            ("tract", |out, row, work, f| {
                tract_linalg::multithread::par_chunks_mut(out, row, work, f)
            }),
            ("team", |out, row, work, f| {
                crate::kernels::team::par_chunks_mut(out, row, work, f)
            }),
        ];
        for (name, split) in splits {
            for n in [2, 3] {
                let threads = Threads::new(n).unwrap();
                for _ in 0..5 {
                    let seen = Mutex::new(std::collections::BTreeSet::new());
                    let out = threads.run(|| {
                        let mut out = vec![0u64; 64];
                        split(&mut out, 1, usize::MAX, &|first, chunk| {
                            let me = rayon::current_thread_index();
                            seen.lock().unwrap().insert(me);
                            let deadline = Instant::now() + Duration::from_secs(20);
                            while first == 0
                                && seen.lock().unwrap().len() < 2
                                && Instant::now() < deadline
                            {
                                std::thread::yield_now();
                            }
                            for (i, v) in chunk.iter_mut().enumerate() {
                                *v = (first + i) as u64 + 1;
                            }
                            Ok(())
                        })
                        .unwrap();
                        out
                    });
                    assert_eq!(out, (1..=64).collect::<Vec<u64>>(), "{name}");
                    assert!(
                        seen.into_inner().unwrap().len() >= 2,
                        "{name}, {n} threads: no helper took work"
                    );
                }
            }
        }
    }

    /// A panic in a part a helper runs reaches the caller, and the pool
    /// works afterwards.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn a_panic_in_a_helpers_part_is_passed_on() {
        let threads = Threads::new(2).unwrap();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            threads.run(|| {
                let mut out = vec![0u8; 8];
                crate::kernels::team::par_chunks_mut(&mut out, 1, usize::MAX, |first, _| {
                    assert_eq!(first, 0, "a part past the first");
                    Ok(())
                })
            })
        }));
        assert!(caught.is_err());
        assert_eq!(threads.run(|| 7), 7);
    }
}
