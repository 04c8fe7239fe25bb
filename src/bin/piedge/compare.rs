//! `piedge compare A B`: reads two runs' reports, asks the engine
//! (`piedge::compare`) whether B is faster or slower than A, and prints one
//! table (or JSON). Reading, the comparison and the statistics' digits all
//! come from the library; this file only words the verdict in English.

use crate::args::CompareArgs;
use crate::files;
use anyhow::{bail, Result};
use piedge::compare::{
    compare, CompareOptions, Comparison, Side, Unclear, Undecided, Verdict, Which,
};
use piedge::lab::session;
use piedge::report::{self, BenchmarkReport};
use std::path::Path;

pub fn run(a: CompareArgs) -> Result<()> {
    let run_a = read_run(&a.a)?;
    let run_b = read_run(&a.b)?;
    let c = compare(
        Side::of_report(&run_a),
        Side::of_report(&run_b),
        &CompareOptions::default(),
    )?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json(&c, [(&a.a, &run_a), (&a.b, &run_b)])?)?
        );
    } else {
        print!("{}", table(&c, [(&a.a, &run_a), (&a.b, &run_b)]));
    }
    Ok(())
}

/// One run's report, read as the lab imports one: a `latency_results.json`
/// (statistics recomputed from its latencies) or a `latency.csv`.
fn read_run(path: &Path) -> Result<BenchmarkReport> {
    let bytes = files::read_report(path, session::MAX_IMPORT_BYTES as u64)?;
    let name = path.display().to_string();
    let mut runs = session::import(&name, &bytes, String::new(), 0.0)?;
    if runs.len() != 1 {
        bail!(
            "{name} holds {} runs (the lab's \"export all\"); compare two runs' \
             latency_results.json or latency.csv files",
            runs.len()
        );
    }
    Ok(runs.remove(0).report)
}

/// The comparison as JSON: the engine's `Comparison`, with each run's file,
/// model, plan and machine beside its numbers.
fn json(c: &Comparison, runs: [(&Path, &BenchmarkReport); 2]) -> Result<serde_json::Value> {
    let mut v = serde_json::to_value(c)?;
    for (key, (path, r)) in ["a", "b"].into_iter().zip(runs) {
        let side = v[key].as_object_mut().expect("a side is an object");
        let s = &r.statistics;
        for (k, value) in [
            ("file", serde_json::json!(path.display().to_string())),
            ("model", serde_json::json!(r.model_name())),
            ("plan", serde_json::json!(r.benchmark_config.plan)),
            ("host", serde_json::json!(r.host)),
            ("p50_ci95", serde_json::to_value(s.p50_ci95)?),
            ("p95_ms", serde_json::json!(s.p95)),
            (
                "inferences_per_sample",
                serde_json::json!(r.benchmark_config.inferences_per_sample),
            ),
        ] {
            side.insert(k.into(), value);
        }
    }
    Ok(v)
}

/// The table: one row per run and one for B/A, then the verdict.
fn table(c: &Comparison, runs: [(&Path, &BenchmarkReport); 2]) -> String {
    let mut rows = vec![[
        String::new(),
        "runs".into(),
        "median ms".into(),
        "95% CI".into(),
        "p95 ms".into(),
        "run".into(),
    ]];
    for (label, (path, r)) in ["A", "B"].into_iter().zip(runs) {
        let lines = report::stat_lines(&r.statistics);
        let line = |key: &str| lines.iter().find(|l| l.key == key).expect("a statistic");
        let (p50, p95) = (line("p50"), line("p95"));
        rows.push([
            label.into(),
            r.statistics.n.to_string(),
            p50.value.clone(),
            p50.ci95.clone().unwrap_or_default(),
            p95.value.clone(),
            describe(path, r),
        ]);
    }
    let ci = c.ratio_ci95;
    rows.push([
        "B/A".into(),
        String::new(),
        ratio(c.ratio),
        format!("{}..{}", ratio(ci.low), ratio(ci.high)),
        String::new(),
        format!("Mann-Whitney U p = {}", p_value(c.p_value)),
    ]);
    let mut widths = [0; 6];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = format!("{:<w$}", row[0], w = widths[0]);
        for (i, cell) in row.iter().enumerate().skip(1) {
            // Numbers to the right, the run's description to the left.
            if i == 5 {
                line += &format!("  {cell}");
            } else {
                line += &format!("  {cell:>w$}", w = widths[i]);
            }
        }
        out += line.trim_end();
        out.push('\n');
    }
    out.push('\n');
    out += &verdict(c);
    out.push('\n');
    out
}

/// "mobilenetv2.onnx, optimized plan, <host> (a/latency_results.json)";
/// a CSV, which knows only its latencies, is its path.
fn describe(path: &Path, r: &BenchmarkReport) -> String {
    let name = path.display().to_string();
    if r.benchmark_config.model_path == name {
        return name;
    }
    let mut parts = vec![r.model_name().to_string()];
    if !r.benchmark_config.plan.is_empty() {
        parts.push(format!("{} plan", r.benchmark_config.plan));
    }
    if !r.host.is_empty() && !r.host.starts_with("unknown") {
        parts.push(r.host.clone());
    }
    format!("{} ({name})", parts.join(", "))
}

fn ratio(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.3}")
    } else {
        "inf".into()
    }
}

/// A p-value as a reader wants it: three decimals, or its power of ten when
/// it is below 0.001.
fn p_value(p: f64) -> String {
    if p >= 0.001 || p == 0.0 {
        format!("{p:.3}")
    } else {
        format!("{p:.1e}")
    }
}

/// The verdict in English (the lab words it in the student's language).
fn verdict(c: &Comparison) -> String {
    let band = format!("±{} %", c.noise_band * 100.0);
    let times = |x: f64| format!("{x:.2}");
    match &c.verdict {
        Verdict::Slower => format!(
            "B is slower than A: its median is {} times A's (95% CI {}..{}), beyond this lab's noise band of {band}.",
            times(c.ratio),
            times(c.ratio_ci95.low),
            times(c.ratio_ci95.high)
        ),
        Verdict::Faster => format!(
            "B is faster than A: A's median is {} times B's (95% CI {}..{}), beyond this lab's noise band of {band}.",
            times(1.0 / c.ratio),
            times(1.0 / c.ratio_ci95.high),
            times(1.0 / c.ratio_ci95.low)
        ),
        Verdict::NoClearDifference { why } => {
            let why = match why {
                Unclear::NotSignificant => format!(
                    "the two runs' latencies overlap too much to tell them apart (p = {} is not below 0.05)",
                    p_value(c.p_value)
                ),
                Unclear::WithinNoise => format!(
                    "the whole interval of the ratio lies within {band}, the noise band two runs of the same settings show"
                ),
                Unclear::NoDirection => {
                    "the latencies differ, but the interval of the ratio reaches both sides of 1: the medians do not say which run is faster".into()
                }
            };
            format!("No clear difference: {why}.")
        }
        Verdict::CannotDecide { reasons } => {
            let reasons: Vec<String> = reasons.iter().map(undecided).collect();
            format!("Cannot decide: {}.", reasons.join("; "))
        }
    }
}

fn undecided(r: &Undecided) -> String {
    let name = |w: &Which| match w {
        Which::A => "A",
        Which::B => "B",
    };
    match r {
        Undecided::TooFewRuns { run, n } => format!(
            "{} has {n} timed runs, and a comparison needs at least {}",
            name(run),
            piedge::compare::MIN_RUNS
        ),
        Undecided::Batched {
            run,
            inferences_per_sample,
        } => format!(
            "{} was timed {inferences_per_sample} inferences at a time (its timer was too coarse for one), so its spread is not single runs'",
            name(run)
        ),
        Undecided::Disturbed { run } => format!(
            "{} was disturbed (its tab was hidden or the page froze); run it again",
            name(run)
        ),
        Undecided::ZeroMedian { run } => format!(
            "{}'s median is 0 ms: its timer did not see the runs",
            name(run)
        ),
    }
}
