#![cfg(not(target_arch = "wasm32"))]
//! The models students bring, made by the real tools (`tests/compat/`, from
//! scripts/make-compat-corpus): PyTorch's current and older exporters with
//! static and dynamic batch, external weights, onnx shape inference,
//! onnxsim and onnxruntime's three quantized forms. Each must work in
//! `piedge info`, `predict` and `bench` as a student runs them, and
//! `predict` must agree with what onnxruntime computed for the same input.

mod common;

use common::*;
use piedge::npy::NpyArray;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    repo().join("tests/compat")
}

fn manifest() -> Value {
    read_json(&corpus().join("manifest.json"))
}

fn read_npy(path: &Path) -> NpyArray {
    NpyArray::from_bytes(&std::fs::read(path).unwrap()).unwrap()
}

/// How far piedge may be from onnxruntime on `entry`.
///
/// Float models: 1e-4, the project's tolerance everywhere, or a thousandth
/// of the output's largest magnitude where the logits are much smaller than
/// 1 (tract and onnxruntime only sum in different orders).
///
/// Quantized models whose output is dequantized from int8: two steps of the
/// output's scale. Every int8 value is rounded once; a value that lands
/// within float error of a rounding boundary may round the other way in one
/// implementation, which moves it by one step, and such a flip in the last
/// layers can move an output by one more.
///
/// Dynamically quantized models (float output, activations quantized at run
/// time from their own range): 2 % of the output's largest magnitude. The
/// activation scale is range/255, so one rounding flip in an activation
/// changes a product by at most scale × |weight|; summed over the few flips
/// a layer sees, that is a small fraction of the output's range.
fn tolerance(entry: &Value, expected: &[f32]) -> f64 {
    let largest = expected.iter().fold(0.0f64, |m, v| m.max(v.abs() as f64));
    if let Some(t) = entry["tolerance"].as_f64() {
        return t.min(1e-3 * largest);
    }
    if let Some(scale) = entry["output_scale"].as_f64() {
        return 2.0 * scale + 1e-6;
    }
    0.02 * largest
}

fn model_path(entry: &Value) -> PathBuf {
    corpus().join(entry["file"].as_str().unwrap())
}

#[test]
fn every_corpus_model_predicts_what_onnxruntime_computes() {
    let m = manifest();
    let dir = tempfile::tempdir().unwrap();
    let input = corpus().join(m["input"].as_str().unwrap());
    let mut report = vec![];
    for entry in m["models"].as_array().unwrap() {
        let name = entry["file"].as_str().unwrap();
        let out = dir.path().join(format!("{name}.npy"));
        run_ok(
            piedge()
                .arg("predict")
                .arg("--model-path")
                .arg(model_path(entry))
                .arg("--input")
                .arg(&input)
                .arg("--save-output")
                .arg(&out),
            name,
        );
        let expected = read_npy(&corpus().join(entry["expected"].as_str().unwrap()));
        let got = read_npy(&out);
        assert_eq!(got.shape, expected.shape, "{name}");
        let diff = got
            .data
            .iter()
            .zip(&expected.data)
            .map(|(a, b)| (a - b).abs() as f64)
            .fold(0.0, f64::max);
        let allowed = tolerance(entry, &expected.data);
        report.push(format!(
            "{name}: max |piedge - onnxruntime| = {diff:.2e} (allowed {allowed:.1e})"
        ));
        assert!(diff <= allowed, "{}", report.last().unwrap());
    }
    // The closing note's table comes from here: cargo test --test compat -- --nocapture
    println!("{}", report.join("\n"));
}

#[test]
fn every_corpus_model_shows_its_card() {
    for entry in manifest()["models"].as_array().unwrap() {
        let name = entry["file"].as_str().unwrap();
        let card = json_stdout(
            piedge()
                .args(["info", "--json", "--model-path"])
                .arg(model_path(entry)),
            name,
        );
        assert_eq!(
            card["fixed_input_shape"],
            serde_json::json!([1, 3, 64, 64]),
            "{name}"
        );
        assert!(card["parameters"].as_u64().unwrap() > 1000, "{name}");
        // The card counts the weight file too: it is part of what the student brought.
        let on_disk: u64 = std::iter::once(entry["file"].as_str().unwrap())
            .chain(
                entry["data_files"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_str().unwrap()),
            )
            .map(|f| std::fs::metadata(corpus().join(f)).unwrap().len())
            .sum();
        assert_eq!(card["size_bytes"].as_u64(), Some(on_disk), "{name}");
    }
}

#[test]
fn every_corpus_model_benchmarks_and_batches() {
    let dir = tempfile::tempdir().unwrap();
    for entry in manifest()["models"].as_array().unwrap() {
        let name = entry["file"].as_str().unwrap();
        let dynamic = entry["input_shape"][0].is_string();
        let out = dir.path().join(name);
        let batch = if dynamic { "2" } else { "1" };
        run_ok(
            piedge()
                .args([
                    "bench",
                    "--fakedata",
                    "--warmup",
                    "1",
                    "--runs",
                    "3",
                    "--quiet",
                ])
                .args(["--batch-size", batch, "--model-path"])
                .arg(model_path(entry))
                .arg("--output-dir")
                .arg(&out),
            name,
        );
        let json = read_json(&out.join("latency_results.json"));
        assert_eq!(json["raw_latencies"].as_array().unwrap().len(), 3, "{name}");
        // A dynamic batch really is the batch asked for, in the whole graph.
        assert_eq!(
            json["benchmark_config"]["batch_size"],
            batch.parse::<u64>().unwrap(),
            "{name}"
        );
    }
}

/// The external weights are read from beside the model, and only from there.
#[test]
fn weight_files_must_be_beside_the_model_and_inside_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let model = "resnet18-dynamo.onnx";
    std::fs::copy(corpus().join(model), dir.path().join(model)).unwrap();
    let err = |path: &Path| {
        let out = piedge()
            .args(["info", "--model-path"])
            .arg(path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let text = String::from_utf8(out.stderr).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        text
    };
    let missing = err(&dir.path().join(model));
    assert!(
        missing.contains(
            "keeps its weights in a second file, resnet18-dynamo.onnx.data, which is not in"
        ),
        "{missing}"
    );
    // A data file that leaks out of the folder through a link is refused.
    let outside = tempfile::tempdir().unwrap();
    let data = outside.path().join("resnet18-dynamo.onnx.data");
    std::fs::copy(corpus().join("resnet18-dynamo.onnx.data"), &data).unwrap();
    std::os::unix::fs::symlink(&data, dir.path().join("resnet18-dynamo.onnx.data")).unwrap();
    let link = err(&dir.path().join(model));
    assert!(link.contains("leads out of the model's folder"), "{link}");
    // Within the size limit counted over both files.
    std::fs::remove_file(dir.path().join("resnet18-dynamo.onnx.data")).unwrap();
    std::fs::copy(&data, dir.path().join("resnet18-dynamo.onnx.data")).unwrap();
    let big = piedge()
        .args(["info", "--max-model-mb", "0", "--model-path"])
        .arg(dir.path().join(model))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&big.stderr).contains("--max-model-mb"));
    piedge()
        .args(["info", "--model-path"])
        .arg(dir.path().join(model))
        .assert()
        .success();
}

/// A location that climbs out of the folder never reaches the file system.
#[test]
fn a_weight_location_outside_the_folder_is_refused() {
    use prost::Message;
    let bytes = std::fs::read(corpus().join("resnet18-dynamo.onnx")).unwrap();
    let mut proto = tract_onnx::pb::ModelProto::decode(bytes.as_slice()).unwrap();
    for t in &mut proto.graph.as_mut().unwrap().initializer {
        for e in &mut t.external_data {
            if e.key == "location" {
                e.value = "../secret.data".into();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sneaky.onnx");
    std::fs::write(&path, proto.encode_to_vec()).unwrap();
    let out = piedge()
        .args(["info", "--model-path"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stderr).unwrap();
    assert!(
        text.contains("'../secret.data', outside the model's folder"),
        "{text}"
    );
}

/// The shortest reproduction of the dynamic-batch failure needs no PyTorch:
/// the bundled model with every intermediate shape recorded by onnx's
/// shape inference, as `batch_size` (made by tests/python/test_crosscheck.py
/// with the real onnx package too; here the recorded shapes are written by
/// hand so the native suite needs no Python).
#[test]
fn recorded_symbolic_shapes_do_not_stop_the_analysis() {
    let m = corpus().join("mobilenetv2-shape-inferred.onnx");
    use prost::Message;
    let proto = tract_onnx::pb::ModelProto::decode(std::fs::read(&m).unwrap().as_slice()).unwrap();
    let symbolic = proto
        .graph
        .as_ref()
        .unwrap()
        .value_info
        .iter()
        .filter(|v| format!("{v:?}").contains("batch_size"))
        .count();
    assert!(
        symbolic > 50,
        "only {symbolic} recorded shapes name the batch"
    );
    piedge()
        .args([
            "bench",
            "--fakedata",
            "--runs",
            "2",
            "--batch-size",
            "3",
            "--quiet",
            "--model-path",
        ])
        .arg(&m)
        .arg("--output-dir")
        .arg(tempfile::tempdir().unwrap().path())
        .assert()
        .success();
}
