//! The lab's behaviour as event scripts: each case is a few lines of what
//! happens (a click, a worker message, a storage answer) and the effects and
//! state that must follow, written out by hand.
//!
//! A script line is one event (see `event_of`); `check` prints, under each
//! line, the effects that event produced (`-> ...`), and at the end the
//! state's parts that a student would see (`| ...`). The harness plays the
//! worker's part from what the state sent it: `loaded` answers the newest
//! load request, `finish` the live run.

use super::*;
use crate::bench::{Measurements, Phase};
use crate::card::{ModelCard, TensorInfo};
use crate::clock::TimerResolution;
use crate::lab::protocol::ModelFile;
use crate::plan::SelfCheck;
use crate::report::PipelineTimings;
use std::fmt::Write;

mod checklist;
mod explain;
mod glossary;
mod guide;
mod native;

/// Runs `script` on a fresh lab (English, default URL) and compares the
/// transcript with `expected`, ignoring the indentation of both.
fn check(script: &str, expected: &str) {
    let mut h = Harness::new();
    let mut out = String::new();
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let _ = writeln!(out, "{line}");
        for e in h.play(line) {
            let _ = writeln!(out, "  -> {}", describe(&e));
        }
    }
    out += &h.summary();
    let tidy = |s: &str| {
        s.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (got, want) = (tidy(&out), tidy(expected));
    assert!(
        got == want,
        "transcript differs.\n--- got:\n{got}\n--- expected:\n{want}\n"
    );
}

struct Harness {
    state: LabState,
    now: Moment,
    /// The newest load request the state sent, and its model key.
    last_load: Option<(u64, String)>,
    last_fetch: Option<(u64, String)>,
    last_read: Option<(u64, Vec<String>)>,
    /// File choices read earlier, to answer one late.
    earlier_reads: Vec<(u64, Vec<String>)>,
    last_self_check: Option<u64>,
}

impl Harness {
    fn new() -> Harness {
        let url = UrlState {
            lang: Lang::En,
            ..UrlState::default()
        };
        Harness {
            state: LabState::new(url, browser()),
            now: Moment {
                ms: 1000.0,
                local: "2026-12-01 10:00:00".into(),
            },
            last_load: None,
            last_fetch: None,
            last_read: None,
            earlier_reads: vec![],
            last_self_check: None,
        }
    }

    /// Hands one script line's event to the state, notes what it sent, and
    /// returns its effects.
    fn play(&mut self, line: &str) -> Vec<Effect> {
        // "at 2500 progress ..." plays the event at that page time (ms).
        let line = match line.strip_prefix("at ").and_then(|l| l.split_once(' ')) {
            Some((ms, rest)) => {
                self.now.ms = ms.parse().expect("a time in ms");
                rest
            }
            None => line,
        };
        let event = self.event_of(line);
        let effects = self.state.update(self.now.clone(), event);
        for e in &effects {
            self.remember(e);
        }
        effects
    }

    fn remember(&mut self, effect: &Effect) {
        match effect {
            Effect::Send(ToWorker::Load {
                request, model_key, ..
            }) => self.last_load = Some((*request, model_key.clone())),
            Effect::Send(ToWorker::SelfCheck { request, .. }) => {
                self.last_self_check = Some(*request)
            }
            Effect::FetchModel { choice, name } => self.last_fetch = Some((*choice, name.clone())),
            Effect::ReadModelFiles { choice, names } => {
                if let Some(old) = self.last_read.replace((*choice, names.clone())) {
                    self.earlier_reads.push(old);
                }
            }
            _ => {}
        }
    }

    fn live_request(&self) -> u64 {
        self.state.live.as_ref().expect("a live run").request
    }

    /// The event a script line stands for.
    fn event_of(&mut self, line: &str) -> Event {
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        let args: Vec<&str> = rest.split_whitespace().collect();
        match word {
            "boot" => Event::Boot,
            "lesson" => Event::LessonText {
                lang: Lang::En,
                text: rest.replace("\\n", "\n"),
            },
            "stored" => Event::StoredRuns(Ok(args.iter().map(|n| stored_run(n)).collect())),
            "stored-failed" => Event::StoredRuns(Err(StorageProblem::Failed(rest.into()))),
            "no-storage" => Event::StoredRuns(Err(StorageProblem::Unavailable)),
            "store-failed" => Event::StoreFailed(StorageProblem::Failed(rest.into())),
            "delete-failed" => Event::StorageFailed(StorageProblem::Failed(rest.into())),
            "hash" => Event::HashChanged(rest.into()),
            "lang" => Event::SetLang(Lang::from_code(rest).unwrap()),
            "step" => Event::GoToStep(rest.parse().unwrap()),
            "dismiss" => Event::DismissNotice(self.state.notices[0].id),
            "choose" => Event::ChooseBundled(rest.into()),
            "ready" => Event::Worker(FromWorker::Ready { env: env() }),
            "fetched" | "fetch-failed" => {
                let (choice, name) = self.last_fetch.clone().expect("a fetch");
                let result = match word {
                    "fetched" => Ok(format!("onnx:{name}").into_bytes()),
                    _ => Err(rest.into()),
                };
                Event::ModelFetched {
                    choice,
                    name,
                    result,
                }
            }
            "pick" => Event::FilesChosen(
                args.iter()
                    .map(|a| {
                        let (name, size) = a.split_once(':').unwrap_or((a, "1000"));
                        FileMeta {
                            name: name.into(),
                            size: size.parse().unwrap(),
                        }
                    })
                    .collect(),
            ),
            "read" | "read-failed" | "read-late" => {
                let (choice, names) = match word {
                    "read-late" => self.earlier_reads.last().cloned(),
                    _ => self.last_read.clone(),
                }
                .expect("a file read");
                let result = match word {
                    "read-failed" => Err(rest.into()),
                    _ => Ok(names
                        .into_iter()
                        .map(|n| (n.clone(), n.into_bytes()))
                        .collect()),
                };
                Event::FilesRead { choice, result }
            }
            "shape" => Event::SetInputShape(rest.into()),
            "reload" => Event::ReloadWithShape,
            "warmup" => Event::SetField(Field::Warmup, rest.into()),
            "runs" => Event::SetField(Field::Runs, rest.into()),
            "plan" => Event::SetPlan(Plan::from_name(rest).unwrap()),
            "loaded" => {
                let (request, model_key) = self.last_load.clone().expect("a load");
                Event::Worker(FromWorker::Loaded {
                    request,
                    model_key,
                    card: card("model.onnx"),
                    pipeline: pipeline(),
                    nodes_analysed: 40,
                    nodes_planned: 30,
                    cached: false,
                })
            }
            "load-failed" => {
                let (request, _) = self.last_load.clone().expect("a load");
                Event::Worker(failed(request, rest))
            }
            "run" => Event::Run,
            "series" => Event::RunSeries(match rest {
                "runs" => Series::Runs,
                _ => Series::Warmup,
            }),
            "cold" => Event::ColdStart,
            "hidden" => Event::PageHidden(true),
            "shown" => Event::PageHidden(false),
            "measure" => Event::Measure(rest.into()),
            "predict" => {
                let (question, text) = rest.split_once(' ').unwrap_or((rest, ""));
                Event::SetPrediction {
                    question: question.into(),
                    text: text.into(),
                }
            }
            "reveal" => Event::Reveal(rest.into()),
            "explain" => {
                let (question, text) = rest.split_once(' ').unwrap_or((rest, ""));
                Event::SetExplanation {
                    question: question.into(),
                    text: text.into(),
                }
            }
            "name" => Event::SetStudentName(rest.into()),
            "class" => Event::SetStudentClass(rest.into()),
            "experiment" => {
                let (field, text) = rest.split_once(' ').unwrap_or((rest, ""));
                let field = match field {
                    "question" => ExperimentField::Question,
                    "prediction" => ExperimentField::Prediction,
                    _ => ExperimentField::Conclusion,
                };
                Event::SetExperiment(field, text.into())
            }
            "run-experiment" => Event::RunExperiment,
            "progress" => {
                let (phase, values) = args.split_first().expect("a phase");
                let new_latencies: Vec<f64> = values.iter().map(|v| v.parse().unwrap()).collect();
                let live = self.state.live.as_ref().expect("a live run");
                let phase = match *phase {
                    "warmup" => Phase::Warmup,
                    _ => Phase::Timed,
                };
                let (before, total) = match phase {
                    Phase::Warmup => (live.warmup_ms.len(), live.job.warmup),
                    Phase::Timed => (live.latencies_ms.len(), live.job.runs),
                };
                Event::Worker(FromWorker::Progress {
                    request: live.request,
                    phase,
                    done: before + new_latencies.len(),
                    total,
                    new_latencies,
                    inferences_per_sample: 1,
                })
            }
            "finish" | "finish-cancelled" => {
                let live = self.state.live.as_ref().expect("a live run");
                // What the worker measured: what it streamed, or 1, 2, 3 ... ms.
                let filled = |streamed: &[f64], n: usize| {
                    if streamed.is_empty() {
                        (1..=n).map(|i| i as f64).collect()
                    } else {
                        streamed.to_vec()
                    }
                };
                let cancelled = word == "finish-cancelled";
                Event::Worker(FromWorker::Finished {
                    request: live.request,
                    measurements: Measurements {
                        warmup_ms: filled(&live.warmup_ms, live.job.warmup),
                        latencies_ms: if cancelled {
                            live.latencies_ms.clone()
                        } else {
                            filled(&live.latencies_ms, live.job.runs)
                        },
                        cancelled,
                    },
                    timer: env().timer,
                    // "finish 7": the worker timed 7 inferences per sample.
                    inferences_per_sample: args
                        .first()
                        .map_or(live.inferences_per_sample, |k| k.parse().unwrap()),
                    pipeline: pipeline(),
                })
            }
            "run-failed" => Event::Worker(failed(self.live_request(), rest)),
            "crash" => Event::WorkerCrashed(rest.into()),
            "hang" => Event::WorkerHung {
                silent_ms: rest.parse().unwrap(),
            },
            "cancel" => Event::Cancel,
            "keep-going" => Event::KeepGoing,
            "budget" => Event::SetRunBudget(rest.parse().unwrap()),
            "at" => {
                self.now.ms = rest.parse().unwrap();
                Event::SetProjector(self.state.projector)
            }
            "self-check" => Event::SelfCheck,
            "self-checked" => Event::Worker(FromWorker::SelfChecked {
                request: self.last_self_check.expect("a self-check"),
                result: Ok(SelfCheck {
                    depthwise_cases: 40,
                    ..SelfCheck::default()
                }),
            }),
            "show" => Event::ShowRun(self.run_id(rest)),
            "compare" => Event::SetCompared {
                id: self.run_id(args[0]),
                on: args[1] == "on",
            },
            "rename" => {
                let (which, name) = rest.split_once(' ').unwrap_or((rest, ""));
                Event::Rename {
                    id: self.run_id(which),
                    name: name.into(),
                }
            }
            "delete" => Event::Delete(self.run_id(rest)),
            "clear" => Event::ClearAll,
            "confirm" => Event::ClearConfirmed,
            "import" => {
                let (name, text) = rest.split_once(' ').unwrap_or((rest, ""));
                Event::ImportRead {
                    name: name.into(),
                    result: Ok(text.replace("\\n", "\n").into_bytes()),
                }
            }
            "import-chosen" => Event::ImportChosen(args.iter().map(|s| s.to_string()).collect()),
            "export-all" => Event::ExportAll,
            "export" => Event::ExportReport {
                id: self.run_id(args[0]),
                file: match args[1] {
                    "csv" => ReportFile::LatencyCsv,
                    "summary" => ReportFile::Summary,
                    _ => ReportFile::Results,
                },
            },
            "failed" => Event::Failed(rest.into()),
            word if word.contains("native") || word.contains("machine") => {
                native::event_of(word, &args)
            }
            word if word.contains("guide") => guide::event_of(word, &args),
            word if word.contains("check") => checklist::event_of(word, &args),
            other => panic!("unknown script word '{other}'"),
        }
    }

    /// `#2` is the second kept run, oldest first.
    fn run_id(&self, which: &str) -> String {
        let n: usize = which.trim_start_matches('#').parse().unwrap();
        self.state.runs.all()[n - 1].id.clone()
    }

    /// The state's visible parts, a line each.
    fn summary(&self) -> String {
        let s = &self.state;
        let mut out = String::new();
        let model = s.model.as_ref().map_or("-".to_string(), |m| {
            let plans: Vec<_> = m.loaded_plans.iter().map(|p| p.name()).collect();
            format!("{} ({})", m.name, plans.join(", "))
        });
        let _ = writeln!(out, "| model: {model}");
        if let Some(p) = &s.pending {
            let _ = writeln!(out, "| pending: {}", p.name);
        }
        if let Some(l) = &s.live {
            let _ = writeln!(
                out,
                "| live: #{} {:?} {}/{}, {} warmup + {} timed{}",
                l.request,
                l.phase,
                l.done,
                l.total,
                l.warmup_ms.len(),
                l.latencies_ms.len(),
                if l.cancelling { ", cancelling" } else { "" }
            );
        }
        if !s.queue.is_empty() {
            let jobs: Vec<_> = s
                .queue
                .iter()
                .map(|j| {
                    let k = j.per_sample.map_or(String::new(), |k| format!("×{k}"));
                    format!("{}/{}{k}", j.warmup, j.runs)
                })
                .collect();
            let _ = writeln!(out, "| queue: {}", jobs.join(", "));
        }
        for (i, r) in s.runs.all().iter().enumerate() {
            let st = &r.report.statistics;
            let mut marks = vec![];
            if s.current.as_deref() == Some(r.id.as_str()) {
                marks.push("shown");
            }
            if s.compare.contains(&r.id) {
                marks.push("compared");
            }
            if s.cold_run.as_deref() == Some(r.id.as_str()) {
                marks.push("cold");
            }
            if s.finished.as_deref() == Some(r.id.as_str()) {
                marks.push("finished");
            }
            let marks = if marks.is_empty() {
                String::new()
            } else {
                format!(" · {}", marks.join(" "))
            };
            let _ = writeln!(
                out,
                "| run #{}: {} · n {} · p50 {}{}{marks}",
                i + 1,
                r.name,
                st.n,
                st.p50,
                match r.report.benchmark_config.inferences_per_sample {
                    1 => String::new(),
                    k => format!(" ×{k}"),
                },
            );
        }
        let mut questions: Vec<_> = s.questions.iter().collect();
        questions.sort_by_key(|(k, _)| k.as_str());
        for (id, q) in questions {
            let _ = writeln!(
                out,
                "| question {id}: {} runs{}{}{}{}{}{}{}",
                q.runs.len(),
                if q.measured { ", measured" } else { "" },
                if is_explanation(&q.explanation) {
                    ", explained"
                } else {
                    ""
                },
                if s.can_reveal(id) { ", can reveal" } else { "" },
                if q.revealed { ", revealed" } else { "" },
                if q.revealed && q.revealed_before_explaining {
                    " before explaining"
                } else {
                    ""
                },
                s.outcome(id).map_or(String::new(), |o| format!(
                    " · predicted {:.3} measured {:.3}",
                    o.predicted, o.measured
                )),
                s.tail_hidden(id).map_or(String::new(), |t| format!(
                    " · tail hidden ×{} ({})",
                    t.inferences_per_sample,
                    t.context.map_or("?", |c| c.key())
                )),
            );
        }
        if s.student != Student::default() {
            let _ = writeln!(out, "| student: {} ({})", s.student.name, s.student.class);
        }
        if s.experiment != Experiment::default() {
            let e = &s.experiment;
            let _ = writeln!(
                out,
                "| experiment: {} runs · {:?} · {:?} · {:?}",
                e.runs.len(),
                e.question,
                e.prediction,
                e.conclusion
            );
        }
        if s.self_check != SelfCheckState::NotRun {
            let _ = writeln!(out, "| self-check: {:?}", s.self_check);
        }
        if let Some(line) = native::summary(s) {
            let _ = writeln!(out, "| native: {line}");
        }
        if let Some(line) = guide::summary(s) {
            let _ = writeln!(out, "| guide: {line}");
        }
        if let Some(line) = checklist::summary(s) {
            let _ = writeln!(out, "| checklist: {line}");
        }
        for n in &s.notices {
            let text: String = n.text.chars().take(72).collect();
            let _ = writeln!(
                out,
                "| {}: {text}{}{}",
                if n.is_error { "error" } else { "note" },
                if n.detail.is_some() { " [detail]" } else { "" },
                if n.action.is_some() {
                    " [export all]"
                } else {
                    ""
                },
            );
        }
        out
    }
}

/// An effect as a transcript line.
fn describe(e: &Effect) -> String {
    match e {
        Effect::StartWorker => "start worker".into(),
        Effect::RestartWorker => "restart worker".into(),
        Effect::FetchLesson(l) => format!("fetch lesson {}", l.code()),
        Effect::FetchGlossary => "fetch glossary".into(),
        Effect::LoadStoredRuns => "load stored runs".into(),
        Effect::LoadAnswers => "load answers".into(),
        Effect::StoreAnswers(_) => "store answers".into(),
        Effect::Send(ToWorker::Load {
            request,
            name,
            files,
            input_shape,
            plan,
            ..
        }) => {
            let mut s = format!("send load #{request} {name}");
            for f in files {
                s += &format!(" + {}", f.name);
            }
            if let Some(shape) = input_shape {
                s += &format!(" @{shape:?}");
            }
            format!("{s} {}", plan.name())
        }
        Effect::Send(ToWorker::Run {
            request,
            warmup,
            runs,
            seed,
            plan,
            inferences_per_sample,
            ..
        }) => format!(
            "send run #{request} warmup {warmup} runs {runs} seed {seed} {}{}",
            plan.name(),
            inferences_per_sample.map_or(String::new(), |k| format!(" ×{k}"))
        ),
        Effect::Send(ToWorker::Cancel { request }) => format!("send cancel #{request}"),
        Effect::Send(ToWorker::SelfCheck { request, cases, .. }) => {
            format!("send self-check #{request} ({cases} cases)")
        }
        Effect::Send(ToWorker::Crash { how }) => format!("send crash {how:?}"),
        Effect::FetchModel { choice, name } => format!("fetch model {name} (choice {choice})"),
        Effect::ReadModelFiles { choice, names } => {
            format!("read files {} (choice {choice})", names.join(", "))
        }
        Effect::ReadImports(names) => format!("read imports {}", names.join(", ")),
        Effect::PutRun(r) => format!("store run {}", r.name),
        Effect::DeleteRun(id) => format!("delete stored {id}"),
        Effect::ClearRuns => "clear storage".into(),
        Effect::Download { name, mime, bytes } => {
            let start: String = String::from_utf8_lossy(bytes).chars().take(32).collect();
            format!("download {name} ({mime}): {}", start.replace('\n', "\\n"))
        }
        Effect::PushHash(h) => format!("push {h}"),
        Effect::FocusMain => "focus main".into(),
        Effect::ConfirmClear(q) => format!("confirm \"{q}\""),
        Effect::FetchMachine => "fetch machine".into(),
        Effect::SubmitNative(j) => format!(
            "submit native {} warmup {} runs {} seed {} {}",
            j.model,
            j.warmup,
            j.runs,
            j.seed,
            j.plan.name()
        ),
        Effect::FollowNative(id) => format!("follow native {id}"),
        Effect::CancelNative(id) => format!("cancel native {id}"),
        Effect::FetchBoard { teacher } => format!("fetch board (teacher {teacher:?})"),
        Effect::ShareRun { run_id, body } => format!("share {run_id} ({} bytes)", body.len()),
        Effect::TeacherCall { code, action } => format!("teacher {code}: {action:?}"),
        Effect::LoadChecklist => "load checklist".into(),
        Effect::StoreChecklist(json) => format!("store checklist {json}"),
        Effect::FetchGuide(path) => format!("fetch guide {path}"),
    }
}

fn browser() -> BrowserFacts {
    BrowserFacts {
        user_agent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36".into(),
        cross_origin_isolated: true,
        secure_context: true,
        protocol: "http:".into(),
        cores: Some(4),
        memory_gb: Some(8.0),
    }
}

fn env() -> WorkerEnv {
    WorkerEnv {
        timer: TimerResolution {
            clock: "performance.now()".into(),
            min_step_ms: 0.005,
            median_step_ms: 0.005,
            samples: 25,
        },
        cross_origin_isolated: true,
        simd: true,
        engine_version: "0.23.9".into(),
    }
}

fn pipeline() -> PipelineTimings {
    PipelineTimings {
        load_ms: 5.0,
        optimise_ms: 7.0,
        make_runnable_ms: 1.0,
    }
}

fn card(name: &str) -> ModelCard {
    let tensor = |name: &str, shape: &[&str]| TensorInfo {
        name: name.into(),
        element_type: "float32".into(),
        shape: shape.iter().map(|s| s.to_string()).collect(),
    };
    ModelCard {
        name: name.into(),
        size_bytes: 1000,
        producer: "pytorch".into(),
        ir_version: 8,
        opset: 17,
        inputs: vec![tensor("input", &["1", "3", "32", "32"])],
        outputs: vec![tensor("logits", &["1", "10"])],
        fixed_input_shape: vec![1, 3, 32, 32],
        node_count: 40,
        op_histogram: Default::default(),
        parameters: 1234,
        macs: 5678,
    }
}

fn failed(request: u64, message: &str) -> FromWorker {
    FromWorker::Failed {
        request,
        message: message.into(),
        detail: Some("tract: inference rule failed".into()),
        error: None,
    }
}

/// A run as storage hands it back, imported from a CSV of 1, 2, 3 ms.
fn stored_run(id: &str) -> RunRecord {
    let csv = crate::report::latency_csv(&[1.0, 2.0, 3.0]);
    let mut r = session::import("stored.csv", &csv, id.into(), 10.0)
        .unwrap()
        .remove(0);
    r.name = id.into();
    r
}

/// A started lab with the default model active.
const READY: &str = "boot\nready\nfetched\nloaded";

fn with_ready(rest: &str) -> String {
    format!("{READY}\n{rest}")
}

const READY_LINES: &str = "
    boot
      -> start worker
      -> fetch lesson sv
      -> fetch lesson en
      -> fetch glossary
      -> load stored runs
           -> load answers
      -> fetch machine
    ready
      -> fetch model mobilenetv2 (choice 1)
    fetched
      -> send load #2 mobilenetv2.onnx optimized
    loaded";

fn after_ready(rest: &str) -> String {
    format!("{READY_LINES}\n{rest}")
}

// --- Starting, and the model ------------------------------------------------

#[test]
fn the_default_model_loads_once_the_worker_is_ready() {
    check(READY, &after_ready("| model: mobilenetv2.onnx (optimized)"));
}

#[test]
fn a_model_picked_while_the_worker_starts_wins_over_the_default() {
    check(
        "boot\npick mine.onnx\nread\nready\nloaded",
        "boot
           -> start worker
           -> fetch lesson sv
           -> fetch lesson en
           -> fetch glossary
           -> load stored runs
           -> load answers
           -> fetch machine
         pick mine.onnx
           -> read files mine.onnx (choice 1)
         read
           -> send load #2 mine.onnx optimized
         ready
         loaded
         | model: mine.onnx (optimized)",
    );
}

#[test]
fn a_bad_file_does_not_replace_the_active_model() {
    check(
        &with_ready("pick broken.onnx\nread\nload-failed broken.onnx is not an ONNX model"),
        &after_ready(
            "pick broken.onnx
               -> read files broken.onnx (choice 3)
             read
               -> send load #4 broken.onnx optimized
             load-failed broken.onnx is not an ONNX model
             | model: mobilenetv2.onnx (optimized)
             | error: broken.onnx is not an ONNX model [detail]",
        ),
    );
}

#[test]
fn a_model_and_its_weights_go_to_the_worker_together() {
    check(
        &with_ready("pick net.onnx.data:900 net.onnx:100\nread\nloaded"),
        &after_ready(
            "pick net.onnx.data:900 net.onnx:100
               -> read files net.onnx, net.onnx.data (choice 3)
             read
               -> send load #4 net.onnx + net.onnx.data optimized
             loaded
             | model: net.onnx (optimized)",
        ),
    );
}

#[test]
fn files_without_a_model_or_with_two_are_refused_before_reading() {
    check(
        &with_ready("pick weights.data\npick a.onnx b.onnx"),
        &after_ready(
            "pick weights.data
             pick a.onnx b.onnx
             | model: mobilenetv2.onnx (optimized)
             | error: weights.data: none of these is an .onnx model; choose the model's .onnx
             | error: Choose one .onnx model at a time (with its .data file, if it has one).",
        ),
    );
}

#[test]
fn a_model_over_the_size_limit_is_refused_before_reading() {
    check(
        &with_ready("pick huge.onnx:200000000 huge.onnx.data:100000000"),
        &after_ready(
            "pick huge.onnx:200000000 huge.onnx.data:100000000
             | model: mobilenetv2.onnx (optimized)
             | error: huge.onnx + huge.onnx.data is 286 MB, over the lab's 256 MB limit for a",
        ),
    );
}

#[test]
fn a_newer_choice_wins_over_a_slower_earlier_read() {
    check(
        &with_ready("pick slow.onnx\npick fast.onnx\nread\nread-late\nloaded"),
        &after_ready(
            "pick slow.onnx
               -> read files slow.onnx (choice 3)
             pick fast.onnx
               -> read files fast.onnx (choice 4)
             read
               -> send load #5 fast.onnx optimized
             read-late
             loaded
             | model: fast.onnx (optimized)",
        ),
    );
}

#[test]
fn an_unreadable_file_is_reported_and_the_model_stays() {
    check(
        &with_ready("pick mine.onnx\nread-failed mine.onnx: NotReadableError"),
        &after_ready(
            "pick mine.onnx
               -> read files mine.onnx (choice 3)
             read-failed mine.onnx: NotReadableError
             | model: mobilenetv2.onnx (optimized)
             | error: mine.onnx: NotReadableError",
        ),
    );
}

#[test]
fn a_typed_input_shape_goes_with_the_file_and_reload_uses_a_new_one() {
    check(
        &with_ready(
            "shape 1,3,64,64\npick dyn.onnx\nread\nloaded\nshape 1,3,96,96\nreload\nloaded",
        ),
        &after_ready(
            "shape 1,3,64,64
             pick dyn.onnx
               -> read files dyn.onnx (choice 3)
             read
               -> send load #4 dyn.onnx @[1, 3, 64, 64] optimized
             loaded
             shape 1,3,96,96
             reload
               -> send load #6 dyn.onnx @[1, 3, 96, 96] optimized
             loaded
             | model: dyn.onnx (optimized)",
        ),
    );
}

#[test]
fn a_shape_that_is_not_one_stops_the_pick_and_says_why() {
    check(
        &with_ready("shape 1,x\npick dyn.onnx\nreload"),
        &after_ready(
            "shape 1,x
             pick dyn.onnx
             reload
             | model: mobilenetv2.onnx (optimized)
             | error: Input shape: '1,x' is not a shape like 1,3,224,224
             | error: Choose your own .onnx file first; the shape applies to it.",
        ),
    );
}

#[test]
fn choosing_the_active_bundled_model_again_fetches_nothing() {
    check(
        &with_ready("choose mobilenetv2\nchoose tinycnn\nfetched\nloaded"),
        &after_ready(
            "choose mobilenetv2
             choose tinycnn
               -> fetch model tinycnn (choice 3)
             fetched
               -> send load #4 tinycnn.onnx optimized
             loaded
             | model: tinycnn.onnx (optimized)",
        ),
    );
}

#[test]
fn a_failed_model_fetch_is_reported() {
    check(
        "boot\nready\nfetch-failed HTTP 404",
        "boot
           -> start worker
           -> fetch lesson sv
           -> fetch lesson en
           -> fetch glossary
           -> load stored runs
           -> load answers
           -> fetch machine
         ready
           -> fetch model mobilenetv2 (choice 1)
         fetch-failed HTTP 404
         | model: -
         | error: mobilenetv2.onnx: HTTP 404",
    );
}

#[test]
fn going_back_to_a_url_with_another_model_loads_it() {
    check(
        &with_ready("hash #step=2&lang=en&model=tinycnn\nhash #step=2&lang=en&model=tinycnn"),
        &after_ready(
            "hash #step=2&lang=en&model=tinycnn
               -> fetch model tinycnn (choice 3)
             hash #step=2&lang=en&model=tinycnn
             | model: mobilenetv2.onnx (optimized)",
        ),
    );
}

// --- Runs ----------------------------------------------------------------

#[test]
fn a_run_streams_and_is_kept_shown_and_stored() {
    check(
        &with_ready("warmup 1\nruns 3\nrun\nprogress warmup 9\nprogress timed 2 1 3\nfinish"),
        &after_ready(
            "warmup 1
             runs 3
             run
               -> send run #3 warmup 1 runs 3 seed 0 optimized
             progress warmup 9
             progress timed 2 1 3
             finish
               -> store run mobilenetv2 · warmup 1 · runs 3
             | model: mobilenetv2.onnx (optimized)
             | run #1: mobilenetv2 · warmup 1 · runs 3 · n 3 · p50 2 · shown finished",
        ),
    );
}

#[test]
fn progress_is_followed_live() {
    check(
        &with_ready("warmup 2\nruns 4\nrun\nprogress warmup 9 8\nprogress timed 1 2"),
        &after_ready(
            "warmup 2
             runs 4
             run
               -> send run #3 warmup 2 runs 4 seed 0 optimized
             progress warmup 9 8
             progress timed 1 2
             | model: mobilenetv2.onnx (optimized)
             | live: #3 Timed 2/4, 2 warmup + 2 timed",
        ),
    );
}

#[test]
fn a_run_with_invalid_settings_does_not_start() {
    check(
        &with_ready("runs 0\nrun\nruns 2000000\nrun"),
        &after_ready(
            "runs 0
             run
             runs 2000000
             run
             | model: mobilenetv2.onnx (optimized)",
        ),
    );
}

#[test]
fn runs_above_the_cap_warn_between_warn_and_max() {
    let mut h = Harness::new();
    h.state
        .update(h.now.clone(), Event::SetField(Field::Runs, "200000".into()));
    assert_eq!(h.state.url.config.many_runs(), Some(200_000));
    assert!(h.state.valid_config().is_some(), "200 000 runs warns, runs");
    h.state.update(
        h.now.clone(),
        Event::SetField(Field::Runs, "1000001".into()),
    );
    assert!(h.state.valid_config().is_none(), "above the cap refuses");
}

#[test]
fn a_run_asked_for_before_any_model_says_the_model_is_loading() {
    check(
        "boot\nrun",
        "boot
           -> start worker
           -> fetch lesson sv
           -> fetch lesson en
           -> fetch glossary
           -> load stored runs
           -> load answers
           -> fetch machine
         run
         | model: -
         | error: Loading and optimising the model …",
    );
}

#[test]
fn the_unoptimised_plan_is_loaded_before_its_first_run() {
    check(
        &with_ready("plan unoptimized\nrun\nloaded\nfinish\nrun"),
        &after_ready(
            "plan unoptimized
             run
               -> send load #3 mobilenetv2.onnx unoptimized
               -> send run #4 warmup 3 runs 10 seed 0 unoptimized
             loaded
             finish
               -> store run mobilenetv2 · warmup 3 · runs 10
             run
               -> send run #5 warmup 3 runs 10 seed 0 unoptimized
             | model: mobilenetv2.onnx (optimized, unoptimized)
             | live: #5 Warmup 0/3, 0 warmup + 0 timed
             | run #1: mobilenetv2 · warmup 3 · runs 10 · n 10 · p50 5.5 · shown",
        ),
    );
}

#[test]
fn cancel_keeps_what_was_measured_and_empties_the_queue() {
    check(
        &with_ready("series warmup\nfinish\nprogress timed 4 5\ncancel\nfinish-cancelled"),
        &after_ready(
            "series warmup
               -> send run #3 warmup 5 runs 1 seed 0 optimized
             finish
               -> restart worker
               -> send load #4 mobilenetv2.onnx optimized
               -> send run #5 warmup 0 runs 50 seed 0 optimized ×1
             progress timed 4 5
             cancel
               -> send cancel #5
             finish-cancelled
               -> store run mobilenetv2 · warmup 0 · runs 50 (cancelled)
               -> store answers
             | model: mobilenetv2.onnx ()
             | run #1: mobilenetv2 · warmup 0 · runs 50 (cancelled) · n 2 · p50 4.5 · shown compared
             | experiment: 1 runs · \"\" · \"\" · \"\"",
        ),
    );
}

#[test]
fn a_run_cancelled_before_any_timed_latency_keeps_nothing() {
    check(
        &with_ready("run\ncancel\nfinish-cancelled"),
        &after_ready(
            "run
               -> send run #3 warmup 3 runs 10 seed 0 optimized
             cancel
               -> send cancel #3
             finish-cancelled
             | model: mobilenetv2.onnx (optimized)
             | note: Cancelled – only the runs that finished are shown.",
        ),
    );
}

#[test]
fn a_crash_mid_run_keeps_the_streamed_latencies() {
    check(
        &with_ready("run\nprogress timed 3 4 5\ncrash RuntimeError: unreachable"),
        &after_ready(
            "run
               -> send run #3 warmup 3 runs 10 seed 0 optimized
             progress timed 3 4 5
             crash RuntimeError: unreachable
               -> store run mobilenetv2 · warmup 3 · runs 10 (cancelled)
             | model: mobilenetv2.onnx ()
             | run #1: mobilenetv2 · warmup 3 · runs 10 (cancelled) · n 3 · p50 4 · shown finished
             | error: The computation thread crashed and was restarted. Your earlier results a",
        ),
    );
}

#[test]
fn after_a_crash_the_next_run_sends_the_model_again() {
    check(
        &with_ready("crash out of memory\nrun"),
        &after_ready(
            "crash out of memory
             run
               -> send load #4 mobilenetv2.onnx optimized
               -> send run #5 warmup 3 runs 10 seed 0 optimized
             | model: mobilenetv2.onnx ()
             | live: #5 Warmup 0/3, 0 warmup + 0 timed
             | error: The computation thread crashed and was restarted. Your earlier results a",
        ),
    );
}

#[test]
fn a_crash_while_a_file_loads_blames_the_file_and_keeps_the_model() {
    check(
        &with_ready("pick evil.onnx\nread\ncrash unreachable"),
        &after_ready(
            "pick evil.onnx
               -> read files evil.onnx (choice 3)
             read
               -> send load #4 evil.onnx optimized
             crash unreachable
             | model: mobilenetv2.onnx ()
             | error: evil.onnx: tract crashed while reading the file, so it is probably damag",
        ),
    );
}

#[test]
fn a_crash_before_anything_loaded_lets_the_new_worker_load_the_default() {
    check(
        "boot\nready\ncrash unreachable\nready",
        "boot
           -> start worker
           -> fetch lesson sv
           -> fetch lesson en
           -> fetch glossary
           -> load stored runs
           -> load answers
           -> fetch machine
         ready
           -> fetch model mobilenetv2 (choice 1)
         crash unreachable
         ready
           -> fetch model mobilenetv2 (choice 3)
         | model: -
         | error: The computation thread crashed and was restarted. Your earlier results a",
    );
}

#[test]
fn a_hung_worker_is_reported_with_how_long_it_was_silent() {
    check(
        &with_ready("run\nhang 874"),
        &after_ready(
            "run
               -> send run #3 warmup 3 runs 10 seed 0 optimized
             hang 874
             | model: mobilenetv2.onnx ()
             | error: The computation thread stopped answering (a model that never finishes, o",
        ),
    );
}

#[test]
fn a_run_the_worker_refuses_ends_the_queue_with_its_error() {
    check(
        &with_ready("series runs\nrun-failed input too large"),
        &after_ready(
            "series runs
               -> send run #3 warmup 5 runs 1 seed 0 optimized
             run-failed input too large
             | model: mobilenetv2.onnx (optimized)
             | error: input too large [detail]",
        ),
    );
}

#[test]
fn a_long_run_offers_to_stop_and_keep_going_gives_more_time() {
    let mut h = Harness::new();
    for line in READY.lines().chain(["budget 1000", "run"]) {
        h.play(line);
    }
    let live = h.state.live.clone().unwrap();
    assert_eq!(live.over_budget(1900.0), None);
    assert_eq!(live.over_budget(2500.0), Some(1.5));
    h.now.ms = 2500.0;
    h.state.update(h.now.clone(), Event::KeepGoing);
    let live = h.state.live.clone().unwrap();
    assert_eq!(live.over_budget(3400.0), None, "another 1000 ms from now");
    assert_eq!(live.over_budget(3600.0), Some(2.6));
    h.state.update(h.now.clone(), Event::Cancel);
    assert_eq!(h.state.live.as_ref().unwrap().over_budget(9000.0), None);
}

// --- Series, cold start, questions ------------------------------------------------

#[test]
fn the_runs_series_calibrates_once_and_times_all_three_runs_alike() {
    // The calibration's warmup decided on 4 inferences per sample; it is
    // kept as no run, and every run of the series is timed that way.
    check(
        &with_ready("series runs\nfinish 4\nfinish\nfinish\nfinish"),
        &after_ready(
            "series runs
               -> send run #3 warmup 5 runs 1 seed 0 optimized
             finish 4
               -> send run #4 warmup 3 runs 10 seed 0 optimized ×4
             finish
               -> store run mobilenetv2 · warmup 3 · runs 10
               -> store answers
               -> send run #5 warmup 3 runs 50 seed 0 optimized ×4
             finish
               -> store run mobilenetv2 · warmup 3 · runs 50
               -> store answers
               -> send run #6 warmup 3 runs 100 seed 0 optimized ×4
             finish
               -> store run mobilenetv2 · warmup 3 · runs 100
               -> store answers
             | model: mobilenetv2.onnx (optimized)
             | run #1: mobilenetv2 · warmup 3 · runs 10 · n 10 · p50 5.5 ×4 · compared
             | run #2: mobilenetv2 · warmup 3 · runs 50 · n 50 · p50 25.5 ×4 · compared
             | run #3: mobilenetv2 · warmup 3 · runs 100 · n 100 · p50 50.5 ×4 · shown compared
             | experiment: 3 runs · \"\" · \"\" · \"\"",
        ),
    );
}

#[test]
fn a_cancelled_calibration_starts_no_series() {
    check(
        &with_ready("series warmup\ncancel\nfinish-cancelled"),
        &after_ready(
            "series warmup
               -> send run #3 warmup 5 runs 1 seed 0 optimized
             cancel
               -> send cancel #3
             finish-cancelled
             | model: mobilenetv2.onnx (optimized)
             | note: Cancelled – only the runs that finished are shown.",
        ),
    );
}

#[test]
fn a_series_queued_while_a_model_loads_starts_when_it_is_ready() {
    check(
        "boot\nready\nfetched\nseries warmup\nloaded\nfinish 2",
        "boot
           -> start worker
           -> fetch lesson sv
           -> fetch lesson en
           -> fetch glossary
           -> load stored runs
           -> load answers
           -> fetch machine
         ready
           -> fetch model mobilenetv2 (choice 1)
         fetched
           -> send load #2 mobilenetv2.onnx optimized
         series warmup
         loaded
           -> send run #3 warmup 5 runs 1 seed 0 optimized
         finish 2
           -> restart worker
           -> send load #4 mobilenetv2.onnx optimized
           -> send run #5 warmup 0 runs 50 seed 0 optimized ×2
         | model: mobilenetv2.onnx ()
         | live: #5 Timed 0/50, 0 warmup + 0 timed
         | queue: 3/50×2, 10/50×2",
    );
}

#[test]
fn the_cold_start_run_is_marked_for_its_chart() {
    check(
        &with_ready("cold\nloaded\nfinish"),
        &after_ready(
            "cold
               -> restart worker
               -> send load #3 mobilenetv2.onnx optimized
               -> send run #4 warmup 0 runs 20 seed 0 optimized
             loaded
             finish
               -> store run mobilenetv2 · warmup 0 · runs 20
             | model: mobilenetv2.onnx (optimized)
             | run #1: mobilenetv2 · warmup 0 · runs 20 · n 20 · p50 10.5 · shown cold",
        ),
    );
}

/// A lesson step with one question of each kind, as a teacher writes them.
const QUESTIONS: &str = "lesson # Reflect\
    \\n::: question p95 measure=3,100 predict=p95\\nGuess p95.\\n---\\nThe tail.\\n:::\
    \\n::: question spread measure=series-runs\\nq\\n---\\na\\n:::\
    \\n::: question warmup\\nq\\n---\\na\\n:::\
    \\n::: question plans measure=plans predict=plan-ratio\\nq\\n---\\na\\n:::\
    \\n::: question cold measure=cold predict=first-ratio\\nq\\n---\\na\\n:::\
    \\n::: question native measure=native predict=native-ratio\\nq\\n---\\na\\n:::";

fn with_questions(rest: &str) -> String {
    with_ready(&format!("{QUESTIONS}\n{rest}"))
}

fn after_questions(rest: &str) -> String {
    after_ready(&format!("{QUESTIONS}\n{rest}"))
}

#[test]
fn a_number_question_opens_only_after_a_number_a_measurement_and_an_explanation() {
    check(
        &with_questions(
            "reveal p95\npredict p95 a bit above the mean\nmeasure p95\nfinish\nreveal p95\n\
             predict p95 40\nreveal p95\nexplain p95 dunno\nreveal p95\nexplain p95 the slow tail\nreveal p95",
        ),
        &after_questions(
            "reveal p95
             predict p95 a bit above the mean
               -> store answers
             measure p95
               -> send run #3 warmup 3 runs 100 seed 0 optimized
             finish
               -> store run mobilenetv2 · warmup 3 · runs 100
               -> store answers
             reveal p95
             predict p95 40
               -> store answers
             reveal p95
             explain p95 dunno
               -> store answers
             reveal p95
             explain p95 the slow tail
               -> store answers
             reveal p95
               -> store answers
             | model: mobilenetv2.onnx (optimized)
             | run #1: mobilenetv2 · warmup 3 · runs 100 · n 100 · p50 50.5 · shown
             | question p95: 1 runs, measured, explained, can reveal, revealed · predicted 40.000 measured 95.050",
        ),
    );
}

#[test]
fn a_text_question_needs_a_sentence_not_a_letter() {
    check(
        &with_questions("predict warmup x\nmeasure warmup\nfinish\nreveal warmup\npredict warmup it drops\nexplain warmup first runs compile\nreveal warmup"),
        &after_questions(
            "predict warmup x
               -> store answers
             measure warmup
               -> send run #3 warmup 3 runs 10 seed 0 optimized
             finish
               -> store run mobilenetv2 · warmup 3 · runs 10
               -> store answers
             reveal warmup
             predict warmup it drops
               -> store answers
             explain warmup first runs compile
               -> store answers
             reveal warmup
               -> store answers
             | model: mobilenetv2.onnx (optimized)
             | run #1: mobilenetv2 · warmup 3 · runs 10 · n 10 · p50 5.5 · shown
             | question warmup: 1 runs, measured, explained, can reveal, revealed",
        ),
    );
}

#[test]
fn the_spread_question_is_measured_only_by_its_whole_series() {
    check(
        &with_questions("predict spread it narrows\nmeasure spread\nfinish\nfinish\nfinish"),
        &after_questions(
            "predict spread it narrows
               -> store answers
             measure spread
               -> send run #3 warmup 5 runs 1 seed 0 optimized
             finish
               -> send run #4 warmup 3 runs 10 seed 0 optimized ×1
             finish
               -> store run mobilenetv2 · warmup 3 · runs 10
               -> store answers
               -> send run #5 warmup 3 runs 50 seed 0 optimized ×1
             finish
               -> store run mobilenetv2 · warmup 3 · runs 50
               -> store answers
               -> send run #6 warmup 3 runs 100 seed 0 optimized ×1
             | model: mobilenetv2.onnx (optimized)
             | live: #6 Warmup 0/3, 0 warmup + 0 timed
             | run #1: mobilenetv2 · warmup 3 · runs 10 · n 10 · p50 5.5 · compared
             | run #2: mobilenetv2 · warmup 3 · runs 50 · n 50 · p50 25.5 · shown compared
             | question spread: 2 runs",
        ),
    );
}

/// A coarse timer's batches hide the tail: the P95 and spread questions
/// say so once one of their runs was timed in batches; a question about the
/// median or the plans does not, and neither does a run of single
/// inferences.
#[test]
fn a_batched_run_hides_the_tail_of_the_p95_and_spread_questions_only() {
    check(
        &with_questions(
            "predict p95 40\nmeasure p95\nfinish 5\npredict plans 2\nmeasure plans\nfinish 5\nfinish 5\n\
             predict spread it grows\nmeasure spread\nfinish 3\nfinish\nfinish\nfinish",
        ),
        &after_questions(
            "predict p95 40
               -> store answers
             measure p95
               -> send run #3 warmup 3 runs 100 seed 0 optimized
             finish 5
               -> store run mobilenetv2 · warmup 3 · runs 100
               -> store answers
             predict plans 2
               -> store answers
             measure plans
               -> send run #4 warmup 3 runs 10 seed 0 optimized
             finish 5
               -> store run mobilenetv2 · warmup 3 · runs 10
               -> store answers
               -> send load #5 mobilenetv2.onnx unoptimized
               -> send run #6 warmup 3 runs 10 seed 0 unoptimized
             finish 5
               -> store run mobilenetv2 · warmup 3 · runs 10 (2)
               -> store answers
             predict spread it grows
               -> store answers
             measure spread
               -> send run #7 warmup 5 runs 1 seed 0 optimized
             finish 3
               -> send run #8 warmup 3 runs 10 seed 0 optimized ×3
             finish
               -> store run mobilenetv2 · warmup 3 · runs 10 (3)
               -> store answers
               -> send run #9 warmup 3 runs 50 seed 0 optimized ×3
             finish
               -> store run mobilenetv2 · warmup 3 · runs 50
               -> store answers
               -> send run #10 warmup 3 runs 100 seed 0 optimized ×3
             finish
               -> store run mobilenetv2 · warmup 3 · runs 100 (2)
               -> store answers
             | model: mobilenetv2.onnx (optimized)
             | run #1: mobilenetv2 · warmup 3 · runs 100 · n 100 · p50 50.5 ×5
             | run #2: mobilenetv2 · warmup 3 · runs 10 · n 10 · p50 5.5 ×5 · compared
             | run #3: mobilenetv2 · warmup 3 · runs 10 (2) · n 10 · p50 5.5 ×5 · compared
             | run #4: mobilenetv2 · warmup 3 · runs 10 (3) · n 10 · p50 5.5 ×3 · compared
             | run #5: mobilenetv2 · warmup 3 · runs 50 · n 50 · p50 25.5 ×3 · compared
             | run #6: mobilenetv2 · warmup 3 · runs 100 (2) · n 100 · p50 50.5 ×3 · shown compared
             | question p95: 1 runs, measured · predicted 40.000 measured 95.050 · tail hidden ×5 (isolated)
             | question plans: 2 runs, measured · predicted 2.000 measured 1.000
             | question spread: 3 runs, measured · tail hidden ×3 (isolated)",
        ),
    );
}

/// The note says what to do where the page is: the report's timer context
/// travels with the run.
#[test]
fn the_hidden_tail_carries_why_the_timer_was_coarse() {
    let mut h = Harness::new();
    h.state.browser.cross_origin_isolated = false;
    h.state.browser.secure_context = false;
    for line in format!("{READY}\n{QUESTIONS}\npredict p95 4\nmeasure p95\nfinish 7").lines() {
        let line = line.trim();
        if !line.is_empty() {
            h.play(line);
        }
    }
    let t = h.state.tail_hidden("p95").expect("a batched p95 run");
    assert_eq!(t.inferences_per_sample, 7);
    assert_eq!(
        t.context,
        Some(crate::lab::browser::TimerContext::PlainHttp)
    );
    assert!(Lang::Sv
        .tail_hidden(&t)
        .ends_with("Be läraren om https://-adressen och mät igen."));
}

#[test]
fn a_question_without_options_is_measured_with_the_settings() {
    check(
        &with_questions("warmup 0\nruns 5\nmeasure warmup\nfinish"),
        &after_questions(
            "warmup 0
             runs 5
             measure warmup
               -> send run #3 warmup 0 runs 5 seed 0 optimized
             finish
               -> store run mobilenetv2 · warmup 0 · runs 5
               -> store answers
             | model: mobilenetv2.onnx (optimized)
             | run #1: mobilenetv2 · warmup 0 · runs 5 · n 5 · p50 3 · shown
             | question warmup: 1 runs, measured",
        ),
    );
}

#[test]
fn the_plans_question_runs_both_plans_and_sets_their_ratio_beside_the_guess() {
    check(
        &with_questions(
            "predict plans 2,5\nmeasure plans\nprogress timed 2 2 2\nfinish\nprogress timed 6 6 6\nfinish",
        ),
        &after_questions(
            "predict plans 2,5
               -> store answers
             measure plans
               -> send run #3 warmup 3 runs 10 seed 0 optimized
             progress timed 2 2 2
             finish
               -> store run mobilenetv2 · warmup 3 · runs 10
               -> store answers
               -> send load #4 mobilenetv2.onnx unoptimized
               -> send run #5 warmup 3 runs 10 seed 0 unoptimized
             progress timed 6 6 6
             finish
               -> store run mobilenetv2 · warmup 3 · runs 10 (2)
               -> store answers
             | model: mobilenetv2.onnx (optimized)
             | run #1: mobilenetv2 · warmup 3 · runs 10 · n 3 · p50 2 · compared
             | run #2: mobilenetv2 · warmup 3 · runs 10 (2) · n 3 · p50 6 · shown compared
             | question plans: 2 runs, measured · predicted 2.500 measured 3.000",
        ),
    );
}

#[test]
fn the_cold_question_starts_a_new_worker_and_measures_the_first_run_against_the_median() {
    check(
        &with_questions("predict cold 4x\nmeasure cold\nprogress timed 10 2 2 2\nfinish"),
        &after_questions(
            "predict cold 4x
               -> store answers
             measure cold
               -> restart worker
               -> send load #3 mobilenetv2.onnx optimized
               -> send run #4 warmup 0 runs 20 seed 0 optimized
             progress timed 10 2 2 2
             finish
               -> store run mobilenetv2 · warmup 0 · runs 20
               -> store answers
             | model: mobilenetv2.onnx ()
             | run #1: mobilenetv2 · warmup 0 · runs 20 · n 4 · p50 2 · shown
             | question cold: 1 runs, measured · predicted 4.000 measured 5.000",
        ),
    );
}

#[test]
fn predictions_survive_a_reload() {
    let mut h = Harness::new();
    let mut stored = None;
    for line in with_questions(
        "predict p95 40\nmeasure p95\nfinish\nexplain p95 the tail is slow\nreveal p95",
    )
    .lines()
    {
        for e in h.play(line.trim()) {
            if let Effect::StoreAnswers(json) = e {
                stored = Some(json);
            }
        }
    }
    let before = h.state.question("p95");
    let mut again = Harness::new();
    for line in with_questions("").lines().filter(|l| !l.trim().is_empty()) {
        again.play(line.trim());
    }
    // A draft typed before the stored answers arrive is kept.
    again.play("predict warmup typed meanwhile");
    again
        .state
        .update(again.now.clone(), Event::StoredAnswers(stored));
    assert_eq!(again.state.question("p95"), before);
    assert!(before.revealed && before.prediction == "40");
    assert_eq!(again.state.question("warmup").prediction, "typed meanwhile");
    // Stored runs come back too, so the outcome is shown again.
    let runs: Vec<_> = h.state.runs.all().to_vec();
    again
        .state
        .update(again.now.clone(), Event::StoredRuns(Ok(runs)));
    assert_eq!(again.state.outcome("p95"), h.state.outcome("p95"));
    assert!(again.state.outcome("p95").is_some());
    // Unreadable storage is no answers, not a broken page.
    again.state.update(
        again.now.clone(),
        Event::StoredAnswers(Some("{oops".into())),
    );
    assert_eq!(again.state.question("p95"), before);
}

#[test]
fn a_step_and_a_question_added_to_the_shipped_lesson_work_without_rust() {
    let mut lesson = include_str!("../../../lessons/en.md").to_string();
    lesson += "\n# Our class's own step\n\nMeasure once more.\n\n\
               ::: question ours measure=2,30 predict=p50\nGuess the median.\n---\nIt is p50.\n:::\n";
    let mut h = Harness::new();
    for line in READY.lines().map(str::trim).filter(|l| !l.is_empty()) {
        h.play(line);
    }
    h.state.update(
        h.now.clone(),
        Event::LessonText {
            lang: Lang::En,
            text: lesson,
        },
    );
    let titles = h.state.step_titles();
    assert_eq!(titles.len(), 8);
    assert_eq!(titles[7], "Our class's own step");
    h.play("step 8");
    assert_eq!(h.state.url.step, 8);
    let spec = h.state.question_spec("ours").expect("the new question");
    assert_eq!(spec.prompt, "Guess the median.\n");
    for line in ["predict ours soon", "measure ours", "finish", "reveal ours"] {
        h.play(line);
    }
    assert!(!h.state.question("ours").revealed, "a word is not a number");
    let live_runs = h.state.question_runs("ours");
    assert_eq!(live_runs[0].report.benchmark_config.benchmark_runs, 30);
    assert_eq!(live_runs[0].report.benchmark_config.warmup_runs, 2);
    h.play("predict ours 12");
    h.play("reveal ours");
    assert!(!h.state.question("ours").revealed, "not explained yet");
    h.play("explain ours it is the median");
    h.play("reveal ours");
    assert!(h.state.question("ours").revealed);
    assert_eq!(h.state.outcome("ours").map(|o| o.measured), Some(15.5));
}

// --- Kept runs: storage, import, export ------------------------------------------

#[test]
fn stored_runs_join_those_made_meanwhile_and_the_newest_is_shown() {
    check(
        "stored old-a old-b",
        "stored old-a old-b
         | model: -
         | run #1: old-a · n 3 · p50 2
         | run #2: old-b · n 3 · p50 2 · shown",
    )
}

#[test]
fn storage_full_keeps_the_run_and_offers_an_export() {
    check(
        &with_ready("runs 2\nrun\nfinish\nstore-failed QuotaExceededError\nexport-all"),
        &after_ready(
            "runs 2
             run
               -> send run #3 warmup 3 runs 2 seed 0 optimized
             finish
               -> store run mobilenetv2 · warmup 3 · runs 2
             store-failed QuotaExceededError
             export-all
               -> download piedge-lab-runs.json (application/json): {\"piedge_lab_runs\":1,\"runs\":[{\"i
             | model: mobilenetv2.onnx (optimized)
             | run #1: mobilenetv2 · warmup 3 · runs 2 · n 2 · p50 1.5 · shown finished
             | error: The measurement could not be saved in the browser (storage is full or di [export all]",
        ),
    );
}

#[test]
fn unreadable_storage_is_reported_and_the_lab_goes_on() {
    check(
        "stored-failed UnknownError: disk\nno-storage\nstored a\ndelete #1\ndelete-failed InvalidStateError",
        "stored-failed UnknownError: disk
         no-storage
         stored a
         delete #1
           -> delete stored a
         delete-failed InvalidStateError
         | model: -
         | error: The saved measurements could not be read from the browser's storage. New
         | error: This browser gives the lab no storage (a private window, perhaps). Measu
         | error: InvalidStateError",
    );
}

#[test]
fn a_crash_the_browser_gives_no_reason_for_is_still_reported() {
    let mut h = Harness::new();
    h.state
        .update(h.now.clone(), Event::WorkerCrashed(String::new()));
    h.state
        .update(h.now.clone(), Event::WorkerCrashed("unreachable".into()));
    let texts: Vec<_> = h.state.notices.iter().map(|n| n.text.as_str()).collect();
    let restarted = Lang::En.ui().worker_restarted;
    assert_eq!(
        texts,
        [restarted.to_string(), format!("{restarted} (unreachable)")]
    );
}

#[test]
fn an_imported_csv_becomes_a_compared_run_and_a_bad_file_is_skipped() {
    check(
        "import latency.csv run,latency_ms\\n1,2.0\\n2,4.0\nimport notes.txt hello",
        "import latency.csv run,latency_ms\\n1,2.0\\n2,4.0
           -> store run latency.csv
         import notes.txt hello
         | model: -
         | run #1: latency.csv · n 2 · p50 3 · compared
         | error: notes.txt: the header `hello` has no `latency_ms` column; expected `run,",
    );
}

#[test]
fn an_import_is_read_only_when_files_were_chosen() {
    check(
        "import-chosen\nimport-chosen a.csv b.json",
        "import-chosen
         import-chosen a.csv b.json
           -> read imports a.csv, b.json
         | model: -",
    );
}

#[test]
fn rename_delete_and_clear_reach_storage() {
    check(
        "stored a b c\nrename #1  first  \nrename #2    \ndelete #3\nclear\nconfirm\nclear",
        "stored a b c
         rename #1  first
           -> store run first
         rename #2
         delete #3
           -> delete stored c
         clear
           -> confirm \"Delete all saved measurements?\"
         confirm
           -> clear storage
         clear
         | model: -",
    );
}

#[test]
fn deleting_the_shown_run_shows_the_newest_left() {
    check(
        "stored a b\ncompare #2 on\ncompare #1 on\ndelete #2",
        "stored a b
         compare #2 on
         compare #1 on
         delete #2
           -> delete stored b
         | model: -
         | run #1: a · n 3 · p50 2 · shown compared",
    );
}

#[test]
fn a_run_exports_the_clis_report_files() {
    check(
        "stored a\nexport #1 csv\nexport #1 summary",
        "stored a
         export #1 csv
           -> download latency.csv (text/csv): run,latency_ms\\n0,1.0\\n1,2.0\\n2,3.0
         export #1 summary
           -> download latency_summary.txt (text/plain): PiEdge EduKit - Latency Benchmar
         | model: -
         | run #1: a · n 3 · p50 2 · shown",
    );
}

#[test]
fn two_runs_with_the_same_settings_get_different_names() {
    check(
        &with_ready("runs 2\nrun\nfinish\nrun\nfinish"),
        &after_ready(
            "runs 2
             run
               -> send run #3 warmup 3 runs 2 seed 0 optimized
             finish
               -> store run mobilenetv2 · warmup 3 · runs 2
             run
               -> send run #4 warmup 3 runs 2 seed 0 optimized
             finish
               -> store run mobilenetv2 · warmup 3 · runs 2 (2)
             | model: mobilenetv2.onnx (optimized)
             | run #1: mobilenetv2 · warmup 3 · runs 2 · n 2 · p50 1.5
             | run #2: mobilenetv2 · warmup 3 · runs 2 (2) · n 2 · p50 1.5 · shown finished",
        ),
    );
}

// --- The frame ------------------------------------------------------------------

#[test]
fn a_step_change_pushes_history_and_moves_focus() {
    check(
        "step 3\nlesson # A\\n# B\\n# C\\n# D\nstep 99\nstep 0",
        "step 3
           -> push #step=3&lang=en&model=mobilenetv2&warmup=3&runs=10&seed=0&plan=optimized
           -> focus main
         lesson # A\\n# B\\n# C\\n# D
         step 99
           -> push #step=4&lang=en&model=mobilenetv2&warmup=3&runs=10&seed=0&plan=optimized
           -> focus main
         step 0
           -> push #step=1&lang=en&model=mobilenetv2&warmup=3&runs=10&seed=0&plan=optimized
           -> focus main
         | model: -",
    );
}

#[test]
fn the_same_notice_is_shown_once_and_can_be_dismissed() {
    check(
        "failed download blocked\nfailed download blocked\ndismiss",
        "failed download blocked
         failed download blocked
         dismiss
         | model: -",
    );
}

#[test]
fn the_self_check_runs_once_at_a_time() {
    check(
        "self-check\nself-check\nself-checked",
        "self-check
           -> send self-check #1 (40 cases)
         self-check
         self-checked
         | model: -
         | self-check: Done(Ok(SelfCheck { isas: [], depthwise_cases: 40, max_pool_cases: 0, direct_cases: 0, pointwise_cases: 0, dense_cases: 0, max_abs_error: 0.0, values: 0 }))",
    );
}

#[test]
fn a_report_names_the_browser_and_the_model() {
    let mut h = Harness::new();
    for line in with_ready("runs 2\nrun\nfinish").lines() {
        h.play(line);
    }
    let r = &h.state.runs.all()[0].report;
    assert_eq!(r.system_info.device, "Browser: Chrome 131 (Blink)");
    assert_eq!(r.system_info.arch, "wasm32");
    assert_eq!(r.system_info.extra["wasm_simd"], "true");
    assert_eq!(r.system_info.extra["timer_context"], "isolated");
    assert_eq!(r.benchmark_config.batch_size, 1);
    assert_eq!(r.benchmark_config.model_path, "mobilenetv2.onnx");
    assert_eq!(r.model.as_ref().unwrap().macs, 5678);
    assert_eq!(r.generated, "2026-12-01 10:00:00");
    assert_eq!(r.raw_latencies, [1.0, 2.0]);
    assert_eq!(r.warmup_latencies, [1.0, 2.0, 3.0]);
    assert_eq!(h.state.runs.all()[0].id, "run-1000-3");
}

#[test]
fn lessons_parse_and_give_the_step_titles() {
    let mut h = Harness::new();
    assert_eq!(h.state.step_titles(), ["Step 1"], "until the lesson loads");
    let e = h.event_of("lesson # Start\\nHello\\n# Model\\nText");
    h.state.update(h.now.clone(), e);
    let titles = h.state.step_titles();
    assert_eq!(titles[..2], ["Start".to_string(), "Model".to_string()]);
}

#[test]
fn model_files_keyed_by_content_and_shape() {
    let data = |bytes: &[u8], shape: Option<Vec<usize>>| ModelData {
        bytes: bytes.to_vec(),
        files: vec![ModelFile {
            name: "m.onnx.data".into(),
            bytes: vec![1, 2],
        }],
        input_shape: shape,
    };
    let a = data(b"abc", None).file_key("m.onnx");
    assert_eq!(a, data(b"abc", None).file_key("m.onnx"));
    assert_ne!(a, data(b"abd", None).file_key("m.onnx"));
    assert_ne!(a, data(b"abc", Some(vec![1, 3])).file_key("m.onnx"));
    assert!(a.starts_with("file:m.onnx:3:"), "{a}");
    assert!(a.contains("+m.onnx.data:"), "{a}");
}

#[test]
fn run_leaves_a_result_beside_its_button_until_the_next_run() {
    check(
        &with_ready("runs 2\nrun\nfinish\nseries warmup\nfinish\nfinish\nrun"),
        &after_ready(
            "runs 2
             run
               -> send run #3 warmup 3 runs 2 seed 0 optimized
             finish
               -> store run mobilenetv2 · warmup 3 · runs 2
             series warmup
               -> send run #4 warmup 5 runs 1 seed 0 optimized
             finish
               -> restart worker
               -> send load #5 mobilenetv2.onnx optimized
               -> send run #6 warmup 0 runs 50 seed 0 optimized ×1
             finish
               -> store run mobilenetv2 · warmup 0 · runs 50
               -> store answers
               -> restart worker
               -> send load #7 mobilenetv2.onnx optimized
               -> send run #8 warmup 3 runs 50 seed 0 optimized ×1
             run
             | model: mobilenetv2.onnx ()
             | live: #8 Warmup 0/3, 0 warmup + 0 timed
             | queue: 10/50×1, 3/2
             | run #1: mobilenetv2 · warmup 3 · runs 2 · n 2 · p50 1.5 · finished
             | run #2: mobilenetv2 · warmup 0 · runs 50 · n 50 · p50 25.5 · shown compared
             | experiment: 1 runs · \"\" · \"\" · \"\"",
        ),
    );
}

#[test]
fn the_results_step_is_found_in_the_lesson() {
    let mut h = Harness::new();
    assert_eq!(h.state.step_with_widget("results"), None, "no lesson yet");
    let e = h.event_of(
        "lesson # Start\\nHello\\n# Run\\n::: widget controls\\n# Read\\n::: widget results",
    );
    h.state.update(h.now.clone(), e);
    assert_eq!(h.state.step_with_widget("results"), Some(3));
    assert_eq!(h.state.step_with_widget("cold-start"), None);
}

#[test]
fn a_report_from_webkit_does_not_pass_its_rounded_core_count_off_as_the_devices() {
    let facts = |ua: &str| BrowserFacts {
        user_agent: ua.into(),
        cores: Some(4),
        ..Default::default()
    };
    let webkit = facts("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/60.5 Safari/605.1.15")
        .system_info(None);
    assert_eq!(webkit.cpu_count, None);
    assert_eq!(webkit.extra["reported_cores_rounded"], "4");
    let gecko = facts("Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0")
        .system_info(None);
    assert_eq!(gecko.cpu_count, Some(4));
    assert!(!gecko.extra.contains_key("reported_cores_rounded"));
}

#[test]
fn a_cold_start_report_says_whether_it_ran_in_a_new_worker() {
    let fresh_worker = |script: &str| {
        let mut h = Harness::new();
        for line in with_ready(script).lines() {
            h.play(line);
        }
        h.state.runs.all()[0]
            .report
            .system_info
            .extra
            .get("fresh_worker")
            .cloned()
    };
    // The new worker answers the load with a plan it built (cached: false).
    assert_eq!(
        fresh_worker("cold\nloaded\nfinish").as_deref(),
        Some("true")
    );
    // No answer before the run ended: the report does not claim a fresh plan.
    assert_eq!(fresh_worker("cold\nfinish").as_deref(), Some("false"));
    // An ordinary run is not a cold-start measurement.
    assert_eq!(fresh_worker("runs 2\nrun\nfinish"), None);
}

/// The `disturbed_*` readings of each kept run's report, oldest first.
fn disturbances(script: &str) -> Vec<Vec<(String, String)>> {
    let mut h = Harness::new();
    for line in with_ready(script).lines() {
        h.play(line);
    }
    h.state
        .runs
        .all()
        .iter()
        .map(|r| {
            r.report
                .system_info
                .extra
                .iter()
                .filter(|(k, _)| k.starts_with("disturbed"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .collect()
}

#[test]
fn a_run_during_which_the_tab_was_hidden_is_marked_and_the_next_is_not() {
    let d = disturbances("runs 5\nrun\nhidden\nshown\nfinish\nrun\nfinish");
    let hidden = vec![("disturbed_tab_hidden".to_string(), "true".to_string())];
    assert_eq!(d, vec![hidden.clone(), vec![]]);
    // A run started while the tab is hidden is marked from the start.
    assert_eq!(disturbances("runs 5\nhidden\nrun\nfinish"), vec![hidden]);
}

#[test]
fn a_silence_far_beyond_the_runs_latencies_marks_the_run() {
    let silent = |gap_ms: f64, latency: &str| {
        let script = format!(
            "runs 9\nwarmup 0\nrun\nat 2000 progress timed {latency} {latency}\nat {} progress timed {latency}\nfinish",
            2000.0 + gap_ms
        );
        disturbances(&script).remove(0)
    };
    // 2.5 s of silence from a run of 5 ms inferences: frozen.
    assert_eq!(
        silent(2500.0, "5"),
        vec![("disturbed_silent_s".to_string(), "2.5".to_string())]
    );
    // Half a second is a hiccup, not a freeze.
    assert_eq!(silent(500.0, "5"), vec![]);
    // A model that takes 300 ms an inference may be silent for 2 s.
    assert_eq!(silent(2000.0, "300"), vec![]);
}

#[test]
fn the_worksheet_holds_predictions_measurements_answers_and_a_chart() {
    let mut h = Harness::new();
    let mut sheet = None;
    let script = with_questions(
        "predict p95 40\nmeasure p95\nfinish\nexplain p95 the slow tail\nreveal p95\nhidden\nmeasure warmup\nfinish",
    );
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
        h.play(line);
    }
    for e in h.state.update(h.now.clone(), Event::ExportWorksheet) {
        if let Effect::Download { name, mime, bytes } = e {
            assert_eq!(
                (name.as_str(), mime),
                ("piedge-worksheet.html", "text/html")
            );
            sheet = Some(String::from_utf8(bytes).unwrap());
        }
    }
    let html = sheet.expect("a download");
    assert!(html.starts_with("<!doctype html>"));
    assert!(
        html.contains("<span class=\"prediction\">40</span>"),
        "{html}"
    );
    assert!(html
        .contains("P95: you predicted 40.000 ms, measured 95.050 ms: 55.050 ms (58 %) too low."));
    assert!(html.contains("<svg"), "the answering run's histogram");
    assert!(html.contains("The answer was opened after predicting, measuring and explaining."));
    assert!(
        html.contains("Disturbed measurement: the tab was hidden"),
        "a disturbed run says so"
    );
    // The JSON behind it, whole.
    let start = html.find("id=\"piedge-worksheet\">").unwrap() + "id=\"piedge-worksheet\">".len();
    let end = html.rfind("</script>").unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&html[start..end].replace("<\\/", "</")).unwrap();
    assert_eq!(json["piedge_lab_worksheet"], 2);
    let q = &json["questions"][0];
    assert_eq!(
        (q["id"].as_str(), q["prediction"].as_str()),
        (Some("p95"), Some("40"))
    );
    assert!((q["measured"].as_f64().unwrap() - 95.05).abs() < 1e-9);
    assert_eq!(q["answer_opened"], true);
    assert_eq!(
        json["questions"].as_array().unwrap().len(),
        6,
        "every question of the lesson"
    );
    assert_eq!(json["runs"].as_array().unwrap().len(), 2);
    assert!(json["runs"][1]["disturbed"]
        .as_str()
        .unwrap()
        .contains("hidden"));
}
