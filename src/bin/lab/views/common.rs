//! Small helpers every view uses: the lab from context, Markdown, the
//! charts' words, the target of a DOM event.

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
    use pulldown_cmark::{html, Options, Parser};
    let mut out = String::new();
    html::push_html(
        &mut out,
        Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH),
    );
    out
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
