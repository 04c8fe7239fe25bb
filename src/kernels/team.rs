//! How the kernels split a layer across the threads of `--threads N`: each
//! of the N threads takes one fixed, contiguous part of the layer's output
//! channels.
//!
//! Hand-rolled rather than rayon's `par_chunks_mut` (what tract's
//! `multithread::par_chunks_mut` is), for two measured reasons:
//! - **Cost.** A split through rayon's work-stealing deques and latches
//!   took about 1.5 µs more than the work it split, with the helpers
//!   already spinning (two threads on two cores, work of 2.5–36 µs per
//!   thread). MobileNetV2 at 64×64 splits some forty layers of 5–30 µs per
//!   inference. Here a split is one atomic word the spinning helpers watch
//!   and claim parts from, and a counter the caller waits on.
//! - **Place.** rayon hands chunks to whichever thread asks first, so a
//!   layer's channels land on different cores from one layer to the next
//!   and the next layer reads them from the other core's cache. Here thread
//!   `i` takes part `i` whenever it is running (a part nobody has claimed
//!   goes to whichever thread comes first): a depthwise layer after a
//!   pointwise one finds most of its input where it was written.
//!
//! onnxruntime's thread pool spins and partitions statically for the same
//! reasons. The crates that do this (a spinning fork-join with fixed
//! parts) are young or unmaintained; rayon still runs tract's own operators.
//!
//! `model::Threads::run` starts a [`Team`] and makes the thread running the
//! inference its lead ([`Team::lead`]); the pool's other threads serve it
//! ([`Member::poll`]) while they wait. Everywhere else (one thread, the
//! browser's worker, the tests that call a kernel directly) a split runs
//! inline, in the same chunks, on the calling thread.

#![allow(unsafe_code)] // one lifetime-erased pointer to the posted job, see `Team::split`

use std::any::Any;
use std::cell::RefCell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tract_onnx::prelude::TractResult;

/// Layers with fewer multiply-adds (or comparisons) than this run on one
/// thread: below it, what a second thread saves is eaten by the split's
/// own cost and by reading the layer's input from the other core's cache.
/// Measured on MobileNetV2 at 64×64 with 2 threads of 2 cores, against a
/// gate at 256 k: 128 k and 64 k took 4 % less time, 512 k 4 % more.
pub const SPLIT_MACS: usize = 1 << 17;

/// A counter on a cache line of its own (two, as the adjacent-line
/// prefetcher fetches pairs), so that polling one does not contend with
/// updates of the other.
#[repr(align(128))]
#[derive(Default)]
struct Line<T>(T);

/// Parts a split has at most: one bit each in [`Team`]'s state word.
const MAX_PARTS: usize = 32;

/// A posted split: the function each part runs with its index.
struct Job<'a> {
    run: &'a (dyn Fn(usize) + Sync),
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

/// The threads of one `model::Threads::run`: the lead and `members - 1`
/// helpers.
pub struct Team {
    members: usize,
    /// The split in progress: its number in the high 32 bits, and a bit per
    /// part in the low 32, set once a thread has claimed that part (parts
    /// the split does not have are set from the start). Claiming is a
    /// compare-and-swap of the whole word, so a late helper can never claim
    /// a part of a split that has ended.
    state: Line<AtomicU64>,
    /// The posted job, valid while a part of it is unfinished.
    job: AtomicPtr<()>,
    /// Parts of the posted job finished.
    finished: Line<AtomicUsize>,
}

thread_local! {
    /// The team this thread leads, inside [`Team::lead`].
    static LEADING: RefCell<Option<Arc<Team>>> = const { RefCell::new(None) };
}

impl Team {
    pub fn new(members: usize) -> Arc<Team> {
        Arc::new(Team {
            members: members.max(1),
            state: Line(AtomicU64::new(u32::MAX as u64)),
            job: AtomicPtr::new(std::ptr::null_mut()),
            finished: Line::default(),
        })
    }

    /// Runs `f` with this thread as the team's lead: the kernels' splits
    /// inside it are shared with the helpers that poll ([`Member::poll`]).
    pub fn lead<R>(self: &Arc<Team>, f: impl FnOnce() -> R) -> R {
        let previous = LEADING.replace(Some(self.clone()));
        struct Restore(Option<Arc<Team>>);
        impl Drop for Restore {
            fn drop(&mut self) {
                LEADING.set(self.0.take());
            }
        }
        let _restore = Restore(previous);
        f()
    }

    /// Helper `index` (1 ..= members - 1), which prefers part `index`.
    pub fn member(self: &Arc<Team>, index: usize) -> Member {
        Member {
            team: self.clone(),
            index,
        }
    }

    /// Parts a split of `rows` rows has.
    fn parts(&self, rows: usize) -> usize {
        self.members.min(rows).min(MAX_PARTS)
    }

    /// Runs `run(i)` for every part `i < parts` and returns when all have:
    /// part 0 and any part no helper has claimed on this thread, the rest
    /// on helpers. With as many threads as cores each helper takes its own
    /// part; with more threads than cores, parts whose helper is not
    /// running are done here instead of waited for. A panic in any part is
    /// passed on here, after every part has finished.
    fn split(&self, parts: usize, run: &(dyn Fn(usize) + Sync)) {
        let job = Job {
            run,
            panic: Mutex::new(None),
        };
        self.finished.0.store(0, Ordering::Relaxed);
        self.job
            .store(&job as *const Job<'_> as *mut (), Ordering::Relaxed);
        let epoch = (self.state.0.load(Ordering::Relaxed) >> 32).wrapping_add(1) & 0xffff_ffff;
        // The parts past `parts` count as claimed.
        let absent = u32::MAX.checked_shl(parts as u32).unwrap_or(0);
        // Publishes the job and the reset count with the new split.
        self.state
            .0
            .store(epoch << 32 | absent as u64, Ordering::Release);
        // A split inside one of this thread's parts runs inline: the
        // helpers are busy with this one.
        let outer = LEADING.take();
        while self.claim_and_run(0) {}
        LEADING.set(outer);
        // The job lives on this stack: no return (nor unwinding) before
        // every part has finished with it.
        let mut idle = Idle::default();
        while self.finished.0.load(Ordering::Acquire) < parts {
            idle.wait();
        }
        self.job.store(std::ptr::null_mut(), Ordering::Relaxed);
        if let Some(p) = job.panic.into_inner().unwrap_or_else(|e| e.into_inner()) {
            resume_unwind(p);
        }
    }

    /// Claims an unclaimed part of the split in progress, `preferred` if it
    /// is free, and runs it; whether there was one.
    fn claim_and_run(&self, preferred: usize) -> bool {
        let state = self.state.0.load(Ordering::Acquire);
        let claimed = state as u32;
        if claimed == u32::MAX {
            return false;
        }
        let part = if preferred < MAX_PARTS && claimed & (1 << preferred) == 0 {
            preferred
        } else {
            (!claimed).trailing_zeros() as usize
        };
        if self
            .state
            .0
            .compare_exchange(
                state,
                state | 1 << part,
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_err()
        {
            // Another thread claimed a part first: look again.
            return true;
        }
        let job = self.job.load(Ordering::Relaxed) as *const Job<'_>;
        // SAFETY: the claim succeeded on the state word of this split, which
        // was published (release) after its job was stored, and the lead
        // keeps that job alive until every claimed part has counted itself
        // finished below. A split that had ended would have had a new state
        // word or every part claimed, and the exchange would have failed.
        let job = unsafe { &*job };
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| (job.run)(part))) {
            *job.panic.lock().unwrap_or_else(|e| e.into_inner()) = Some(p);
        }
        self.finished.0.fetch_add(1, Ordering::Release);
        true
    }
}

/// One helper's view of its team.
pub struct Member {
    team: Arc<Team>,
    index: usize,
}

impl Member {
    /// Runs a part of the split in progress, if one is unclaimed (this
    /// helper's own first); whether it found one.
    pub fn poll(&mut self) -> bool {
        self.team.claim_and_run(self.index)
    }
}

/// How a spinning thread waits: a CPU pause per round at first, then, once
/// it has found nothing for a while, a yield to the system's scheduler each
/// round. With more threads than cores (`--threads 4` on two), pure
/// spinning kept the thread with the work off its core for whole time
/// slices: an inference of MobileNetV2 took 98 ms instead of 0.9.
#[derive(Default)]
pub struct Idle(u32);

impl Idle {
    /// Rounds of pausing before the yields start: tens of microseconds,
    /// longer than most pauses between two layers' work (256 and 2048 made
    /// no difference to MobileNetV2 on 2 threads of 2 cores).
    const SPINS: u32 = 2048;

    pub fn wait(&mut self) {
        if self.0 < Self::SPINS {
            self.0 += 1;
            std::hint::spin_loop();
        } else {
            #[cfg(not(target_arch = "wasm32"))]
            std::thread::yield_now();
        }
    }
}

/// Computes `out` in rows of `row_len` values with `f(first_row, rows)`,
/// split into one contiguous run of rows per thread of the team this thread
/// leads when the layer has at least [`SPLIT_MACS`] of `macs`; otherwise
/// (or with no team) `f(0, out)` here. Rows go to the threads in order:
/// the lead takes the first run, helper `i` the `i`-th while it is running
/// (see [`Team::split`]).
pub fn par_chunks_mut<T: Send>(
    out: &mut [T],
    row_len: usize,
    macs: usize,
    f: impl Fn(usize, &mut [T]) -> TractResult<()> + Sync,
) -> TractResult<()> {
    let rows = out.len() / row_len.max(1);
    // The gate first: most calls stay inline without touching the team.
    if rows < 2 || macs < SPLIT_MACS {
        return f(0, out);
    }
    let Some(team) = LEADING.with_borrow(|t| t.clone()) else {
        return f(0, out);
    };
    let members = team.parts(rows);
    // Each part's rows, handed to whichever thread has its index.
    let mut parts = Vec::with_capacity(members);
    let mut rest = out;
    let mut first = 0;
    for i in 0..members {
        let end = (i + 1) * rows / members;
        let (part, tail) = rest.split_at_mut((end - first) * row_len);
        parts.push(Mutex::new(Some((first, part))));
        rest = tail;
        first = end;
    }
    let error = Mutex::new(None);
    team.split(members, &|i| {
        let taken = parts.get(i).and_then(|p| p.lock().ok()?.take());
        if let Some((first, part)) = taken {
            if let Err(e) = f(first, part) {
                *error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
            }
        }
    });
    match error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(out: &mut [u64], row_len: usize, f_first: impl Fn(usize) + Sync) -> TractResult<()> {
        par_chunks_mut(out, row_len, usize::MAX, |first, rows| {
            f_first(first);
            for (i, v) in rows.iter_mut().enumerate() {
                *v = (first * row_len + i) as u64 + 1;
            }
            Ok(())
        })
    }

    #[test]
    fn without_a_team_one_call_does_everything() {
        let calls = AtomicUsize::new(0);
        let mut out = vec![0; 40];
        fill(&mut out, 4, |first| {
            assert_eq!(first, 0);
            calls.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(calls.into_inner(), 1);
        assert_eq!(out, (1..=40).collect::<Vec<u64>>());
    }

    /// Parts whose helper never comes (more threads than cores, or a
    /// helper still asleep) are done by the lead instead of waited for:
    /// here no helper polls at all, and the split still ends.
    #[test]
    fn the_lead_does_the_parts_no_helper_claims() {
        let team = Team::new(4);
        let firsts = Mutex::new(Vec::new());
        let mut out = vec![0; 10 * 3];
        team.lead(|| fill(&mut out, 3, |first| firsts.lock().unwrap().push(first)))
            .unwrap();
        assert_eq!(out, (1..=30).collect::<Vec<u64>>());
        // Four contiguous runs of rows, in order.
        assert_eq!(firsts.into_inner().unwrap(), [0, 2, 5, 7]);
    }

    /// A split inside a part runs inline rather than waiting for helpers
    /// that are busy with the outer one.
    #[test]
    fn a_split_inside_a_part_runs_inline() {
        let team = Team::new(2);
        let mut out = vec![0u64; 8];
        team.lead(|| {
            par_chunks_mut(&mut out, 1, usize::MAX, |first, rows| {
                fill(rows, 1, |_| {})?;
                for v in rows.iter_mut() {
                    *v += first as u64 * 100;
                }
                Ok(())
            })
        })
        .unwrap();
        assert_eq!(out, [1, 2, 3, 4, 401, 402, 403, 404]);
    }

    /// A part's error or panic reaches the caller once every part has
    /// finished, and the team works afterwards.
    #[test]
    fn errors_and_panics_in_a_part_reach_the_caller() {
        let team = Team::new(3);
        let mut out = vec![0u64; 9];
        let e = team
            .lead(|| {
                par_chunks_mut(&mut out, 1, usize::MAX, |first, _| {
                    if first == 3 {
                        tract_onnx::tract_core::internal::bail!("part at row {first}");
                    }
                    Ok(())
                })
            })
            .unwrap_err();
        assert_eq!(e.to_string(), "part at row 3");
        let caught = catch_unwind(AssertUnwindSafe(|| {
            team.lead(|| fill(&mut out, 1, |first| assert_ne!(first, 6, "boom")))
        }));
        assert!(caught.is_err());
        team.lead(|| fill(&mut out, 1, |_| {})).unwrap();
        assert_eq!(out, (1..=9).collect::<Vec<u64>>());
    }

    /// Small layers stay on one thread.
    #[test]
    fn work_under_the_gate_is_not_split() {
        let team = Team::new(2);
        let calls = AtomicUsize::new(0);
        let mut out = vec![0u64; 16];
        team.lead(|| {
            par_chunks_mut(&mut out, 1, SPLIT_MACS - 1, |_, _| {
                calls.fetch_add(1, Ordering::Relaxed);
                Ok(())
            })
        })
        .unwrap();
        assert_eq!(calls.into_inner(), 1);
    }
}
