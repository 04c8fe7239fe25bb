//! The words around a guide from the bundle: its link in teacher mode, the
//! way back to the lesson, and while it loads or when it cannot.

use super::Lang;

pub struct GuideWords {
    /// The link in teacher mode.
    pub open: &'static str,
    /// A hint beside the link: the guide is served with the lab.
    pub offline: &'static str,
    pub back: &'static str,
    pub loading: &'static str,
    /// The guide's file could not be fetched (the browser's words follow).
    pub unavailable: &'static str,
}

impl Lang {
    pub fn guide_words(self) -> GuideWords {
        match self {
            Lang::Sv => GuideWords {
                open: "Lärarhandledningen",
                offline: "före, under och efter lektionen, klassrummets nätverk och klasstavlan; fungerar utan internet",
                back: "Tillbaka till lektionen",
                loading: "Hämtar handledningen …",
                unavailable: "Handledningen kunde inte hämtas",
            },
            Lang::En => GuideWords {
                open: "The teacher's guide",
                offline: "before, during and after the lesson, the classroom network and the class board; works without internet",
                back: "Back to the lesson",
                loading: "Loading the guide …",
                unavailable: "The guide could not be fetched",
            },
        }
    }
}
