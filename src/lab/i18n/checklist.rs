//! Teacher mode's checklist before the lesson, and the time plan's columns.

use super::Lang;
use crate::lab::state::{ChecklistItem, Serving};

pub struct ChecklistWords {
    pub title: &'static str,
    /// The folded list's title once every item is done.
    pub all_done: &'static str,
    /// The link of the device-check item.
    pub device_check: &'static str,
    /// The link of the unreachable-devices item.
    pub guide: &'static str,
}

/// The time plan's words: its columns and the rows below the steps.
pub struct PlanWords {
    pub step: &'static str,
    pub core: &'static str,
    pub extension: &'static str,
    pub slack: &'static str,
    pub total: &'static str,
    /// Under the table: what the columns mean.
    pub hint: &'static str,
}

impl Lang {
    pub fn checklist_words(self) -> ChecklistWords {
        match self {
            Lang::Sv => ChecklistWords {
                title: "Före lektionen",
                all_done: "Före lektionen: allt klart",
                device_check: "enhetskontrollen",
                guide: "Lärarhandledningen",
            },
            Lang::En => ChecklistWords {
                title: "Before the lesson",
                all_done: "Before the lesson: all done",
                device_check: "the device check",
                guide: "The teacher's guide",
            },
        }
    }

    /// One item of the checklist, worded for the host the page came from.
    pub fn checklist_item(self, item: ChecklistItem, serving: Serving) -> &'static str {
        use ChecklistItem::*;
        use Serving::*;
        match (self, item, serving) {
            (Lang::Sv, Serve, Server) => "Starta piedge serve --lan på datorn klassen ska använda (eller använd den statiska webbplatsen) och håll fönstret öppet.",
            (Lang::En, Serve, Server) => "Start piedge serve --lan on the machine the class will use (or use the static site) and keep its window open.",
            (Lang::Sv, Serve, Static) => "Sidan kommer från en statisk webbplats: lektionen, mätningarna och arbetsbladet fungerar, men utan piedge serve --lan finns ingen klasstavla, inga mätningar på servern och ingen upplåsning av svaren från klasstavlan.",
            (Lang::En, Serve, Static) => "This page comes from a static site: the lesson, the measurements and the worksheet work, but without piedge serve --lan there is no class board, no measurements on the server and no unlocking of the answers from the board.",
            (Lang::Sv, DeviceCheck, Server) => "Öppna enhetskontrollen på en elevenhet: den säger om enheten når servern, får en fin timer och kör WebAssembly.",
            (Lang::En, DeviceCheck, Server) => "Open the device check on one student device: it says whether the device reaches the server, gets a fine timer and runs WebAssembly.",
            (Lang::Sv, DeviceCheck, Static) => "Öppna enhetskontrollen på en elevenhet. Utan servern finns inget certifikat att pröva, och timern blir fin först efter en omladdning.",
            (Lang::En, DeviceCheck, Static) => "Open the device check on one student device. Without the server there is no certificate to try, and the timer becomes fine only after one reload.",
            (Lang::Sv, ClassLink, _) => "Gör länken till klassen här nedanför (lås inställningarna om klassen ska mäta lika).",
            (Lang::En, ClassLink, _) => "Make the link for the class below (fix the settings if the class should measure alike).",
            (Lang::Sv, Projector, _) => "Prova projektorläget (överst på sidan) och se att bakersta raden kan läsa.",
            (Lang::En, Projector, _) => "Try projector mode (at the top of the page) and check that the back row can read it.",
            (Lang::Sv, Unreachable, _) => "Läs vad du gör när enheter inte når servern: lärarhandledningen, som labbet själv visar, också utan internet.",
            (Lang::En, Unreachable, _) => "Read what to do when devices cannot reach the server: the teacher's guide, which the lab itself shows, also without internet.",
        }
    }

    pub fn plan_words(self) -> PlanWords {
        match self {
            Lang::Sv => PlanWords {
                step: "Steg",
                core: "Kärna",
                extension: "Överkurs",
                slack: "Marginal (enheter som laddar, certifikatvarningar)",
                total: "Lektionen (kärna och marginal)",
                hint: "Kärnan gör alla; överkursen är för elever som blir klara tidigt.",
            },
            Lang::En => PlanWords {
                step: "Step",
                core: "Core",
                extension: "Extension",
                slack: "Slack (devices loading, certificate warnings)",
                total: "The lesson (core and slack)",
                hint: "Everyone does the core; the extensions are for students who finish early.",
            },
        }
    }
}
