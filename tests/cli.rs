#![cfg(not(target_arch = "wasm32"))]
//! `piedge` as a user runs it: commands, files written, and what they say.

mod common;

use common::*;
use predicates::prelude::*;
use serde_json::Value;
use std::path::Path;

fn read_csv(path: &Path) -> Vec<(usize, f64)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("run,latency_ms"));
    lines
        .map(|l| {
            let (run, ms) = l.split_once(',').unwrap();
            (run.parse().unwrap(), ms.parse().unwrap())
        })
        .collect()
}

fn summary_value(text: &str, key: &str) -> f64 {
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(key))
        .unwrap_or_else(|| panic!("no {key}"));
    line.split(':').nth(1).unwrap().trim().parse().unwrap()
}

#[test]
fn bench_writes_the_four_reports_consistently() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    piedge()
        .args([
            "bench",
            "--fakedata",
            "--warmup",
            "2",
            "--runs",
            "20",
            "--providers",
            "CPUExecutionProvider",
        ])
        .arg("--model-path")
        .arg(bundled("tinycnn"))
        .arg("--output-dir")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("P95 latency:"));

    let rows = read_csv(&out.join("latency.csv"));
    assert_eq!(rows.len(), 20);
    assert!(rows
        .iter()
        .enumerate()
        .all(|(i, (run, ms))| *run == i && *ms > 0.0));
    let latencies: Vec<f64> = rows.iter().map(|r| r.1).collect();

    let summary = std::fs::read_to_string(out.join("latency_summary.txt")).unwrap();
    assert!(summary.starts_with("PiEdge EduKit - Latency Benchmark Results\n"));
    assert!(summary.contains(
        "  Model: tinycnn.onnx\n  Warmup runs: 2\n  Benchmark runs: 20\n  Batch size: 1\n"
    ));
    let last = summary.lines().last().unwrap();
    assert!(last.starts_with("median_ms: "), "{last}");
    assert_eq!(last, format!("median_ms: {:.3}", median(&latencies)));
    assert_eq!(
        summary_value(&summary, "Min:"),
        (latencies.iter().cloned().fold(f64::INFINITY, f64::min) * 1000.0).round() / 1000.0
    );

    let json = read_json(&out.join("latency_results.json"));
    let raw: Vec<f64> = json["raw_latencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(raw, latencies, "JSON and CSV hold the same runs");
    assert_eq!(json["warmup_latencies"].as_array().unwrap().len(), 2);
    assert_eq!(json["benchmark_config"]["warmup_runs"], 2);
    assert_eq!(json["benchmark_config"]["benchmark_runs"], 20);
    assert_eq!(json["benchmark_config"]["batch_size"], 1);
    assert!(json["benchmark_config"]["model_path"]
        .as_str()
        .unwrap()
        .ends_with("tinycnn.onnx"));
    let stats = &json["statistics"];
    assert_eq!(stats["p50"].as_f64().unwrap(), median(&latencies));
    let mean = latencies.iter().sum::<f64>() / 20.0;
    assert!((stats["mean"].as_f64().unwrap() - mean).abs() < 1e-9);
    for k in [
        "std", "min", "max", "p95", "p99", "cv", "outliers", "p50_ci95", "p95_ci95",
    ] {
        assert!(!stats[k].is_null(), "{k}");
    }
    assert_eq!(json["engine"]["name"], "tract");
    assert!(json["timer"]["min_step_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(json["system_info"]["runtime"], "native");
    assert_eq!(json["model"]["macs"], 6_504_448);

    let png = image::open(out.join("latency_plot.png")).unwrap();
    assert_eq!((png.width(), png.height()), (1600, 1100));
}

/// With the hidden fake clock every number is known in advance:
/// numpy: x = [1, 2, 3, 4, 10]; x.mean() = 4.0; x.std() = 3.1622776601683795;
/// np.percentile(x, [50, 95, 99]) = [3.0, 8.8, 9.76].
#[test]
fn fake_clock_makes_the_summary_exact() {
    let dir = tempfile::tempdir().unwrap();
    piedge()
        .args([
            "bench",
            "--fakedata",
            "--warmup",
            "1",
            "--runs",
            "5",
            "--debug-fake-latencies",
            "7,1,2,3,4,10",
        ])
        .arg("--model-path")
        .arg(bundled("tinycnn"))
        .arg("--output-dir")
        .arg(dir.path())
        .assert()
        .success();
    let csv = std::fs::read_to_string(dir.path().join("latency.csv")).unwrap();
    assert_eq!(csv, "run,latency_ms\n0,1.0\n1,2.0\n2,3.0\n3,4.0\n4,10.0\n");
    let s = std::fs::read_to_string(dir.path().join("latency_summary.txt")).unwrap();
    for line in [
        "  Mean: 4.000",
        "  Std:  3.162",
        "  Min:  1.000",
        "  Max:  10.000",
        "  P50:  3.000",
        "  P95:  8.800",
        "  P99:  9.760",
    ] {
        assert!(s.contains(&format!("{line}\n")), "missing {line:?} in\n{s}");
    }
    assert!(s.contains("  Outliers (Tukey 1.5 IQR): 1 of 5"));
    assert!(s.ends_with("median_ms: 3.000\n"));
    let json = read_json(&dir.path().join("latency_results.json"));
    assert_eq!(json["warmup_latencies"], serde_json::json!([7.0]));
    assert_eq!(json["statistics"]["std"], 3.1622776601683795);
}

#[test]
fn the_old_lesson_command_works_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    piedge()
        .current_dir(dir.path())
        .args(["--fakedata", "--model-path"])
        .arg(bundled("tinycnn"))
        .args([
            "--warmup",
            "3",
            "--runs",
            "10",
            "--providers",
            "CPUExecutionProvider",
        ])
        .assert()
        .success();
    for f in [
        "latency.csv",
        "latency_summary.txt",
        "latency_results.json",
        "latency_plot.png",
    ] {
        assert!(dir.path().join("reports").join(f).is_file(), "{f}");
    }
    assert_eq!(read_csv(&dir.path().join("reports/latency.csv")).len(), 10);
}

#[test]
fn defaults_are_the_old_tools() {
    let dir = tempfile::tempdir().unwrap();
    piedge()
        .current_dir(dir.path())
        .args(["bench", "--fakedata", "--model-path"])
        .arg(bundled("tinycnn"))
        .assert()
        .success();
    let json = read_json(&dir.path().join("reports/latency_results.json"));
    assert_eq!(json["benchmark_config"]["warmup_runs"], 1);
    assert_eq!(json["benchmark_config"]["benchmark_runs"], 3);
}

#[test]
fn options_reach_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let summary_copy = dir.path().join("copies/summary.txt");
    piedge()
        .args([
            "bench",
            "--fakedata",
            "--unoptimized",
            "--batch-size",
            "2",
            "--seed",
            "5",
            "--runs",
            "4",
        ])
        .args(["--percentiles", "nearest-rank", "--bins", "7", "--quiet"])
        .arg("--model-path")
        .arg(bundled("tinycnn"))
        .arg("--output-dir")
        .arg(dir.path())
        .arg("--save-summary-as")
        .arg(&summary_copy)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("median_ms: "));
    let json = read_json(&dir.path().join("latency_results.json"));
    assert_eq!(json["benchmark_config"]["plan"], "unoptimized");
    assert_eq!(json["benchmark_config"]["batch_size"], 2);
    assert_eq!(json["benchmark_config"]["seed"], 5);
    assert_eq!(json["statistics"]["percentile_method"], "nearest_rank");
    assert_eq!(
        json["model"]["input_shape"],
        serde_json::json!([2, 3, 64, 64])
    );
    assert_eq!(
        std::fs::read(&summary_copy).unwrap(),
        std::fs::read(dir.path().join("latency_summary.txt")).unwrap()
    );
}

#[test]
fn real_images_from_a_data_path() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for (split, class, n) in [("train", "cat", 1), ("val", "cat", 2), ("val", "dog", 3)] {
        let d = data.join(split).join(class);
        std::fs::create_dir_all(&d).unwrap();
        for i in 0..n {
            let img = image::RgbImage::from_fn(80, 60, |x, y| {
                image::Rgb([(x * 3) as u8, (y * 4) as u8, (i * 40) as u8])
            });
            img.save(d.join(format!("{i}.png"))).unwrap();
        }
    }
    std::fs::write(data.join("val/dog/notes.txt"), "not an image").unwrap();
    piedge()
        .args(["bench", "--runs", "6", "--warmup", "0"])
        .arg("--model-path")
        .arg(bundled("tinycnn"))
        .arg("--data-path")
        .arg(&data)
        .arg("--output-dir")
        .arg(dir.path().join("out"))
        .assert()
        .success()
        .stdout(predicate::str::contains("(5)"));
    let json = read_json(&dir.path().join("out/latency_results.json"));
    assert_eq!(json["benchmark_config"]["input"], "images");
}

#[test]
fn info_prints_the_model_card() {
    piedge()
        .args(["info", "--model-path"])
        .arg(bundled("mobilenetv2"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "input: float32 [batch_size, 3, 64, 64]",
        ))
        .stdout(predicate::str::contains("Conv                        52"))
        .stdout(predicate::str::contains(
            "Multiply-accumulates per inference",
        ));
    let out = piedge()
        .args(["info", "--json", "--model-path"])
        .arg(bundled("tinycnn"))
        .output()
        .unwrap();
    let card: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(card["op_histogram"]["MaxPool"], 2);
    assert_eq!(
        card["parameters"],
        3 * 16 * 9 + 16 + 16 * 32 * 9 + 32 + 8192 * 2 + 2
    );
}

#[test]
fn predict_round_trips_through_npy() {
    let dir = tempfile::tempdir().unwrap();
    let (x, y1) = (dir.path().join("x.npy"), dir.path().join("y1.npy"));
    piedge()
        .args(["predict", "--fakedata", "--seed", "3", "--model-path"])
        .arg(bundled("tinycnn"))
        .arg("--save-input")
        .arg(&x)
        .arg("--save-output")
        .arg(&y1)
        .assert()
        .success()
        .stdout(predicate::str::contains("top class:"));
    let y2 = dir.path().join("y2.npy");
    piedge()
        .args(["predict", "--model-path"])
        .arg(bundled("tinycnn"))
        .arg("--input")
        .arg(&x)
        .arg("--save-output")
        .arg(&y2)
        .assert()
        .success();
    let a = piedge::npy::NpyArray::from_bytes(&std::fs::read(&y1).unwrap()).unwrap();
    let b = piedge::npy::NpyArray::from_bytes(&std::fs::read(&y2).unwrap()).unwrap();
    assert_eq!(a.shape, vec![1, 2]);
    assert_eq!(a, b, "the same input gives the same output");
    let input = piedge::npy::NpyArray::from_bytes(&std::fs::read(&x).unwrap()).unwrap();
    assert_eq!(input.shape, vec![1, 3, 64, 64]);
    assert!(input.data.iter().all(|v| (-1.0..1.0).contains(v)));
}

#[test]
fn models_regenerate_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    piedge()
        .args(["models", "--out-dir"])
        .arg(dir.path())
        .assert()
        .success();
    for name in ["tinycnn", "mobilenetv2"] {
        let fresh = std::fs::read(dir.path().join(format!("{name}.onnx"))).unwrap();
        let committed = std::fs::read(bundled(name)).unwrap();
        assert!(
            fresh == committed,
            "{name}.onnx differs from the committed file; run `piedge models`"
        );
    }
}

/// Runs `piedge` with `args`, expects exit code 2 and a one-line error that
/// contains `needle` and no panic or backtrace.
fn fails_with(args: &[&str], model: Option<&Path>, needle: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = piedge();
    cmd.current_dir(dir.path()).args(args);
    if let Some(m) = model {
        cmd.arg("--model-path").arg(m);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "exit code for {args:?}: stderr {stderr}"
    );
    assert!(
        stderr.contains(needle),
        "{args:?}: expected {needle:?} in {stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("reports").exists(),
        "no reports after a failure"
    );
}

#[test]
fn bad_input_gets_a_clear_error_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tiny = bundled("tinycnn");
    let bench = ["bench", "--fakedata"];
    fails_with(&bench, Some(&d.join("nope.onnx")), "does not exist");
    fails_with(&bench, Some(&write(d, "empty.onnx", b"")), "is empty");
    fails_with(
        &bench,
        Some(&write(d, "text.onnx", b"this is not a model at all")),
        "is not an ONNX model",
    );
    let png_header = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x02\0\0\0";
    fails_with(
        &bench,
        Some(&write(d, "picture.onnx", png_header)),
        "is not an ONNX model",
    );
    let full = std::fs::read(&tiny).unwrap();
    fails_with(
        &bench,
        Some(&write(d, "truncated.onnx", &full[..full.len() / 2])),
        "is not an ONNX model",
    );
    let two = two_input_model();
    fails_with(
        &bench,
        Some(&write(d, "two.onnx", &two)),
        "has 2 inputs ('a', 'b'); the lab benchmarks single-input models",
    );
    let unsupported = unsupported_op_model();
    fails_with(
        &bench,
        Some(&write(d, "fancy.onnx", &unsupported)),
        "uses operator FancyOp that tract does not support",
    );
    fails_with(
        &bench,
        Some(&write(d, "strings.onnx", &relu_model(STRING, &["1", "4"]))),
        "element type string",
    );
    fails_with(
        &bench,
        Some(&write(
            d,
            "free.onnx",
            &relu_model(FLOAT, &["1", "3", "height", "8"]),
        )),
        "free dimension 'height' at position 2",
    );
    fails_with(
        &bench,
        Some(&write(d, "zero.onnx", &relu_model(FLOAT, &["1", "0"]))),
        "zero-sized dimension",
    );
    fails_with(
        &["bench", "--fakedata", "--max-model-mb", "0"],
        Some(&tiny),
        "tinycnn.onnx is 0.1 MB, over the 0 MB limit for a model file; raise it with --max-model-mb",
    );
    fails_with(
        &["info", "--max-input-mb", "0"],
        Some(&tiny),
        "would need 49152 bytes, over the 0-byte budget",
    );
    fails_with(
        &["bench", "--fakedata", "--runs", "0"],
        Some(&tiny),
        "runs must be at least 1",
    );
    fails_with(
        &["bench", "--fakedata", "--warmup", "-1"],
        Some(&tiny),
        "-1 is negative",
    );
    fails_with(
        &["bench", "--fakedata", "--runs", "ten"],
        Some(&tiny),
        "'ten' is not a whole number",
    );
    fails_with(
        &[
            "bench",
            "--fakedata",
            "--providers",
            "CUDAExecutionProvider",
        ],
        Some(&tiny),
        "Available: CPUExecutionProvider",
    );
    fails_with(&["bench"], Some(&tiny), "--fakedata");
    fails_with(
        &["bench", "--data-path", "/nonexistent/images"],
        Some(&tiny),
        "is not a directory",
    );
    let blocker = write(d, "file", b"x");
    let under_file = blocker.join("reports");
    fails_with(
        &[
            "bench",
            "--fakedata",
            "--output-dir",
            under_file.to_str().unwrap(),
        ],
        Some(&tiny),
        "cannot create output directory",
    );
    fails_with(
        &["predict", "--input", d.join("none.npy").to_str().unwrap()],
        Some(&tiny),
        "does not exist",
    );
    let wrong_shape = piedge::npy::NpyArray::new(vec![1, 5], vec![0.0; 5]).to_bytes();
    fails_with(
        &[
            "predict",
            "--input",
            write(d, "w.npy", &wrong_shape).to_str().unwrap(),
        ],
        Some(&tiny),
        "expects [1, 3, 64, 64]",
    );
}

#[test]
fn integer_inputs_get_integer_fake_data() {
    let dir = tempfile::tempdir().unwrap();
    let m = write(dir.path(), "ints.onnx", &relu_model(INT64, &["batch", "6"]));
    piedge()
        .args(["bench", "--fakedata", "--runs", "2", "--model-path"])
        .arg(&m)
        .arg("--output-dir")
        .arg(dir.path().join("r"))
        .assert()
        .success();
}

#[test]
fn sample_env_records_temperature_and_clock_every_n_runs() {
    let dir = tempfile::tempdir().unwrap();
    piedge()
        .args([
            "bench",
            "--fakedata",
            "--warmup",
            "2",
            "--runs",
            "10",
            "--sample-env",
            "4",
            "--model-path",
        ])
        .arg(bundled("tinycnn"))
        .arg("--output-dir")
        .arg(dir.path())
        .assert()
        .success();
    let json = read_json(&dir.path().join("latency_results.json"));
    let samples = json["env_samples"].as_array().unwrap();
    let after: Vec<u64> = samples
        .iter()
        .map(|s| s["after_runs"].as_u64().unwrap())
        .collect();
    assert_eq!(after, vec![4, 8, 12]);
    // Readings this machine lacks are null ("unknown"), never invented.
    for s in samples {
        assert!(s["soc_temp_c"].is_null() || s["soc_temp_c"].as_f64().unwrap() > 0.0);
    }
    let sys = &json["system_info"];
    for key in [
        "cpu_freq_mhz",
        "soc_temp_before_c",
        "soc_temp_after_c",
        "throttled_before",
        "throttled_after",
    ] {
        assert!(sys.get(key).is_some(), "{key} is reported, known or null");
    }
    let summary = std::fs::read_to_string(dir.path().join("latency_summary.txt")).unwrap();
    assert!(summary.contains("During the run (3 samples):"));
    assert!(summary.contains("  soc_temp_before: "));
    fails_with(
        &["bench", "--fakedata", "--sample-env", "0"],
        Some(&bundled("tinycnn")),
        "must be at least 1",
    );
}

#[test]
fn profile_and_self_check_report_what_they_measured() {
    let out = piedge()
        .args(["profile", "--runs", "5", "--json", "--model-path"])
        .arg(bundled("tinycnn"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(p["kernels"], "piedge");
    let ops: Vec<&str> = p["ops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["op"].as_str().unwrap())
        .collect();
    // TinyCNN's pools are taken into the convolutions they follow.
    assert!(
        ops.contains(&"PiEdgeDirectConv") && !ops.contains(&"PiEdgeMaxPool"),
        "{ops:?}"
    );
    let shares: f64 = p["ops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["share"].as_f64().unwrap())
        .sum();
    assert!((shares - 1.0).abs() < 1e-9);

    piedge()
        .args(["self-check", "--cases", "10"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "ok: 10 depthwise convolutions, 10 dense convolutions, 10 pointwise convolutions, 10 fully connected layers and 10 max pools match",
        ));
}

#[test]
fn bench_records_whose_kernels_ran() {
    let dir = tempfile::tempdir().unwrap();
    for kernels in ["piedge", "tract"] {
        piedge()
            .args([
                "bench",
                "--fakedata",
                "--runs",
                "2",
                "--quiet",
                "--kernels",
                kernels,
                "--model-path",
            ])
            .arg(bundled("tinycnn"))
            .arg("--output-dir")
            .arg(dir.path())
            .assert()
            .success();
        let json = read_json(&dir.path().join("latency_results.json"));
        assert_eq!(json["engine"]["kernels"], kernels);
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // `piedge profile | head -0`: the reader is gone before piedge writes.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_piedge"))
        .args(["profile", "--runs", "1", "--model-path"])
        .arg(bundled("tinycnn"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn ctrl_c_stops_a_bench_writes_nothing_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    let tiny = bundled("tinycnn");
    piedge()
        .args([
            "bench",
            "--fakedata",
            "--runs",
            "5",
            "--quiet",
            "--model-path",
        ])
        .arg(&tiny)
        .arg("--output-dir")
        .arg(&reports)
        .assert()
        .success();
    let before: Vec<(std::path::PathBuf, Vec<u8>)> = std::fs::read_dir(&reports)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    assert_eq!(before.len(), 4);

    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("piedge"))
        .args([
            "bench",
            "--fakedata",
            "--runs",
            "10000000",
            "--quiet",
            "--model-path",
        ])
        .arg(&tiny)
        .arg("--output-dir")
        .arg(&reports)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.starts_with("interrupted after ")
            && stderr.contains("of 10000000 timed runs: no reports written"),
        "{stderr}"
    );
    let after: Vec<_> = std::fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(after.len(), 4, "no temporary files left: {after:?}");
    for (path, bytes) in before {
        assert!(
            std::fs::read(&path).unwrap() == bytes,
            "{} changed",
            path.display()
        );
    }
}

#[test]
fn input_shape_fixes_free_dimensions_and_must_fit_the_declared_ones() {
    let dir = tempfile::tempdir().unwrap();
    let free = write(
        dir.path(),
        "free.onnx",
        &relu_model(FLOAT, &["N", "3", "height", "width"]),
    );
    let json = json_stdout(
        piedge()
            .args([
                "predict",
                "--fakedata",
                "--json",
                "--input-shape",
                "1,3,5,7",
            ])
            .arg("--model-path")
            .arg(&free),
        "predict with --input-shape",
    );
    assert_eq!(json["outputs"][0]["shape"], serde_json::json!([1, 3, 5, 7]));
    // Without it, the message names the dimension and gives an example.
    fails_with(
        &["bench", "--fakedata"],
        Some(&free),
        "free dimension 'height' at position 2; only the batch (position 0) is fixed for you: give every size, e.g. --input-shape 1,3,224,224",
    );
    fails_with(
        &["info", "--input-shape", "1,4,5,7"],
        Some(&free),
        "is declared as [N, 3, height, width], which the input shape [1, 4, 5, 7] does not fit",
    );
    fails_with(
        &["info", "--input-shape", "1,3,0,7"],
        Some(&free),
        "every size must be at least 1",
    );
}

/// A model tract cannot analyse: the first line says where and what to
/// try, in words; tract's reasoning comes only with --verbose.
#[test]
fn analysis_failures_name_the_layer_and_keep_tracts_words_for_verbose() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "clash.onnx", &mismatched_matmul_model());
    let out = piedge()
        .args(["info", "--model-path"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stderr).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.starts_with(
            "error: clash.onnx: tract cannot work out the tensor shapes at layer MatMul 'product': "
        ),
        "{text}"
    );
    assert!(
        text.contains("(--verbose shows tract's own explanation)"),
        "{text}"
    );
    assert!(!text.contains("Infering facts"), "{text}");
    let verbose = piedge()
        .args(["info", "--verbose", "--model-path"])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8(verbose.stderr).unwrap();
    assert!(
        text.lines().nth(1).unwrap().starts_with("tract says: "),
        "{text}"
    );
    assert!(text.contains("Failed analyse for node"), "{text}");
}

/// `--threads N`: the reports and the summary say how many threads ran, the
/// output does not depend on it, and a count outside 1..=64 is a one-line
/// error before any work.
#[test]
fn threads_reach_the_reports_and_leave_outputs_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    for (threads, out) in [("1", "one"), ("2", "two")] {
        let out = dir.path().join(out);
        let printed = piedge()
            .args(["bench", "--fakedata", "--runs", "3", "--threads", threads])
            .arg("--model-path")
            .arg(bundled("mobilenetv2"))
            .arg("--output-dir")
            .arg(&out)
            .output()
            .unwrap();
        assert!(printed.status.success());
        let stdout = String::from_utf8_lossy(&printed.stdout);
        let said = if threads == "1" {
            "1 thread..."
        } else {
            "2 threads..."
        };
        assert!(stdout.contains(said), "{stdout}");
        let json = read_json(&out.join("latency_results.json"));
        assert_eq!(
            json["benchmark_config"]["threads"],
            threads.parse::<u64>().unwrap()
        );
        let host = json["host"].as_str().unwrap();
        assert_eq!(host.contains("2 threads"), threads == "2", "{host}");
        let summary = std::fs::read_to_string(out.join("latency_summary.txt")).unwrap();
        assert!(
            summary.contains(&format!("\n  Threads: {threads}\n")),
            "{summary}"
        );
    }

    let outputs: Vec<_> = ["1", "2"]
        .iter()
        .map(|threads| {
            let y = dir.path().join(format!("y{threads}.npy"));
            piedge()
                .args([
                    "predict",
                    "--fakedata",
                    "--threads",
                    threads,
                    "--model-path",
                ])
                .arg(bundled("mobilenetv2"))
                .arg("--save-output")
                .arg(&y)
                .assert()
                .success();
            piedge::npy::NpyArray::from_bytes(&std::fs::read(&y).unwrap()).unwrap()
        })
        .collect();
    assert_eq!(outputs[0], outputs[1], "the same numbers on two threads");

    let profile = piedge()
        .args([
            "profile",
            "--runs",
            "2",
            "--json",
            "--threads",
            "2",
            "--model-path",
        ])
        .arg(bundled("tinycnn"))
        .output()
        .unwrap();
    assert!(profile.status.success());
    let p: Value = serde_json::from_slice(&profile.stdout).unwrap();
    assert_eq!(p["threads"], 2);

    let tiny = bundled("tinycnn");
    for bad in ["0", "65"] {
        fails_with(
            &["bench", "--fakedata", "--threads", bad],
            Some(&tiny),
            "give 1 to 64",
        );
    }
}
