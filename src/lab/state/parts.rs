//! The pieces of the lab's state: the model and the one being loaded, a
//! run's job and its live progress, questions, notices, kept runs, and what
//! the page knows of its browser.

use crate::bench::Phase;
use crate::card::ModelCard;
use crate::lab::protocol::{ModelFile, ToWorker, WorkerEnv};
use crate::lab::session::RunRecord;
use crate::plan::{Plan, SelfCheck};
use crate::report::PipelineTimings;
use crate::sysinfo::SystemInfo;
use std::sync::Arc;

/// What the page knows of the browser it runs in, for a run's report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BrowserFacts {
    pub user_agent: String,
    pub cross_origin_isolated: bool,
    /// `isSecureContext`: HTTPS, or plain HTTP from this device.
    pub secure_context: bool,
    /// `location.protocol` ("https:", "http:", "file:").
    pub protocol: String,
    pub cores: Option<usize>,
    pub memory_gb: Option<f64>,
}

impl BrowserFacts {
    /// Why the page has the timer it has.
    pub fn timer_context(&self) -> crate::lab::browser::TimerContext {
        crate::lab::browser::TimerContext::of(
            self.cross_origin_isolated,
            self.secure_context,
            &self.protocol,
        )
    }

    /// Whether `cores` is the engine's rounded figure rather than the
    /// device's (see [`crate::lab::browser::core_count_is_rounded`]).
    pub fn cores_are_rounded(&self) -> bool {
        crate::lab::browser::core_count_is_rounded(&self.user_agent)
    }
}

/// Why the browser's storage did not do what was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StorageProblem {
    /// The browser offers no IndexedDB (some private windows).
    Unavailable,
    /// The browser's reason ("QuotaExceededError: ...").
    Failed(String),
}

/// A file the student picked or dropped, before it is read.
#[derive(Clone, Debug, PartialEq)]
pub struct FileMeta {
    pub name: String,
    pub size: u64,
}

/// Where a model came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelSource {
    Bundled(String),
    File,
}

/// What the worker needs to load a model: the `.onnx` file's bytes, the
/// files chosen with it (its weights), and the input shape the student gave.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModelData {
    pub bytes: Vec<u8>,
    pub files: Vec<ModelFile>,
    pub input_shape: Option<Vec<usize>>,
}

impl ModelData {
    pub(super) fn load_message(&self, request: u64, key: &str, name: &str, plan: Plan) -> ToWorker {
        ToWorker::Load {
            request,
            model_key: key.to_string(),
            name: name.to_string(),
            bytes: self.bytes.clone(),
            files: self.files.clone(),
            input_shape: self.input_shape.clone(),
            plan,
        }
    }

    /// Identifies a chosen model in the worker's plan cache: every file's
    /// name and a hash of its bytes, and the input shape it is loaded with.
    pub fn file_key(&self, name: &str) -> String {
        let mut key = format!(
            "file:{name}:{}:{:016x}",
            self.bytes.len(),
            fnv1a(&self.bytes)
        );
        for f in &self.files {
            key += &format!("+{}:{:016x}", f.name, fnv1a(&f.bytes));
        }
        if let Some(shape) = &self.input_shape {
            key += &format!("@{shape:?}");
        }
        key
    }
}

/// The model the lab runs: loaded and checked by the worker.
#[derive(Clone, Debug, PartialEq)]
pub struct ActiveModel {
    pub key: String,
    pub name: String,
    pub source: ModelSource,
    pub data: Arc<ModelData>,
    pub card: ModelCard,
    pub pipeline: PipelineTimings,
    pub nodes_analysed: usize,
    pub nodes_planned: usize,
    pub cached: bool,
    /// Plans the current worker holds for this model.
    pub loaded_plans: Vec<Plan>,
}

/// A model being loaded; it becomes active only if the worker accepts it,
/// so a bad file never replaces a good model.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingModel {
    pub request: u64,
    pub key: String,
    pub name: String,
    pub source: ModelSource,
    pub data: Arc<ModelData>,
}

/// Why a run is made, which decides what happens when it ends.
#[derive(Clone, Debug, PartialEq)]
pub enum Purpose {
    Normal,
    ColdStart,
    Question(String),
    /// The student's own experiment, with the settings they picked.
    Experiment,
    Series {
        last: bool,
        question: Option<String>,
    },
    /// A few inferences before a series, to choose one batch size for all
    /// of its runs; kept as no run.
    Calibration {
        series: crate::lab::session::Series,
        question: Option<String>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub warmup: usize,
    pub runs: usize,
    pub purpose: Purpose,
    /// Start in a new worker (the cold-start experiment, the warmup
    /// series): a cold start includes the browser compiling and tiering up
    /// the WebAssembly, which a model planned anew in a warm worker hides
    /// (`scripts/cold-start-experiment.mjs` measures both).
    pub fresh: bool,
    /// Inferences per timed sample, when the series chose it beforehand.
    pub per_sample: Option<usize>,
    /// The plan to run, when not the student's (a question comparing both).
    pub plan: Option<Plan>,
}

/// A run in progress, as the worker reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveRun {
    pub request: u64,
    pub job: Job,
    pub seed: u64,
    pub plan: Plan,
    pub model_name: String,
    pub phase: Phase,
    pub done: usize,
    pub total: usize,
    pub warmup_ms: Vec<f64>,
    pub latencies_ms: Vec<f64>,
    pub cancelling: bool,
    /// When the run started, and how long it may go before the lab asks
    /// whether to stop it.
    pub started_ms: f64,
    pub budget_ms: f64,
    /// Inferences timed together per latency, as the worker last reported.
    pub inferences_per_sample: usize,
    /// The new worker confirmed that it planned the model for this run.
    pub replanned: bool,
    /// What may have disturbed the run, when the page last heard it, and
    /// its slowest latency so far (kept as the latencies stream in, so that
    /// a long run's progress does not rescan them all).
    pub disturbed: Disturbed,
    pub last_heard_ms: f64,
    pub slowest_ms: f64,
}

/// Why a run's numbers may not be the device's own, so that nobody compares
/// it unknowingly: phones, iPads and Chromebooks slow hidden tabs down.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Disturbed {
    /// The tab was hidden while the run went on.
    pub hidden: bool,
    /// The longest the page heard nothing from a streaming run, when that
    /// was far beyond the run's own latencies (the page or the device froze).
    pub silent_ms: Option<f64>,
}

/// Where a run's report records what disturbed it (`system_info.extra`):
/// the tab was hidden ("true"), the longest silence in seconds ("2.5").
pub const DISTURBED_HIDDEN_KEY: &str = "disturbed_tab_hidden";
pub const DISTURBED_SILENT_KEY: &str = "disturbed_silent_s";

/// What a report records of a disturbance: whether the tab was hidden, and
/// the longest silence as written ("2.5" seconds), for [`crate::lab::Lang::disturbed`].
pub fn recorded_disturbance(report: &crate::report::BenchmarkReport) -> (bool, Option<String>) {
    let extra = &report.system_info.extra;
    let hidden = extra.get(DISTURBED_HIDDEN_KEY).is_some_and(|v| v == "true");
    (hidden, extra.get(DISTURBED_SILENT_KEY).cloned())
}

/// Silence from a streaming run that counts as a freeze, whatever the
/// latencies: the worker reports every 10 ms of computing.
pub const FROZEN_MS: f64 = 1000.0;

impl LiveRun {
    /// How far the run is, in percent of its current phase.
    pub fn percent(&self) -> usize {
        (self.done * 100).checked_div(self.total).unwrap_or(0)
    }

    /// The seconds the run has taken, if it is past its budget and the
    /// student should be asked whether to stop it.
    pub fn over_budget(&self, now_ms: f64) -> Option<f64> {
        let elapsed = now_ms - self.started_ms;
        (elapsed > self.budget_ms && !self.cancelling).then_some(elapsed / 1000.0)
    }

    /// What the live charts show: the timed latencies once there are any,
    /// the warmup's before.
    pub fn charted(&self) -> &[f64] {
        if self.latencies_ms.is_empty() {
            &self.warmup_ms
        } else {
            &self.latencies_ms
        }
    }
}

/// A reflection question's progress: predicted, measured, explained,
/// answer shown. The browser keeps it (see [`super::StoredAnswers`]).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct QuestionState {
    pub prediction: String,
    pub measured: bool,
    pub revealed: bool,
    /// Ids of the runs made to answer it.
    pub runs: Vec<String>,
    /// The student's explanation, in their own words, after measuring.
    pub explanation: String,
    /// The answer was opened before the explanation had words in it (where
    /// the lesson lets it open after the measurement): the teacher sees it.
    pub revealed_before_explaining: bool,
}

/// Who hands the worksheet in, as they typed it once; kept in the browser.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Student {
    pub name: String,
    pub class: String,
}

/// The student's own experiment (the lesson's `experiment` widget): their
/// question and prediction, the runs they made for it, their conclusion.
/// The browser keeps it with the answers.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Experiment {
    pub question: String,
    pub prediction: String,
    pub conclusion: String,
    /// Ids of the runs made from the experiment (its own run and the
    /// suggested series), in order.
    pub runs: Vec<String>,
}

/// A text field of the experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExperimentField {
    Question,
    Prediction,
    Conclusion,
}

/// A message for the student at the top of the page.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub id: u64,
    pub text: String,
    /// tract's own words behind a model error, shown on request.
    pub detail: Option<String>,
    pub is_error: bool,
    /// A button the notice offers besides "dismiss".
    pub action: Option<NoticeAction>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeAction {
    /// Download every run as one file the lab can import again.
    ExportAll,
}

/// The engine panel's kernel self-check.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum SelfCheckState {
    #[default]
    NotRun,
    Running,
    Done(Result<SelfCheck, String>),
}

/// The kept runs, with a revision that changes whenever they do, so a view
/// can follow them without comparing every latency.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeptRuns {
    list: Vec<RunRecord>,
    revision: u64,
}

impl KeptRuns {
    /// Oldest first.
    pub fn all(&self) -> &[RunRecord] {
        &self.list
    }

    pub fn get(&self, id: &str) -> Option<&RunRecord> {
        self.list.iter().find(|r| r.id == id)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    pub fn newest_id(&self) -> Option<String> {
        self.list.last().map(|r| r.id.clone())
    }

    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Adds a run, or replaces the one with its id where it stands (a
    /// renamed run keeps its place in the list).
    pub(super) fn put(&mut self, record: RunRecord) {
        match self.list.iter_mut().find(|r| r.id == record.id) {
            Some(old) => *old = record,
            None => self.list.push(record),
        }
        self.revision += 1;
    }

    pub(super) fn remove(&mut self, id: &str) {
        self.list.retain(|r| r.id != id);
        self.revision += 1;
    }

    pub(super) fn clear(&mut self) {
        self.list.clear();
        self.revision += 1;
    }

    /// Runs read back from storage join those made meanwhile, oldest first.
    pub(super) fn merge_stored(&mut self, stored: Vec<RunRecord>) {
        for r in stored {
            if !self.contains(&r.id) {
                self.list.push(r);
            }
        }
        self.list
            .sort_by(|a, b| a.created_ms.total_cmp(&b.created_ms));
        self.revision += 1;
    }
}

impl BrowserFacts {
    /// The system record of a run in this browser.
    pub fn system_info(&self, env: Option<&WorkerEnv>) -> SystemInfo {
        let (browser, os) = crate::lab::browser::describe_user_agent(&self.user_agent);
        let mut extra = std::collections::BTreeMap::new();
        extra.insert("browser".into(), browser.clone());
        extra.insert(
            "cross_origin_isolated".into(),
            self.cross_origin_isolated.to_string(),
        );
        extra.insert("timer_context".into(), self.timer_context().key().into());
        if let Some(env) = env {
            extra.insert("wasm_simd".into(), env.simd.to_string());
        }
        let rounded = self.cores_are_rounded();
        if let (true, Some(n)) = (rounded, self.cores) {
            // Not the device's count: kept apart, and cpu_count stays unknown.
            extra.insert("reported_cores_rounded".into(), n.to_string());
        }
        SystemInfo {
            platform: format!("{os} (browser)"),
            device: format!("Browser: {browser}"),
            cpu_model: None,
            arch: "wasm32".into(),
            os,
            cpu_count: if rounded { None } else { self.cores },
            memory_gb: self.memory_gb,
            cpu_governor: None,
            piedge_version: crate::VERSION.into(),
            runtime: format!("browser ({})", self.user_agent),
            extra,
            ..Default::default()
        }
    }
}

pub(super) fn job(warmup: usize, runs: usize, purpose: Purpose) -> Job {
    Job {
        warmup,
        runs,
        purpose,
        fresh: false,
        per_sample: None,
        plan: None,
    }
}

/// Jobs run one after another as a series: each is compared, and the last
/// one marks `question` measured; a series for no question is the student's
/// experiment's (only the experiment offers one).
pub(super) fn as_series(mut jobs: Vec<Job>, question: Option<String>) -> Vec<Job> {
    let n = jobs.len();
    for (i, j) in jobs.iter_mut().enumerate() {
        j.purpose = Purpose::Series {
            last: i + 1 == n,
            question: question.clone(),
        };
    }
    jobs
}

/// The timed runs of the cold-start measurement (warmup 0, in a new
/// worker); the lesson's text names the count.
pub const COLD_RUNS: usize = 20;

/// The cold-start measurement: warmup 0, [`COLD_RUNS`] runs, in a new worker.
pub(super) fn cold_job(purpose: Purpose) -> Job {
    Job {
        fresh: true,
        ..job(0, COLD_RUNS, purpose)
    }
}

/// FNV-1a, to tell two chosen files apart in the worker's plan cache.
pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
