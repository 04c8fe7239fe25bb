//! What the student writes: the explanation before the answer (or after
//! it, where the lesson says so), the name on the worksheet, their own
//! experiment, all kept through a reload and all in the worksheet.

use super::{after_ready, check, with_questions, with_ready, Harness, QUESTIONS};
use crate::lab::state::{AnswerWaits, Effect, Event, LabState};

/// The fixture's questions, and one more that opens after the measurement.
fn with_quick(rest: &str) -> String {
    with_ready(&format!(
        "{QUESTIONS}\\n::: question quick measure=2,30 predict=p50 opens=measured explain=\"Why?\"\\nq\\n---\\na\\n:::\n{rest}"
    ))
}

fn state_after(script: &str) -> (Harness, Vec<Effect>) {
    let mut h = Harness::new();
    let mut effects = vec![];
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
        effects.extend(h.play(line));
    }
    (h, effects)
}

/// `opens=measured`: the answer opens once predicted and measured, and
/// the worksheet says it was opened before the explanation was written.
#[test]
fn a_question_the_lesson_opens_after_measuring_notes_an_answer_read_first() {
    let (mut h, _) = state_after(&with_quick("predict quick 12\nmeasure quick"));
    let s = &h.state;
    assert_eq!(
        s.answer_waits("quick"),
        Some(AnswerWaits::PredictionAndMeasurement)
    );
    h.play("finish");
    assert_eq!(h.state.answer_waits("quick"), None, "no explanation needed");
    h.play("reveal quick");
    h.play("explain quick the median is the middle run");
    let q = h.state.question("quick");
    assert!(q.revealed && q.revealed_before_explaining);
    let sheet = h.state.worksheet();
    let quick = sheet.questions.iter().find(|q| q.id == "quick").unwrap();
    assert_eq!(quick.opens, "measured");
    assert_eq!(quick.explain, "Why?");
    assert!(quick.answer_opened && quick.answer_opened_before_explanation);
    // The default: explained first, so never opened before explaining.
    let (mut h, _) = state_after(&with_quick(
        "predict p95 40\nmeasure p95\nfinish\nexplain p95 the slow tail\nreveal p95\nexplain p95",
    ));
    assert!(h.state.question("p95").revealed);
    assert!(!h.state.question("p95").revealed_before_explaining);
    let p95 = h.state.worksheet().questions.remove(0);
    assert_eq!((p95.id.as_str(), p95.opens.as_str()), ("p95", "explained"));
    assert!(p95.answer_opened && !p95.answer_opened_before_explanation);
    // Emptying the explanation afterwards does not close the answer again.
    h.play("reveal p95");
    assert!(h.state.question("p95").revealed);
}

#[test]
fn the_experiment_keeps_its_own_runs_and_the_suggested_series() {
    check(
        &with_ready(
            "experiment question does warmup 10 halve P95?\nexperiment prediction P95 halves\n\
             warmup 10\nruns 20\nrun-experiment\nfinish\nrun\nfinish\n\
             experiment conclusion it did not",
        ),
        &after_ready(
            "experiment question does warmup 10 halve P95?
               -> store answers
             experiment prediction P95 halves
               -> store answers
             warmup 10
             runs 20
             run-experiment
               -> send run #3 warmup 10 runs 20 seed 0 optimized
             finish
               -> store run mobilenetv2 · warmup 10 · runs 20
               -> store answers
             run
               -> send run #4 warmup 10 runs 20 seed 0 optimized
             finish
               -> store run mobilenetv2 · warmup 10 · runs 20 (2)
             experiment conclusion it did not
               -> store answers
             | model: mobilenetv2.onnx (optimized)
             | run #1: mobilenetv2 · warmup 10 · runs 20 · n 20 · p50 10.5
             | run #2: mobilenetv2 · warmup 10 · runs 20 (2) · n 20 · p50 10.5 · shown finished
             | experiment: 1 runs · \"does warmup 10 halve P95?\" · \"P95 halves\" · \"it did not\"",
        ),
    );
    // The suggested series are the experiment's too; a question's are not.
    let (h, _) = state_after(&with_questions(
        "series runs\nfinish\nfinish\nfinish\nfinish\nmeasure spread\nfinish\nfinish\nfinish\nfinish",
    ));
    assert_eq!(h.state.experiment.runs.len(), 3);
    assert_eq!(h.state.question("spread").runs.len(), 3);
    assert_eq!(h.state.experiment_runs().len(), 3);
}

#[test]
fn explanations_the_name_and_the_experiment_survive_a_reload() {
    let (h, effects) = state_after(&with_questions(
        "predict p95 40\nmeasure p95\nfinish\nexplain p95 the slow tail is rare\n\
         name Ada Lovelace\nclass NA22b\nexperiment question does warmup matter\nrun-experiment\nfinish",
    ));
    let stored = effects
        .into_iter()
        .rev()
        .find_map(|e| match e {
            Effect::StoreAnswers(json) => Some(json),
            _ => None,
        })
        .expect("answers stored");
    let (mut again, _) = state_after(&with_questions(""));
    // Typed before the stored answers arrive: kept.
    again.play("experiment conclusion typed meanwhile");
    again
        .state
        .update(again.now.clone(), Event::StoredAnswers(Some(stored)));
    let s: &LabState = &again.state;
    assert_eq!(s.question("p95"), h.state.question("p95"));
    assert_eq!(s.question("p95").explanation, "the slow tail is rare");
    assert_eq!(s.student, h.state.student);
    assert_eq!(s.student_name(), "Ada Lovelace");
    assert_eq!(s.experiment.conclusion, "typed meanwhile");
    assert_eq!(s.experiment.runs, h.state.experiment.runs);
}

#[test]
fn the_name_is_the_board_nickname_until_the_student_types_one() {
    let (mut h, _) = state_after(&with_ready(""));
    assert_eq!(h.state.student_name(), "");
    h.state
        .update(h.now.clone(), Event::SetNickname("Ada".into()));
    assert_eq!(h.state.student_name(), "Ada");
    assert_eq!(h.state.worksheet().name, "Ada");
    h.play("name Ada L.");
    assert_eq!(h.state.student_name(), "Ada L.");
    // What a student types is bounded: a name, and any text.
    let long = "x".repeat(10_000);
    h.play(&format!("name {long}"));
    assert_eq!(
        h.state.student.name.chars().count(),
        crate::limits::LAB_MAX_NAME_CHARS
    );
    h.play(&format!("explain p95 {long}"));
    assert_eq!(
        h.state.question("p95").explanation.chars().count(),
        crate::limits::LAB_MAX_TEXT_CHARS
    );
}

/// What a teacher grades, in the worksheet's JSON and its HTML.
#[test]
fn the_worksheet_holds_what_a_teacher_grades() {
    let (h, _) = state_after(&with_questions(
        "name Ada <b>L</b>\nclass NA22b\npredict p95 40\nmeasure p95\nfinish\n\
         explain p95 the slow tail\nreveal p95\n\
         experiment question does warmup matter\nexperiment prediction yes it does\n\
         run-experiment\nfinish\nexperiment conclusion not at 10 runs",
    ));
    let sheet = h.state.worksheet();
    assert_eq!(sheet.piedge_lab_worksheet, 2);
    assert_eq!(
        (sheet.name.as_str(), sheet.class.as_str()),
        ("Ada <b>L</b>", "NA22b")
    );
    let p95 = &sheet.questions[0];
    assert_eq!(p95.prediction, "40");
    assert_eq!(p95.measured, Some(95.05));
    let error = p95.error_percent.unwrap();
    assert!(
        (error - (40.0 - 95.05) / 95.05 * 100.0).abs() < 1e-9,
        "{error}"
    );
    assert_eq!(p95.explanation, "the slow tail");
    assert!(p95.answer_opened && !p95.answer_opened_before_explanation);
    let e = &sheet.experiment;
    assert_eq!(
        (
            e.question.as_str(),
            e.prediction.as_str(),
            e.conclusion.as_str()
        ),
        ("does warmup matter", "yes it does", "not at 10 runs")
    );
    assert_eq!(e.runs.len(), 1);
    let run = sheet.runs.iter().find(|r| r.id == e.runs[0]).unwrap();
    assert_eq!((run.warmup, run.runs), (3, 10));
    let html = sheet.html(|id| h.state.run(id).map(|r| &r.report));
    for needle in [
        "<dd class=\"name\">Ada &lt;b&gt;L&lt;/b&gt;</dd>",
        "<dd class=\"class\">NA22b</dd>",
        "<b>Explanation:</b> <i class=\"explain\"></i></p>\n<blockquote class=\"explanation\">the slow tail</blockquote>",
        "<td>Guess p95.</td><td>40</td>",
        "<tr class=\"experiment-row\"><td>Your experiment: does warmup matter</td><td>yes it does</td><td>1 measurement</td><td></td><td>4 words</td>",
        "The answer was opened after predicting, measuring and explaining.",
        "<span class=\"experiment-question\">does warmup matter</span>",
        "<span class=\"experiment-prediction\">yes it does</span>",
        "<blockquote class=\"conclusion\">not at 10 runs</blockquote>",
        "warmup 3, 10 runs, optimised",
        "<td>3 words</td><td>opened after the explanation</td>",
        "<td>40</td><td>95.050 ms</td><td>−58 %</td>",
    ] {
        assert!(
            html.contains(needle),
            "{needle} not in the worksheet:\n{html}"
        );
    }
    // The overview comes before the first question: the first screen.
    assert!(html.find("class=\"overview\"") < html.find("<section class=\"question\""));
}
