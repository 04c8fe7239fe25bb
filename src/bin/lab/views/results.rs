//! A run's results: its statistics, the summary file, the three charts and
//! its downloads; and the cold-start experiment's first-run chart.

use super::common::{chart_text, lab};
use crate::charts;
use leptos::html;
use leptos::prelude::*;
use piedge::charts::{self as engine_charts, BoxSeries, SeriesMarks};
use piedge::histogram::{BinRule, Histogram};
use piedge::lab::chart_alt;
use piedge::lab::session::RunRecord;
use piedge::lab::state::Event;
use piedge::report::{self, ReportFile};

#[component]
pub fn Results() -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let current = lab.select(|s| s.current.clone());
    let run = move || {
        lab.track_runs();
        current
            .get()
            .and_then(|id| lab.with_untracked(|s| s.run(&id).cloned()))
    };
    view! {
        <section class="card results">
            <h3>{move || ui().results}</h3>
            {move || match run() {
                None => view! { <p id="no-results">{ui().no_results}</p> }.into_any(),
                Some(r) => view! { <RunView run=r/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn RunView(run: RunRecord) -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let r = run.report.clone();
    let s = r.statistics.clone();
    let summary = String::from_utf8_lossy(&report::summary_txt(&r)).into_owned();
    // Rows are marked with their label (`data-stat="P95"`), as the end-to-end
    // tests and scripts read them.
    let mut rows: Vec<(&'static str, String)> = vec![("n", s.n.to_string())];
    rows.extend(
        report::stat_lines(&s)
            .into_iter()
            .map(|l| (l.label, l.value)),
    );
    rows.push(("CV", report::cv_percent(&s)));
    let hist_ref: NodeRef<html::Canvas> = NodeRef::new();
    let box_ref: NodeRef<html::Canvas> = NodeRef::new();
    let series_ref: NodeRef<html::Canvas> = NodeRef::new();
    let report_for_charts = r.clone();
    Effect::new(move |_| {
        let text = chart_text(lab.lang());
        let r = &report_for_charts;
        let st = &r.statistics;
        if let Some(c) = hist_ref.get() {
            let h = Histogram::new(&r.raw_latencies, BinRule::Auto);
            let alt = lab
                .lang()
                .numbers(&chart_alt::histogram(lab.lang(), &h, st));
            charts::draw(&c, &alt, |a| {
                engine_charts::draw_histogram(a, &h, st, &text)
            });
        }
        if let Some(c) = box_ref.get() {
            let series = [BoxSeries {
                label: r.model_name(),
                latencies_ms: &r.raw_latencies,
                stats: st,
            }];
            let alt = lab.lang().numbers(&chart_alt::boxes(lab.lang(), &series));
            charts::draw(&c, &alt, |a| {
                engine_charts::draw_boxplots(a, &series, &text)
            });
        }
        if let Some(c) = series_ref.get() {
            let alt = lab.lang().numbers(&chart_alt::series(
                lab.lang(),
                &r.warmup_latencies,
                &r.raw_latencies,
            ));
            let marks = SeriesMarks {
                env: &r.env_samples,
            };
            charts::draw(&c, &alt, |a| {
                engine_charts::draw_series(
                    a,
                    &r.warmup_latencies,
                    &r.raw_latencies,
                    st,
                    &marks,
                    &text,
                )
            });
        }
    });
    let batched = r.benchmark_config.inferences_per_sample > 1;
    let n_runs = s.n;
    let extra = &r.system_info.extra;
    let (hidden, silent_s) = piedge::lab::state::recorded_disturbance(&r);
    // Why this run's timer was coarse, as its report recorded it.
    let timer_context = extra
        .get("timer_context")
        .and_then(|k| piedge::lab::browser::TimerContext::from_key(k));
    let timer_step = r.timer.as_ref().map(|t| t.median_step_ms);
    let cancelled = r.cancelled;
    let ci = |c: piedge::stats::Interval| format!("{} – {}", report::ms(c.low), report::ms(c.high));
    view! {
        <div class="run-view" data-run-id=run.id.clone()>
            <p class="run-name"><strong>{run.name.clone()}</strong></p>
            <Show when=move || cancelled><p class="hint">{move || ui().cancelled_note}</p></Show>
            <Show when=move || batched><p class="hint">{move || ui().batched_note}</p></Show>
            {move || timer_context.and_then(|c| lab.lang().timer_why(c, timer_step)).map(|t| view! { <p class="hint" data-timer-why="run">{t}</p> })}
            {move || lab.lang().disturbed(hidden, silent_s.as_deref()).map(|t| view! { <p class="hint disturbed" id="disturbed-note" role="note">{t}</p> })}
            {move || lab.lang().thin_tail(n_runs).map(|t| view! { <p class="hint" id="tail-note">{t}</p> })}
            <div class="two-col">
                <table class="stats" id="stats-table">
                    <thead><tr><th>{move || ui().statistic}</th><th>{move || ui().value}</th></tr></thead>
                    <tbody>
                        {rows.into_iter().map(|(k, v)| view! { <tr data-stat=k><th>{move || lab.lang().stat_label(k).to_string()}</th><td>{move || lab.lang().numbers(&v)}</td></tr> }).collect_view()}
                        <tr data-stat="outliers"><th>{move || ui().outliers}</th><td>{s.outliers}</td></tr>
                        <tr data-stat="p50_ci95">
                            <th>{move || format!("P50 {}", ui().ci95)}</th>
                            <td>{move || lab.lang().numbers(&ci(s.p50_ci95))}</td>
                        </tr>
                        <tr data-stat="p95_ci95">
                            <th>{move || format!("P95 {}", ui().ci95)}</th>
                            <td>{move || lab.lang().numbers(&ci(s.p95_ci95))}</td>
                        </tr>
                    </tbody>
                </table>
                <details class="summary-file" open=true>
                    <summary>{move || ui().summary_file}</summary>
                    // Focusable, so that a keyboard can scroll it when it is wider than the page.
                    <pre id="summary-text" tabindex="0" role="region" aria-label=move || ui().summary_file>{summary}</pre>
                </details>
            </div>
            <div class="charts">
                <canvas node_ref=hist_ref id="chart-histogram" class="chart"></canvas>
                <canvas node_ref=box_ref id="chart-box" class="chart"></canvas>
                <canvas node_ref=series_ref id="chart-series" class="chart"></canvas>
            </div>
            <Exports id=run.id.clone() hist_ref box_ref series_ref/>
        </div>
    }
}

/// Downloads of one run: the CLI's three report files, byte for byte the
/// same writers, and the charts as PNG.
#[component]
pub fn Exports(
    id: String,
    #[prop(optional)] hist_ref: Option<NodeRef<html::Canvas>>,
    #[prop(optional)] box_ref: Option<NodeRef<html::Canvas>>,
    #[prop(optional)] series_ref: Option<NodeRef<html::Canvas>>,
) -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let pngs: Vec<(&'static str, NodeRef<html::Canvas>)> = [
        ("latency_histogram.png", hist_ref),
        ("latency_boxplot.png", box_ref),
        ("latency_series.png", series_ref),
    ]
    .into_iter()
    .filter_map(|(n, r)| r.map(|r| (n, r)))
    .collect();
    view! {
        <div class="exports" role="group" aria-label=move || ui().export>
            <span>{move || ui().export} ":"</span>
            {ReportFile::ALL
                .into_iter()
                .map(|file| {
                    let id = id.clone();
                    view! {
                        <button
                            class="small"
                            data-export=file.file_name()
                            on:click=move |_| lab.send(Event::ExportReport { id: id.clone(), file })
                        >
                            {file.file_name()}
                        </button>
                    }
                })
                .collect_view()}
            {pngs
                .into_iter()
                .map(|(name, canvas)| {
                    view! {
                        <button
                            class="small"
                            data-export=name
                            on:click=move |_| {
                                if let Some(c) = canvas.get() {
                                    lab.download_canvas(&c, name);
                                }
                            }
                        >
                            {name}
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// The cold-start experiment: 20 runs without warmup, the first ones marked.
#[component]
pub fn ColdStart() -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let series_ref: NodeRef<html::Canvas> = NodeRef::new();
    let cold = lab.select(|s| s.cold_run.clone());
    let can_measure = lab.select(|s| s.can_measure());
    let run = move || {
        lab.track_runs();
        cold.get()
            .and_then(|id| lab.with_untracked(|s| s.run(&id).cloned()))
    };
    Effect::new(move |_| {
        let text = chart_text(lab.lang());
        if let (Some(r), Some(c)) = (run(), series_ref.get()) {
            let st = &r.report.statistics;
            let marks = SeriesMarks { env: &[] };
            let alt =
                lab.lang()
                    .numbers(&chart_alt::series(lab.lang(), &[], &r.report.raw_latencies));
            charts::draw(&c, &alt, |a| {
                engine_charts::draw_series(a, &[], &r.report.raw_latencies, st, &marks, &text)
            });
        }
    });
    view! {
        <section class="card cold-start">
            <button id="cold-start" class="primary" disabled=move || !can_measure.get() on:click=move |_| lab.send(Event::ColdStart)>
                {move || ui().cold_start}
            </button>
            {move || {
                run().map(|r| {
                    let first = r.report.raw_latencies[0];
                    let text = lab.lang().cold_start_result(first, r.report.statistics.p50);
                    view! { <p id="cold-result">{text}</p> }
                })
            }}
            <canvas node_ref=series_ref class="chart" class:hidden=move || run().is_none()></canvas>
        </section>
    }
}
