//! Helpers shared by the integration tests: the `piedge` command, temporary
//! directories, and small hand-built ONNX models for the error paths.

#![allow(dead_code)]

pub mod server;
pub mod shares;

use prost::Message;
use std::path::{Path, PathBuf};
use tract_onnx::pb;

pub fn piedge() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("piedge").expect("the piedge binary is built")
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A JSON file, parsed.
pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Runs `cmd` and requires success, saying `what` failed and why.
pub fn run_ok(cmd: &mut assert_cmd::Command, what: &str) -> std::process::Output {
    let out = cmd.output().expect("piedge runs");
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `cmd`, requires success, and returns its stdout as JSON.
pub fn json_stdout(cmd: &mut assert_cmd::Command, what: &str) -> serde_json::Value {
    serde_json::from_slice(&run_ok(cmd, what).stdout).expect("JSON on stdout")
}

pub fn bundled(name: &str) -> PathBuf {
    repo().join("static/models").join(format!("{name}.onnx"))
}

/// An ONNX value declaration: `dims` are numbers or, as strings, symbols.
pub fn value(name: &str, elem_type: i32, dims: &[&str]) -> pb::ValueInfoProto {
    use pb::tensor_shape_proto::dimension::Value as D;
    pb::ValueInfoProto {
        name: name.into(),
        r#type: Some(pb::TypeProto {
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type,
                shape: Some(pb::TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|d| pb::tensor_shape_proto::Dimension {
                            value: Some(match d.parse::<i64>() {
                                Ok(n) => D::DimValue(n),
                                Err(_) => D::DimParam(d.to_string()),
                            }),
                            ..Default::default()
                        })
                        .collect(),
                }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub fn node(op: &str, inputs: &[&str], output: &str) -> pb::NodeProto {
    pb::NodeProto {
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        name: output.into(),
        op_type: op.into(),
        ..Default::default()
    }
}

pub fn model(
    nodes: Vec<pb::NodeProto>,
    inputs: Vec<pb::ValueInfoProto>,
    outputs: Vec<pb::ValueInfoProto>,
) -> Vec<u8> {
    pb::ModelProto {
        ir_version: 8,
        opset_import: vec![pb::OperatorSetIdProto {
            domain: String::new(),
            version: 17,
        }],
        producer_name: "piedge-tests".into(),
        graph: Some(pb::GraphProto {
            node: nodes,
            name: "g".into(),
            input: inputs,
            output: outputs,
            ..Default::default()
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

pub const FLOAT: i32 = 1;
pub const INT64: i32 = 7;
pub const STRING: i32 = 8;

/// y = Relu(x) for x of the given dims.
pub fn relu_model(elem_type: i32, dims: &[&str]) -> Vec<u8> {
    model(
        vec![node("Relu", &["x"], "y")],
        vec![value("x", elem_type, dims)],
        vec![value("y", elem_type, dims)],
    )
}

/// y = a + b: a model with two inputs, which the lab refuses.
pub fn two_input_model() -> Vec<u8> {
    model(
        vec![node("Add", &["a", "b"], "y")],
        vec![
            value("a", FLOAT, &["1", "4"]),
            value("b", FLOAT, &["1", "4"]),
        ],
        vec![value("y", FLOAT, &["1", "4"])],
    )
}

/// A model using an operator tract does not know, `FancyOp`.
pub fn unsupported_op_model() -> Vec<u8> {
    model(
        vec![node("FancyOp", &["x"], "y")],
        vec![value("x", FLOAT, &["1", "4"])],
        vec![value("y", FLOAT, &["1", "4"])],
    )
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Linear-interpolated median, as numpy computes it.
pub fn median(xs: &[f64]) -> f64 {
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// x [1, 3] times w [4, 2]: the inner dimensions differ, so tract's shape
/// analysis stops at the MatMul named "product".
pub fn mismatched_matmul_model() -> Vec<u8> {
    let mut proto = pb::ModelProto::decode(
        model(
            vec![node("MatMul", &["x", "w"], "product")],
            vec![value("x", FLOAT, &["1", "3"])],
            vec![value("product", FLOAT, &["1", "2"])],
        )
        .as_slice(),
    )
    .expect("a model just encoded");
    proto
        .graph
        .as_mut()
        .expect("a graph")
        .initializer
        .push(pb::TensorProto {
            name: "w".into(),
            dims: vec![4, 2],
            data_type: FLOAT,
            float_data: vec![1.0; 8],
            ..Default::default()
        });
    proto.encode_to_vec()
}
