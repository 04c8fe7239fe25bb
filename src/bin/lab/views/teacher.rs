//! Teacher mode (a `teacher=` code in the link): the time plan, the class
//! link and the way to the teacher's guide above the lesson, and each step's
//! note; and for the class, the lock on the answers that the teacher's word
//! opens.

use super::common::{lab, markdown};
use crate::dom;
use leptos::prelude::*;
use piedge::lab::guide;
use piedge::lab::state::Event;

/// Above the lesson in teacher mode: the time plan and the class link.
#[component]
pub fn TeacherPanel() -> impl IntoView {
    let lab = lab();
    let words = move || lab.lang().teacher_words();
    let plan = lab.select(|s| s.time_plan());
    let word = RwSignal::new(String::new());
    let fixed = RwSignal::new(false);
    let link = move || {
        let hash = lab.with(|s| s.class_link(&word.get(), fixed.get()));
        format!("{}{hash}", dom::page_address())
    };
    let guide_hash = lab.select(|s| {
        let mut url = s.url.clone();
        url.guide = guide::TEACHER.to_string();
        url.to_hash()
    });
    view! {
        <section class="card teacher-panel" id="teacher-panel" aria-label=move || words().teacher_mode>
            <h2>{move || words().teacher_mode}</h2>
            <p>
                <a id="open-guide" href=move || guide_hash.get()
                    on:click=move |ev| {
                        ev.prevent_default();
                        lab.send(Event::OpenGuide(guide::TEACHER.to_string()));
                    }
                >
                    {move || lab.lang().guide_words().open}
                </a>
                " · " {move || lab.lang().guide_words().offline}
            </p>
            <table class="stats" id="time-plan">
                <caption>{move || words().time_plan}</caption>
                <tbody>
                    {move || {
                        let rows = plan.get();
                        let total: u32 = rows.iter().map(|(_, m)| m).sum();
                        let total_row = (words().total.to_string(), total);
                        rows.into_iter()
                            .chain(std::iter::once(total_row))
                            .map(|(title, m)| view! { <tr><td>{title}</td><td>{format!("{m} min")}</td></tr> })
                            .collect_view()
                    }}
                </tbody>
            </table>
            <label class="field wide">
                <span>{move || words().release_word}</span>
                <input id="release-word-set" type="text" prop:value=move || word.get() on:input=move |ev| word.set(event_target_value(&ev))/>
            </label>
            <label class="toggle">
                <input id="fix-settings" type="checkbox" prop:checked=move || fixed.get() on:change=move |ev| fixed.set(event_target_checked(&ev))/>
                <span>{move || words().fix_settings}</span>
            </label>
            <p>
                <b>{move || words().class_link}": "</b>
                <a id="class-link" href=link>{link}</a>
            </p>
            <p class="hint">{move || words().link_hint}</p>
        </section>
    }
}

/// A step's note for the teacher, shown only in teacher mode.
#[component]
pub fn TeacherNote(minutes: u32, text: String) -> impl IntoView {
    let lab = lab();
    let shown = lab.select(|s| s.is_teacher());
    let html = markdown(&text);
    view! {
        <Show when=move || shown.get()>
            <aside class="card teacher-note" data-minutes=minutes>
                <h3>{move || format!("{} · {minutes} min", lab.lang().teacher_words().note)}</h3>
                <div class="prose" inner_html=html.clone()></div>
            </aside>
        </Show>
    }
}

/// Under a question while the class's answers are locked: the teacher's word.
#[component]
pub fn ReleaseLock() -> impl IntoView {
    let lab = lab();
    let locked = lab.select(|s| s.answers_locked());
    let word = RwSignal::new(String::new());
    let send = move || lab.send(Event::ReleaseWord(word.get_untracked()));
    view! {
        <Show when=move || locked.get()>
            <div class="release-lock row">
                <label class="field">
                    <span>{move || lab.lang().teacher_words().locked}</span>
                    <input class="release-word" type="text" autocomplete="off"
                        prop:value=move || word.get()
                        on:input=move |ev| word.set(event_target_value(&ev))
                        on:keydown=move |ev| if ev.key() == "Enter" { send() }
                    />
                </label>
                <button class="release" on:click=move |_| send()>{move || lab.lang().teacher_words().open_answers}</button>
            </div>
        </Show>
    }
}
