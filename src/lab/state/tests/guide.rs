//! The teacher's guide in place of the lesson, as event scripts: opened from
//! teacher mode and closed again, fetched once per language, tried again
//! after a failed fetch only when asked for.

use super::check;
use crate::lab::state::{Event, GuideText, LabState};

/// The script words of this part: `open-guide NAME`, `close-guide`,
/// `guide-text PATH TEXT…`, `guide-failed PATH WHY…`.
pub(super) fn event_of(word: &str, args: &[&str]) -> Event {
    match word {
        "open-guide" => Event::OpenGuide(args.join(" ")),
        "close-guide" => Event::CloseGuide,
        "guide-text" | "guide-failed" => {
            let rest = args[1..].join(" ");
            Event::GuideText {
                path: args[0].into(),
                result: if word == "guide-text" {
                    Ok(rest)
                } else {
                    Err(rest)
                },
            }
        }
        other => panic!("no guide word '{other}' in the scripts"),
    }
}

/// The shown guide and the texts the state holds, or `None` when no guide
/// is shown and none was fetched.
pub(super) fn summary(s: &LabState) -> Option<String> {
    if s.guide_shown().is_none() && s.guides.is_empty() {
        return None;
    }
    let mut texts: Vec<String> = s
        .guides
        .iter()
        .map(|(path, t)| match t {
            GuideText::Loading => format!("{path} loading"),
            GuideText::Ready(text) => format!("{path} ready ({} bytes)", text.len()),
            GuideText::Failed(why) => format!("{path} failed ({why})"),
        })
        .collect();
    texts.sort();
    let shown = s.guide_shown().map_or("none shown", |g| g.name);
    Some(format!("{shown} · {}", texts.join(" · ")))
}

const LESSON: &str =
    "#step=2&lang=en&model=mobilenetv2&warmup=3&runs=10&seed=0&plan=optimized&teacher=t1";

#[test]
fn teacher_mode_opens_the_guide_and_goes_back_to_the_same_step() {
    check(
        &format!(
            "hash {LESSON}
            open-guide teacher
            guide-text docs/teacher.md # The teacher's guide
            close-guide"
        ),
        &format!(
            "hash {LESSON}
              -> load checklist
            open-guide teacher
              -> push {LESSON}&guide=teacher
              -> focus main
              -> fetch guide docs/teacher.md
            guide-text docs/teacher.md # The teacher's guide
            close-guide
              -> push {LESSON}
              -> focus main
            | model: -
            | guide: none shown · docs/teacher.md ready (21 bytes)"
        ),
    );
}

#[test]
fn a_link_to_the_guide_fetches_it_once_per_language() {
    check(
        "hash #lang=en&guide=teacher
        lang sv
        guide-text docs/teacher.sv.md # Lärarhandledning
        lang en
        lang sv",
        "hash #lang=en&guide=teacher
          -> fetch guide docs/teacher.md
        lang sv
          -> fetch guide docs/teacher.sv.md
        guide-text docs/teacher.sv.md # Lärarhandledning
        lang en
        lang sv
        | model: -
        | guide: teacher · docs/teacher.md loading · docs/teacher.sv.md ready (19 bytes)",
    );
}

#[test]
fn a_failed_fetch_is_shown_and_tried_again_when_the_guide_is_opened_again() {
    check(
        "hash #lang=en&guide=teacher
        guide-failed docs/teacher.md HTTP 404
        lang en
        close-guide
        open-guide teacher",
        "hash #lang=en&guide=teacher
          -> fetch guide docs/teacher.md
        guide-failed docs/teacher.md HTTP 404
        lang en
        close-guide
          -> push #step=1&lang=en&model=mobilenetv2&warmup=3&runs=10&seed=0&plan=optimized
          -> focus main
        open-guide teacher
          -> push #step=1&lang=en&model=mobilenetv2&warmup=3&runs=10&seed=0&plan=optimized&guide=teacher
          -> focus main
          -> fetch guide docs/teacher.md
        | model: -
        | guide: teacher · docs/teacher.md loading",
    );
}

#[test]
fn only_a_bundled_guide_opens_and_only_a_file_asked_for_is_kept() {
    check(
        "open-guide ../../README
        guide-text docs/contributing.md # Contributing
        close-guide",
        "open-guide ../../README
        guide-text docs/contributing.md # Contributing
        close-guide
        | model: -",
    );
}
