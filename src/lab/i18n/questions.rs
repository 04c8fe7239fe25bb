//! The words of a reflection question's numeric prediction: what to type,
//! the gate before the answer, and the prediction beside the measurement.

use super::Lang;
use crate::lab::browser::TimerContext;
use crate::lab::lesson::{Predict, Quantity};
use crate::lab::state::{Outcome, TailHidden};

impl Lang {
    /// The label over the prediction field.
    pub fn prediction_label(self, predict: Predict) -> &'static str {
        match (self, predict) {
            (Lang::Sv, Predict::Text) => "Din gissning",
            (Lang::En, Predict::Text) => "Your prediction",
            (Lang::Sv, Predict::Number(q)) if q.is_ms() => "Din gissning, i millisekunder",
            (Lang::En, Predict::Number(q)) if q.is_ms() => "Your prediction, in milliseconds",
            (Lang::Sv, Predict::Number(_)) => "Din gissning: hur många gånger",
            (Lang::En, Predict::Number(_)) => "Your prediction: how many times",
        }
    }

    /// What stands between the student and the answer.
    pub fn answer_locked(self, predict: Predict) -> &'static str {
        match (self, predict) {
            (Lang::Sv, Predict::Text) => {
                "Skriv din gissning (minst några ord) och mät först – sedan kan du jämföra med svaret."
            }
            (Lang::En, Predict::Text) => {
                "Write your prediction (a few words at least) and measure first – then compare with the answer."
            }
            (Lang::Sv, Predict::Number(_)) => {
                "Skriv en siffra som gissning och mät först – sedan kan du jämföra med svaret."
            }
            (Lang::En, Predict::Number(_)) => {
                "Type a number as your prediction and measure first – then compare with the answer."
            }
        }
    }

    /// The prediction beside the measurement, and how far off it was.
    pub fn outcome(self, o: &Outcome) -> String {
        let value = |v: f64| match o.quantity.is_ms() {
            true => format!("{} ms", self.decimal(crate::report::ms(v))),
            false => format!("{} ×", self.decimal(format!("{v:.2}"))),
        };
        let (diff, fraction) = o.error();
        let off = format!(
            "{} ({} %)",
            value(diff.abs()),
            self.decimal(format!("{:.0}", (fraction * 100.0).abs()))
        );
        let direction = match (self, diff >= 0.0) {
            (Lang::Sv, true) => "för högt",
            (Lang::Sv, false) => "för lågt",
            (Lang::En, true) => "too high",
            (Lang::En, false) => "too low",
        };
        let what = match (self, o.quantity) {
            (Lang::Sv, Quantity::P50Ms) | (Lang::En, Quantity::P50Ms) => "P50",
            (Lang::Sv, Quantity::P95Ms) | (Lang::En, Quantity::P95Ms) => "P95",
            (Lang::Sv, Quantity::FirstRatio) => "första körningen / medianen",
            (Lang::En, Quantity::FirstRatio) => "first run / median",
            (Lang::Sv, Quantity::PlanRatio) => "ooptimerad / optimerad P50",
            (Lang::En, Quantity::PlanRatio) => "unoptimised / optimised P50",
            (Lang::Sv, Quantity::NativeRatio) => "webbläsarens P50 / serverns P50",
            (Lang::En, Quantity::NativeRatio) => "browser P50 / server P50",
        };
        let (predicted, measured) = (value(o.predicted), value(o.measured));
        match self {
            Lang::Sv => {
                format!("{what}: din gissning {predicted}, uppmätt {measured}: {off} {direction}.")
            }
            Lang::En => {
                format!(
                    "{what}: you predicted {predicted}, measured {measured}: {off} {direction}."
                )
            }
        }
    }
}

impl Lang {
    /// Beside a question about the tail measured in batches: what the
    /// batches hid, and what to do about it where the page is.
    pub fn tail_hidden(self, t: &TailHidden) -> String {
        use TimerContext::*;
        let k = t.inferences_per_sample;
        let fix = match (self, t.context) {
            (Lang::Sv, Some(PlainHttp)) => "Be läraren om https://-adressen och mät igen.",
            (Lang::En, Some(PlainHttp)) => {
                "Ask the teacher for the https:// address and measure again."
            }
            (Lang::Sv, Some(File)) => "Starta labbet med piedge serve och mät igen.",
            (Lang::En, Some(File)) => "Start the lab with piedge serve and measure again.",
            (Lang::Sv, Some(NoHeaders)) => {
                "Ladda om sidan en gång, så att den får en fin timer, och mät igen."
            }
            (Lang::En, Some(NoHeaders)) => {
                "Reload the page once, so that it gets a fine timer, and measure again."
            }
            (Lang::Sv, Some(Isolated) | None) => {
                "Mät på en enhet med finare timer, eller med en större modell."
            }
            (Lang::En, Some(Isolated) | None) => {
                "Measure on a device with a finer timer, or with a larger model."
            }
        };
        match self {
            Lang::Sv => format!(
                "Timern var för grov: varje körning är medelvärdet av {k} inferenser, så enstaka \
                 långsamma inferenser jämnas ut, och P95 och spridningen ser mindre ut än de är. {fix}"
            ),
            Lang::En => format!(
                "The timer was too coarse: each run is the mean of {k} inferences, so single slow \
                 inferences are averaged away, and P95 and the spread look smaller than they are. {fix}"
            ),
        }
    }
}

/// The worksheet's labels, in one language.
pub struct WorksheetWords {
    pub title: &'static str,
    pub name: &'static str,
    pub class: &'static str,
    pub device: &'static str,
    pub generated: &'static str,
    pub prediction: &'static str,
    pub none: &'static str,
    pub not_measured: &'static str,
    pub answer_opened: &'static str,
    pub answer_closed: &'static str,
    pub answer_before_explanation: &'static str,
    pub all_runs: &'static str,
    pub run: &'static str,
    pub ci95: &'static str,
    pub timing: &'static str,
    pub settings: &'static str,
    /// The overview's columns, and its few words on the answer.
    pub question: &'static str,
    pub measured: &'static str,
    pub error: &'static str,
    pub explanation: &'static str,
    pub answer: &'static str,
    pub closed_short: &'static str,
    pub before_short: &'static str,
    pub after_short: &'static str,
    pub experiment: &'static str,
    pub experiment_question: &'static str,
    pub conclusion: &'static str,
}

impl Lang {
    pub fn worksheet_words(self) -> WorksheetWords {
        match self {
            Lang::Sv => WorksheetWords {
                title: "Arbetsblad – lektion 02: Latensbenchmark",
                name: "Namn",
                class: "Klass",
                device: "Enhet",
                generated: "Skapat",
                prediction: "Din gissning",
                none: "(ingen)",
                not_measured: "Inte mätt ännu.",
                answer_opened: "Svaret öppnades efter gissning, mätning och förklaring.",
                answer_closed: "Svaret har inte öppnats.",
                answer_before_explanation: "Svaret öppnades efter gissning och mätning, innan förklaringen var skriven.",
                all_runs: "Alla sparade mätningar",
                run: "Mätning",
                ci95: "95 % KI",
                timing: "Tidtagning",
                settings: "Inställningar",
                question: "Fråga",
                measured: "Uppmätt",
                error: "Fel",
                explanation: "Förklaring",
                answer: "Svaret",
                closed_short: "inte öppnat",
                before_short: "öppnat före förklaringen",
                after_short: "öppnat efter förklaringen",
                experiment: "Ditt experiment",
                experiment_question: "Din fråga",
                conclusion: "Din slutsats",
            },
            Lang::En => WorksheetWords {
                title: "Worksheet – lesson 02: Latency benchmark",
                name: "Name",
                class: "Class",
                device: "Device",
                generated: "Created",
                prediction: "Your prediction",
                none: "(none)",
                not_measured: "Not measured yet.",
                answer_opened: "The answer was opened after predicting, measuring and explaining.",
                answer_closed: "The answer has not been opened.",
                answer_before_explanation: "The answer was opened after predicting and measuring, before the explanation was written.",
                all_runs: "All saved measurements",
                run: "Measurement",
                ci95: "95 % CI",
                timing: "Timing",
                settings: "Settings",
                question: "Question",
                measured: "Measured",
                error: "Error",
                explanation: "Explanation",
                answer: "The answer",
                closed_short: "not opened",
                before_short: "opened before the explanation",
                after_short: "opened after the explanation",
                experiment: "Your experiment",
                experiment_question: "Your question",
                conclusion: "Your conclusion",
            },
        }
    }

    /// How a run's samples were timed: one inference each, or batches.
    pub fn timing(self, inferences_per_sample: usize) -> String {
        match (self, inferences_per_sample) {
            (Lang::Sv, 1) => "en inferens per körning".into(),
            (Lang::En, 1) => "one inference per run".into(),
            (Lang::Sv, k) => format!("medelvärdet av en grupp på {k} inferenser per körning"),
            (Lang::En, k) => format!("the mean of a group of {k} inferences per run"),
        }
    }
}

/// Teacher mode's words, and the class lock's.
pub struct TeacherWords {
    pub teacher_mode: &'static str,
    pub time_plan: &'static str,
    pub note: &'static str,
    pub class_link: &'static str,
    pub release_word: &'static str,
    pub fix_settings: &'static str,
    pub link_hint: &'static str,
    pub locked: &'static str,
    pub open_answers: &'static str,
    pub fixed_note: &'static str,
}

impl Lang {
    pub fn teacher_words(self) -> TeacherWords {
        match self {
            Lang::Sv => TeacherWords {
                teacher_mode: "Lärarläge",
                time_plan: "Tidsplan",
                note: "Till läraren",
                class_link: "Länk till klassen",
                release_word: "Kodord (säg det högt när svaren får låsas upp)",
                fix_settings: "Lås inställningarna till mina (uppvärmning, antal körningar, frö och körplan)",
                link_hint: "Ge eleverna länken (eller visa den på projektorn). Utan kodord är svaren inte låsta.",
                locked: "Svaren låses upp när läraren säger till. Skriv kodordet läraren säger:",
                open_answers: "Lås upp svaren",
                fixed_note: "Läraren har låst inställningarna för den här lektionen.",
            },
            Lang::En => TeacherWords {
                teacher_mode: "Teacher mode",
                time_plan: "Time plan",
                note: "For the teacher",
                class_link: "Link for the class",
                release_word: "Code word (say it aloud when the answers may be unlocked)",
                fix_settings: "Fix the settings to mine (warmup, number of runs, seed and execution plan)",
                link_hint: "Give the students this link (or show it on the projector). Without a code word the answers are not locked.",
                locked: "The answers are unlocked when the teacher says so. Type the code word the teacher says:",
                open_answers: "Unlock the answers",
                fixed_note: "The teacher has fixed the settings for this lesson.",
            },
        }
    }

    pub fn released_note(self) -> &'static str {
        match self {
            Lang::Sv => "Rätt kodord: svaren är upplåsta.",
            Lang::En => "Right code word: the answers are unlocked.",
        }
    }

    pub fn wrong_release_word(self) -> &'static str {
        match self {
            Lang::Sv => "Det är inte kodordet läraren gav; svaren är fortfarande låsta.",
            Lang::En => "That is not the teacher's code word; the answers are still locked.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outcome_in_both_languages() {
        let o = Outcome {
            quantity: Quantity::P95Ms,
            predicted: 4.0,
            measured: 5.0,
        };
        assert_eq!(
            Lang::En.outcome(&o),
            "P95: you predicted 4.000 ms, measured 5.000 ms: 1.000 ms (20 %) too low."
        );
        assert_eq!(
            Lang::Sv.outcome(&o),
            "P95: din gissning 4,000 ms, uppmätt 5,000 ms: 1,000 ms (20 %) för lågt."
        );
        let r = Outcome {
            quantity: Quantity::FirstRatio,
            predicted: 10.0,
            measured: 4.0,
        };
        assert_eq!(
            Lang::En.tail_hidden(&TailHidden {
                inferences_per_sample: 5,
                context: Some(TimerContext::PlainHttp)
            }),
            "The timer was too coarse: each run is the mean of 5 inferences, so single slow \
             inferences are averaged away, and P95 and the spread look smaller than they are. \
             Ask the teacher for the https:// address and measure again."
        );
        for context in [
            None,
            Some(TimerContext::File),
            Some(TimerContext::NoHeaders),
        ] {
            let t = TailHidden {
                inferences_per_sample: 2,
                context,
            };
            assert!(Lang::Sv
                .tail_hidden(&t)
                .starts_with("Timern var för grov: varje körning är medelvärdet av 2 inferenser"));
            assert!(Lang::En.tail_hidden(&t).ends_with("measure again.") || context.is_none());
        }
        assert_eq!(
            Lang::En.outcome(&r),
            "first run / median: you predicted 10.00 ×, measured 4.00 ×: 6.00 × (150 %) too high."
        );
    }
}
