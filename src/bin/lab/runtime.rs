//! The page's runtime: it holds the lab's state in one signal, hands every
//! event to `LabState::update`, and carries out the effects that come back
//! (the worker, IndexedDB, file reads, downloads, history), feeding their
//! answers back as events. What the lab does is decided in
//! `piedge::lab::state`, natively tested; this file only does it.

use crate::client::{self, WorkerEvent};
use crate::{dom, server, storage};
use leptos::prelude::*;
use piedge::lab::protocol::{CrashKind, ToWorker};
use piedge::lab::state::{
    BrowserFacts, Effect as LabEffect, Event, FileMeta, LabState, Moment, StorageProblem,
};
use piedge::lab::{Lang, UrlState};
use std::cell::RefCell;

/// The lab as views see it: the state (read it with `with`) and the way to
/// change it (`send`). Copy, so every closure can hold it.
#[derive(Clone, Copy)]
pub struct Lab {
    state: RwSignal<LabState>,
    lang: Memo<Lang>,
    runs_revision: Memo<u64>,
}

thread_local! {
    /// Files the student picked, kept until the state asks to read them
    /// (a `web_sys::File` is a browser handle the state cannot hold).
    static PICKED_MODEL_FILES: RefCell<Vec<web_sys::File>> = const { RefCell::new(vec![]) };
    static PICKED_IMPORTS: RefCell<Vec<web_sys::File>> = const { RefCell::new(vec![]) };
}

impl Lab {
    /// The lab for this page, from its URL and browser. Call inside the
    /// reactive owner (the root component).
    pub fn new() -> Lab {
        let browser = BrowserFacts {
            user_agent: dom::user_agent(),
            cross_origin_isolated: dom::cross_origin_isolated(),
            secure_context: dom::secure_context(),
            protocol: dom::window().location().protocol().unwrap_or_default(),
            cores: dom::hardware_concurrency(),
            memory_gb: dom::device_memory_gb(),
        };
        let url = UrlState::parse(&dom::location_hash());
        let state = RwSignal::new(LabState::new(url, browser));
        Lab {
            state,
            lang: Memo::new(move |_| state.with(|s| s.lang())),
            runs_revision: Memo::new(move |_| state.with(|s| s.runs.revision())),
        }
    }

    /// Reads the state, tracked: the caller runs again when it changes.
    /// Views that build DOM should read through [`select`](Self::select),
    /// which passes a change on only when their part differs.
    pub fn with<R>(&self, f: impl FnOnce(&LabState) -> R) -> R {
        self.state.with(f)
    }

    /// Reads the state without tracking, for event handlers.
    pub fn with_untracked<R>(&self, f: impl FnOnce(&LabState) -> R) -> R {
        self.state.with_untracked(f)
    }

    /// A part of the state that notifies only when it changes.
    pub fn select<T>(&self, f: impl Fn(&LabState) -> T + Send + Sync + 'static) -> Memo<T>
    where
        T: PartialEq + Clone + Send + Sync + 'static,
    {
        let state = self.state;
        Memo::new(move |_| state.with(&f))
    }

    /// The language, tracked, changing only when the student switches.
    pub fn lang(&self) -> Lang {
        self.lang.get()
    }

    /// Tracks the kept runs (not their contents: a revision that changes
    /// with them), for views that list them.
    pub fn track_runs(&self) {
        self.runs_revision.track();
    }

    /// Hands an event to the state and carries out what it decides.
    pub fn send(self, event: Event) {
        let now = Moment {
            ms: dom::now_ms(),
            local: dom::local_timestamp(),
        };
        let effects = self
            .state
            .try_update(|s| s.update(now, event))
            .unwrap_or_default();
        for effect in effects {
            self.carry_out(effect);
        }
    }

    /// Model files picked or dropped: kept here, described to the state.
    pub fn pick_model_files(self, files: Vec<web_sys::File>) {
        let metas = metas(&files);
        PICKED_MODEL_FILES.with(|p| *p.borrow_mut() = files);
        self.send(Event::FilesChosen(metas));
    }

    /// Result files picked for import.
    pub fn pick_imports(self, files: Vec<web_sys::File>) {
        let names = metas(&files).into_iter().map(|m| m.name).collect();
        PICKED_IMPORTS.with(|p| *p.borrow_mut() = files);
        self.send(Event::ImportChosen(names));
    }

    /// Downloads a chart as PNG.
    pub fn download_canvas(self, canvas: &web_sys::HtmlCanvasElement, name: &str) {
        if let Err(e) = dom::download_canvas(canvas, name) {
            self.send(Event::Failed(e));
        }
    }

    /// Keeps the URL and the document's language in step with the state,
    /// and follows the URL when the student goes back or forward.
    pub fn follow_url(self) {
        let hash = self.select(|s| s.url.to_hash());
        Effect::new(move |_| {
            dom::replace_hash(&hash.get());
            if let Some(html) = dom::window().document().and_then(|d| d.document_element()) {
                let _ = html.set_attribute("lang", self.lang().code());
            }
        });
        let on_hash = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            self.send(Event::HashChanged(dom::location_hash()));
        });
        dom::window().set_onhashchange(Some(wasm_bindgen::JsCast::unchecked_ref(on_hash.as_ref())));
        on_hash.forget();
        // A hidden tab may be slowed down: the run going on is marked.
        if let Some(doc) = dom::window().document() {
            let watched = doc.clone();
            let on_visibility = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
                self.send(Event::PageHidden(watched.hidden()));
            });
            let _ = doc.add_event_listener_with_callback(
                "visibilitychange",
                wasm_bindgen::JsCast::unchecked_ref(on_visibility.as_ref()),
            );
            on_visibility.forget();
            self.send(Event::PageHidden(doc.hidden()));
        }
        // The class board fetches itself again every 750 ms while shown, so
        // that a new run is on it within 2 s, and a class-locked page asks it
        // whether the answers are released (the state ignores the tick
        // otherwise).
        let tick = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            // Only then: an event the state ignores would still wake every
            // view that reads it, four times a second, during a lesson.
            if self.with_untracked(|s| s.wants_board_ticks()) {
                self.send(Event::BoardTick);
            }
        });
        let _ = dom::window().set_interval_with_callback_and_timeout_and_arguments_0(
            wasm_bindgen::JsCast::unchecked_ref(tick.as_ref()),
            750,
        );
        tick.forget();
    }

    fn carry_out(self, effect: LabEffect) {
        match effect {
            LabEffect::StartWorker => client::start(move |event| self.on_worker(event)),
            LabEffect::RestartWorker => client::restart(),
            LabEffect::FetchLesson(lang) => spawn(async move {
                let text = match dom::fetch_text(&format!("lessons/{}.md", lang.code())).await {
                    Ok(t) => t,
                    // Opened without the lesson files: use the copy built in.
                    Err(_) => embedded_lesson(lang).to_string(),
                };
                self.send(Event::LessonText { lang, text });
            }),
            LabEffect::FetchGlossary => spawn(async move {
                let text = dom::fetch_text("lessons/glossary.md")
                    .await
                    .unwrap_or_else(|_| include_str!("../../../lessons/glossary.md").to_string());
                self.send(Event::GlossaryText(text));
            }),
            LabEffect::LoadStoredRuns => spawn(async move {
                let stored = storage::load_all().await;
                self.send(Event::StoredRuns(stored));
            }),
            // Sent from a task, as every answer is: never inside an update.
            LabEffect::LoadAnswers => spawn(async move {
                self.send(Event::StoredAnswers(storage::load_answers()));
            }),
            LabEffect::StoreAnswers(json) => {
                if let Err(e) = storage::store_answers(&json) {
                    spawn(async move { self.send(Event::StoreFailed(StorageProblem::Failed(e))) });
                }
            }
            LabEffect::LoadChecklist => spawn(async move {
                self.send(Event::StoredChecklist(storage::load_checklist()));
            }),
            LabEffect::StoreChecklist(json) => {
                if let Err(e) = storage::store_checklist(&json) {
                    spawn(async move { self.send(Event::StoreFailed(StorageProblem::Failed(e))) });
                }
            }
            LabEffect::Send(msg) => client::send(&msg),
            LabEffect::FetchModel { choice, name } => spawn(async move {
                let result = dom::fetch_bytes(&format!("models/{name}.onnx")).await;
                self.send(Event::ModelFetched {
                    choice,
                    name,
                    result,
                });
            }),
            LabEffect::ReadModelFiles { choice, names } => spawn(async move {
                if let Some(result) = read_picked(&PICKED_MODEL_FILES, &names).await {
                    self.send(Event::FilesRead { choice, result });
                }
            }),
            LabEffect::ReadImports(names) => spawn(async move {
                for name in names {
                    let one = std::slice::from_ref(&name);
                    if let Some(result) = read_picked(&PICKED_IMPORTS, one).await {
                        let result = result.map(|mut read| read.remove(0).1);
                        self.send(Event::ImportRead { name, result });
                    }
                }
            }),
            LabEffect::PutRun(record) => spawn(async move {
                if let Err(e) = storage::put(&record).await {
                    self.send(Event::StoreFailed(e));
                }
            }),
            LabEffect::DeleteRun(id) => spawn(async move {
                if let Err(e) = storage::delete(&id).await {
                    self.send(Event::StorageFailed(e));
                }
            }),
            LabEffect::ClearRuns => spawn(async move {
                if let Err(e) = storage::clear().await {
                    self.send(Event::StorageFailed(e));
                }
            }),
            LabEffect::Download { name, mime, bytes } => {
                if let Err(e) = dom::download(&name, mime, &bytes) {
                    self.send(Event::Failed(e));
                }
            }
            LabEffect::PushHash(hash) => dom::push_hash(&hash),
            LabEffect::FocusMain => dom::focus_main(),
            LabEffect::ConfirmClear(question) => {
                if dom::confirm(question) {
                    self.send(Event::ClearConfirmed);
                }
            }
            LabEffect::FetchMachine => spawn(async move {
                let answer = server::machine().await;
                self.send(Event::MachineAnswered(answer));
            }),
            LabEffect::SubmitNative(job) => spawn(async move {
                let answer = server::submit(&job).await;
                self.send(Event::NativeAccepted(answer));
            }),
            LabEffect::FollowNative(id) => server::follow(
                id,
                move |update| self.send(Event::NativeUpdate(update)),
                move |why| self.send(Event::NativeLost(why)),
            ),
            LabEffect::CancelNative(id) => spawn(async move {
                if let Err(e) = server::cancel(id).await {
                    self.send(Event::Failed(e));
                }
            }),
            LabEffect::FetchBoard { teacher } => spawn(async move {
                let answer = server::board(&teacher).await;
                self.send(Event::BoardAnswered(answer));
            }),
            LabEffect::ShareRun { run_id, body } => spawn(async move {
                let answer = server::share(&body).await;
                self.send(Event::Shared { run_id, answer });
            }),
            LabEffect::TeacherCall { code, action } => spawn(async move {
                let answer = server::teacher(&code, &action).await;
                self.send(Event::TeacherDone(answer));
            }),
            LabEffect::FetchGuide(path) => spawn(async move {
                let result = dom::fetch_text(path).await;
                let path = path.to_string();
                self.send(Event::GuideText { path, result });
            }),
        }
    }

    fn on_worker(self, event: WorkerEvent) {
        self.send(match event {
            WorkerEvent::Message(msg) => Event::Worker(msg),
            WorkerEvent::Crashed(message) => Event::WorkerCrashed(message),
            WorkerEvent::Hung { silent_ms } => Event::WorkerHung { silent_ms },
        });
    }

    /// Hooks for tests and scripts (and a curious teacher in the developer
    /// tools): `window.piedgeLab.crashWorker("panic" | "oom" | "hang")`
    /// breaks the worker, to check that it is noticed, reported and replaced
    /// with nothing lost; `setRunBudget(ms)` shortens the time before the lab
    /// offers to stop a long run; `memoryMb()` is the page's wasm heap (the
    /// soak test); `lastRun()` gives the newest run's statistics (the peer
    /// benchmark reads them).
    pub fn expose_test_hooks(self) {
        use wasm_bindgen::closure::Closure;
        let hooks = js_sys::Object::new();
        let set = |name: &str, f: &wasm_bindgen::JsValue| {
            let _ = js_sys::Reflect::set(&hooks, &name.into(), f);
        };
        let crash = Closure::<dyn Fn(Option<String>)>::new(|how: Option<String>| {
            let how = how
                .as_deref()
                .and_then(CrashKind::from_name)
                .unwrap_or(CrashKind::Panic);
            client::send(&ToWorker::Crash { how })
        });
        set("crashWorker", crash.as_ref());
        crash.forget();
        let budget = Closure::<dyn Fn(f64)>::new(move |ms: f64| self.send(Event::SetRunBudget(ms)));
        set("setRunBudget", budget.as_ref());
        budget.forget();
        let memory = Closure::<dyn Fn() -> f64>::new(piedge::lab::browser::wasm_memory_mb);
        set("memoryMb", memory.as_ref());
        memory.forget();
        let last = Closure::<dyn Fn() -> wasm_bindgen::JsValue>::new(move || {
            let stats = self.with_untracked(|s| {
                s.runs
                    .all()
                    .iter()
                    .max_by(|a, b| a.created_ms.total_cmp(&b.created_ms))
                    .map(|r| r.report.statistics.clone())
            });
            stats
                .and_then(|s| serde_wasm_bindgen::to_value(&s).ok())
                .unwrap_or(wasm_bindgen::JsValue::NULL)
        });
        set("lastRun", last.as_ref());
        last.forget();
        let _ = js_sys::Reflect::set(&dom::window(), &"piedgeLab".into(), &hooks);
    }
}

fn spawn(task: impl std::future::Future<Output = ()> + 'static) {
    leptos::task::spawn_local(task);
}

fn metas(files: &[web_sys::File]) -> Vec<FileMeta> {
    files
        .iter()
        .map(|f| FileMeta {
            name: f.name(),
            size: f.size() as u64,
        })
        .collect()
}

/// Reads the picked files with these names, in this order; the first that
/// cannot be read ends it with "name: why". `None` if a newer pick replaced
/// them: the state has moved on to that choice.
async fn read_picked(
    picked: &'static std::thread::LocalKey<RefCell<Vec<web_sys::File>>>,
    names: &[String],
) -> Option<Result<Vec<(String, Vec<u8>)>, String>> {
    let files: Vec<web_sys::File> = picked.with(|p| p.borrow().clone());
    let mut read = Vec::with_capacity(names.len());
    for name in names {
        let file = files.iter().find(|f| &f.name() == name)?;
        match dom::read_file(file).await {
            Ok(bytes) => read.push((name.clone(), bytes)),
            Err(e) => return Some(Err(format!("{name}: {e}"))),
        }
    }
    Some(Ok(read))
}

fn embedded_lesson(lang: Lang) -> &'static str {
    match lang {
        Lang::Sv => include_str!("../../../lessons/sv.md"),
        Lang::En => include_str!("../../../lessons/en.md"),
    }
}
