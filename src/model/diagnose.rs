//! Turns tract's reasoning into a sentence a student can act on: which layer
//! (operator type and name), what went wrong in plain words, and what to
//! try. tract's own text is kept as the error's detail (`piedge --verbose`,
//! the lab's expandable detail), never as the first line.
//!
//! tract reports the node it stopped at as `#58 "node_Conv_811" ConvHir`
//! inside its error chain; the version is pinned (`=0.23.9`) and the
//! compatibility tests read these messages, so a change there shows.

use super::ModelError;
use tract_onnx::pb;

/// What [`ModelError::Analyse`] and [`ModelError::Optimise`] say.
pub(crate) struct Diagnosis {
    pub layer: Option<String>,
    pub reason: String,
    pub hint: String,
}

impl ModelError {
    /// tract's own words behind a plain message, for `--verbose` and the
    /// lab's detail; `None` for errors the engine found itself.
    pub fn detail(&self) -> Option<&str> {
        match self {
            ModelError::Analyse { detail, .. } | ModelError::Optimise { detail, .. } => {
                Some(detail)
            }
            ModelError::Plan { detail, .. } | ModelError::TractPanic { detail, .. } => Some(detail),
            _ => None,
        }
    }
}

/// Why tract's analysis of `graph` failed, from its error text.
pub(crate) fn analysis(graph: &pb::GraphProto, detail: &str) -> Diagnosis {
    let layer = layer(graph, detail);
    let (reason, hint) = if let Some(symbol) = unified_symbol(detail) {
        (
            format!("the file records a shape with the free dimension '{symbol}' where the layer needs a number"),
            "give the input's full shape (piedge --input-shape, the lab's input-shape field) or re-export with a fixed shape (torch.onnx.export without dynamic_shapes)".to_string(),
        )
    } else if detail.contains("Impossible to unify") && has_type_name(detail) {
        (
            "two tensors that meet here disagree about their element type".to_string(),
            "re-export the model with another opset (torch.onnx.export(..., opset_version=17)) and check it runs in onnxruntime".to_string(),
        )
    } else if detail.contains("rank") || detail.contains("Rank") {
        (
            "tensors of different ranks (numbers of dimensions) meet here".to_string(),
            "re-export with a fixed input shape, or simplify the model with onnxsim".to_string(),
        )
    } else {
        (
            "tract's shape analysis could not finish".to_string(),
            "re-export with another opset (torch.onnx.export(..., opset_version=17, dynamo=False)), simplify the model with onnxsim, or replace this layer with a more common one".to_string(),
        )
    };
    Diagnosis {
        layer,
        reason,
        hint,
    }
}

/// Why tract's optimisation failed.
pub(crate) fn optimisation(graph: &pb::GraphProto, detail: &str) -> Diagnosis {
    Diagnosis {
        layer: layer(graph, detail),
        reason: "tract's optimiser could not rewrite this layer".to_string(),
        hint: "run it without optimisation (piedge --unoptimized, the lab's unoptimised plan) or re-export with another opset".to_string(),
    }
}

/// " at layer Conv 'node_Conv_811'", or nothing.
pub(crate) fn at_layer(layer: &Option<String>) -> String {
    layer
        .as_ref()
        .map(|l| format!(" at layer {l}"))
        .unwrap_or_default()
}

/// The declared shape with names replaced by a plausible size, as an
/// example for `--input-shape` (batch 1, 3 channels, 224 for the rest).
pub(crate) fn example_shape(declared: &[String]) -> String {
    declared
        .iter()
        .enumerate()
        .map(|(axis, d)| match d.parse::<usize>() {
            Ok(n) => n.to_string(),
            Err(_) if axis == 0 => "1".to_string(),
            Err(_) if axis == 1 && declared.len() == 4 => "3".to_string(),
            Err(_) => "224".to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The layer tract names in `detail`, as "Conv 'node_Conv_811'" with the
/// ONNX operator type when the file has that node.
fn layer(graph: &pb::GraphProto, detail: &str) -> Option<String> {
    let (tract_name, tract_op) = node_reference(detail)?;
    let onnx = graph
        .node
        .iter()
        .find(|n| {
            n.name == tract_name || (n.name.is_empty() && n.output.first() == Some(&tract_name))
        })
        .or_else(|| {
            // tract names the parts of a layer it splits "name.part".
            graph
                .node
                .iter()
                .filter(|n| !n.name.is_empty())
                .find(|n| tract_name.starts_with(&format!("{}.", n.name)))
        });
    Some(match onnx {
        Some(n) => format!("{} '{}'", n.op_type, super::node_label(n)),
        None => format!("{} '{tract_name}'", tract_op.trim_end_matches("Hir")),
    })
}

/// The first `#12 "name" Op` in tract's text.
fn node_reference(detail: &str) -> Option<(String, String)> {
    let mut rest = detail;
    while let Some(i) = rest.find('#') {
        rest = &rest[i + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || !rest[digits..].starts_with(" \"") {
            continue;
        }
        let after = &rest[digits + 2..];
        let end = after.find('"')?;
        let name = after[..end].to_string();
        let op = after[end + 1..]
            .trim_start()
            .split(|c: char| c.is_whitespace() || c == ':' || c == ',')
            .next()
            .unwrap_or("")
            .to_string();
        return Some((name, op));
    }
    None
}

/// The symbol in "Impossible to unify Sym(batch_size) with Val(1)".
fn unified_symbol(detail: &str) -> Option<&str> {
    let at = detail.find("Impossible to unify")?;
    let rest = &detail[at..];
    let start = rest.find("Sym(")? + 4;
    let end = rest[start..].find(')')?;
    Some(&rest[start..start + end])
}

fn has_type_name(detail: &str) -> bool {
    [
        "F32", "F16", "F64", "I64", "I32", "U8", "I8", "Bool", "TDim",
    ]
    .iter()
    .any(|t| detail.contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph() -> pb::GraphProto {
        pb::GraphProto {
            node: vec![
                pb::NodeProto {
                    name: "node_Conv_811".into(),
                    op_type: "Conv".into(),
                    output: vec!["conv".into()],
                    ..Default::default()
                },
                pb::NodeProto {
                    op_type: "Relu".into(),
                    output: vec!["relu_out".into()],
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
    }

    fn check(detail: &str, layer: Option<&str>, reason: &str) {
        let d = analysis(&graph(), detail);
        assert_eq!(d.layer.as_deref(), layer, "{detail}");
        assert!(d.reason.contains(reason), "{} lacks {reason}", d.reason);
    }

    #[test]
    fn tract_errors_become_plain_words() {
        check(
            "Failed analyse for node #58 \"node_Conv_811\" ConvHir: Infering facts: Applying rule outputs[0].shape == 1,32,32,32: Unifying shapes batch_size,32,32,32 and 1,32,32,32: Impossible to unify Sym(batch_size) with Val(1).",
            Some("Conv 'node_Conv_811'"),
            "free dimension 'batch_size'",
        );
        check(
            "Failed analyse for node #3 \"relu_out\" Relu: Impossible to unify F32 with I64",
            Some("Relu 'relu_out'"),
            "element type",
        );
        check(
            "Failed analyse for node #9 \"node_Conv_811.kernel\" Reshape: oops",
            Some("Conv 'node_Conv_811'"),
            "could not finish",
        );
        check(
            "Failed analyse for node #9 \"elsewhere\" SomethingHir: oops",
            Some("Something 'elsewhere'"),
            "could not finish",
        );
        check("no node named here #x", None, "could not finish");
    }

    #[test]
    fn example_shapes_fill_in_names() {
        let d = |v: &[&str]| example_shape(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(d(&["N", "C", "H", "W"]), "1,3,224,224");
        assert_eq!(d(&["batch", "3", "height", "width"]), "1,3,224,224");
        assert_eq!(d(&["batch", "seq"]), "1,224");
    }
}
