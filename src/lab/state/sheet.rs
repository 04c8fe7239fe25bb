//! The worksheet of the page as it stands: what the student predicted,
//! measured, explained and concluded, gathered from the state into
//! [`Worksheet`]'s plain data. `lab::worksheet` writes it out and knows
//! nothing of the state (so the two modules do not import each other).

use super::*;
use crate::lab::lesson::{Part, Predict};
use crate::lab::worksheet::{SheetExperiment, SheetQuestion, SheetRun, Worksheet};

impl LabState {
    /// The worksheet, in the current language.
    pub fn worksheet(&self) -> Worksheet {
        let lang = self.lang();
        let mut questions = vec![];
        if let Some(Ok(lesson)) = self.lessons.get(&lang) {
            for step in &lesson.steps {
                for part in &step.parts {
                    let Part::Question(q) = part else { continue };
                    // The twin the page did not ask (server or static host).
                    if !self.asks_here(q.host) {
                        continue;
                    }
                    let st = self.question(&q.id);
                    let outcome = self.outcome(&q.id);
                    questions.push(SheetQuestion {
                        id: q.id.clone(),
                        step: step.title.clone(),
                        prompt: plain(&q.prompt),
                        predict: match q.predict {
                            Predict::Text => "text".into(),
                            Predict::Number(n) => n.name().into(),
                        },
                        prediction: st.prediction.clone(),
                        measured: outcome.map(|o| o.measured),
                        error_percent: outcome.map(|o| o.error().1 * 100.0),
                        outcome: outcome.map(|o| lang.outcome(&o)),
                        explain: plain(&q.explain),
                        explanation: st.explanation.clone(),
                        opens: q.opens.name().into(),
                        answer_opened: st.revealed,
                        answer_opened_before_explanation: st.revealed
                            && st.revealed_before_explaining,
                        runs: st
                            .runs
                            .iter()
                            .filter(|id| self.runs.contains(id))
                            .cloned()
                            .collect(),
                    });
                }
            }
        }
        let e = &self.experiment;
        Worksheet {
            piedge_lab_worksheet: 2,
            lang: lang.code().into(),
            generated: self.now().local.clone(),
            name: self.student_name().to_string(),
            class: self.student.class.trim().to_string(),
            device: self.browser.system_info(self.env.as_ref()).device,
            questions,
            experiment: SheetExperiment {
                question: e.question.clone(),
                prediction: e.prediction.clone(),
                conclusion: e.conclusion.clone(),
                runs: self
                    .experiment_runs()
                    .iter()
                    .map(|r| r.id.clone())
                    .collect(),
            },
            runs: self
                .runs
                .all()
                .iter()
                .map(|r| {
                    let (hidden, silent_s) = recorded_disturbance(&r.report);
                    SheetRun::of(r, lang.disturbed(hidden, silent_s.as_deref()))
                })
                .collect(),
        }
    }
}

/// Markdown as plain text: the emphasis, code and glossary marks dropped.
fn plain(md: &str) -> String {
    crate::lab::glossary::unmark(md)
        .replace("**", "")
        .replace('`', "")
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}
