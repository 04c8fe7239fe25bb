//! Small helpers every view uses: the lab from context, Markdown (with its
//! links passed through a rule, for the guides), the charts' words, the
//! target of a DOM event.

use crate::runtime::Lab;
use leptos::prelude::*;
use piedge::charts::ChartText;
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

/// The Markdown the lab renders: CommonMark with tables and strikethrough.
const MARKDOWN: pulldown_cmark::Options =
    pulldown_cmark::Options::ENABLE_TABLES.union(pulldown_cmark::Options::ENABLE_STRIKETHROUGH);

/// `event.target` as an element of type `T`.
pub fn event_target<T: JsCast>(ev: &web_sys::Event) -> T {
    ev.target().expect("an event target").unchecked_into()
}

/// The files of a file input or a drop.
pub fn files_of(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    list.map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
        .unwrap_or_default()
}
