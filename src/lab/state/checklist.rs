//! The teacher's "before the lesson" checklist, shown in teacher mode at
//! the top of the lesson's first step: what to start, check and try before
//! the class arrives. Which items are done is kept in the browser (apart
//! from the students' answers), and the list folds away once all are done.
//! Where the page found no classroom server, the items that need one say
//! what the class goes without instead (the words are `lab::i18n`'s).

use super::{Effect, LabState, ServerApi};
use serde::{Deserialize, Serialize};

/// One thing to do before the lesson.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChecklistItem {
    /// Start `piedge serve --lan`, or use the static site.
    Serve,
    /// Open the device check on one student device.
    DeviceCheck,
    /// Make the class link (with fixed settings, if wanted).
    ClassLink,
    /// Try the projector view.
    Projector,
    /// Know what to do when devices cannot reach the server: the guide.
    Unreachable,
}

impl ChecklistItem {
    pub const ALL: [ChecklistItem; 5] = [
        ChecklistItem::Serve,
        ChecklistItem::DeviceCheck,
        ChecklistItem::ClassLink,
        ChecklistItem::Projector,
        ChecklistItem::Unreachable,
    ];

    /// The item's name in the page (an element id, a test's handle).
    pub fn key(self) -> &'static str {
        match self {
            ChecklistItem::Serve => "serve",
            ChecklistItem::DeviceCheck => "device-check",
            ChecklistItem::ClassLink => "class-link",
            ChecklistItem::Projector => "projector",
            ChecklistItem::Unreachable => "unreachable",
        }
    }
}

/// Where the lab is served from, as the checklist words its items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Serving {
    /// `piedge serve` answered (or the page is still asking).
    Server,
    /// No classroom server: a static host.
    Static,
}

/// The checklist's state: the items ticked, and whether the browser's
/// copy was asked for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checklist {
    pub done: Vec<ChecklistItem>,
    asked: bool,
}

impl LabState {
    /// Where the lab is served from, for the checklist's words.
    pub fn serving(&self) -> Serving {
        match self.native.api {
            ServerApi::Absent => Serving::Static,
            ServerApi::Unknown | ServerApi::Present { .. } => Serving::Server,
        }
    }

    /// Every item of the checklist is done: it is shown folded.
    pub fn checklist_done(&self) -> bool {
        ChecklistItem::ALL
            .iter()
            .all(|i| self.checklist.done.contains(i))
    }

    /// The device check's address on this host: `piedge serve` answers
    /// `/check`, a static host has the file.
    pub fn device_check_href(&self) -> &'static str {
        match self.serving() {
            Serving::Server => "check",
            Serving::Static => "check.html",
        }
    }

    /// In teacher mode, ask the browser for the ticked items once.
    pub(super) fn ask_for_checklist(&mut self) {
        if self.is_teacher() && !self.checklist.asked {
            self.checklist.asked = true;
            self.effects.push(Effect::LoadChecklist);
        }
    }

    pub(super) fn check_item(&mut self, item: ChecklistItem, done: bool) {
        self.checklist.done.retain(|i| *i != item);
        if done {
            self.checklist.done.push(item);
            self.checklist.done.sort();
        }
        let json = serde_json::to_string(&self.checklist.done).expect("items serialise");
        self.effects.push(Effect::StoreChecklist(json));
    }

    /// The items the browser kept join those ticked meanwhile; anything
    /// unreadable (an older list, a hand-edited one) is read as nothing.
    pub(super) fn checklist_loaded(&mut self, text: Option<&str>) {
        let stored: Vec<serde_json::Value> = text
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default();
        for value in stored {
            if let Ok(item) = serde_json::from_value::<ChecklistItem>(value) {
                if !self.checklist.done.contains(&item) {
                    self.checklist.done.push(item);
                }
            }
        }
        self.checklist.done.sort();
    }
}
