//! The worksheet a student hands in: every question of the lesson with
//! their prediction, what the lab measured, how far off the guess was,
//! whether they opened the answer, a histogram of the run that answered
//! it, and their kept runs. One HTML file that prints well, with the JSON
//! behind it inside (`<script type="application/json">`), so a teacher can
//! read it on paper or by program.

use crate::charts::{draw_histogram, ChartText};
use crate::histogram::{BinRule, Histogram};
use crate::lab::lesson::{Part, Predict};
use crate::lab::session::RunRecord;
use crate::lab::state::LabState;
use crate::lab::Lang;
use crate::report::{ms, BenchmarkReport};
use plotters::prelude::*;
use serde::Serialize;

pub const WORKSHEET_FILE: &str = "piedge-worksheet.html";

/// What the worksheet holds, as its JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Worksheet {
    /// The format's version.
    pub piedge_lab_worksheet: u32,
    pub lang: String,
    pub generated: String,
    pub nickname: String,
    /// The browser and device the runs were made on.
    pub device: String,
    pub questions: Vec<SheetQuestion>,
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
    /// The prediction beside the measurement, in words.
    pub outcome: Option<String>,
    pub answer_opened: bool,
    /// Ids of the runs that answered it.
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
    fn of(r: &RunRecord, lang: Lang) -> SheetRun {
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
            disturbed: disturbed(&r.report, lang),
        }
    }
}

/// A run's disturbance in words, from its report's `disturbed_*` readings.
pub fn disturbed(report: &BenchmarkReport, lang: Lang) -> Option<String> {
    let (hidden, silent_s) = crate::lab::state::recorded_disturbance(report);
    lang.disturbed(hidden, silent_s.as_deref())
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

impl Worksheet {
    /// The worksheet of the page as it stands, in the current language.
    pub fn of(state: &LabState) -> Worksheet {
        let lang = state.lang();
        let mut questions = vec![];
        if let Some(Ok(lesson)) = state.lessons.get(&lang) {
            for step in &lesson.steps {
                for part in &step.parts {
                    let Part::Question(q) = part else { continue };
                    // The twin the page did not ask (server or static host).
                    if !state.asks_here(q.host) {
                        continue;
                    }
                    let st = state.question(&q.id);
                    let outcome = state.outcome(&q.id);
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
                        outcome: outcome.map(|o| lang.outcome(&o)),
                        answer_opened: st.revealed,
                        runs: st
                            .runs
                            .iter()
                            .filter(|id| state.runs.contains(id))
                            .cloned()
                            .collect(),
                    });
                }
            }
        }
        Worksheet {
            piedge_lab_worksheet: 1,
            lang: lang.code().into(),
            generated: state.now().local.clone(),
            nickname: state.board.nickname.clone(),
            device: state.browser.system_info(state.env.as_ref()).device,
            questions,
            runs: state
                .runs
                .all()
                .iter()
                .map(|r| SheetRun::of(r, lang))
                .collect(),
        }
    }

    /// The printable page, with this worksheet's JSON inside.
    pub fn html(&self, state: &LabState) -> String {
        let lang = state.lang();
        let w = lang.worksheet_words();
        let mut out = String::new();
        out += &format!(
            "<!doctype html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
            self.lang,
            esc(w.title)
        );
        out += &format!("<h1>{}</h1>\n<dl class=\"who\">\n", esc(w.title));
        for (label, value) in [
            (w.name, self.nickname.as_str()),
            (w.device, self.device.as_str()),
            (w.generated, self.generated.as_str()),
        ] {
            out += &format!("<dt>{}</dt><dd>{}</dd>\n", esc(label), esc(value));
        }
        out += "</dl>\n";
        for q in &self.questions {
            out += &format!(
                "<section class=\"question\" data-question=\"{}\">\n<h2>{}</h2>\n",
                esc(&q.id),
                esc(&q.step)
            );
            for para in q.prompt.split("\n\n") {
                out += &format!("<p class=\"prompt\">{}</p>\n", esc(para));
            }
            let prediction = if q.prediction.trim().is_empty() {
                w.none
            } else {
                q.prediction.as_str()
            };
            out += &format!(
                "<p><b>{}:</b> <span class=\"prediction\">{}</span></p>\n",
                esc(w.prediction),
                esc(prediction)
            );
            if let Some(o) = &q.outcome {
                out += &format!("<p class=\"outcome\">{}</p>\n", esc(o));
            }
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
                    .and_then(|id| state.run(id))
                    .and_then(|r| histogram_svg(&r.report, lang))
                {
                    out += &format!("<figure>{svg}</figure>\n");
                }
            }
            out += &format!(
                "<p class=\"opened\">{}</p>\n</section>\n",
                esc(if q.answer_opened {
                    w.answer_opened
                } else {
                    w.answer_closed
                })
            );
        }
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
}

/// The runs as a table: settings, timing and the statistics.
fn runs_table(runs: &[&SheetRun], lang: Lang) -> String {
    let w = lang.worksheet_words();
    let num = |v: f64| lang.decimal(ms(v));
    let mut t = format!(
        "<table>\n<thead><tr><th>{}</th><th>n</th><th>{}</th><th>{}</th><th>P50</th><th>P95</th><th>P95 {}</th><th>P99</th><th>{}</th></tr></thead>\n<tbody>\n",
        esc(w.run),
        esc(lang.stat_label("Mean")),
        esc(lang.stat_label("Std")),
        esc(w.ci95),
        esc(w.timing),
    );
    for r in runs {
        let timing = lang.timing(r.inferences_per_sample);
        t += &format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}–{}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&r.name),
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
                "<tr class=\"disturbed\"><td colspan=\"9\">{}</td></tr>\n",
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
.outcome{font-weight:bold}.missing{color:#8a1c00}figure{margin:.5rem 0}figure svg{max-width:100%;height:auto}\
section.question{break-inside:avoid}@media print{body{margin:0;max-width:none}}";
