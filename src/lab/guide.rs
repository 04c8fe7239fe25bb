//! The guides the lab carries in its bundle (`docs/teacher.md` and its
//! Swedish twin, copied by trunk from `index.html`), so that a teacher can
//! read them in a classroom without internet: which guide a link names
//! (`#guide=teacher`), which file holds it in each language, and where a
//! link inside a guide leads when the page shows it.
//!
//! The page shows a guide in place of the lesson, through the lesson's own
//! Markdown path. It never reads a file itself: the state asks the runtime
//! to fetch the one this module names.

use super::Lang;

/// A guide in the bundle: its name in the URL and its file per language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Guide {
    pub name: &'static str,
    sv: &'static str,
    en: &'static str,
}

/// The teacher's guide: before, during and after the lesson.
pub const TEACHER: &str = "teacher";

/// Every guide the bundle carries. `index.html` copies each file into the
/// bundle under the same path, and `build.rs` stamps it (`tests/docs.rs`
/// holds them to this list).
pub const GUIDES: &[Guide] = &[Guide {
    name: TEACHER,
    sv: "docs/teacher.sv.md",
    en: "docs/teacher.md",
}];

/// The guide the URL's `guide=` names, if the bundle carries it.
pub fn find(name: &str) -> Option<&'static Guide> {
    GUIDES.iter().find(|g| g.name == name)
}

impl Guide {
    /// The guide's file in `lang`, relative to the bundle's root (and to the
    /// repository's).
    pub fn path(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Sv => self.sv,
            Lang::En => self.en,
        }
    }

    /// Every file of this guide, one per language.
    pub fn paths(&self) -> impl Iterator<Item = &'static str> + '_ {
        Lang::ALL.into_iter().map(|l| self.path(l))
    }
}

/// Where a link in a guide leads when the page shows the guide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GuideLink {
    /// A web address, kept as written.
    Web(String),
    /// Another guide in the bundle, or the same one in the other language.
    Guide { name: &'static str, lang: Lang },
    /// A file the bundle does not carry (another page of `docs/`, the
    /// repository's sources), or a place within the page: the link's text
    /// stays, without a link. (An in-page `#anchor` would replace the
    /// lab's own state in the URL's fragment.)
    NotInBundle,
}

/// Where `href`, written in a guide of `docs/`, leads in the page.
pub fn link(href: &str) -> GuideLink {
    let href = href.trim();
    let lower = href.to_ascii_lowercase();
    if ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
    {
        return GuideLink::Web(href.to_string());
    }
    // A sibling in `docs/`, by its file name; a fragment within it is
    // dropped, since the page shows the guide from its top.
    let file = href.split('#').next().unwrap_or("");
    let file = file.strip_prefix("./").unwrap_or(file);
    for guide in GUIDES {
        for lang in Lang::ALL {
            let path = guide.path(lang);
            if !file.is_empty() && path.strip_prefix("docs/") == Some(file) {
                return GuideLink::Guide {
                    name: guide.name,
                    lang,
                };
            }
        }
    }
    GuideLink::NotInBundle
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(href: &str, expected: GuideLink) {
        assert_eq!(link(href), expected, "{href}");
    }

    #[test]
    fn links_lead_to_the_web_to_a_bundled_guide_or_nowhere() {
        let teacher = |lang| GuideLink::Guide {
            name: "teacher",
            lang,
        };
        check(
            "https://github.com/sonos/tract",
            GuideLink::Web("https://github.com/sonos/tract".into()),
        );
        check("teacher.sv.md", teacher(Lang::Sv));
        check("./teacher.md", teacher(Lang::En));
        check("teacher.md#the-classroom-network", teacher(Lang::En));
        check("raspberry-pi.md", GuideLink::NotInBundle);
        check("../ARCHITECTURE.md", GuideLink::NotInBundle);
        check("#the-classroom-network", GuideLink::NotInBundle);
        check("", GuideLink::NotInBundle);
        check("docs/teacher.md", GuideLink::NotInBundle);
    }

    #[test]
    fn a_guide_is_found_by_its_name_only() {
        assert_eq!(
            find("teacher").map(|g| g.path(Lang::Sv)),
            Some("docs/teacher.sv.md")
        );
        assert_eq!(
            find("teacher").map(|g| g.path(Lang::En)),
            Some("docs/teacher.md")
        );
        assert_eq!(find("../etc/passwd"), None);
        assert_eq!(find(""), None);
    }
}
