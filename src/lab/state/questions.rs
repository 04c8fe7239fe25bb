//! Reflection questions: what their "measure" button runs and what the
//! student predicts, both as the lesson's Markdown declares them; the gate
//! before the answer (a prediction, a measurement and, where the lesson
//! says so, an explanation); the prediction beside the measurement; the
//! student's name and own experiment; and all of it kept in the browser so
//! that it survives a reload.

use super::*;
use crate::lab::lesson::{Measure, Opens, Part, Predict, Quantity, Question};
use serde::{Deserialize, Serialize};

/// A prediction set beside what the lab measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    pub quantity: Quantity,
    pub predicted: f64,
    pub measured: f64,
}

impl Outcome {
    /// Predicted minus measured (above 0: the guess was too high), and that
    /// as a fraction of the measurement.
    pub fn error(&self) -> (f64, f64) {
        let diff = self.predicted - self.measured;
        (diff, diff / self.measured)
    }
}

/// A question about the slow tail (P95, the spread) answered by runs whose
/// samples were batches of inferences: each sample is the mean of a batch,
/// so a slow inference is averaged with quick ones and the tail the
/// question asks about is hidden. The page says so beside the question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TailHidden {
    /// The most inferences one sample held, over the question's runs.
    pub inferences_per_sample: usize,
    /// Why that run's timer was coarse, as its report recorded it.
    pub context: Option<crate::lab::browser::TimerContext>,
}

/// What the browser keeps of the questions (`localStorage`), so that a
/// reload finds the predictions where the student left them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StoredAnswers {
    pub questions: std::collections::BTreeMap<String, QuestionState>,
    /// The class locks whose release word this device was given.
    pub released: Vec<String>,
    pub student: Student,
    pub experiment: Experiment,
}

impl StoredAnswers {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("answers serialise")
    }

    /// Answers as stored; anything unreadable is no answers (the student
    /// loses a draft, never the page).
    pub fn from_json(text: &str) -> StoredAnswers {
        serde_json::from_str(text).unwrap_or_default()
    }
}

/// The code a class link carries for a release word: what the teacher
/// says aloud, lower-cased and trimmed, hashed. It keeps the word out of
/// the link, so that the link does not give the answers away; it is a
/// class's agreement, not a secret (the page can be read, and a student
/// can edit the link).
pub fn class_code(word: &str) -> String {
    let word = word.trim().to_lowercase();
    format!("{:08x}", fnv1a(word.as_bytes()) as u32)
}

/// A number as a student types it: "4.5", "4,5", "4,5 ms", "3×", "x3".
pub fn parse_number(text: &str) -> Option<f64> {
    let cleaned: String = text
        .trim()
        .trim_end_matches("ms")
        .trim_matches(|c: char| c == '×' || c == 'x' || c.is_whitespace())
        .replace(',', ".");
    cleaned
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
}

/// Whether `text` is a prediction of the kind asked: a positive number
/// where a number is asked, a sentence (two words at least) otherwise.
pub fn is_prediction(predict: Predict, text: &str) -> bool {
    match predict {
        Predict::Number(_) => parse_number(text).is_some(),
        Predict::Text => text.split_whitespace().count() >= 2,
    }
}

/// The fewest words an explanation needs before an answer that waits for
/// it opens: "some words", more than a shrug ("vet inte").
pub const MIN_EXPLANATION_WORDS: usize = 3;

/// Whether `text` is an explanation: [`MIN_EXPLANATION_WORDS`] words at least.
pub fn is_explanation(text: &str) -> bool {
    text.split_whitespace().count() >= MIN_EXPLANATION_WORDS
}

/// What a question's answer still waits for, first things first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerWaits {
    /// A prediction of the kind asked, and the measurement.
    PredictionAndMeasurement,
    /// The student's explanation (the lesson's `opens=explained`).
    Explanation,
    /// The teacher's release of the class's answers.
    Teacher,
}

impl LabState {
    /// A question as the lesson declares it, in the current language (or
    /// the other, if the current one's lesson has not loaded).
    pub fn question_spec(&self, id: &str) -> Option<&Question> {
        let mut langs = vec![self.lang()];
        langs.extend(Lang::ALL.into_iter().filter(|l| *l != self.lang()));
        langs.into_iter().find_map(|lang| {
            let Some(Ok(lesson)) = self.lessons.get(&lang) else {
                return None;
            };
            lesson
                .steps
                .iter()
                .flat_map(|s| &s.parts)
                .find_map(|p| match p {
                    Part::Question(q) if q.id == id => Some(q),
                    _ => None,
                })
        })
    }

    /// Whether the question's answer may open: nothing waits.
    pub fn can_reveal(&self, id: &str) -> bool {
        self.answer_waits(id).is_none()
    }

    /// What the question's answer waits for: a prediction of the kind it
    /// asks for and the measurement, then (unless the lesson opens it after
    /// the measurement) an explanation with some words in it, then the
    /// teacher, if the class link locks the answers.
    pub fn answer_waits(&self, id: &str) -> Option<AnswerWaits> {
        let q = self.question(id);
        let spec = self.question_spec(id);
        let predict = spec.map_or(Predict::Text, |s| s.predict);
        let opens = spec.map_or(Opens::default(), |s| s.opens);
        if !q.measured || !is_prediction(predict, &q.prediction) {
            Some(AnswerWaits::PredictionAndMeasurement)
        } else if opens == Opens::Explained && !is_explanation(&q.explanation) {
            Some(AnswerWaits::Explanation)
        } else if self.answers_locked() {
            Some(AnswerWaits::Teacher)
        } else {
            None
        }
    }

    /// The answer opens, if nothing waits; whether the explanation had
    /// words by then is kept for the teacher.
    pub(super) fn reveal(&mut self, id: String) {
        if !self.can_reveal(&id) {
            return;
        }
        let q = self.questions.entry(id).or_default();
        if !q.revealed {
            q.revealed = true;
            q.revealed_before_explaining = !is_explanation(&q.explanation);
        }
        self.store_answers();
    }

    /// The name the worksheet carries: the one the student typed, or else
    /// their class-board nickname (under `piedge serve`).
    pub fn student_name(&self) -> &str {
        match self.student.name.trim() {
            "" => self.board.nickname.trim(),
            name => name,
        }
    }

    /// A run of the student's own experiment finished.
    pub(super) fn experiment_measured(&mut self, run: String) {
        self.experiment.runs.push(run);
        self.store_answers();
    }

    /// The experiment's runs that are still kept.
    pub fn experiment_runs(&self) -> Vec<&RunRecord> {
        self.experiment
            .runs
            .iter()
            .filter_map(|r| self.runs.get(r))
            .collect()
    }

    /// The class link locks the answers, and the teacher has not released
    /// them: neither by the release word on this device nor on the board.
    pub fn answers_locked(&self) -> bool {
        !self.url.class.is_empty()
            && !self.is_teacher()
            && !self.released.contains(&self.url.class)
            && !self.board.data.as_ref().is_some_and(|b| b.released)
    }

    /// The class link fixes the settings (the teacher's own page does not).
    pub fn controls_fixed(&self) -> bool {
        self.url.fixed && !self.is_teacher()
    }

    /// The link a teacher gives the class: this page at step 1, without the
    /// teacher code, with the answers locked to `word` (if any) and the
    /// settings fixed to the teacher's (if asked).
    pub fn class_link(&self, word: &str, fixed: bool) -> String {
        let mut url = self.url.clone();
        url.step = 1;
        url.board = false;
        url.teacher.clear();
        url.class = if word.trim().is_empty() {
            String::new()
        } else {
            class_code(word)
        };
        url.fixed = fixed;
        url.to_hash()
    }

    /// The time plan of the current language's lesson.
    pub fn time_plan(&self) -> crate::lab::lesson::TimePlan {
        match self.lessons.get(&self.lang()) {
            Some(Ok(lesson)) => lesson.time_plan(),
            _ => Default::default(),
        }
    }

    /// The word the teacher said aloud, typed by a student.
    pub(super) fn release_word(&mut self, word: &str) {
        if self.url.class.is_empty() || !self.answers_locked() {
            return;
        }
        if class_code(word) == self.url.class {
            self.released.push(self.url.class.clone());
            self.store_answers();
            let text = self.lang().released_note();
            self.notify(text.into(), false);
        } else {
            let text = self.lang().wrong_release_word();
            self.notify(text.into(), true);
        }
    }

    /// The student's number beside the lab's, once both exist.
    pub fn outcome(&self, id: &str) -> Option<Outcome> {
        let spec = self.question_spec(id)?;
        let Predict::Number(quantity) = spec.predict else {
            return None;
        };
        let q = self.question(id);
        if !q.measured {
            return None;
        }
        let predicted = parse_number(&q.prediction)?;
        let runs = self.question_runs(id);
        let last = runs.last()?;
        let st = &last.report.statistics;
        let measured = match quantity {
            Quantity::P50Ms => st.p50,
            Quantity::P95Ms => st.p95,
            Quantity::FirstRatio => {
                let r = &last.report;
                let first = r.warmup_latencies.first().or(r.raw_latencies.first())?;
                first / st.p50
            }
            Quantity::PlanRatio => {
                let p50_of = |plan: crate::plan::Plan| {
                    runs.iter()
                        .rev()
                        .find(|r| r.report.benchmark_config.plan == plan.name())
                        .map(|r| r.report.statistics.p50)
                };
                p50_of(crate::plan::Plan::Unoptimized)? / p50_of(crate::plan::Plan::Optimized)?
            }
            Quantity::NativeRatio => {
                use crate::lab::session::RunSource;
                let p50_from = |server: bool| {
                    runs.iter()
                        .rev()
                        .find(|r| matches!(r.source, RunSource::Server { .. }) == server)
                        .map(|r| r.report.statistics.p50)
                };
                // Without a server, the native P50 the lesson states for
                // its reference machine.
                let reference = spec.native_p50_us.map(|us| f64::from(us) / 1000.0);
                p50_from(false)? / p50_from(true).or(reference)?
            }
        };
        (measured.is_finite() && measured > 0.0).then_some(Outcome {
            quantity,
            predicted,
            measured,
        })
    }

    /// Whether a coarse timer hid the tail a question asks about (see
    /// [`TailHidden`]): the question rests on the tail, and one of its
    /// runs timed batches of inferences.
    pub fn tail_hidden(&self, id: &str) -> Option<TailHidden> {
        if !self.question_spec(id)?.rests_on_tail() {
            return None;
        }
        let run = self
            .question_runs(id)
            .into_iter()
            .max_by_key(|r| r.report.benchmark_config.inferences_per_sample)?;
        let inferences_per_sample = run.report.benchmark_config.inferences_per_sample;
        (inferences_per_sample > 1).then(|| TailHidden {
            inferences_per_sample,
            context: run
                .report
                .system_info
                .extra
                .get("timer_context")
                .and_then(|k| crate::lab::browser::TimerContext::from_key(k)),
        })
    }

    /// A question's "measure" button, as the lesson declares it.
    pub(super) fn measure(&mut self, question: String) {
        let measure = self
            .question_spec(&question)
            .map_or(Measure::Settings, |q| q.measure);
        let once = |warmup, runs| vec![job(warmup, runs, Purpose::Question(question.clone()))];
        match measure {
            Measure::Settings => {
                if let Some(c) = self.valid_config() {
                    self.enqueue(once(c.warmup, c.runs));
                }
            }
            Measure::Fixed { warmup, runs } => self.enqueue(once(warmup, runs)),
            Measure::Cold => self.enqueue(vec![cold_job(Purpose::Question(question))]),
            Measure::Plans => {
                if let Some(c) = self.valid_config() {
                    let plans = [crate::plan::Plan::Optimized, crate::plan::Plan::Unoptimized];
                    let jobs = plans.map(|plan| Job {
                        plan: Some(plan),
                        ..job(c.warmup, c.runs, Purpose::Normal)
                    });
                    self.enqueue(as_series(jobs.into(), Some(question)));
                }
            }
            Measure::Series(series) => self.run_series(series, Some(question)),
            Measure::Native => match self.native_request() {
                Ok(_) if self.native.job.is_none() => {
                    self.native.question = Some(question);
                    self.run_native();
                }
                Ok(_) => {}
                Err(why) => {
                    let text = self.lang().native_blocked(why);
                    self.notify(text, true);
                }
            },
        }
    }

    /// The answers changed: keep them in the browser.
    pub(super) fn store_answers(&mut self) {
        let answers = StoredAnswers {
            questions: self
                .questions
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            released: self.released.clone(),
            student: self.student.clone(),
            experiment: self.experiment.clone(),
        };
        self.effects.push(Effect::StoreAnswers(answers.to_json()));
    }

    /// Answers read back after a reload join those given meanwhile (a
    /// question touched since the page opened keeps its newer state).
    pub(super) fn answers_loaded(&mut self, text: &str) {
        let stored = StoredAnswers::from_json(text);
        for (id, q) in stored.questions {
            self.questions.entry(id).or_insert(q);
        }
        for code in stored.released {
            if !self.released.contains(&code) {
                self.released.push(code);
            }
        }
        if self.student == Student::default() {
            self.student = stored.student;
        }
        if self.experiment == Experiment::default() {
            self.experiment = stored.experiment;
        } else {
            // Runs made before the answers were read come after the kept ones.
            let mut runs = stored.experiment.runs;
            runs.retain(|r| !self.experiment.runs.contains(r));
            runs.append(&mut self.experiment.runs);
            self.experiment.runs = runs;
        }
    }
}
