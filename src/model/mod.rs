//! Loading and running an ONNX model with tract, in three visible steps:
//!
//! 1. [`load`]: parse the bytes, check the model is one the lab can time
//!    (one numeric input, known operators, weights inside the file), fix the
//!    input to batch 1 and analyse it into a typed graph. Also builds the
//!    [`ModelCard`].
//! 2. [`LoadedModel::optimise`]: tract's graph optimisation (declutter, the
//!    project's own kernels swapped in where they apply — see
//!    [`crate::kernels`] — then lowering the rest to tract's kernels), or
//!    nothing, to show what it buys.
//! 3. [`OptimisedModel::into_runnable`]: an execution plan and its state,
//!    with the input tensor prepared once and reused by every run.
//!
//! Bytes in, results out: no file system, so the browser and the CLI share it.

use crate::bench::Inference;
use crate::card::{onnx_type_name, ModelCard, TensorInfo};
use crate::fakedata;
use crate::kernels::Rewritten;
pub use crate::plan::Kernels;
use prost::Message;
use std::collections::BTreeMap;
use tract_onnx::pb;
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;

mod diagnose;
mod graph;
mod guard;
mod macs;
mod profile;
mod threads;
mod validate;

use guard::guarded;
pub use guard::{panic_becomes_error, panic_text};
use macs::macs;
pub use profile::NodeTime;
pub use threads::{Threads, ThreadsError};
use validate::{
    check_constant_shapes, check_operators, check_outputs_defined, check_window_attributes,
};

pub use crate::model_error::{ModelError, ShapeTrouble};
pub use graph::{ExternalFiles, LOWERED_QLINEAR_OPS};

/// Options for [`load`].
#[derive(Clone, Debug, PartialEq)]
pub struct LoadOptions {
    /// The batch size a symbolic first dimension is fixed to.
    pub batch_size: usize,
    /// The input's whole shape, for models with other free dimensions
    /// (image size, sequence length); overrides `batch_size`.
    pub input_shape: Option<Vec<usize>>,
    /// The most bytes the input tensor may take.
    pub max_input_bytes: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            batch_size: 1,
            input_shape: None,
            max_input_bytes: 1 << 30,
        }
    }
}

pub use crate::plan::Plan;

/// The model's single input as the benchmark feeds it.
#[derive(Clone, Debug, PartialEq)]
pub struct InputSpec {
    pub name: String,
    pub datum_type: DatumType,
    pub shape: Vec<usize>,
}

impl InputSpec {
    pub fn volume(&self) -> usize {
        self.shape.iter().product()
    }

    /// A deterministic fake input: floats uniform in [-1, 1), integers in 0..10.
    pub fn fake_tensor(&self, seed: u64) -> Result<Tensor, ModelError> {
        let n = self.volume();
        let run = |e: TractError| ModelError::Run(format!("{e:#}"));
        let t = if self.datum_type.is_float() {
            Tensor::from_shape(&self.shape, &fakedata::uniform_pm1(n, seed)).map_err(run)?
        } else {
            Tensor::from_shape(&self.shape, &fakedata::small_ints(n, seed)).map_err(run)?
        };
        Ok(t.cast_to_dt(self.datum_type).map_err(run)?.into_owned())
    }

    /// Wraps f32 values (an image or a `.npy` file) as this input.
    pub fn tensor_from_f32(&self, shape: &[usize], data: &[f32]) -> Result<Tensor, ModelError> {
        if shape != self.shape.as_slice() {
            return Err(ModelError::InputShape {
                name: self.name.clone(),
                expected: self.shape.clone(),
                found: shape.to_vec(),
            });
        }
        let run = |e: TractError| ModelError::Run(format!("{e:#}"));
        let t = Tensor::from_shape(shape, data).map_err(run)?;
        Ok(t.cast_to_dt(self.datum_type).map_err(run)?.into_owned())
    }
}

/// Step 1's result: an analysed, typed graph with its input fixed.
pub struct LoadedModel {
    pub card: ModelCard,
    pub input: InputSpec,
    typed: TypedModel,
    /// The file's layers (names and types only), to name one in a message.
    layers: pb::GraphProto,
}

/// Step 2's result.
pub struct OptimisedModel {
    pub card: ModelCard,
    pub input: InputSpec,
    pub plan: Plan,
    typed: TypedModel,
    /// What the project's kernels replaced.
    pub rewritten: Rewritten,
}

/// Step 3's result: ready to run, again and again.
pub struct Runnable {
    pub card: ModelCard,
    pub input_spec: InputSpec,
    pub plan: Plan,
    /// What the project's kernels replaced.
    pub rewritten: Rewritten,
    state: TypedSimpleState,
    /// The inputs runs cycle through: one for fake data, one per batch of
    /// images for `--data-path`.
    inputs: Vec<TVec<TValue>>,
    next_input: usize,
}

/// One output of an inference, as f32.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    pub name: String,
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// Step 1: parse, check and analyse `bytes` (named `name` in messages), a
/// model that keeps all its weights inside.
pub fn load(name: &str, bytes: &[u8], opts: &LoadOptions) -> Result<LoadedModel, ModelError> {
    let files = ExternalFiles::new();
    load_with_files(
        ModelSource {
            name,
            bytes,
            files: &files,
        },
        opts,
    )
}

/// Step 1 for a model whose weights may live in other files
/// ([`external_files`] names them): `files` holds their bytes.
pub fn load_with_files(
    source: ModelSource<'_>,
    opts: &LoadOptions,
) -> Result<LoadedModel, ModelError> {
    let ModelSource { name, bytes, files } = source;
    guarded(name, "reading", || load_checked(name, bytes, files, opts))
}

/// The weight files a model names beside itself (`model.onnx.data`), so a
/// shell can read them before [`load_with_files`]; each is checked to stay
/// in the model's folder.
pub fn external_files(name: &str, bytes: &[u8]) -> Result<Vec<String>, ModelError> {
    guarded(name, "reading", || {
        graph::external_locations(name, &decode(name, bytes)?)
    })
}

fn decode(name: &str, bytes: &[u8]) -> Result<pb::ModelProto, ModelError> {
    if bytes.is_empty() {
        return Err(ModelError::Empty {
            name: name.to_string(),
        });
    }
    let not_onnx = |detail: String| ModelError::NotOnnx {
        name: name.to_string(),
        detail,
    };
    let proto = pb::ModelProto::decode(bytes).map_err(|e| not_onnx(format!("protobuf: {e}")))?;
    let graph = proto
        .graph
        .as_ref()
        .ok_or_else(|| not_onnx("no graph inside".into()))?;
    if graph.node.is_empty() || graph.output.is_empty() || proto.ir_version <= 0 {
        return Err(not_onnx("no graph nodes, outputs or IR version".into()));
    }
    Ok(proto)
}

fn load_checked(
    name: &str,
    bytes: &[u8],
    files: &ExternalFiles,
    opts: &LoadOptions,
) -> Result<LoadedModel, ModelError> {
    let mut proto = decode(name, bytes)?;
    graph::inline_external_data(name, &mut proto, files)?;
    let graph = proto.graph.as_mut().expect("decode checked the graph");
    // The card counts the file's own operators, before any rewrite.
    let op_histogram = op_histogram(graph);
    let node_count = graph.node.len();
    graph::lower_qlinear_ops(graph);
    check_outputs_defined(name, graph, &mut Vec::new())?;
    check_window_attributes(name, graph)?;
    check_constant_shapes(name, graph, opts.max_input_bytes)?;
    let onnx = tract_onnx::onnx();
    check_operators(name, graph, &onnx)?;

    let initializers: std::collections::HashSet<&str> =
        graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let inputs: Vec<&pb::ValueInfoProto> = graph
        .input
        .iter()
        .filter(|i| !initializers.contains(i.name.as_str()))
        .collect();
    if inputs.len() != 1 {
        return Err(ModelError::InputCount {
            name: name.to_string(),
            inputs: inputs.iter().map(|i| format!("'{}'", i.name)).collect(),
        });
    }
    let input_info = tensor_info(inputs[0]);
    let shape = graph::decide_input_shape(
        name,
        inputs[0],
        opts.batch_size,
        opts.input_shape.as_deref(),
    )?;
    graph::pin_input_shape(graph, &input_info.name, &shape);

    // The recorded intermediate shapes are hints. When tract cannot agree
    // with them even with the input pinned (an exporter's mistake, or a
    // symbol of its own), it is asked again without them.
    let (input, typed) = match analyse_typed(name, &proto, &onnx, &input_info, &shape, opts) {
        Err(first @ ModelError::Analyse { .. }) if !graph_of(&proto).value_info.is_empty() => {
            let without_hints = onnx.clone().with_ignore_value_info(true);
            analyse_typed(name, &proto, &without_hints, &input_info, &shape, opts)
                .map_err(|_| first)?
        }
        other => other?,
    };
    let graph = graph_of(&proto);
    let card = ModelCard {
        name: name.to_string(),
        size_bytes: bytes.len() as u64 + files.values().map(|f| f.len() as u64).sum::<u64>(),
        producer: format!("{} {}", proto.producer_name, proto.producer_version)
            .trim()
            .to_string(),
        ir_version: proto.ir_version,
        opset: proto
            .opset_import
            .iter()
            .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
            .map_or(0, |o| o.version),
        inputs: vec![input_info],
        outputs: graph.output.iter().map(tensor_info).collect(),
        fixed_input_shape: input.shape.clone(),
        node_count,
        op_histogram,
        parameters: parameter_count(graph),
        macs: macs(&typed),
    };
    Ok(LoadedModel {
        card,
        input,
        typed,
        layers: layers_of(graph),
    })
}

/// `graph`'s nodes without their attributes (which may hold weights).
fn layers_of(graph: &pb::GraphProto) -> pb::GraphProto {
    pb::GraphProto {
        node: graph
            .node
            .iter()
            .map(|n| pb::NodeProto {
                name: n.name.clone(),
                op_type: n.op_type.clone(),
                output: n.output.clone(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

fn graph_of(proto: &pb::ModelProto) -> &pb::GraphProto {
    proto.graph.as_ref().expect("decode checked the graph")
}

/// tract's parse and analysis of the prepared graph, with the input fixed.
fn analyse_typed(
    name: &str,
    proto: &pb::ModelProto,
    onnx: &tract_onnx::Onnx,
    input_info: &TensorInfo,
    shape: &[usize],
    opts: &LoadOptions,
) -> Result<(InputSpec, TypedModel), ModelError> {
    let graph = graph_of(proto);
    let analyse = |e: TractError| analyse_error(name, graph, e);
    let parsed = onnx.parse(proto, None).map_err(analyse)?;
    if !parsed.unresolved_inputs.is_empty() {
        return Err(ModelError::NotOnnx {
            name: name.to_string(),
            detail: format!(
                "inputs {:?} are used but never defined",
                parsed.unresolved_inputs
            ),
        });
    }
    let mut model = parsed.model;
    let input = fixed_input(name, &model, input_info, shape, opts)?;
    model
        .set_input_fact(
            0,
            InferenceFact::dt_shape(input.datum_type, input.shape.clone()),
        )
        .map_err(analyse)?;
    let typed = model.into_typed().map_err(analyse)?;
    Ok((input, typed))
}

impl LoadedModel {
    /// Step 2: optimise (or not) the typed graph, with the project's kernels.
    pub fn optimise(self, plan: Plan) -> Result<OptimisedModel, ModelError> {
        self.optimise_with(plan, Kernels::default())
    }

    /// Step 2 with a choice of kernels (the benchmarks compare them).
    pub fn optimise_with(self, plan: Plan, kernels: Kernels) -> Result<OptimisedModel, ModelError> {
        let name = self.card.name.clone();
        guarded(&name, "optimising", || {
            self.optimise_unguarded(plan, kernels)
        })
    }

    fn optimise_unguarded(
        self,
        plan: Plan,
        kernels: Kernels,
    ) -> Result<OptimisedModel, ModelError> {
        let layers = &self.layers;
        let name = &self.card.name;
        let err = |e: TractError| {
            let detail = format!("{e:#}");
            ModelError::Optimise {
                name: name.clone(),
                layer: diagnose::layer(layers, &detail),
                detail,
            }
        };
        let (typed, rewritten) = match plan {
            Plan::Optimized => {
                let mut typed = self.typed.into_decluttered().map_err(err)?;
                let rewritten = match kernels {
                    Kernels::Piedge => crate::kernels::rewrite(&mut typed).map_err(err)?,
                    Kernels::Tract => Rewritten::default(),
                };
                (typed.into_optimized().map_err(err)?, rewritten)
            }
            Plan::Unoptimized => (self.typed, Rewritten::default()),
        };
        Ok(OptimisedModel {
            card: self.card,
            input: self.input,
            plan,
            typed,
            rewritten,
        })
    }

    /// Nodes in the analysed graph, before optimisation.
    pub fn typed_node_count(&self) -> usize {
        self.typed.nodes().len()
    }
}

impl OptimisedModel {
    /// Nodes in the graph that will run.
    pub fn node_count(&self) -> usize {
        self.typed.nodes().len()
    }

    /// Step 3: build the execution plan and state, with `input` prepared.
    pub fn into_runnable(self, input: Tensor) -> Result<Runnable, ModelError> {
        let name = self.card.name.clone();
        guarded(&name, "planning", || self.into_runnable_unguarded(input))
    }

    fn into_runnable_unguarded(self, input: Tensor) -> Result<Runnable, ModelError> {
        let plan_err = |e: TractError| ModelError::Plan {
            name: self.card.name.clone(),
            detail: format!("{e:#}"),
        };
        check_shape(&self.input, &input)?;
        let plan = self.typed.into_runnable().map_err(plan_err)?;
        let state = TypedSimpleState::new(&plan).map_err(plan_err)?;
        Ok(Runnable {
            card: self.card,
            input_spec: self.input,
            plan: self.plan,
            rewritten: self.rewritten,
            state,
            inputs: vec![tvec!(input.into_tvalue())],
            next_input: 0,
        })
    }
}

impl Runnable {
    /// Replaces the inputs later runs use; runs take them in turn.
    pub fn set_inputs(&mut self, inputs: Vec<Tensor>) -> Result<(), ModelError> {
        assert!(!inputs.is_empty(), "at least one input");
        for t in &inputs {
            check_shape(&self.input_spec, t)?;
        }
        self.inputs = inputs.into_iter().map(|t| tvec!(t.into_tvalue())).collect();
        self.next_input = 0;
        Ok(())
    }

    /// Runs once on the first prepared input and returns the outputs as f32.
    pub fn predict(&mut self) -> Result<Vec<Output>, ModelError> {
        let input = self.inputs[0].clone();
        let name = self.card.name.clone();
        let outputs = guarded(&name, "running", || {
            self.state
                .run(input)
                .map_err(|e| ModelError::Run(format!("{e:#}")))
        })?;
        let names = self.card.outputs.iter().map(|o| o.name.clone());
        outputs
            .into_iter()
            .zip(names.chain(std::iter::repeat(String::new())))
            .map(|(value, name)| {
                let t = value
                    .cast_to::<f32>()
                    .map_err(|e| ModelError::Run(format!("{e:#}")))?;
                let view = t
                    .to_plain_array_view::<f32>()
                    .map_err(|e| ModelError::Run(format!("{e:#}")))?;
                Ok(Output {
                    name,
                    shape: view.shape().to_vec(),
                    data: view.iter().copied().collect(),
                })
            })
            .collect()
    }
}

impl Inference for Runnable {
    type Error = ModelError;

    /// One inference; the outputs are dropped. Cloning the input vector only
    /// bumps reference counts: the tensor itself is never copied.
    #[inline]
    fn run_once(&mut self) -> Result<(), ModelError> {
        let input = self.inputs[self.next_input].clone();
        self.next_input = (self.next_input + 1) % self.inputs.len();
        let state = &mut self.state;
        guarded(&self.card.name, "running", || {
            state
                .run(input)
                .map(drop)
                .map_err(|e| ModelError::Run(format!("{e:#}")))
        })
    }
}

/// A model file as a shell hands it over: its name for messages, its
/// bytes, and the bytes of any weight files it names ([`external_files`]).
#[derive(Clone, Copy)]
pub struct ModelSource<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
    pub files: &'a ExternalFiles,
}

/// What [`prepare`] returns: a runnable model and what its steps took.
pub struct Prepared {
    pub runnable: Runnable,
    pub timings: crate::report::PipelineTimings,
    /// Nodes of the analysed graph, before optimisation.
    pub nodes_analysed: usize,
    /// Nodes of the graph that runs.
    pub nodes_planned: usize,
}

/// Steps 1–3 with fake input, timing each step on `clock`.
pub fn prepare<C: crate::clock::Clock + ?Sized>(
    source: ModelSource<'_>,
    opts: &LoadOptions,
    plan: Plan,
    kernels: Kernels,
    seed: u64,
    clock: &C,
) -> Result<Prepared, ModelError> {
    let t0 = clock.now_ms();
    let loaded = load_with_files(source, opts)?;
    let nodes_analysed = loaded.typed_node_count();
    let t1 = clock.now_ms();
    let optimised = loaded.optimise_with(plan, kernels)?;
    let nodes_planned = optimised.node_count();
    let t2 = clock.now_ms();
    let input = optimised.input.fake_tensor(seed)?;
    let runnable = optimised.into_runnable(input)?;
    let t3 = clock.now_ms();
    Ok(Prepared {
        runnable,
        timings: crate::report::PipelineTimings {
            load_ms: t1 - t0,
            optimise_ms: t2 - t1,
            make_runnable_ms: t3 - t2,
        },
        nodes_analysed,
        nodes_planned,
    })
}

fn check_shape(spec: &InputSpec, input: &Tensor) -> Result<(), ModelError> {
    if input.shape() != spec.shape.as_slice() {
        return Err(ModelError::InputShape {
            name: spec.name.clone(),
            expected: spec.shape.clone(),
            found: input.shape().to_vec(),
        });
    }
    Ok(())
}

fn analyse_error(name: &str, graph: &pb::GraphProto, e: TractError) -> ModelError {
    let detail = format!("{e:#}");
    let (layer, trouble) = diagnose::analysis(graph, &detail);
    ModelError::Analyse {
        name: name.to_string(),
        layer,
        trouble,
        detail,
    }
}

fn tensor_info(v: &pb::ValueInfoProto) -> TensorInfo {
    use pb::tensor_shape_proto::dimension::Value as Dim;
    use pb::type_proto::Value as Type;
    let (element_type, shape) = match v.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(Type::TensorType(t)) => {
            let shape = t.shape.as_ref().map(|s| {
                s.dim
                    .iter()
                    .map(|d| match &d.value {
                        Some(Dim::DimValue(n)) => n.to_string(),
                        Some(Dim::DimParam(p)) if !p.is_empty() => p.clone(),
                        _ => "?".to_string(),
                    })
                    .collect()
            });
            (
                onnx_type_name(t.elem_type).to_string(),
                shape.unwrap_or_default(),
            )
        }
        None => ("unknown".to_string(), vec![]),
    };
    TensorInfo {
        name: v.name.clone(),
        element_type,
        shape,
    }
}

/// The input as the benchmark feeds it: its element type from tract, the
/// shape decided by [`graph::decide_input_shape`], both checked.
fn fixed_input(
    name: &str,
    model: &InferenceModel,
    info: &TensorInfo,
    shape: &[usize],
    opts: &LoadOptions,
) -> Result<InputSpec, ModelError> {
    let fact = model
        .input_fact(0)
        .map_err(|e| analyse_error(name, &pb::GraphProto::default(), e))?;
    let input = info.name.clone();
    let non_numeric = || ModelError::NonNumericInput {
        name: name.to_string(),
        input: input.clone(),
        element_type: info.element_type.clone(),
    };
    let datum_type = fact.datum_type.concretize().ok_or_else(non_numeric)?;
    if !(datum_type.is_float() || datum_type.is_integer()) {
        return Err(non_numeric());
    }
    let shape = shape.to_vec();
    if shape.contains(&0) {
        return Err(ModelError::ZeroSized {
            name: name.to_string(),
            input,
            shape,
        });
    }
    let bytes = shape
        .iter()
        .try_fold(datum_type.size_of() as u64, |acc, &d| {
            acc.checked_mul(d as u64)
        });
    match bytes {
        Some(b) if b <= opts.max_input_bytes => {}
        _ => {
            return Err(ModelError::InputTooLarge {
                name: name.to_string(),
                input,
                bytes: bytes.unwrap_or(u64::MAX),
                limit: opts.max_input_bytes,
            })
        }
    }
    Ok(InputSpec {
        name: input,
        datum_type,
        shape,
    })
}

fn op_histogram(graph: &pb::GraphProto) -> BTreeMap<String, usize> {
    let mut h = BTreeMap::new();
    for n in &graph.node {
        *h.entry(n.op_type.clone()).or_insert(0) += 1;
    }
    h
}

/// Numbers stored in initializers and `Constant` nodes.
fn parameter_count(graph: &pb::GraphProto) -> u64 {
    let volume = |t: &pb::TensorProto| t.dims.iter().map(|&d| d.max(0) as u64).product::<u64>();
    let constants = graph
        .node
        .iter()
        .filter(|n| n.op_type == "Constant")
        .flat_map(|n| n.attribute.iter().filter_map(|a| a.t.as_ref()))
        .map(volume);
    graph.initializer.iter().map(volume).chain(constants).sum()
}

/// tract's tensor type, for shells that build inputs.
pub mod tract_tensor {
    pub use tract_onnx::prelude::Tensor;
}
