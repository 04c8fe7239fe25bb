//! How many threads tract's operators may use (`piedge --threads N`).
//!
//! tract splits its matrix products and element-wise operators across an
//! executor, a rayon pool; this module owns that pool and runs work inside
//! it. One thread is the default everywhere: the lesson's numbers are the
//! steady single-core ones, and a browser worker has one thread anyway, so
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
                    pool.install(move || multithread_tract_scope(executor, f))
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
}
