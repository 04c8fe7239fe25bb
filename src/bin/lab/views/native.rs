//! "Run it on the server": the button (or why there is none), the job's
//! place in the queue and progress, and the browser run beside the native
//! one with the ratio of their p50 and p95, the reason, and the
//! environment of both.

use super::common::lab;
use leptos::prelude::*;
use piedge::lab::session::{self, RunRecord};
use piedge::lab::state::{Event, ServerApi};
use piedge::lab::Lang;
use piedge::report::ms;

#[component]
pub fn NativeRun() -> impl IntoView {
    let lab = lab();
    let request = lab.select(|s| s.native_request());
    let job = lab.select(|s| s.native.job.clone());
    let label = lab.select(|s| match &s.native.api {
        ServerApi::Present { machine, .. } => Some(machine.label.clone()),
        _ => None,
    });
    let button = move || {
        let label = label.get()?;
        Some(view! {
            <button id="run-native" class="primary" disabled=move || request.get().is_err() on:click=move |_| lab.send(Event::RunNative)>
                {move || lab.lang().native_button(&label)}
            </button>
        })
    };
    let blocked = move || {
        let why = request.get().err()?;
        // While a job runs its progress says more than "under way".
        (job.get().is_none()).then(
            || view! { <p class="hint" id="native-blocked">{lab.lang().native_blocked(why)}</p> },
        )
    };
    let progress = move || {
        job.get().map(|j| {
            view! {
                <p id="native-progress">{lab.lang().native_progress(&j)}</p>
                <button id="cancel-native" on:click=move |_| lab.send(Event::CancelNative)>
                    {move || lab.lang().native_cancel()}
                </button>
            }
        })
    };
    view! {
        <section class="card native" aria-labelledby="native-title">
            <h3 id="native-title">{move || lab.lang().native_title()}</h3>
            {button}
            {blocked}
            <div role="status" aria-live="polite">{progress}</div>
            <Versus/>
            {move || label.get().map(|_| view! { <ShareSettings/> })}
        </section>
    }
}

/// The latest native run beside the browser run it was made to match.
#[component]
fn Versus() -> impl IntoView {
    let lab = lab();
    let last = lab.select(|s| s.native.last.clone());
    let same_machine = lab.select(|s| {
        matches!(
            s.native.api,
            ServerApi::Present {
                same_machine: true,
                ..
            }
        )
    });
    let pair = move || {
        lab.track_runs();
        let (native, browser) = last.get()?;
        lab.with_untracked(|s| {
            let native = s.run(&native)?.clone();
            let browser = browser.and_then(|b| s.run(&b).cloned());
            Some((native, browser))
        })
    };
    move || {
        let (native, browser) = pair()?;
        let lang = lab.lang();
        let compared = browser.as_ref().map(|b| {
            let v = session::versus(b, &native);
            let step = |r: &RunRecord| r.report.timer.as_ref().map(|t| t.median_step_ms);
            view! {
                <p id="versus-ratios"><strong>{lang.versus_ratios(v.p50_ratio, v.p95_ratio)}</strong></p>
                <p id="versus-reason">{lang.versus_reason(same_machine.get(), step(b), step(&native))}</p>
                {(!v.alike).then(|| view! { <p class="hint" id="versus-unlike">{lang.versus_unlike()}</p> })}
            }
        });
        Some(view! {
            <div class="versus" id="versus">
                <h4>{lang.versus_title()}</h4>
                <div class="table-scroll">
                    <table class="stats" id="versus-table">
                        <thead>
                            <tr>{lang.versus_columns().map(|c| view! { <th scope="col">{c}</th> }).to_vec()}</tr>
                        </thead>
                        <tbody>
                            {browser.as_ref().map(|b| row(lang, b))}
                            {row(lang, &native)}
                        </tbody>
                    </table>
                </div>
                {compared}
                <p class="hint" id="native-conditions">{conditions(lang, &native)}</p>
            </div>
        })
    }
}

/// One run's line: its name, the machine, the code that ran (WebAssembly
/// or the processor's own), the timer's step, P50 and P95.
fn row(lang: Lang, r: &RunRecord) -> impl IntoView {
    let rep = &r.report;
    let info = &rep.system_info;
    let timer = rep
        .timer
        .as_ref()
        .map(|t| lang.timer_step(t.median_step_ms))
        .unwrap_or_default();
    let s = &rep.statistics;
    view! {
        <tr data-run-id=r.id.clone()>
            <th scope="row">{r.name.clone()}</th>
            <td>{info.device.clone()}</td>
            <td>{info.arch.clone()}</td>
            <td>{timer}</td>
            <td data-stat="P50">{lang.decimal(ms(s.p50))}</td>
            <td data-stat="P95">{lang.decimal(ms(s.p95))}</td>
        </tr>
    }
}

fn conditions(lang: Lang, native: &RunRecord) -> String {
    let info = &native.report.system_info;
    let extra = &info.extra;
    let throttled = info.throttled_after.is_some_and(|t| t != 0);
    lang.native_conditions(
        extra.get("server_requests_during_job").map(String::as_str),
        extra.get("server_other_jobs_max").map(String::as_str),
        (info.soc_temp_before_c, info.soc_temp_after_c),
        throttled,
    )
}

/// The nickname and device label a shared run carries, and the way to the
/// class board.
#[component]
fn ShareSettings() -> impl IntoView {
    let lab = lab();
    let word = move |k: &str| lab.lang().board_word(k);
    let nickname = lab.select(|s| s.board.nickname.clone());
    let label = lab.select(|s| s.board.label.clone());
    view! {
        <div class="share-settings row">
            <label>
                <span>{move || word("nickname")}</span>
                <input id="nickname" maxlength="24" prop:value=move || nickname.get()
                    on:input=move |ev| lab.send(Event::SetNickname(event_target_value(&ev)))/>
            </label>
            <label>
                <span>{move || word("label")}</span>
                <input id="device-label" maxlength="40" prop:value=move || label.get()
                    on:input=move |ev| lab.send(Event::SetDeviceLabel(event_target_value(&ev)))/>
            </label>
            <a id="open-board" href="#board=1">{move || word("open_board")}</a>
        </div>
    }
}
