//! Checks on the protobuf for graphs that would make tract panic, divide by
//! zero or fill gigabytes: each refused with its own message before tract
//! sees the file. Found by the fuzzer (tests/fuzz.rs) or by students.

use super::ModelError;
use tract_onnx::pb;

/// Every output a graph (or a subgraph of `Loop`/`If`/`Scan`) declares must
/// be computed by something: a node, an input or a stored tensor. tract
/// assumes it and stops the program on a model that breaks it.
pub(crate) fn check_outputs_defined<'g>(
    name: &str,
    graph: &'g pb::GraphProto,
    outer: &mut Vec<&'g str>,
) -> Result<(), ModelError> {
    let scope = outer.len();
    outer.extend(graph.input.iter().map(|i| i.name.as_str()));
    outer.extend(graph.initializer.iter().map(|t| t.name.as_str()));
    outer.extend(
        graph
            .node
            .iter()
            .flat_map(|n| n.output.iter().map(|o| o.as_str())),
    );
    let result = match graph
        .output
        .iter()
        .find(|o| !outer.contains(&o.name.as_str()))
    {
        Some(o) => Err(ModelError::NotOnnx {
            name: name.to_string(),
            detail: format!(
                "graph '{}' declares output {:?}, which nothing computes",
                graph.name, o.name
            ),
        }),
        None => graph
            .node
            .iter()
            .flat_map(|n| n.attribute.iter())
            .flat_map(|a| a.g.iter().chain(a.graphs.iter()))
            .try_for_each(|sub| check_outputs_defined(name, sub, outer)),
    };
    outer.truncate(scope);
    result
}

/// Operators whose output size comes from a stored shape (ConstantOfShape,
/// Expand, Tile) are computed while tract analyses the model: a damaged
/// shape of [1073741826, 4] would fill 17 GB before anything could be
/// said. Their stored shapes must be non-negative and fit `limit` bytes
/// (counting 4 bytes per element, the smallest of the lesson's types).
pub(crate) fn check_constant_shapes(
    name: &str,
    graph: &pb::GraphProto,
    limit: u64,
) -> Result<(), ModelError> {
    let mut known: std::collections::HashMap<&str, Vec<i64>> = graph
        .initializer
        .iter()
        .filter_map(|t| Some((t.name.as_str(), small_ints(t)?)))
        .collect();
    for node in &graph.node {
        if node.op_type == "Constant" {
            if let (Some(out), Some(t)) = (
                node.output.first(),
                node.attribute.iter().find_map(|a| a.t.as_ref()),
            ) {
                if let Some(values) = small_ints(t) {
                    known.insert(out.as_str(), values);
                }
            }
        }
    }
    for node in &graph.node {
        let shape_input = match node.op_type.as_str() {
            "ConstantOfShape" => 0,
            "Expand" | "Tile" => 1,
            _ => continue,
        };
        let Some(shape) = node
            .input
            .get(shape_input)
            .and_then(|i| known.get(i.as_str()))
        else {
            continue;
        };
        let bytes = shape.iter().try_fold(4u64, |acc, &d| {
            u64::try_from(d).ok().and_then(|d| acc.checked_mul(d))
        });
        if bytes.is_none_or(|b| b > limit) {
            return Err(ModelError::HugeConstant {
                name: name.to_string(),
                node: node_label(node),
                op: node.op_type.clone(),
                shape: shape.clone(),
                limit,
            });
        }
    }
    Ok(())
}

/// A node's name for messages: its own, or else its first output's.
pub(crate) fn node_label(node: &pb::NodeProto) -> String {
    match (node.name.as_str(), node.output.first()) {
        ("", Some(output)) => output.clone(),
        (name, _) => name.to_string(),
    }
}

/// The values of a small stored integer tensor (a shape), if it is one.
fn small_ints(t: &pb::TensorProto) -> Option<Vec<i64>> {
    const INT32: i32 = 6;
    const INT64: i32 = 7;
    let values: Vec<i64> = match t.data_type {
        INT64 if !t.int64_data.is_empty() => t.int64_data.clone(),
        INT32 if !t.int32_data.is_empty() => t.int32_data.iter().map(|&v| v as i64).collect(),
        INT64 => t
            .raw_data
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect(),
        INT32 => t
            .raw_data
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes(c.try_into().expect("4 bytes")) as i64)
            .collect(),
        _ => return None,
    };
    (values.len() <= 16).then_some(values)
}

/// Sliding-window operators need kernel sizes, strides, dilations and
/// groups of at least 1 and pads of at least 0; tract divides by them.
pub(crate) fn check_window_attributes(
    name: &str,
    graph: &pb::GraphProto,
) -> Result<(), ModelError> {
    const WINDOWED: &[&str] = &[
        "Conv",
        "ConvTranspose",
        "ConvInteger",
        "QLinearConv",
        "MaxPool",
        "AveragePool",
        "LpPool",
    ];
    // Larger than any real window, small enough that no sum of them overflows.
    const LIMIT: i64 = 1 << 20;
    for node in &graph.node {
        for attr in &node.attribute {
            let least = match attr.name.as_str() {
                "kernel_shape" | "strides" | "dilations" | "group" => 1,
                "pads" | "output_padding" => 0,
                _ => {
                    for sub in attr.g.iter().chain(attr.graphs.iter()) {
                        check_window_attributes(name, sub)?;
                    }
                    continue;
                }
            };
            let values = if attr.ints.is_empty() {
                vec![attr.i]
            } else {
                attr.ints.clone()
            };
            if WINDOWED.contains(&node.op_type.as_str())
                && values.iter().any(|v| !(least..=LIMIT).contains(v))
            {
                return Err(ModelError::BadAttribute {
                    name: name.to_string(),
                    node: node_label(node),
                    op: node.op_type.clone(),
                    attribute: attr.name.clone(),
                    values,
                });
            }
        }
    }
    Ok(())
}

pub(crate) fn check_operators(
    name: &str,
    graph: &pb::GraphProto,
    onnx: &tract_onnx::Onnx,
) -> Result<(), ModelError> {
    let mut missing: Vec<String> = graph
        .node
        .iter()
        .filter(|n| !onnx.op_register.0.contains_key(&n.op_type))
        .map(|n| {
            if n.domain.is_empty() || n.domain == "ai.onnx" {
                n.op_type.clone()
            } else {
                format!("{}.{}", n.domain, n.op_type)
            }
        })
        .collect();
    missing.sort();
    missing.dedup();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ModelError::UnsupportedOperators {
            name: name.to_string(),
            ops: missing,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(op: &str, inputs: &[&str], output: &str) -> pb::NodeProto {
        pb::NodeProto {
            op_type: op.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.into()],
            ..Default::default()
        }
    }

    fn ints(name: &str, values: &[i64]) -> pb::AttributeProto {
        pb::AttributeProto {
            name: name.into(),
            ints: values.to_vec(),
            ..Default::default()
        }
    }

    fn graph(nodes: Vec<pb::NodeProto>, outputs: &[&str]) -> pb::GraphProto {
        pb::GraphProto {
            node: nodes,
            input: vec![pb::ValueInfoProto {
                name: "x".into(),
                ..Default::default()
            }],
            output: outputs
                .iter()
                .map(|o| pb::ValueInfoProto {
                    name: o.to_string(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    fn shape_tensor(name: &str, dims: &[i64]) -> pb::TensorProto {
        pb::TensorProto {
            name: name.into(),
            data_type: 7,
            dims: vec![dims.len() as i64],
            int64_data: dims.to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn outputs_must_be_computed_even_in_subgraphs() {
        let ok = graph(vec![node("Relu", &["x"], "y")], &["y"]);
        assert!(check_outputs_defined("m", &ok, &mut vec![]).is_ok());
        let missing = graph(vec![node("Relu", &["x"], "y")], &["z"]);
        let e = check_outputs_defined("m", &missing, &mut vec![]).unwrap_err();
        assert!(e.to_string().contains("declares output \"z\""), "{e}");
        // A Loop body that declares an output nothing computes.
        let mut looping = node("Loop", &["x"], "y");
        looping.attribute.push(pb::AttributeProto {
            name: "body".into(),
            g: Some(graph(vec![], &["ghost"])),
            ..Default::default()
        });
        let outer = graph(vec![looping], &["y"]);
        assert!(check_outputs_defined("m", &outer, &mut vec![]).is_err());
        // Outer names are visible inside.
        let mut reading = node("If", &["x"], "y");
        reading.attribute.push(pb::AttributeProto {
            name: "then_branch".into(),
            g: Some(graph(vec![], &["x"])),
            ..Default::default()
        });
        assert!(check_outputs_defined("m", &graph(vec![reading], &["y"]), &mut vec![]).is_ok());
    }

    #[test]
    fn windows_need_positive_sizes_and_non_negative_pads() {
        let check = |attr: pb::AttributeProto, op: &str| {
            let mut n = node(op, &["x"], "y");
            n.attribute.push(attr);
            check_window_attributes("m", &graph(vec![n], &["y"])).map_err(|e| e.to_string())
        };
        assert!(check(ints("strides", &[1, 2]), "Conv").is_ok());
        assert!(check(ints("pads", &[0, 0, 1, 1]), "MaxPool").is_ok());
        let e = check(ints("strides", &[1, 0]), "MaxPool").unwrap_err();
        assert!(e.contains("strides = [1, 0]"), "{e}");
        assert!(check(ints("kernel_shape", &[-3]), "Conv").is_err());
        assert!(check(ints("pads", &[-1, 0]), "AveragePool").is_err());
        assert!(check(ints("dilations", &[1 << 30]), "Conv").is_err());
        // Only sliding-window operators are held to it.
        assert!(check(ints("strides", &[0]), "Slice").is_ok());
    }

    #[test]
    fn stored_shapes_must_fit_the_budget() {
        let check = |shape: &[i64], op: &str| {
            let mut g = graph(vec![node(op, &["s"], "y")], &["y"]);
            if op != "ConstantOfShape" {
                g.node[0].input = vec!["x".into(), "s".into()];
            }
            g.initializer.push(shape_tensor("s", shape));
            check_constant_shapes("m", &g, 1 << 20).map_err(|e| e.to_string())
        };
        assert!(check(&[16, 16], "ConstantOfShape").is_ok());
        let e = check(&[1073741826, 4], "ConstantOfShape").unwrap_err();
        assert!(e.contains("shape [1073741826, 4]"), "{e}");
        assert!(check(&[-1, 4], "Expand").is_err());
        assert!(check(&[1 << 19, 2], "Tile").is_err());
        assert!(check(&[1 << 10, 2], "Tile").is_ok());
    }

    #[test]
    fn unknown_operators_are_listed_once_each_with_their_domain() {
        let onnx = tract_onnx::onnx();
        let mut custom = node("QLinearSoftmax", &["x"], "b");
        custom.domain = "com.microsoft".into();
        let g = graph(
            vec![
                node("FancyOp", &["x"], "a"),
                node("FancyOp", &["a"], "c"),
                custom,
                node("Relu", &["c"], "y"),
            ],
            &["y"],
        );
        let e = check_operators("m", &g, &onnx).unwrap_err().to_string();
        assert!(
            e.contains(
                "operators FancyOp, com.microsoft.QLinearSoftmax that tract does not support"
            ),
            "{e}"
        );
    }
}
