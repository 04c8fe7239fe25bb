//! "Run it on the server": when the lab came from `piedge serve`, the same
//! benchmark runs natively on that machine (a Raspberry Pi on the desk, say)
//! and comes back as a kept run beside the browser's. The page asks the
//! server what it is at start; without an API (a static host) the button
//! says what it needs.

use super::{Effect, LabState, ModelSource};
use crate::api::{ApiError, JobAccepted, JobRequest, JobStatus, JobUpdate, Machine};
use crate::lab::session::{self, RunRecord, RunSource};
use crate::plan::Kernels;

/// What the lab knows of the server it came from.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum ServerApi {
    /// Still asking.
    #[default]
    Unknown,
    /// A static host (or an older `piedge serve`): no native runs.
    Absent,
    Present {
        machine: Box<Machine>,
        /// The page was opened on the server's own machine (a loopback
        /// address), so both runs share the hardware.
        same_machine: bool,
    },
}

/// The student's native job, from the click to its end.
#[derive(Clone, Debug, PartialEq)]
pub enum NativeJob {
    Submitting,
    Waiting {
        id: u64,
        position: usize,
    },
    Running {
        id: u64,
        warmup: bool,
        done: usize,
        total: usize,
    },
    Cancelling {
        id: u64,
    },
}

impl NativeJob {
    pub fn id(&self) -> Option<u64> {
        match *self {
            NativeJob::Submitting => None,
            NativeJob::Waiting { id, .. }
            | NativeJob::Running { id, .. }
            | NativeJob::Cancelling { id } => Some(id),
        }
    }
}

/// Why the native button cannot start a job now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NativeBlocked {
    Asking,
    NoServer,
    /// The student's own file: the server runs only its bundled models.
    NotBundled,
    TooManyRuns {
        max: usize,
    },
    TooMuchWarmup {
        max: usize,
    },
    InvalidSettings,
    /// A job of this tab is under way already.
    Busy,
}

/// A refused or failed submission.
#[derive(Clone, Debug, PartialEq)]
pub enum Refused {
    Api(ApiError),
    /// No answer, or one that is not the API's (the words of the browser).
    Network(String),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Native {
    pub api: ServerApi,
    pub job: Option<NativeJob>,
    /// The latest native run made from this tab, and the browser run it
    /// is compared with.
    pub last: Option<(String, Option<String>)>,
    /// The reflection question the running native job answers, if any.
    pub question: Option<String>,
}

impl LabState {
    /// Whether a question for `host` is asked on this page: one that needs
    /// the classroom server only where its API answered, its twin for a
    /// static host only where it did not (neither while the page asks).
    pub fn asks_here(&self, host: crate::lab::lesson::Host) -> bool {
        use crate::lab::lesson::Host;
        matches!(
            (host, &self.native.api),
            (Host::Any, _)
                | (Host::Server, ServerApi::Present { .. })
                | (Host::Static, ServerApi::Absent)
        )
    }

    /// The job the native button would send, or why it cannot.
    pub fn native_request(&self) -> Result<JobRequest, NativeBlocked> {
        let machine = match &self.native.api {
            ServerApi::Unknown => return Err(NativeBlocked::Asking),
            ServerApi::Absent => return Err(NativeBlocked::NoServer),
            ServerApi::Present { machine, .. } => machine,
        };
        if self.native.job.is_some() {
            return Err(NativeBlocked::Busy);
        }
        let model = match self.model.as_ref().map(|m| &m.source) {
            Some(ModelSource::Bundled(name)) if machine.models.contains(name) => name.clone(),
            _ => return Err(NativeBlocked::NotBundled),
        };
        let cfg = self.valid_config().ok_or(NativeBlocked::InvalidSettings)?;
        if cfg.runs > machine.max_runs {
            return Err(NativeBlocked::TooManyRuns {
                max: machine.max_runs,
            });
        }
        if cfg.warmup > machine.max_warmup {
            return Err(NativeBlocked::TooMuchWarmup {
                max: machine.max_warmup,
            });
        }
        Ok(JobRequest {
            model,
            warmup: cfg.warmup,
            runs: cfg.runs,
            seed: cfg.seed,
            plan: cfg.plan,
            kernels: Kernels::Piedge,
        })
    }

    pub(super) fn machine_answered(&mut self, answer: Result<(Machine, bool), String>) {
        self.native.api = match answer {
            Ok((machine, same_machine)) => ServerApi::Present {
                machine: Box::new(machine),
                same_machine,
            },
            Err(_) => ServerApi::Absent,
        };
    }

    pub(super) fn run_native(&mut self) {
        if let Ok(request) = self.native_request() {
            self.native.job = Some(NativeJob::Submitting);
            self.effects.push(Effect::SubmitNative(request));
        }
    }

    pub(super) fn native_accepted(&mut self, answer: Result<JobAccepted, Refused>) {
        match answer {
            Ok(accepted) => {
                self.native.job = Some(NativeJob::Waiting {
                    id: accepted.id,
                    position: accepted.position,
                });
                self.effects.push(Effect::FollowNative(accepted.id));
            }
            // A job of this tab from before a reload: follow it again.
            Err(Refused::Api(ApiError::AlreadyQueued { id })) => {
                self.native.job = Some(NativeJob::Waiting { id, position: 0 });
                self.effects.push(Effect::FollowNative(id));
            }
            Err(refused) => {
                self.native.job = None;
                let text = self.lang().native_refused(&refused);
                let detail = match &refused {
                    Refused::Api(e) => Some(e.to_string()),
                    Refused::Network(_) => None,
                };
                self.push_notice(text, detail, true, None);
            }
        }
    }

    pub(super) fn cancel_native(&mut self) {
        if let Some(id) = self.native.job.as_ref().and_then(NativeJob::id) {
            self.native.job = Some(NativeJob::Cancelling { id });
            self.effects.push(Effect::CancelNative(id));
        }
    }

    pub(super) fn native_update(&mut self, update: JobUpdate) {
        let Some(job) = &self.native.job else { return };
        if job.id() != Some(update.id) {
            return;
        }
        let cancelling = matches!(job, NativeJob::Cancelling { .. });
        match update.status {
            JobStatus::Queued { position } if !cancelling => {
                self.native.job = Some(NativeJob::Waiting {
                    id: update.id,
                    position,
                });
            }
            JobStatus::Running {
                warmup,
                done,
                total,
            } if !cancelling => {
                self.native.job = Some(NativeJob::Running {
                    id: update.id,
                    warmup,
                    done,
                    total,
                });
            }
            JobStatus::Queued { .. } | JobStatus::Running { .. } => {}
            JobStatus::Finished { report } => {
                self.native.job = None;
                self.keep_native(*report);
            }
            JobStatus::Failed { message } => {
                self.native.job = None;
                self.native.question = None;
                let text = self.lang().native_failed();
                self.push_notice(text.to_string(), Some(message), true, None);
            }
            JobStatus::Cancelled => {
                self.native.job = None;
                self.native.question = None;
                let text = self.lang().native_cancelled();
                self.notify(text.to_string(), false);
            }
        }
    }

    /// The job's progress stream broke (the server stopped, the network
    /// went away): the job is given up here, with a word.
    pub(super) fn native_lost(&mut self, why: String) {
        if self.native.job.take().is_some() {
            self.native.question = None;
            let text = self.lang().native_lost();
            self.push_notice(text.to_string(), Some(why), true, None);
        }
    }

    /// Keeps the server's report as a run: its statistics recomputed from
    /// its latencies, as for any import, named after the machine, and put
    /// beside the latest browser run of the same model for comparison.
    fn keep_native(&mut self, report: crate::report::BenchmarkReport) {
        let machine = report.host.clone();
        let bytes = crate::report::results_json(&report);
        let n = self.id();
        let id = format!("native-{:.0}-{n}", self.now.ms);
        let mut record = match session::import("latency_results.json", &bytes, id, self.now.ms) {
            Ok(mut records) if records.len() == 1 => records.remove(0),
            Ok(_) => return,
            Err(e) => return self.notify(e.to_string(), true),
        };
        let model = report.model_name().trim_end_matches(".onnx");
        let base = format!("{model} · {machine}");
        record.name = session::unique_name(&base, self.runs.all());
        record.source = RunSource::Server { machine };
        let browser = self.latest_browser_run(report.model_name());
        let native_id = record.id.clone();
        self.save(record);
        for id in browser.iter().chain([&native_id]) {
            if !self.compare.contains(id) {
                self.compare.push(id.clone());
            }
        }
        if let Some(q) = self.native.question.take() {
            let answered = self.questions.entry(q).or_default();
            answered
                .runs
                .extend(browser.iter().chain([&native_id]).cloned());
            answered.measured = true;
            self.store_answers();
        }
        self.native.last = Some((native_id, browser));
    }

    fn latest_browser_run(&self, model_file: &str) -> Option<String> {
        self.runs
            .all()
            .iter()
            .filter(|r| r.source == RunSource::Browser && r.report.model_name() == model_file)
            .max_by(|a, b| a.created_ms.total_cmp(&b.created_ms))
            .map(|r: &RunRecord| r.id.clone())
    }
}
