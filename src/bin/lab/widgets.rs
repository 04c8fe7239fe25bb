//! The lab's visible parts. Each widget reads the `Lab` state from context
//! and calls its methods; drawing is the engine's chart code on a canvas.

use crate::app::{bundled_models, Job, Lab, NoticeAction, Purpose};
use crate::{charts, dom};
use leptos::html;
use leptos::prelude::*;
use piedge::bench::Phase;
use piedge::charts::{self as engine_charts, BoxSeries, ChartText, SeriesMarks};
use piedge::histogram::{BinRule, Histogram};
use piedge::lab::config::{Field, STEPS};
use piedge::lab::lesson::Part;
use piedge::lab::session::{RunRecord, Series};
use piedge::lab::Lang;
use piedge::plan::Plan;
use piedge::report::{self, ReportFile};
use piedge::stats::{LatencyStats, StatsOptions};
use wasm_bindgen::JsCast;

fn lab() -> Lab {
    expect_context::<Lab>()
}

fn chart_text(lang: Lang) -> ChartText {
    match lang {
        Lang::Sv => ChartText::swedish(),
        Lang::En => ChartText::english(),
    }
}

fn markdown(md: &str) -> String {
    use pulldown_cmark::{html, Options, Parser};
    let mut out = String::new();
    html::push_html(
        &mut out,
        Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH),
    );
    out
}

fn ms(x: f64) -> String {
    format!("{x:.3}")
}

// --- Frame -------------------------------------------------------------------

#[component]
pub fn Header() -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    view! {
        <header class="top">
            <h1>{move || ui().app_title}</h1>
            <div class="top-tools">
                <label class="lang">
                    <span>{move || ui().language}</span>
                    <select
                        id="lang-select"
                        on:change=move |ev| {
                            if let Some(l) = Lang::from_code(&event_target_value(&ev)) {
                                lab.url.update(|u| u.lang = l);
                            }
                        }
                    >
                        {Lang::ALL
                            .iter()
                            .map(|&l| {
                                view! {
                                    <option value=l.code() selected=move || lab.lang() == l>
                                        {l.native_name()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label class="toggle">
                    <input
                        type="checkbox"
                        prop:checked=move || lab.projector.get()
                        on:change=move |ev| lab.projector.set(event_target_checked(&ev))
                    />
                    <span>{move || ui().projector}</span>
                </label>
            </div>
        </header>
    }
}

#[component]
pub fn Notices() -> impl IntoView {
    let lab = lab();
    view! {
        <div class="notices" role="status" aria-live="polite">
            {move || {
                lab.notices
                    .get()
                    .into_iter()
                    .map(|n| {
                        let id = n.id;
                        let action = n.action.map(|a| match a {
                            NoticeAction::ExportAll => view! {
                                <button class="notice-action" on:click=move |_| lab.export_all()>
                                    {move || lab.lang().ui().export_all}
                                </button>
                            },
                        });
                        let detail = n.detail.map(|d| view! {
                            <details class="notice-detail">
                                <summary>{move || lab.lang().ui().tract_detail}</summary>
                                <pre>{d}</pre>
                            </details>
                        });
                        view! {
                            <div class="notice" class:error=n.is_error>
                                <span class="notice-text">{n.text}</span>
                                {detail}
                                {action}
                                <button
                                    class="link"
                                    on:click=move |_| lab.notices.update(|ns| ns.retain(|x| x.id != id))
                                >
                                    {move || lab.lang().ui().dismiss}
                                </button>
                            </div>
                        }
                    })
                    .collect_view()
            }}
        </div>
    }
}

fn step_titles(lab: Lab) -> Vec<String> {
    let lang = lab.lang();
    lab.lessons.with(|l| match l.get(&lang) {
        Some(Ok(lesson)) => lesson.steps.iter().map(|s| s.title.clone()).collect(),
        _ => (1..=STEPS)
            .map(|i| format!("{} {i}", lang.ui().step))
            .collect(),
    })
}

#[component]
pub fn StepNav() -> impl IntoView {
    let lab = lab();
    let step = move || lab.url.with(|u| u.step);
    view! {
        <nav class="steps" aria-label=move || lab.lang().ui().step>
            <div class="progress-track" aria-hidden="true">
                <div class="progress-fill" style:width=move || format!("{}%", step() * 100 / STEPS)></div>
            </div>
            <ol>
                {move || {
                    step_titles(lab)
                        .into_iter()
                        .enumerate()
                        .map(|(i, title)| {
                            let n = i + 1;
                            view! {
                                <li>
                                    <a
                                        href=move || {
                                            let mut u = lab.url.get();
                                            u.step = n;
                                            u.to_hash()
                                        }
                                        class:current=move || { step() == n }
                                        class:done=move || { step() > n }
                                        aria-current=move || { (step() == n).then_some("step") }
                                        on:click=move |ev| {
                                            ev.prevent_default();
                                            lab.go_to_step(n);
                                        }
                                    >
                                        <span class="num">{n}</span>
                                        <span class="title">{title}</span>
                                    </a>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ol>
        </nav>
    }
}

#[component]
pub fn StepFooter() -> impl IntoView {
    let lab = lab();
    let step = move || lab.url.with(|u| u.step);
    let ui = move || lab.lang().ui();
    view! {
        <footer class="step-footer">
            <button id="back" disabled=move || { step() <= 1 } on:click=move |_| lab.go_to_step(step() - 1)>
                "← " {move || ui().back}
            </button>
            <span class="step-count">{move || format!("{} {} / {STEPS}", ui().step, step())}</span>
            <button id="next" class="primary" disabled=move || { step() >= STEPS } on:click=move |_| lab.go_to_step(step() + 1)>
                {move || ui().next} " →"
            </button>
        </footer>
    }
}

#[component]
pub fn StepContent() -> impl IntoView {
    let lab = lab();
    move || {
        let lang = lab.lang();
        let step = lab.url.with(|u| u.step);
        let lesson = lab.lessons.with(|l| l.get(&lang).cloned());
        match lesson {
            None => view! { <p class="loading">{lang.ui().loading}</p> }.into_any(),
            Some(Err(e)) => view! { <p class="notice error">{e}</p> }.into_any(),
            Some(Ok(lesson)) => {
                let Some(s) = lesson.steps.get(step - 1).cloned() else {
                    return view! { <p>{lang.ui().no_results}</p> }.into_any();
                };
                view! {
                    <article class="step" data-step=step>
                        <h2>{s.title.clone()}</h2>
                        {s.parts.into_iter().map(render_part).collect_view()}
                    </article>
                }
                .into_any()
            }
        }
    }
}

fn render_part(part: Part) -> AnyView {
    match part {
        Part::Markdown(md) => {
            view! { <div class="prose" inner_html=markdown(&md)></div> }.into_any()
        }
        Part::Question { id, prompt, answer } => view! { <Question id prompt answer/> }.into_any(),
        Part::Widget(name) => match name.as_str() {
            "environment" => view! { <Environment/> }.into_any(),
            "model" => view! { <ModelPicker/> }.into_any(),
            "controls" => view! { <Controls/> }.into_any(),
            "results" => view! { <Results/> }.into_any(),
            "cold-start" => view! { <ColdStart/> }.into_any(),
            "experiment" => view! { <Experiment/> }.into_any(),
            other => view! { <p class="notice error">{format!("unknown widget '{other}'")}</p> }
                .into_any(),
        },
    }
}

// --- Environment -------------------------------------------------------------

#[component]
pub fn Environment() -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let yes_no = move |b: bool| if b { ui().yes } else { ui().no };
    let (browser, os) = piedge::lab::browser::describe_user_agent(&dom::user_agent());
    view! {
        <section class="card environment" aria-labelledby="env-title">
            <h3 id="env-title">{move || ui().environment}</h3>
            <table class="kv">
                <tr>
                    <th>{move || ui().timer_resolution}</th>
                    <td id="env-timer">
                        {move || {
                            lab.env
                                .with(|e| e.as_ref().map(|e| format!("{:.4} ms ({})", e.timer.median_step_ms, e.timer.clock)))
                                .unwrap_or_else(|| "…".into())
                        }}
                    </td>
                </tr>
                <tr>
                    <th>{move || ui().cross_origin_isolated}</th>
                    <td id="env-isolated">{move || yes_no(dom::cross_origin_isolated())}</td>
                </tr>
                <tr>
                    <th>{move || ui().simd}</th>
                    <td id="env-simd">{move || lab.env.with(|e| e.as_ref().map(|e| yes_no(e.simd)).unwrap_or("…"))}</td>
                </tr>
                <tr>
                    <th>{move || ui().kernels}</th>
                    <td>
                        <button id="self-check" class="secondary" on:click=move |_| lab.run_self_check()
                            disabled=move || lab.env.with(|e| e.is_none()) || lab.self_check.with(|c| matches!(c, Some(None)))>
                            {move || ui().self_check}
                        </button>
                        " "
                        <span id="self-check-result" role="status">
                            {move || lab.self_check.with(|c| match c {
                                None => String::new(),
                                Some(None) => ui().self_check_running.to_string(),
                                Some(Some(Ok(r))) => format!(
                                    "✓ {} + {} + {} {} ({}; max |Δ| {:.1e})",
                                    r.depthwise_cases,
                                    r.direct_cases,
                                    r.max_pool_cases,
                                    ui().self_check_matches,
                                    r.isas.join(", "),
                                    r.max_abs_error
                                ),
                                Some(Some(Err(e))) => format!("{} {e}", ui().self_check_failed),
                            })}
                        </span>
                    </td>
                </tr>
                <tr>
                    <th>{move || ui().cores}</th>
                    <td>{dom::hardware_concurrency().map_or("?".to_string(), |n| n.to_string())}</td>
                </tr>
                <tr>
                    <th>{move || ui().browser}</th>
                    <td>{format!("{browser}, {os}")}</td>
                </tr>
            </table>
            <Show when=move || !dom::cross_origin_isolated()>
                <p class="hint">{move || ui().coarse_timer_note}</p>
            </Show>
        </section>
    }
}

// --- Model -------------------------------------------------------------------

#[component]
pub fn ModelPicker() -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let dragging = RwSignal::new(false);
    let on_files = move |files: Option<web_sys::FileList>| {
        let files: Vec<web_sys::File> = files
            .map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
            .unwrap_or_default();
        if !files.is_empty() {
            lab.load_files(files);
        }
    };
    view! {
        <section
            class="card model"
            class:dragging=move || dragging.get()
            on:dragover=move |ev: web_sys::DragEvent| {
                ev.prevent_default();
                dragging.set(true);
            }
            on:dragleave=move |_| dragging.set(false)
            on:drop=move |ev: web_sys::DragEvent| {
                ev.prevent_default();
                dragging.set(false);
                on_files(ev.data_transfer().and_then(|d| d.files()));
            }
        >
            <div class="row">
                <label>
                    <span>{move || ui().model}</span>
                    <select
                        id="model-select"
                        disabled=move || lab.is_busy()
                        on:change=move |ev| {
                            let name = event_target_value(&ev);
                            lab.url.update(|u| u.model = name);
                            lab.load_bundled();
                        }
                    >
                        {bundled_models()
                            .iter()
                            .map(|&m| {
                                view! {
                                    <option value=m selected=move || lab.url.with(|u| u.model == m)>
                                        {format!("{m}.onnx")}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label class="file">
                    <span>{move || ui().own_model}</span>
                    <input
                        id="model-file"
                        type="file"
                        accept=".onnx,.data,.bin"
                        multiple=true
                        disabled=move || lab.is_busy()
                        on:change=move |ev| {
                            let input: web_sys::HtmlInputElement = event_target(&ev);
                            on_files(input.files());
                            input.set_value("");
                        }
                    />
                </label>
            </div>
            <p class="hint">{move || ui().drop_hint}</p>
            <div class="row">
                <label>
                    <span>{move || ui().input_shape}</span>
                    <input
                        id="input-shape"
                        type="text"
                        placeholder="1,3,224,224"
                        prop:value=move || lab.input_shape.get()
                        on:input=move |ev| lab.input_shape.set(event_target_value(&ev))
                    />
                </label>
                <button
                    id="apply-shape"
                    disabled=move || lab.is_busy()
                    on:click=move |_| lab.reload_with_shape()
                >
                    {move || ui().use_shape}
                </button>
            </div>
            <p class="hint">{move || ui().input_shape_hint}</p>
            <Show when=move || lab.pending.with(|p| p.is_some())>
                <p class="busy">{move || ui().loading_model}</p>
            </Show>
            <ModelCardView/>
        </section>
    }
}

#[component]
fn ModelCardView() -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    move || {
        lab.model.get().map(|m| {
            let c = m.card.clone();
            let shape = |t: &piedge::card::TensorInfo| format!("{} {} [{}]", t.name, t.element_type, t.shape.join(", "));
            let mut ops: Vec<(String, usize)> = c.op_histogram.clone().into_iter().collect();
            ops.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let ops = ops.into_iter().map(|(o, n)| format!("{o} × {n}")).collect::<Vec<_>>().join(", ");
            view! {
                <details class="model-card" open=true>
                    <summary>
                        {move || ui().model_card} ": " <strong id="model-name">{c.name.clone()}</strong>
                    </summary>
                    <table class="kv">
                        <tr><th>{move || ui().inputs}</th><td>{c.inputs.iter().map(shape).collect::<Vec<_>>().join("; ")}</td></tr>
                        <tr><th>{move || ui().outputs}</th><td>{c.outputs.iter().map(shape).collect::<Vec<_>>().join("; ")}</td></tr>
                        <tr><th>{move || ui().operators}</th><td>{format!("{} nodes: {ops}", c.node_count)}</td></tr>
                        <tr><th>{move || ui().parameters}</th><td>{piedge::card::human_count(c.parameters)}</td></tr>
                        <tr><th>{move || ui().macs}</th><td id="model-macs">{piedge::card::human_count(c.macs)}</td></tr>
                        <tr><th>{move || ui().file_size}</th><td>{piedge::card::human_bytes(c.size_bytes)}</td></tr>
                        <tr>
                            <th>{move || ui().load_ms}</th>
                            <td>
                                {format!(
                                    "{:.1} ms / {:.1} ms (tract: {} → {} nodes){}",
                                    m.pipeline.load_ms,
                                    m.pipeline.optimise_ms,
                                    m.nodes_analysed,
                                    m.nodes_planned,
                                    if m.cached { ", cached" } else { "" },
                                )}
                            </td>
                        </tr>
                    </table>
                </details>
            }
        })
    }
}

// --- Controls and progress ---------------------------------------------------

#[component]
fn NumberField(field: Field, id: &'static str) -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let value = move || {
        lab.url.with(|u| match field {
            Field::Warmup => u.config.warmup.clone(),
            Field::Runs => u.config.runs.clone(),
            Field::Seed => u.config.seed.clone(),
        })
    };
    let label = move || match field {
        Field::Warmup => ui().warmup,
        Field::Runs => ui().runs,
        Field::Seed => ui().seed,
    };
    let errors = move || {
        let lang = lab.lang();
        lab.url
            .with(|u| u.config.field_errors(field))
            .iter()
            .map(|e| lang.field_error(e))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let warning = move || {
        (field == Field::Runs)
            .then(|| lab.url.with(|u| u.config.many_runs()))
            .flatten()
            .map(|runs| lab.lang().many_runs_warning(runs))
            .unwrap_or_default()
    };
    let error_id = format!("{id}-error");
    view! {
        <label class="field" class:invalid=move || !errors().is_empty()>
            <span>{label}</span>
            <input
                id=id
                type="text"
                inputmode="numeric"
                aria-describedby=error_id.clone()
                aria-invalid=move || (!errors().is_empty()).to_string()
                prop:value=value
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    lab.url.update(|u| match field {
                        Field::Warmup => u.config.warmup = v,
                        Field::Runs => u.config.runs = v,
                        Field::Seed => u.config.seed = v,
                    });
                }
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
    let can_run =
        move || lab.valid_config().is_some() && !lab.is_busy() && lab.model.with(|m| m.is_some());
    view! {
        <section class="card controls">
            <div class="row">
                <NumberField field=Field::Warmup id="warmup"/>
                <NumberField field=Field::Runs id="runs"/>
                <NumberField field=Field::Seed id="seed"/>
            </div>
            <fieldset class="plan">
                <legend>{move || ui().plan}</legend>
                {[(Plan::Optimized, "plan-optimized"), (Plan::Unoptimized, "plan-unoptimized")]
                    .into_iter()
                    .map(|(plan, id)| {
                        view! {
                            <label>
                                <input
                                    type="radio"
                                    name="plan"
                                    id=id
                                    prop:checked=move || lab.url.with(|u| u.config.plan == plan)
                                    on:change=move |_| lab.url.update(|u| u.config.plan = plan)
                                />
                                {move || if plan == Plan::Optimized { ui().optimized } else { ui().unoptimized }}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <div class="row actions">
                <button id="run" class="primary" disabled=move || !can_run() on:click=move |_| lab.run_current()>
                    {move || ui().run}
                </button>
                <button id="cancel" disabled=move || lab.live.with(|l| l.is_none()) on:click=move |_| lab.cancel()>
                    {move || ui().cancel}
                </button>
            </div>
            <Progress/>
            <LiveCharts/>
        </section>
    }
}

#[component]
fn Progress() -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    move || {
        lab.live.with(|l| {
            l.as_ref().map(|l| {
                let (label, done, total) = match l.phase {
                    Phase::Warmup => (ui().warming_up, l.done, l.total),
                    Phase::Timed => (ui().running, l.done, l.total),
                };
                let pct = (done * 100).checked_div(total).unwrap_or(0);
                // Progress messages re-render this at least every few ms.
                let elapsed_ms = dom::now_ms() - l.started_ms;
                let over_budget = (elapsed_ms > l.budget_ms && !l.cancelling).then(|| {
                    let run_pct = if l.phase == Phase::Timed { pct } else { 0 };
                    view! {
                        <div class="long-run" id="long-run" role="alert">
                            <span>{lab.lang().long_run(elapsed_ms / 1000.0, run_pct)}</span>
                            <button id="stop-long-run" on:click=move |_| lab.cancel()>
                                {move || ui().stop_and_keep}
                            </button>
                            <button id="keep-going" on:click=move |_| lab.keep_going()>
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
    Effect::new(move |_| {
        let lang = lab.lang();
        lab.live.with(|live| {
            let Some(l) = live else { return };
            // Redraw at most ten times a second, however fast results stream.
            let now = dom::now_ms();
            if now - last_draw.get_value() < 100.0 && l.done < l.total {
                return;
            }
            last_draw.set_value(now);
            let text = chart_text(lang);
            let data: &[f64] = if l.latencies_ms.is_empty() {
                &l.warmup_ms
            } else {
                &l.latencies_ms
            };
            let Ok(stats) = LatencyStats::compute(
                data,
                &StatsOptions {
                    bootstrap_resamples: Some(0),
                    ..Default::default()
                },
            ) else {
                return;
            };
            if let Some(c) = hist_ref.get() {
                let h = Histogram::new(data, BinRule::Auto);
                let _ = charts::draw(&c, |a| engine_charts::draw_histogram(a, &h, &stats, &text));
            }
            if let Some(c) = series_ref.get() {
                let _ = charts::draw(&c, |a| {
                    let cold = if l.job.warmup == 0 { 3 } else { 0 };
                    let marks = SeriesMarks { cold, env: &[] };
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
        <div class="charts live" class:hidden=move || lab.live.with(|l| l.is_none())>
            <canvas node_ref=hist_ref class="chart" aria-label="live histogram"></canvas>
            <canvas node_ref=series_ref class="chart" aria-label="live series"></canvas>
        </div>
    }
}

// --- Results -----------------------------------------------------------------

#[component]
pub fn Results() -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let run = move || lab.current.get().and_then(|id| lab.run_by_id(&id));
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
    let rows: Vec<(&'static str, String)> = vec![
        ("n", s.n.to_string()),
        ("Mean", ms(s.mean)),
        ("Std", ms(s.std)),
        ("Min", ms(s.min)),
        ("Max", ms(s.max)),
        ("P50", ms(s.p50)),
        ("P95", ms(s.p95)),
        ("P99", ms(s.p99)),
        ("CV", format!("{:.1} %", s.cv * 100.0)),
    ];
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
            let _ = charts::draw(&c, |a| engine_charts::draw_histogram(a, &h, st, &text));
        }
        if let Some(c) = box_ref.get() {
            let series = [BoxSeries {
                label: r.model_name(),
                latencies_ms: &r.raw_latencies,
                stats: st,
            }];
            let _ = charts::draw(&c, |a| engine_charts::draw_boxplots(a, &series, &text));
        }
        if let Some(c) = series_ref.get() {
            let cold = if r.benchmark_config.warmup_runs == 0 {
                3
            } else {
                0
            };
            let _ = charts::draw(&c, |a| {
                let marks = SeriesMarks {
                    cold,
                    env: &r.env_samples,
                };
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
    let name = run.name.clone();
    let batched = r.benchmark_config.inferences_per_sample > 1;
    let cancelled = r.cancelled;
    view! {
        <div class="run-view" data-run-id=run.id.clone()>
            <p class="run-name"><strong>{name}</strong></p>
            <Show when=move || cancelled><p class="hint">{move || ui().cancelled_note}</p></Show>
            <Show when=move || batched><p class="hint">{move || ui().batched_note}</p></Show>
            <div class="two-col">
                <table class="stats" id="stats-table">
                    <thead><tr><th>{move || ui().statistic}</th><th>{move || ui().value}</th></tr></thead>
                    <tbody>
                        {rows.into_iter().map(|(k, v)| view! { <tr data-stat=k><th>{k}</th><td>{v}</td></tr> }).collect_view()}
                        <tr data-stat="outliers"><th>{move || ui().outliers}</th><td>{s.outliers}</td></tr>
                        <tr data-stat="p50_ci95">
                            <th>{move || format!("P50 {}", ui().ci95)}</th>
                            <td>{format!("{} – {}", ms(s.p50_ci95.low), ms(s.p50_ci95.high))}</td>
                        </tr>
                        <tr data-stat="p95_ci95">
                            <th>{move || format!("P95 {}", ui().ci95)}</th>
                            <td>{format!("{} – {}", ms(s.p95_ci95.low), ms(s.p95_ci95.high))}</td>
                        </tr>
                    </tbody>
                </table>
                <details class="summary-file" open=true>
                    <summary>{move || ui().summary_file}</summary>
                    <pre id="summary-text">{summary}</pre>
                </details>
            </div>
            <div class="charts">
                <canvas node_ref=hist_ref id="chart-histogram" class="chart" aria-label=move || ui().histogram></canvas>
                <canvas node_ref=box_ref id="chart-box" class="chart" aria-label=move || ui().box_plot></canvas>
                <canvas node_ref=series_ref id="chart-series" class="chart" aria-label=move || ui().series></canvas>
            </div>
            <Exports run=run.clone() hist_ref box_ref series_ref/>
        </div>
    }
}

/// Downloads of one run: the CLI's three report files, byte for byte the
/// same writers, and the charts as PNG.
#[component]
fn Exports(
    run: RunRecord,
    #[prop(optional)] hist_ref: Option<NodeRef<html::Canvas>>,
    #[prop(optional)] box_ref: Option<NodeRef<html::Canvas>>,
    #[prop(optional)] series_ref: Option<NodeRef<html::Canvas>>,
) -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let r = std::sync::Arc::new(run.report.clone());
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
                    let r = r.clone();
                    view! {
                        <button
                            class="small"
                            data-export=file.file_name()
                            on:click=move |_| {
                                if let Err(e) = dom::download(file.file_name(), file.mime(), &file.bytes(&r)) {
                                    lab.notify(e, true);
                                }
                            }
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
                                    if let Err(e) = dom::download_canvas(&c, name) {
                                        lab.notify(e, true);
                                    }
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

// --- Cold start --------------------------------------------------------------

#[component]
pub fn ColdStart() -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let series_ref: NodeRef<html::Canvas> = NodeRef::new();
    let run = move || lab.cold_run.get().and_then(|id| lab.run_by_id(&id));
    Effect::new(move |_| {
        let text = chart_text(lab.lang());
        if let (Some(r), Some(c)) = (run(), series_ref.get()) {
            let st = &r.report.statistics;
            let _ = charts::draw(&c, |a| {
                let marks = SeriesMarks { cold: 3, env: &[] };
                engine_charts::draw_series(a, &[], &r.report.raw_latencies, st, &marks, &text)
            });
        }
    });
    let start = move |_| {
        lab.enqueue(vec![Job {
            warmup: 0,
            runs: 20,
            purpose: Purpose::ColdStart,
        }]);
    };
    view! {
        <section class="card cold-start">
            <button
                id="cold-start"
                class="primary"
                disabled=move || lab.is_busy() || lab.model.with(|m| m.is_none())
                on:click=start
            >
                {move || ui().cold_start}
            </button>
            {move || {
                run().map(|r| {
                    let l = &r.report.raw_latencies;
                    let first = l[0];
                    let median = r.report.statistics.p50;
                    let text = match lab.lang() {
                        Lang::Sv => format!("Första körningen: {} ms. Medianen: {} ms ({:.1} gånger så lång).", ms(first), ms(median), first / median),
                        Lang::En => format!("First run: {} ms. Median: {} ms ({:.1} times as long).", ms(first), ms(median), first / median),
                    };
                    view! { <p id="cold-result">{text}</p> }
                })
            }}
            <canvas node_ref=series_ref class="chart" class:hidden=move || run().is_none()></canvas>
        </section>
    }
}

// --- Reflection questions ----------------------------------------------------

#[component]
fn Question(id: String, prompt: String, answer: String) -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let qid = id.clone();
    let state = Memo::new(move |_| {
        lab.questions
            .with(|q| q.get(&qid).cloned().unwrap_or_default())
    });
    let state = move || state.get();
    let qid_input = id.clone();
    let qid_measure = id.clone();
    let qid_reveal = id.clone();
    let st = state;
    let can_reveal = move || {
        let s = st();
        s.measured && !s.prediction.trim().is_empty()
    };
    let measure = move |_| match qid_measure.as_str() {
        "spread" => lab.run_series(Series::Runs, Some(qid_measure.clone())),
        "p95" => lab.enqueue(vec![Job {
            warmup: 3,
            runs: 100,
            purpose: Purpose::Question(qid_measure.clone()),
        }]),
        _ => {
            if let Some(c) = lab.valid_config() {
                lab.enqueue(vec![Job {
                    warmup: c.warmup,
                    runs: c.runs,
                    purpose: Purpose::Question(qid_measure.clone()),
                }]);
            }
        }
    };
    let st2 = state;
    let measured_summary = move || {
        let s = st2();
        let runs: Vec<RunRecord> = s.runs.iter().filter_map(|id| lab.run_by_id(id)).collect();
        (!runs.is_empty()).then(|| {
            view! {
                <table class="mini">
                    <thead><tr><th>"runs"</th><th>"mean"</th><th>"p50"</th><th>"p95"</th><th>"std"</th><th>"CI p95"</th></tr></thead>
                    <tbody>
                        {runs
                            .into_iter()
                            .map(|r| {
                                let s = r.report.statistics;
                                view! {
                                    <tr>
                                        <td>{s.n}</td><td>{ms(s.mean)}</td><td>{ms(s.p50)}</td><td>{ms(s.p95)}</td>
                                        <td>{ms(s.std)}</td><td>{ms(s.p95_ci95.width())}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            }
        })
    };
    let st3 = state;
    view! {
        <section class="card question" data-question=id.clone()>
            <div class="prose" inner_html=markdown(&prompt)></div>
            <label class="field wide">
                <span>{move || ui().your_prediction}</span>
                <textarea
                    rows="3"
                    placeholder=move || ui().prediction_placeholder
                    prop:value=move || state().prediction
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        lab.questions.update(|q| q.entry(qid_input.clone()).or_default().prediction = v);
                    }
                ></textarea>
            </label>
            <div class="row actions">
                <button class="measure" disabled=move || lab.is_busy() || lab.model.with(|m| m.is_none()) on:click=measure>
                    {move || ui().measure}
                </button>
                <button
                    class="reveal"
                    disabled=move || !can_reveal()
                    on:click=move |_| lab.questions.update(|q| q.entry(qid_reveal.clone()).or_default().revealed = true)
                >
                    {move || ui().show_answer}
                </button>
            </div>
            {measured_summary}
            <Show when=move || !st3().revealed>
                <p class="hint">{move || ui().answer_locked}</p>
            </Show>
            {move || state().revealed.then(|| view! { <div class="answer prose" inner_html=markdown(&answer)></div> })}
        </section>
    }
}

// --- Experiment: kept runs, import, comparison -------------------------------

#[component]
pub fn Experiment() -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    view! {
        <section class="card experiment">
            <div class="row actions">
                <button id="series-runs" disabled=move || lab.is_busy() || lab.model.with(|m| m.is_none()) on:click=move |_| lab.run_series(Series::Runs, None)>
                    {move || format!("{}: {}", ui().run_series, ui().series_runs)}
                </button>
                <button id="series-warmup" disabled=move || lab.is_busy() || lab.model.with(|m| m.is_none()) on:click=move |_| lab.run_series(Series::Warmup, None)>
                    {move || format!("{}: {}", ui().run_series, ui().series_warmup)}
                </button>
                <button id="cancel-series" disabled=move || lab.live.with(|l| l.is_none()) on:click=move |_| lab.cancel()>
                    {move || ui().cancel}
                </button>
            </div>
            <Progress/>
            <SavedRuns/>
            <Comparison/>
        </section>
    }
}

#[component]
fn SavedRuns() -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
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
                        if let Some(list) = input.files() {
                            let files = (0..list.length()).filter_map(|i| list.get(i)).collect();
                            lab.import_files(files);
                        }
                        input.set_value("");
                    }
                />
                <small>{move || ui().import_hint}</small>
            </label>
            <p class="hint">{move || ui().compare_hint}</p>
            <ul class="runs" id="saved-runs">
                {move || {
                    lab.runs
                        .get()
                        .into_iter()
                        .rev()
                        .map(|r| view! { <SavedRun run=r/> })
                        .collect_view()
                }}
            </ul>
            <button
                id="export-all"
                disabled=move || lab.runs.with(|r| r.is_empty())
                on:click=move |_| lab.export_all()
            >
                {move || ui().export_all}
            </button>
            <button
                id="clear-all"
                class="danger"
                disabled=move || lab.runs.with(|r| r.is_empty())
                on:click=move |_| {
                    if dom::confirm(lab.lang_now().ui().confirm_clear) {
                        lab.clear_all();
                    }
                }
            >
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
    let (id1, id2, id3, id4, id5) = (
        run.id.clone(),
        run.id.clone(),
        run.id.clone(),
        run.id.clone(),
        run.id.clone(),
    );
    let s = run.report.statistics.clone();
    let host = run.report.system_info.device.clone();
    let shown_name = run.name.clone();
    view! {
        <li class="run" data-run-id=run.id.clone()>
            <input
                type="checkbox"
                aria-label=move || format!("{}: {}", ui().compare, draft.get())
                prop:checked=move || lab.compare.with(|c| c.contains(&id1))
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    lab.compare.update(|c| {
                        c.retain(|x| x != &id2);
                        if on {
                            c.push(id2.clone());
                        }
                    });
                }
            />
            {move || {
                if editing.get() {
                    let id = id3.clone();
                    view! {
                        <input
                            class="rename"
                            prop:value=move || draft.get()
                            on:input=move |ev| draft.set(event_target_value(&ev))
                            on:keydown=move |ev: web_sys::KeyboardEvent| {
                                if ev.key() == "Enter" {
                                    lab.rename(&id, draft.get_untracked());
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
                    let id = id4.clone();
                    let name = shown_name.clone();
                    view! {
                        <button class="link run-name" on:click=move |_| lab.current.set(Some(id.clone()))>
                            {name}
                        </button>
                    }
                    .into_any()
                }
            }}
            <span class="run-stats">{format!("p50 {} · p95 {} ms · n {} · {host}", ms(s.p50), ms(s.p95), s.n)}</span>
            <button class="small" on:click=move |_| editing.update(|e| *e = !*e)>{move || ui().rename}</button>
            <button class="small danger" on:click=move |_| lab.delete(&id5)>{move || ui().delete}</button>
            <Exports run=run.clone()/>
        </li>
    }
}

#[component]
fn Comparison() -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let selected = move || {
        let ids = lab.compare.get();
        lab.runs.with(|runs| {
            ids.iter()
                .filter_map(|id| runs.iter().find(|r| &r.id == id).cloned())
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
            let _ = charts::draw(&c, |a| {
                engine_charts::draw_histogram_overlay(a, &series, &text)
            });
        }
        if let Some(c) = box_ref.get() {
            let series: Vec<BoxSeries> = runs
                .iter()
                .map(|r| BoxSeries {
                    label: r.name.as_str(),
                    latencies_ms: &r.report.raw_latencies,
                    stats: &r.report.statistics,
                })
                .collect();
            let _ = charts::draw(&c, |a| engine_charts::draw_boxplots(a, &series, &text));
        }
    });
    view! {
        <div class="comparison" class:hidden=move || lab.compare.with(|c| c.is_empty())>
            <h3>{move || ui().compare}</h3>
            <div class="table-scroll">
                <table class="stats" id="comparison-table">
                    <thead>
                        <tr>
                            <th>{move || ui().name}</th><th>{move || ui().host}</th><th>{move || ui().engine}</th>
                            <th>"warmup"</th><th>"n"</th><th>"std"</th><th>"p50"</th><th>"p95"</th>
                            <th>"CI p50"</th><th>"CI p95"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || {
                            selected()
                                .into_iter()
                                .map(|r| {
                                    let row = r.comparison_row();
                                    view! {
                                        <tr data-run-id=r.id.clone()>
                                            <td>{row.name}</td><td>{row.host}</td><td>{row.engine}</td>
                                            <td>{row.warmup}</td><td>{row.n}</td><td>{ms(row.std)}</td>
                                            <td>{ms(row.p50)}</td><td>{ms(row.p95)}</td>
                                            <td>{ms(row.p50_ci_width)}</td><td>{ms(row.p95_ci_width)}</td>
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

/// `event.target` as an element of type `T`.
fn event_target<T: JsCast>(ev: &web_sys::Event) -> T {
    ev.target().expect("an event target").unchecked_into()
}
