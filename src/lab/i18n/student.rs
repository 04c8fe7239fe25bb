//! The words of what the student writes: the explanation after each
//! question, their own experiment, and the name on the worksheet.

use super::Lang;

/// The student's fields, in one language.
pub struct StudentWords {
    pub explain_label: &'static str,
    pub explain_placeholder: &'static str,
    /// What the answer waits for once predicted and measured.
    pub explain_first: &'static str,
    pub experiment: &'static str,
    pub experiment_question: &'static str,
    pub experiment_question_placeholder: &'static str,
    pub experiment_prediction: &'static str,
    pub experiment_prediction_placeholder: &'static str,
    pub experiment_settings: &'static str,
    pub experiment_run: &'static str,
    pub experiment_runs: &'static str,
    pub experiment_none: &'static str,
    pub suggested_series: &'static str,
    pub conclusion: &'static str,
    pub conclusion_placeholder: &'static str,
    pub name: &'static str,
    pub class: &'static str,
    /// Under the name, on `piedge serve`: the nickname stands in for it.
    pub name_from_nickname: &'static str,
    pub hand_in: &'static str,
}

impl Lang {
    pub fn student_words(self) -> StudentWords {
        match self {
            Lang::Sv => StudentWords {
                explain_label: "Förklara med egna ord",
                explain_placeholder: "Några meningar: vad visar mätningen, och varför blev det så?",
                explain_first: "Skriv din förklaring (minst tre ord) – sedan kan du öppna svaret.",
                experiment: "Ditt experiment",
                experiment_question: "Din fråga",
                experiment_question_placeholder: "Till exempel: halverar uppvärmning 10 P95?",
                experiment_prediction: "Din gissning",
                experiment_prediction_placeholder: "Till exempel: P95 blir hälften så stort.",
                experiment_settings: "Välj inställningar och mät:",
                experiment_run: "Mät",
                experiment_runs: "Experimentets mätningar",
                experiment_none: "Inga mätningar ännu.",
                suggested_series: "Eller börja med en föreslagen serie:",
                conclusion: "Din slutsats",
                conclusion_placeholder: "Stämde gissningen? Vad visar mätningarna?",
                name: "Namn",
                class: "Klass",
                name_from_nickname:
                    "Ditt smeknamn från klasstavlan används tills du skriver ett namn.",
                hand_in: "Lämna in filen på det sätt ni brukar lämna in uppgifter i skolan.",
            },
            Lang::En => StudentWords {
                explain_label: "Explain in your own words",
                explain_placeholder: "A few sentences: what does the measurement show, and why?",
                explain_first:
                    "Write your explanation (three words at least) – then you can open the answer.",
                experiment: "Your experiment",
                experiment_question: "Your question",
                experiment_question_placeholder: "For example: does warmup 10 halve P95?",
                experiment_prediction: "Your prediction",
                experiment_prediction_placeholder: "For example: P95 becomes half as large.",
                experiment_settings: "Pick the settings and measure:",
                experiment_run: "Measure",
                experiment_runs: "The experiment's measurements",
                experiment_none: "No measurements yet.",
                suggested_series: "Or start with a suggested series:",
                conclusion: "Your conclusion",
                conclusion_placeholder: "Was your prediction right? What do the measurements show?",
                name: "Name",
                class: "Class",
                name_from_nickname:
                    "Your nickname from the class board is used until you type a name.",
                hand_in: "Hand the file in the way your school usually takes assignments.",
            },
        }
    }

    /// An explanation's length in the worksheet's overview.
    pub fn explanation_words(self, n: usize) -> String {
        match (self, n) {
            (Lang::Sv, 0) => "ingen".into(),
            (Lang::En, 0) => "none".into(),
            (Lang::Sv, 1) => "1 ord".into(),
            (Lang::En, 1) => "1 word".into(),
            (Lang::Sv, n) => format!("{n} ord"),
            (Lang::En, n) => format!("{n} words"),
        }
    }

    /// A count of measurements (the experiment's, in the worksheet).
    pub fn measurements(self, n: usize) -> String {
        match (self, n) {
            (Lang::Sv, 1) => "1 mätning".into(),
            (Lang::En, 1) => "1 measurement".into(),
            (Lang::Sv, n) => format!("{n} mätningar"),
            (Lang::En, n) => format!("{n} measurements"),
        }
    }

    /// A report's plan (`optimized`, `unoptimized`) in a word.
    pub fn plan_word(self, plan: &str) -> &'static str {
        match (self, plan) {
            (Lang::Sv, "unoptimized") => "ooptimerad",
            (Lang::En, "unoptimized") => "unoptimised",
            (Lang::Sv, _) => "optimerad",
            (Lang::En, _) => "optimised",
        }
    }
}
