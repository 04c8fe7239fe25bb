//! The lab page's behaviour, as a plain state machine: [`LabState`] holds
//! everything the page knows (the lesson, the model and the one being
//! loaded, the run queue, the live run, kept runs, notices, the reflection
//! questions), and [`LabState::update`] takes one [`Event`] (a click, a worker
//! message, a storage answer) and returns the [`Effect`]s to carry out (post
//! this to the worker, store this run, download these bytes).
//!
//! It never touches the browser: the page's runtime (`src/bin/lab/runtime.rs`)
//! carries the effects out and feeds their answers back as events, so every
//! rule here is tested natively, as lists of events (`state/tests.rs`).

use crate::bench::{Measurements, Phase};
use crate::card::ModelCard;
use crate::clock::TimerResolution;
use crate::lab::config::{self, Field, ValidConfig, STEPS};
use crate::lab::lesson::Lesson;
use crate::lab::protocol::{FromWorker, ModelFile, ToWorker, WorkerEnv};
use crate::lab::session::{self, RunRecord, RunSource, Series};
use crate::lab::{Lang, UrlState};
use crate::plan::{Kernels, Plan, SelfCheck};
use crate::report::{
    BenchmarkReport, EngineInfo, ModelSummary, PipelineTimings, ReportContext, ReportFile, Run,
    RunSettings,
};
use crate::stats::StatsOptions;
use crate::sysinfo::SystemInfo;
use std::collections::HashMap;
use std::sync::Arc;

/// The largest model (its files together) the lab reads into the tab.
pub const MAX_MODEL_FILE_BYTES: u64 = crate::limits::MAX_MODEL_MB << 20;

/// A run's wall-time budget before the lab offers to stop it; "keep going"
/// adds as much again.
pub const RUN_BUDGET_MS: f64 = 120_000.0;

/// Random shapes per operator in the engine panel's kernel self-check.
pub const SELF_CHECK_CASES: usize = 40;

/// When an event happens: milliseconds since the Unix epoch, and the local
/// time as reports print it ("YYYY-MM-DD HH:MM:SS").
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Moment {
    pub ms: f64,
    pub local: String,
}

/// What the page knows of the browser it runs in, for a run's report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BrowserFacts {
    pub user_agent: String,
    pub cross_origin_isolated: bool,
    pub cores: Option<usize>,
    pub memory_gb: Option<f64>,
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
    fn load_message(&self, request: u64, key: &str, name: &str, plan: Plan) -> ToWorker {
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
    Series {
        last: bool,
        question: Option<String>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub warmup: usize,
    pub runs: usize,
    pub purpose: Purpose,
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
}

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

/// A reflection question's progress: predicted, measured, answer shown.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QuestionState {
    pub prediction: String,
    pub measured: bool,
    pub revealed: bool,
    /// Ids of the runs made to answer it.
    pub runs: Vec<String>,
}

impl QuestionState {
    /// The answer opens only after a prediction and a measurement.
    pub fn can_reveal(&self) -> bool {
        self.measured && !self.prediction.trim().is_empty()
    }
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
    fn put(&mut self, record: RunRecord) {
        match self.list.iter_mut().find(|r| r.id == record.id) {
            Some(old) => *old = record,
            None => self.list.push(record),
        }
        self.revision += 1;
    }

    fn remove(&mut self, id: &str) {
        self.list.retain(|r| r.id != id);
        self.revision += 1;
    }

    fn clear(&mut self) {
        self.list.clear();
        self.revision += 1;
    }

    /// Runs read back from storage join those made meanwhile, oldest first.
    fn merge_stored(&mut self, stored: Vec<RunRecord>) {
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

/// Something that happened: the student did something, or the worker, the
/// storage or a file read answered.
// Events and effects pass one at a time and are never kept in bulk, so a
// large variant (a worker message, a run) costs nothing worth boxing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The page has mounted.
    Boot,
    /// A lesson's Markdown (fetched, or the copy built into the page).
    LessonText {
        lang: Lang,
        text: String,
    },
    StoredRuns(Result<Vec<RunRecord>, StorageProblem>),
    /// Storing a run failed (a full quota, say): it stays in the tab.
    StoreFailed(StorageProblem),
    /// Deleting or clearing runs in storage failed.
    StorageFailed(StorageProblem),
    /// The URL's fragment changed (the student went back or forward).
    HashChanged(String),
    SetLang(Lang),
    SetProjector(bool),
    DismissNotice(u64),
    GoToStep(usize),
    ChooseBundled(String),
    ModelFetched {
        choice: u64,
        name: String,
        result: Result<Vec<u8>, String>,
    },
    /// Files picked or dropped on the model card.
    FilesChosen(Vec<FileMeta>),
    /// Their bytes, in the order `ReadModelFiles` named them, or why one
    /// could not be read ("name: reason").
    FilesRead {
        choice: u64,
        result: Result<Vec<(String, Vec<u8>)>, String>,
    },
    SetInputShape(String),
    ReloadWithShape,
    SetField(Field, String),
    SetPlan(Plan),
    Run,
    RunSeries(Series),
    ColdStart,
    /// A reflection question's "measure" button.
    Measure(String),
    SetPrediction {
        question: String,
        text: String,
    },
    Reveal(String),
    Cancel,
    KeepGoing,
    SelfCheck,
    Worker(FromWorker),
    /// The worker died and has been replaced, with the browser's words for
    /// why (perhaps none).
    WorkerCrashed(String),
    /// The worker went silent past its allowance and has been replaced.
    WorkerHung {
        silent_ms: f64,
    },
    ShowRun(String),
    SetCompared {
        id: String,
        on: bool,
    },
    Rename {
        id: String,
        name: String,
    },
    Delete(String),
    ClearAll,
    /// The student confirmed "clear all".
    ClearConfirmed,
    /// Result files picked for import, by name.
    ImportChosen(Vec<String>),
    ImportRead {
        name: String,
        result: Result<Vec<u8>, String>,
    },
    ExportAll,
    ExportReport {
        id: String,
        file: ReportFile,
    },
    /// Something the runtime tried failed (a download, a canvas export).
    Failed(String),
    /// Tests shorten the time before the lab offers to stop a long run.
    SetRunBudget(f64),
}

/// What the runtime must do.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    StartWorker,
    /// Fetch `lessons/<lang>.md`, and answer with `LessonText`.
    FetchLesson(Lang),
    /// Read every stored run, and answer with `StoredRuns`.
    LoadStoredRuns,
    Send(ToWorker),
    /// Fetch `models/<name>.onnx`, and answer with `ModelFetched`.
    FetchModel {
        choice: u64,
        name: String,
    },
    /// Read these of the files just chosen, and answer with `FilesRead`.
    ReadModelFiles {
        choice: u64,
        names: Vec<String>,
    },
    /// Read these of the files just chosen for import, one `ImportRead` each.
    ReadImports(Vec<String>),
    PutRun(RunRecord),
    DeleteRun(String),
    ClearRuns,
    Download {
        name: String,
        mime: &'static str,
        bytes: Vec<u8>,
    },
    /// A new history entry for a step, then focus on the step's content.
    PushHash(String),
    FocusMain,
    /// Ask the student to confirm; on yes, send `ClearConfirmed`.
    ConfirmClear(&'static str),
}

/// Everything the lab page knows.
#[derive(Clone, Debug)]
pub struct LabState {
    pub url: UrlState,
    pub lessons: HashMap<Lang, Result<Lesson, String>>,
    pub browser: BrowserFacts,
    pub env: Option<WorkerEnv>,
    pub model: Option<ActiveModel>,
    pub pending: Option<PendingModel>,
    pub live: Option<LiveRun>,
    pub queue: Vec<Job>,
    pub runs: KeptRuns,
    /// The run the results panel shows.
    pub current: Option<String>,
    /// The runs the comparison shows, in the order they were ticked.
    pub compare: Vec<String>,
    pub notices: Vec<Notice>,
    pub questions: HashMap<String, QuestionState>,
    pub cold_run: Option<String>,
    pub projector: bool,
    pub self_check: SelfCheckState,
    /// The input shape typed for models with free dimensions ("" for none).
    pub input_shape: String,
    /// The latest model choice: a fetch or file read that finishes after a
    /// newer choice was made is dropped, so the newer choice wins. 0 until
    /// anything was chosen: the worker's start then loads the default.
    latest_choice: u64,
    /// The files last chosen, kept to load them again with another shape.
    last_files: Option<(String, Arc<ModelData>)>,
    run_budget_ms: f64,
    next_id: u64,
    now: Moment,
    effects: Vec<Effect>,
}

impl LabState {
    pub fn new(url: UrlState, browser: BrowserFacts) -> LabState {
        LabState {
            url,
            lessons: HashMap::new(),
            browser,
            env: None,
            model: None,
            pending: None,
            live: None,
            queue: vec![],
            runs: KeptRuns::default(),
            current: None,
            compare: vec![],
            notices: vec![],
            questions: HashMap::new(),
            cold_run: None,
            projector: false,
            self_check: SelfCheckState::NotRun,
            input_shape: String::new(),
            latest_choice: 0,
            last_files: None,
            run_budget_ms: RUN_BUDGET_MS,
            next_id: 1,
            now: Moment::default(),
            effects: vec![],
        }
    }

    /// Handles one event at `now`, and returns what to carry out, in order.
    pub fn update(&mut self, now: Moment, event: Event) -> Vec<Effect> {
        self.now = now;
        self.handle(event);
        std::mem::take(&mut self.effects)
    }

    // --- What views ask --------------------------------------------------

    pub fn lang(&self) -> Lang {
        self.url.lang
    }

    /// A run or a model load is under way: the controls that would start
    /// another wait.
    pub fn is_busy(&self) -> bool {
        self.live.is_some() || self.pending.is_some()
    }

    /// The settings as typed, if they are valid.
    pub fn valid_config(&self) -> Option<ValidConfig> {
        self.url.config.validate().ok()
    }

    /// Whether a measuring button can start a run now.
    pub fn can_measure(&self) -> bool {
        !self.is_busy() && self.model.is_some()
    }

    pub fn can_run(&self) -> bool {
        self.can_measure() && self.valid_config().is_some()
    }

    pub fn run(&self, id: &str) -> Option<&RunRecord> {
        self.runs.get(id)
    }

    /// The runs ticked for comparison, in the order they were ticked.
    pub fn compared(&self) -> Vec<&RunRecord> {
        self.compare
            .iter()
            .filter_map(|id| self.runs.get(id))
            .collect()
    }

    pub fn question(&self, id: &str) -> QuestionState {
        self.questions.get(id).cloned().unwrap_or_default()
    }

    /// The runs made to answer a question that are still kept.
    pub fn question_runs(&self, id: &str) -> Vec<&RunRecord> {
        self.questions.get(id).map_or(vec![], |q| {
            q.runs.iter().filter_map(|r| self.runs.get(r)).collect()
        })
    }

    /// The steps' titles in the current language ("Step 3" until the
    /// lesson has loaded).
    pub fn step_titles(&self) -> Vec<String> {
        let lang = self.lang();
        match self.lessons.get(&lang) {
            Some(Ok(lesson)) => lesson.steps.iter().map(|s| s.title.clone()).collect(),
            _ => (1..=STEPS)
                .map(|i| format!("{} {i}", lang.ui().step))
                .collect(),
        }
    }

    // --- Handling ----------------------------------------------------------

    fn handle(&mut self, event: Event) {
        match event {
            Event::Boot => {
                self.effects.push(Effect::StartWorker);
                for lang in Lang::ALL {
                    self.effects.push(Effect::FetchLesson(lang));
                }
                self.effects.push(Effect::LoadStoredRuns);
            }
            Event::LessonText { lang, text } => {
                let parsed =
                    Lesson::parse(&text).map_err(|e| format!("lessons/{}.md: {e}", lang.code()));
                self.lessons.insert(lang, parsed);
            }
            Event::StoredRuns(stored) => {
                match stored {
                    Ok(stored) => self.runs.merge_stored(stored),
                    Err(problem) => {
                        let text = self.storage_words(&problem, self.ui().storage_unreadable);
                        self.notify(text, true);
                    }
                }
                if self.current.is_none() {
                    self.current = self.runs.newest_id();
                }
            }
            Event::StoreFailed(problem) => {
                let text = self.storage_words(&problem, self.ui().storage_failed);
                self.push_notice(text, None, true, Some(NoticeAction::ExportAll));
            }
            Event::StorageFailed(problem) => {
                let text = match problem {
                    StorageProblem::Unavailable => self.ui().storage_unavailable.to_string(),
                    StorageProblem::Failed(e) => e,
                };
                self.notify(text, true);
            }
            Event::Failed(e) => self.notify(e, true),
            Event::HashChanged(hash) => {
                let parsed = UrlState::parse(&hash);
                if self.url != parsed {
                    let model_changed = self.url.model != parsed.model;
                    self.url = parsed;
                    if model_changed {
                        self.load_bundled();
                    }
                }
            }
            Event::SetLang(lang) => self.url.lang = lang,
            Event::SetProjector(on) => self.projector = on,
            Event::DismissNotice(id) => self.notices.retain(|n| n.id != id),
            Event::GoToStep(step) => {
                self.url.step = step.clamp(1, STEPS);
                self.effects.push(Effect::PushHash(self.url.to_hash()));
                self.effects.push(Effect::FocusMain);
            }
            Event::ChooseBundled(name) => {
                self.url.model = name;
                self.load_bundled();
            }
            Event::ModelFetched {
                choice,
                name,
                result,
            } => {
                if choice != self.latest_choice {
                    return;
                }
                match result {
                    Ok(bytes) => self.load_model(
                        format!("bundled:{name}"),
                        format!("{name}.onnx"),
                        ModelSource::Bundled(name),
                        ModelData {
                            bytes,
                            ..ModelData::default()
                        },
                    ),
                    Err(e) => self.notify(format!("{name}.onnx: {e}"), true),
                }
            }
            Event::FilesChosen(files) => self.files_chosen(files),
            Event::FilesRead { choice, result } => self.files_read(choice, result),
            Event::SetInputShape(text) => self.input_shape = text,
            Event::ReloadWithShape => self.reload_with_shape(),
            Event::SetField(field, value) => match field {
                Field::Warmup => self.url.config.warmup = value,
                Field::Runs => self.url.config.runs = value,
                Field::Seed => self.url.config.seed = value,
            },
            Event::SetPlan(plan) => self.url.config.plan = plan,
            Event::Run => {
                if let Some(cfg) = self.valid_config() {
                    self.enqueue(vec![job(cfg.warmup, cfg.runs, Purpose::Normal)]);
                }
            }
            Event::RunSeries(series) => self.run_series(series, None),
            Event::ColdStart => self.enqueue(vec![job(0, 20, Purpose::ColdStart)]),
            Event::Measure(question) => self.measure(question),
            Event::SetPrediction { question, text } => {
                self.questions.entry(question).or_default().prediction = text;
            }
            Event::Reveal(question) => {
                let q = self.questions.entry(question).or_default();
                if q.can_reveal() {
                    q.revealed = true;
                }
            }
            Event::Cancel => self.cancel(),
            Event::KeepGoing => {
                let (now, budget) = (self.now.ms, self.run_budget_ms);
                if let Some(l) = &mut self.live {
                    l.budget_ms = now - l.started_ms + budget;
                }
            }
            Event::SelfCheck => {
                if self.self_check != SelfCheckState::Running {
                    self.self_check = SelfCheckState::Running;
                    let request = self.id();
                    self.send(ToWorker::SelfCheck {
                        request,
                        cases: SELF_CHECK_CASES,
                        seed: 0,
                    });
                }
            }
            Event::Worker(msg) => self.on_message(msg),
            Event::WorkerCrashed(message) => {
                // A crash while a file was being read: tract crashed on it.
                let why = if message.is_empty() {
                    String::new()
                } else {
                    format!(" ({message})")
                };
                let text = match &self.pending {
                    Some(p) => format!("{}: {}{why}", p.name, self.ui().model_crashed_worker),
                    None => format!("{}{why}", self.ui().worker_restarted),
                };
                self.worker_lost(text);
            }
            Event::WorkerHung { silent_ms } => {
                let text = format!("{} ({:.1} s)", self.ui().worker_hung, silent_ms / 1000.0);
                self.worker_lost(text);
            }
            Event::ShowRun(id) => self.current = Some(id),
            Event::SetCompared { id, on } => {
                self.compare.retain(|x| x != &id);
                if on {
                    self.compare.push(id);
                }
            }
            Event::Rename { id, name } => {
                let name = name.trim();
                if let Some(mut r) = self.runs.get(&id).cloned().filter(|_| !name.is_empty()) {
                    r.name = name.to_string();
                    self.save(r);
                }
            }
            Event::Delete(id) => {
                self.runs.remove(&id);
                self.compare.retain(|x| x != &id);
                if self.current.as_deref() == Some(id.as_str()) {
                    self.current = self.runs.newest_id();
                }
                self.effects.push(Effect::DeleteRun(id));
            }
            Event::ClearAll => {
                if !self.runs.is_empty() {
                    let question = self.ui().confirm_clear;
                    self.effects.push(Effect::ConfirmClear(question));
                }
            }
            Event::ClearConfirmed => {
                self.runs.clear();
                self.compare.clear();
                self.current = None;
                self.effects.push(Effect::ClearRuns);
            }
            Event::ImportChosen(names) => {
                if !names.is_empty() {
                    self.effects.push(Effect::ReadImports(names));
                }
            }
            Event::ImportRead { name, result } => self.import(name, result),
            Event::ExportAll => {
                let bytes = session::export_all(self.runs.all());
                self.effects.push(Effect::Download {
                    name: session::EXPORT_ALL_FILE.into(),
                    mime: "application/json",
                    bytes,
                });
            }
            Event::ExportReport { id, file } => {
                if let Some(r) = self.runs.get(&id) {
                    let bytes = file.bytes(&r.report);
                    self.effects.push(Effect::Download {
                        name: file.file_name().into(),
                        mime: file.mime(),
                        bytes,
                    });
                }
            }
            Event::SetRunBudget(ms) => self.run_budget_ms = ms,
        }
    }

    fn ui(&self) -> &'static crate::lab::i18n::Ui {
        self.lang().ui()
    }

    /// A storage problem in words: no storage at all, or `sentence` with
    /// the browser's reason.
    fn storage_words(&self, problem: &StorageProblem, sentence: &str) -> String {
        match problem {
            StorageProblem::Unavailable => self.ui().storage_unavailable.to_string(),
            StorageProblem::Failed(e) => format!("{sentence} ({e})"),
        }
    }

    fn id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn send(&mut self, msg: ToWorker) {
        self.effects.push(Effect::Send(msg));
    }

    fn notify(&mut self, text: String, is_error: bool) {
        self.push_notice(text, None, is_error, None);
    }

    /// Shows a notice, unless the same text is already shown.
    fn push_notice(
        &mut self,
        text: String,
        detail: Option<String>,
        is_error: bool,
        action: Option<NoticeAction>,
    ) {
        if self.notices.iter().any(|n| n.text == text) {
            return;
        }
        let id = self.id();
        self.notices.push(Notice {
            id,
            text,
            detail,
            is_error,
            action,
        });
    }

    // --- Models ------------------------------------------------------------

    /// Fetches the bundled model the URL names, unless it is already active.
    fn load_bundled(&mut self) {
        let name = self.url.model.clone();
        let active = self.model.as_ref().map(|m| &m.source);
        if active == Some(&ModelSource::Bundled(name.clone())) {
            return;
        }
        let choice = self.choose();
        self.effects.push(Effect::FetchModel { choice, name });
    }

    /// Starts a model choice; see `latest_choice`.
    fn choose(&mut self) -> u64 {
        let choice = self.id();
        self.latest_choice = choice;
        choice
    }

    /// Hands a model to the worker; it becomes active when the worker has
    /// checked and planned it.
    fn load_model(&mut self, key: String, name: String, source: ModelSource, data: ModelData) {
        let request = self.id();
        let data = Arc::new(data);
        let plan = self.url.config.plan;
        self.send(data.load_message(request, &key, &name, plan));
        self.pending = Some(PendingModel {
            request,
            key,
            name,
            source,
            data,
        });
    }

    /// Files chosen together: one `.onnx` and the files it keeps its weights
    /// in (`model.onnx.data`).
    fn files_chosen(&mut self, files: Vec<FileMeta>) {
        if files.is_empty() {
            return;
        }
        let ui = self.ui();
        let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
        let (models, weights): (Vec<_>, Vec<_>) = files
            .iter()
            .partition(|f| f.name.to_lowercase().ends_with(".onnx"));
        let model = match models.as_slice() {
            [one] => one.name.clone(),
            [] => return self.notify(format!("{}: {}", names.join(", "), ui.no_onnx_chosen), true),
            _ => return self.notify(ui.one_onnx_at_a_time.to_string(), true),
        };
        let size: u64 = files.iter().map(|f| f.size).sum();
        if size > MAX_MODEL_FILE_BYTES {
            let text = self.lang().model_too_large(
                &names.join(" + "),
                size as f64 / 1048576.0,
                MAX_MODEL_FILE_BYTES >> 20,
            );
            return self.notify(text, true);
        }
        if self.typed_input_shape().is_none() {
            return;
        }
        let choice = self.choose();
        let names = std::iter::once(model)
            .chain(weights.iter().map(|f| f.name.clone()))
            .collect();
        self.effects.push(Effect::ReadModelFiles { choice, names });
    }

    fn files_read(&mut self, choice: u64, result: Result<Vec<(String, Vec<u8>)>, String>) {
        if choice != self.latest_choice {
            return;
        }
        let read = match result {
            Ok(read) => read,
            Err(e) => return self.notify(e, true),
        };
        // The input shape was checked when the files were chosen.
        let Some(input_shape) = self.typed_input_shape() else {
            return;
        };
        let mut files = read.into_iter();
        let Some((name, bytes)) = files.next() else {
            return;
        };
        let data = ModelData {
            bytes,
            files: files
                .map(|(name, bytes)| ModelFile { name, bytes })
                .collect(),
            input_shape,
        };
        let key = data.file_key(&name);
        self.last_files = Some((name.clone(), Arc::new(data.clone())));
        self.load_model(key, name, ModelSource::File, data);
    }

    /// The input-shape field as a shape (`Some(None)` when empty), or `None`
    /// after telling the student why it is not one.
    fn typed_input_shape(&mut self) -> Option<Option<Vec<usize>>> {
        match config::parse_input_shape(&self.input_shape) {
            Ok(shape) => Some(shape),
            Err(e) => {
                let text = format!("{}: {e}", self.ui().input_shape);
                self.notify(text, true);
                None
            }
        }
    }

    /// Loads the last chosen file again with the input shape now typed in
    /// (for a model with free dimensions that failed without one).
    fn reload_with_shape(&mut self) {
        let Some((name, data)) = self.last_files.clone() else {
            let text = self.ui().choose_file_first.to_string();
            return self.notify(text, true);
        };
        let Some(input_shape) = self.typed_input_shape() else {
            return;
        };
        self.choose();
        let mut data = (*data).clone();
        data.input_shape = input_shape;
        let key = data.file_key(&name);
        self.load_model(key, name, ModelSource::File, data);
    }

    // --- Runs --------------------------------------------------------------

    fn run_series(&mut self, series: Series, question: Option<String>) {
        let configs = series.configs();
        let jobs = configs
            .iter()
            .enumerate()
            .map(|(i, &(warmup, runs))| {
                let purpose = Purpose::Series {
                    last: i + 1 == configs.len(),
                    question: question.clone(),
                };
                job(warmup, runs, purpose)
            })
            .collect();
        self.enqueue(jobs);
    }

    /// A reflection question's measurement: the spread question runs the
    /// runs series, the p95 question 100 runs, any other the settings.
    fn measure(&mut self, question: String) {
        match question.as_str() {
            "spread" => self.run_series(Series::Runs, Some(question)),
            "p95" => self.enqueue(vec![job(3, 100, Purpose::Question(question))]),
            _ => {
                if let Some(c) = self.valid_config() {
                    self.enqueue(vec![job(c.warmup, c.runs, Purpose::Question(question))]);
                }
            }
        }
    }

    fn enqueue(&mut self, jobs: Vec<Job>) {
        self.queue.extend(jobs);
        if !self.is_busy() {
            self.next_job();
        }
    }

    fn next_job(&mut self) {
        if self.queue.is_empty() {
            return;
        }
        let job = self.queue.remove(0);
        let Some(model) = self.model.clone() else {
            self.queue.clear();
            let text = self.ui().loading_model.to_string();
            return self.notify(text, true);
        };
        let seed = self.url.config.validate().map(|c| c.seed).unwrap_or(0);
        let plan = self.url.config.plan;
        if !model.loaded_plans.contains(&plan) {
            // The worker keeps a plan per (model, plan); send the bytes only
            // when it does not hold this one yet (messages run in order).
            let request = self.id();
            self.send(
                model
                    .data
                    .load_message(request, &model.key, &model.name, plan),
            );
        }
        let request = self.id();
        let (phase, total) = if job.warmup > 0 {
            (Phase::Warmup, job.warmup)
        } else {
            (Phase::Timed, job.runs)
        };
        self.send(ToWorker::Run {
            request,
            model_key: model.key.clone(),
            plan,
            warmup: job.warmup,
            runs: job.runs,
            seed,
        });
        self.live = Some(LiveRun {
            request,
            seed,
            plan,
            model_name: model.name,
            phase,
            done: 0,
            total,
            warmup_ms: Vec::with_capacity(job.warmup),
            latencies_ms: Vec::with_capacity(job.runs),
            job,
            cancelling: false,
            started_ms: self.now.ms,
            budget_ms: self.run_budget_ms,
            inferences_per_sample: 1,
        });
    }

    fn cancel(&mut self) {
        self.queue.clear();
        if let Some(l) = &mut self.live {
            l.cancelling = true;
            let request = l.request;
            self.send(ToWorker::Cancel { request });
        }
    }

    /// The worker was replaced: what it held is gone, a run it interrupted
    /// keeps what it measured.
    fn worker_lost(&mut self, text: String) {
        self.keep_interrupted_run();
        self.live = None;
        self.queue.clear();
        self.pending = None;
        if let Some(m) = &mut self.model {
            m.loaded_plans.clear();
        } else {
            // Nothing loaded yet: the restarted worker loads the default.
            self.latest_choice = 0;
        }
        if self.self_check == SelfCheckState::Running {
            self.self_check = SelfCheckState::Done(Err(text.clone()));
        }
        self.notify(text, true);
    }

    fn on_message(&mut self, msg: FromWorker) {
        match msg {
            FromWorker::Ready { env } => {
                self.env = Some(env);
                // The default model, unless the student already chose one
                // (a file picked while the worker was starting).
                if self.model.is_none() && self.pending.is_none() && self.latest_choice == 0 {
                    self.load_bundled();
                }
            }
            FromWorker::Loaded {
                request,
                model_key,
                card,
                pipeline,
                nodes_analysed,
                nodes_planned,
                cached,
            } => {
                if let Some(p) = self.pending.take_if(|p| p.request == request) {
                    self.model = Some(ActiveModel {
                        key: p.key,
                        name: p.name,
                        source: p.source,
                        data: p.data,
                        card,
                        pipeline,
                        nodes_analysed,
                        nodes_planned,
                        cached,
                        loaded_plans: vec![self.url.config.plan],
                    });
                    if self.live.is_none() {
                        self.next_job();
                    }
                } else if let Some(m) = self.model.as_mut().filter(|m| m.key == model_key) {
                    // A plan loaded ahead of a run.
                    m.pipeline = pipeline;
                    m.nodes_planned = nodes_planned;
                    m.cached = cached;
                    if let Some(live) = &self.live {
                        if !m.loaded_plans.contains(&live.plan) {
                            m.loaded_plans.push(live.plan);
                        }
                    }
                }
            }
            FromWorker::Progress {
                request,
                phase,
                done,
                total,
                new_latencies,
                inferences_per_sample,
            } => {
                if let Some(l) = self.live.as_mut().filter(|l| l.request == request) {
                    l.inferences_per_sample = inferences_per_sample;
                    l.phase = phase;
                    l.done = done;
                    l.total = total;
                    match phase {
                        Phase::Warmup => l.warmup_ms.extend_from_slice(&new_latencies),
                        Phase::Timed => l.latencies_ms.extend_from_slice(&new_latencies),
                    }
                }
            }
            FromWorker::Finished {
                request,
                measurements,
                timer,
                inferences_per_sample,
                pipeline,
            } => {
                let Some(live) = self.live.take_if(|l| l.request == request) else {
                    return;
                };
                self.finish_run(live, measurements, timer, inferences_per_sample, pipeline);
                self.next_job();
            }
            FromWorker::SelfChecked { result, .. } => {
                self.self_check = SelfCheckState::Done(result);
            }
            FromWorker::Failed {
                request,
                message,
                detail,
                error,
            } => {
                let message = error.map_or(message, |e| self.lang().model_error(&e));
                if self.pending.as_ref().is_some_and(|p| p.request == request) {
                    self.pending = None;
                }
                if self.live.as_ref().is_some_and(|l| l.request == request) {
                    self.live = None;
                    self.queue.clear();
                }
                self.push_notice(message, detail, true, None);
            }
        }
    }

    /// A run the worker's death interrupted keeps what it measured, like a
    /// cancelled one.
    fn keep_interrupted_run(&mut self) {
        let Some(live) = self.live.take() else {
            return;
        };
        let (Some(env), Some(model)) = (&self.env, &self.model) else {
            return;
        };
        if live.latencies_ms.is_empty() {
            return;
        }
        let measurements = Measurements {
            warmup_ms: live.warmup_ms.clone(),
            latencies_ms: live.latencies_ms.clone(),
            cancelled: true,
        };
        let (timer, pipeline) = (env.timer.clone(), model.pipeline);
        let k = live.inferences_per_sample;
        self.finish_run(live, measurements, timer, k, pipeline);
    }

    fn finish_run(
        &mut self,
        live: LiveRun,
        measurements: Measurements,
        timer: TimerResolution,
        inferences_per_sample: usize,
        pipeline: PipelineTimings,
    ) {
        if measurements.latencies_ms.is_empty() {
            let text = self.ui().cancelled_note.to_string();
            return self.notify(text, false);
        }
        let Some(model) = &self.model else {
            return;
        };
        let report = match self.report_of(
            &live,
            model,
            measurements,
            timer,
            inferences_per_sample,
            pipeline,
        ) {
            Ok(r) => r,
            Err(e) => return self.notify(e.to_string(), true),
        };
        let base = format!(
            "{} · warmup {} · runs {}{}",
            model.name.trim_end_matches(".onnx"),
            live.job.warmup,
            live.job.runs,
            if report.cancelled { " (cancelled)" } else { "" }
        );
        let record = RunRecord {
            id: format!("run-{:.0}-{}", self.now.ms, live.request),
            name: session::unique_name(&base, self.runs.all()),
            created_ms: self.now.ms,
            source: RunSource::Browser,
            report,
        };
        let id = record.id.clone();
        self.save(record);
        self.current = Some(id.clone());
        match live.job.purpose {
            Purpose::Normal => {}
            Purpose::ColdStart => self.cold_run = Some(id),
            Purpose::Question(q) => self.question_measured(q, id, true),
            Purpose::Series { last, question } => {
                if !self.compare.contains(&id) {
                    self.compare.push(id.clone());
                }
                if let Some(q) = question {
                    self.question_measured(q, id, last);
                }
            }
        }
    }

    /// The report of a run in this browser, assembled as the CLI's is.
    fn report_of(
        &self,
        live: &LiveRun,
        model: &ActiveModel,
        measurements: Measurements,
        timer: TimerResolution,
        inferences_per_sample: usize,
        pipeline: PipelineTimings,
    ) -> Result<BenchmarkReport, crate::stats::StatsError> {
        let run = Run {
            measurements,
            model_path: model.name.clone(),
            model: ModelSummary::from(&model.card),
            pipeline_ms: pipeline,
            settings: RunSettings {
                warmup_runs: live.job.warmup,
                benchmark_runs: live.job.runs,
                input: "fakedata".into(),
                seed: Some(live.seed),
                plan: live.plan,
                providers: vec!["tract (WebAssembly)".into()],
                inferences_per_sample,
            },
        };
        let context = ReportContext {
            system_info: self.browser.system_info(self.env.as_ref()),
            engine: EngineInfo::tract("piedge-lab (browser)").with_kernels(Kernels::Piedge),
            timer: Some(timer),
            generated: self.now.local.clone(),
        };
        let options = StatsOptions {
            bootstrap_seed: live.seed,
            ..Default::default()
        };
        BenchmarkReport::assemble(run, &options, context)
    }

    fn question_measured(&mut self, question: String, run: String, done: bool) {
        let q = self.questions.entry(question).or_default();
        q.runs.push(run);
        q.measured |= done;
    }

    /// Keeps a run in the tab and in the browser's storage.
    fn save(&mut self, record: RunRecord) {
        self.runs.put(record.clone());
        self.effects.push(Effect::PutRun(record));
    }

    /// Imports one result file; a bad one is reported and skipped.
    fn import(&mut self, name: String, result: Result<Vec<u8>, String>) {
        let bytes = match result {
            Ok(b) => b,
            Err(e) => return self.notify(format!("{name}: {e}"), true),
        };
        let n = self.id();
        let id = format!("import-{:.0}-{n}", self.now.ms);
        match session::import(&name, &bytes, id, self.now.ms) {
            Ok(records) => {
                for mut record in records {
                    // A run restored from an export replaces its own older
                    // copy, and keeps its name.
                    if !self.runs.contains(&record.id) {
                        record.name = session::unique_name(&record.name, self.runs.all());
                    }
                    let id = record.id.clone();
                    self.save(record);
                    if !self.compare.contains(&id) {
                        self.compare.push(id);
                    }
                }
            }
            Err(e) => self.notify(e.to_string(), true),
        }
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
        if let Some(env) = env {
            extra.insert("wasm_simd".into(), env.simd.to_string());
        }
        SystemInfo {
            platform: format!("{os} (browser)"),
            device: format!("Browser: {browser}"),
            cpu_model: None,
            arch: "wasm32".into(),
            os,
            cpu_count: self.cores,
            memory_gb: self.memory_gb,
            cpu_governor: None,
            piedge_version: crate::VERSION.into(),
            runtime: format!("browser ({})", self.user_agent),
            extra,
            ..Default::default()
        }
    }
}

fn job(warmup: usize, runs: usize, purpose: Purpose) -> Job {
    Job {
        warmup,
        runs,
        purpose,
    }
}

/// FNV-1a, to tell two chosen files apart in the worker's plan cache.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests;
