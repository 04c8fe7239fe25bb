#![cfg(not(target_arch = "wasm32"))]
//! One word for one thing (`docs/vocabulary.md`): the words the lab retired
//! stay out of the lesson (`lessons/*.md`, the glossary) and out of the
//! interface's strings (`lab::i18n`, the charts' labels and text
//! alternatives, the worksheet). The report files keep their field names;
//! they are not read here.

use piedge::lab::glossary::{marks, unmark, Glossary};
use piedge::lab::lesson::{Lesson, Part};
use std::collections::BTreeSet;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lang {
    Sv,
    En,
}

/// A retired word or phrase, matched case-insensitively at word boundaries
/// (a trailing `*` matches any ending: `mätpunkt*` finds "mätpunkter"), and
/// what to write instead.
const RETIRED: &[(Lang, &str, &str)] = &[
    // One timed inference is a "körning"; a whole benchmark is a "mätning".
    (Lang::Sv, "mätpunkt*", "körning"),
    (Lang::Sv, "sparade körningar", "sparade mätningar"),
    (Lang::Sv, "delade körningar", "delade mätningar"),
    (Lang::Sv, "dela en körning", "dela en mätning"),
    (Lang::Sv, "ostörda körningar", "ostörda mätningar"),
    (
        Lang::Sv,
        "körningen kunde inte sparas",
        "mätningen kunde inte sparas",
    ),
    (Lang::Sv, "körningen har pågått", "mätningen har pågått"),
    (Lang::Sv, "körningen finns nu", "mätningen finns nu"),
    (Lang::Sv, "körningen drar ut", "mätningen drar ut"),
    (Lang::Sv, "körnings mätningar", "mätnings körningar"),
    (Lang::Sv, "körningar med olika", "mätningar med olika"),
    (Lang::Sv, "test", "mätning"),
    (Lang::Sv, "testet", "mätningen"),
    (Lang::Sv, "testerna", "mätningarna"),
    (Lang::Sv, "servertest*", "mätningen på servern"),
    (Lang::En, "sample", "run"),
    (Lang::En, "each sample", "each run"),
    (Lang::En, "saved runs", "saved measurements"),
    (Lang::En, "kept runs", "saved measurements"),
    (Lang::En, "shared runs", "shared measurements"),
    (Lang::En, "share a run", "share a measurement"),
    (Lang::En, "disturbed run", "disturbed measurement"),
    (Lang::En, "undisturbed runs", "undisturbed measurements"),
    (
        Lang::En,
        "the run could not be saved",
        "the measurement could not be saved",
    ),
    (
        Lang::En,
        "this run has been going",
        "this measurement has been going",
    ),
    (
        Lang::En,
        "if the run takes long",
        "if the measurement takes long",
    ),
    (Lang::En, "the run is now on", "the measurement is now on"),
    (Lang::En, "run's measurements", "measurement's runs"),
    (Lang::En, "test", "measurement"),
    (Lang::En, "tests", "measurements"),
    (Lang::En, "trial run", "calibration"),
    (Lang::Sv, "provkör*", "kalibrerar"),
    // The timer's step.
    (Lang::Sv, "timerns upplösning", "timerns steg"),
    (Lang::Sv, "klockans steg", "timerns steg"),
    (Lang::Sv, "klocka", "timer"),
    (Lang::Sv, "klockan", "timern"),
    (Lang::Sv, "fina timer", "fin timer"),
    (Lang::En, "timer resolution", "timer step"),
    (Lang::En, "clock's step", "timer step"),
    (Lang::En, "browser's clock", "browser's timer"),
    (Lang::En, "coarser clock", "coarser timer"),
    // The worker.
    (Lang::Sv, "worker", "beräkningstråd"),
    (Lang::En, "worker", "computation thread"),
    // The mean.
    (Lang::Sv, "medel", "medelvärde"),
    (Lang::Sv, "medel av", "medelvärdet av"),
    (Lang::En, "an average", "a mean"),
    (Lang::En, "the average", "the mean"),
    (Lang::En, "std", "standard deviation"),
    // Terms and calques a Swedish teacher corrected.
    (
        Lang::Sv,
        "grafikprocessor för nätverk",
        "grafikkort för neurala nätverk",
    ),
    (Lang::Sv, "korsursprung*", "isolerad sida"),
    (Lang::Sv, "inbyggd kod", "maskinkod"),
    (Lang::En, "native code", "machine code"),
    (
        Lang::Sv,
        "kärnor",
        "processorkärnor, or beräkningsrutiner for kernels",
    ),
    (
        Lang::Sv,
        "kärnorna",
        "processorkärnorna, or beräkningsrutinerna",
    ),
    (Lang::Sv, "egna kärnor", "egna beräkningsrutiner"),
    (Lang::Sv, "iqr", "kvartilavstånd"),
    (Lang::En, "iqr", "interquartile range"),
    (Lang::Sv, "på tro", "(say why)"),
    (Lang::Sv, "skriver ut det", "påpekar"),
    (Lang::Sv, "drar om", "drar nya stickprov med återläggning"),
    (Lang::Sv, "fångar", "täcker"),
    (Lang::Sv, "känner den långsamma", "märker den långsamma"),
    (Lang::Sv, "till klasstavlan", "på klasstavlan"),
    (Lang::Sv, "på bänken", "på katedern"),
    (Lang::Sv, "släpp svaren", "lås upp svaren"),
    (Lang::Sv, "släppt svaren", "låst upp svaren"),
    (Lang::Sv, "frisläpp*", "kodord"),
    (Lang::En, "releas*", "unlock, code word"),
    (Lang::Sv, "så lång som", "så lång tid som"),
    (Lang::Sv, "så lång)", "så lång tid"),
    (Lang::Sv, "slumpade", "slumpmässiga"),
    (Lang::Sv, "mätta körningar", "tidtagna körningar"),
    (Lang::Sv, "jämviktsläget", "det stabila läget"),
    (Lang::Sv, "avvikare", "extremvärden"),
    (Lang::Sv, "delad med", "dividerad med"),
    (
        Lang::Sv,
        "krav skrivs på percentiler",
        "krav anges som percentiler",
    ),
    (Lang::Sv, "tjänsteavtal", "servicenivåavtal"),
    (
        Lang::Sv,
        "multiplikation–additioner",
        "multiplikationer och additioner",
    ),
    (Lang::En, "written on percentiles", "stated as percentiles"),
];

/// English words that Swedish text may give only in parentheses, after the
/// Swedish word: "Uppvärmning (warmup)".
const ENGLISH_IN_PARENTHESES: &[&str] = &["warmup", "runs", "seed"];

/// Percentiles are written P50, P95, P99 in running text; lower case is for
/// file fields and code.
const PERCENTILES_UPPER: &[&str] = &["p50", "p95", "p99"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap()
}

/// Whether `text` holds `word` (lower case, see [`RETIRED`]) at word
/// boundaries; returns the text around the first hit.
fn find(text: &str, word: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let (word, prefix) = match word.strip_suffix('*') {
        Some(w) => (w, true),
        None => (word, false),
    };
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    lower.match_indices(word).find_map(|(at, _)| {
        let before = lower[..at].chars().next_back();
        let after = lower[at + word.len()..].chars().next();
        let starts = !is_word(before) || !is_word(word.chars().next());
        let ends = prefix || !is_word(after) || !is_word(word.chars().next_back());
        (starts && ends).then(|| {
            let from = lower[..at]
                .char_indices()
                .rev()
                .nth(30)
                .map_or(0, |(i, _)| i);
            let to = lower[at..]
                .char_indices()
                .nth(word.chars().count() + 30)
                .map_or(lower.len(), |(i, _)| at + i);
            lower[from..to].replace('\n', " ")
        })
    })
}

/// Every problem with `text` in `lang`.
fn problems(lang: Lang, text: &str) -> Vec<String> {
    let mut found = vec![];
    for &(l, word, instead) in RETIRED {
        if l == lang {
            if let Some(around) = find(text, word) {
                found.push(format!("'{word}' (write '{instead}'): …{around}…"));
            }
        }
    }
    if lang == Lang::Sv {
        for word in ENGLISH_IN_PARENTHESES {
            let bare = text.replace(&format!("({word})"), "");
            if let Some(around) = find(&bare, word) {
                found.push(format!(
                    "English '{word}' in Swedish text (write the Swedish word, with '({word})' once): …{around}…"
                ));
            }
        }
    }
    for p in PERCENTILES_UPPER {
        if let Some(around) = find(text, p).filter(|_| {
            text.match_indices(p).any(|(at, _)| {
                !text[at + p.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
                    && !text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_')
            })
        }) {
            found.push(format!(
                "lower-case '{p}' (write '{}'): …{around}…",
                p.to_uppercase()
            ));
        }
    }
    found
}

/// The lesson's words a student reads: without HTML comments, code spans,
/// code blocks, block lines (`::: question p95 predict=p95`) and the
/// targets of glossary marks (`[körning](term:run)` reads "körning").
fn lesson_words(markdown: &str) -> String {
    let mut out = String::new();
    let mut rest = markdown;
    while let Some(at) = rest.find("<!--") {
        out.push_str(&rest[..at]);
        rest = rest[at..].split_once("-->").map_or("", |(_, after)| after);
    }
    out.push_str(rest);
    let mut fenced = false;
    let lines: Vec<String> = out
        .lines()
        .filter(|l| {
            let fence = l.trim_start().starts_with("```");
            fenced ^= fence;
            !fence && !fenced && !l.trim_start().starts_with(":::")
        })
        .map(|l| {
            let mut kept = String::new();
            for (i, piece) in l.split('`').enumerate() {
                if i % 2 == 0 {
                    kept.push_str(piece);
                }
            }
            kept
        })
        .collect();
    piedge::lab::glossary::unmark(&lines.join("\n"))
}

/// The string literals of Rust source, each with the language it is
/// written for: the language named last before it (`Lang::Sv`, `SV: Ui`,
/// `if sv`, `fn swedish` against `Lang::En`, `EN: Ui`, `else`,
/// `fn english`), skipping comments, `{placeholders}` and keys.
fn literals(source: &str) -> Vec<(Option<Lang>, String)> {
    const MARKS: &[(&str, Lang)] = &[
        ("Lang::Sv", Lang::Sv),
        ("static SV", Lang::Sv),
        ("if sv", Lang::Sv),
        ("fn swedish", Lang::Sv),
        ("Lang::En", Lang::En),
        ("static EN", Lang::En),
        ("} else {", Lang::En),
        ("fn english", Lang::En),
    ];
    let code: String = source
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("'\"'", "' '");
    let mut found = vec![];
    let mut lang = None;
    let mut at = 0;
    let bytes = code.as_bytes();
    while at < bytes.len() {
        if bytes[at] == b'"' {
            let mut end = at + 1;
            while end < bytes.len() && bytes[end] != b'"' {
                end += if bytes[end] == b'\\' { 2 } else { 1 };
            }
            let literal = &code[at + 1..end.min(code.len())];
            let mut text = String::new();
            let mut depth = 0;
            for c in literal.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth > 0 => depth -= 1,
                    _ if depth == 0 => text.push(c),
                    _ => {}
                }
            }
            // A key, not words: a match arm's pattern (`"release" => …`,
            // `(Lang::En, "Std") => …`) or a report label looked up by name.
            let after = code[(end + 1).min(code.len())..].trim_start();
            let key = after.starts_with("=>")
                || after.trim_start_matches(')').trim_start().starts_with("=>")
                || code[..at].ends_with("stat_label(");
            if !key {
                found.push((lang, text.replace("\\n", " ").replace("\\\n", " ")));
            }
            at = end + 1;
            continue;
        }
        if let Some(&(_, l)) = MARKS.iter().find(|(m, _)| code[at..].starts_with(m)) {
            lang = Some(l);
        }
        at += code[at..].chars().next().map_or(1, char::len_utf8);
    }
    found
}

/// The interface's words: every string of the i18n tables and of the other
/// places that write for the student (charts, their text alternatives, the
/// worksheet).
fn interface_files() -> Vec<String> {
    let mut files = vec![
        "src/lab/i18n.rs".to_string(),
        "src/charts.rs".into(),
        "src/lab/chart_alt.rs".into(),
        "src/lab/worksheet.rs".into(),
    ];
    for entry in std::fs::read_dir(root().join("src/lab/i18n")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        files.push(format!("src/lab/i18n/{name}"));
    }
    files.sort();
    files
}

#[test]
fn the_lesson_uses_the_chosen_words() {
    let mut found = vec![];
    for (file, lang) in [("lessons/sv.md", Lang::Sv), ("lessons/en.md", Lang::En)] {
        for p in problems(lang, &lesson_words(&read(file))) {
            found.push(format!("{file}: {p}"));
        }
    }
    let glossary = Glossary::parse(&read("lessons/glossary.md")).unwrap();
    for term in glossary.terms() {
        for lang in [Lang::Sv, Lang::En] {
            let l = match lang {
                Lang::Sv => piedge::lab::Lang::Sv,
                Lang::En => piedge::lab::Lang::En,
            };
            let (word, definition) = term.words(l);
            for p in problems(lang, &format!("{word}: {definition}")) {
                found.push(format!("lessons/glossary.md, {}: {p}", term.id));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_interface_uses_the_chosen_words() {
    let mut found = vec![];
    for file in interface_files() {
        for (lang, literal) in literals(&read(&file)) {
            // A literal before any language mark is code, not the student's words.
            if let Some(l) = lang {
                for p in problems(l, &literal) {
                    found.push(format!("{file} ({l:?}): {p}"));
                }
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_checks_find_what_they_look_for() {
    assert!(find("Varje mätpunkt är", "mätpunkt*").is_some());
    assert!(find("mätpunkterna", "mätpunkt*").is_some());
    assert!(find("medelvärdet", "medel").is_none());
    assert!(find("Medel 2 ms", "medel").is_some());
    assert!(find("processorkärnor", "kärnor").is_none());
    assert!(find("alla kärnor", "kärnor").is_some());
    assert!(find("the lab's tests", "test").is_none());
    assert_eq!(
        problems(Lang::Sv, "Uppvärmning (warmup)"),
        Vec::<String>::new()
    );
    assert_eq!(problems(Lang::Sv, "runs 10 (warmup 3)").len(), 2);
    assert_eq!(problems(Lang::En, "p95_ms and P95").len(), 0);
    assert_eq!(problems(Lang::En, "p50 2 ms").len(), 1);
    assert_eq!(
        lesson_words("a `warmup 3` <!-- runs --> [körning](term:run).\n::: question p95\n"),
        "a   körning."
    );
    let lits = literals(
        "Lang::Sv => \"en {k} mätpunkt\",\n// \"ignored\"\n\"key\" => 1,\nLang::En => format!(\"x \\\"y\\\"\")",
    );
    assert_eq!(
        lits,
        [
            (Some(Lang::Sv), "en  mätpunkt".to_string()),
            (Some(Lang::En), "x \\\"y\\\"".to_string())
        ]
    );
}

/// Each glossary term is marked once in each lesson, where the student
/// first meets it on that step (no unmarked use of the word before the mark
/// there), in text the student reads (not in answers or teacher notes), on
/// the same step in both languages; every mark names a listed term.
#[test]
fn each_term_is_marked_where_the_lesson_first_uses_it() {
    let glossary = Glossary::parse(&read("lessons/glossary.md")).unwrap();
    let mut placed: Vec<BTreeSet<(usize, String)>> = vec![];
    for (file, lang) in [
        ("lessons/sv.md", piedge::lab::Lang::Sv),
        ("lessons/en.md", piedge::lab::Lang::En),
    ] {
        let lesson = Lesson::parse(&read(file)).unwrap();
        let mut seen = BTreeSet::new();
        for (n, step) in lesson.steps.iter().enumerate() {
            let mut read_so_far = String::new();
            for part in &step.parts {
                let (shown, hidden) = match part {
                    Part::Markdown(md) => (md.as_str(), ""),
                    Part::Question(q) => (q.prompt.as_str(), q.answer.as_str()),
                    Part::Teacher(note) => ("", note.text.as_str()),
                    Part::Widget(_) => ("", ""),
                };
                assert!(
                    marks(hidden).is_empty(),
                    "{file}, step {}: mark terms in the text a student reads, not in answers or notes",
                    n + 1
                );
                let mut rest = shown;
                for (id, text) in marks(shown) {
                    let term = glossary
                        .get(&id)
                        .unwrap_or_else(|| panic!("{file}: '{id}' is not in lessons/glossary.md"));
                    assert!(
                        seen.insert(id.clone()),
                        "{file}: '{id}' is marked twice; mark its first use only"
                    );
                    let at = rest.find(&format!("[{text}](term:{id})")).unwrap();
                    read_so_far += &unmark(&rest[..at]);
                    rest = &rest[at..];
                    let word = term.words(lang).0.split(" (").next().unwrap();
                    for form in [text.trim_matches('*'), word] {
                        assert!(
                            find(&read_so_far, &form.to_lowercase()).is_none(),
                            "{file}, step {}: '{form}' is used before its mark; mark the first use",
                            n + 1
                        );
                    }
                    if placed.len() < 2 {
                        placed.resize(2, BTreeSet::new());
                    }
                    placed[usize::from(lang == piedge::lab::Lang::En)].insert((n + 1, id));
                }
                read_so_far += &unmark(rest);
            }
        }
        let unmarked: Vec<_> = glossary
            .terms()
            .iter()
            .filter(|t| !seen.contains(&t.id))
            .map(|t| t.id.as_str())
            .collect();
        assert!(unmarked.is_empty(), "{file} never marks {unmarked:?}");
    }
    assert_eq!(
        placed[0], placed[1],
        "the two lessons mark the same terms on the same steps"
    );
}
