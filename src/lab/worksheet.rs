//! The worksheet a student hands in, and the teacher grades: who made it
//! (name, class), every question of the lesson with their prediction, what
//! the lab measured, how far off the guess was, their explanation, whether
//! they opened the answer (and whether before explaining), a histogram of
//! the run that answered it; their own experiment (question, prediction,
//! runs with their settings, conclusion); and their kept runs. One HTML
//! file that prints well, with the JSON behind it inside (`<script
//! type="application/json">`), so a teacher can read it on paper or by
//! program.
//!
//! It is plain data in, bytes out: `LabState::worksheet` gathers the data,
//! and this module never reads the page's state.

use crate::charts::{draw_histogram, ChartText};
use crate::histogram::{BinRule, Histogram};
use crate::lab::lesson::Quantity;
use crate::lab::session::RunRecord;
use crate::lab::Lang;
use crate::report::{ms, BenchmarkReport};
use plotters::prelude::*;
use serde::Serialize;

pub const WORKSHEET_FILE: &str = "piedge-worksheet.html";

/// What the worksheet holds, as its JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Worksheet {
    /// The format's version: 2 added the name and class, the explanations
    /// and the experiment.
    pub piedge_lab_worksheet: u32,
    pub lang: String,
    pub generated: String,
    /// The student's name (as typed, or their class-board nickname).
    pub name: String,
    pub class: String,
    /// The browser and device the runs were made on.
    pub device: String,
    pub questions: Vec<SheetQuestion>,
    pub experiment: SheetExperiment,
    pub runs: Vec<SheetRun>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SheetQuestion {
    pub id: String,
    pub step: String,
    /// The question as the lesson asks it, as plain text.
    pub prompt: String,
    /// `text`, or the number asked for (`p95`, `first-ratio`, ...).
    pub predict: String,
    pub prediction: String,
    /// The lab's number, once measured (ms, or a ratio).
    pub measured: Option<f64>,
    /// The prediction's error in % of the measurement (above 0: too high).
    pub error_percent: Option<f64>,
    /// The prediction beside the measurement, in words.
    pub outcome: Option<String>,
    /// What the explanation field asked ("" for its label alone).
    pub explain: String,
    pub explanation: String,
    /// When the lesson let the answer open: `explained` or `measured`.
    pub opens: String,
    pub answer_opened: bool,
    /// The answer was opened before the explanation had words in it.
    pub answer_opened_before_explanation: bool,
    /// Ids of the runs that answered it.
    pub runs: Vec<String>,
}

/// The student's own experiment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SheetExperiment {
    pub question: String,
    pub prediction: String,
    pub conclusion: String,
    /// Ids of its runs (their settings are in `runs`).
    pub runs: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SheetRun {
    pub id: String,
    pub name: String,
    pub host: String,
    pub plan: String,
    pub warmup: usize,
    pub runs: usize,
    pub inferences_per_sample: usize,
    pub n: usize,
    pub mean_ms: f64,
    pub std_ms: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub p95_ci95_ms: [f64; 2],
    /// Why the run's numbers may not be the device's own, if they may not.
    pub disturbed: Option<String>,
}

impl SheetRun {
    /// A kept run, with its disturbance (if any) in words.
    pub fn of(r: &RunRecord, disturbed: Option<String>) -> SheetRun {
        let (c, s) = (&r.report.benchmark_config, &r.report.statistics);
        SheetRun {
            id: r.id.clone(),
            name: r.name.clone(),
            host: r.report.host.clone(),
            plan: c.plan.clone(),
            warmup: c.warmup_runs,
            runs: c.benchmark_runs,
            inferences_per_sample: c.inferences_per_sample,
            n: s.n,
            mean_ms: s.mean,
            std_ms: s.std,
            p50_ms: s.p50,
            p95_ms: s.p95,
            p99_ms: s.p99,
            p95_ci95_ms: [s.p95_ci95.low, s.p95_ci95.high],
            disturbed,
        }
    }
}

impl Worksheet {
    /// The printable page, with this worksheet's JSON inside; `report`
    /// finds a kept run's report by id, for the histograms.
    pub fn html<'a>(&self, report: impl Fn(&str) -> Option<&'a BenchmarkReport>) -> String {
        let lang = Lang::from_code(&self.lang).unwrap_or_default();
        let w = lang.worksheet_words();
        let or_none = |text: &str| match text.trim() {
            "" => w.none.to_string(),
            t => t.to_string(),
        };
        let mut out = String::new();
        out += &format!(
            "<!doctype html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{} – {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
            self.lang,
            esc(w.title),
            esc(&or_none(&self.name)),
        );
        out += &format!("<h1>{}</h1>\n<dl class=\"who\">\n", esc(w.title));
        for (label, class, value) in [
            (w.name, "name", or_none(&self.name)),
            (w.class, "class", or_none(&self.class)),
            (w.device, "device", self.device.clone()),
            (w.generated, "generated", self.generated.clone()),
        ] {
            out += &format!(
                "<dt>{}</dt><dd class=\"{class}\">{}</dd>\n",
                esc(label),
                esc(&value)
            );
        }
        out += "</dl>\n";
        out += &self.overview(lang);
        for q in &self.questions {
            out += &format!(
                "<section class=\"question\" data-question=\"{}\">\n<h2>{}</h2>\n",
                esc(&q.id),
                esc(&q.step)
            );
            for para in q.prompt.split("\n\n") {
                out += &format!("<p class=\"prompt\">{}</p>\n", esc(para));
            }
            out += &format!(
                "<p><b>{}:</b> <span class=\"prediction\">{}</span></p>\n",
                esc(w.prediction),
                esc(&or_none(&q.prediction))
            );
            if let Some(o) = &q.outcome {
                out += &format!("<p class=\"outcome\">{}</p>\n", esc(o));
            }
            out += &format!(
                "<p><b>{}:</b> <i class=\"explain\">{}</i></p>\n<blockquote class=\"explanation\">{}</blockquote>\n",
                esc(w.explanation),
                esc(&q.explain),
                paragraphs(&or_none(&q.explanation))
            );
            let answered: Vec<&SheetRun> = q
                .runs
                .iter()
                .filter_map(|id| self.runs.iter().find(|r| &r.id == id))
                .collect();
            if answered.is_empty() {
                out += &format!("<p class=\"missing\">{}</p>\n", esc(w.not_measured));
            } else {
                out += &runs_table(&answered, lang);
                if let Some(svg) = q
                    .runs
                    .last()
                    .and_then(|id| report(id))
                    .and_then(|r| histogram_svg(r, lang))
                {
                    out += &format!("<figure>{svg}</figure>\n");
                }
            }
            out += &format!(
                "<p class=\"opened\">{}</p>\n</section>\n",
                esc(q.answer_words(lang))
            );
        }
        out += &self.experiment_html(lang);
        out += &format!("<section class=\"runs\">\n<h2>{}</h2>\n", esc(w.all_runs));
        let all: Vec<&SheetRun> = self.runs.iter().collect();
        out += &runs_table(&all, lang);
        out += "</section>\n";
        let json = serde_json::to_string_pretty(self)
            .expect("a worksheet serialises")
            // Nothing a student typed can close the script element.
            .replace("</", "<\\/");
        out += &format!(
            "<script type=\"application/json\" id=\"piedge-worksheet\">\n{json}\n</script>\n</body>\n</html>\n"
        );
        out
    }

    /// The first screen a teacher reads: one row per question, with the
    /// prediction, the measurement, the error, the explanation's length
    /// and when the answer was opened.
    fn overview(&self, lang: Lang) -> String {
        let w = lang.worksheet_words();
        let mut t = format!(
            "<table class=\"overview\">\n<thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
            esc(w.question),
            esc(w.prediction),
            esc(w.measured),
            esc(w.error),
            esc(w.explanation),
            esc(w.answer),
        );
        for q in &self.questions {
            let in_ms = Quantity::from_name(&q.predict).is_some_and(Quantity::is_ms);
            let measured = q.measured.map_or(String::new(), |m| match in_ms {
                true => lang.decimal(format!("{} ms", ms(m))),
                false => lang.decimal(format!("{m:.2} ×")),
            });
            let error = q.error_percent.map_or(String::new(), |e| {
                lang.decimal(format!("{e:+.0} %")).replace('-', "−")
            });
            let words = q.explanation.split_whitespace().count();
            t += &format!(
                "<tr data-question=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                esc(&q.id),
                esc(&first_sentence(&q.prompt)),
                esc(&q.prediction),
                esc(&measured),
                esc(&error),
                esc(&lang.explanation_words(words)),
                esc(q.answer_short(lang)),
            );
        }
        // The experiment in one row: its question, prediction, runs and
        // the length of its conclusion.
        let e = &self.experiment;
        t += &format!(
            "<tr class=\"experiment-row\"><td>{}: {}</td><td>{}</td><td>{}</td><td></td><td>{}</td><td></td></tr>\n",
            esc(w.experiment),
            esc(&e.question),
            esc(&e.prediction),
            esc(&lang.measurements(e.runs.len())),
            esc(&lang.explanation_words(e.conclusion.split_whitespace().count())),
        );
        t + "</tbody>\n</table>\n"
    }

    /// The experiment: question, prediction, its runs with their settings,
    /// conclusion.
    fn experiment_html(&self, lang: Lang) -> String {
        let w = lang.worksheet_words();
        let e = &self.experiment;
        let none = |t: &str| match t.trim() {
            "" => w.none.to_string(),
            t => t.to_string(),
        };
        let mut out = format!(
            "<section class=\"experiment\">\n<h2>{}</h2>\n",
            esc(w.experiment)
        );
        for (label, class, text) in [
            (w.experiment_question, "experiment-question", &e.question),
            (w.prediction, "experiment-prediction", &e.prediction),
        ] {
            out += &format!(
                "<p><b>{}:</b> <span class=\"{class}\">{}</span></p>\n",
                esc(label),
                esc(&none(text))
            );
        }
        let runs: Vec<&SheetRun> = e
            .runs
            .iter()
            .filter_map(|id| self.runs.iter().find(|r| &r.id == id))
            .collect();
        if runs.is_empty() {
            out += &format!("<p class=\"missing\">{}</p>\n", esc(w.not_measured));
        } else {
            out += &runs_table(&runs, lang);
        }
        out += &format!(
            "<p><b>{}:</b></p>\n<blockquote class=\"conclusion\">{}</blockquote>\n</section>\n",
            esc(w.conclusion),
            paragraphs(&none(&e.conclusion))
        );
        out
    }
}

impl SheetQuestion {
    /// Whether and when the answer was opened, in a sentence.
    fn answer_words(&self, lang: Lang) -> &'static str {
        let w = lang.worksheet_words();
        match (self.answer_opened, self.answer_opened_before_explanation) {
            (false, _) => w.answer_closed,
            (true, true) => w.answer_before_explanation,
            (true, false) => w.answer_opened,
        }
    }

    /// The same, in the overview's few words.
    fn answer_short(&self, lang: Lang) -> &'static str {
        let w = lang.worksheet_words();
        match (self.answer_opened, self.answer_opened_before_explanation) {
            (false, _) => w.closed_short,
            (true, true) => w.before_short,
            (true, false) => w.after_short,
        }
    }
}

/// A question's first sentence (up to its first "?", or 90 characters),
/// to name it in the overview.
fn first_sentence(prompt: &str) -> String {
    let line = prompt.split("\n\n").next().unwrap_or("").replace('\n', " ");
    let end = line.find('?').map_or(line.len(), |i| i + 1);
    let cut: String = line[..end].chars().take(90).collect();
    if cut.len() < end {
        cut + " …"
    } else {
        cut
    }
}

/// What a student typed, its paragraphs kept, made safe inside HTML.
fn paragraphs(text: &str) -> String {
    esc(text.trim()).replace('\n', "<br>")
}

/// The runs as a table: settings, timing and the statistics.
fn runs_table(runs: &[&SheetRun], lang: Lang) -> String {
    let w = lang.worksheet_words();
    let num = |v: f64| lang.decimal(ms(v));
    let mut t = format!(
        "<table>\n<thead><tr><th>{}</th><th>{}</th><th>n</th><th>{}</th><th>{}</th><th>P50</th><th>P95</th><th>P95 {}</th><th>P99</th><th>{}</th></tr></thead>\n<tbody>\n",
        esc(w.run),
        esc(w.settings),
        esc(lang.stat_label("Mean")),
        esc(lang.stat_label("Std")),
        esc(w.ci95),
        esc(w.timing),
    );
    for r in runs {
        let timing = lang.timing(r.inferences_per_sample);
        t += &format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}–{}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&r.name),
            esc(&format!("{}, {}", lang.board_settings(r.warmup, r.runs), lang.plan_word(&r.plan))),
            r.n,
            num(r.mean_ms),
            num(r.std_ms),
            num(r.p50_ms),
            num(r.p95_ms),
            num(r.p95_ci95_ms[0]),
            num(r.p95_ci95_ms[1]),
            num(r.p99_ms),
            esc(&timing),
        );
        if let Some(d) = &r.disturbed {
            t += &format!(
                "<tr class=\"disturbed\"><td colspan=\"10\">{}</td></tr>\n",
                esc(d)
            );
        }
    }
    t + "</tbody>\n</table>\n"
}

/// The run's histogram, drawn by the same code as the page's, as SVG.
fn histogram_svg(report: &BenchmarkReport, lang: Lang) -> Option<String> {
    if report.raw_latencies.is_empty() {
        return None;
    }
    #[cfg(not(target_arch = "wasm32"))]
    crate::charts::register_font().ok()?;
    let text = match lang {
        Lang::Sv => ChartText::swedish(),
        Lang::En => ChartText::english(),
    };
    let hist = Histogram::new(&report.raw_latencies, BinRule::Auto);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 320)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        draw_histogram(&root, &hist, &report.statistics, &text).ok()?;
        root.present().ok()?;
    }
    Some(svg)
}

/// Text made safe inside HTML (also the glossary's definitions use it).
pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;line-height:1.4}\
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.5rem}\
table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem}th,td{border:1px solid #999;padding:.2rem .4rem;text-align:right}\
th:first-child,td:first-child{text-align:left}tr.disturbed td{color:#8a1c00;text-align:left}\
.who{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}.who dt{font-weight:bold}\
.outcome{font-weight:bold}blockquote{margin:.2rem 0 .5rem 1rem;padding:.3rem .6rem;border-left:3px solid #4a6fa5;background:#f3f6fb;white-space:normal}\
.overview th,.overview td{text-align:left;vertical-align:top}.overview td:nth-child(3),.overview td:nth-child(4){text-align:right;white-space:nowrap}.missing{color:#8a1c00}figure{margin:.5rem 0}figure svg{max-width:100%;height:auto}\
section.question{break-inside:avoid}@media print{body{margin:0;max-width:none}}";
