//! A reflection question: the student's prediction, the measurement that
//! answers it, its runs in a small table, and the answer, which opens only
//! after both.

use super::common::{lab, markdown};
use leptos::prelude::*;
use piedge::lab::state::Event;
use piedge::report::{ms, stat_lines};

#[component]
pub fn Question(id: String, prompt: String, answer: String) -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let qid = id.clone();
    let state = lab.select(move |s| s.question(&qid));
    let can_measure = lab.select(|s| s.can_measure());
    let (measure_id, input_id, reveal_id) = (id.clone(), id.clone(), id.clone());
    // The runs' statistics, as (runs, mean, p50, p95, std, CI p95 width).
    let measured = move || {
        let ids = state.get().runs;
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
            <div class="prose" inner_html=markdown(&prompt)></div>
            <label class="field wide">
                <span>{move || ui().your_prediction}</span>
                <textarea
                    rows="3"
                    placeholder=move || ui().prediction_placeholder
                    prop:value=move || state.get().prediction
                    on:input=move |ev| lab.send(Event::SetPrediction { question: input_id.clone(), text: event_target_value(&ev) })
                ></textarea>
            </label>
            <div class="row actions">
                <button class="measure" disabled=move || !can_measure.get() on:click=move |_| lab.send(Event::Measure(measure_id.clone()))>
                    {move || ui().measure}
                </button>
                <button
                    class="reveal"
                    disabled=move || !state.get().can_reveal()
                    on:click=move |_| lab.send(Event::Reveal(reveal_id.clone()))
                >
                    {move || ui().show_answer}
                </button>
            </div>
            {summary}
            <Show when=move || !state.get().revealed>
                <p class="hint">{move || ui().answer_locked}</p>
            </Show>
            {move || state.get().revealed.then(|| view! { <div class="answer prose" inner_html=markdown(&answer)></div> })}
        </section>
    }
}
