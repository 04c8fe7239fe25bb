//! The lesson text: Markdown under `lessons/<lang>.md`, cut into steps.
//!
//! A teacher edits the Markdown; two kinds of block let the text place the
//! lab's interactive parts:
//!
//! - `::: widget NAME` (one line) puts a part of the lab there: `model`,
//!   `controls`, `environment`, `results`, `cold-start`, `experiment`, ...
//! - `::: question ID [key=value ...]` … `---` … `:::` is a reflection
//!   question: the prompt, then the answer, which the lab keeps hidden
//!   until the student has predicted and measured. The keys say how:
//!   - `measure=`: what the "measure" button runs. `settings` (the
//!     default: the student's warmup and runs), `W,R` (warmup W, runs R),
//!     `cold` (warmup 0, runs 20, in a new worker), `plans` (the student's
//!     settings with both plans), `series-runs`, `series-warmup`, `native`
//!     (the same test on the server's own processor, under `piedge serve`).
//!   - `predict=`: what the student predicts. `text` (the default: a
//!     sentence, at least two words), or a number the lab then measures:
//!     `p50` and `p95` (ms, of the last run), `first-ratio` (the first run
//!     over the median), `plan-ratio` (unoptimised p50 over optimised p50),
//!     `native-ratio` (the browser's p50 over the server's).
//!   - `explain="…"`: what the field "explain in your own words", after
//!     the measurement, asks (in quotes when it has spaces; none: the
//!     field's label alone).
//!   - `opens=`: when the answer opens. `explained` (the default: once the
//!     student has predicted, measured and written an explanation) or
//!     `measured` (once predicted and measured; the explanation may follow).
//!
//! - `::: teacher MINUTES` … `:::` is the teacher's note for the step: how
//!   long it takes in class, what to discuss, the common misconceptions.
//!   Only teacher mode shows it; the minutes make the lesson's time plan.
//!
//! So a teacher adds a step or a question by editing the Markdown alone.
//!
//! Every line that starts with `# ` (outside code fences) starts a step.

/// A piece of a step, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    Markdown(String),
    Widget(String),
    Question(Question),
    /// A note for the teacher, and the minutes the step takes in class.
    Teacher {
        minutes: u32,
        text: String,
    },
}

/// A reflection question, as the lesson declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub id: String,
    pub prompt: String,
    pub answer: String,
    pub measure: Measure,
    pub predict: Predict,
    /// What the explanation field asks, as Markdown ("" for its label alone).
    pub explain: String,
    pub opens: Opens,
}

/// When a question's answer may open (the lesson's `opens=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Opens {
    /// Predicted, measured, and explained in the student's own words.
    #[default]
    Explained,
    /// Predicted and measured; the explanation may come after the answer.
    Measured,
}

impl Opens {
    pub fn name(self) -> &'static str {
        match self {
            Opens::Explained => "explained",
            Opens::Measured => "measured",
        }
    }
}

/// What a question's "measure" button runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Measure {
    /// The warmup and runs the student set.
    #[default]
    Settings,
    Fixed {
        warmup: usize,
        runs: usize,
    },
    /// Warmup 0 and 20 runs in a new worker, like the cold-start button.
    Cold,
    /// The student's settings, once optimised and once not.
    Plans,
    Series(crate::lab::session::Series),
    /// The same test natively on the server the page came from.
    Native,
}

/// What the student predicts before measuring.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Predict {
    /// A sentence.
    #[default]
    Text,
    Number(Quantity),
}

/// A number the lab measures, to set beside the student's prediction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    P50Ms,
    P95Ms,
    /// The first timed run over the median of the run.
    FirstRatio,
    /// Unoptimised p50 over optimised p50.
    PlanRatio,
    /// The browser's p50 over the server's (natively).
    NativeRatio,
}

impl Quantity {
    pub fn name(self) -> &'static str {
        match self {
            Quantity::P50Ms => "p50",
            Quantity::P95Ms => "p95",
            Quantity::FirstRatio => "first-ratio",
            Quantity::PlanRatio => "plan-ratio",
            Quantity::NativeRatio => "native-ratio",
        }
    }

    pub fn from_name(name: &str) -> Option<Quantity> {
        [
            Quantity::P50Ms,
            Quantity::P95Ms,
            Quantity::FirstRatio,
            Quantity::PlanRatio,
            Quantity::NativeRatio,
        ]
        .into_iter()
        .find(|q| q.name() == name)
    }

    /// Whether the number is in milliseconds (else it is a ratio, "×").
    pub fn is_ms(self) -> bool {
        matches!(self, Quantity::P50Ms | Quantity::P95Ms)
    }
}

impl Question {
    /// Whether the question's measurement is about the slow tail: it asks
    /// for P95, or it measures a series over the count of runs (the spread).
    /// A coarse timer's batches average that tail away, and the page says
    /// so beside such a question (`LabState::tail_hidden`).
    pub fn rests_on_tail(&self) -> bool {
        matches!(self.predict, Predict::Number(Quantity::P95Ms))
            || matches!(
                self.measure,
                Measure::Series(crate::lab::session::Series::Runs)
            )
    }
}

impl Measure {
    fn from_value(value: &str) -> Option<Measure> {
        use crate::lab::session::Series;
        Some(match value {
            "settings" => Measure::Settings,
            "cold" => Measure::Cold,
            "plans" => Measure::Plans,
            "native" => Measure::Native,
            "series-runs" => Measure::Series(Series::Runs),
            "series-warmup" => Measure::Series(Series::Warmup),
            fixed => {
                let (w, r) = fixed.split_once(',')?;
                let (warmup, runs) = (w.trim().parse().ok()?, r.trim().parse().ok()?);
                if !(1..=crate::limits::LAB_MAX_RUNS).contains(&runs)
                    || warmup > crate::limits::LAB_MAX_WARMUP
                {
                    return None;
                }
                Measure::Fixed { warmup, runs }
            }
        })
    }
}

/// A question's options, as its header line declares them.
struct Header {
    id: String,
    measure: Measure,
    predict: Predict,
    explain: String,
    opens: Opens,
}

/// Reads `ID key=value key="a value with spaces" ...` after `::: question`.
fn question_header(header: &str, line: usize) -> Result<Header, LessonError> {
    let mut words = header_words(header, line)?.into_iter();
    let id = words.next().unwrap_or_default();
    let mut h = Header {
        id,
        measure: Measure::default(),
        predict: Predict::default(),
        explain: String::new(),
        opens: Opens::default(),
    };
    for word in words {
        let bad = || LessonError::BadOption {
            line,
            text: word.clone(),
        };
        let (key, value) = word.split_once('=').ok_or_else(bad)?;
        match key {
            "measure" => h.measure = Measure::from_value(value).ok_or_else(bad)?,
            "predict" => {
                h.predict = match value {
                    "text" => Predict::Text,
                    q => Predict::Number(Quantity::from_name(q).ok_or_else(bad)?),
                }
            }
            "explain" => h.explain = value.trim().to_string(),
            "opens" => {
                h.opens = [Opens::Explained, Opens::Measured]
                    .into_iter()
                    .find(|o| o.name() == value)
                    .ok_or_else(bad)?
            }
            _ => return Err(bad()),
        }
    }
    if h.id.is_empty() || h.id.contains('=') {
        return Err(LessonError::BadOption {
            line,
            text: "question".into(),
        });
    }
    Ok(h)
}

/// The header's words, split at spaces outside double quotes; the quotes
/// themselves are dropped (`explain="Why so?"` is one word, `explain=Why so?`).
fn header_words(header: &str, line: usize) -> Result<Vec<String>, LessonError> {
    let (mut words, mut word, mut quoted) = (vec![], String::new(), false);
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if quoted {
        return Err(LessonError::BadOption {
            line,
            text: header.trim().to_string(),
        });
    }
    if !word.is_empty() {
        words.push(word);
    }
    Ok(words)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub title: String,
    pub parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lesson {
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LessonError {
    #[error("the lesson has no steps; start each step with a line `# Title`")]
    NoSteps,
    #[error("line {line}: a `::: question` block is not closed with `:::`")]
    UnclosedQuestion { line: usize },
    #[error("line {line}: a `::: question` block needs a `---` line between the question and the answer")]
    NoAnswer { line: usize },
    #[error(
        "line {line}: `{text}` is not a known block; use `::: widget NAME` or `::: question ID`"
    )]
    UnknownBlock { line: usize, text: String },
    #[error(
        "line {line}: `{text}` is not a question option; write `measure=settings|W,R|cold|plans|series-runs|series-warmup|native`, `predict=text|p50|p95|first-ratio|plan-ratio|native-ratio`, `explain=\"a prompt\"` or `opens=explained|measured` after the question's id"
    )]
    BadOption { line: usize, text: String },
    #[error("line {line}: `::: teacher {text}` needs the step's minutes in class, e.g. `::: teacher 10`")]
    BadMinutes { line: usize, text: String },
    #[error("line {line}: a `::: teacher` block is not closed with `:::`")]
    UnclosedTeacher { line: usize },
}

impl Lesson {
    /// The time plan: each step's title and minutes in class (0 where the
    /// lesson gives the step no teacher note).
    pub fn time_plan(&self) -> Vec<(String, u32)> {
        self.steps
            .iter()
            .map(|s| {
                let minutes = s
                    .parts
                    .iter()
                    .map(|p| match p {
                        Part::Teacher { minutes, .. } => *minutes,
                        _ => 0,
                    })
                    .sum();
                (s.title.clone(), minutes)
            })
            .collect()
    }
}

impl Lesson {
    pub fn parse(markdown: &str) -> Result<Lesson, LessonError> {
        let mut steps: Vec<Step> = Vec::new();
        let mut text = String::new();
        let mut in_fence = false;
        let mut lines = markdown.lines().enumerate().peekable();
        let flush = |text: &mut String, steps: &mut Vec<Step>| {
            if let Some(step) = steps.last_mut() {
                if !text.trim().is_empty() {
                    step.parts.push(Part::Markdown(std::mem::take(text)));
                }
            }
            text.clear();
        };
        while let Some((i, line)) = lines.next() {
            let trimmed = line.trim_end();
            if trimmed.trim_start().starts_with("```") {
                in_fence = !in_fence;
            }
            if in_fence {
                text.push_str(line);
                text.push('\n');
                continue;
            }
            if let Some(title) = trimmed.strip_prefix("# ") {
                flush(&mut text, &mut steps);
                steps.push(Step {
                    title: title.trim().to_string(),
                    parts: vec![],
                });
                continue;
            }
            if let Some(block) = trimmed.strip_prefix(":::") {
                let block = block.trim();
                flush(&mut text, &mut steps);
                if let Some(name) = block.strip_prefix("widget ") {
                    if let Some(step) = steps.last_mut() {
                        step.parts.push(Part::Widget(name.trim().to_string()));
                    }
                } else if let Some(minutes) = block.strip_prefix("teacher") {
                    let minutes = minutes.trim();
                    let minutes = minutes.parse::<u32>().ok().filter(|m| *m <= 600).ok_or(
                        LessonError::BadMinutes {
                            line: i + 1,
                            text: minutes.to_string(),
                        },
                    )?;
                    let mut text = String::new();
                    let mut closed = false;
                    for (_, l) in lines.by_ref() {
                        if l.trim() == ":::" {
                            closed = true;
                            break;
                        }
                        text.push_str(l);
                        text.push('\n');
                    }
                    if !closed {
                        return Err(LessonError::UnclosedTeacher { line: i + 1 });
                    }
                    if let Some(step) = steps.last_mut() {
                        step.parts.push(Part::Teacher { minutes, text });
                    }
                } else if let Some(header) = block.strip_prefix("question ") {
                    let header = question_header(header, i + 1)?;
                    let (mut prompt, mut answer, mut seen_rule, mut closed) =
                        (String::new(), String::new(), false, false);
                    for (_, l) in lines.by_ref() {
                        if l.trim() == ":::" {
                            closed = true;
                            break;
                        }
                        if l.trim() == "---" && !seen_rule {
                            seen_rule = true;
                            continue;
                        }
                        let target = if seen_rule { &mut answer } else { &mut prompt };
                        target.push_str(l);
                        target.push('\n');
                    }
                    if !closed {
                        return Err(LessonError::UnclosedQuestion { line: i + 1 });
                    }
                    if !seen_rule {
                        return Err(LessonError::NoAnswer { line: i + 1 });
                    }
                    if let Some(step) = steps.last_mut() {
                        step.parts.push(Part::Question(Question {
                            id: header.id,
                            prompt,
                            answer,
                            measure: header.measure,
                            predict: header.predict,
                            explain: header.explain,
                            opens: header.opens,
                        }));
                    }
                } else {
                    return Err(LessonError::UnknownBlock {
                        line: i + 1,
                        text: trimmed.to_string(),
                    });
                }
                continue;
            }
            text.push_str(line);
            text.push('\n');
        }
        flush(&mut text, &mut steps);
        if steps.is_empty() {
            return Err(LessonError::NoSteps);
        }
        Ok(Lesson { steps })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "A preamble, ignored.\n\
# First\n\
Some *text*.\n\
::: widget controls\n\
More.\n\
```\n\
# not a heading inside a fence\n\
```\n\
# Second\n\
::: question p95\n\
Why p95?\n\
---\n\
Because of the tail.\n\
:::\n";

    #[test]
    fn steps_widgets_and_questions() {
        let l = Lesson::parse(SAMPLE).unwrap();
        assert_eq!(l.steps.len(), 2);
        assert_eq!(l.steps[0].title, "First");
        assert_eq!(
            l.steps[0].parts,
            vec![
                Part::Markdown("Some *text*.\n".into()),
                Part::Widget("controls".into()),
                Part::Markdown("More.\n```\n# not a heading inside a fence\n```\n".into()),
            ]
        );
        assert_eq!(
            l.steps[1].parts,
            vec![Part::Question(Question {
                id: "p95".into(),
                prompt: "Why p95?\n".into(),
                answer: "Because of the tail.\n".into(),
                measure: Measure::Settings,
                predict: Predict::Text,
                explain: String::new(),
                opens: Opens::Explained,
            })]
        );
    }

    #[test]
    fn the_explanation_prompt_and_when_the_answer_opens() {
        let q = |header: &str| {
            let l = Lesson::parse(&format!("# A\n::: question {header}\nq\n---\na\n:::\n"))?;
            match &l.steps[0].parts[0] {
                Part::Question(q) => Ok((q.id.clone(), q.explain.clone(), q.opens, q.predict)),
                p => panic!("{p:?}"),
            }
        };
        assert_eq!(
            q(r#"p95 predict=p95 explain="Why does *P95* matter?" opens=measured"#),
            Ok((
                "p95".into(),
                "Why does *P95* matter?".into(),
                Opens::Measured,
                Predict::Number(Quantity::P95Ms)
            ))
        );
        assert_eq!(
            q("x explain=Why?"),
            Ok(("x".into(), "Why?".into(), Opens::Explained, Predict::Text))
        );
        for bad in [
            r#"x explain="never closed"#,
            "x opens=later",
            "explain=Why?",
        ] {
            assert!(
                matches!(q(bad), Err(LessonError::BadOption { line: 2, .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn mistakes_are_reported_with_line_numbers() {
        assert_eq!(Lesson::parse("no steps"), Err(LessonError::NoSteps));
        assert_eq!(
            Lesson::parse("# A\n::: question x\nq\n---\na\n"),
            Err(LessonError::UnclosedQuestion { line: 2 })
        );
        assert_eq!(
            Lesson::parse("# A\n::: question x\nq\n:::\n"),
            Err(LessonError::NoAnswer { line: 2 })
        );
        assert!(matches!(
            Lesson::parse("# A\n::: wdget x\n"),
            Err(LessonError::UnknownBlock { line: 2, .. })
        ));
        for bad in [
            "measure=fast",
            "predict=p97",
            "colour=red",
            "measure=3,0",
            "p95",
        ] {
            assert!(
                matches!(
                    Lesson::parse(&format!("# A\n\n::: question q {bad}\nq\n---\na\n:::\n")),
                    Err(LessonError::BadOption { line: 3, .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn teacher_notes_carry_minutes_and_make_the_time_plan() {
        let l = Lesson::parse(
            "# A\n::: teacher 10\nAsk who has a phone.\n:::\nText.\n# B\n# C\n::: teacher 5\nx\n:::\n",
        )
        .unwrap();
        assert_eq!(
            l.steps[0].parts[0],
            Part::Teacher {
                minutes: 10,
                text: "Ask who has a phone.\n".into()
            }
        );
        assert_eq!(
            l.time_plan(),
            [("A".into(), 10), ("B".into(), 0), ("C".into(), 5)]
        );
        assert_eq!(
            Lesson::parse("# A\n::: teacher soon\nx\n:::\n"),
            Err(LessonError::BadMinutes {
                line: 2,
                text: "soon".into()
            })
        );
        assert_eq!(
            Lesson::parse("# A\n::: teacher 5\nx\n"),
            Err(LessonError::UnclosedTeacher { line: 2 })
        );
    }

    /// The shipped lesson plans a 60-minute class, in both languages.
    #[test]
    fn the_shipped_time_plan_fills_an_hour() {
        for text in [
            include_str!("../../lessons/sv.md"),
            include_str!("../../lessons/en.md"),
        ] {
            let plan = Lesson::parse(text).unwrap().time_plan();
            assert!(plan.iter().all(|(_, m)| *m > 0), "{plan:?}");
            assert_eq!(plan.iter().map(|(_, m)| m).sum::<u32>(), 60);
        }
    }

    #[test]
    fn question_options_say_what_to_measure_and_predict() {
        let l = Lesson::parse(
            "# A\n::: question tail measure=3,100 predict=p95\nq\n---\na\n:::\n\
             ::: question opt measure=plans predict=plan-ratio\nq\n---\na\n:::\n",
        )
        .unwrap();
        let specs: Vec<_> = l.steps[0]
            .parts
            .iter()
            .map(|p| match p {
                Part::Question(q) => (q.id.as_str(), q.measure, q.predict),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            specs,
            [
                (
                    "tail",
                    Measure::Fixed {
                        warmup: 3,
                        runs: 100
                    },
                    Predict::Number(Quantity::P95Ms)
                ),
                ("opt", Measure::Plans, Predict::Number(Quantity::PlanRatio)),
            ]
        );
    }

    #[test]
    fn questions_on_p95_and_the_spread_rest_on_the_tail() {
        let l = Lesson::parse(
            "# A\n::: question a measure=3,100 predict=p95\nq\n---\na\n:::\n\
             ::: question b measure=series-runs\nq\n---\na\n:::\n\
             ::: question c measure=series-warmup\nq\n---\na\n:::\n\
             ::: question d measure=plans predict=plan-ratio\nq\n---\na\n:::\n\
             ::: question e predict=p50\nq\n---\na\n:::\n",
        )
        .unwrap();
        let tails: Vec<_> = l.steps[0]
            .parts
            .iter()
            .filter_map(|p| match p {
                Part::Question(q) => Some((q.id.as_str(), q.rests_on_tail())),
                _ => None,
            })
            .collect();
        assert_eq!(
            tails,
            [
                ("a", true),
                ("b", true),
                ("c", false),
                ("d", false),
                ("e", false)
            ]
        );
    }

    /// The shipped lessons parse, have the same seven steps in both
    /// languages, and place the same widgets and questions.
    #[test]
    fn shipped_lessons_agree() {
        let sv = Lesson::parse(include_str!("../../lessons/sv.md")).unwrap();
        let en = Lesson::parse(include_str!("../../lessons/en.md")).unwrap();
        assert_eq!(sv.steps.len(), 7);
        assert_eq!(en.steps.len(), sv.steps.len());
        let blocks = |l: &Lesson| -> Vec<Vec<String>> {
            l.steps
                .iter()
                .map(|s| {
                    s.parts
                        .iter()
                        .filter_map(|p| match p {
                            Part::Widget(w) => Some(format!("widget {w}")),
                            Part::Question(q) => {
                                Some(format!("question {} {:?} {:?}", q.id, q.measure, q.predict))
                            }
                            Part::Teacher { minutes, .. } => Some(format!("teacher {minutes}")),
                            Part::Markdown(_) => None,
                        })
                        .collect()
                })
                .collect()
        };
        assert_eq!(blocks(&sv), blocks(&en));
    }
}
