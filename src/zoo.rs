//! The bundled lesson models, written as ONNX protobuf by the project itself:
//! `tinycnn` (the network students build in lesson 01) and `mobilenetv2`
//! (the model the old benchmark lesson measured), both for a 3 × 64 × 64
//! input with a symbolic batch axis and 2 output classes, opset 17.
//!
//! Weights are seeded pseudo-random numbers: latency does not depend on what
//! a network has learned, only on its shape. BatchNorm is folded into the
//! convolutions' weights and biases, as exporters do for inference.

use crate::rng::SplitMix64;
use prost::Message;
use tract_onnx::pb;

/// The names `piedge models` writes, `<name>.onnx`.
pub const MODEL_NAMES: [&str; 2] = ["tinycnn", "mobilenetv2"];

/// The ONNX bytes of a bundled model, or `None` for an unknown name.
pub fn model_bytes(name: &str) -> Option<Vec<u8>> {
    let graph = match name {
        "tinycnn" => tinycnn(),
        "mobilenetv2" => mobilenetv2(),
        _ => return None,
    };
    Some(graph.into_model().encode_to_vec())
}

/// TinyCNN: Conv(3→16) → ReLU → MaxPool 2 → Conv(16→32) → ReLU → MaxPool 2
/// → Flatten → Gemm(32·16·16 → 2).
fn tinycnn() -> GraphBuilder {
    let mut g = GraphBuilder::new("tinycnn", 1, 2.0);
    let x = g.input.clone();
    let x = g.conv(&x, 3, 16, 3, 1, 1, "/conv1");
    let x = g.unary("Relu", &x, "/relu1");
    let x = g.max_pool(&x, 2, "/pool1");
    let x = g.conv(&x, 16, 32, 3, 1, 1, "/conv2");
    let x = g.unary("Relu", &x, "/relu2");
    let x = g.max_pool(&x, 2, "/pool2");
    let x = g.flatten(&x, "/flatten");
    let y = g.gemm(&x, 32 * 16 * 16, 2, "/fc");
    g.finish(&y);
    g
}

/// MobileNetV2, width 1.0: a 3×3 stride-2 stem, seventeen inverted residual
/// blocks (expand 1×1 → depthwise 3×3 → project 1×1, ReLU6 after the first
/// two, a skip connection when shapes allow), a 1×1 conv to 1280 channels,
/// global average pooling and a 2-class linear head.
fn mobilenetv2() -> GraphBuilder {
    // (expansion t, output channels c, repeats n, first stride s), the
    // standard configuration.
    const STAGES: [(usize, usize, usize, usize); 7] = [
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ];
    // He initialisation (gain 2) would be right for ReLU, but through 52
    // convolutions it makes float32 rounding differences between engines grow
    // to 1e-3. A trained network with folded BatchNorm is far better
    // conditioned; gain 0.72 gives the same kind of activations (order one,
    // ReLU6 rarely saturated) and engines agree to 1e-6.
    let mut g = GraphBuilder::new("mobilenetv2", 2, 0.72);
    let x = g.input.clone();
    let x = g.conv(&x, 3, 32, 3, 2, 1, "/features/0/conv");
    let mut x = g.relu6(&x, "/features/0/relu6");
    let mut channels = 32;
    let mut block = 1;
    for (t, c, n, s) in STAGES {
        for i in 0..n {
            let stride = if i == 0 { s } else { 1 };
            let p = format!("/features/{block}");
            let hidden = channels * t;
            let mut h = x.clone();
            if t != 1 {
                h = g.conv(&h, channels, hidden, 1, 1, 0, &format!("{p}/expand"));
                h = g.relu6(&h, &format!("{p}/expand_relu6"));
            }
            h = g.conv_grouped(
                &h,
                hidden,
                hidden,
                3,
                stride,
                1,
                hidden,
                &format!("{p}/depthwise"),
            );
            h = g.relu6(&h, &format!("{p}/depthwise_relu6"));
            h = g.conv(&h, hidden, c, 1, 1, 0, &format!("{p}/project"));
            x = if stride == 1 && channels == c {
                g.add(&x, &h, &format!("{p}/add"))
            } else {
                h
            };
            channels = c;
            block += 1;
        }
    }
    let x = g.conv(
        &x,
        channels,
        1280,
        1,
        1,
        0,
        &format!("/features/{block}/conv"),
    );
    let x = g.relu6(&x, &format!("/features/{block}/relu6"));
    let x = g.unary("GlobalAveragePool", &x, "/pool");
    let x = g.flatten(&x, "/flatten");
    let y = g.gemm(&x, 1280, 2, "/classifier");
    g.finish(&y);
    g
}

/// Builds a graph node by node, keeping names unique and weights seeded.
struct GraphBuilder {
    name: String,
    rng: SplitMix64,
    nodes: Vec<pb::NodeProto>,
    initializers: Vec<pb::TensorProto>,
    input: String,
    output: Option<String>,
    relu6_bounds: Option<(String, String)>,
    /// Variance gain of convolution weights: variance = gain / fan_in.
    conv_gain: f64,
}

const FLOAT: i32 = 1;

impl GraphBuilder {
    fn new(name: &str, seed: u64, conv_gain: f64) -> GraphBuilder {
        GraphBuilder {
            name: name.into(),
            rng: SplitMix64::new(seed),
            nodes: vec![],
            initializers: vec![],
            input: "input".into(),
            output: None,
            relu6_bounds: None,
            conv_gain,
        }
    }

    /// Uniform weights with variance `gain / fan_in`.
    fn weights(&mut self, name: &str, dims: &[i64], fan_in: usize, gain: f64) -> String {
        let n: i64 = dims.iter().product();
        let bound = (gain * 6.0 / fan_in as f64).sqrt();
        let values: Vec<f32> = (0..n)
            .map(|_| ((self.rng.next_f64() * 2.0 - 1.0) * bound) as f32)
            .collect();
        self.tensor(name, dims, &values)
    }

    fn tensor(&mut self, name: &str, dims: &[i64], values: &[f32]) -> String {
        self.initializers.push(pb::TensorProto {
            name: name.into(),
            dims: dims.to_vec(),
            data_type: FLOAT,
            raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
            ..Default::default()
        });
        name.into()
    }

    fn node(
        &mut self,
        op: &str,
        inputs: &[&str],
        name: &str,
        attributes: Vec<pb::AttributeProto>,
    ) -> String {
        let output = format!("{name}_output_0");
        self.nodes.push(pb::NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.clone()],
            name: name.into(),
            op_type: op.into(),
            attribute: attributes,
            ..Default::default()
        });
        output
    }

    #[allow(clippy::too_many_arguments)]
    fn conv(
        &mut self,
        x: &str,
        cin: usize,
        cout: usize,
        k: usize,
        stride: usize,
        pad: usize,
        name: &str,
    ) -> String {
        self.conv_grouped(x, cin, cout, k, stride, pad, 1, name)
    }

    #[allow(clippy::too_many_arguments)]
    fn conv_grouped(
        &mut self,
        x: &str,
        cin: usize,
        cout: usize,
        k: usize,
        stride: usize,
        pad: usize,
        group: usize,
        name: &str,
    ) -> String {
        let fan_in = cin / group * k * k;
        let (k, s, p) = (k as i64, stride as i64, pad as i64);
        let w = self.weights(
            &format!("{name}.weight"),
            &[cout as i64, (cin / group) as i64, k, k],
            fan_in,
            self.conv_gain,
        );
        let bias: Vec<f32> = (0..cout)
            .map(|_| (self.rng.next_f64() * 0.2 - 0.1) as f32)
            .collect();
        let b = self.tensor(&format!("{name}.bias"), &[cout as i64], &bias);
        let attrs = vec![
            ints("dilations", &[1, 1]),
            int("group", group as i64),
            ints("kernel_shape", &[k, k]),
            ints("pads", &[p, p, p, p]),
            ints("strides", &[s, s]),
        ];
        self.node("Conv", &[x, &w, &b], name, attrs)
    }

    fn unary(&mut self, op: &str, x: &str, name: &str) -> String {
        self.node(op, &[x], name, vec![])
    }

    /// ReLU6 as exporters write it for opset ≥ 11: Clip with min and max as
    /// scalar inputs, shared by every Clip in the graph.
    fn relu6(&mut self, x: &str, name: &str) -> String {
        let (lo, hi) = match &self.relu6_bounds {
            Some(b) => b.clone(),
            None => {
                let lo = self.tensor("relu6.min", &[], &[0.0]);
                let hi = self.tensor("relu6.max", &[], &[6.0]);
                self.relu6_bounds = Some((lo.clone(), hi.clone()));
                (lo, hi)
            }
        };
        self.node("Clip", &[x, &lo, &hi], name, vec![])
    }

    fn max_pool(&mut self, x: &str, k: i64, name: &str) -> String {
        self.node(
            "MaxPool",
            &[x],
            name,
            vec![ints("kernel_shape", &[k, k]), ints("strides", &[k, k])],
        )
    }

    fn flatten(&mut self, x: &str, name: &str) -> String {
        self.node("Flatten", &[x], name, vec![int("axis", 1)])
    }

    fn add(&mut self, a: &str, b: &str, name: &str) -> String {
        self.node("Add", &[a, b], name, vec![])
    }

    /// A linear layer as PyTorch exports it: Gemm with B transposed.
    fn gemm(&mut self, x: &str, fan_in: usize, out: usize, name: &str) -> String {
        let w = self.weights(
            &format!("{name}.weight"),
            &[out as i64, fan_in as i64],
            fan_in,
            1.0,
        );
        let bias: Vec<f32> = (0..out)
            .map(|_| (self.rng.next_f64() * 0.2 - 0.1) as f32)
            .collect();
        let b = self.tensor(&format!("{name}.bias"), &[out as i64], &bias);
        let attrs = vec![float("alpha", 1.0), float("beta", 1.0), int("transB", 1)];
        self.node("Gemm", &[x, &w, &b], name, attrs)
    }

    /// Renames the last node's output to `output`.
    fn finish(&mut self, y: &str) {
        let last = self.nodes.last_mut().expect("a graph has nodes");
        assert_eq!(last.output[0], y);
        last.output[0] = "output".into();
        self.output = Some("output".into());
    }

    fn into_model(self) -> pb::ModelProto {
        let value_info = |name: &str, dims: Vec<Dim>| pb::ValueInfoProto {
            name: name.into(),
            r#type: Some(pb::TypeProto {
                value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                    elem_type: FLOAT,
                    shape: Some(pb::TensorShapeProto {
                        dim: dims
                            .into_iter()
                            .map(|d| pb::tensor_shape_proto::Dimension {
                                value: Some(d),
                                ..Default::default()
                            })
                            .collect(),
                    }),
                })),
                ..Default::default()
            }),
            ..Default::default()
        };
        let batch = || Dim::DimParam("batch_size".into());
        let graph = pb::GraphProto {
            node: self.nodes,
            name: self.name.clone(),
            initializer: self.initializers,
            input: vec![value_info(
                &self.input,
                vec![
                    batch(),
                    Dim::DimValue(3),
                    Dim::DimValue(64),
                    Dim::DimValue(64),
                ],
            )],
            output: vec![value_info(
                self.output.as_deref().expect("finished"),
                vec![batch(), Dim::DimValue(2)],
            )],
            ..Default::default()
        };
        pb::ModelProto {
            ir_version: 8,
            opset_import: vec![pb::OperatorSetIdProto {
                domain: String::new(),
                version: 17,
            }],
            producer_name: "piedge-lab".into(),
            // The generator's own version: raise it when the models change on
            // purpose, so that the bytes only change with it.
            producer_version: "1".into(),
            doc_string: format!(
                "PiEdge Lab bundled lesson model '{}' (seeded weights, for latency only)",
                self.name
            ),
            graph: Some(graph),
            ..Default::default()
        }
    }
}

type Dim = pb::tensor_shape_proto::dimension::Value;

fn attribute(name: &str, kind: i32) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: kind,
        ..Default::default()
    }
}

fn int(name: &str, i: i64) -> pb::AttributeProto {
    pb::AttributeProto {
        i,
        ..attribute(name, 2)
    }
}

fn ints(name: &str, v: &[i64]) -> pb::AttributeProto {
    pb::AttributeProto {
        ints: v.to_vec(),
        ..attribute(name, 7)
    }
}

fn float(name: &str, f: f32) -> pb::AttributeProto {
    pb::AttributeProto {
        f,
        ..attribute(name, 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic() {
        for name in MODEL_NAMES {
            assert_eq!(model_bytes(name), model_bytes(name), "{name}");
        }
        assert!(model_bytes("resnet").is_none());
    }
}
