//! The page's frame: header (language, projector mode), notices, the step
//! navigation, the step's content (the lesson's Markdown with the widgets it
//! names) and the footer; or, in their place, the class board or a guide.

use super::board::ClassBoardView;
use super::common::{lab, Prose};
use super::controls::Controls;
use super::environment::Environment;
use super::experiment::Experiment;
use super::guide::GuideView;
use super::model::ModelPicker;
use super::native::NativeRun;
use super::questions::{Question, WorksheetExport};
use super::results::{ColdStart, Results};
use super::teacher::{BeforeTheLesson, TeacherNote, TeacherPanel};
use crate::dom;
use crate::runtime::Lab;
use leptos::prelude::*;
use piedge::lab::lesson::Part;
use piedge::lab::state::{Event, NoticeAction};
use piedge::lab::Lang;

/// Mounts the lab on the page and starts it.
pub fn mount() {
    leptos::mount::mount_to_body(App);
    if let Some(loading) = dom::window()
        .document()
        .and_then(|d| d.get_element_by_id("loading"))
    {
        loading.remove();
    }
}

#[component]
fn App() -> impl IntoView {
    let lab = Lab::new();
    provide_context(lab);
    lab.follow_url();
    lab.expose_test_hooks();
    lab.send(Event::Boot);
    let projector = lab.select(|s| s.projector);
    let n_runs = lab.select(|s| s.runs.len());
    let busy = lab.select(|s| s.is_busy());
    let board = lab.select(|s| s.board_shown());
    let guide = lab.select(|s| s.guide_shown().is_some());
    let teacher = lab.select(|s| s.is_teacher());
    let first_step = lab.select(|s| s.url.step == 1);
    // The open glossary term, carried onto the lesson's HTML buttons.
    let term_open = lab.select(|s| s.term_open.clone());
    Effect::new(move |previous: Option<Option<String>>| {
        let open = term_open.get();
        if let Some(Some(id)) = previous {
            dom::set_term_expanded(&id, false);
        }
        if let Some(id) = &open {
            dom::set_term_expanded(id, true);
        }
        open
    });
    view! {
        // data-runs and data-busy let tests (and scripts) wait for a run to end
        // without racing a progress bar that a fast run shows only briefly.
        <div
            class="app"
            class:projector=move || projector.get()
            data-runs=move || n_runs.get()
            data-busy=move || busy.get().to_string()
        >
            <Header/>
            <Notices/>
            {move || if guide.get() {
                view! { <main id="main" tabindex="-1"><GuideView/></main> }.into_any()
            } else if board.get() {
                view! { <main id="main" tabindex="-1"><ClassBoardView/></main> }.into_any()
            } else {
                view! {
                    <StepNav/>
                    <main id="main" tabindex="-1">
                        <Show when=move || teacher.get() && first_step.get()><BeforeTheLesson/></Show>
                        <Show when=move || teacher.get()><TeacherPanel/></Show>
                        <StepContent/>
                    </main>
                    <StepFooter/>
                }
                .into_any()
            }}
        </div>
    }
}

#[component]
fn Header() -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let projector = lab.select(|s| s.projector);
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
                                lab.send(Event::SetLang(l));
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
                        prop:checked=move || projector.get()
                        on:change=move |ev| lab.send(Event::SetProjector(event_target_checked(&ev)))
                    />
                    <span>{move || ui().projector}</span>
                </label>
            </div>
        </header>
    }
}

#[component]
fn Notices() -> impl IntoView {
    let lab = lab();
    let notices = lab.select(|s| s.notices.clone());
    view! {
        <div class="notices" role="status" aria-live="polite">
            {move || {
                notices
                    .get()
                    .into_iter()
                    .map(|n| {
                        let id = n.id;
                        let action = n.action.map(|a| match a {
                            NoticeAction::ExportAll => view! {
                                <button class="notice-action" on:click=move |_| lab.send(Event::ExportAll)>
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
                                <button class="link" on:click=move |_| lab.send(Event::DismissNotice(id))>
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

#[component]
fn StepNav() -> impl IntoView {
    let lab = lab();
    let step = lab.select(|s| s.url.step);
    let steps = lab.select(|s| s.step_count());
    // Titles change with the language and when a lesson arrives; keyed on
    // those, they are not rebuilt on every progress message.
    let shown = lab.select(|s| (s.lang(), s.lessons.get(&s.lang()).map(|l| l.is_ok())));
    let titles = move || {
        shown.track();
        lab.with_untracked(|s| s.step_titles())
    };
    let hash_for = move |n: usize| {
        lab.with(|s| {
            let mut u = s.url.clone();
            u.step = n;
            u.to_hash()
        })
    };
    view! {
        <nav class="steps" aria-label=move || lab.lang().ui().step>
            <div class="progress-track" aria-hidden="true">
                <div class="progress-fill" style:width=move || format!("{}%", step.get() * 100 / steps.get())></div>
            </div>
            <ol>
                {move || {
                    titles()
                        .into_iter()
                        .enumerate()
                        .map(|(i, title)| {
                            let n = i + 1;
                            view! {
                                <li>
                                    <a
                                        href=move || hash_for(n)
                                        class:current=move || { step.get() == n }
                                        class:done=move || { step.get() > n }
                                        aria-current=move || { (step.get() == n).then_some("step") }
                                        on:click=move |ev| {
                                            ev.prevent_default();
                                            lab.send(Event::GoToStep(n));
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
fn StepFooter() -> impl IntoView {
    let lab = lab();
    let step = lab.select(|s| s.url.step);
    let steps = lab.select(|s| s.step_count());
    let ui = move || lab.lang().ui();
    view! {
        <footer class="step-footer">
            <button id="back" disabled=move || { step.get() <= 1 } on:click=move |_| lab.send(Event::GoToStep(step.get_untracked() - 1))>
                "← " {move || ui().back}
            </button>
            <span class="step-count">{move || format!("{} {} / {}", ui().step, step.get(), steps.get())}</span>
            <button id="next" class="primary" disabled=move || { step.get() >= steps.get() } on:click=move |_| lab.send(Event::GoToStep(step.get_untracked() + 1))>
                {move || ui().next} " →"
            </button>
        </footer>
    }
}

/// The current step of the lesson in the current language. Rebuilt only
/// when the step, the language or the lesson text changes.
#[component]
fn StepContent() -> impl IntoView {
    let lab = lab();
    // Which step, and whether its lesson has arrived: the lesson itself is
    // read once per change, not compared on every event.
    let shown = lab.select(|s| {
        (
            s.lang(),
            s.url.step,
            s.lessons.get(&s.lang()).map(|l| l.is_ok()),
            s.glossary.is_some(),
        )
    });
    move || {
        let (lang, step, _, _) = shown.get();
        match lab.with_untracked(|s| s.lessons.get(&lang).cloned()) {
            None => view! { <p class="loading">{lang.ui().loading}</p> }.into_any(),
            Some(Err(e)) => view! { <p class="notice error">{e}</p> }.into_any(),
            Some(Ok(lesson)) => {
                let Some(s) = lesson.steps.get(step - 1).cloned() else {
                    return view! { <p>{lang.ui().no_results}</p> }.into_any();
                };
                view! {
                    <article class="step" data-step=step>
                        <h2>{s.title.clone()}</h2>
                        {s.parts.into_iter().map(|p| render_part(p, lang)).collect_view()}
                    </article>
                }
                .into_any()
            }
        }
    }
}

fn render_part(part: Part, lang: Lang) -> AnyView {
    match part {
        Part::Markdown(md) => view! { <Prose md/> }.into_any(),
        Part::Question(q) => {
            // A question that needs the classroom server, or its twin for a
            // static host, is asked only where it can be answered.
            let host = q.host;
            let asked = lab().select(move |s| s.asks_here(host));
            view! { <Show when=move || asked.get()><Question q=q.clone()/></Show> }.into_any()
        }
        Part::Teacher(note) => {
            view! { <TeacherNote minutes=note.minutes extension=note.extension text=note.text/> }
                .into_any()
        }
        Part::Widget(name) => match name.as_str() {
            "environment" => view! { <Environment/> }.into_any(),
            "model" => view! { <ModelPicker/> }.into_any(),
            "controls" => view! { <Controls/> }.into_any(),
            "results" => view! { <Results/> }.into_any(),
            "cold-start" => view! { <ColdStart/> }.into_any(),
            "experiment" => view! { <Experiment/> }.into_any(),
            "native" => view! { <NativeRun/> }.into_any(),
            "worksheet" => view! { <WorksheetExport/> }.into_any(),
            other => view! {
                <p class="notice error">{format!("{}: '{other}'", lang.ui().unknown_widget)}</p>
            }
            .into_any(),
        },
    }
}
