//! Turns tract's reasoning into a sentence a student can act on: which layer
//! (operator type and name), what went wrong in plain words, and what to
//! try. tract's own text is kept as the error's detail (`piedge --verbose`,
//! the lab's expandable detail), never as the first line.
//!
//! tract reports the node it stopped at as `#58 "node_Conv_811" ConvHir`
//! inside its error chain; the version is pinned (`=0.23.9`) and the
//! compatibility tests read these messages, so a change there shows.

use crate::model_error::ShapeTrouble;
use tract_onnx::pb;

/// Where tract's analysis of `graph` stopped and why, from its error text.
pub(crate) fn analysis(graph: &pb::GraphProto, detail: &str) -> (Option<String>, ShapeTrouble) {
    let trouble = if let Some(symbol) = unified_symbol(detail) {
        ShapeTrouble::RecordedSymbol(symbol.to_string())
    } else if detail.contains("Impossible to unify") && has_type_name(detail) {
        ShapeTrouble::ElementTypes
    } else if detail.contains("rank") || detail.contains("Rank") {
        ShapeTrouble::Ranks
    } else {
        ShapeTrouble::Other
    };
    (layer(graph, detail), trouble)
}

/// The layer tract names in `detail`, as "Conv 'node_Conv_811'" with the
/// ONNX operator type when the file has that node.
pub(crate) fn layer(graph: &pb::GraphProto, detail: &str) -> Option<String> {
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
        Some(n) => format!("{} '{}'", n.op_type, super::validate::node_label(n)),
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

    fn check(detail: &str, layer: Option<&str>, trouble: ShapeTrouble) {
        let (l, t) = analysis(&graph(), detail);
        assert_eq!(l.as_deref(), layer, "{detail}");
        assert_eq!(t, trouble, "{detail}");
    }

    #[test]
    fn tract_errors_become_plain_words() {
        check(
            "Failed analyse for node #58 \"node_Conv_811\" ConvHir: Infering facts: Applying rule outputs[0].shape == 1,32,32,32: Unifying shapes batch_size,32,32,32 and 1,32,32,32: Impossible to unify Sym(batch_size) with Val(1).",
            Some("Conv 'node_Conv_811'"),
            ShapeTrouble::RecordedSymbol("batch_size".into()),
        );
        check(
            "Failed analyse for node #3 \"relu_out\" Relu: Impossible to unify F32 with I64",
            Some("Relu 'relu_out'"),
            ShapeTrouble::ElementTypes,
        );
        check(
            "Failed analyse for node #9 \"node_Conv_811.kernel\" Reshape: oops",
            Some("Conv 'node_Conv_811'"),
            ShapeTrouble::Other,
        );
        check(
            "Failed analyse for node #9 \"elsewhere\" SomethingHir: oops",
            Some("Something 'elsewhere'"),
            ShapeTrouble::Other,
        );
        check("no node named here #x", None, ShapeTrouble::Other);
    }
}
