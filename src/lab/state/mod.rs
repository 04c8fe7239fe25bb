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

use crate::lab::config::{Field, ValidConfig};
use crate::lab::glossary::Glossary;
use crate::lab::lesson::Lesson;
use crate::lab::protocol::{FromWorker, ToWorker, WorkerEnv};
use crate::lab::session::{self, RunRecord, Series};
use crate::lab::{Lang, UrlState};
use crate::plan::Plan;
use crate::report::ReportFile;
use std::collections::HashMap;
use std::sync::Arc;

mod board;
mod checklist;
mod guide;
mod models;
mod native;
mod parts;
mod questions;
mod runs;
mod sheet;

pub use board::*;
pub use checklist::{ChecklistItem, Serving};
pub use guide::GuideText;
pub use native::*;
pub use parts::*;
pub use questions::*;

/// The largest model (its files together) the lab reads into the tab.
pub const MAX_MODEL_FILE_BYTES: u64 = crate::limits::MAX_MODEL_MB << 20;

/// A run's wall-time budget before the lab offers to stop it; "keep going"
/// adds as much again.
pub const RUN_BUDGET_MS: f64 = 120_000.0;

/// Random shapes per operator in the engine panel's kernel self-check.
pub const SELF_CHECK_CASES: usize = 40;

/// Warmup inferences in a series' calibration: their median is the typical
/// inference that the series' batch size is chosen for.
pub const CALIBRATION_WARMUP: usize = 5;
/// When an event happens: milliseconds since the Unix epoch, and the local
/// time as reports print it ("YYYY-MM-DD HH:MM:SS").
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Moment {
    pub ms: f64,
    pub local: String,
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
    /// The glossary's Markdown (`lessons/glossary.md`, fetched, or the
    /// copy built into the page).
    GlossaryText(String),
    /// A glossary term's button was pressed (a click, a tap, Enter).
    ToggleTerm(String),
    /// Escape, or a press outside the open term.
    CloseTerm,
    StoredRuns(Result<Vec<RunRecord>, StorageProblem>),
    /// The questions' answers as the browser kept them (JSON), if any.
    StoredAnswers(Option<String>),
    /// Storing a run failed (a full quota, say): it stays in the tab.
    StoreFailed(StorageProblem),
    /// Deleting or clearing runs in storage failed.
    StorageFailed(StorageProblem),
    /// The URL's fragment changed (the student went back or forward).
    HashChanged(String),
    SetLang(Lang),
    SetProjector(bool),
    /// The tab was hidden or shown again.
    PageHidden(bool),
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
    /// The student's explanation of a question, in their own words.
    SetExplanation {
        question: String,
        text: String,
    },
    Reveal(String),
    /// The name and class the worksheet carries.
    SetStudentName(String),
    SetStudentClass(String),
    /// A text field of the student's own experiment.
    SetExperiment(ExperimentField, String),
    /// The experiment's "measure" button: the student's settings.
    RunExperiment,
    /// The release word a student typed, to open the class's answers.
    ReleaseWord(String),
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
    /// The student's worksheet: predictions, measurements, answers, charts.
    ExportWorksheet,
    ExportReport {
        id: String,
        file: ReportFile,
    },
    /// Something the runtime tried failed (a download, a canvas export).
    Failed(String),
    /// Tests shorten the time before the lab offers to stop a long run.
    SetRunBudget(f64),
    /// The server's `/api/machine` (and whether the page was opened on
    /// that machine), or why there is none.
    MachineAnswered(Result<(crate::api::Machine, bool), String>),
    RunNative,
    NativeAccepted(Result<crate::api::JobAccepted, Refused>),
    NativeUpdate(crate::api::JobUpdate),
    /// The job's progress stream ended before the job did.
    NativeLost(String),
    CancelNative,
    /// Every 750 ms (the board fetches itself again while it is shown).
    BoardTick,
    BoardAnswered(Result<crate::board::Board, String>),
    SetBoardModel(Option<String>),
    SetBoardSettings(Option<(usize, usize)>),
    SetBoardSort(crate::board::SortBy),
    SetNickname(String),
    SetDeviceLabel(String),
    /// "Share with the class" on a kept run.
    Share(String),
    Shared {
        run_id: String,
        answer: Result<u64, Refused>,
    },
    Teacher(TeacherAction),
    TeacherDone(Result<(), Refused>),
    /// An item of the teacher's checklist ticked or unticked.
    CheckItem {
        item: ChecklistItem,
        done: bool,
    },
    /// The checklist's ticked items as the browser kept them (JSON), if any.
    StoredChecklist(Option<String>),
    /// A link to a guide of the bundle (`lab::guide`), by its name.
    OpenGuide(String),
    /// Back from the guide to the lesson.
    CloseGuide,
    /// A guide's file, fetched, or why it could not be.
    GuideText {
        path: String,
        result: Result<String, String>,
    },
}

/// What the runtime must do.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    StartWorker,
    /// End the worker and start a new one (nothing it held survives).
    RestartWorker,
    /// Fetch `lessons/<lang>.md`, and answer with `LessonText`.
    FetchLesson(Lang),
    /// Fetch `lessons/glossary.md`, and answer with `GlossaryText`.
    FetchGlossary,
    /// Read every stored run, and answer with `StoredRuns`.
    LoadStoredRuns,
    /// Read the kept answers, and answer with `StoredAnswers`.
    LoadAnswers,
    /// Keep the questions' answers (JSON) for the next visit.
    StoreAnswers(String),
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
    /// Ask the server what it is, and answer with `MachineAnswered`.
    FetchMachine,
    /// Queue a native job, and answer with `NativeAccepted`.
    SubmitNative(crate::api::JobRequest),
    /// Follow the job's progress, one `NativeUpdate` each, or `NativeLost`.
    FollowNative(u64),
    CancelNative(u64),
    /// Fetch the class board (with the teacher code, if any), and answer
    /// with `BoardAnswered`.
    FetchBoard {
        teacher: String,
    },
    /// Send this share request, and answer with `Shared`.
    ShareRun {
        run_id: String,
        body: Vec<u8>,
    },
    /// A teacher call, answered with `TeacherDone`.
    TeacherCall {
        code: String,
        action: TeacherAction,
    },
    /// Read the teacher's ticked checklist items, and answer with
    /// `StoredChecklist`.
    LoadChecklist,
    /// Keep the ticked checklist items (JSON) for the next visit.
    StoreChecklist(String),
    /// Fetch this guide's file from the bundle, and answer with `GuideText`.
    FetchGuide(&'static str),
}
/// Everything the lab page knows.
#[derive(Clone, Debug)]
pub struct LabState {
    pub url: UrlState,
    pub lessons: HashMap<Lang, Result<Lesson, String>>,
    /// The lesson's glossary, once it has loaded (empty if it could not be
    /// read: the marked words then show as plain text).
    pub glossary: Option<Glossary>,
    /// The glossary term whose definition the student opened, if any.
    pub term_open: Option<String>,
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
    /// Who hands the worksheet in (see [`LabState::student_name`]).
    pub student: Student,
    /// The student's own experiment.
    pub experiment: Experiment,
    /// Class locks released on this device (see [`LabState::answers_locked`]).
    pub released: Vec<String>,
    pub cold_run: Option<String>,
    /// The last run started with "Run", for the one-line result beside the
    /// button (a fast run otherwise leaves the step looking unchanged).
    pub finished: Option<String>,
    pub projector: bool,
    /// The tab is hidden (the browser may slow the page and its worker).
    pub hidden: bool,
    pub self_check: SelfCheckState,
    /// The input shape typed for models with free dimensions ("" for none).
    pub input_shape: String,
    /// The server the page came from, and the student's native job.
    pub native: Native,
    /// The class board, and what this tab shared to it.
    pub board: ClassBoard,
    /// The guides' texts asked for, by file.
    pub guides: HashMap<&'static str, GuideText>,
    /// The teacher's checklist before the lesson.
    pub checklist: checklist::Checklist,
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
            glossary: None,
            term_open: None,
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
            student: Student::default(),
            experiment: Experiment::default(),
            released: vec![],
            cold_run: None,
            finished: None,
            projector: false,
            hidden: false,
            self_check: SelfCheckState::NotRun,
            input_shape: String::new(),
            native: Native::default(),
            board: ClassBoard::default(),
            guides: HashMap::new(),
            checklist: Default::default(),
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
        self.want_guide();
        std::mem::take(&mut self.effects)
    }

    // --- What views ask --------------------------------------------------

    pub fn lang(&self) -> Lang {
        self.url.lang
    }

    /// When the last event happened.
    pub fn now(&self) -> &Moment {
        &self.now
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
    /// The step (1-based) whose text places `widget`, in the current
    /// language's lesson.
    pub fn step_with_widget(&self, widget: &str) -> Option<usize> {
        let Some(Ok(lesson)) = self.lessons.get(&self.lang()) else {
            return None;
        };
        let places = |p: &crate::lab::lesson::Part| matches!(p, crate::lab::lesson::Part::Widget(w) if w == widget);
        lesson
            .steps
            .iter()
            .position(|s| s.parts.iter().any(places))
            .map(|i| i + 1)
    }

    pub fn step_titles(&self) -> Vec<String> {
        let lang = self.lang();
        match self.lessons.get(&lang) {
            Some(Ok(lesson)) => lesson.steps.iter().map(|s| s.title.clone()).collect(),
            _ => (1..=self.step_count())
                .map(|i| format!("{} {i}", lang.ui().step))
                .collect(),
        }
    }

    /// The lesson's steps: as many as its Markdown has (until it loads,
    /// as many as the link names, so that the page can show that step).
    pub fn step_count(&self) -> usize {
        self.lesson_steps().unwrap_or(self.url.step.max(1))
    }

    /// The current language's lesson's step count, once it has loaded.
    fn lesson_steps(&self) -> Option<usize> {
        match self.lessons.get(&self.lang()) {
            Some(Ok(lesson)) => Some(lesson.steps.len()),
            _ => None,
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
                self.effects.push(Effect::FetchGlossary);
                self.effects.push(Effect::LoadStoredRuns);
                self.effects.push(Effect::LoadAnswers);
                self.effects.push(Effect::FetchMachine);
                self.ask_for_checklist();
            }
            Event::LessonText { lang, text } => {
                let parsed =
                    Lesson::parse(&text).map_err(|e| format!("lessons/{}.md: {e}", lang.code()));
                self.lessons.insert(lang, parsed);
                if lang == self.lang() {
                    self.url.step = self.url.step.min(self.step_count());
                }
            }
            Event::GlossaryText(text) => match Glossary::parse(&text) {
                Ok(glossary) => self.glossary = Some(glossary),
                Err(e) => {
                    self.glossary = Some(Glossary::default());
                    self.notify(format!("lessons/glossary.md: {e}"), true);
                }
            },
            Event::ToggleTerm(id) => {
                let known = self.glossary.as_ref().is_some_and(|g| g.get(&id).is_some());
                self.term_open = match &self.term_open {
                    Some(open) if *open == id => None,
                    _ if known => Some(id),
                    _ => None,
                };
            }
            Event::CloseTerm => self.term_open = None,
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
            Event::StoredAnswers(text) => self.answers_loaded(text.as_deref().unwrap_or("")),
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
                    self.url.step = self.url.step.min(self.step_count());
                    self.term_open = None;
                    if model_changed {
                        self.load_bundled();
                    }
                    self.ask_for_checklist();
                }
            }
            Event::SetLang(lang) => {
                self.url.lang = lang;
                self.term_open = None;
            }
            Event::SetProjector(on) => self.projector = on,
            Event::PageHidden(hidden) => {
                self.hidden = hidden;
                if let Some(l) = &mut self.live {
                    l.disturbed.hidden |= hidden;
                }
            }
            Event::DismissNotice(id) => self.notices.retain(|n| n.id != id),
            Event::GoToStep(step) => {
                let last = self.lesson_steps().unwrap_or(crate::lab::config::MAX_STEPS);
                self.url.step = step.clamp(1, last);
                self.term_open = None;
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
            // The class link may fix the settings to the teacher's.
            Event::SetField(..) | Event::SetPlan(_) if self.controls_fixed() => {}
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
            Event::ColdStart => self.enqueue(vec![cold_job(Purpose::ColdStart)]),
            Event::Measure(question) => self.measure(question),
            Event::SetPrediction { question, text } => {
                self.questions.entry(question).or_default().prediction = bounded(&text);
                self.store_answers();
            }
            Event::SetExplanation { question, text } => {
                self.questions.entry(question).or_default().explanation = bounded(&text);
                self.store_answers();
            }
            Event::Reveal(question) => self.reveal(question),
            Event::SetStudentName(name) => {
                self.student.name = name
                    .chars()
                    .take(crate::limits::LAB_MAX_NAME_CHARS)
                    .collect();
                self.store_answers();
            }
            Event::SetStudentClass(class) => {
                self.student.class = class
                    .chars()
                    .take(crate::limits::LAB_MAX_NAME_CHARS)
                    .collect();
                self.store_answers();
            }
            Event::SetExperiment(field, text) => {
                let e = &mut self.experiment;
                *match field {
                    ExperimentField::Question => &mut e.question,
                    ExperimentField::Prediction => &mut e.prediction,
                    ExperimentField::Conclusion => &mut e.conclusion,
                } = bounded(&text);
                self.store_answers();
            }
            Event::RunExperiment => {
                if let Some(cfg) = self.valid_config() {
                    self.enqueue(vec![job(cfg.warmup, cfg.runs, Purpose::Experiment)]);
                }
            }
            Event::ReleaseWord(word) => self.release_word(&word),
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
                let seconds = self.lang().decimal(format!("{:.1}", silent_ms / 1000.0));
                let text = format!("{} ({seconds} s)", self.ui().worker_hung);
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
            Event::ExportWorksheet => {
                let sheet = self.worksheet();
                let bytes = sheet
                    .html(|id| self.run(id).map(|r| &r.report))
                    .into_bytes();
                self.effects.push(Effect::Download {
                    name: crate::lab::worksheet::WORKSHEET_FILE.into(),
                    mime: "text/html",
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
            Event::MachineAnswered(answer) => self.machine_answered(answer),
            Event::RunNative => self.run_native(),
            Event::NativeAccepted(answer) => self.native_accepted(answer),
            Event::NativeUpdate(update) => self.native_update(update),
            Event::NativeLost(why) => self.native_lost(why),
            Event::CancelNative => self.cancel_native(),
            Event::BoardTick => self.board_tick(),
            Event::BoardAnswered(answer) => self.board_answered(answer),
            Event::SetBoardModel(m) => self.board.model = m,
            Event::SetBoardSettings(s) => self.board.settings = s,
            Event::SetBoardSort(s) => self.board.sort = s,
            Event::SetNickname(n) => {
                self.board.nickname = n.chars().take(crate::board::MAX_NICKNAME_CHARS).collect()
            }
            Event::SetDeviceLabel(l) => {
                self.board.label = l.chars().take(crate::board::MAX_LABEL_CHARS).collect()
            }
            Event::Share(run_id) => self.share(run_id),
            Event::Shared { run_id, answer } => self.shared(run_id, answer),
            Event::Teacher(action) => self.teacher(action),
            Event::TeacherDone(answer) => self.teacher_done(answer),
            Event::CheckItem { item, done } => self.check_item(item, done),
            Event::StoredChecklist(text) => self.checklist_loaded(text.as_deref()),
            Event::OpenGuide(name) => self.open_guide(&name),
            Event::CloseGuide => self.close_guide(),
            Event::GuideText { path, result } => self.guide_arrived(path, result),
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
}

/// What a student typed, cut to [`crate::limits::LAB_MAX_TEXT_CHARS`].
fn bounded(text: &str) -> String {
    text.chars()
        .take(crate::limits::LAB_MAX_TEXT_CHARS)
        .collect()
}

#[cfg(test)]
mod tests;
