//! The teacher's checklist before the lesson, as event scripts: asked for
//! from the browser once teacher mode opens, ticked and kept, folded when
//! all is done; its items worded for the host the page came from; and the
//! questions a host cannot answer swapped for their twins.

use super::{check, with_questions};
use crate::lab::lesson::Host;
use crate::lab::state::{ChecklistItem, Event, LabState, Serving};

/// The script words of this part: `check-item KEY on|off`,
/// `stored-checklist JSON|none`.
pub(super) fn event_of(word: &str, args: &[&str]) -> Event {
    match word {
        "check-item" => Event::CheckItem {
            item: *ChecklistItem::ALL
                .iter()
                .find(|i| i.key() == args[0])
                .expect("an item's key"),
            done: args[1] == "on",
        },
        "stored-checklist" => Event::StoredChecklist(match args.join(" ").as_str() {
            "none" => None,
            json => Some(json.to_string()),
        }),
        other => panic!("no checklist word '{other}' in the scripts"),
    }
}

/// The ticked items, and whether the list is folded, once any is ticked.
pub(super) fn summary(s: &LabState) -> Option<String> {
    if s.checklist.done.is_empty() {
        return None;
    }
    let keys: Vec<_> = s.checklist.done.iter().map(|i| i.key()).collect();
    let folded = if s.checklist_done() { " · folded" } else { "" };
    Some(format!("{}{folded}", keys.join(", ")))
}

fn state_after(script: &str) -> LabState {
    let mut h = super::Harness::new();
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
        h.play(line);
    }
    h.state
}

const TEACHER: &str =
    "#step=1&lang=en&model=mobilenetv2&warmup=3&runs=10&seed=0&plan=optimized&teacher=t1";

#[test]
fn the_checklist_is_read_once_teacher_mode_opens_and_kept_as_it_is_ticked() {
    check(
        &format!(
            "stored-checklist none
             hash {TEACHER}
             hash {TEACHER}&step=2
             stored-checklist [\"projector\",\"no-such-item\",7]
             check-item serve on
             check-item device-check on
             check-item device-check off"
        ),
        "stored-checklist none
         hash #step=1&lang=en&model=mobilenetv2&warmup=3&runs=10&seed=0&plan=optimized&teacher=t1
           -> load checklist
         hash #step=1&lang=en&model=mobilenetv2&warmup=3&runs=10&seed=0&plan=optimized&teacher=t1&step=2
         stored-checklist [\"projector\",\"no-such-item\",7]
         check-item serve on
           -> store checklist [\"serve\",\"projector\"]
         check-item device-check on
           -> store checklist [\"serve\",\"device-check\",\"projector\"]
         check-item device-check off
           -> store checklist [\"serve\",\"projector\"]
         | model: -
         | checklist: serve, projector",
    );
}

#[test]
fn a_student_page_never_asks_for_the_checklist_and_a_done_list_folds() {
    let s = state_after("boot\nhash #step=1&lang=en");
    assert!(!s.checklist_done());
    let mut script = format!("hash {TEACHER}");
    for item in ChecklistItem::ALL {
        script += &format!("\ncheck-item {} on", item.key());
    }
    let s = state_after(&script);
    assert!(s.checklist_done());
}

#[test]
fn the_host_decides_the_checklists_words_and_which_twin_question_is_asked() {
    let asked = |s: &LabState| {
        [Host::Any, Host::Server, Host::Static]
            .map(|h| s.asks_here(h))
            .to_vec()
    };
    let asking = state_after(&with_questions(""));
    assert_eq!(asking.serving(), Serving::Server);
    assert_eq!(asked(&asking), [true, false, false], "neither twin yet");
    let server = state_after(&with_questions("machine other"));
    assert_eq!(
        (server.serving(), server.device_check_href()),
        (Serving::Server, "check")
    );
    assert_eq!(asked(&server), [true, true, false]);
    let static_host = state_after(&with_questions("no-machine"));
    assert_eq!(
        (static_host.serving(), static_host.device_check_href()),
        (Serving::Static, "check.html")
    );
    assert_eq!(asked(&static_host), [true, false, true]);
}

#[test]
fn the_static_twin_sets_the_browser_against_the_reference_machines_native_p50() {
    let lesson = "lesson # Experiment\
        \\n::: question native measure=native predict=native-ratio host=server\\nq\\n---\\na\\n:::\
        \\n::: question reference measure=3,10 predict=native-ratio host=static native-p50=2 opens=measured\\nq\\n---\\na\\n:::";
    let s = state_after(&super::with_ready(&format!(
        "{lesson}\nno-machine\npredict reference 3\nmeasure reference\nfinish"
    )));
    assert!(s.asks_here(Host::Static) && !s.asks_here(Host::Server));
    let o = s.outcome("reference").unwrap();
    // Ten runs of 1 … 10 ms: the browser's P50 is 5.5 ms, over 2 ms.
    assert_eq!((o.predicted, o.measured), (3.0, 2.75));
    assert!(s.can_reveal("reference"));
}
