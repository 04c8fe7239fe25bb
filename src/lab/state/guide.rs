//! A guide from the bundle shown in place of the lesson (`#guide=teacher`,
//! linked from teacher mode and from `piedge serve`'s start-up message):
//! which one, in which language, and its text as fetched.

use super::{Effect, LabState};
use crate::lab::guide::{self, Guide};

/// A guide's Markdown for one language, as far as it has come.
#[derive(Clone, Debug, PartialEq)]
pub enum GuideText {
    Loading,
    Ready(String),
    /// The fetch failed, with the browser's words for why.
    Failed(String),
}

impl LabState {
    /// The guide the page shows instead of the lesson, if any.
    pub fn guide_shown(&self) -> Option<&'static Guide> {
        guide::find(&self.url.guide)
    }

    /// The shown guide's text in the current language.
    pub fn guide_text(&self) -> Option<&GuideText> {
        let path = self.guide_shown()?.path(self.lang());
        self.guides.get(path)
    }

    /// Opens a guide from a link on the page (a new history entry, so the
    /// back button returns to where the teacher was).
    pub(super) fn open_guide(&mut self, name: &str) {
        let Some(g) = guide::find(name) else { return };
        // A guide that could not be fetched is tried again when asked for.
        let path = g.path(self.lang());
        if matches!(self.guides.get(path), Some(GuideText::Failed(_))) {
            self.guides.remove(path);
        }
        self.url.guide = g.name.to_string();
        self.effects.push(Effect::PushHash(self.url.to_hash()));
        self.effects.push(Effect::FocusMain);
    }

    /// Back to the lesson, at the step the teacher left.
    pub(super) fn close_guide(&mut self) {
        if !self.url.guide.is_empty() {
            self.url.guide.clear();
            self.effects.push(Effect::PushHash(self.url.to_hash()));
            self.effects.push(Effect::FocusMain);
        }
    }

    pub(super) fn guide_arrived(&mut self, path: String, result: Result<String, String>) {
        // Only a file this state asked for is kept.
        if let Some(slot) = self.guides.get_mut(path.as_str()) {
            *slot = match result {
                Ok(text) => GuideText::Ready(text),
                Err(why) => GuideText::Failed(why),
            };
        }
    }

    /// Asks for the shown guide's text in the current language once: after
    /// any event, since a link, the back button or the language switch may
    /// each have changed what is shown.
    pub(super) fn want_guide(&mut self) {
        let Some(g) = self.guide_shown() else { return };
        let path = g.path(self.lang());
        if !self.guides.contains_key(path) {
            self.guides.insert(path, GuideText::Loading);
            self.effects.push(Effect::FetchGuide(path));
        }
    }
}
