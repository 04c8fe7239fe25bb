//! The environment panel: the timer's resolution, isolation, SIMD, the
//! kernel self-check, cores and browser.

use super::common::lab;
use leptos::prelude::*;
use piedge::lab::state::{Event, SelfCheckState};

#[component]
pub fn Environment() -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let yes_no = move |b: bool| if b { ui().yes } else { ui().no };
    let env = lab.select(|s| s.env.clone());
    let check = lab.select(|s| s.self_check.clone());
    let browser = lab.with_untracked(|s| s.browser.clone());
    let (browser_name, os) = piedge::lab::browser::describe_user_agent(&browser.user_agent);
    let isolated = browser.cross_origin_isolated;
    let context = browser.timer_context();
    let rounded = browser.cores_are_rounded();
    let check_text = move || match check.get() {
        SelfCheckState::NotRun => String::new(),
        SelfCheckState::Running => ui().self_check_running.to_string(),
        SelfCheckState::Done(Ok(r)) => {
            // Pointwise and fully connected cases only where those kernels
            // run (not in a browser).
            let counts: Vec<String> = [
                r.depthwise_cases,
                r.direct_cases,
                r.pointwise_cases,
                r.dense_cases,
                r.max_pool_cases,
            ]
            .iter()
            .filter(|&&n| n > 0)
            .map(|n| n.to_string())
            .collect();
            format!(
                "✓ {} {} ({}; max |Δ| {:.1e})",
                counts.join(" + "),
                ui().self_check_matches,
                r.isas.join(", "),
                r.max_abs_error
            )
        }
        SelfCheckState::Done(Err(e)) => format!("{} {e}", ui().self_check_failed),
    };
    view! {
        <section class="card environment" aria-labelledby="env-title">
            <h3 id="env-title">{move || ui().environment}</h3>
            <table class="kv">
                <tr>
                    <th>{move || ui().timer_resolution}</th>
                    <td id="env-timer">
                        {move || {
                            env.get()
                                .map(|e| format!("{} ms ({})", lab.lang().decimal(format!("{:.4}", e.timer.median_step_ms)), e.timer.clock))
                                .unwrap_or_else(|| "…".into())
                        }}
                    </td>
                </tr>
                <tr>
                    <th>{move || ui().cross_origin_isolated}</th>
                    <td id="env-isolated">{move || yes_no(isolated)}</td>
                </tr>
                <tr>
                    <th>{move || ui().simd}</th>
                    <td id="env-simd">{move || env.get().map(|e| yes_no(e.simd)).unwrap_or("…")}</td>
                </tr>
                <tr>
                    <th>{move || ui().kernels}</th>
                    <td>
                        <button id="self-check" class="secondary" on:click=move |_| lab.send(Event::SelfCheck)
                            disabled=move || env.get().is_none() || check.get() == SelfCheckState::Running>
                            {move || ui().self_check}
                        </button>
                        " "
                        <span id="self-check-result" role="status">{check_text}</span>
                    </td>
                </tr>
                <tr>
                    <th>{move || ui().cores}</th>
                    <td id="env-cores">
                        {browser.cores.map_or("?".to_string(), |n| n.to_string())}
                        {rounded.then(|| view! { <span class="hint">" (" {move || ui().cores_rounded} ")"</span> })}
                    </td>
                </tr>
                <tr>
                    <th>{move || ui().browser}</th>
                    <td>{format!("{browser_name}, {os}")}</td>
                </tr>
            </table>
            <Show when=move || !isolated>
                <p class="hint" id="timer-why">
                    {move || {
                        let step = env.get().map(|e| e.timer.median_step_ms);
                        let why = lab.lang().timer_why(context, step).unwrap_or_default();
                        format!("{why} {}", ui().coarse_timer_note)
                    }}
                </p>
            </Show>
        </section>
    }
}
