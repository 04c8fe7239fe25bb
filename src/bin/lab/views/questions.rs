//! A reflection question: the student's prediction (a number where the
//! lesson asks for one), the measurement that answers it, its runs in a
//! small table, the prediction beside the measurement, the student's
//! explanation in their own words, and the answer, which opens only when
//! the state says nothing waits (`LabState::answer_waits`).

use super::common::{lab, markdown, Prose};
use super::teacher::ReleaseLock;
use leptos::prelude::*;
use piedge::lab::lesson::{Predict, Question as Spec};
use piedge::lab::state::{AnswerWaits, Event};
use piedge::report::{ms, stat_lines};

#[component]
pub fn Question(q: Spec) -> impl IntoView {
    let Spec {
        id,
        prompt,
        answer,
        predict,
        explain,
        ..
    } = q;
    let lab = lab();
    let ui = move || lab.lang().ui();
    let qid = id.clone();
    let state = lab.select(move |s| s.question(&qid));
    let gid = id.clone();
    let can_reveal = lab.select(move |s| s.can_reveal(&gid));
    let oid = id.clone();
    let outcome = move || {
        lab.track_runs();
        lab.with(|s| s.outcome(&oid).map(|o| s.lang().outcome(&o)))
    };
    // A coarse timer's batches hid the tail this question asks about.
    let tid = id.clone();
    let tail_hidden = move || {
        lab.track_runs();
        lab.with(|s| s.tail_hidden(&tid).map(|t| s.lang().tail_hidden(&t)))
    };
    let can_measure = lab.select(|s| s.can_measure());
    let wid = id.clone();
    let waits = lab.select(move |s| s.answer_waits(&wid));
    let (measure_id, input_id, reveal_id, explain_id) =
        (id.clone(), id.clone(), id.clone(), id.clone());
    let words = move || lab.lang().student_words();
    // The explanation, once measured: after the measurement and the
    // outcome line, beside the prediction.
    let mid = id.clone();
    let measured_once = lab.select(move |s| s.question(&mid).measured);
    let explanation = move || {
        measured_once.get().then(|| {
            let id = explain_id.clone();
            let field_id = format!("explanation-{id}");
            let prompt = (!explain.trim().is_empty()).then(|| view! { <Prose md=explain.clone()/> });
            view! {
                <div class="field wide explain">
                    <label for=field_id.clone()>{move || words().explain_label}</label>
                    {prompt}
                    <textarea
                        id=field_id
                        rows="3"
                        class="explanation"
                        placeholder=move || words().explain_placeholder
                        prop:value=move || state.get().explanation
                        on:input=move |ev| lab.send(Event::SetExplanation { question: id.clone(), text: event_target_value(&ev) })
                    ></textarea>
                </div>
            }
        })
    };
    // The runs' statistics, as (runs, mean, p50, p95, std, CI p95 width),
    // written as the student's language writes numbers.
    let measured = move || {
        let ids = state.get().runs;
        let lang = lab.lang();
        lab.track_runs();
        lab.with_untracked(|s| {
            ids.iter()
                .filter_map(|id| s.run(id))
                .map(|r| {
                    let st = &r.report.statistics;
                    let line = |key| {
                        stat_lines(st)
                            .into_iter()
                            .find(|l| l.key == key)
                            .map(|l| l.value)
                            .unwrap_or_default()
                    };
                    [
                        st.n.to_string(),
                        line("mean"),
                        line("p50"),
                        line("p95"),
                        line("std"),
                        ms(st.p95_ci95.width()),
                    ]
                    .map(|c| lang.numbers(&c))
                })
                .collect::<Vec<_>>()
        })
    };
    let summary = move || {
        let rows = measured();
        (!rows.is_empty()).then(|| {
            view! {
                <table class="mini">
                    <thead>
                        <tr>
                            <th>{move || ui().runs}</th><th>{move || lab.lang().stat_label("Mean").to_string()}</th><th>"P50"</th><th>"P95"</th>
                            <th>{move || lab.lang().stat_label("Std").to_string()}</th>
                            <th>{move || format!("P95 {}", ui().ci95)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows
                            .into_iter()
                            .map(|cells| view! { <tr>{cells.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr> })
                            .collect_view()}
                    </tbody>
                </table>
            }
        })
    };
    view! {
        <section class="card question" data-question=id.clone()>
            <Prose md=prompt.clone()/>
            <label class="field wide">
                <span>{move || lab.lang().prediction_label(predict)}</span>
                {match predict {
                    Predict::Text => view! {
                        <textarea
                            rows="3"
                            class="prediction"
                            placeholder=move || ui().prediction_placeholder
                            prop:value=move || state.get().prediction
                            on:input=move |ev| lab.send(Event::SetPrediction { question: input_id.clone(), text: event_target_value(&ev) })
                        ></textarea>
                    }
                    .into_any(),
                    Predict::Number(_) => view! {
                        <input
                            type="text"
                            inputmode="decimal"
                            class="prediction"
                            prop:value=move || state.get().prediction
                            on:input=move |ev| lab.send(Event::SetPrediction { question: input_id.clone(), text: event_target_value(&ev) })
                        />
                    }
                    .into_any(),
                }}
            </label>
            <div class="row actions">
                <button class="measure" disabled=move || !can_measure.get() on:click=move |_| lab.send(Event::Measure(measure_id.clone()))>
                    {move || ui().measure}
                </button>
                <button
                    class="reveal"
                    disabled=move || !can_reveal.get()
                    on:click=move |_| lab.send(Event::Reveal(reveal_id.clone()))
                >
                    {move || ui().show_answer}
                </button>
            </div>
            {summary}
            {move || outcome().map(|line| view! { <p class="outcome" role="status">{line}</p> })}
            {move || tail_hidden().map(|t| view! { <p class="hint tail-hidden" role="note">{t}</p> })}
            {explanation}
            <ReleaseLock/>
            <Show when=move || !state.get().revealed>
                <p class="hint answer-waits">
                    {move || match waits.get() {
                        Some(AnswerWaits::Explanation) => words().explain_first,
                        _ => lab.lang().answer_locked(predict),
                    }}
                </p>
            </Show>
            {move || state.get().revealed.then(|| view! { <div class="answer prose" inner_html=markdown(&answer)></div> })}
        </section>
    }
}

/// The lesson's `worksheet` widget: the student's name and class (asked
/// once, kept in the browser), and everything the student did, to hand in.
#[component]
pub fn WorksheetExport() -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let words = move || lab.lang().student_words();
    let name = lab.select(|s| s.student_name().to_string());
    let class = lab.select(|s| s.student.class.clone());
    // Under `piedge serve`, the board's nickname stands in for a name.
    let from_nickname =
        lab.select(|s| s.student.name.trim().is_empty() && !s.board.nickname.trim().is_empty());
    view! {
        <section class="card worksheet">
            <div class="row">
                <StudentField id="student-name" label=Signal::derive(move || words().name) value=name on_input=Event::SetStudentName/>
                <StudentField id="student-class" label=Signal::derive(move || words().class) value=class on_input=Event::SetStudentClass/>
            </div>
            <Show when=move || from_nickname.get()>
                <p class="hint">{move || words().name_from_nickname}</p>
            </Show>
            <p class="hint">{move || ui().worksheet_hint}</p>
            <p class="hint" id="hand-in">{move || words().hand_in}</p>
            <button id="export-worksheet" on:click=move |_| lab.send(Event::ExportWorksheet)>
                {move || ui().export_worksheet}
            </button>
        </section>
    }
}

/// The name or the class on the worksheet.
#[component]
fn StudentField(
    id: &'static str,
    label: Signal<&'static str>,
    value: Memo<String>,
    on_input: fn(String) -> Event,
) -> impl IntoView {
    let lab = lab();
    view! {
        <label class="field">
            <span>{move || label.get()}</span>
            <input
                id=id
                type="text"
                maxlength=piedge::limits::LAB_MAX_NAME_CHARS.to_string()
                prop:value=move || value.get()
                on:input=move |ev| lab.send(on_input(event_target_value(&ev)))
            />
        </label>
    }
}
