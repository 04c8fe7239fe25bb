//! The lesson text: Markdown under `lessons/<lang>.md`, cut into steps.
//!
//! A teacher edits the Markdown; two kinds of block let the text place the
//! lab's interactive parts:
//!
//! - `::: widget NAME` (one line) puts a part of the lab there: `model`,
//!   `controls`, `environment`, `results`, `cold-start`, `experiment`, ...
//! - `::: question ID` … `---` … `:::` is a reflection question: the prompt,
//!   then the answer, which the lab keeps hidden until the student has
//!   written a prediction and measured.
//!
//! Every line that starts with `# ` (outside code fences) starts a step.

/// A piece of a step, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    Markdown(String),
    Widget(String),
    Question {
        id: String,
        prompt: String,
        answer: String,
    },
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
                } else if let Some(id) = block.strip_prefix("question ") {
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
                        step.parts.push(Part::Question {
                            id: id.trim().to_string(),
                            prompt,
                            answer,
                        });
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
            vec![Part::Question {
                id: "p95".into(),
                prompt: "Why p95?\n".into(),
                answer: "Because of the tail.\n".into()
            }]
        );
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
    }

    /// The shipped lessons parse, have the same seven steps in both
    /// languages, and place the same widgets and questions.
    #[test]
    fn shipped_lessons_agree() {
        let sv = Lesson::parse(include_str!("../../lessons/sv.md")).unwrap();
        let en = Lesson::parse(include_str!("../../lessons/en.md")).unwrap();
        assert_eq!(sv.steps.len(), super::super::config::STEPS);
        assert_eq!(en.steps.len(), sv.steps.len());
        let blocks = |l: &Lesson| -> Vec<Vec<String>> {
            l.steps
                .iter()
                .map(|s| {
                    s.parts
                        .iter()
                        .filter_map(|p| match p {
                            Part::Widget(w) => Some(format!("widget {w}")),
                            Part::Question { id, .. } => Some(format!("question {id}")),
                            Part::Markdown(_) => None,
                        })
                        .collect()
                })
                .collect()
        };
        assert_eq!(blocks(&sv), blocks(&en));
    }
}
