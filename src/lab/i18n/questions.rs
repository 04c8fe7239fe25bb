//! The words of a reflection question's numeric prediction: what to type,
//! the gate before the answer, and the prediction beside the measurement.

use super::Lang;
use crate::lab::lesson::{Predict, Quantity};
use crate::lab::state::Outcome;

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
            Lang::En.outcome(&r),
            "first run / median: you predicted 10.00 ×, measured 4.00 ×: 6.00 × (150 %) too high."
        );
    }
}
