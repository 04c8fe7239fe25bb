//! The lab's state and what happens to it: the walk-through, the model, the
//! worker's messages, runs and their storage. Widgets (in `widgets.rs`) read
//! this state and call these methods; they hold no logic of their own.

use crate::client::{self, WorkerEvent};
use crate::{dom, storage, widgets};
use leptos::prelude::*;
use piedge::bench::{Measurements, Phase};
use piedge::card::ModelCard;
use piedge::clock::TimerResolution;
use piedge::lab::config::{self, ValidConfig, BUNDLED_MODELS, STEPS};
use piedge::lab::lesson::Lesson;
use piedge::lab::protocol::{CrashKind, FromWorker, ModelFile, ToWorker, WorkerEnv};
use piedge::lab::session::{self, RunRecord, RunSource, Series};
use piedge::lab::{Lang, UrlState};
use piedge::plan::{Kernels, Plan, SelfCheck};
use piedge::report::{
    BenchmarkReport, EngineInfo, ModelSummary, PipelineTimings, ReportContext, Run, RunSettings,
};
use piedge::stats::StatsOptions;
use piedge::sysinfo::SystemInfo;
use std::collections::HashMap;
use std::sync::Arc;

/// The largest model file the lab reads into the tab (as the CLI's default).
const MAX_MODEL_FILE_BYTES: u64 = piedge::limits::MAX_MODEL_MB << 20;

/// Random shapes per operator in the engine panel's kernel self-check.
const SELF_CHECK_CASES: usize = 40;

/// Where a model came from.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelSource {
    Bundled(String),
    File,
}

/// The model the lab runs: loaded and checked by the worker.
#[derive(Clone, Debug)]
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
#[derive(Clone, Debug)]
pub struct PendingModel {
    pub request: u64,
    pub key: String,
    pub name: String,
    pub source: ModelSource,
    pub data: Arc<ModelData>,
}

/// What the worker needs to load a model: the `.onnx` file's bytes, the
/// files chosen with it (its weights), and the input shape the student gave.
#[derive(Clone, Debug, Default)]
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
}

/// Why a run is made, which decides what happens when it ends.
#[derive(Clone, Debug, PartialEq)]
pub enum Purpose {
    Normal,
    ColdStart,
    Question(String),
    Series {
        label: String,
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
#[derive(Clone, Debug)]
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
    /// When the run started (`dom::now_ms`), and how long it may go before
    /// the lab asks whether to stop it.
    pub started_ms: f64,
    pub budget_ms: f64,
    /// Inferences timed together per latency, as the worker last reported.
    pub inferences_per_sample: usize,
}

/// A run's wall-time budget before the lab offers to stop it; "keep going"
/// adds as much again.
pub const RUN_BUDGET_MS: f64 = 120_000.0;

/// A reflection question's progress: predicted, measured, answer shown.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QuestionState {
    pub prediction: String,
    pub measured: bool,
    pub revealed: bool,
    /// Ids of the runs made to answer it.
    pub runs: Vec<String>,
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

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NoticeAction {
    /// Download every run as one file the lab can import again.
    ExportAll,
}

/// The whole lab's state: signals, so every part of the page that shows a
/// piece of it updates when it changes.
#[derive(Clone, Copy)]
pub struct Lab {
    pub url: RwSignal<UrlState>,
    pub lessons: RwSignal<HashMap<Lang, Result<Lesson, String>>>,
    pub env: RwSignal<Option<WorkerEnv>>,
    pub model: RwSignal<Option<ActiveModel>>,
    pub pending: RwSignal<Option<PendingModel>>,
    pub live: RwSignal<Option<LiveRun>>,
    pub queue: RwSignal<Vec<Job>>,
    pub runs: RwSignal<Vec<RunRecord>>,
    pub current: RwSignal<Option<String>>,
    pub compare: RwSignal<Vec<String>>,
    pub notices: RwSignal<Vec<Notice>>,
    pub questions: RwSignal<HashMap<String, QuestionState>>,
    pub cold_run: RwSignal<Option<String>>,
    pub projector: RwSignal<bool>,
    /// The last kernel self-check: still running (`None` inside), or its result.
    pub self_check: RwSignal<Option<Option<Result<SelfCheck, String>>>>,
    /// The latest model choice: a fetch or file read that finishes after a
    /// newer choice was made is dropped, so the newer choice wins.
    latest_choice: RwSignal<u64>,
    next_id: RwSignal<u64>,
    /// The input shape typed for models with free dimensions ("" for none).
    pub input_shape: RwSignal<String>,
    /// The files last chosen, kept to load them again with another shape.
    last_files: RwSignal<Option<(String, Arc<ModelData>)>>,
}

pub fn start() {
    leptos::mount::mount_to_body(App);
    if let Some(loading) = dom::window()
        .document()
        .and_then(|d| d.get_element_by_id("loading"))
    {
        loading.remove();
    }
}

#[component]
fn App() -> impl IntoView {
    let lab = Lab::new();
    provide_context(lab);
    lab.boot();
    let lang = move || lab.url.with(|u| u.lang);
    Effect::new(move |_| {
        let hash = lab.url.with(|u| u.to_hash());
        dom::replace_hash(&hash);
        if let Some(html) = dom::window().document().and_then(|d| d.document_element()) {
            let _ = html.set_attribute("lang", lang().code());
        }
    });
    view! {
        // data-runs and data-busy let tests (and scripts) wait for a run to end
        // without racing a progress bar that a fast run shows only briefly.
        <div
            class="app"
            class:projector=move || lab.projector.get()
            data-runs=move || lab.runs.with(|r| r.len())
            data-busy=move || lab.is_busy().to_string()
        >
            <widgets::Header/>
            <widgets::Notices/>
            <widgets::StepNav/>
            <main id="main" tabindex="-1">
                <widgets::StepContent/>
            </main>
            <widgets::StepFooter/>
        </div>
    }
}

impl Lab {
    fn new() -> Lab {
        Lab {
            url: RwSignal::new(UrlState::parse(&dom::location_hash())),
            lessons: RwSignal::new(HashMap::new()),
            env: RwSignal::new(None),
            model: RwSignal::new(None),
            pending: RwSignal::new(None),
            live: RwSignal::new(None),
            queue: RwSignal::new(vec![]),
            runs: RwSignal::new(vec![]),
            current: RwSignal::new(None),
            compare: RwSignal::new(vec![]),
            notices: RwSignal::new(vec![]),
            questions: RwSignal::new(HashMap::new()),
            cold_run: RwSignal::new(None),
            projector: RwSignal::new(false),
            self_check: RwSignal::new(None),
            latest_choice: RwSignal::new(0),
            input_shape: RwSignal::new(String::new()),
            last_files: RwSignal::new(None),
            next_id: RwSignal::new(1),
        }
    }

    /// Asks the worker to compare the project's kernels with tract's on
    /// random shapes, with every instruction set the browser runs.
    pub fn run_self_check(self) {
        if self.self_check.with_untracked(|c| matches!(c, Some(None))) {
            return;
        }
        self.self_check.set(Some(None));
        client::send(&ToWorker::SelfCheck {
            request: self.id(),
            cases: SELF_CHECK_CASES,
            seed: 0,
        });
    }

    fn id(&self) -> u64 {
        let id = self.next_id.get_untracked();
        self.next_id.set(id + 1);
        id
    }

    /// The language, tracked: views and effects that call it update when
    /// the student switches.
    pub fn lang(&self) -> Lang {
        self.url.with(|u| u.lang)
    }

    /// The language, for event handlers and worker callbacks.
    pub fn lang_now(&self) -> Lang {
        self.url.with_untracked(|u| u.lang)
    }

    /// Starts everything that happens once: the worker, the lessons, the
    /// stored runs, and following the URL when the student goes back.
    fn boot(self) {
        client::start(move |event| self.on_worker(event));
        for lang in Lang::ALL {
            leptos::task::spawn_local(async move {
                let text = match dom::fetch_text(&format!("lessons/{}.md", lang.code())).await {
                    Ok(t) => t,
                    // Opened without the lesson files: use the copy built in.
                    Err(_) => embedded_lesson(lang).to_string(),
                };
                let parsed =
                    Lesson::parse(&text).map_err(|e| format!("lessons/{}.md: {e}", lang.code()));
                self.lessons.update(|l| {
                    l.insert(lang, parsed);
                });
            });
        }
        leptos::task::spawn_local(async move {
            match storage::load_all().await {
                Ok(stored) => self.runs.update(|runs| {
                    for r in stored {
                        if !runs.iter().any(|x| x.id == r.id) {
                            runs.push(r);
                        }
                    }
                    runs.sort_by(|a, b| a.created_ms.total_cmp(&b.created_ms));
                }),
                Err(e) => self.notify(
                    format!("{} ({})", self.lang_now().ui().storage_failed, e.0),
                    true,
                ),
            }
            if self.current.get_untracked().is_none() {
                self.current
                    .set(self.runs.with_untracked(|r| r.last().map(|r| r.id.clone())));
            }
        });
        let on_hash = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            let parsed = UrlState::parse(&dom::location_hash());
            if self.url.get_untracked() != parsed {
                let model_changed = self.url.with_untracked(|u| u.model != parsed.model);
                self.url.set(parsed);
                if model_changed {
                    self.load_bundled();
                }
            }
        });
        dom::window().set_onhashchange(Some(wasm_bindgen::JsCast::unchecked_ref(on_hash.as_ref())));
        on_hash.forget();
        expose_test_hooks(self);
    }

    pub fn notify(&self, text: String, is_error: bool) {
        self.notify_with(text, is_error, None);
    }

    pub fn notify_with(&self, text: String, is_error: bool, action: Option<NoticeAction>) {
        self.push_notice(text, None, is_error, action);
    }

    fn push_notice(
        &self,
        text: String,
        detail: Option<String>,
        is_error: bool,
        action: Option<NoticeAction>,
    ) {
        let id = self.id();
        self.notices.update(|n| {
            if !n.iter().any(|x| x.text == text) {
                n.push(Notice {
                    id,
                    text,
                    detail,
                    is_error,
                    action,
                });
            }
        });
    }

    /// Offers every run (kept or only in this tab) as one JSON file that
    /// the lab's import reads back.
    pub fn export_all(&self) {
        let bytes = self.runs.with_untracked(|runs| session::export_all(runs));
        if let Err(e) = dom::download(session::EXPORT_ALL_FILE, "application/json", &bytes) {
            self.notify(e, true);
        }
    }

    /// Gives the live run another wall-time budget.
    pub fn keep_going(&self) {
        self.live.update(|l| {
            if let Some(l) = l {
                l.budget_ms = dom::now_ms() - l.started_ms + run_budget_ms();
            }
        });
    }

    pub fn go_to_step(&self, step: usize) {
        let step = step.clamp(1, STEPS);
        self.url.update(|u| u.step = step);
        dom::push_hash(&self.url.with_untracked(|u| u.to_hash()));
        if let Some(main) = dom::window()
            .document()
            .and_then(|d| d.get_element_by_id("main"))
        {
            if let Ok(main) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(main) {
                let _ = main.focus();
            }
            dom::window().scroll_to_with_x_and_y(0.0, 0.0);
        }
    }

    // --- Models ----------------------------------------------------------

    /// Fetches the bundled model the URL names and hands it to the worker.
    pub fn load_bundled(self) {
        let name = self.url.with_untracked(|u| u.model.clone());
        if self.model.with_untracked(|m| {
            m.as_ref()
                .is_some_and(|m| m.source == ModelSource::Bundled(name.clone()))
        }) {
            return;
        }
        let choice = self.choose();
        leptos::task::spawn_local(async move {
            let fetched = dom::fetch_bytes(&format!("models/{name}.onnx")).await;
            if !self.still_chosen(choice) {
                return;
            }
            match fetched {
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
        });
    }

    /// Starts a model choice; see `latest_choice`.
    fn choose(&self) -> u64 {
        let choice = self.id();
        self.latest_choice.set(choice);
        choice
    }

    fn still_chosen(&self, choice: u64) -> bool {
        self.latest_choice.get_untracked() == choice
    }

    /// Hands a model to the worker; it becomes active when the worker has
    /// checked and planned it.
    pub fn load_model(&self, key: String, name: String, source: ModelSource, data: ModelData) {
        let request = self.id();
        let data = Arc::new(data);
        let plan = self.url.with_untracked(|u| u.config.plan);
        client::send(&data.load_message(request, &key, &name, plan));
        self.pending.set(Some(PendingModel {
            request,
            key,
            name,
            source,
            data,
        }));
    }

    /// Files the student chose or dropped together: one `.onnx` and the
    /// files it keeps its weights in (`model.onnx.data`).
    pub fn load_files(self, files: Vec<web_sys::File>) {
        let ui = self.lang_now().ui();
        let names: Vec<String> = files.iter().map(|f| f.name()).collect();
        let (models, others): (Vec<_>, Vec<_>) = files
            .into_iter()
            .partition(|f| f.name().to_lowercase().ends_with(".onnx"));
        let model = match models.as_slice() {
            [one] => one.clone(),
            [] => return self.notify(format!("{}: {}", names.join(", "), ui.no_onnx_chosen), true),
            _ => return self.notify(ui.one_onnx_at_a_time.to_string(), true),
        };
        let size: f64 = model.size() + others.iter().map(|f| f.size()).sum::<f64>();
        if size > MAX_MODEL_FILE_BYTES as f64 {
            let text = self.lang_now().model_too_large(
                &names.join(" + "),
                size / 1048576.0,
                MAX_MODEL_FILE_BYTES >> 20,
            );
            return self.notify(text, true);
        }
        let Some(input_shape) = self.typed_input_shape() else {
            return;
        };
        let choice = self.choose();
        leptos::task::spawn_local(async move {
            let mut data = ModelData {
                input_shape,
                ..ModelData::default()
            };
            let name = model.name();
            for file in std::iter::once(&model).chain(&others) {
                let read = dom::read_file(file).await;
                if !self.still_chosen(choice) {
                    return;
                }
                match read {
                    Ok(bytes) if file.name() == name => data.bytes = bytes,
                    Ok(bytes) => data.files.push(ModelFile {
                        name: file.name(),
                        bytes,
                    }),
                    Err(e) => return self.notify(format!("{}: {e}", file.name()), true),
                }
            }
            let key = file_key(&name, &data);
            self.last_files
                .set(Some((name.clone(), Arc::new(data.clone()))));
            self.load_model(key, name, ModelSource::File, data);
        });
    }

    /// The input-shape field as a shape (`Some(None)` when empty), or `None`
    /// after telling the student why it is not one.
    fn typed_input_shape(&self) -> Option<Option<Vec<usize>>> {
        config::parse_input_shape(&self.input_shape.get_untracked())
            .map_err(|e| {
                let field = self.lang_now().ui().input_shape;
                self.notify(format!("{field}: {e}"), true);
            })
            .ok()
    }

    /// Loads the last chosen file again with the input shape now typed in
    /// (for a model with free dimensions that failed without one).
    pub fn reload_with_shape(self) {
        let ui = self.lang_now().ui();
        let Some((name, data)) = self.last_files.get_untracked() else {
            return self.notify(ui.choose_file_first.to_string(), true);
        };
        let Some(input_shape) = self.typed_input_shape() else {
            return;
        };
        self.choose();
        let mut data = (*data).clone();
        data.input_shape = input_shape;
        let key = file_key(&name, &data);
        self.load_model(key, name, ModelSource::File, data);
    }

    // --- Runs --------------------------------------------------------------

    /// The settings as typed, if they are valid.
    pub fn valid_config(&self) -> Option<ValidConfig> {
        self.url.with(|u| u.config.validate().ok())
    }

    pub fn is_busy(&self) -> bool {
        self.live.with(|l| l.is_some()) || self.pending.with(|p| p.is_some())
    }

    /// Runs the current settings.
    pub fn run_current(&self) {
        let Some(cfg) = self.valid_config() else {
            return;
        };
        self.enqueue(vec![Job {
            warmup: cfg.warmup,
            runs: cfg.runs,
            purpose: Purpose::Normal,
        }]);
    }

    pub fn run_series(&self, series: Series, question: Option<String>) {
        let label = match series {
            Series::Runs => "runs",
            Series::Warmup => "warmup",
        };
        let configs = series.configs();
        let jobs = configs
            .iter()
            .enumerate()
            .map(|(i, &(warmup, runs))| Job {
                warmup,
                runs,
                purpose: Purpose::Series {
                    label: label.into(),
                    last: i + 1 == configs.len(),
                    question: question.clone(),
                },
            })
            .collect();
        self.enqueue(jobs);
    }

    pub fn enqueue(&self, jobs: Vec<Job>) {
        self.queue.update(|q| q.extend(jobs));
        if !self.is_busy() {
            self.next_job();
        }
    }

    fn next_job(&self) {
        let Some(job) = self
            .queue
            .try_update(|q| (!q.is_empty()).then(|| q.remove(0)))
            .flatten()
        else {
            return;
        };
        let Some(model) = self.model.get_untracked() else {
            self.queue.set(vec![]);
            self.notify(self.lang_now().ui().loading_model.to_string(), true);
            return;
        };
        let (seed, plan) = self.url.with_untracked(|u| {
            (
                u.config.validate().map(|c| c.seed).unwrap_or(0),
                u.config.plan,
            )
        });
        if !model.loaded_plans.contains(&plan) {
            // The worker keeps a plan per (model, plan); send the bytes only
            // when it does not hold this one yet (messages run in order).
            client::send(
                &model
                    .data
                    .load_message(self.id(), &model.key, &model.name, plan),
            );
        }
        let request = self.id();
        self.live.set(Some(LiveRun {
            request,
            job: job.clone(),
            seed,
            plan,
            model_name: model.name.clone(),
            phase: if job.warmup > 0 {
                Phase::Warmup
            } else {
                Phase::Timed
            },
            done: 0,
            total: if job.warmup > 0 { job.warmup } else { job.runs },
            warmup_ms: Vec::with_capacity(job.warmup),
            latencies_ms: Vec::with_capacity(job.runs),
            cancelling: false,
            started_ms: dom::now_ms(),
            budget_ms: run_budget_ms(),
            inferences_per_sample: 1,
        }));
        client::send(&ToWorker::Run {
            request,
            model_key: model.key,
            plan,
            warmup: job.warmup,
            runs: job.runs,
            seed,
        });
    }

    pub fn cancel(&self) {
        self.queue.set(vec![]);
        if let Some(request) = self.live.with_untracked(|l| l.as_ref().map(|l| l.request)) {
            self.live.update(|l| {
                if let Some(l) = l {
                    l.cancelling = true;
                }
            });
            client::send(&ToWorker::Cancel { request });
        }
    }

    fn on_worker(self, event: WorkerEvent) {
        let ui = self.lang_now().ui();
        let text = match event {
            WorkerEvent::Message(msg) => return self.on_message(msg),
            WorkerEvent::Hung { silent_ms } => {
                format!("{} ({:.1} s)", ui.worker_hung, silent_ms / 1000.0)
            }
            // A crash while a file was being read: tract crashed on it.
            WorkerEvent::Crashed(message) => match self
                .pending
                .with_untracked(|p| p.as_ref().map(|p| p.name.clone()))
            {
                Some(file) => format!("{file}: {} ({message})", ui.model_crashed_worker),
                None => format!("{} ({message})", ui.worker_restarted),
            },
        };
        self.keep_interrupted_run();
        self.live.set(None);
        self.queue.set(vec![]);
        self.pending.set(None);
        self.model.update(|m| {
            if let Some(m) = m {
                m.loaded_plans.clear();
            }
        });
        if self.model.with_untracked(|m| m.is_none()) {
            // Nothing loaded yet: the restarted worker loads the default.
            self.latest_choice.set(0);
        }
        if self.self_check.with_untracked(|c| matches!(c, Some(None))) {
            self.self_check.set(Some(Some(Err(text.clone()))));
        }
        self.notify(text, true);
    }

    fn on_message(self, msg: FromWorker) {
        match msg {
            FromWorker::Ready { env } => {
                self.env.set(Some(env));
                // The default model, unless the student already chose one
                // (a file picked while the worker was starting).
                if self.model.with_untracked(|m| m.is_none())
                    && self.pending.with_untracked(|p| p.is_none())
                    && self.latest_choice.get_untracked() == 0
                {
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
                let plan = self.url.with_untracked(|u| u.config.plan);
                if let Some(p) = self
                    .pending
                    .get_untracked()
                    .filter(|p| p.request == request)
                {
                    self.pending.set(None);
                    self.model.set(Some(ActiveModel {
                        key: p.key,
                        name: p.name,
                        source: p.source,
                        data: p.data,
                        card,
                        pipeline,
                        nodes_analysed,
                        nodes_planned,
                        cached,
                        loaded_plans: vec![plan],
                    }));
                    if !self.queue.with_untracked(|q| q.is_empty())
                        && self.live.with_untracked(|l| l.is_none())
                    {
                        self.next_job();
                    }
                } else {
                    // A plan loaded ahead of a run.
                    self.model.update(|m| {
                        if let Some(m) = m.as_mut().filter(|m| m.key == model_key) {
                            m.pipeline = pipeline;
                            m.nodes_planned = nodes_planned;
                            m.cached = cached;
                            if let Some(live) = self.live.get_untracked() {
                                if !m.loaded_plans.contains(&live.plan) {
                                    m.loaded_plans.push(live.plan);
                                }
                            }
                        }
                    });
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
                self.live.update(|l| {
                    if let Some(l) = l.as_mut().filter(|l| l.request == request) {
                        l.inferences_per_sample = inferences_per_sample;
                        l.phase = phase;
                        l.done = done;
                        l.total = total;
                        match phase {
                            Phase::Warmup => l.warmup_ms.extend_from_slice(&new_latencies),
                            Phase::Timed => l.latencies_ms.extend_from_slice(&new_latencies),
                        }
                    }
                });
            }
            FromWorker::Finished {
                request,
                measurements,
                timer,
                inferences_per_sample,
                pipeline,
            } => {
                let Some(live) = self.live.get_untracked().filter(|l| l.request == request) else {
                    return;
                };
                self.live.set(None);
                self.finish_run(live, measurements, timer, inferences_per_sample, pipeline);
                self.next_job();
            }
            FromWorker::SelfChecked { result, .. } => {
                self.self_check.set(Some(Some(result)));
            }
            FromWorker::Failed {
                request,
                message,
                detail,
                error,
            } => {
                let message = error.map_or(message, |e| self.lang_now().model_error(&e));
                let was_pending = self
                    .pending
                    .with_untracked(|p| p.as_ref().is_some_and(|p| p.request == request));
                if was_pending {
                    self.pending.set(None);
                }
                let was_live = self
                    .live
                    .with_untracked(|l| l.as_ref().is_some_and(|l| l.request == request));
                if was_live {
                    self.live.set(None);
                    self.queue.set(vec![]);
                }
                self.push_notice(message, detail, true, None);
            }
        }
    }

    /// A run the worker's death interrupted keeps what it measured, like a
    /// cancelled one.
    fn keep_interrupted_run(&self) {
        let Some(live) = self.live.get_untracked() else {
            return;
        };
        let (Some(env), Some(model)) = (self.env.get_untracked(), self.model.get_untracked())
        else {
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
        let k = live.inferences_per_sample;
        self.finish_run(live, measurements, env.timer, k, model.pipeline);
    }

    fn finish_run(
        &self,
        live: LiveRun,
        measurements: Measurements,
        timer: TimerResolution,
        inferences_per_sample: usize,
        pipeline: PipelineTimings,
    ) {
        let ui = self.lang_now().ui();
        if measurements.latencies_ms.is_empty() {
            self.notify(ui.cancelled_note.to_string(), false);
            return;
        }
        let Some(model) = self.model.get_untracked() else {
            return;
        };
        let env = self.env.get_untracked();
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
            system_info: browser_system_info(env.as_ref()),
            engine: EngineInfo::tract("piedge-lab (browser)").with_kernels(Kernels::Piedge),
            timer: Some(timer),
            generated: dom::local_timestamp(),
        };
        let options = StatsOptions {
            bootstrap_seed: live.seed,
            ..Default::default()
        };
        let report = match BenchmarkReport::assemble(run, &options, context) {
            Ok(r) => r,
            Err(e) => {
                self.notify(e.to_string(), true);
                return;
            }
        };
        let base = format!(
            "{} · warmup {} · runs {}{}",
            model.name.trim_end_matches(".onnx"),
            live.job.warmup,
            live.job.runs,
            if report.cancelled { " (cancelled)" } else { "" }
        );
        let record = RunRecord {
            id: format!("run-{:.0}-{}", dom::now_ms(), live.request),
            name: self.runs.with_untracked(|r| session::unique_name(&base, r)),
            created_ms: dom::now_ms(),
            source: RunSource::Browser,
            report,
        };
        let id = record.id.clone();
        self.save(record);
        self.current.set(Some(id.clone()));
        match &live.job.purpose {
            Purpose::Normal => {}
            Purpose::ColdStart => self.cold_run.set(Some(id)),
            Purpose::Question(q) => self.question_measured(q, vec![id], true),
            Purpose::Series { last, question, .. } => {
                self.compare.update(|c| {
                    if !c.contains(&id) {
                        c.push(id.clone());
                    }
                });
                if let Some(q) = question {
                    self.question_measured(q, vec![id], *last);
                }
            }
        }
    }

    fn question_measured(&self, id: &str, runs: Vec<String>, done: bool) {
        self.questions.update(|qs| {
            let q = qs.entry(id.to_string()).or_default();
            q.runs.extend(runs);
            q.measured |= done;
        });
    }

    /// Keeps a run in memory and in the browser's storage.
    pub fn save(&self, record: RunRecord) {
        self.runs.update(|runs| {
            runs.retain(|r| r.id != record.id);
            runs.push(record.clone());
        });
        let lab = *self;
        leptos::task::spawn_local(async move {
            if let Err(e) = storage::put(&record).await {
                let ui = lab.lang_now().ui();
                lab.notify_with(
                    format!("{} ({})", ui.storage_failed, e.0),
                    true,
                    Some(NoticeAction::ExportAll),
                );
            }
        });
    }

    pub fn rename(&self, id: &str, name: String) {
        let name = name.trim().to_string();
        if name.is_empty() {
            return;
        }
        if let Some(mut r) = self
            .runs
            .with_untracked(|runs| runs.iter().find(|r| r.id == id).cloned())
        {
            r.name = name;
            self.save(r);
        }
    }

    pub fn delete(&self, id: &str) {
        self.runs.update(|runs| runs.retain(|r| r.id != id));
        self.compare.update(|c| c.retain(|x| x != id));
        if self.current.get_untracked().as_deref() == Some(id) {
            self.current
                .set(self.runs.with_untracked(|r| r.last().map(|r| r.id.clone())));
        }
        let (lab, id) = (*self, id.to_string());
        leptos::task::spawn_local(async move {
            if let Err(e) = storage::delete(&id).await {
                lab.notify(e.0, true);
            }
        });
    }

    pub fn clear_all(&self) {
        self.runs.set(vec![]);
        self.compare.set(vec![]);
        self.current.set(None);
        let lab = *self;
        leptos::task::spawn_local(async move {
            if let Err(e) = storage::clear().await {
                lab.notify(e.0, true);
            }
        });
    }

    /// Imports result files; each bad file is reported and skipped.
    pub fn import_files(self, files: Vec<web_sys::File>) {
        leptos::task::spawn_local(async move {
            for file in files {
                let name = file.name();
                let bytes = match dom::read_file(&file).await {
                    Ok(b) => b,
                    Err(e) => {
                        self.notify(format!("{name}: {e}"), true);
                        continue;
                    }
                };
                let id = format!("import-{:.0}-{}", dom::now_ms(), self.id());
                match session::import(&name, &bytes, id, dom::now_ms()) {
                    Ok(records) => {
                        for mut record in records {
                            // A run restored from an export replaces its
                            // own older copy, and keeps its name.
                            let known = self
                                .runs
                                .with_untracked(|r| r.iter().any(|x| x.id == record.id));
                            if !known {
                                record.name = self
                                    .runs
                                    .with_untracked(|r| session::unique_name(&record.name, r));
                            }
                            let id = record.id.clone();
                            self.save(record);
                            self.compare.update(|c| {
                                if !c.contains(&id) {
                                    c.push(id)
                                }
                            });
                        }
                    }
                    Err(e) => self.notify(e.to_string(), true),
                }
            }
        });
    }

    pub fn run_by_id(&self, id: &str) -> Option<RunRecord> {
        self.runs
            .with(|runs| runs.iter().find(|r| r.id == id).cloned())
    }
}

/// Hooks for tests and scripts (and a curious teacher in the developer
/// tools): `window.piedgeLab.crashWorker("panic" | "oom" | "hang")` breaks
/// the worker, to check that it is noticed, reported and replaced with
/// nothing lost; `setRunBudget(ms)` shortens the time before the lab offers
/// to stop a long run; `memoryMb()` is the page's wasm heap (the soak test);
/// `window.piedgeLab.lastRun()` gives the newest run's statistics (the peer
/// benchmark reads them).
fn expose_test_hooks(lab: Lab) {
    let hooks = js_sys::Object::new();
    let crash =
        wasm_bindgen::closure::Closure::<dyn Fn(Option<String>)>::new(|how: Option<String>| {
            let how = how
                .as_deref()
                .and_then(CrashKind::from_name)
                .unwrap_or(CrashKind::Panic);
            client::send(&ToWorker::Crash { how })
        });
    let _ = js_sys::Reflect::set(&hooks, &"crashWorker".into(), crash.as_ref());
    crash.forget();
    let budget = wasm_bindgen::closure::Closure::<dyn Fn(f64)>::new(|ms: f64| {
        RUN_BUDGET.with(|b| b.set(ms));
    });
    let _ = js_sys::Reflect::set(&hooks, &"setRunBudget".into(), budget.as_ref());
    budget.forget();
    let memory = wasm_bindgen::closure::Closure::<dyn Fn() -> f64>::new(
        piedge::lab::browser::wasm_memory_mb,
    );
    let _ = js_sys::Reflect::set(&hooks, &"memoryMb".into(), memory.as_ref());
    memory.forget();
    let last =
        wasm_bindgen::closure::Closure::<dyn Fn() -> wasm_bindgen::JsValue>::new(move || {
            let stats = lab.runs.with_untracked(|runs| {
                runs.iter()
                    .max_by(|a, b| a.created_ms.total_cmp(&b.created_ms))
                    .map(|r| r.report.statistics.clone())
            });
            stats
                .and_then(|s| serde_wasm_bindgen::to_value(&s).ok())
                .unwrap_or(wasm_bindgen::JsValue::NULL)
        });
    let _ = js_sys::Reflect::set(&hooks, &"lastRun".into(), last.as_ref());
    last.forget();
    let _ = js_sys::Reflect::set(&dom::window(), &"piedgeLab".into(), &hooks);
}

thread_local! {
    static RUN_BUDGET: std::cell::Cell<f64> = const { std::cell::Cell::new(RUN_BUDGET_MS) };
}

/// The wall-time budget for a run (tests shorten it).
fn run_budget_ms() -> f64 {
    RUN_BUDGET.with(|b| b.get())
}

/// What the page knows about the machine it runs on.
fn browser_system_info(env: Option<&WorkerEnv>) -> SystemInfo {
    let ua = dom::user_agent();
    let (browser, os) = piedge::lab::browser::describe_user_agent(&ua);
    let mut extra = std::collections::BTreeMap::new();
    extra.insert("browser".into(), browser.clone());
    extra.insert(
        "cross_origin_isolated".into(),
        dom::cross_origin_isolated().to_string(),
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
        cpu_count: dom::hardware_concurrency(),
        memory_gb: dom::device_memory_gb(),
        cpu_governor: None,
        piedge_version: piedge::VERSION.into(),
        runtime: format!("browser ({ua})"),
        extra,
        ..Default::default()
    }
}

fn embedded_lesson(lang: Lang) -> &'static str {
    match lang {
        Lang::Sv => include_str!("../../../lessons/sv.md"),
        Lang::En => include_str!("../../../lessons/en.md"),
    }
}

/// Identifies a chosen model in the worker's plan cache: every file's name
/// and a hash of its bytes, and the input shape it is loaded with.
fn file_key(name: &str, data: &ModelData) -> String {
    let mut key = format!(
        "file:{name}:{}:{:016x}",
        data.bytes.len(),
        fnv1a(&data.bytes)
    );
    for f in &data.files {
        key += &format!("+{}:{:016x}", f.name, fnv1a(&f.bytes));
    }
    if let Some(shape) = &data.input_shape {
        key += &format!("@{shape:?}");
    }
    key
}

/// FNV-1a, to tell two chosen files apart in the worker's plan cache.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The bundled models, for the model picker.
pub fn bundled_models() -> &'static [&'static str] {
    &BUNDLED_MODELS
}
