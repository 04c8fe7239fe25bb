//! What the engine does to an ONNX graph before tract reads it, on the
//! protobuf alone: bring external weights inside, pin the input's free
//! dimensions everywhere the file names them, and spell onnxruntime's
//! `com.microsoft` quantized operators in standard ONNX.
//!
//! Each step exists because a model made by a real tool needs it: today's
//! `torch.onnx.export` writes weights to `model.onnx.data` and records every
//! intermediate shape with the symbolic batch (`batch_size`), and
//! onnxruntime's QOperator quantizer writes `QLinearAdd` and friends, which
//! tract does not register. No file system here: the shells hand over the
//! weight files' bytes.

use super::ModelError;
use std::collections::{BTreeMap, BTreeSet};
use tract_onnx::pb;
use tract_onnx::pb::tensor_shape_proto::dimension::Value as Dim;
use tract_onnx::pb::type_proto::Value as Type;

/// The bytes of the files a model keeps its weights in, by the name its
/// `location` gives (`model.onnx.data`).
pub type ExternalFiles = BTreeMap<String, Vec<u8>>;

/// The weight files `proto` names, in order of first use. Every location is
/// checked: a path that leaves the model's folder is refused.
pub fn external_locations(name: &str, proto: &pb::ModelProto) -> Result<Vec<String>, ModelError> {
    let mut found = Vec::new();
    let mut result = Ok(());
    if let Some(graph) = &proto.graph {
        visit_tensors(graph, &mut |t| {
            if result.is_err() || !is_external(t) {
                return;
            }
            match location(name, t) {
                Ok(l) if !found.contains(&l) => found.push(l),
                Ok(_) => {}
                Err(e) => result = Err(e),
            }
        });
    }
    result.map(|()| found)
}

/// The last part of a location: what a browser knows a chosen file by.
pub fn file_part(location: &str) -> &str {
    location.rsplit(['/', '\\']).next().unwrap_or(location)
}

/// Copies every externally stored tensor's bytes from `files` into the
/// model, so tract reads one self-contained graph. A file is found by its
/// location or, failing that, by the location's last part.
pub fn inline_external_data(
    name: &str,
    proto: &mut pb::ModelProto,
    files: &ExternalFiles,
) -> Result<(), ModelError> {
    let mut result = Ok(());
    if let Some(graph) = &mut proto.graph {
        visit_tensors_mut(graph, &mut |t| {
            if result.is_ok() && is_external(t) {
                result = inline_one(name, t, files);
            }
        });
    }
    result
}

/// The input's shape with every free dimension decided: a given shape, or
/// the batch size for the first axis. Declared sizes must agree with it.
pub fn decide_input_shape(
    name: &str,
    input: &pb::ValueInfoProto,
    batch_size: usize,
    given: Option<&[usize]>,
) -> Result<Vec<usize>, ModelError> {
    let declared = declared_dims(input);
    let Some(declared) = declared else {
        return given
            .map(<[usize]>::to_vec)
            .ok_or_else(|| ModelError::UnknownShape {
                name: name.to_string(),
                input: input.name.clone(),
            });
    };
    if let Some(given) = given {
        let fits = given.len() == declared.len()
            && declared
                .iter()
                .zip(given)
                .all(|(d, &g)| d.size().is_none_or(|n| n == g));
        if !fits {
            return Err(ModelError::InputShapeMismatch {
                name: name.to_string(),
                input: input.name.clone(),
                declared: declared.iter().map(DeclaredDim::label).collect(),
                given: given.to_vec(),
            });
        }
        return Ok(given.to_vec());
    }
    let mut shape = Vec::with_capacity(declared.len());
    for (axis, d) in declared.iter().enumerate() {
        match d.size() {
            Some(n) => shape.push(n),
            None if axis == 0 => shape.push(batch_size),
            None => {
                return Err(ModelError::FreeDimension {
                    name: name.to_string(),
                    input: input.name.clone(),
                    dim: d.label(),
                    axis,
                    declared: declared.iter().map(DeclaredDim::label).collect(),
                })
            }
        }
    }
    if batch_size != 1 && shape.first() != Some(&batch_size) {
        return Err(ModelError::FixedBatch {
            name: name.to_string(),
            fixed: shape.first().copied().unwrap_or(0),
            requested: batch_size,
        });
    }
    Ok(shape)
}

/// Writes `shape` into the input `input_name` and replaces each of its
/// symbols (`batch_size`, `height`) by its size wherever the graph records a
/// shape: outputs and intermediate values, in subgraphs too. A recorded
/// shape written in terms of a pinned symbol (`2*batch_size`) is forgotten
/// rather than evaluated; tract works it out again. Without this, tract
/// would have to unify `batch_size` with 1 and stops.
pub fn pin_input_shape(graph: &mut pb::GraphProto, input_name: &str, shape: &[usize]) {
    let mut symbols = BTreeMap::new();
    if let Some(input) = graph.input.iter_mut().find(|i| i.name == input_name) {
        let t = tensor_type_mut(input);
        let dims = &mut t.shape.get_or_insert_with(Default::default).dim;
        dims.resize_with(shape.len(), Default::default);
        for (d, &n) in dims.iter_mut().zip(shape) {
            if let Some(Dim::DimParam(p)) = &d.value {
                if !p.is_empty() {
                    symbols.insert(p.clone(), n as i64);
                }
            }
            d.value = Some(Dim::DimValue(n as i64));
        }
    }
    if !symbols.is_empty() {
        pin_recorded_shapes(graph, &symbols);
    }
}

/// onnxruntime's quantized operators (domain `com.microsoft`) that the
/// engine rewrites into standard ONNX: dequantize the inputs, run the float
/// operator, quantize the result. This is what onnxruntime computes for
/// them (its kernels work in float or exact integer arithmetic equivalent to
/// it, up to one rounding step per value).
pub const LOWERED_QLINEAR_OPS: &[&str] = &[
    "QLinearAdd",
    "QLinearMul",
    "QLinearGlobalAveragePool",
    "QLinearAveragePool",
    "QLinearConcat",
    "QLinearSigmoid",
    "QLinearLeakyRelu",
    "QGemm",
];

/// Replaces every node of [`LOWERED_QLINEAR_OPS`] (in `com.microsoft`) by
/// its standard spelling; returns how many were replaced. A form the
/// rewrite does not cover (channels-last pooling) is left for the operator
/// check to report.
pub fn lower_qlinear_ops(graph: &mut pb::GraphProto) -> usize {
    let mut names = NameSource::new(graph);
    let mut lowered = 0;
    let mut nodes = Vec::with_capacity(graph.node.len());
    for node in std::mem::take(&mut graph.node) {
        match lower(&node, &mut names) {
            Some(replacement) => {
                lowered += 1;
                nodes.extend(replacement);
            }
            None => nodes.push(node),
        }
    }
    graph.node = nodes;
    lowered
}

// --- External data ---------------------------------------------------------

/// `TensorProto.DataLocation.EXTERNAL`.
const EXTERNAL: i32 = 1;

fn is_external(t: &pb::TensorProto) -> bool {
    t.data_location == Some(EXTERNAL) || !t.external_data.is_empty()
}

fn entry<'t>(t: &'t pb::TensorProto, key: &str) -> Option<&'t str> {
    t.external_data
        .iter()
        .find(|e| e.key == key)
        .map(|e| e.value.as_str())
}

/// A tensor's weight file, checked to stay inside the model's folder.
fn location(name: &str, t: &pb::TensorProto) -> Result<String, ModelError> {
    let refuse = |location: &str| ModelError::ExternalDataLocation {
        name: name.to_string(),
        tensor: t.name.clone(),
        location: location.to_string(),
    };
    let l = entry(t, "location").ok_or_else(|| refuse(""))?;
    let drive = l.len() >= 2 && l.as_bytes()[1] == b':';
    let escapes = l.split(['/', '\\']).any(|part| part == "..");
    if l.is_empty() || l.starts_with(['/', '\\']) || drive || escapes || l.contains('\0') {
        return Err(refuse(l));
    }
    Ok(l.to_string())
}

fn inline_one(
    name: &str,
    t: &mut pb::TensorProto,
    files: &ExternalFiles,
) -> Result<(), ModelError> {
    let loc = location(name, t)?;
    let bytes = files
        .get(&loc)
        .or_else(|| files.get(file_part(&loc)))
        .ok_or_else(|| ModelError::ExternalDataMissing {
            name: name.to_string(),
            location: loc.clone(),
        })?;
    let number = |key: &str| -> Result<Option<u64>, ModelError> {
        entry(t, key)
            .map(|v| {
                v.trim()
                    .parse::<u64>()
                    .map_err(|_| ModelError::ExternalDataRange {
                        name: name.to_string(),
                        tensor: t.name.clone(),
                        location: loc.clone(),
                        detail: format!("its {key} is {v:?}, not a byte count"),
                    })
            })
            .transpose()
    };
    let offset = number("offset")?.unwrap_or(0);
    let length = number("length")?;
    let end = match length {
        Some(len) => offset.checked_add(len),
        None => Some(bytes.len() as u64),
    };
    let range = match end {
        Some(end) if offset <= end && end <= bytes.len() as u64 => offset as usize..end as usize,
        _ => {
            return Err(ModelError::ExternalDataRange {
                name: name.to_string(),
                tensor: t.name.clone(),
                location: loc.clone(),
                detail: format!(
                    "it needs bytes {offset}..{} but the file has {}",
                    end.map_or_else(|| "(overflow)".to_string(), |e| e.to_string()),
                    bytes.len()
                ),
            })
        }
    };
    t.raw_data = bytes[range].to_vec();
    t.external_data.clear();
    t.data_location = Some(0);
    Ok(())
}

/// Calls `f` on every stored tensor: initializers, constants and the
/// tensors of attributes, in subgraphs too.
fn visit_tensors(graph: &pb::GraphProto, f: &mut dyn FnMut(&pb::TensorProto)) {
    graph.initializer.iter().for_each(&mut *f);
    for s in &graph.sparse_initializer {
        s.values.iter().chain(&s.indices).for_each(&mut *f);
    }
    for a in graph.node.iter().flat_map(|n| &n.attribute) {
        a.t.iter().chain(&a.tensors).for_each(&mut *f);
        for sub in a.g.iter().chain(&a.graphs) {
            visit_tensors(sub, f);
        }
    }
}

fn visit_tensors_mut(graph: &mut pb::GraphProto, f: &mut dyn FnMut(&mut pb::TensorProto)) {
    graph.initializer.iter_mut().for_each(&mut *f);
    for s in &mut graph.sparse_initializer {
        s.values
            .iter_mut()
            .chain(s.indices.iter_mut())
            .for_each(&mut *f);
    }
    for a in graph.node.iter_mut().flat_map(|n| n.attribute.iter_mut()) {
        a.t.iter_mut().chain(a.tensors.iter_mut()).for_each(&mut *f);
        for sub in a.g.iter_mut().chain(a.graphs.iter_mut()) {
            visit_tensors_mut(sub, f);
        }
    }
}

// --- Shapes ----------------------------------------------------------------

/// One dimension of the input as the file declares it.
enum DeclaredDim {
    Size(usize),
    Symbol(String),
    Unknown,
}

impl DeclaredDim {
    fn size(&self) -> Option<usize> {
        match self {
            DeclaredDim::Size(n) => Some(*n),
            _ => None,
        }
    }

    fn label(&self) -> String {
        match self {
            DeclaredDim::Size(n) => n.to_string(),
            DeclaredDim::Symbol(s) => s.clone(),
            DeclaredDim::Unknown => "?".to_string(),
        }
    }
}

fn declared_dims(v: &pb::ValueInfoProto) -> Option<Vec<DeclaredDim>> {
    let Some(Type::TensorType(t)) = v.r#type.as_ref()?.value.as_ref() else {
        return None;
    };
    let dims = &t.shape.as_ref()?.dim;
    Some(
        dims.iter()
            .map(|d| match &d.value {
                Some(Dim::DimValue(n)) if *n >= 0 => DeclaredDim::Size(*n as usize),
                Some(Dim::DimParam(p)) if !p.is_empty() && p != "?" => {
                    DeclaredDim::Symbol(p.clone())
                }
                _ => DeclaredDim::Unknown,
            })
            .collect(),
    )
}

fn tensor_type_mut(v: &mut pb::ValueInfoProto) -> &mut pb::type_proto::Tensor {
    let ty = v.r#type.get_or_insert_with(Default::default);
    if !matches!(ty.value, Some(Type::TensorType(_))) {
        ty.value = Some(Type::TensorType(Default::default()));
    }
    match &mut ty.value {
        Some(Type::TensorType(t)) => t,
        _ => unreachable!("set just above"),
    }
}

fn pin_recorded_shapes(graph: &mut pb::GraphProto, symbols: &BTreeMap<String, i64>) {
    for v in graph.output.iter_mut().chain(graph.value_info.iter_mut()) {
        let Some(Type::TensorType(t)) = v.r#type.as_mut().and_then(|t| t.value.as_mut()) else {
            continue;
        };
        for d in t.shape.iter_mut().flat_map(|s| s.dim.iter_mut()) {
            if let Some(Dim::DimParam(p)) = &d.value {
                if let Some(&n) = symbols.get(p) {
                    d.value = Some(Dim::DimValue(n));
                } else if identifiers(p).any(|id| symbols.contains_key(id)) {
                    d.value = None;
                }
            }
        }
    }
    for a in graph.node.iter_mut().flat_map(|n| n.attribute.iter_mut()) {
        for sub in a.g.iter_mut().chain(a.graphs.iter_mut()) {
            pin_recorded_shapes(sub, symbols);
        }
    }
}

/// The names in a dimension expression such as `floor(height/2) + 1`.
fn identifiers(expr: &str) -> impl Iterator<Item = &str> {
    expr.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|s| s.starts_with(|c: char| c.is_alphabetic() || c == '_'))
}

// --- Quantized operators ---------------------------------------------------

/// Fresh value names for the nodes a rewrite adds.
struct NameSource {
    taken: BTreeSet<String>,
    next: usize,
}

impl NameSource {
    fn new(graph: &pb::GraphProto) -> NameSource {
        let mut taken = BTreeSet::new();
        taken.extend(graph.input.iter().map(|v| v.name.clone()));
        taken.extend(graph.initializer.iter().map(|t| t.name.clone()));
        for n in &graph.node {
            taken.extend(n.output.iter().cloned());
            taken.insert(n.name.clone());
        }
        NameSource { taken, next: 0 }
    }

    fn fresh(&mut self, base: &str, what: &str) -> String {
        loop {
            self.next += 1;
            let candidate = format!("{base}/piedge_{what}_{}", self.next);
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
        }
    }
}

/// Input slot of a quantized value and its scale and zero point.
struct Quantized {
    value: usize,
    scale: usize,
    zero_point: usize,
}

const fn q(value: usize) -> Quantized {
    Quantized {
        value,
        scale: value + 1,
        zero_point: value + 2,
    }
}

fn lower(node: &pb::NodeProto, names: &mut NameSource) -> Option<Vec<pb::NodeProto>> {
    if node.domain != "com.microsoft" {
        return None;
    }
    let base = if node.name.is_empty() {
        node.output.first()?.clone()
    } else {
        node.name.clone()
    };
    let keep = |skip: &[&str]| -> Vec<pb::AttributeProto> {
        node.attribute
            .iter()
            .filter(|a| !skip.contains(&a.name.as_str()))
            .cloned()
            .collect()
    };
    let channels_last = node
        .attribute
        .iter()
        .any(|a| a.name == "channels_last" && a.i != 0);
    // (float operator, quantized inputs, output scale and zero point slots,
    // extra float inputs, attributes)
    let (op, inputs, out, attributes): (&str, Vec<Quantized>, Option<(usize, usize)>, _) =
        match node.op_type.as_str() {
            "QLinearAdd" => ("Add", vec![q(0), q(3)], Some((6, 7)), vec![]),
            "QLinearMul" => ("Mul", vec![q(0), q(3)], Some((6, 7)), vec![]),
            "QLinearSigmoid" => ("Sigmoid", vec![q(0)], Some((3, 4)), vec![]),
            "QLinearLeakyRelu" => ("LeakyRelu", vec![q(0)], Some((3, 4)), keep(&[])),
            "QLinearGlobalAveragePool" if !channels_last => {
                ("GlobalAveragePool", vec![q(0)], Some((3, 4)), vec![])
            }
            "QLinearAveragePool" if !channels_last => (
                "AveragePool",
                vec![q(0)],
                Some((3, 4)),
                keep(&["channels_last"]),
            ),
            "QLinearConcat" => {
                let n = node.input.len().checked_sub(2)? / 3;
                (
                    "Concat",
                    (0..n).map(|i| q(2 + 3 * i)).collect(),
                    Some((0, 1)),
                    keep(&[]),
                )
            }
            "QGemm" => {
                let y = (node.input.len() > 7 && !node.input[7].is_empty()).then_some((7, 8));
                ("Gemm", vec![q(0), q(3)], y, keep(&[]))
            }
            _ => return None,
        };
    let input = |slot: usize| node.input.get(slot).filter(|s| !s.is_empty()).cloned();
    let mut out_nodes = Vec::new();
    let mut float_inputs = Vec::new();
    for qi in &inputs {
        let value = input(qi.value)?;
        let mut dq_inputs = vec![value, input(qi.scale)?];
        dq_inputs.extend(input(qi.zero_point));
        let f = names.fresh(&base, "dequantized");
        out_nodes.push(simple_node(
            names.fresh(&base, "dequantize"),
            "DequantizeLinear",
            dq_inputs,
            vec![f.clone()],
            vec![],
        ));
        float_inputs.push(f);
    }
    if node.op_type == "QGemm" {
        // The bias is int32 in units of a_scale × b_scale.
        if let Some(bias) = input(6) {
            let scale = names.fresh(&base, "bias_scale");
            out_nodes.push(simple_node(
                names.fresh(&base, "bias_scale_mul"),
                "Mul",
                vec![input(1)?, input(4)?],
                vec![scale.clone()],
                vec![],
            ));
            let f = names.fresh(&base, "bias");
            out_nodes.push(simple_node(
                names.fresh(&base, "dequantize_bias"),
                "DequantizeLinear",
                vec![bias, scale],
                vec![f.clone()],
                vec![],
            ));
            float_inputs.push(f);
        }
    }
    let output = node.output.first()?.clone();
    match out {
        Some((scale, zero_point)) => {
            let f = names.fresh(&base, "float");
            out_nodes.push(simple_node(
                base.clone(),
                op,
                float_inputs,
                vec![f.clone()],
                attributes,
            ));
            let mut q_inputs = vec![f, input(scale)?];
            q_inputs.extend(input(zero_point));
            out_nodes.push(simple_node(
                names.fresh(&base, "quantize"),
                "QuantizeLinear",
                q_inputs,
                vec![output],
                vec![],
            ));
        }
        None => out_nodes.push(simple_node(
            base.clone(),
            op,
            float_inputs,
            vec![output],
            attributes,
        )),
    }
    Some(out_nodes)
}

fn simple_node(
    name: String,
    op: &str,
    input: Vec<String>,
    output: Vec<String>,
    attribute: Vec<pb::AttributeProto>,
) -> pb::NodeProto {
    pb::NodeProto {
        name,
        op_type: op.to_string(),
        input,
        output,
        attribute,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dim(p: &str) -> pb::tensor_shape_proto::Dimension {
        let value = match p.parse::<i64>() {
            Ok(n) => Some(Dim::DimValue(n)),
            Err(_) if p == "?" => None,
            Err(_) => Some(Dim::DimParam(p.into())),
        };
        pb::tensor_shape_proto::Dimension {
            value,
            ..Default::default()
        }
    }

    fn value(name: &str, dims: &[&str]) -> pb::ValueInfoProto {
        pb::ValueInfoProto {
            name: name.into(),
            r#type: Some(pb::TypeProto {
                value: Some(Type::TensorType(pb::type_proto::Tensor {
                    elem_type: 1,
                    shape: Some(pb::TensorShapeProto {
                        dim: dims.iter().map(|d| dim(d)).collect(),
                    }),
                })),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn dims_of(v: &pb::ValueInfoProto) -> Vec<String> {
        declared_dims(v)
            .unwrap()
            .iter()
            .map(DeclaredDim::label)
            .collect()
    }

    fn decide(dims: &[&str], batch: usize, given: Option<&[usize]>) -> Result<Vec<usize>, String> {
        decide_input_shape("m.onnx", &value("x", dims), batch, given).map_err(|e| e.to_string())
    }

    #[test]
    fn input_shapes_are_decided_or_explained() {
        assert_eq!(
            decide(&["batch_size", "3", "8", "8"], 1, None),
            Ok(vec![1, 3, 8, 8])
        );
        assert_eq!(decide(&["?", "3"], 4, None), Ok(vec![4, 3]));
        assert_eq!(decide(&["1", "3"], 1, None), Ok(vec![1, 3]));
        let free = decide(&["N", "3", "height", "width"], 1, None).unwrap_err();
        assert!(
            free.contains("free dimension 'height' at position 2"),
            "{free}"
        );
        assert!(free.contains("--input-shape 1,3,"), "{free}");
        assert!(decide(&["1", "3"], 2, None)
            .unwrap_err()
            .contains("fixed batch size of 1"));
        assert_eq!(
            decide(&["N", "3", "H", "W"], 1, Some(&[2, 3, 32, 40])),
            Ok(vec![2, 3, 32, 40])
        );
        let wrong = decide(&["N", "3", "H", "W"], 1, Some(&[1, 4, 32, 32])).unwrap_err();
        assert!(wrong.contains("[N, 3, H, W]"), "{wrong}");
        assert!(decide(&["N", "3"], 1, Some(&[1, 3, 1])).is_err());
    }

    #[test]
    fn pinned_symbols_reach_every_recorded_shape() {
        let mut g = pb::GraphProto {
            input: vec![value("x", &["batch_size", "3", "H", "W"])],
            output: vec![value("y", &["batch_size", "10"])],
            value_info: vec![
                value("a", &["batch_size", "32", "floor(H/2)", "W"]),
                value("b", &["2*batch_size", "unk__3", "other"]),
            ],
            ..Default::default()
        };
        pin_input_shape(&mut g, "x", &[1, 3, 64, 48]);
        assert_eq!(dims_of(&g.input[0]), ["1", "3", "64", "48"]);
        assert_eq!(dims_of(&g.output[0]), ["1", "10"]);
        assert_eq!(dims_of(&g.value_info[0]), ["1", "32", "?", "48"]);
        assert_eq!(dims_of(&g.value_info[1]), ["?", "unk__3", "other"]);
    }

    fn external(name: &str, location: &str, offset: &str, length: &str) -> pb::TensorProto {
        let kv = |k: &str, v: &str| pb::StringStringEntryProto {
            key: k.into(),
            value: v.into(),
        };
        let mut entries = vec![kv("location", location)];
        if !offset.is_empty() {
            entries.push(kv("offset", offset));
        }
        if !length.is_empty() {
            entries.push(kv("length", length));
        }
        pb::TensorProto {
            name: name.into(),
            data_location: Some(EXTERNAL),
            external_data: entries,
            ..Default::default()
        }
    }

    fn model_with(tensors: Vec<pb::TensorProto>) -> pb::ModelProto {
        pb::ModelProto {
            graph: Some(pb::GraphProto {
                initializer: tensors,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn external_weights_are_read_from_the_named_file() {
        let mut m = model_with(vec![
            external("w", "m.onnx.data", "", "4"),
            external("b", "m.onnx.data", "4", "2"),
        ]);
        assert_eq!(
            external_locations("m.onnx", &m),
            Ok(vec!["m.onnx.data".to_string()])
        );
        let files = ExternalFiles::from([("m.onnx.data".to_string(), vec![1, 2, 3, 4, 5, 6])]);
        inline_external_data("m.onnx", &mut m, &files).unwrap();
        let g = m.graph.unwrap();
        assert_eq!(g.initializer[0].raw_data, [1, 2, 3, 4]);
        assert_eq!(g.initializer[1].raw_data, [5, 6]);
        assert!(g.initializer.iter().all(|t| !is_external(t)));
    }

    #[test]
    fn external_weights_problems_have_their_own_messages() {
        let check = |t: pb::TensorProto, files: &[(&str, usize)], expected: &str| {
            let mut m = model_with(vec![t]);
            let files: ExternalFiles = files
                .iter()
                .map(|(n, len)| (n.to_string(), vec![0; *len]))
                .collect();
            let e = external_locations("m.onnx", &m)
                .and_then(|_| inline_external_data("m.onnx", &mut m, &files))
                .unwrap_err()
                .to_string();
            assert!(e.contains(expected), "{e} lacks {expected:?}");
        };
        check(external("w", "../w.bin", "", ""), &[], "'../w.bin'");
        check(
            external("w", "/etc/passwd", "", ""),
            &[],
            "outside the model's folder",
        );
        check(
            external("w", "C:\\w.bin", "", ""),
            &[],
            "outside the model's folder",
        );
        check(
            external("w", "w.bin", "", ""),
            &[],
            "keeps its weights in a second file, 'w.bin'",
        );
        check(
            external("w", "w.bin", "8", "8"),
            &[("w.bin", 12)],
            "needs bytes 8..16 but the file has 12",
        );
        check(
            external("w", "w.bin", "x", ""),
            &[("w.bin", 12)],
            "offset is \"x\"",
        );
        // A browser knows a chosen file by its name only.
        let mut m = model_with(vec![external("w", "weights/w.bin", "", "")]);
        let files = ExternalFiles::from([("w.bin".to_string(), vec![7; 4])]);
        inline_external_data("m.onnx", &mut m, &files).unwrap();
    }

    #[test]
    fn qlinear_add_becomes_dequantize_add_quantize() {
        let mut g = pb::GraphProto {
            node: vec![pb::NodeProto {
                name: "add".into(),
                op_type: "QLinearAdd".into(),
                domain: "com.microsoft".into(),
                input: ["a", "as", "az", "b", "bs", "bz", "cs", "cz"]
                    .map(String::from)
                    .into(),
                output: vec!["c".into()],
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(lower_qlinear_ops(&mut g), 1);
        let ops: Vec<&str> = g.node.iter().map(|n| n.op_type.as_str()).collect();
        assert_eq!(
            ops,
            [
                "DequantizeLinear",
                "DequantizeLinear",
                "Add",
                "QuantizeLinear"
            ]
        );
        let last = g.node.last().unwrap();
        assert_eq!(last.output, ["c"]);
        assert_eq!(last.input[1..], ["cs", "cz"]);
        assert_eq!(g.node[2].name, "add");
        assert!(g.node.iter().all(|n| n.domain.is_empty()));
    }
}
