//! The student's own experiment: their question and prediction, the
//! settings they pick and the runs they make (the suggested series as a
//! start), their conclusion; then the kept runs (rename, delete, import,
//! export) and the side-by-side comparison.

use super::common::{chart_text, event_target, files_of, lab};
use super::controls::{NumberField, Progress};
use super::results::Exports;
use crate::charts;
use leptos::html;
use leptos::prelude::*;
use piedge::charts::{self as engine_charts, BoxSeries};
use piedge::lab::chart_alt;
use piedge::lab::config::Field;
use piedge::lab::session::{RunRecord, Series};
use piedge::lab::state::{Event, ExperimentField};
use piedge::report::ms;

#[component]
pub fn Experiment() -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let words = move || lab.lang().student_words();
    let can_measure = lab.select(|s| s.can_measure());
    let can_run = lab.select(|s| s.can_run());
    let live = lab.select(|s| s.live.is_some());
    view! {
        <section class="card experiment">
            <h3>{move || words().experiment}</h3>
            <ExperimentText field=ExperimentField::Question id="experiment-question"/>
            <ExperimentText field=ExperimentField::Prediction id="experiment-prediction"/>
            <p class="hint">{move || words().experiment_settings}</p>
            <div class="row">
                <NumberField field=Field::Warmup id="experiment-warmup"/>
                <NumberField field=Field::Runs id="experiment-runs"/>
            </div>
            <div class="row actions">
                <button id="run-experiment" class="primary" disabled=move || !can_run.get() on:click=move |_| lab.send(Event::RunExperiment)>
                    {move || words().experiment_run}
                </button>
            </div>
            <p class="hint">{move || words().suggested_series}</p>
            <div class="row actions">
                <button id="series-runs" disabled=move || !can_measure.get() on:click=move |_| lab.send(Event::RunSeries(Series::Runs))>
                    {move || format!("{}: {}", ui().run_series, ui().series_runs)}
                </button>
                <button id="series-warmup" disabled=move || !can_measure.get() on:click=move |_| lab.send(Event::RunSeries(Series::Warmup))>
                    {move || format!("{}: {}", ui().run_series, ui().series_warmup)}
                </button>
                <button id="cancel-series" disabled=move || !live.get() on:click=move |_| lab.send(Event::Cancel)>
                    {move || ui().cancel}
                </button>
            </div>
            <Progress/>
            <ExperimentRuns/>
            <ExperimentText field=ExperimentField::Conclusion id="experiment-conclusion"/>
            <SavedRuns/>
            <Comparison/>
        </section>
    }
}

/// One of the experiment's text fields: the question, the prediction or
/// the conclusion.
#[component]
fn ExperimentText(field: ExperimentField, id: &'static str) -> impl IntoView {
    let lab = lab();
    let value = lab.select(move |s| match field {
        ExperimentField::Question => s.experiment.question.clone(),
        ExperimentField::Prediction => s.experiment.prediction.clone(),
        ExperimentField::Conclusion => s.experiment.conclusion.clone(),
    });
    let label = move || {
        let w = lab.lang().student_words();
        match field {
            ExperimentField::Question => (w.experiment_question, w.experiment_question_placeholder),
            ExperimentField::Prediction => {
                (w.experiment_prediction, w.experiment_prediction_placeholder)
            }
            ExperimentField::Conclusion => (w.conclusion, w.conclusion_placeholder),
        }
    };
    view! {
        <label class="field wide">
            <span>{move || label().0}</span>
            <textarea
                id=id
                rows="2"
                placeholder=move || label().1
                prop:value=move || value.get()
                on:input=move |ev| lab.send(Event::SetExperiment(field, event_target_value(&ev)))
            ></textarea>
        </label>
    }
}

/// The experiment's runs, each with its settings and headline numbers.
#[component]
fn ExperimentRuns() -> impl IntoView {
    let lab = lab();
    let words = move || lab.lang().student_words();
    let ids = lab.select(|s| s.experiment.runs.clone());
    let rows = move || {
        ids.track();
        lab.track_runs();
        let lang = lab.lang();
        lab.with_untracked(|s| {
            s.experiment_runs()
                .into_iter()
                .map(|r| {
                    let (c, st) = (&r.report.benchmark_config, &r.report.statistics);
                    let settings = format!(
                        "{}, {}",
                        lang.board_settings(c.warmup_runs, c.benchmark_runs),
                        lang.plan_word(&c.plan)
                    );
                    (
                        r.name.clone(),
                        settings,
                        lang.decimal(ms(st.p50)),
                        lang.decimal(ms(st.p95)),
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div class="experiment-runs">
            <h4>{move || words().experiment_runs}</h4>
            {move || {
                let rows = rows();
                if rows.is_empty() {
                    view! { <p class="hint">{move || words().experiment_none}</p> }.into_any()
                } else {
                    view! {
                        <table class="mini" id="experiment-table">
                            <thead>
                                <tr>
                                    <th>{move || lab.lang().worksheet_words().run}</th>
                                    <th>{move || lab.lang().worksheet_words().settings}</th>
                                    <th>"P50"</th><th>"P95"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {rows
                                    .into_iter()
                                    .map(|(name, settings, p50, p95)| view! { <tr><td>{name}</td><td>{settings}</td><td>{p50}</td><td>{p95}</td></tr> })
                                    .collect_view()}
                            </tbody>
                        </table>
                    }
                    .into_any()
                }
            }}
        </div>
    }
}

#[component]
fn SavedRuns() -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let empty = lab.select(|s| s.runs.is_empty());
    let runs = move || {
        lab.track_runs();
        lab.with_untracked(|s| s.runs.all().to_vec())
    };
    view! {
        <div class="saved">
            <h3>{move || ui().saved_runs}</h3>
            <label class="file">
                <span>{move || ui().import}</span>
                <input
                    id="import-file"
                    type="file"
                    accept=".json,.csv,application/json,text/csv"
                    multiple=true
                    on:change=move |ev| {
                        let input: web_sys::HtmlInputElement = event_target(&ev);
                        lab.pick_imports(files_of(input.files()));
                        input.set_value("");
                    }
                />
                <small>{move || ui().import_hint}</small>
            </label>
            <p class="hint">{move || ui().compare_hint}</p>
            <ul class="runs" id="saved-runs">
                {move || runs().into_iter().rev().map(|r| view! { <SavedRun run=r/> }).collect_view()}
            </ul>
            <button id="export-all" disabled=move || empty.get() on:click=move |_| lab.send(Event::ExportAll)>
                {move || ui().export_all}
            </button>
            <button id="clear-all" class="danger" disabled=move || empty.get() on:click=move |_| lab.send(Event::ClearAll)>
                {move || ui().clear_all}
            </button>
        </div>
    }
}

#[component]
fn SavedRun(run: RunRecord) -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(run.name.clone());
    let id = run.id.clone();
    let compared = lab.select({
        let id = id.clone();
        move |s| s.compare.contains(&id)
    });
    let s = run.report.statistics.clone();
    let host = run.report.system_info.device.clone();
    let shown_name = run.name.clone();
    let (toggle_id, rename_id, show_id, delete_id) =
        (id.clone(), id.clone(), id.clone(), id.clone());
    view! {
        <li class="run" data-run-id=id.clone()>
            <input
                type="checkbox"
                aria-label=move || format!("{}: {}", ui().compare, draft.get())
                prop:checked=move || compared.get()
                on:change=move |ev| lab.send(Event::SetCompared { id: toggle_id.clone(), on: event_target_checked(&ev) })
            />
            {move || {
                if editing.get() {
                    let id = rename_id.clone();
                    view! {
                        <input
                            class="rename"
                            prop:value=move || draft.get()
                            on:input=move |ev| draft.set(event_target_value(&ev))
                            on:keydown=move |ev: web_sys::KeyboardEvent| {
                                if ev.key() == "Enter" {
                                    lab.send(Event::Rename { id: id.clone(), name: draft.get_untracked() });
                                    editing.set(false);
                                }
                                if ev.key() == "Escape" {
                                    editing.set(false);
                                }
                            }
                        />
                    }
                    .into_any()
                } else {
                    let id = show_id.clone();
                    view! {
                        <button class="link run-name" on:click=move |_| lab.send(Event::ShowRun(id.clone()))>
                            {shown_name.clone()}
                        </button>
                    }
                    .into_any()
                }
            }}
            <span class="run-stats">{move || lab.lang().numbers(&format!("p50 {} · p95 {} ms · n {} · {host}", ms(s.p50), ms(s.p95), s.n))}</span>
            <ShareButton id=id.clone()/>
            <button class="small" on:click=move |_| editing.update(|e| *e = !*e)>{move || ui().rename}</button>
            <button class="small danger" on:click=move |_| lab.send(Event::Delete(delete_id.clone()))>{move || ui().delete}</button>
            <Exports id=id.clone()/>
        </li>
    }
}

/// "Share with the class", when the lab came from `piedge serve`; "shared
/// ✓" once it is on the board.
#[component]
fn ShareButton(id: String) -> impl IntoView {
    let lab = lab();
    let word = move |k: &str| lab.lang().board_word(k);
    let server =
        lab.select(|s| matches!(s.native.api, piedge::lab::state::ServerApi::Present { .. }));
    let shared = lab.select({
        let id = id.clone();
        move |s| s.board.shared.iter().any(|(r, _)| *r == id)
    });
    move || {
        let id = id.clone();
        server.get().then(|| {
            if shared.get() {
                view! { <span class="shared-mark">{word("shared")}</span> }.into_any()
            } else {
                view! {
                    <button class="small" data-share=id.clone() on:click=move |_| lab.send(Event::Share(id.clone()))>
                        {move || word("share")}
                    </button>
                }
                .into_any()
            }
        })
    }
}

#[component]
fn Comparison() -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let ids = lab.select(|s| s.compare.clone());
    let selected = move || {
        let ids = ids.get();
        lab.track_runs();
        lab.with_untracked(|s| {
            ids.iter()
                .filter_map(|id| s.run(id).cloned())
                .collect::<Vec<_>>()
        })
    };
    let hist_ref: NodeRef<html::Canvas> = NodeRef::new();
    let box_ref: NodeRef<html::Canvas> = NodeRef::new();
    Effect::new(move |_| {
        let runs = selected();
        let text = chart_text(lab.lang());
        if runs.is_empty() {
            return;
        }
        if let Some(c) = hist_ref.get() {
            let series: Vec<(&str, &[f64])> = runs
                .iter()
                .map(|r| (r.name.as_str(), r.report.raw_latencies.as_slice()))
                .collect();
            let boxes: Vec<BoxSeries> = runs.iter().map(box_series).collect();
            let alt = lab.lang().numbers(&chart_alt::compared(lab.lang(), &boxes));
            charts::draw(&c, &alt, |a| {
                engine_charts::draw_histogram_overlay(a, &series, &text)
            });
        }
        if let Some(c) = box_ref.get() {
            let series: Vec<BoxSeries> = runs.iter().map(box_series).collect();
            let alt = lab.lang().numbers(&chart_alt::boxes(lab.lang(), &series));
            charts::draw(&c, &alt, |a| {
                engine_charts::draw_boxplots(a, &series, &text)
            });
        }
    });
    view! {
        <div class="comparison" class:hidden=move || ids.get().is_empty()>
            <h3>{move || ui().compare}</h3>
            <div class="table-scroll">
                <table class="stats" id="comparison-table">
                    <thead>
                        <tr>
                            <th>{move || ui().name}</th><th>{move || ui().host}</th><th>{move || ui().engine}</th>
                            <th>{move || ui().warmup}</th><th>"n"</th><th>{move || lab.lang().stat_label("Std").to_string()}</th><th>"P50"</th><th>"P95"</th>
                            <th>{move || format!("P50 {}", ui().ci95)}</th><th>{move || format!("P95 {}", ui().ci95)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || {
                            let lang = lab.lang();
                            let num = move |x: f64| lang.decimal(ms(x));
                            selected()
                                .into_iter()
                                .map(|r| {
                                    let row = r.comparison_row();
                                    view! {
                                        <tr data-run-id=r.id.clone()>
                                            <td>{row.name}</td><td>{row.host}</td><td>{row.engine}</td>
                                            <td>{row.warmup}</td><td>{row.n}</td><td>{num(row.std)}</td>
                                            <td>{num(row.p50)}</td><td>{num(row.p95)}</td>
                                            <td>{num(row.p50_ci_width)}</td><td>{num(row.p95_ci_width)}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()
                        }}
                    </tbody>
                </table>
            </div>
            <div class="charts">
                <canvas node_ref=hist_ref id="compare-histogram" class="chart"></canvas>
                <canvas node_ref=box_ref id="compare-box" class="chart"></canvas>
            </div>
        </div>
    }
}

/// A kept run as one box (or distribution) of a comparison chart.
fn box_series(r: &RunRecord) -> BoxSeries<'_> {
    BoxSeries {
        label: r.name.as_str(),
        latencies_ms: &r.report.raw_latencies,
        stats: &r.report.statistics,
    }
}
