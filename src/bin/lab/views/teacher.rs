//! Teacher mode (a `teacher=` code in the link): the checklist before the
//! lesson at the top of its first step; the time plan (core, extensions,
//! slack), the class link and the way to the teacher's guide above the
//! lesson, and each step's note; and for the class, the lock on the answers
//! that the teacher's word opens.

use super::common::{lab, markdown};
use crate::dom;
use leptos::prelude::*;
use piedge::lab::guide;
use piedge::lab::state::{ChecklistItem, Event};

/// The checklist before the lesson: each item with its box, folded once
/// every box is ticked.
#[component]
pub fn BeforeTheLesson() -> impl IntoView {
    let lab = lab();
    let words = move || lab.lang().checklist_words();
    let done = lab.select(|s| s.checklist.done.clone());
    let all_done = lab.select(|s| s.checklist_done());
    let serving = lab.select(|s| s.serving());
    let check_href = lab.select(|s| s.device_check_href());
    let guide_hash = lab.select(|s| {
        let mut url = s.url.clone();
        url.guide = guide::TEACHER.to_string();
        url.to_hash()
    });
    let item = move |item: ChecklistItem| {
        let id = format!("check-{}", item.key());
        let link = match item {
            ChecklistItem::DeviceCheck => Some(
                view! { " " <a href=move || check_href.get() target="_blank">{move || words().device_check}</a> }
                    .into_any(),
            ),
            ChecklistItem::Unreachable => Some(
                view! {
                    " "
                    <a href=move || guide_hash.get()
                        on:click=move |ev| {
                            ev.prevent_default();
                            lab.send(Event::OpenGuide(guide::TEACHER.to_string()));
                        }
                    >{move || words().guide}</a>
                }
                .into_any(),
            ),
            _ => None,
        };
        view! {
            <li data-item=item.key()>
                <input id=id.clone() type="checkbox"
                    prop:checked=move || done.get().contains(&item)
                    on:change=move |ev| lab.send(Event::CheckItem { item, done: event_target_checked(&ev) })
                />
                <label for=id>{move || lab.lang().checklist_item(item, serving.get())}</label>
                {link}
            </li>
        }
    };
    view! {
        <details class="card checklist" id="checklist" prop:open=move || !all_done.get()
            data-serving=move || format!("{:?}", serving.get()).to_lowercase()>
            <summary>
                <h2>{move || if all_done.get() { words().all_done } else { words().title }}</h2>
            </summary>
            <ul>{ChecklistItem::ALL.map(item).into_iter().collect_view()}</ul>
        </details>
    }
}

/// Above the lesson in teacher mode: the time plan and the class link.
#[component]
pub fn TeacherPanel() -> impl IntoView {
    let lab = lab();
    let words = move || lab.lang().teacher_words();
    let plan_words = move || lab.lang().plan_words();
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
                <thead>
                    <tr>
                        <th scope="col">{move || plan_words().step}</th>
                        <th scope="col">{move || plan_words().core}</th>
                        <th scope="col">{move || plan_words().extension}</th>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        let plan = plan.get();
                        let min = |m: u32| if m == 0 { String::new() } else { format!("{m} min") };
                        let rows = plan.steps.iter().map(|r| {
                            view! { <tr><td>{r.title.clone()}</td><td>{min(r.core)}</td><td>{min(r.extension)}</td></tr> }
                        }).collect_view();
                        view! {
                            {rows}
                            <tr class="slack"><td>{plan_words().slack}</td><td>{min(plan.slack)}</td><td></td></tr>
                            <tr class="total"><th scope="row">{plan_words().total}</th><td>{min(plan.core() + plan.slack)}</td><td>{min(plan.extension())}</td></tr>
                        }
                    }}
                </tbody>
            </table>
            <p class="hint">{move || plan_words().hint}</p>
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
pub fn TeacherNote(minutes: u32, extension: u32, text: String) -> impl IntoView {
    let lab = lab();
    let shown = lab.select(|s| s.is_teacher());
    let html = markdown(&text);
    let heading = move || {
        let (note, plan) = (lab.lang().teacher_words().note, lab.lang().plan_words());
        match extension {
            0 => format!("{note} · {minutes} min"),
            e => format!(
                "{note} · {}: {minutes} min · {}: {e} min",
                plan.core, plan.extension
            ),
        }
    };
    view! {
        <Show when=move || shown.get()>
            <aside class="card teacher-note" data-minutes=minutes data-extension=extension>
                <h3>{heading}</h3>
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
