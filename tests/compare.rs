#![cfg(not(target_arch = "wasm32"))]
//! The comparison of two runs: against scipy on fixed data sets, in a
//! fixed-seed simulation of runs from one distribution, and `piedge compare`
//! as a user runs it.

mod common;

use common::*;
use piedge::compare::{compare, mann_whitney_u, CompareOptions, Side, Verdict, NOISE_BAND};
use piedge::rng::SplitMix64;
use piedge::stats::Interval;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn reference() -> Value {
    read_json(&repo().join("tests/data/compare/scipy-reference.json"))
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// p-values agree with scipy's to a relative 1e-10 (both take the normal
/// tail from an `erfc` accurate to an ulp or two; the z they feed it is
/// computed in the same order, so it is the same number); a p-value that
/// underflows to 0 in scipy does so here. U is exact: its sums are of
/// half-integers.
#[test]
fn u_and_p_match_scipy_on_the_reference_sets() {
    let doc = reference();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    let mut kinds = std::collections::BTreeSet::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        kinds.insert(name.split(':').next().unwrap().to_string());
        let (x, y) = (floats(&case["x"]), floats(&case["y"]));
        let r = mann_whitney_u(&x, &y);
        assert_eq!(r.u, case["u"].as_f64().unwrap(), "{name}: U");
        let p = case["p"].as_f64().unwrap();
        assert!(
            (r.p_value - p).abs() <= 1e-10 * p,
            "{name}: p {} against scipy's {p}",
            r.p_value
        );
        let c = compare(
            Side::latencies(&x),
            Side::latencies(&y),
            &CompareOptions::default(),
        )
        .unwrap();
        assert_eq!(c.p_value, r.p_value);
        assert_eq!(c.a.median_ms, case["median_x"].as_f64().unwrap(), "{name}");
        assert_eq!(c.b.median_ms, case["median_y"].as_f64().unwrap(), "{name}");
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["equal runs", "large n", "real", "small n", "ties"]
    );
}

/// The ratio's interval against scipy's own bootstrap (`scipy.stats.bootstrap`,
/// percentile method, each run resampled separately, 20 000 resamples).
/// The two use different generators and different ways to draw a resample's
/// median, so they agree within Monte Carlo error only: each end within a
/// tenth of the interval's width (at 10 000 and 20 000 resamples an end's
/// standard error is about 1 % of the width; a median of 40 runs jumps
/// between neighbouring values, a few per cent of it), or exactly where the
/// data leave the median no room to move.
#[test]
fn the_ratio_interval_agrees_with_scipys_bootstrap() {
    let doc = reference();
    let mut checked = 0;
    for case in doc["cases"].as_array().unwrap() {
        let Some(expected) = case["bootstrap_ci95"].as_array() else {
            continue;
        };
        let name = case["name"].as_str().unwrap();
        let (low, high) = (expected[0].as_f64().unwrap(), expected[1].as_f64().unwrap());
        let (x, y) = (floats(&case["x"]), floats(&case["y"]));
        let c = compare(
            Side::latencies(&x),
            Side::latencies(&y),
            &CompareOptions::default(),
        )
        .unwrap();
        let got = c.ratio_ci95;
        let slack = 0.1 * (high - low);
        assert!(
            (got.low - low).abs() <= slack && (got.high - high).abs() <= slack,
            "{name}: {:.5}..{:.5} against scipy's {low:.5}..{high:.5}",
            got.low,
            got.high
        );
        assert!(got.low <= c.ratio && c.ratio <= got.high, "{name}");
        checked += 1;
    }
    assert!(checked >= 9, "{checked} intervals checked");
}

/// Latency-like numbers: 1 ms plus an exponential tail, optionally read off
/// a timer with `step` ms resolution (many ties).
fn simulated_run(rng: &mut SplitMix64, n: usize, scale: f64, step: Option<f64>) -> Vec<f64> {
    (0..n)
        .map(|_| {
            let x = scale * (1.0 + 0.1 * -(1.0 - rng.next_f64()).ln());
            match step {
                Some(s) => (x / s).round() * s,
                None => x,
            }
        })
        .collect()
}

/// Of `trials` pairs of runs (A from scale 1, B from `scale_b`), the share
/// the U test calls different (p < 0.05) and the share the verdict calls
/// faster or slower. The bootstrap runs only for the pairs the test
/// rejects (the verdict is "no clear difference" for all others), outside
/// the simulation's loop, at 2 000 resamples.
fn false_positives(
    seed: u64,
    trials: usize,
    n: usize,
    scale_b: f64,
    step: Option<f64>,
) -> (f64, f64) {
    let mut rng = SplitMix64::new(seed);
    let mut rejected = Vec::new();
    for _ in 0..trials {
        let a = simulated_run(&mut rng, n, 1.0, step);
        let b = simulated_run(&mut rng, n, scale_b, step);
        if mann_whitney_u(&a, &b).p_value < 0.05 {
            rejected.push((a, b));
        }
    }
    let opts = CompareOptions {
        resamples: 2000,
        ..Default::default()
    };
    let decided = rejected
        .iter()
        .filter(|(a, b)| {
            let c = compare(Side::latencies(a), Side::latencies(b), &opts).unwrap();
            matches!(c.verdict, Verdict::Faster | Verdict::Slower)
        })
        .count();
    (
        rejected.len() as f64 / trials as f64,
        decided as f64 / trials as f64,
    )
}

/// Two runs from one distribution: the U test says "different" in about 5 %
/// of pairs, as a test at the 5 % level should (4 000 pairs: the rate's
/// standard error is 0.34 %, the bounds are three of them), also when a
/// coarse timer makes most latencies ties (the tie correction at work).
/// The verdict, which also asks the interval to leave the noise band,
/// says "faster" or "slower" less often. And two runs half the noise band
/// apart, the kind of difference two runs of the same settings show: with
/// 1 000 latencies each the U test calls nearly all such pairs different,
/// the verdict almost none — while two runs twice as far apart as the band
/// are all told apart.
#[test]
fn the_verdict_has_fewer_false_positives_than_the_u_test() {
    let (u_rate, verdict_rate) = false_positives(1, 4000, 100, 1.0, None);
    eprintln!("one distribution, n = 100: U test {u_rate:.4}, verdict {verdict_rate:.4}");
    assert!((0.04..=0.06).contains(&u_rate), "U test {u_rate}");
    assert!(verdict_rate < u_rate, "verdict {verdict_rate}");

    let (u_rate, verdict_rate) = false_positives(2, 4000, 100, 1.0, Some(0.02));
    eprintln!("one distribution, 0.02 ms timer: U test {u_rate:.4}, verdict {verdict_rate:.4}");
    assert!((0.04..=0.06).contains(&u_rate), "U test with ties {u_rate}");
    assert!(verdict_rate < u_rate, "verdict with ties {verdict_rate}");

    let half = 1.0 + NOISE_BAND / 2.0;
    let (u_rate, verdict_rate) = false_positives(3, 200, 1000, half, None);
    eprintln!("{half} times as long, n = 1000: U test {u_rate:.4}, verdict {verdict_rate:.4}");
    assert!(u_rate > 0.95, "U test {u_rate}");
    assert!(verdict_rate <= 0.01, "verdict {verdict_rate}");

    let twice = 1.0 + 2.0 * NOISE_BAND;
    let (u_rate, verdict_rate) = false_positives(4, 20, 1000, twice, None);
    assert_eq!((u_rate, verdict_rate), (1.0, 1.0), "{twice} times as long");
}

/// `NOISE_BAND` is what `scripts/noise-band.mjs` chose from its
/// measurements: recomputed here from the committed pairs of identical
/// runs with the engine's own verdict, by the rule the file states.
#[test]
fn noise_band_is_what_the_measurements_give() {
    let doc = read_json(&repo().join("tests/data/compare/noise-band.json"));
    assert_eq!(doc["noise_band"].as_f64(), Some(NOISE_BAND));
    assert!(doc["rule"].as_str().unwrap().contains("at most 5 %"));
    let mut pooled = Vec::new();
    let groups = doc["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 8, "2 runtimes × 2 models × 2 run counts");
    for g in groups {
        // Repeats beyond Tukey's fences of their setting are set aside.
        let p50s = floats(&g["p50s"]);
        let repeats = p50s.len();
        let s = piedge::stats::LatencyStats::compute(&p50s, &Default::default()).unwrap();
        let aside: Vec<usize> = (0..repeats)
            .filter(|&i| p50s[i] < s.tukey_low || p50s[i] > s.tukey_high)
            .collect();
        let recorded: Vec<usize> = g["set_aside"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(aside, recorded, "{g:?}");
        let pairs = g["pairs"].as_array().unwrap();
        assert_eq!(pairs.len(), repeats * (repeats - 1) / 2);
        for pair in pairs {
            let v = floats(pair);
            let (i, j) = (v[0] as usize, v[1] as usize);
            if !aside.contains(&i) && !aside.contains(&j) {
                pooled.push((
                    v[5],
                    Interval {
                        low: v[3],
                        high: v[4],
                    },
                ));
            }
        }
    }
    let false_share = |band: f64| {
        let wrong = pooled
            .iter()
            .filter(|(p, ci)| {
                matches!(
                    Verdict::decide(*p, *ci, band),
                    Verdict::Faster | Verdict::Slower
                )
            })
            .count();
        wrong as f64 / pooled.len() as f64
    };
    let chosen = (1..=100)
        .map(|half_percents| half_percents as f64 / 200.0)
        .find(|&band| false_share(band) <= 0.05)
        .expect("a band up to 50 %");
    assert_eq!(
        chosen,
        NOISE_BAND,
        "{} of identical pairs would be told apart",
        false_share(NOISE_BAND)
    );
    // Without the band the verdict would tell identical runs apart often.
    assert!(false_share(0.0) > 0.2, "{}", false_share(0.0));
}

// `piedge compare` end to end.

/// Writes a `latency_results.json` with these latencies through
/// `piedge bench`'s fake clock (the model still runs; the clock advances by
/// the script), and returns its path.
fn bench_report(dir: &Path, name: &str, latencies: &[f64], extra: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let script: Vec<String> = std::iter::once(1.0)
        .chain(latencies.iter().copied())
        .map(|x| x.to_string())
        .collect();
    run_ok(
        piedge()
            .args(["bench", "--fakedata", "--warmup", "1", "--quiet"])
            .args(["--runs", &latencies.len().to_string()])
            .args(["--debug-fake-latencies", &script.join(",")])
            .args(extra)
            .arg("--model-path")
            .arg(bundled("tinycnn"))
            .arg("--output-dir")
            .arg(&out),
        "bench",
    );
    out.join("latency_results.json")
}

/// `n` latencies around `median` ms, spread evenly over ±10 %, shuffled.
fn spread(median: f64, n: usize, seed: u64) -> Vec<f64> {
    let mut rng = SplitMix64::new(seed);
    let mut xs: Vec<f64> = (0..n)
        .map(|i| median * (0.9 + 0.2 * i as f64 / (n - 1) as f64))
        .collect();
    for i in (1..n).rev() {
        xs.swap(i, rng.below(i + 1));
    }
    xs
}

/// A JSON number within 1e-9 of `x` (the fake clock adds rounding).
fn close(v: &Value, x: f64) -> bool {
    (v.as_f64().unwrap() - x).abs() < 1e-9
}

fn compare_json(a: &Path, b: &Path) -> Value {
    json_stdout(
        piedge().arg("compare").arg(a).arg(b).arg("--json"),
        "compare --json",
    )
}

#[test]
fn compare_prints_one_table_and_json_for_two_reports() {
    let dir = tempfile::tempdir().unwrap();
    let a = bench_report(dir.path(), "a", &spread(1.0, 100, 1), &[]);
    let b = bench_report(dir.path(), "b", &spread(2.0, 100, 2), &["--unoptimized"]);

    let out = run_ok(piedge().arg("compare").arg(&a).arg(&b), "compare");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let cells = |prefix: &str| -> Vec<String> {
        let line = lines
            .iter()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} row in\n{text}"));
        line.split_whitespace().map(str::to_string).collect()
    };
    let header = cells(" ");
    assert_eq!(header[..5], ["runs", "median", "ms", "95%", "CI"], "{text}");
    // A and B: runs, median, its interval, p95, then what the run was.
    let row_a = cells("A ");
    assert_eq!(row_a[1..3], ["100", "1.000"]);
    assert!(text.contains("tinycnn.onnx, optimized plan"), "{text}");
    let row_b = cells("B ");
    assert_eq!(row_b[1..3], ["100", "2.000"]);
    assert!(text.contains("tinycnn.onnx, unoptimized plan"), "{text}");
    let ratio = cells("B/A");
    assert_eq!(ratio[1], "2.000");
    let (low, high) = ratio[2].split_once("..").unwrap();
    let (low, high): (f64, f64) = (low.parse().unwrap(), high.parse().unwrap());
    assert!(low < 2.0 && 2.0 < high && high - low < 0.2, "{text}");
    assert!(text.contains("Mann-Whitney U p = "), "{text}");
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("B is slower than A: its median is 2.00 times A's"),
        "{text}"
    );

    let v = compare_json(&a, &b);
    assert_eq!(v["verdict"]["kind"], "slower");
    assert!(close(&v["ratio"], 2.0), "{v}");
    assert!(v["p_value"].as_f64().unwrap() < 1e-30);
    assert_eq!(v["a"]["n"], 100);
    assert!(close(&v["a"]["median_ms"], 1.0), "{v}");
    assert_eq!(v["a"]["plan"], "optimized");
    assert_eq!(v["b"]["plan"], "unoptimized");
    assert_eq!(v["b"]["file"], b.display().to_string());
    assert_eq!(v["noise_band"], piedge::compare::NOISE_BAND);
    let ci = &v["ratio_ci95"];
    assert_eq!((ci["low"].as_f64().unwrap() * 1000.0).round() / 1000.0, low);

    // Swapped: faster, the same p-value.
    let swapped = compare_json(&b, &a);
    assert_eq!(swapped["verdict"]["kind"], "faster");
    assert_eq!(swapped["p_value"], v["p_value"]);
    assert!(close(&swapped["ratio"], 0.5), "{swapped}");
}

#[test]
fn identical_runs_show_no_clear_difference() {
    let dir = tempfile::tempdir().unwrap();
    let a = bench_report(dir.path(), "a", &spread(1.0, 200, 3), &[]);
    let b = bench_report(dir.path(), "b", &spread(1.0, 200, 4), &[]);
    let v = compare_json(&a, &b);
    assert_eq!(v["verdict"]["kind"], "no_clear_difference", "{v}");
    assert_eq!(v["verdict"]["why"], "not_significant");
    // The same latencies in another order (to the fake clock's rounding).
    assert!(v["p_value"].as_f64().unwrap() > 0.9, "{v}");
    let out = run_ok(piedge().arg("compare").arg(&a).arg(&b), "compare");
    let text = String::from_utf8(out.stdout).unwrap();
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with("No clear difference: the two runs' latencies overlap too much to tell them apart (p = ")
            && last.ends_with(" is not below 0.05)."),
        "{text}"
    );
}

#[test]
fn the_old_lessons_csv_files_compare_too() {
    let dir = tempfile::tempdir().unwrap();
    let csv = |name: &str, xs: &[f64]| {
        let path = dir.path().join(name);
        std::fs::write(&path, piedge::report::latency_csv(xs)).unwrap();
        path
    };
    let a = csv("a.csv", &spread(3.0, 50, 5));
    let b = csv("b.csv", &spread(2.4, 50, 6));
    let v = compare_json(&a, &b);
    assert_eq!(v["verdict"]["kind"], "faster");
    assert!(close(&v["a"]["median_ms"], 3.0), "{v}");
    assert!(close(&v["ratio"], 0.8), "{v}");
    // A pandas CSV with its index column, and a JSON report, side by side.
    let pandas = dir.path().join("pandas.csv");
    let rows: String = spread(2.4, 50, 7)
        .iter()
        .enumerate()
        .map(|(i, x)| format!("{i},{i},{x}\n"))
        .collect();
    std::fs::write(&pandas, format!(",run,latency_ms\n{rows}")).unwrap();
    let json = bench_report(dir.path(), "json", &spread(3.0, 50, 8), &[]);
    assert_eq!(compare_json(&json, &pandas)["verdict"]["kind"], "faster");
    let out = run_ok(piedge().arg("compare").arg(&a).arg(&pandas), "compare");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!("  {}\n", a.display())), "{text}");
}

#[test]
fn runs_that_cannot_be_compared_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let a = bench_report(dir.path(), "a", &spread(1.0, 100, 9), &[]);
    let few = bench_report(dir.path(), "few", &[1.0, 1.1, 1.2, 1.3, 1.4], &[]);
    let v = compare_json(&a, &few);
    assert_eq!(v["verdict"]["kind"], "cannot_decide");
    assert_eq!(v["verdict"]["reasons"][0]["kind"], "too_few_runs");
    assert_eq!(v["verdict"]["reasons"][0]["run"], "b");
    assert_eq!(v["verdict"]["reasons"][0]["n"], 5);

    // A run the lab timed in batches (coarse timer) and a disturbed one, as
    // their reports record it.
    let mut report = read_json(&a);
    report["benchmark_config"]["inferences_per_sample"] = 4.into();
    report["system_info"]["extra"]["disturbed_tab_hidden"] = "true".into();
    let odd = dir.path().join("batched.json");
    std::fs::write(&odd, serde_json::to_vec(&report).unwrap()).unwrap();
    let v = compare_json(&odd, &a);
    let kinds: Vec<&str> = v["verdict"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["batched", "disturbed"], "{v}");
    let out = run_ok(piedge().arg("compare").arg(&odd).arg(&a), "compare");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "Cannot decide: A was timed 4 inferences at a time (its timer was too coarse for one)"
        ),
        "{text}"
    );
}

#[test]
fn bad_files_get_one_line_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.csv");
    std::fs::write(&good, piedge::report::latency_csv(&spread(1.0, 20, 10))).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let bundle = write("all.json", br#"{"piedge_lab_runs": 1, "runs": []}"#);
    let cases: Vec<(PathBuf, &str)> = vec![
        (dir.path().join("missing.json"), "does not exist"),
        (dir.path().to_path_buf(), "is a directory"),
        (write("empty.csv", b""), "is empty"),
        (
            write("broken.json", b"{\"raw_latencies\": [1, 2"),
            "not valid JSON",
        ),
        (
            write("words.csv", b"run,latency_ms\n0,fast\n"),
            "line 2: `fast` is not a number",
        ),
        (
            write("nan.json", br#"{"raw_latencies": [1, "NaN"]}"#),
            "raw_latencies[1]",
        ),
        (write("model.onnx", &[8, 0xff, 0x80, 1]), "not UTF-8 text"),
        (bundle, "holds 0 runs"),
    ];
    for (path, needle) in cases {
        let out = piedge()
            .arg("compare")
            .arg(&good)
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", path.display());
        assert!(stderr.contains(needle), "{}: {stderr}", path.display());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(out.stdout.is_empty());
    }
    // One file, or three, is a usage error (clap's, also exit code 2).
    piedge().arg("compare").arg(&good).assert().code(2);
}
