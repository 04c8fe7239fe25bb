//! The lesson's glossary: `lessons/glossary.md`, one list of terms, each
//! with its word and a one-line definition in Swedish and in English.
//!
//! The lesson marks a term where a student first meets it on a step, as a
//! Markdown link to `term:ID` (`[körningar](term:run)`); nothing matches
//! words in running text by itself. The page renders a mark as a button
//! whose description is the definition (`term_open_html`,
//! `term_close_html`): a screen reader reads it, and hover, a tap or Enter
//! shows it (`LabState::term_open`).
//!
//! The file's form:
//!
//! ```text
//! ## run
//! sv: körning | En tidtagen upprepning av modellen …
//! en: run | One timed repetition of the model …
//! ```

use super::worksheet::esc;
use super::Lang;

/// A term's word and its definition, in one language.
type Words = (String, String);

/// One term of the glossary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    /// Letters, digits and `-`: what a mark's `term:ID` names.
    pub id: String,
    sv: Words,
    en: Words,
}

impl Term {
    /// The term's word and its one-line definition in `lang`.
    pub fn words(&self, lang: Lang) -> (&str, &str) {
        let (word, definition) = match lang {
            Lang::Sv => &self.sv,
            Lang::En => &self.en,
        };
        (word, definition)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Glossary {
    terms: Vec<Term>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GlossaryError {
    #[error("line {line}: a term's id is letters, digits and '-', e.g. `## timer-step`")]
    BadId { line: usize },
    #[error("line {line}: the term '{id}' is listed twice")]
    Twice { line: usize, id: String },
    #[error("line {line}: write `sv: word | definition` or `en: word | definition` under a `## id` line")]
    BadLine { line: usize },
    #[error(
        "the term '{id}' needs a word and a definition in both languages (`sv:` and `en:` lines)"
    )]
    Missing { id: String },
}

impl Glossary {
    pub fn parse(text: &str) -> Result<Glossary, GlossaryError> {
        // Each term as read so far: its id, then its Swedish and English
        // word and definition once their lines have come.
        let mut terms: Vec<(String, Option<Words>, Option<Words>)> = vec![];
        let mut in_comment = false;
        for (i, line) in text.lines().enumerate() {
            let (line_no, line) = (i + 1, line.trim());
            if in_comment || line.starts_with("<!--") {
                in_comment = !line.contains("-->");
                continue;
            }
            if line.is_empty() || line.starts_with("# ") {
                continue;
            }
            if let Some(id) = line.strip_prefix("## ") {
                let id = id.trim();
                if !is_id(id) {
                    return Err(GlossaryError::BadId { line: line_no });
                }
                if terms.iter().any(|t| t.0 == id) {
                    return Err(GlossaryError::Twice {
                        line: line_no,
                        id: id.into(),
                    });
                }
                terms.push((id.into(), None, None));
                continue;
            }
            let bad = GlossaryError::BadLine { line: line_no };
            let (key, rest) = line.split_once(':').ok_or(bad.clone())?;
            let (word, definition) = rest.split_once('|').ok_or(bad.clone())?;
            let (word, definition) = (word.trim(), definition.trim());
            let term = terms.last_mut().ok_or(bad.clone())?;
            if word.is_empty() || definition.is_empty() {
                return Err(bad);
            }
            let slot = match key.trim() {
                "sv" => &mut term.1,
                "en" => &mut term.2,
                _ => return Err(bad),
            };
            *slot = Some((word.into(), definition.into()));
        }
        terms
            .into_iter()
            .map(|(id, sv, en)| match (sv, en) {
                (Some(sv), Some(en)) => Ok(Term { id, sv, en }),
                _ => Err(GlossaryError::Missing { id }),
            })
            .collect::<Result<_, _>>()
            .map(|terms| Glossary { terms })
    }

    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    pub fn get(&self, id: &str) -> Option<&Term> {
        self.terms.iter().find(|t| t.id == id)
    }
}

fn is_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The term a link's destination marks: `term:run` marks `run`.
pub fn term_of(destination: &str) -> Option<&str> {
    destination.strip_prefix("term:").filter(|id| is_id(id))
}

/// Every mark in some Markdown, in order: the term's id and the marked text.
/// (The page reads marks with its Markdown parser; this is for checks.)
pub fn marks(markdown: &str) -> Vec<(String, String)> {
    let mut found = vec![];
    let mut rest = markdown;
    while let Some(at) = rest.find("](term:") {
        let text = rest[..at].rsplit_once('[').map_or("", |(_, t)| t);
        let after = &rest[at + "](term:".len()..];
        let id = after.split(')').next().unwrap_or("");
        found.push((id.to_string(), text.to_string()));
        rest = after;
    }
    found
}

/// The Markdown with each mark replaced by its text, as a reader without
/// the page sees it (the worksheet, the word counts).
pub fn unmark(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(at) = rest.find("](term:") {
        let (before, after) = rest.split_at(at);
        let Some(open) = before.rfind('[') else {
            out.push_str(&rest[..at + 2]);
            rest = &rest[at + 2..];
            continue;
        };
        out.push_str(&before[..open]);
        out.push_str(&before[open + 1..]);
        rest = after.split_once(')').map_or("", |(_, tail)| tail);
    }
    out.push_str(rest);
    out
}

/// The HTML that opens a mark of `term`: a button that shows (and names as
/// its description) the definition that `term_close_html` places after it.
pub fn term_open_html(term: &Term) -> String {
    let id = &term.id;
    format!(
        "<button type=\"button\" class=\"term\" data-term=\"{id}\" aria-expanded=\"false\" \
         aria-controls=\"term-def-{id}\" aria-describedby=\"term-def-{id}\">"
    )
}

/// The HTML that closes a mark: the button's end and the definition, which
/// the page shows while the pointer is on the button or the student has
/// opened it.
pub fn term_close_html(term: &Term, lang: Lang) -> String {
    let (word, definition) = term.words(lang);
    format!(
        "</button><span class=\"term-def\" id=\"term-def-{}\" role=\"tooltip\"><b>{}</b>: {}</span>",
        term.id,
        esc(word),
        esc(definition)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "<!-- how to edit\n## not-a-term -->\n# Glossary\n\n## run\n\
        sv: körning | En tidtagen inferens.\nen: run | One timed inference.\n\n\
        ## p95\nen: P95 | 95 % of runs are faster.\nsv: P95 | 95 % av körningarna går snabbare.\n";

    #[test]
    fn terms_are_read_in_both_languages() {
        let g = Glossary::parse(SAMPLE).unwrap();
        let ids: Vec<_> = g.terms().iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["run", "p95"]);
        let run = g.get("run").unwrap();
        assert_eq!(run.words(Lang::Sv), ("körning", "En tidtagen inferens."));
        assert_eq!(run.words(Lang::En), ("run", "One timed inference."));
        assert_eq!(g.get("mean"), None);
    }

    #[test]
    fn mistakes_are_reported_with_line_numbers() {
        let check = |text: &str, e: GlossaryError| assert_eq!(Glossary::parse(text), Err(e));
        check("## Run\n", GlossaryError::BadId { line: 1 });
        check(
            "## run\nsv: a | b\nen: a | b\n## run\n",
            GlossaryError::Twice {
                line: 4,
                id: "run".into(),
            },
        );
        check("sv: a | b\n", GlossaryError::BadLine { line: 1 });
        check("## run\nsv: körning\n", GlossaryError::BadLine { line: 2 });
        check("## run\nde: Lauf | x\n", GlossaryError::BadLine { line: 2 });
        check("## run\nsv:  | x\n", GlossaryError::BadLine { line: 2 });
        check(
            "## run\nsv: körning | x\n",
            GlossaryError::Missing { id: "run".into() },
        );
    }

    #[test]
    fn marks_name_a_term_explicitly() {
        assert_eq!(term_of("term:timer-step"), Some("timer-step"));
        assert_eq!(term_of("https://example.org"), None);
        assert_eq!(term_of("term:<script>"), None);
        assert_eq!(
            marks("De första [körningarna](term:run) och [P95](term:p95)."),
            [
                ("run".to_string(), "körningarna".to_string()),
                ("p95".to_string(), "P95".to_string())
            ]
        );
        assert!(marks("[a link](https://x) and körningar").is_empty());
        assert_eq!(
            unmark("De **[körningarna](term:run)** och [*P95*](term:p95), [en länk](https://x)."),
            "De **körningarna** och *P95*, [en länk](https://x)."
        );
    }

    #[test]
    fn a_mark_is_a_button_described_by_its_definition() {
        let g = Glossary::parse(
            "## mean\nsv: medelvärde | Summan <genom> antalet.\nen: mean | \"Sum\" over count.\n",
        )
        .unwrap();
        let mean = g.get("mean").unwrap();
        let html = format!(
            "{}medelvärdet{}",
            term_open_html(mean),
            term_close_html(mean, Lang::Sv)
        );
        assert_eq!(
            html,
            "<button type=\"button\" class=\"term\" data-term=\"mean\" aria-expanded=\"false\" \
             aria-controls=\"term-def-mean\" aria-describedby=\"term-def-mean\">medelvärdet</button>\
             <span class=\"term-def\" id=\"term-def-mean\" role=\"tooltip\"><b>medelvärde</b>: \
             Summan &lt;genom&gt; antalet.</span>"
        );
        assert!(
            term_close_html(mean, Lang::En).contains("<b>mean</b>: &quot;Sum&quot; over count.")
        );
    }
}
