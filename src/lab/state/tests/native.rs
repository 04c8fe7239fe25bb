//! "Run it on the server" as event scripts: the button's conditions, the
//! job from submission to its kept run, refusals, cancelling, a lost stream.

use super::{check, with_ready, READY_LINES};
use crate::api::{ApiError, JobAccepted, JobStatus, JobUpdate, Machine};
use crate::lab::state::{Event, LabState, NativeBlocked, NativeJob, Refused, ServerApi};
use crate::lab::Lang;

/// The script words of this part: `machine same|other`, `no-machine`,
/// `run-native`, `native-accepted ID POS`, `native-refused CODE`,
/// `native-unreachable`, `native ID queued POS | running warmup|timed DONE
/// TOTAL | finished MS… | failed WORDS | cancelled`, `native-lost WORDS`,
/// `cancel-native`.
pub(super) fn event_of(word: &str, args: &[&str]) -> Event {
    let num = |i: usize| -> u64 { args[i].parse().unwrap() };
    match word {
        "machine" => Event::MachineAnswered(Ok((machine(), args[0] == "same"))),
        "no-machine" => Event::MachineAnswered(Err("HTTP 404".into())),
        "run-native" => Event::RunNative,
        "cancel-native" => Event::CancelNative,
        "native-accepted" => Event::NativeAccepted(Ok(JobAccepted {
            id: num(0),
            position: num(1) as usize,
        })),
        "native-refused" => Event::NativeAccepted(Err(Refused::Api(match args[0] {
            "already_queued" => ApiError::AlreadyQueued { id: 1 },
            "queue_full" => ApiError::QueueFull { limit: 64 },
            other => panic!("no refusal '{other}' in the scripts"),
        }))),
        "native-unreachable" => {
            Event::NativeAccepted(Err(Refused::Network("connection refused".into())))
        }
        "native-lost" => Event::NativeLost(args.join(" ")),
        "native" => {
            let status = match args[1] {
                "queued" => JobStatus::Queued {
                    position: num(2) as usize,
                },
                "running" => JobStatus::Running {
                    warmup: args[2] == "warmup",
                    done: num(3) as usize,
                    total: num(4) as usize,
                },
                "finished" => JobStatus::Finished {
                    report: Box::new(native_report(&args[2..])),
                },
                "failed" => JobStatus::Failed {
                    message: args[2..].join(" "),
                },
                "cancelled" => JobStatus::Cancelled,
                other => panic!("no job status '{other}' in the scripts"),
            };
            Event::NativeUpdate(JobUpdate { id: num(0), status })
        }
        other => panic!("unknown script word '{other}'"),
    }
}

/// The native part of the state, when there is one.
pub(super) fn summary(s: &LabState) -> Option<String> {
    let api = match &s.native.api {
        ServerApi::Unknown => return None,
        ServerApi::Absent => "no server".to_string(),
        ServerApi::Present { machine, .. } => machine.label.clone(),
    };
    let job = match &s.native.job {
        None => String::new(),
        Some(NativeJob::Submitting) => ", submitting".into(),
        Some(NativeJob::Waiting { id, position }) => format!(", job {id} waiting at {position}"),
        Some(NativeJob::Running {
            id, done, total, ..
        }) => format!(", job {id} running {done}/{total}"),
        Some(NativeJob::Cancelling { id }) => format!(", job {id} cancelling"),
    };
    Some(format!("{api}{job}"))
}

fn machine() -> Machine {
    Machine {
        token: None,
        label: "Pi 4, native, 1 thread".into(),
        system: Default::default(),
        models: vec!["tinycnn".into(), "mobilenetv2".into()],
        max_runs: 10_000,
        max_warmup: 1_000,
        max_job_seconds: 120,
        concurrent_runs: 1,
        threads: 1,
    }
}

/// A native report of MobileNetV2 with these latencies, as the server
/// sends it (its statistics deliberately wrong: the lab recomputes them).
fn native_report(latencies: &[&str]) -> crate::report::BenchmarkReport {
    let json = format!(
        r#"{{"host": "Pi 4, native, 1 thread", "raw_latencies": [{}],
            "statistics": {{"p50": 999}},
            "benchmark_config": {{"model_path": "mobilenetv2.onnx", "warmup_runs": 1,
                                  "benchmark_runs": {}, "batch_size": 1}}}}"#,
        latencies.join(","),
        latencies.len()
    );
    crate::report::parse_results_json(json.as_bytes()).unwrap()
}

fn state_after(script: &str) -> LabState {
    let mut h = super::Harness::new();
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
        h.play(line);
    }
    h.state
}

#[test]
fn a_static_host_has_no_button_and_says_what_it_needs() {
    check(
        &with_ready("no-machine\nrun-native"),
        &format!("{READY_LINES}\nno-machine\nrun-native\n| model: mobilenetv2.onnx (optimized)\n| native: no server"),
    );
    let s = state_after(&with_ready("no-machine"));
    assert_eq!(s.native_request(), Err(NativeBlocked::NoServer));
    assert!(Lang::Sv
        .native_blocked(NativeBlocked::NoServer)
        .contains("piedge serve --lan"));
}

#[test]
fn the_button_sends_the_labs_settings_for_a_bundled_model_only() {
    let s = state_after("boot\nready\nmachine other");
    assert_eq!(
        s.native_request(),
        Err(NativeBlocked::NotBundled),
        "no model yet"
    );
    let s = state_after(&with_ready("machine other\nruns 20000"));
    assert_eq!(
        s.native_request(),
        Err(NativeBlocked::TooManyRuns { max: 10_000 })
    );
    let s = state_after(&with_ready("machine other\npick mine.onnx\nread\nloaded"));
    assert_eq!(s.native_request(), Err(NativeBlocked::NotBundled));
    let s = state_after(&with_ready("machine other\nruns x"));
    assert_eq!(s.native_request(), Err(NativeBlocked::InvalidSettings));
}

#[test]
fn a_native_job_queues_runs_and_comes_back_beside_the_browser_run() {
    check(
        &with_ready(
            "runs 3\nrun\nfinish\nmachine same\nrun-native\nrun-native\nnative-accepted 7 2\n\
             native 7 queued 1\nnative 6 running timed 1 3\nnative 7 running timed 2 3\n\
             native 7 finished 1.0 2.0 4.0",
        ),
        &format!(
            "{READY_LINES}
             runs 3
             run
               -> send run #3 warmup 3 runs 3 seed 0 optimized
             finish
               -> store run mobilenetv2 · warmup 3 · runs 3
             machine same
             run-native
               -> submit native mobilenetv2 warmup 3 runs 3 seed 0 optimized
             run-native
             native-accepted 7 2
               -> follow native 7
             native 7 queued 1
             native 6 running timed 1 3
             native 7 running timed 2 3
             native 7 finished 1.0 2.0 4.0
               -> store run mobilenetv2 · Pi 4, native, 1 thread
             | model: mobilenetv2.onnx (optimized)
             | run #1: mobilenetv2 · warmup 3 · runs 3 · n 3 · p50 2 · shown compared finished
             | run #2: mobilenetv2 · Pi 4, native, 1 thread · n 3 · p50 2 · compared
             | native: Pi 4, native, 1 thread"
        ),
    );
}

#[test]
fn the_queue_and_progress_are_followed() {
    let s = state_after(&with_ready(
        "machine other\nrun-native\nnative-accepted 4 3\nnative 4 queued 2",
    ));
    assert_eq!(
        s.native.job,
        Some(NativeJob::Waiting { id: 4, position: 2 })
    );
    assert_eq!(s.native_request(), Err(NativeBlocked::Busy));
    let s = state_after(&with_ready(
        "machine other\nrun-native\nnative-accepted 4 1\nnative 4 running warmup 1 3",
    ));
    let job = s.native.job.clone().unwrap();
    assert_eq!(
        Lang::En.native_progress(&job),
        "The server is warming up: 1 of 3"
    );
}

#[test]
fn refusals_and_failures_are_worded_and_lose_nothing() {
    check(
        &with_ready(
            "runs 3\nrun\nfinish\nmachine other\nrun-native\nnative-refused queue_full\n\
             run-native\nnative-unreachable\nrun-native\nnative-accepted 2 1\n\
             native 2 failed the model failed\nrun-native\nnative-accepted 3 1\nnative-lost stream closed",
        ),
        &format!(
            "{READY_LINES}
             runs 3
             run
               -> send run #3 warmup 3 runs 3 seed 0 optimized
             finish
               -> store run mobilenetv2 · warmup 3 · runs 3
             machine other
             run-native
               -> submit native mobilenetv2 warmup 3 runs 3 seed 0 optimized
             native-refused queue_full
             run-native
               -> submit native mobilenetv2 warmup 3 runs 3 seed 0 optimized
             native-unreachable
             run-native
               -> submit native mobilenetv2 warmup 3 runs 3 seed 0 optimized
             native-accepted 2 1
               -> follow native 2
             native 2 failed the model failed
             run-native
               -> submit native mobilenetv2 warmup 3 runs 3 seed 0 optimized
             native-accepted 3 1
               -> follow native 3
             native-lost stream closed
             | model: mobilenetv2.onnx (optimized)
             | run #1: mobilenetv2 · warmup 3 · runs 3 · n 3 · p50 2 · shown finished
             | native: Pi 4, native, 1 thread
             | error: The queue is full (64 measurements); try again in a while. [detail]
             | error: The server did not answer (connection refused). Is it still running?
             | error: The measurement on the server failed. [detail]
             | error: The connection to the server broke during the measurement; your earlier  [detail]"
        ),
    );
    assert_eq!(
        Lang::Sv.native_refused(&Refused::Api(ApiError::QueueFull { limit: 64 })),
        "Kön är full (64 mätningar); försök igen om en stund."
    );
}

#[test]
fn a_job_from_before_a_reload_is_followed_again() {
    let s = state_after(&with_ready(
        "machine other\nrun-native\nnative-refused already_queued\nnative 1 running timed 5 9",
    ));
    assert_eq!(
        s.native.job,
        Some(NativeJob::Running {
            id: 1,
            warmup: false,
            done: 5,
            total: 9
        })
    );
    assert!(s.notices.is_empty(), "{:?}", s.notices);
}

#[test]
fn cancelling_ignores_late_progress_and_ends_with_a_note() {
    check(
        &with_ready(
            "machine other\nrun-native\nnative-accepted 5 1\ncancel-native\n\
             native 5 running timed 9 30\nnative 5 cancelled",
        ),
        &format!(
            "{READY_LINES}
             machine other
             run-native
               -> submit native mobilenetv2 warmup 3 runs 10 seed 0 optimized
             native-accepted 5 1
               -> follow native 5
             cancel-native
               -> cancel native 5
             native 5 running timed 9 30
             native 5 cancelled
             | model: mobilenetv2.onnx (optimized)
             | native: Pi 4, native, 1 thread
             | note: The measurement on the server was cancelled."
        ),
    );
}

#[test]
fn the_comparison_gives_the_ratios_and_whether_the_runs_are_alike() {
    let s = state_after(&with_ready(
        "runs 3\nrun\nfinish\nmachine same\nrun-native\nnative-accepted 7 1\nnative 7 finished 1.0 1.5 2.0",
    ));
    let (native, browser) = s.native.last.clone().unwrap();
    let (native, browser) = (s.run(&native).unwrap(), s.run(&browser.unwrap()).unwrap());
    assert_eq!(
        native.report.statistics.p50, 1.5,
        "recomputed, not the 999 sent"
    );
    let v = crate::lab::session::versus(browser, native);
    assert_eq!(v.p50_ratio, browser.report.statistics.p50 / 1.5);
    assert!(!v.alike, "warmup 3 in the browser, 1 on the server");
    assert_eq!(
        Lang::Sv.versus_ratios(2.0, 3.25),
        "Webbläsaren / servern: P50 × 2,00, P95 × 3,25"
    );
}

// --- The class board ---------------------------------------------------------

fn play(s: &mut LabState, event: Event) -> Vec<crate::lab::state::Effect> {
    s.update(Default::default(), event)
}

#[test]
fn sharing_needs_a_nickname_and_sends_the_run_as_it_is_kept() {
    use crate::lab::state::Effect;
    let mut s = state_after(&with_ready("runs 3\nrun\nfinish\nmachine other"));
    let run = s.runs.all()[0].id.clone();
    assert!(play(&mut s, Event::Share(run.clone())).is_empty());
    assert!(s.notices[0].text.starts_with("Write a nickname first"));
    play(&mut s, Event::SetNickname("  Ada ".into()));
    let effects = play(&mut s, Event::Share(run.clone()));
    let [Effect::ShareRun { run_id, body }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let shared = crate::board::ShareRequest::parse(body).unwrap();
    assert_eq!((run_id, shared.nickname.as_str()), (&run, "Ada"));
    assert_eq!(
        shared.report.raw_latencies,
        s.runs.all()[0].report.raw_latencies
    );
    assert!(
        play(&mut s, Event::Share(run.clone())).is_empty(),
        "one share at a time"
    );
    play(
        &mut s,
        Event::Shared {
            run_id: run.clone(),
            answer: Ok(12),
        },
    );
    assert_eq!(s.board.shared, vec![(run, 12)]);
}

#[test]
fn the_board_fetches_itself_only_when_shown_and_one_fetch_at_a_time() {
    use crate::lab::state::{Effect, TeacherAction};
    let mut s = state_after("boot\nmachine other");
    assert!(
        play(&mut s, Event::BoardTick).is_empty(),
        "the lesson is shown"
    );
    play(&mut s, Event::HashChanged("#board=1&teacher=AB12".into()));
    assert_eq!(
        play(&mut s, Event::BoardTick),
        vec![Effect::FetchBoard {
            teacher: "AB12".into()
        }]
    );
    assert!(play(&mut s, Event::BoardTick).is_empty(), "still fetching");
    play(&mut s, Event::BoardAnswered(Ok(Default::default())));
    assert_eq!(play(&mut s, Event::BoardTick).len(), 1);
    assert_eq!(
        play(&mut s, Event::Teacher(TeacherAction::Lock(true))),
        vec![Effect::TeacherCall {
            code: "AB12".into(),
            action: TeacherAction::Lock(true)
        }]
    );
    let mut student = state_after("boot\nmachine other");
    play(&mut student, Event::HashChanged("#board=1".into()));
    assert!(play(&mut student, Event::Teacher(TeacherAction::Lock(true))).is_empty());
}

// --- Teacher mode and the class lock -----------------------------------------

/// A class page: the lesson's questions, the class link's lock on "tiger",
/// then `script`.
fn class_page(extra: &str, script: &str) -> LabState {
    let code = crate::lab::state::class_code("Tiger ");
    state_after(&super::with_questions(&format!(
        "hash #lang=en&class={code}{extra}\n{script}"
    )))
}

#[test]
fn the_class_link_locks_the_answers_until_the_teachers_word() {
    use crate::lab::state::Effect;
    let mut s = class_page(
        "",
        "predict p95 40\nmeasure p95\nfinish\nexplain p95 the slow tail",
    );
    assert!(s.question("p95").measured);
    assert!(s.answers_locked());
    assert!(!s.can_reveal("p95"), "predicted and measured, but locked");
    play(&mut s, Event::Reveal("p95".into()));
    assert!(!s.question("p95").revealed);
    play(&mut s, Event::ReleaseWord("lion".into()));
    assert!(s.answers_locked());
    assert_eq!(
        s.notices.last().unwrap().text,
        "That is not the teacher's code word; the answers are still locked."
    );
    // The word as said aloud: case and spaces do not matter.
    let effects = play(&mut s, Event::ReleaseWord("  TIGER".into()));
    assert!(!s.answers_locked());
    assert!(s.can_reveal("p95"));
    // Kept with the answers, so a reload stays released.
    let Some(Effect::StoreAnswers(json)) = effects
        .into_iter()
        .find(|e| matches!(e, Effect::StoreAnswers(_)))
    else {
        panic!("the release is stored");
    };
    let mut again = class_page("", "");
    play(&mut again, Event::StoredAnswers(Some(json)));
    assert!(!again.answers_locked());
}

#[test]
fn the_board_can_release_the_answers_on_a_served_page() {
    let mut s = class_page("", "machine other");
    assert!(
        s.wants_board_ticks(),
        "the page must tick for the lock to hear the board"
    );
    // Eight ticks, and how many of them fetched the board.
    let fetches_in_8_ticks = |s: &mut LabState| {
        (0..8)
            .filter(|_| !play(s, Event::BoardTick).is_empty())
            .count()
    };
    // Every fourth tick (3 s) the locked page asks the board.
    let fetches = fetches_in_8_ticks(&mut s);
    assert_eq!(
        fetches, 1,
        "one fetch at a time, and the first is unanswered"
    );
    let board = crate::board::Board {
        released: true,
        ..Default::default()
    };
    play(&mut s, Event::BoardAnswered(Ok(board)));
    assert!(!s.answers_locked());
    assert!(!s.wants_board_ticks(), "released: no more asking");
    let mut no_lock = state_after("boot\nmachine other");
    assert!(!no_lock.wants_board_ticks());
    let polled = fetches_in_8_ticks(&mut no_lock);
    assert_eq!(
        polled, 0,
        "a page without a class lock does not poll the board"
    );
}

#[test]
fn the_class_link_can_fix_the_settings_and_teacher_mode_is_free() {
    let mut s = class_page("&warmup=5&runs=40&fixed=1", "");
    play(
        &mut s,
        Event::SetField(crate::lab::config::Field::Runs, "7".into()),
    );
    play(&mut s, Event::SetPlan(crate::plan::Plan::Unoptimized));
    assert_eq!(s.url.config.runs, "40");
    assert_eq!(s.url.config.plan, crate::plan::Plan::Optimized);
    assert!(s.controls_fixed());
    // The teacher's own page: notes, no lock, free settings, and the link.
    let mut t = state_after(&super::with_questions(""));
    play(
        &mut t,
        Event::HashChanged("#lang=en&teacher=any&warmup=5&runs=40&step=3".into()),
    );
    assert!(t.is_teacher() && !t.answers_locked() && !t.controls_fixed());
    let link = t.class_link("Tiger", true);
    let code = crate::lab::state::class_code("tiger");
    assert_eq!(
        link,
        format!("#step=1&lang=en&model=mobilenetv2&warmup=5&runs=40&seed=0&plan=optimized&class={code}&fixed=1")
    );
    assert!(
        !t.class_link("", false).contains("class="),
        "no word, no lock"
    );
    let plan = t.time_plan();
    assert_eq!(plan.steps.len(), 1);
    assert_eq!((plan.steps[0].title.as_str(), plan.core()), ("Reflect", 0));
}

#[test]
fn the_native_question_runs_on_the_server_and_sets_browser_over_server_beside_the_guess() {
    let s = state_after(&super::with_questions(
        "measure native\nruns 3\nrun\nprogress timed 6 6 6\nfinish\nmachine other\n\
         predict native 2\nmeasure native\nnative-accepted 7 0\nnative 7 finished 1.0 2.0 4.0",
    ));
    // Measured before the server answered: it said why, and ran nothing.
    assert!(
        s.notices[0].text.starts_with("Asking the server"),
        "{:?}",
        s.notices
    );
    let q = s.question("native");
    assert!(q.measured);
    assert_eq!(q.runs.len(), 2, "the browser run and the server's");
    let o = s.outcome("native").unwrap();
    assert_eq!(
        (o.predicted, o.measured),
        (2.0, 3.0),
        "browser p50 6 over server p50 2"
    );
}
