//! Why a model cannot be benchmarked, as values: the engine returns them,
//! the CLI prints their English text, and the page words them in the
//! student's language. No tract here, so the page (built without tract)
//! can read them.

use serde::{Deserialize, Serialize};

/// Why a model cannot be benchmarked. Each message says what was found and
/// what to do, because students will meet these.
///
/// The page shows them in the student's language (`lab::i18n`), so they
/// cross from the worker as values, not as text.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data")]
pub enum ModelError {
    #[error("{name} is empty (0 bytes); choose an .onnx file exported from your training script")]
    Empty { name: String },
    #[error("{name} is not an ONNX model ({detail}); export one with torch.onnx.export or pick a bundled model")]
    NotOnnx { name: String, detail: String },
    #[error("{name} keeps its weights in a second file, '{location}'; give both files together (choose or drop them at once in the lab; keep them side by side for piedge)")]
    ExternalDataMissing { name: String, location: String },
    #[error("{name} says tensor '{tensor}' is stored in '{location}', outside the model's folder; only a weight file beside the model is read: save it again with onnx.save_model(model, path, save_as_external_data=True, location=\"{name}.data\")")]
    ExternalDataLocation {
        name: String,
        tensor: String,
        location: String,
    },
    #[error("{name}'s weight file '{location}' does not fit tensor '{tensor}': {detail}; the two files do not belong together: copy both from the same export")]
    ExternalDataRange {
        name: String,
        tensor: String,
        location: String,
        detail: String,
    },
    #[error("{name} uses operator{} {} that tract does not support; the lab cannot run it", if ops.len() > 1 { "s" } else { "" }, ops.join(", "))]
    UnsupportedOperators { name: String, ops: Vec<String> },
    #[error("{name} has {} inputs ({}); the lab benchmarks single-input models", inputs.len(), inputs.join(", "))]
    InputCount { name: String, inputs: Vec<String> },
    #[error("{name}'s input '{input}' has element type {element_type}; the lab can only feed numbers (float or integer tensors)")]
    NonNumericInput {
        name: String,
        input: String,
        element_type: String,
    },
    #[error("{name}'s input '{input}' has no declared shape; give one (piedge's --input-shape, e.g. --input-shape 1,3,224,224, or the lab's input-shape field) or re-export the model with a fixed input shape")]
    UnknownShape { name: String, input: String },
    #[error("{name}'s input '{input}' is declared as [{}], which the input shape {given:?} does not fit; give one size per dimension and keep the declared numbers", declared.join(", "))]
    InputShapeMismatch {
        name: String,
        input: String,
        declared: Vec<String>,
        given: Vec<usize>,
    },
    #[error("{name} has a fixed batch size of {fixed}; it cannot be benchmarked with batch size {requested}")]
    FixedBatch {
        name: String,
        fixed: usize,
        requested: usize,
    },
    #[error("{name}'s input '{input}' [{}] has a free dimension '{dim}' at position {axis}; only the batch (position 0) is fixed for you: give every size, e.g. --input-shape {} in piedge or the same numbers in the lab's input-shape field", declared.join(", "), example_shape(declared))]
    FreeDimension {
        name: String,
        input: String,
        dim: String,
        axis: usize,
        /// The input's dimensions as declared (numbers and names).
        declared: Vec<String>,
    },
    #[error("{name}'s input '{input}' has shape {shape:?} with a zero-sized dimension; there is nothing to compute")]
    ZeroSized {
        name: String,
        input: String,
        shape: Vec<usize>,
    },
    #[error("{name}'s input '{input}' would need {bytes} bytes, over the {limit}-byte budget for one input (the CLI's --max-input-mb)")]
    InputTooLarge {
        name: String,
        input: String,
        bytes: u64,
        limit: u64,
    },
    #[error("{name}: node '{node}' ({op}) has {attribute} = {values:?}, which no convolution or pooling can use; the file is damaged or was written by a buggy exporter")]
    BadAttribute {
        name: String,
        node: String,
        op: String,
        attribute: String,
        values: Vec<i64>,
    },
    #[error("{name}: node '{node}' ({op}) asks for a tensor of shape {shape:?}, over the {limit}-byte budget for one tensor; the file is damaged or not meant for a small device")]
    HugeConstant {
        name: String,
        node: String,
        op: String,
        shape: Vec<i64>,
        limit: u64,
    },
    /// tract could not work out the graph's types and shapes. The message
    /// is in plain words; `detail` keeps tract's own text.
    #[error(
        "{name}: tract cannot work out the tensor shapes{}: {}; {}",
        at_layer(layer),
        trouble.reason(),
        trouble.hint()
    )]
    Analyse {
        name: String,
        /// The layer tract stopped at: "Conv 'node_Conv_811'".
        layer: Option<String>,
        trouble: ShapeTrouble,
        detail: String,
    },
    #[error(
        "{name}: tract cannot optimise the graph{}: tract's optimiser could not rewrite this layer; run it without optimisation (piedge --unoptimized, the lab's unoptimised plan) or re-export with another opset",
        at_layer(layer)
    )]
    Optimise {
        name: String,
        layer: Option<String>,
        detail: String,
    },
    #[error("tract could not plan {name}: {detail}")]
    Plan { name: String, detail: String },
    #[error("input has shape {found:?} but {name} expects {expected:?}")]
    InputShape {
        name: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    #[error("inference failed: {0}")]
    Run(String),
    #[error("tract stopped while {stage} {name} ({detail}); the file is probably damaged, or uses an operator in a way tract cannot handle: re-export it, or try a bundled model")]
    TractPanic {
        name: String,
        /// "reading", "optimising", "planning" or "running".
        stage: String,
        detail: String,
    },
}

/// What stopped tract's shape analysis, as far as its text tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShapeTrouble {
    /// A recorded shape names a free dimension where a number is needed.
    RecordedSymbol(String),
    /// Two tensors that meet disagree about their element type.
    ElementTypes,
    /// Tensors of different ranks meet.
    Ranks,
    /// Anything else.
    Other,
}

impl ShapeTrouble {
    /// What went wrong, in plain English words.
    pub fn reason(&self) -> String {
        match self {
            ShapeTrouble::RecordedSymbol(symbol) => format!(
                "the file records a shape with the free dimension '{symbol}' where the layer needs a number"
            ),
            ShapeTrouble::ElementTypes => {
                "two tensors that meet here disagree about their element type".into()
            }
            ShapeTrouble::Ranks => {
                "tensors of different ranks (numbers of dimensions) meet here".into()
            }
            ShapeTrouble::Other => "tract's shape analysis could not finish".into(),
        }
    }

    /// What to try, in English.
    pub fn hint(&self) -> &'static str {
        match self {
            ShapeTrouble::RecordedSymbol(_) => "give the input's full shape (piedge --input-shape, the lab's input-shape field) or re-export with a fixed shape (torch.onnx.export without dynamic_shapes)",
            ShapeTrouble::ElementTypes => "re-export the model with another opset (torch.onnx.export(..., opset_version=17)) and check it runs in onnxruntime",
            ShapeTrouble::Ranks => "re-export with a fixed input shape, or simplify the model with onnxsim",
            ShapeTrouble::Other => "re-export with another opset (torch.onnx.export(..., opset_version=17, dynamo=False)), simplify the model with onnxsim, or replace this layer with a more common one",
        }
    }
}

impl ModelError {
    /// tract's own words behind a plain message, for `--verbose` and the
    /// lab's detail; `None` for errors the engine found itself.
    pub fn detail(&self) -> Option<&str> {
        match self {
            ModelError::Analyse { detail, .. }
            | ModelError::Optimise { detail, .. }
            | ModelError::Plan { detail, .. }
            | ModelError::TractPanic { detail, .. } => Some(detail),
            _ => None,
        }
    }
}

/// " at layer Conv 'node_Conv_811'", or nothing.
pub fn at_layer(layer: &Option<String>) -> String {
    layer
        .as_ref()
        .map(|l| format!(" at layer {l}"))
        .unwrap_or_default()
}

/// The declared shape with names replaced by a plausible size, as an
/// example for `--input-shape` (batch 1, 3 channels, 224 for the rest).
pub fn example_shape(declared: &[String]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_shapes_fill_in_names() {
        let d = |v: &[&str]| example_shape(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(d(&["N", "C", "H", "W"]), "1,3,224,224");
        assert_eq!(d(&["batch", "3", "height", "width"]), "1,3,224,224");
        assert_eq!(d(&["batch", "seq"]), "1,224");
    }

    #[test]
    fn errors_cross_to_the_page_as_values() {
        for e in [
            ModelError::Run("x".into()),
            ModelError::Analyse {
                name: "m.onnx".into(),
                layer: Some("Conv 'c'".into()),
                trouble: ShapeTrouble::RecordedSymbol("batch_size".into()),
                detail: "tract".into(),
            },
        ] {
            let back: ModelError =
                serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
            assert_eq!(back, e);
        }
    }
}
