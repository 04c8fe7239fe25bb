//! The benchmark's controls: warmup, runs, seed and plan, run and cancel,
//! the progress of a live run (with the offer to stop a long one) and the
//! charts that fill in while it measures.

use super::common::{chart_text, lab};
use crate::{charts, dom};
use leptos::html;
use leptos::prelude::*;
use piedge::bench::Phase;
use piedge::charts::{self as engine_charts, SeriesMarks};
use piedge::histogram::{BinRule, Histogram};
use piedge::lab::chart_alt;
use piedge::lab::config::Field;
use piedge::lab::state::{Event, Purpose};
use piedge::plan::Plan;
use piedge::stats::{LatencyStats, StatsOptions};

/// A number field of the settings; `id` tells apart its copies (the
/// controls' and the experiment's edit the same setting).
#[component]
pub(super) fn NumberField(field: Field, id: &'static str) -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let value = lab.select(move |s| match field {
        Field::Warmup => s.url.config.warmup.clone(),
        Field::Runs => s.url.config.runs.clone(),
        Field::Seed => s.url.config.seed.clone(),
    });
    let label = move || match field {
        Field::Warmup => ui().warmup,
        Field::Runs => ui().runs,
        Field::Seed => ui().seed,
    };
    let field_errors = lab.select(move |s| s.url.config.field_errors(field));
    let fixed = lab.select(|s| s.controls_fixed());
    let many_runs = lab.select(move |s| {
        (field == Field::Runs)
            .then(|| s.url.config.many_runs())
            .flatten()
    });
    let errors = move || {
        let lang = lab.lang();
        field_errors
            .get()
            .iter()
            .map(|e| lang.field_error(e))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let warning = move || {
        many_runs
            .get()
            .map(|runs| lab.lang().many_runs_warning(runs))
            .unwrap_or_default()
    };
    let error_id = format!("{id}-error");
    view! {
        <label class="field" class:invalid=move || !field_errors.get().is_empty()>
            <span>{label}</span>
            <input
                id=id
                type="text"
                inputmode="numeric"
                disabled=move || fixed.get()
                aria-describedby=error_id.clone()
                aria-invalid=move || (!field_errors.get().is_empty()).to_string()
                prop:value=move || value.get()
                on:input=move |ev| lab.send(Event::SetField(field, event_target_value(&ev)))
            />
            <span class="error-text" id=error_id>{errors}</span>
            <span class="warning-text" id=format!("{id}-warning")>{warning}</span>
        </label>
    }
}

#[component]
pub fn Controls() -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let can_run = lab.select(|s| s.can_run());
    let live = lab.select(|s| s.live.is_some());
    let plan = lab.select(|s| s.url.config.plan);
    let fixed = lab.select(|s| s.controls_fixed());
    view! {
        <section class="card controls">
            <Show when=move || fixed.get()>
                <p class="hint" id="fixed-note">{move || lab.lang().teacher_words().fixed_note}</p>
            </Show>
            <div class="row">
                <NumberField field=Field::Warmup id="warmup"/>
                <NumberField field=Field::Runs id="runs"/>
                <NumberField field=Field::Seed id="seed"/>
            </div>
            <fieldset class="plan">
                <legend>{move || ui().plan}</legend>
                {[(Plan::Optimized, "plan-optimized"), (Plan::Unoptimized, "plan-unoptimized")]
                    .into_iter()
                    .map(|(p, id)| {
                        view! {
                            <label>
                                <input
                                    type="radio"
                                    name="plan"
                                    id=id
                                    disabled=move || fixed.get()
                                    prop:checked=move || plan.get() == p
                                    on:change=move |_| lab.send(Event::SetPlan(p))
                                />
                                {move || if p == Plan::Optimized { ui().optimized } else { ui().unoptimized }}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <div class="row actions">
                <button id="run" class="primary" disabled=move || !can_run.get() on:click=move |_| lab.send(Event::Run)>
                    {move || ui().run}
                </button>
                <button id="cancel" disabled=move || !live.get() on:click=move |_| lab.send(Event::Cancel)>
                    {move || ui().cancel}
                </button>
            </div>
            <RunDone/>
            <Progress/>
            <LiveCharts/>
        </section>
    }
}

/// The finished run in one line, beside the button that started it, with
/// the way to its results. The region is always there, so a screen reader
/// announces the line when it appears.
#[component]
fn RunDone() -> impl IntoView {
    let lab = lab();
    let finished = lab.select(|s| s.finished.clone());
    let results_step = lab.select(|s| s.step_with_widget("results"));
    let line = move || {
        lab.track_runs();
        let id = finished.get()?;
        let st = lab.with_untracked(|s| s.run(&id).map(|r| r.report.statistics.clone()))?;
        let text = lab.lang().run_done(st.n, st.p50, st.p95);
        let link = results_step.get().map(|step| {
            view! {
                <button class="link" id="read-results" on:click=move |_| lab.send(Event::GoToStep(step))>
                    {move || lab.lang().ui().read_results}
                </button>
            }
        });
        Some(view! { <span>{text}</span> " " {link} })
    };
    view! { <p class="run-done" id="run-done" role="status" aria-live="polite">{line}</p> }
}

/// The live run's progress bar, and the offer to stop a run past its budget.
#[component]
pub fn Progress() -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    move || {
        lab.with(|s| {
            s.live.as_ref().map(|l| {
                let label = match (&l.job.purpose, l.phase) {
                    (Purpose::Calibration { .. }, _) => ui().calibrating,
                    (_, Phase::Warmup) => ui().warming_up,
                    (_, Phase::Timed) => ui().running,
                };
                let (done, total, pct) = (l.done, l.total, l.percent());
                // Progress messages re-render this at least every few ms.
                let over_budget = l.over_budget(dom::now_ms()).map(|seconds| {
                    let run_pct = if l.phase == Phase::Timed { pct } else { 0 };
                    view! {
                        <div class="long-run" id="long-run" role="alert">
                            <span>{lab.lang().long_run(seconds, run_pct)}</span>
                            <button id="stop-long-run" on:click=move |_| lab.send(Event::Cancel)>
                                {move || ui().stop_and_keep}
                            </button>
                            <button id="keep-going" on:click=move |_| lab.send(Event::KeepGoing)>
                                {move || ui().keep_going}
                            </button>
                        </div>
                    }
                });
                view! {
                    <div class="progress" id="progress">
                        <progress max=total.to_string() value=done.to_string()></progress>
                        <span>{format!("{label}: {done} / {total} ({pct} %) – {}", l.model_name)}</span>
                        {over_budget}
                    </div>
                }
            })
        })
    }
}

/// Histogram and series that fill in while a run is measuring.
#[component]
fn LiveCharts() -> impl IntoView {
    let lab = lab();
    let hist_ref: NodeRef<html::Canvas> = NodeRef::new();
    let series_ref: NodeRef<html::Canvas> = NodeRef::new();
    let last_draw = StoredValue::new(0.0f64);
    let live = lab.select(|s| s.live.is_some());
    Effect::new(move |_| {
        let text = chart_text(lab.lang());
        lab.with(|s| {
            let Some(l) = &s.live else { return };
            // Redraw at most ten times a second, however fast results stream.
            let now = dom::now_ms();
            if now - last_draw.get_value() < 100.0 && l.done < l.total {
                return;
            }
            last_draw.set_value(now);
            let data = l.charted();
            let options = StatsOptions {
                bootstrap_resamples: Some(0),
                ..Default::default()
            };
            let Ok(stats) = LatencyStats::compute(data, &options) else {
                return;
            };
            if let Some(c) = hist_ref.get() {
                let h = Histogram::new(data, BinRule::Auto);
                let alt = lab
                    .lang()
                    .numbers(&chart_alt::histogram(lab.lang(), &h, &stats));
                charts::draw(&c, &alt, |a| {
                    engine_charts::draw_histogram(a, &h, &stats, &text)
                });
            }
            if let Some(c) = series_ref.get() {
                let marks = SeriesMarks { env: &[] };
                let alt = lab.lang().numbers(&chart_alt::series(
                    lab.lang(),
                    &l.warmup_ms,
                    &l.latencies_ms,
                ));
                charts::draw(&c, &alt, |a| {
                    engine_charts::draw_series(
                        a,
                        &l.warmup_ms,
                        &l.latencies_ms,
                        &stats,
                        &marks,
                        &text,
                    )
                });
            }
        });
    });
    view! {
        <div class="charts live" class:hidden=move || !live.get()>
            <canvas node_ref=hist_ref class="chart"></canvas>
            <canvas node_ref=series_ref class="chart"></canvas>
        </div>
    }
}
