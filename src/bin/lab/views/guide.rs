//! A guide from the bundle in place of the lesson (`#guide=teacher`): its
//! Markdown through the lesson's own path, with its links led where
//! `lab::guide::link` says (another guide of the bundle, the web, or text
//! only for the repository's files the bundle does not carry).

use super::common::{lab, markdown_linked};
use leptos::prelude::*;
use piedge::lab::guide::{self, GuideLink};
use piedge::lab::state::{Event, GuideText};

#[component]
pub fn GuideView() -> impl IntoView {
    let lab = lab();
    let words = move || lab.lang().guide_words();
    let text = lab.select(|s| s.guide_text().cloned());
    let lesson_hash = lab.select(|s| {
        let mut url = s.url.clone();
        url.guide.clear();
        url.to_hash()
    });
    // A link to a guide keeps the rest of the page's state (teacher mode,
    // the step to return to).
    let target = move |href: &str| match guide::link(href) {
        GuideLink::Web(url) => Some(url),
        GuideLink::Guide { name, lang } => Some(lab.with_untracked(|s| {
            let mut url = s.url.clone();
            url.guide = name.to_string();
            url.lang = lang;
            url.to_hash()
        })),
        GuideLink::NotInBundle => None,
    };
    view! {
        <article class="guide" id="guide" lang=move || lab.lang().code()>
            <p>
                <a id="guide-back" class="link" href=move || lesson_hash.get()
                    on:click=move |ev| {
                        ev.prevent_default();
                        lab.send(Event::CloseGuide);
                    }
                >
                    "← " {move || words().back}
                </a>
            </p>
            {move || match text.get() {
                None | Some(GuideText::Loading) => {
                    view! { <p class="loading">{words().loading}</p> }.into_any()
                }
                Some(GuideText::Failed(why)) => {
                    view! { <p class="notice error">{format!("{}: {why}", words().unavailable)}</p> }
                        .into_any()
                }
                Some(GuideText::Ready(md)) => {
                    view! { <div class="prose" inner_html=markdown_linked(&md, target)></div> }
                        .into_any()
                }
            }}
        </article>
    }
}
