//! The glossary's terms: loading the list, and which definition is open.

use super::*;

fn lab() -> LabState {
    let mut s = LabState::new(UrlState::default(), browser());
    s.update(Moment::default(), Event::Boot);
    s
}

fn send(s: &mut LabState, event: Event) -> Vec<Effect> {
    s.update(Moment::default(), event)
}

const GLOSSARY: &str =
    "## run\nsv: körning | En tidtagen inferens.\nen: run | One timed inference.\n\
                        ## p95\nsv: P95 | x\nen: P95 | y\n";

#[test]
fn the_page_fetches_the_glossary_once_it_starts() {
    let mut s = LabState::new(UrlState::default(), browser());
    assert!(send(&mut s, Event::Boot).contains(&Effect::FetchGlossary));
    assert_eq!(s.glossary, None);
    send(&mut s, Event::GlossaryText(GLOSSARY.into()));
    assert_eq!(s.glossary.as_ref().unwrap().terms().len(), 2);
}

#[test]
fn a_term_opens_on_a_press_and_closes_on_the_next_escape_or_a_new_step() {
    let mut s = lab();
    send(&mut s, Event::GlossaryText(GLOSSARY.into()));
    send(&mut s, Event::ToggleTerm("run".into()));
    assert_eq!(s.term_open.as_deref(), Some("run"));
    send(&mut s, Event::ToggleTerm("run".into()));
    assert_eq!(s.term_open, None, "a second press closes it");
    send(&mut s, Event::ToggleTerm("run".into()));
    send(&mut s, Event::ToggleTerm("p95".into()));
    assert_eq!(s.term_open.as_deref(), Some("p95"), "one open at a time");
    send(&mut s, Event::CloseTerm);
    assert_eq!(s.term_open, None, "Escape closes it");
    for leave in [Event::GoToStep(2), Event::SetLang(Lang::En)] {
        send(&mut s, Event::ToggleTerm("run".into()));
        send(&mut s, leave.clone());
        assert_eq!(s.term_open, None, "{leave:?} closes it");
    }
    send(&mut s, Event::ToggleTerm("nonexistent".into()));
    assert_eq!(s.term_open, None, "an unknown term opens nothing");
}

#[test]
fn a_broken_glossary_is_reported_and_the_lesson_goes_on() {
    let mut s = lab();
    send(&mut s, Event::GlossaryText("## run\nsv: körning\n".into()));
    assert_eq!(s.glossary.as_ref().map(|g| g.terms().len()), Some(0));
    assert_eq!(s.notices.len(), 1);
    assert!(s.notices[0]
        .text
        .starts_with("lessons/glossary.md: line 2: write `sv: word | definition`"));
    send(&mut s, Event::ToggleTerm("run".into()));
    assert_eq!(s.term_open, None);
}

#[test]
fn the_shipped_glossary_parses() {
    let g = Glossary::parse(include_str!("../../../../lessons/glossary.md")).unwrap();
    assert!(g.terms().len() >= 10, "{}", g.terms().len());
}
