//! The model card: what a model is, in numbers a student can reason about
//! (inputs, outputs, operators, parameters, multiply–accumulates). Computed
//! by `model::load` from the ONNX file; kept free of tract so the user
//! interface can show it without linking an inference engine.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// A graph input or output as the file declares it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TensorInfo {
    pub name: String,
    /// numpy-style element type name: "float32", "int64", ...
    pub element_type: String,
    /// Dimensions as declared: numbers, or names for symbolic dimensions
    /// ("batch_size"), or "?" when the file says nothing.
    pub shape: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    pub name: String,
    pub size_bytes: u64,
    pub producer: String,
    pub ir_version: i64,
    pub opset: i64,
    pub inputs: Vec<TensorInfo>,
    pub outputs: Vec<TensorInfo>,
    /// The input shape the benchmark uses, symbolic batch resolved.
    pub fixed_input_shape: Vec<usize>,
    pub node_count: usize,
    /// How many nodes of each operator type, by ONNX name.
    pub op_histogram: BTreeMap<String, usize>,
    /// Numbers stored in the file's weights (initializers and constants).
    pub parameters: u64,
    /// Estimated multiply–accumulates per inference, from Conv and
    /// MatMul/Gemm nodes, at the fixed input shape.
    pub macs: u64,
}

impl ModelCard {
    /// A plain-text card, as `piedge info` prints it.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        macro_rules! w {
            ($($arg:tt)*) => {{ let _ = writeln!(s, $($arg)*); }};
        }
        w!("Model: {}", self.name);
        w!(
            "  File size: {} ({} bytes)",
            human_bytes(self.size_bytes),
            self.size_bytes
        );
        if !self.producer.is_empty() {
            w!("  Producer: {}", self.producer);
        }
        w!(
            "  ONNX IR version {}, opset {}",
            self.ir_version,
            self.opset
        );
        w!("Inputs:");
        for t in &self.inputs {
            w!("  {}: {} [{}]", t.name, t.element_type, t.shape.join(", "));
        }
        w!("  benchmarked as {:?}", self.fixed_input_shape);
        w!("Outputs:");
        for t in &self.outputs {
            w!("  {}: {} [{}]", t.name, t.element_type, t.shape.join(", "));
        }
        w!("Graph: {} nodes", self.node_count);
        let mut ops: Vec<_> = self.op_histogram.iter().collect();
        ops.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (op, n) in ops {
            w!("  {op:<24} {n:>5}");
        }
        w!(
            "Parameters: {} ({})",
            self.parameters,
            human_count(self.parameters)
        );
        w!(
            "Multiply-accumulates per inference: {} ({})",
            self.macs,
            human_count(self.macs)
        );
        s
    }
}

/// ONNX's `TensorProto.DataType` numbers as numpy names.
pub fn onnx_type_name(code: i32) -> &'static str {
    match code {
        1 => "float32",
        2 => "uint8",
        3 => "int8",
        4 => "uint16",
        5 => "int16",
        6 => "int32",
        7 => "int64",
        8 => "string",
        9 => "bool",
        10 => "float16",
        11 => "float64",
        12 => "uint32",
        13 => "uint64",
        14 => "complex64",
        15 => "complex128",
        16 => "bfloat16",
        _ => "unknown",
    }
}

pub fn human_bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        _ => format!("{:.2} MB", n as f64 / 1e6),
    }
}

pub fn human_count(n: u64) -> String {
    match n {
        0..1_000 => format!("{n}"),
        1_000..1_000_000 => format!("{:.1} k", n as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.2} M", n as f64 / 1e6),
        _ => format!("{:.2} G", n as f64 / 1e9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(45_300), "45.3 kB");
        assert_eq!(human_bytes(8_900_000), "8.90 MB");
        assert_eq!(human_count(6_100_000), "6.10 M");
        assert_eq!(human_count(2_000), "2.0 k");
    }

    #[test]
    fn text_lists_ops_most_frequent_first() {
        let card = ModelCard {
            name: "m.onnx".into(),
            size_bytes: 10,
            producer: "piedge 1".into(),
            ir_version: 8,
            opset: 17,
            inputs: vec![TensorInfo {
                name: "input".into(),
                element_type: "float32".into(),
                shape: vec!["batch_size".into(), "3".into()],
            }],
            outputs: vec![],
            fixed_input_shape: vec![1, 3],
            node_count: 3,
            op_histogram: [("Relu".to_string(), 1), ("Conv".to_string(), 2)]
                .into_iter()
                .collect(),
            parameters: 1234,
            macs: 5_000_000,
        };
        let t = card.to_text();
        assert!(t.contains("input: float32 [batch_size, 3]"));
        assert!(t.find("Conv").unwrap() < t.find("Relu").unwrap());
        assert!(t.contains("Multiply-accumulates per inference: 5000000 (5.00 M)"));
    }
}
