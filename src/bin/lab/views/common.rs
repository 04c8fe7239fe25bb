//! Small helpers every view uses: the lab from context, Markdown (with its
//! links passed through a rule, for the guides; the lesson's with its
//! glossary terms), the charts' words, the
//! target of a DOM event.

use crate::runtime::Lab;
use leptos::prelude::*;
use piedge::charts::ChartText;
use piedge::lab::glossary::{term_close_html, term_of, term_open_html, Glossary, Term};
use piedge::lab::state::Event as LabEvent;
use piedge::lab::Lang;
use wasm_bindgen::JsCast;

pub fn lab() -> Lab {
    expect_context::<Lab>()
}

pub fn chart_text(lang: Lang) -> ChartText {
    match lang {
        Lang::Sv => ChartText::swedish(),
        Lang::En => ChartText::english(),
    }
}

pub fn markdown(md: &str) -> String {
    use pulldown_cmark::{html, Parser};
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(md, MARKDOWN));
    out
}

/// Markdown as [`markdown`] renders it, with each link's target passed
/// through `target`: a new address, or `None` to keep only the link's text.
pub fn markdown_linked(md: &str, target: impl Fn(&str) -> Option<String>) -> String {
    use pulldown_cmark::{html, Event, Parser, Tag, TagEnd};
    // CommonMark links do not nest, so one flag pairs an end with its start.
    let mut dropped = false;
    let events = Parser::new_ext(md, MARKDOWN).filter_map(|event| match event {
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => match target(&dest_url) {
            Some(url) => Some(Event::Start(Tag::Link {
                link_type,
                dest_url: url.into(),
                title,
                id,
            })),
            None => {
                dropped = true;
                None
            }
        },
        Event::End(TagEnd::Link) if dropped => {
            dropped = false;
            None
        }
        other => Some(other),
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

/// The lesson's Markdown with each glossary mark (`[word](term:id)`) as a
/// button described by its definition; a mark of a term the glossary does
/// not list reads as plain text.
pub fn lesson_markdown(md: &str, glossary: Option<&Glossary>, lang: Lang) -> String {
    use pulldown_cmark::{html, CowStr, Event, Parser, Tag, TagEnd};
    enum Link<'g> {
        Plain,
        Term(Option<&'g Term>),
    }
    let mut links: Vec<Link> = vec![];
    let events = Parser::new_ext(md, MARKDOWN).map(|event| match event {
        Event::Start(Tag::Link { ref dest_url, .. }) => match term_of(dest_url) {
            Some(id) => {
                let term = glossary.and_then(|g| g.get(id));
                links.push(Link::Term(term));
                Event::InlineHtml(CowStr::from(term.map(term_open_html).unwrap_or_default()))
            }
            None => {
                links.push(Link::Plain);
                event
            }
        },
        Event::End(TagEnd::Link) => match links.pop() {
            Some(Link::Term(term)) => Event::InlineHtml(CowStr::from(
                term.map(|t| term_close_html(t, lang)).unwrap_or_default(),
            )),
            _ => event,
        },
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

/// The Markdown the lab renders: CommonMark with tables and strikethrough.
const MARKDOWN: pulldown_cmark::Options =
    pulldown_cmark::Options::ENABLE_TABLES.union(pulldown_cmark::Options::ENABLE_STRIKETHROUGH);

/// Lesson text: its Markdown, with the glossary's buttons working (a click,
/// a tap or Enter opens a definition, Escape closes it; hovering shows it
/// through the style sheet).
#[component]
pub fn Prose(md: String) -> impl IntoView {
    let lab = lab();
    let html = lab.with_untracked(|s| lesson_markdown(&md, s.glossary.as_ref(), s.lang()));
    view! {
        <div
            class="prose"
            inner_html=html
            on:click=move |ev| {
                let target: web_sys::Element = event_target(&ev);
                if let Some(id) = target
                    .closest("button.term")
                    .ok()
                    .flatten()
                    .and_then(|b| b.get_attribute("data-term"))
                {
                    lab.send(LabEvent::ToggleTerm(id));
                }
            }
            on:keydown=move |ev: web_sys::KeyboardEvent| {
                if ev.key() == "Escape" {
                    lab.send(LabEvent::CloseTerm);
                }
            }
        ></div>
    }
}

/// `event.target` as an element of type `T`.
pub fn event_target<T: JsCast>(ev: &web_sys::Event) -> T {
    ev.target().expect("an event target").unchecked_into()
}

/// The files of a file input or a drop.
pub fn files_of(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    list.map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
        .unwrap_or_default()
}
