//! The class board on the projector: every shared run as a bar from P50
//! to P95 by kind of device, who stands out, a table, filters that keep
//! runs comparable, and, with the teacher code, the teacher's controls.

use super::common::lab;
use crate::charts;
use leptos::html;
use leptos::prelude::*;
use piedge::board::{BoardRun, SortBy, TARGETS_MS};
use piedge::lab::state::{Event, TeacherAction};
use piedge::lab::Lang;
use piedge::report::ms;

#[component]
pub fn ClassBoardView() -> impl IntoView {
    let lab = lab();
    let word = move |k: &str| lab.lang().board_word(k);
    let data = lab.select(|s| s.board.data.clone());
    let error = lab.select(|s| s.board.error.clone());
    let teacher = lab.select(|s| s.is_teacher());
    let code = lab.select(|s| s.url.teacher.clone());
    let view_of = lab.select(|s| (s.board.model.clone(), s.board.settings, s.board.sort));
    let chart_ref: NodeRef<html::Canvas> = NodeRef::new();
    Effect::new(move |_| {
        data.track();
        view_of.track();
        let lang = lab.lang();
        let Some(c) = chart_ref.get() else { return };
        lab.with_untracked(|s| {
            if let Some(a) = s.arranged_board() {
                let alt = standouts(lang, &a);
                let rows = a.groups.iter().map(|(_, g)| g.len()).sum();
                charts::draw_rows(&c, &alt, Some(rows), |area| {
                    piedge::charts::draw_board(
                        area,
                        &a,
                        lang.board_word("title"),
                        lang.board_word("axis"),
                        lang == Lang::Sv,
                    )
                });
            }
        });
    });
    let lines = move || {
        data.track();
        view_of.track();
        let lang = lab.lang();
        lab.with_untracked(|s| {
            let board = s.board.data.as_ref()?;
            let a = s.arranged_board()?;
            let shown: usize = a.groups.iter().map(|(_, g)| g.len()).sum();
            Some(view! {
                <p id="board-summary">{lang.board_summary(&board.session, shown, a.groups.len())}</p>
                <p id="board-standouts">{standouts(lang, &a)}</p>
                {a.mixed.then(|| view! { <p class="hint" id="board-mixed" role="note">{lang.board_word("mixed")}</p> })}
                {board.locked.then(|| view! { <p class="hint">{lang.board_word("locked_note")}</p> })}
                {board.released.then(|| view! { <p class="hint" id="board-released">{lang.board_word("released_note")}</p> })}
            })
        })
    };
    view! {
        <section class="card board" id="board">
            <h2>{move || word("title")}</h2>
            <a href="#step=6" class="link">{move || word("back")}</a>
            {move || error.get().map(|e| view! { <p class="notice error">{format!("{}: {e}", word("unreachable"))}</p> })}
            <Filters/>
            {lines}
            <canvas node_ref=chart_ref id="board-chart" class="chart board-chart"></canvas>
            <p class="hint">{move || word("discuss")}</p>
            <Table/>
            {move || teacher.get().then(|| view! { <TeacherControls code=code.get() chart=chart_ref/> })}
        </section>
    }
}

/// Who stands out, and who meets the targets, in one line.
fn standouts(lang: Lang, a: &piedge::board::Arranged) -> String {
    let runs: Vec<&BoardRun> = a
        .groups
        .iter()
        .flat_map(|(_, g)| g.iter().copied())
        .collect();
    if runs.is_empty() {
        return lang.board_word("empty").to_string();
    }
    let find = |id: Option<u64>| id.and_then(|id| runs.iter().find(|r| r.id == id));
    let name = |r: &BoardRun| format!("{} ({})", r.nickname, r.device);
    let fastest = find(a.fastest).map(|r| (name(r), r.statistics.p50));
    let widest = find(a.widest).map(|r| (name(r), r.statistics.p95 - r.statistics.p50));
    let under = TARGETS_MS.map(|t| (t, runs.iter().filter(|r| r.statistics.p95 < t).count()));
    lang.board_standouts(
        fastest.as_ref().map(|(n, x)| (n.as_str(), *x)),
        widest.as_ref().map(|(n, x)| (n.as_str(), *x)),
        under,
        runs.len(),
    )
}

#[component]
fn Filters() -> impl IntoView {
    let lab = lab();
    let word = move |k: &str| lab.lang().board_word(k);
    let choices = lab.select(|s| {
        let runs = s.board.data.as_ref().map_or(&[][..], |b| b.runs.as_slice());
        let mut models: Vec<String> = runs.iter().map(|r| r.model.clone()).collect();
        models.sort();
        models.dedup();
        let mut settings: Vec<(usize, usize)> = runs.iter().map(BoardRun::settings).collect();
        settings.sort();
        settings.dedup();
        (models, settings)
    });
    view! {
        <div class="row board-filters">
            <label>
                <span>{move || word("model")}</span>
                <select id="board-model" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    lab.send(Event::SetBoardModel((!v.is_empty()).then_some(v)));
                }>
                    <option value="">{move || word("all")}</option>
                    {move || choices.get().0.into_iter().map(|m| view! { <option value=m.clone()>{m.clone()}</option> }).collect_view()}
                </select>
            </label>
            <label>
                <span>{move || word("settings")}</span>
                <select id="board-settings" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    let parsed = v.split_once('/').and_then(|(w, r)| Some((w.parse().ok()?, r.parse().ok()?)));
                    lab.send(Event::SetBoardSettings(parsed));
                }>
                    <option value="">{move || word("all")}</option>
                    {move || choices.get().1.into_iter().map(|(w, r)| {
                        let value = format!("{w}/{r}");
                        view! { <option value=value>{move || lab.lang().board_settings(w, r)}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>
                <span>{move || word("sort")}</span>
                <select id="board-sort" on:change=move |ev| {
                    let by = if event_target_value(&ev) == "p95" { SortBy::P95 } else { SortBy::P50 };
                    lab.send(Event::SetBoardSort(by));
                }>
                    <option value="p50">"P50"</option>
                    <option value="p95">"P95"</option>
                </select>
            </label>
        </div>
    }
}

#[component]
fn Table() -> impl IntoView {
    let lab = lab();
    let word = move |k: &str| lab.lang().board_word(k);
    let data = lab.select(|s| s.board.data.clone());
    let view_of = lab.select(|s| (s.board.model.clone(), s.board.settings, s.board.sort));
    let teacher = lab.select(|s| s.is_teacher());
    let rows = move || {
        data.track();
        view_of.track();
        let lang = lab.lang();
        let num = move |x: f64| lang.decimal(ms(x));
        lab.with_untracked(|s| {
            let a = s.arranged_board()?;
            Some(
                a.groups
                    .iter()
                    .flat_map(|(_, g)| g.iter())
                    .map(|r| {
                        let st = &r.statistics;
                        let (id, hidden) = (r.id, r.hidden);
                        let controls = teacher.get_untracked().then(|| view! {
                            <td>
                                <button class="small" data-hide=id on:click=move |_| lab.send(Event::Teacher(TeacherAction::Hide(id, !hidden)))>
                                    {move || word(if hidden { "show" } else { "hide" })}
                                </button>
                                <button class="small danger" data-remove=id on:click=move |_| lab.send(Event::Teacher(TeacherAction::Remove(id)))>
                                    {move || word("remove")}
                                </button>
                            </td>
                        });
                        // The device as its browser reports it (engine and version, OS,
                        // cores), then the student's own word for it.
                        let mut device = r.device.clone();
                        if !r.os.is_empty() {
                            device = format!("{device} · {}", r.os);
                        }
                        if let Some(n) = r.cores {
                            device = format!("{device} · {}", lang.cores(n));
                        }
                        if !r.label.is_empty() {
                            device = format!("{device} ({})", r.label);
                        }
                        let coarse = r.coarse_timer().map(|(why, step)| view! {
                            <span class="coarse-timer">{format!(" · {}", lang.board_coarse(why, step))}</span>
                        });
                        // Only the server's own runs are measured here; a
                        // share's device is what the student's device said.
                        let (origin, mark) = if r.from_server() {
                            ("server", word("server_run"))
                        } else {
                            ("student", word("claimed"))
                        };
                        view! {
                            <tr data-run-id=id data-origin=origin class:hidden-run=hidden class:pi=r.is_pi()>
                                <td>{r.nickname.clone()}{hidden.then(|| format!(" ({})", word("hidden")))}</td>
                                <td>{device}{coarse}<span class="origin">{format!(" · {mark}")}</span></td>
                                <td>{r.kind.clone()}</td>
                                <td>{r.model.clone()}</td>
                                <td>{r.warmup_runs}</td>
                                <td>{r.benchmark_runs}</td>
                                <td data-stat="P50">{num(st.p50)}</td>
                                <td data-stat="P95">{num(st.p95)}</td>
                                <td data-stat="P99">{num(st.p99)}</td>
                                <td>{num(st.std)}</td>
                                <td>{format!("{} – {}", num(st.p50_ci95.low), num(st.p50_ci95.high))}</td>
                                {controls}
                            </tr>
                        }
                    })
                    .collect_view(),
            )
        })
    };
    view! {
        <div class="table-scroll">
            <table class="stats" id="board-table">
                <thead>
                    <tr>
                        <th>{move || word("nick")}</th><th>{move || word("device")}</th><th>{move || word("kind")}</th>
                        <th>{move || word("model")}</th><th>{move || word("warmup")}</th><th>{move || word("runs")}</th>
                        <th>"P50"</th><th>"P95"</th><th>"P99"</th><th>{move || lab.lang().stat_label("Std").to_string()}</th>
                        <th>{move || format!("P50 {}", lab.lang().ui().ci95)}</th>
                        {move || teacher.get().then(|| view! { <th>{word("teacher")}</th> })}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn TeacherControls(code: String, chart: NodeRef<html::Canvas>) -> impl IntoView {
    let lab = lab();
    let word = move |k: &str| lab.lang().board_word(k);
    let flags = lab.select(|s| {
        s.board
            .data
            .as_ref()
            .map_or((false, false), |b| (b.locked, b.released))
    });
    let name = RwSignal::new(String::new());
    let csv = format!("api/teacher/export.csv?teacher={code}");
    let json = format!("api/teacher/export.json?teacher={code}");
    view! {
        <div class="teacher" role="group" aria-label=move || word("teacher")>
            <h3>{move || word("teacher")}</h3>
            <div class="row">
                <label>
                    <span>{move || word("session_name")}</span>
                    <input id="session-name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                </label>
                <button id="new-session" on:click=move |_| lab.send(Event::Teacher(TeacherAction::NewSession(name.get_untracked())))>
                    {move || word("new_session")}
                </button>
                <button id="lock-sharing" on:click=move |_| lab.send(Event::Teacher(TeacherAction::Lock(!flags.get_untracked().0)))>
                    {move || word(if flags.get().0 { "unlock" } else { "lock" })}
                </button>
                <button id="release-answers" on:click=move |_| lab.send(Event::Teacher(TeacherAction::Release(!flags.get_untracked().1)))>
                    {move || word(if flags.get().1 { "unrelease" } else { "release" })}
                </button>
            </div>
            <div class="row exports">
                <a id="export-class-csv" href=csv download="piedge-class.csv">{move || word("export_csv")}</a>
                <a id="export-class-json" href=json download="piedge-class.json">{move || word("export_json")}</a>
                <button id="export-board-png" on:click=move |_| {
                    if let Some(c) = chart.get() {
                        lab.download_canvas(&c, "piedge-class-board.png");
                    }
                }>
                    {move || word("export_png")}
                </button>
            </div>
        </div>
    }
}
