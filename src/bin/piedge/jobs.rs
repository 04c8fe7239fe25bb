//! The native-run queue of `piedge serve`: who asked for what, in which
//! order, and how far each job is. One job runs at a time by default,
//! because two benchmarks on one machine disturb each other
//! (`--concurrent-runs N` lets a class see by how much).
//!
//! [`Queue`] is plain data with the rules (one unfinished job per session
//! token, a bounded queue, follow and cancel only your own, ids nobody can
//! guess); [`Jobs`] shares it between
//! the HTTP handlers and the runner threads, and tells the handlers when
//! anything changed so that progress streams can follow.

use piedge::api::{ApiError, JobAccepted, JobRequest, JobStatus, MAX_JOBS_PER_ADDRESS, MAX_QUEUE};
use piedge::report::BenchmarkReport;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// Finished jobs kept for their owners to fetch; older ones are forgotten.
const KEEP_FINISHED: usize = 256;

/// The runner threads' names, `native-run-0`, …: a panic there fails the
/// job, not the server (`http::panic_is_contained`).
pub const RUNNER_THREAD: &str = "native-run-";

/// Job ids are random below 2^53, so that a JavaScript number holds them
/// exactly and nobody finds another's job by counting.
const ID_BITS: u32 = 53;

/// What the runner reports between runs; `false` from it stops the job.
pub type OnProgress<'a> = dyn FnMut(bool, usize, usize) -> bool + 'a;

/// Runs one job: its request and a progress callback (warmup?, done, total)
/// in, its report or a message for the student out.
pub type RunJob =
    dyn Fn(&JobRequest, &mut OnProgress<'_>) -> Result<BenchmarkReport, String> + Send + Sync;

/// Adds to a finished report what the server did meanwhile, given the most
/// other jobs that ran beside it.
pub type Annotate = dyn Fn(&mut BenchmarkReport, usize) + Send + Sync;

struct Job {
    owner: String,
    /// The client address it came from, when known.
    from: Option<IpAddr>,
    request: JobRequest,
    status: JobStatus,
    cancel: Arc<AtomicBool>,
    /// The most other jobs that ran while this one did.
    others_max: usize,
}

/// The queue's state and rules, without threads.
#[derive(Default)]
pub struct Queue {
    waiting: VecDeque<u64>,
    running: Vec<u64>,
    finished: VecDeque<u64>,
    jobs: HashMap<u64, Job>,
}

impl Queue {
    /// Queues `request` for `owner` (from the address `from`), or says why
    /// not.
    pub fn submit(
        &mut self,
        owner: &str,
        from: Option<IpAddr>,
        request: JobRequest,
    ) -> Result<JobAccepted, ApiError> {
        let unfinished = || self.jobs.iter().filter(|(_, j)| !j.status.is_final());
        if let Some((&id, _)) = unfinished().find(|(_, j)| j.owner == owner) {
            return Err(ApiError::AlreadyQueued { id });
        }
        if from.is_some()
            && unfinished().filter(|(_, j)| j.from == from).count() >= MAX_JOBS_PER_ADDRESS
        {
            return Err(ApiError::TooManyFromAddress {
                limit: MAX_JOBS_PER_ADDRESS,
            });
        }
        if self.waiting.len() + self.running.len() >= MAX_QUEUE {
            return Err(ApiError::QueueFull { limit: MAX_QUEUE });
        }
        let id = loop {
            let id = crate::classroom::random_u64() >> (64 - ID_BITS);
            if id != 0 && !self.jobs.contains_key(&id) {
                break id;
            }
        };
        self.waiting.push_back(id);
        self.jobs.insert(
            id,
            Job {
                owner: owner.to_string(),
                from,
                request,
                status: JobStatus::Queued { position: 0 },
                cancel: Arc::new(AtomicBool::new(false)),
                others_max: 0,
            },
        );
        Ok(JobAccepted {
            id,
            position: self.waiting.len(),
        })
    }

    /// The job's status for `owner` (the token a request carried; `None`
    /// for the teacher, who may see every job).
    pub fn status_for(&self, id: u64, owner: Option<&str>) -> Result<JobStatus, ApiError> {
        let job = self.jobs.get(&id).ok_or(ApiError::UnknownJob { id })?;
        if owner.is_some_and(|o| o != job.owner) {
            return Err(ApiError::NotYourJob { id });
        }
        self.status(id).ok_or(ApiError::UnknownJob { id })
    }

    /// The job's status now; a queued job's place is counted from the front.
    pub fn status(&self, id: u64) -> Option<JobStatus> {
        let job = self.jobs.get(&id)?;
        Some(match job.status {
            JobStatus::Queued { .. } => JobStatus::Queued {
                position: self.waiting.iter().position(|&w| w == id).unwrap_or(0) + 1,
            },
            ref other => other.clone(),
        })
    }

    /// Cancels `owner`'s job `id`: a waiting job leaves the queue at once, a
    /// running one stops after the inference in progress.
    pub fn cancel(&mut self, owner: &str, id: u64) -> Result<(), ApiError> {
        let job = self.jobs.get_mut(&id).ok_or(ApiError::UnknownJob { id })?;
        if job.owner != owner {
            return Err(ApiError::NotYourJob { id });
        }
        match job.status {
            JobStatus::Queued { .. } => {
                job.status = JobStatus::Cancelled;
                self.waiting.retain(|&w| w != id);
                self.finished.push_back(id);
                self.forget_old();
            }
            JobStatus::Running { .. } => job.cancel.store(true, Ordering::Relaxed),
            _ => {}
        }
        Ok(())
    }

    /// The next job to start, if fewer than `concurrent` run now.
    pub fn start_next(&mut self, concurrent: usize) -> Option<(u64, JobRequest, Arc<AtomicBool>)> {
        if self.running.len() >= concurrent {
            return None;
        }
        let id = self.waiting.pop_front()?;
        let others = self.running.len();
        for r in &self.running {
            if let Some(j) = self.jobs.get_mut(r) {
                j.others_max = j.others_max.max(others);
            }
        }
        self.running.push(id);
        let job = self.jobs.get_mut(&id)?;
        job.others_max = others;
        job.status = JobStatus::Running {
            warmup: true,
            done: 0,
            total: job.request.warmup,
        };
        Some((id, job.request.clone(), job.cancel.clone()))
    }

    pub fn progress(&mut self, id: u64, warmup: bool, done: usize, total: usize) {
        if let Some(job) = self.jobs.get_mut(&id) {
            job.status = JobStatus::Running {
                warmup,
                done,
                total,
            };
        }
    }

    /// Ends a running job with its outcome; returns how many other jobs
    /// ran beside it at most.
    pub fn finish(&mut self, id: u64, outcome: JobStatus) -> usize {
        self.running.retain(|&r| r != id);
        let Some(job) = self.jobs.get_mut(&id) else {
            return 0;
        };
        job.status = outcome;
        self.finished.push_back(id);
        let others = job.others_max;
        self.forget_old();
        others
    }

    fn others_max(&self, id: u64) -> usize {
        self.jobs.get(&id).map_or(0, |j| j.others_max)
    }

    pub fn cancelled(&self, id: u64) -> bool {
        self.jobs
            .get(&id)
            .is_some_and(|j| j.cancel.load(Ordering::Relaxed))
    }

    /// Jobs waiting and running.
    #[cfg(test)]
    fn load(&self) -> (usize, usize) {
        (self.waiting.len(), self.running.len())
    }

    fn forget_old(&mut self) {
        while self.finished.len() > KEEP_FINISHED {
            if let Some(old) = self.finished.pop_front() {
                self.jobs.remove(&old);
            }
        }
    }
}

/// The queue shared by the handlers and the runner threads.
pub struct Jobs {
    queue: Mutex<Queue>,
    work: Condvar,
    /// Bumped on every change, so that progress streams wake and look.
    changed: tokio::sync::watch::Sender<u64>,
    concurrent: usize,
}

impl Jobs {
    /// Starts `concurrent` runner threads that take jobs in order and run
    /// them with `run`; `annotate` adds to each finished report what the
    /// server did meanwhile (given the most other jobs that ran beside it).
    pub fn start(concurrent: usize, run: Arc<RunJob>, annotate: Arc<Annotate>) -> Arc<Jobs> {
        let jobs = Arc::new(Jobs {
            queue: Mutex::new(Queue::default()),
            work: Condvar::new(),
            changed: tokio::sync::watch::channel(0).0,
            concurrent,
        });
        for n in 0..concurrent {
            let (jobs, run, annotate) = (jobs.clone(), run.clone(), annotate.clone());
            std::thread::Builder::new()
                .name(format!("{RUNNER_THREAD}{n}"))
                .spawn(move || jobs.runner(&*run, &*annotate))
                .expect("a runner thread starts");
        }
        jobs
    }

    pub fn submit(
        &self,
        owner: &str,
        from: Option<IpAddr>,
        request: JobRequest,
    ) -> Result<JobAccepted, ApiError> {
        let accepted = self.lock().submit(owner, from, request)?;
        self.work.notify_one();
        self.bump();
        Ok(accepted)
    }

    pub fn cancel(&self, owner: &str, id: u64) -> Result<(), ApiError> {
        self.lock().cancel(owner, id)?;
        self.bump();
        Ok(())
    }

    pub fn status(&self, id: u64) -> Option<JobStatus> {
        self.lock().status(id)
    }

    pub fn status_for(&self, id: u64, owner: Option<&str>) -> Result<JobStatus, ApiError> {
        self.lock().status_for(id, owner)
    }

    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changed.subscribe()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        // A runner that panicked mid-update leaves plain data behind; the
        // queue stays usable.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn bump(&self) {
        self.changed.send_modify(|v| *v += 1);
    }

    fn runner(&self, run: &RunJob, annotate: &Annotate) {
        loop {
            let (id, request, cancel) = {
                let mut queue = self.lock();
                loop {
                    if let Some(next) = queue.start_next(self.concurrent) {
                        break next;
                    }
                    queue = self.work.wait(queue).unwrap_or_else(|p| p.into_inner());
                }
            };
            self.bump();
            // Progress is published at most every 100 ms: a stream a student
            // can follow, and no lock taken between most runs.
            let mut last = std::time::Instant::now();
            let mut on_progress = |warmup: bool, done: usize, total: usize| {
                if done == total || last.elapsed() >= std::time::Duration::from_millis(100) {
                    last = std::time::Instant::now();
                    self.lock().progress(id, warmup, done, total);
                    self.bump();
                }
                !cancel.load(Ordering::Relaxed)
            };
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run(&request, &mut on_progress)
            }))
            .unwrap_or_else(|_| Err("the native run failed inside the engine".to_string()));
            let (outcome, others) = {
                let queue = self.lock();
                let outcome = match result {
                    _ if queue.cancelled(id) => JobStatus::Cancelled,
                    Ok(report) => JobStatus::Finished {
                        report: Box::new(report),
                    },
                    Err(message) => JobStatus::Failed { message },
                };
                (outcome, queue.others_max(id))
            };
            // Outside the lock: annotating stores the run on the class board
            // (SQLite waits for the disk), and status calls must not wait.
            let outcome = match outcome {
                JobStatus::Finished { mut report } => {
                    annotate(&mut report, others);
                    JobStatus::Finished { report }
                }
                other => other,
            };
            self.lock().finish(id, outcome);
            self.work.notify_one();
            self.bump();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(model: &str, runs: usize) -> JobRequest {
        JobRequest {
            model: model.into(),
            warmup: 0,
            runs,
            seed: 1,
            plan: Default::default(),
            kernels: Default::default(),
        }
    }

    #[test]
    fn jobs_start_in_order_one_at_a_time() {
        let mut q = Queue::default();
        let a = q.submit("a", None, job("tinycnn", 1)).unwrap();
        let b = q.submit("b", None, job("tinycnn", 2)).unwrap();
        let c = q.submit("c", None, job("tinycnn", 3)).unwrap();
        assert_eq!(
            [a.position, b.position, c.position],
            [1, 2, 3],
            "places as submitted"
        );
        let (first, ..) = q.start_next(1).unwrap();
        assert_eq!(first, a.id);
        assert!(q.start_next(1).is_none(), "one at a time");
        assert_eq!(q.status(b.id), Some(JobStatus::Queued { position: 1 }));
        assert_eq!(q.status(c.id), Some(JobStatus::Queued { position: 2 }));
        q.finish(a.id, JobStatus::Cancelled);
        assert_eq!(q.start_next(1).unwrap().0, b.id);
        assert_eq!(q.load(), (1, 1));
    }

    #[test]
    fn one_unfinished_job_per_tab_and_a_bounded_queue() {
        let mut q = Queue::default();
        let a = q.submit("a", None, job("tinycnn", 1)).unwrap();
        assert_eq!(
            q.submit("a", None, job("tinycnn", 1)),
            Err(ApiError::AlreadyQueued { id: a.id })
        );
        q.start_next(1);
        q.finish(a.id, JobStatus::Cancelled);
        assert!(
            q.submit("a", None, job("tinycnn", 1)).is_ok(),
            "after it ended"
        );
        for n in 1..MAX_QUEUE {
            q.submit(&format!("t{n}"), None, job("tinycnn", 1)).unwrap();
        }
        assert_eq!(
            q.submit("late", None, job("tinycnn", 1)),
            Err(ApiError::QueueFull { limit: MAX_QUEUE })
        );
    }

    #[test]
    fn one_address_may_not_fill_the_queue_with_many_tokens() {
        let mut q = Queue::default();
        let script = Some(IpAddr::from([127, 0, 0, 2]));
        for n in 0..MAX_JOBS_PER_ADDRESS {
            q.submit(&format!("t{n}"), script, job("tinycnn", 1))
                .unwrap();
        }
        assert_eq!(
            q.submit("another", script, job("tinycnn", 1)),
            Err(ApiError::TooManyFromAddress {
                limit: MAX_JOBS_PER_ADDRESS
            })
        );
        let other = Some(IpAddr::from([127, 0, 0, 3]));
        assert!(q.submit("classmate", other, job("tinycnn", 1)).is_ok());
    }

    #[test]
    fn only_the_owner_cancels_and_a_waiting_job_leaves_at_once() {
        let mut q = Queue::default();
        let a = q.submit("a", None, job("tinycnn", 1)).unwrap();
        let b = q.submit("b", None, job("tinycnn", 1)).unwrap();
        assert_eq!(q.cancel("a", b.id), Err(ApiError::NotYourJob { id: b.id }));
        assert_eq!(q.cancel("a", 99), Err(ApiError::UnknownJob { id: 99 }));
        q.cancel("b", b.id).unwrap();
        assert_eq!(q.status(b.id), Some(JobStatus::Cancelled));
        let (id, _, flag) = q.start_next(1).unwrap();
        assert_eq!(id, a.id);
        q.cancel("a", a.id).unwrap();
        assert!(
            flag.load(Ordering::Relaxed),
            "a running job is told to stop"
        );
        assert!(q.start_next(1).is_none(), "b left the queue");
    }

    #[test]
    fn only_the_owner_or_the_teacher_follows_a_job_and_ids_are_not_counted() {
        let mut q = Queue::default();
        let a = q.submit("a", None, job("tinycnn", 1)).unwrap();
        let b = q.submit("b", None, job("tinycnn", 1)).unwrap();
        assert_eq!(
            q.status_for(a.id, Some("a")),
            Ok(JobStatus::Queued { position: 1 })
        );
        assert_eq!(
            q.status_for(a.id, Some("b")),
            Err(ApiError::NotYourJob { id: a.id })
        );
        assert_eq!(
            q.status_for(b.id, None),
            Ok(JobStatus::Queued { position: 2 }),
            "the teacher sees every job"
        );
        assert!(a.id < 1 << ID_BITS && b.id < 1 << ID_BITS);
        assert!(
            a.id.abs_diff(b.id) > 1,
            "ids are random, not counted: {} and {}",
            a.id,
            b.id
        );
    }

    #[test]
    fn concurrent_jobs_record_each_other() {
        let mut q = Queue::default();
        let a = q.submit("a", None, job("tinycnn", 1)).unwrap();
        let b = q.submit("b", None, job("tinycnn", 1)).unwrap();
        q.start_next(2).unwrap();
        q.start_next(2).unwrap();
        assert_eq!(q.finish(b.id, JobStatus::Cancelled), 1);
        assert_eq!(q.finish(a.id, JobStatus::Cancelled), 1);
        let c = q.submit("c", None, job("tinycnn", 1)).unwrap();
        q.start_next(2).unwrap();
        assert_eq!(q.finish(c.id, JobStatus::Cancelled), 0);
    }

    #[test]
    fn the_runner_threads_report_progress_and_outcomes() {
        let run: Arc<RunJob> = Arc::new(|request: &JobRequest, progress: &mut OnProgress<'_>| {
            for done in 1..=request.runs {
                if !progress(false, done, request.runs) {
                    return Err("stopped".into());
                }
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            if request.model == "broken" {
                return Err("the model failed".into());
            }
            piedge::report::parse_results_json(br#"{"raw_latencies": [1.0, 2.0, 3.0]}"#)
                .map_err(|e| e.to_string())
        });
        let annotate = Arc::new(|r: &mut BenchmarkReport, others: usize| {
            r.host = format!("others {others}");
        });
        let jobs = Jobs::start(1, run, annotate);
        let ok = jobs.submit("a", None, job("tinycnn", 5)).unwrap();
        let bad = jobs.submit("b", None, job("broken", 1)).unwrap();
        let wait = |id| loop {
            match jobs.status(id) {
                Some(s) if s.is_final() => break s,
                _ => std::thread::sleep(std::time::Duration::from_millis(5)),
            }
        };
        match wait(ok.id) {
            JobStatus::Finished { report } => assert_eq!(report.host, "others 0"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            wait(bad.id),
            JobStatus::Failed {
                message: "the model failed".into()
            }
        );
    }
}
