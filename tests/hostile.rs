#![cfg(not(target_arch = "wasm32"))]
//! The hostile-input corpus: files a student might drop into the lab or
//! hand to `piedge`, each with the error it must get. The files live in
//! `tests/hostile/` so the browser test (`tests/e2e/`) drops the very same
//! bytes; `tests/hostile/expected.json` says what each must produce, in both.
//! This test rebuilds every file from its recipe, checks the committed copy
//! is current (`PIEDGE_WRITE_HOSTILE=1` rewrites them), and runs the CLI on
//! the model files.
//!
//! `tests/hostile/shares/` holds what a student might send the classroom
//! server as a shared run (recipes and expected answers in
//! `common/shares.rs`): checked here by the board's own parser,
//! posted to the real server by `tests/board.rs`, and the share fuzzer's
//! seeds.

mod common;

use common::*;
use serde_json::Value;

/// Files small enough to commit, from their recipes.
fn corpus() -> Vec<(&'static str, Vec<u8>)> {
    let tiny = std::fs::read(bundled("tinycnn")).unwrap();
    let mut rng = piedge::rng::SplitMix64::new(6);
    let random: Vec<u8> = (0..4096).map(|_| rng.next_u64() as u8).collect();
    let mut png = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_fn(8, 8, |x, y| {
        image::Rgb([(x * 32) as u8, (y * 32) as u8, 128])
    })
    .write_to(&mut png, image::ImageOutputFormat::Png)
    .unwrap();
    let zero_stride = model(
        vec![pb_node_with_ints(
            "MaxPool",
            "x",
            "y",
            &[("kernel_shape", &[2, 2]), ("strides", &[1, 0])],
        )],
        vec![value("x", FLOAT, &["1", "1", "4", "4"])],
        vec![value("y", FLOAT, &["1", "1", "3", "3"])],
    );
    let undefined_output = model(
        vec![node("Relu", &["x"], "y")],
        vec![value("x", FLOAT, &["1", "4"])],
        vec![value("z", FLOAT, &["1", "4"])],
    );
    let weights_elsewhere = {
        use prost::Message;
        let mut proto = tract_onnx::pb::ModelProto::decode(
            model(
                vec![node("Add", &["x", "w"], "y")],
                vec![value("x", FLOAT, &["1", "4"])],
                vec![value("y", FLOAT, &["1", "4"])],
            )
            .as_slice(),
        )
        .unwrap();
        let entry = |k: &str, v: &str| tract_onnx::pb::StringStringEntryProto {
            key: k.into(),
            value: v.into(),
        };
        proto
            .graph
            .as_mut()
            .unwrap()
            .initializer
            .push(tract_onnx::pb::TensorProto {
                name: "w".into(),
                dims: vec![4],
                data_type: FLOAT,
                data_location: Some(1),
                external_data: vec![entry("location", "../weights.bin"), entry("length", "16")],
                ..Default::default()
            });
        proto.encode_to_vec()
    };
    vec![
        ("empty.onnx", vec![]),
        ("random-bytes.onnx", random),
        ("truncated.onnx", tiny[..tiny.len() / 2].to_vec()),
        ("picture.onnx", png.into_inner()),
        ("unsupported-op.onnx", unsupported_op_model()),
        ("two-inputs.onnx", two_input_model()),
        ("int64-input.onnx", relu_model(INT64, &["1", "4"])),
        ("zero-sized.onnx", relu_model(FLOAT, &["1", "0", "4"])),
        (
            "huge-input.onnx",
            relu_model(FLOAT, &["1", "3", "100000", "100000"]),
        ),
        ("zero-stride.onnx", zero_stride),
        (
            "free-dims.onnx",
            relu_model(FLOAT, &["N", "3", "height", "width"]),
        ),
        ("weights-elsewhere.onnx", weights_elsewhere),
        ("clash.onnx", mismatched_matmul_model()),
        ("undefined-output.onnx", undefined_output),
        // Found by the fuzzer: a shape of [1073741826, 4] for ConstantOfShape,
        // which tract filled (17 GB) while analysing the model.
        (
            "huge-constant.onnx",
            std::fs::read(repo().join("tests/fuzz/regressions/onnx/huge-constant.onnx")).unwrap(),
        ),
        ("nan.csv", b"run,latency_ms\n0,1.25\n1,NaN\n".to_vec()),
        ("inf.csv", b"run,latency_ms\n0,inf\n".to_vec()),
        ("no-latency-column.csv", b"run,time\n0,1.0\n".to_vec()),
        (
            "picture.csv",
            std::fs::read(repo().join("static/favicon.svg")).unwrap(),
        ),
    ]
}

fn pb_node_with_ints(
    op: &str,
    input: &str,
    output: &str,
    ints: &[(&str, &[i64])],
) -> tract_onnx::pb::NodeProto {
    let mut n = node(op, &[input], output);
    n.attribute = ints
        .iter()
        .map(|(name, values)| tract_onnx::pb::AttributeProto {
            name: name.to_string(),
            r#type: 7, // INTS
            ints: values.to_vec(),
            ..Default::default()
        })
        .collect();
    n
}

fn expected() -> Vec<Value> {
    let text = std::fs::read_to_string(repo().join("tests/hostile/expected.json")).unwrap();
    serde_json::from_str::<Value>(&text).unwrap()["files"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn the_committed_corpus_is_current() {
    let dir = repo().join("tests/hostile");
    let rewrite = std::env::var_os("PIEDGE_WRITE_HOSTILE").is_some();
    let listed: Vec<String> = expected()
        .iter()
        .map(|e| e["file"].as_str().unwrap().to_string())
        .collect();
    for (name, bytes) in corpus() {
        let path = dir.join(name);
        if rewrite {
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed = std::fs::read(&path).unwrap_or_else(|_| panic!("{name} is missing"));
        assert!(
            committed == bytes,
            "{name} differs from its recipe; PIEDGE_WRITE_HOSTILE=1 rewrites it"
        );
        assert!(
            listed.contains(&name.to_string()),
            "{name} has no expectation"
        );
    }
}

#[test]
fn every_model_gets_its_own_error_from_the_cli() {
    let dir = repo().join("tests/hostile");
    let mut tried = 0;
    for e in expected() {
        let file = e["file"].as_str().unwrap();
        if !file.ends_with(".onnx") {
            continue;
        }
        let out = tempfile::tempdir().unwrap();
        let result = piedge()
            .args([
                "bench",
                "--fakedata",
                "--warmup",
                "0",
                "--runs",
                "2",
                "--quiet",
                "--model-path",
            ])
            .arg(dir.join(file))
            .arg("--output-dir")
            .arg(out.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        match e["error"].as_str() {
            Some(needle) => {
                assert_eq!(result.status.code(), Some(2), "{file}: {stderr}");
                assert!(
                    stderr.contains(needle),
                    "{file}: expected {needle:?} in {stderr}"
                );
                assert_eq!(
                    stderr.trim().lines().count(),
                    1,
                    "{file}: one line: {stderr}"
                );
                assert!(
                    !out.path().join("latency.csv").exists(),
                    "{file}: no report"
                );
            }
            None => {
                assert!(result.status.success(), "{file} should run: {stderr}");
                assert!(out.path().join("latency.csv").exists());
            }
        }
        tried += 1;
    }
    assert!(tried >= 10, "only {tried} model files tried");
}

#[test]
fn the_committed_share_corpus_is_current() {
    let dir = repo().join("tests/hostile/shares");
    let rewrite = std::env::var_os("PIEDGE_WRITE_HOSTILE").is_some();
    if rewrite {
        std::fs::create_dir_all(&dir).unwrap();
    }
    let corpus = common::shares::corpus();
    for h in &corpus {
        let path = dir.join(h.file);
        if rewrite {
            std::fs::write(&path, &h.body).unwrap();
        }
        let committed = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("shares/{} is missing", h.file));
        assert!(
            committed == h.body,
            "shares/{} differs from its recipe; PIEDGE_WRITE_HOSTILE=1 rewrites it",
            h.file
        );
    }
    let files = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(files, corpus.len(), "every file in shares/ has a recipe");
}

#[test]
fn every_hostile_share_is_refused_with_its_reason_or_kept_as_a_students() {
    for h in common::shares::corpus() {
        let started = std::time::Instant::now();
        match piedge::board::ShareRequest::parse(h.body.as_bytes()) {
            Ok(run) => {
                assert_eq!(h.status, 201, "{}: kept", h.file);
                assert_eq!(run.origin, piedge::board::Origin::Student, "{}", h.file);
                assert_eq!(
                    run.report.statistics.bootstrap_resamples,
                    piedge::limits::SHARE_BOOTSTRAP_RESAMPLES,
                    "{}",
                    h.file
                );
            }
            Err(e) => {
                let json: Value = serde_json::from_slice(&e.to_json()).unwrap();
                assert_eq!(
                    (e.status(), json["error"].as_str().unwrap()),
                    (h.status, h.error),
                    "{}: {e}",
                    h.file
                );
            }
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{}: checked in {:?}",
            h.file,
            started.elapsed()
        );
    }
}
