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
//!     `native-ratio` (the browser's p50 over the server's, or over
//!     `native-p50=MS`, a native P50 the lesson states).
//!   - `host=`: where the question is asked. `any` (the default),
//!     `server` (only under `piedge serve`, whose API the page found) or
//!     `static` (only on a host without it): a question that needs the
//!     server gets a twin a static host can answer.
//!   - `native-p50=MS`: a reference machine's native P50, for a
//!     `native-ratio` question without a server.
//!   - `explain="…"`: what the field "explain in your own words", after
//!     the measurement, asks (in quotes when it has spaces; none: the
//!     field's label alone).
//!   - `opens=`: when the answer opens. `explained` (the default: once the
//!     student has predicted, measured and written an explanation) or
//!     `measured` (once predicted and measured; the explanation may follow).
//!
//! - `::: teacher MINUTES [extension=MINUTES] [slack=MINUTES]` … `:::` is
//!   the teacher's note for the step: how long its core takes in class
//!   (everyone), how long its extensions take (fast students), what to
//!   discuss, the common misconceptions. Only teacher mode shows it; the
//!   minutes make the lesson's time plan, and `slack=` is time the plan
//!   keeps free (devices loading, certificate warnings).
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
    Teacher(TeacherNote),
}

/// A step's note for the teacher and its place in the time plan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TeacherNote {
    /// The step's core: minutes everyone spends on it.
    pub minutes: u32,
    /// Minutes of the step's extensions, for students who finish early.
    pub extension: u32,
    /// Minutes the plan keeps free here (devices loading, certificate
    /// warnings): counted into the hour, given to no task.
    pub slack: u32,
    pub text: String,
}

/// Where a question is asked: some need the classroom server's API.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Host {
    #[default]
    Any,
    /// Only under `piedge serve`.
    Server,
    /// Only where the page found no server API (a static host).
    Static,
}

/// One step's row of the time plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanRow {
    pub title: String,
    pub core: u32,
    pub extension: u32,
}

/// The lesson's time plan: each step's core and extension minutes, and the
/// slack kept free. The class's hour is the core plus the slack.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimePlan {
    pub steps: Vec<PlanRow>,
    pub slack: u32,
}

impl TimePlan {
    pub fn core(&self) -> u32 {
        self.steps.iter().map(|r| r.core).sum()
    }

    pub fn extension(&self) -> u32 {
        self.steps.iter().map(|r| r.extension).sum()
    }
}

/// A reflection question, as the lesson declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub id: String,
    pub prompt: String,
    pub answer: String,
    pub measure: Measure,
    pub predict: Predict,
    pub host: Host,
    /// A native P50 the lesson states (`native-p50=`, in µs), for a
    /// `native-ratio` question answered without a server.
    pub native_p50_us: Option<u32>,
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

/// Reads `ID key=value key="a value with spaces" ...` after `::: question`:
/// the question with its options and no text yet.
fn question_header(header: &str, line: usize) -> Result<Question, LessonError> {
    let mut words = header_words(header, line)?.into_iter();
    let id = words.next().unwrap_or_default();
    let (mut measure, mut predict) = (Measure::default(), Predict::default());
    let (mut host, mut native_p50_us) = (Host::default(), None);
    let (mut explain, mut opens) = (String::new(), Opens::default());
    for word in words {
        let bad = || LessonError::BadOption {
            line,
            text: word.clone(),
        };
        let (key, value) = word.split_once('=').ok_or_else(bad)?;
        match key {
            "measure" => measure = Measure::from_value(value).ok_or_else(bad)?,
            "predict" => {
                predict = match value {
                    "text" => Predict::Text,
                    q => Predict::Number(Quantity::from_name(q).ok_or_else(bad)?),
                }
            }
            "host" => {
                host = match value {
                    "any" => Host::Any,
                    "server" => Host::Server,
                    "static" => Host::Static,
                    _ => return Err(bad()),
                }
            }
            "native-p50" => {
                let ms: f64 = value.parse().map_err(|_| bad())?;
                let us = (ms * 1000.0).round();
                if !(1.0..=1e9).contains(&us) {
                    return Err(bad());
                }
                native_p50_us = Some(us as u32);
            }
            "explain" => explain = value.trim().to_string(),
            "opens" => {
                opens = [Opens::Explained, Opens::Measured]
                    .into_iter()
                    .find(|o| o.name() == value)
                    .ok_or_else(bad)?
            }
            _ => return Err(bad()),
        }
    }
    if id.is_empty() || id.contains('=') {
        return Err(LessonError::BadOption {
            line,
            text: "question".into(),
        });
    }
    Ok(Question {
        id,
        prompt: String::new(),
        answer: String::new(),
        measure,
        predict,
        host,
        native_p50_us,
        explain,
        opens,
    })
}

/// Reads `MINUTES [extension=MINUTES] [slack=MINUTES]` after `::: teacher`.
fn teacher_header(header: &str, line: usize) -> Result<TeacherNote, LessonError> {
    let bad = || LessonError::BadMinutes {
        line,
        text: header.trim().to_string(),
    };
    let minutes = |v: &str| v.parse::<u32>().ok().filter(|m| *m <= 600).ok_or_else(bad);
    let mut words = header.split_whitespace();
    let mut note = TeacherNote {
        minutes: minutes(words.next().unwrap_or_default())?,
        ..TeacherNote::default()
    };
    for word in words {
        match word.split_once('=') {
            Some(("extension", v)) => note.extension = minutes(v)?,
            Some(("slack", v)) => note.slack = minutes(v)?,
            _ => return Err(bad()),
        }
    }
    Ok(note)
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
        "line {line}: `{text}` is not a question option; write `measure=settings|W,R|cold|plans|series-runs|series-warmup|native`, `predict=text|p50|p95|first-ratio|plan-ratio|native-ratio`, `host=any|server|static`, `native-p50=MS`, `explain=\"a prompt\"` or `opens=explained|measured` after the question's id"
    )]
    BadOption { line: usize, text: String },
    #[error("line {line}: `::: teacher {text}` needs the step's minutes in class, e.g. `::: teacher 10` or `::: teacher 8 extension=5 slack=5`")]
    BadMinutes { line: usize, text: String },
    #[error("line {line}: a `::: teacher` block is not closed with `:::`")]
    UnclosedTeacher { line: usize },
}

impl Lesson {
    /// The time plan: each step's title, core and extension minutes (0
    /// where the lesson gives the step no teacher note), and the slack.
    pub fn time_plan(&self) -> TimePlan {
        let notes = |s: &Step| -> Vec<TeacherNote> {
            s.parts
                .iter()
                .filter_map(|p| match p {
                    Part::Teacher(note) => Some(note.clone()),
                    _ => None,
                })
                .collect()
        };
        TimePlan {
            steps: self
                .steps
                .iter()
                .map(|s| PlanRow {
                    title: s.title.clone(),
                    core: notes(s).iter().map(|n| n.minutes).sum(),
                    extension: notes(s).iter().map(|n| n.extension).sum(),
                })
                .collect(),
            slack: self.steps.iter().flat_map(notes).map(|n| n.slack).sum(),
        }
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
                } else if let Some(header) = block.strip_prefix("teacher") {
                    let mut note = teacher_header(header, i + 1)?;
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
                    note.text = text;
                    if let Some(step) = steps.last_mut() {
                        step.parts.push(Part::Teacher(note));
                    }
                } else if let Some(header) = block.strip_prefix("question ") {
                    let mut question = question_header(header, i + 1)?;
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
                    (question.prompt, question.answer) = (prompt, answer);
                    if let Some(step) = steps.last_mut() {
                        step.parts.push(Part::Question(question));
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
                host: Host::Any,
                native_p50_us: None,
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
            "# A\n::: teacher 10 slack=5\nAsk who has a phone.\n:::\nText.\n# B\n\
             # C\n::: teacher 5 extension=8\nx\n:::\n",
        )
        .unwrap();
        assert_eq!(
            l.steps[0].parts[0],
            Part::Teacher(TeacherNote {
                minutes: 10,
                extension: 0,
                slack: 5,
                text: "Ask who has a phone.\n".into()
            })
        );
        let row = |title: &str, core, extension| PlanRow {
            title: title.into(),
            core,
            extension,
        };
        let plan = l.time_plan();
        assert_eq!(
            plan,
            TimePlan {
                steps: vec![row("A", 10, 0), row("B", 0, 0), row("C", 5, 8)],
                slack: 5
            }
        );
        assert_eq!((plan.core(), plan.extension()), (15, 8));
        for (bad, text) in [
            ("soon", "soon"),
            ("5 extension=lots", "5 extension=lots"),
            ("5 spare=3", "5 spare=3"),
        ] {
            assert_eq!(
                Lesson::parse(&format!("# A\n::: teacher {bad}\nx\n:::\n")),
                Err(LessonError::BadMinutes {
                    line: 2,
                    text: text.into()
                })
            );
        }
        assert_eq!(
            Lesson::parse("# A\n::: teacher 5\nx\n"),
            Err(LessonError::UnclosedTeacher { line: 2 })
        );
    }

    /// The shipped lesson plans a 60-minute class in both languages: every
    /// step's core, plus 5 to 10 minutes of slack for thirty devices
    /// loading the lab and their certificate warnings.
    #[test]
    fn the_shipped_time_plan_fills_an_hour() {
        for text in [
            include_str!("../../lessons/sv.md"),
            include_str!("../../lessons/en.md"),
        ] {
            let plan = Lesson::parse(text).unwrap().time_plan();
            assert!(plan.steps.iter().all(|r| r.core > 0), "{plan:?}");
            assert!((5..=10).contains(&plan.slack), "{plan:?}");
            assert_eq!(plan.core() + plan.slack, 60, "{plan:?}");
            assert!(plan.extension() > 0, "{plan:?}");
        }
    }

    #[test]
    fn questions_say_where_they_are_asked() {
        let l = Lesson::parse(
            "# A\n::: question n measure=native predict=native-ratio host=server\nq\n---\na\n:::\n\
             ::: question r measure=3,10 predict=native-ratio host=static native-p50=1.93\nq\n---\na\n:::\n\
             ::: question x\nq\n---\na\n:::\n",
        )
        .unwrap();
        let hosts: Vec<_> = l.steps[0]
            .parts
            .iter()
            .map(|p| match p {
                Part::Question(q) => (q.id.as_str(), q.host, q.native_p50_us),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            hosts,
            [
                ("n", Host::Server, None),
                ("r", Host::Static, Some(1930)),
                ("x", Host::Any, None)
            ]
        );
        for bad in [
            "host=cloud",
            "native-p50=fast",
            "native-p50=0",
            "native-p50=-2",
        ] {
            assert!(
                matches!(
                    Lesson::parse(&format!("# A\n::: question q {bad}\nq\n---\na\n:::\n")),
                    Err(LessonError::BadOption { line: 2, .. })
                ),
                "{bad}"
            );
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
                            Part::Question(q) => Some(format!(
                                "question {} {:?} {:?} {:?} {:?}",
                                q.id, q.measure, q.predict, q.host, q.native_p50_us
                            )),
                            Part::Teacher(n) => Some(format!(
                                "teacher {} extension={} slack={}",
                                n.minutes, n.extension, n.slack
                            )),
                            Part::Markdown(_) => None,
                        })
                        .collect()
                })
                .collect()
        };
        assert_eq!(blocks(&sv), blocks(&en));
    }
}
