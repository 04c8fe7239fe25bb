//! Swaps the project's operators into a decluttered tract graph:
//!
//! - a `Conv` with `group == input channels == output channels` (depthwise),
//!   channel-first `f32`, 2-D, constant kernel and bias, becomes a
//!   [`DepthwiseConv`], taking along the `Max`/`Min` with a constant that
//!   follow it (how tract expresses ONNX `Relu` and `Clip`, i.e. ReLU6);
//! - a dense (`group == 1`) convolution with few products per output
//!   (`C_in · kh · kw ≤ 144`) on a large output plane, or a grouped one
//!   (RegNet's: groups of 8 channels) with as few per group on any plane,
//!   becomes a [`DirectConv`], with its clamps likewise;
//! - a dense 1×1 convolution (stride 1, no padding) on a plane of at most
//!   16 positions — which declutter has made an `EinSum` `IHW,OI->OHW`
//!   with constant weights, then an `Add` of the bias — becomes a
//!   [`PointwiseConv`], taking along the bias, an `Add` of a same-shaped
//!   tensor that only it feeds (a residual connection) and the clamps
//!   after that;
//! - a fully connected layer — an `EinSum` of an input `[M…, K…]` and
//!   constant weights `[N, K…]` into `[M…, N]` (axes of one anywhere), as
//!   declutter makes an ONNX `Gemm` or `MatMul` with the `Flatten` before
//!   it — becomes a [`Dense`], with the `Add` of a bias `[N]` and the
//!   clamps after it;
//! - a `MaxPool` without padding that alone reads a [`DirectConv`]'s
//!   output is taken into it ([`conv::PoolAfter`]);
//! - any other `MaxPool` on channel-first `f32` 2-D data without index output
//!   becomes a [`MaxPool2d`], taking along a ReLU (`Max` with a constant)
//!   that only feeds it.
//!
//! Anything else is left to tract. The graph must be decluttered first
//! (constants folded, padding merged into the convolutions).

use super::conv::{self, DirectConv};
use super::dense::{self, Dense};
use super::ops::{DepthwiseConv, Geometry, MaxPool2d};
use super::pointwise::{self, PointwiseConv};
use std::sync::Arc;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::binary::TypedBinOp;
use tract_onnx::tract_core::ops::cnn::{Conv, KernelFormat, MaxPool, PoolSpec};
use tract_onnx::tract_core::ops::einsum::EinSum;

/// What [`rewrite`] replaced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rewritten {
    pub depthwise: usize,
    /// Small dense convolutions on large planes.
    pub direct: usize,
    /// 1×1 convolutions on small planes.
    pub pointwise: usize,
    /// Residual `Add`s fused into them.
    pub fused_adds: usize,
    /// Clamps (`Max`/`Min` nodes) fused into the new operators.
    pub fused_clamps: usize,
    /// Max pools computed on their own ([`MaxPool2d`]).
    pub max_pools: usize,
    /// Max pools taken into the direct convolution they read.
    pub fused_pools: usize,
    /// Fully connected layers.
    pub dense: usize,
}

/// Replaces what the project has kernels for; returns what it replaced.
pub fn rewrite(model: &mut TypedModel) -> TractResult<Rewritten> {
    let mut done = Rewritten::default();
    for id in model.eval_order()? {
        let node = model.node(id);
        if let Some(conv) = node.op_as::<Conv>() {
            if let Some((op, last, fused)) = depthwise(model, node, conv)? {
                replace(model, id, node.inputs[0], op, last)?;
                done.depthwise += 1;
                done.fused_clamps += fused;
            } else if let Some((op, last, fused)) = direct(model, node, conv)? {
                replace(model, id, node.inputs[0], op, last)?;
                done.direct += 1;
                done.fused_clamps += fused;
            }
        } else if let Some(einsum) = node.op_as::<EinSum>() {
            if let Some((op, residual, last, fused)) = pointwise(model, node, einsum)? {
                let mut inputs = vec![node.inputs[0]];
                inputs.extend(residual);
                done.fused_adds += residual.is_some() as usize;
                let name = format!("{}.piedge", node.name);
                replace_with(model, name, &inputs, op, last)?;
                done.pointwise += 1;
                done.fused_clamps += fused;
            } else if let Some((op, last, fused)) = fully_connected(model, node, einsum)? {
                replace(model, id, node.inputs[0], op, last)?;
                done.dense += 1;
                done.fused_clamps += fused;
            }
        } else if let Some(pool) = node.op_as::<MaxPool>() {
            if pool.with_index_outputs.is_none() {
                let geo = geometry(model, node, &pool.pool_spec)?;
                let pooled = match &geo {
                    Some(geo) => pooled_conv(model, node, geo)?,
                    None => None,
                };
                if let Some((conv_id, op)) = pooled {
                    let conv = model.node(conv_id);
                    let (name, input) = (conv.name.clone(), conv.inputs[0]);
                    replace_with(model, name, &[input], op, OutletId::new(id, 0))?;
                    done.fused_pools += 1;
                } else if let Some(geo) = geo {
                    // max(relu(x)) = relu(max(x)): pool first, clamp after,
                    // and the ReLU pass over the larger input disappears.
                    // (Not where a window is all padding: tract gives the
                    // padding value there, the ReLU cannot lift it.)
                    let relu = if geo.has_empty_window() {
                        None
                    } else {
                        relu_before(model, node.inputs[0])?
                    };
                    let (input, lo) = match relu {
                        Some((input, lo)) => {
                            done.fused_clamps += 1;
                            (input, lo)
                        }
                        None => (node.inputs[0], f32::MIN),
                    };
                    replace(
                        model,
                        id,
                        input,
                        MaxPool2d { geo, lo },
                        OutletId::new(id, 0),
                    )?;
                    done.max_pools += 1;
                }
            }
        }
    }
    if done != Rewritten::default() {
        // Drops the replaced nodes.
        model.compact()?;
    }
    Ok(done)
}

/// Wires `op` (named after node `id`) on `input` and moves every reader of
/// `last` (the output of the node, or of the last clamp fused into it) onto it.
fn replace<O: TypedOp>(
    model: &mut TypedModel,
    id: usize,
    input: OutletId,
    op: O,
    last: OutletId,
) -> TractResult<()> {
    let name = format!("{}.piedge", model.node(id).name);
    replace_with(model, name, &[input], op, last)
}

/// [`replace`] for an operator of several inputs, named `name`.
fn replace_with<O: TypedOp>(
    model: &mut TypedModel,
    name: String,
    inputs: &[OutletId],
    op: O,
    last: OutletId,
) -> TractResult<()> {
    let mut patch = TypedModelPatch::default();
    let inputs: TVec<OutletId> = inputs
        .iter()
        .map(|i| patch.tap_model(model, *i))
        .collect::<TractResult<_>>()?;
    let wire = patch.wire_node(name, op, &inputs)?[0];
    patch.shunt_outside(model, last, wire)?;
    patch.apply(model)
}

/// The sliding-window geometry of a channel-first 2-D `f32` window op with a
/// concrete input, or `None` when the project's kernels do not cover it.
fn geometry(
    model: &TypedModel,
    node: &TypedNode,
    spec: &PoolSpec,
) -> TractResult<Option<Geometry>> {
    let fact = model.outlet_fact(node.inputs[0])?;
    let Some(shape) = fact.shape.as_concrete() else {
        return Ok(None);
    };
    if fact.datum_type != f32::datum_type()
        || spec.data_format.c_is_last()
        || spec.rank() != 2
        || shape.len() != 2 + spec.data_format.has_n() as usize + 1
    {
        return Ok(None);
    }
    let hw = &shape[shape.len() - 2..];
    let padded = spec.computed_padding(hw);
    let (strides, dilations) = (spec.strides(), spec.dilations());
    let geo = Geometry {
        h: hw[0],
        w: hw[1],
        kh: spec.kernel_shape[0],
        kw: spec.kernel_shape[1],
        stride: (strides[0], strides[1]),
        dilation: (dilations[0], dilations[1]),
        pad: (padded[0].pad_before, padded[1].pad_before),
        oh: padded[0].convoluted,
        ow: padded[1].convoluted,
    };
    if geo.oh == 0
        || geo.ow == 0
        || geo.kh == 0
        || geo.kw == 0
        || geo.stride.0 == 0
        || geo.stride.1 == 0
    {
        return Ok(None);
    }
    Ok(Some(geo))
}

fn constant(model: &TypedModel, outlet: OutletId) -> TractResult<Option<Vec<f32>>> {
    let fact = model.outlet_fact(outlet)?;
    let Some(k) = fact.konst.as_ref() else {
        return Ok(None);
    };
    if k.datum_type() != f32::datum_type() {
        return Ok(None);
    }
    Ok(Some(k.try_as_plain_ram()?.as_slice::<f32>()?.to_vec()))
}

/// A depthwise conv as a [`DepthwiseConv`], the outlet it replaces (after
/// fused clamps) and how many clamps it took.
fn depthwise(
    model: &TypedModel,
    node: &TypedNode,
    conv: &Conv,
) -> TractResult<Option<(DepthwiseConv, OutletId, usize)>> {
    let c = conv.input_channels();
    if conv.q_params.is_some()
        || conv.group < 2
        || conv.group != c
        || conv.output_channels() != c
        || conv.kernel_fmt != KernelFormat::OIHW
        || node.inputs.len() != 3
    {
        return Ok(None);
    }
    let Some(geo) = geometry(model, node, &conv.pool_spec)? else {
        return Ok(None);
    };
    let Some((weights, bias)) = weights_and_bias(model, node, c * geo.kh * geo.kw, c)? else {
        return Ok(None);
    };
    let (last, clamp, fused) = clamp_chain(model, node)?;
    Ok(Some((
        DepthwiseConv::new(geo, weights, bias, clamp),
        last,
        fused,
    )))
}

/// A small dense convolution on a large plane as a [`DirectConv`], like
/// [`depthwise`].
fn direct(
    model: &TypedModel,
    node: &TypedNode,
    conv: &Conv,
) -> TractResult<Option<(DirectConv, OutletId, usize)>> {
    let (c_in, c_out, group) = (conv.input_channels(), conv.output_channels(), conv.group);
    if conv.q_params.is_some()
        || !DirectConv::takes_groups(c_in, c_out, group)
        || conv.kernel_fmt != KernelFormat::OIHW
        || node.inputs.len() != 3
    {
        return Ok(None);
    }
    let Some(geo) = geometry(model, node, &conv.pool_spec)? else {
        return Ok(None);
    };
    let taps = geo.kh * geo.kw;
    let reduction = c_in / group * taps;
    // A grouped convolution takes the kernel on any plane: tract runs one
    // small matrix product per group there.
    if taps < 2
        || reduction > conv::MAX_REDUCTION
        || (group == 1 && geo.oh * geo.ow < conv::MIN_POSITIONS)
    {
        return Ok(None);
    }
    let Some((weights, bias)) = weights_and_bias(model, node, c_out * reduction, c_out)? else {
        return Ok(None);
    };
    let (last, clamp, fused) = clamp_chain(model, node)?;
    let op = DirectConv {
        geo,
        c_in,
        group,
        weights: Arc::new(weights),
        bias: Arc::new(bias),
        clamp,
        pool: None,
    };
    Ok(Some((op, last, fused)))
}

/// When `pool` (a max pool of geometry `geo`) is the only reader of a
/// [`DirectConv`] without a pool yet, and its windows have no padding or
/// dilation: that convolution's node and the convolution with the pool
/// taken in. (A ReLU between them is already the convolution's clamp.)
fn pooled_conv(
    model: &TypedModel,
    pool: &TypedNode,
    geo: &Geometry,
) -> TractResult<Option<(usize, DirectConv)>> {
    let input = pool.inputs[0];
    let producer = model.node(input.node);
    let Some(conv) = producer.op_as::<DirectConv>() else {
        return Ok(None);
    };
    if conv.pool.is_some()
        || producer.outputs[input.slot].successors.len() != 1
        || model.output_outlets()?.contains(&input)
        || geo.pad != (0, 0)
        || geo.dilation != (1, 1)
        || (geo.h, geo.w) != (conv.geo.oh, conv.geo.ow)
    {
        return Ok(None);
    }
    let fitting =
        conv::PoolAfter::fitting(geo.h, geo.w, (geo.kh, geo.kw), geo.stride, (geo.oh, geo.ow));
    Ok(fitting.map(|after| {
        let op = DirectConv {
            pool: Some(after),
            ..conv.clone()
        };
        (producer.id, op)
    }))
}

/// A decluttered 1×1 convolution on a small plane as a [`PointwiseConv`]:
/// with the residual it adds (the other input of an `Add` that only this
/// convolution feeds), the outlet it replaces and the clamps it took.
#[allow(clippy::type_complexity)]
fn pointwise(
    model: &TypedModel,
    node: &TypedNode,
    einsum: &EinSum,
) -> TractResult<Option<(PointwiseConv, Option<OutletId>, OutletId, usize)>> {
    // The forms Conv::declutter_as_einsum gives a channel-first 1×1
    // convolution, without and with the batch axis; with one input or one
    // output channel, the weights lose that axis. In every form the weights
    // are `[C_out, C_in]` in row-major order.
    let form = einsum.axes.to_string();
    let forms = [
        "IHW,OI->OHW",
        "NIHW,OI->NOHW",
        "IHW,O->OHW",
        "NIHW,O->NOHW",
        "IHW,I->OHW",
        "NIHW,I->NOHW",
        // A batch of one whose axis the output drops.
        "NIHW,OI->OHW",
        "NIHW,O->OHW",
        "NIHW,I->OHW",
    ];
    if einsum.q_params.is_some()
        || einsum.operating_dt != f32::datum_type()
        || !forms.contains(&form.as_str())
        || node.inputs.len() != 2
    {
        return Ok(None);
    }
    let x = model.outlet_fact(node.inputs[0])?;
    let (Some(shape), Some(out_shape)) = (
        x.shape.as_concrete(),
        model
            .outlet_fact(OutletId::new(node.id, 0))?
            .shape
            .as_concrete(),
    ) else {
        return Ok(None);
    };
    let r = shape.len();
    let drop_batch = r == 4 && shape[0] == 1 && out_shape.len() == 3;
    if x.datum_type != f32::datum_type() || r < 3 || (out_shape.len() != r && !drop_batch) {
        return Ok(None);
    }
    let (c_in, positions) = (shape[r - 3], shape[r - 2] * shape[r - 1]);
    let c_out = out_shape[out_shape.len() - 3];
    if c_in == 0
        || c_out == 0
        || positions == 0
        || positions > pointwise::MAX_POSITIONS
        || !pointwise::pays()
    {
        return Ok(None);
    }
    let Some(weights) = constant(model, node.inputs[1])? else {
        return Ok(None);
    };
    if weights.len() != c_out * c_in {
        return Ok(None);
    }
    let mut last = OutletId::new(node.id, 0);
    let mut bias = vec![0.0; c_out];
    if let Some((next, b)) = bias_after(model, last, c_out, 3)? {
        last = next;
        bias = b;
    }
    let mut residual = None;
    if let Some((next, other)) = residual_after(model, last)? {
        last = next;
        residual = Some(other);
    }
    let (last, clamp, fused) = clamp_chain_from(model, last)?;
    let mut op = PointwiseConv::new(c_in, positions, &weights, &bias, residual.is_some(), clamp);
    op.drop_batch = drop_batch;
    Ok(Some((op, residual, last, fused)))
}

/// A fully connected layer as a [`Dense`], the outlet it replaces (after the
/// bias and fused clamps) and how many clamps it took. The einsum's form
/// must read its weights as `[N, K…]` and its input as rows `[M…, K…]` with
/// the same `K…` axes in the same order (then both are row-major matrices),
/// writing `[M…, N]`; axes of one are ignored where they stand.
fn fully_connected(
    model: &TypedModel,
    node: &TypedNode,
    einsum: &EinSum,
) -> TractResult<Option<(Dense, OutletId, usize)>> {
    if !dense::pays()
        || einsum.q_params.is_some()
        || einsum.operating_dt != f32::datum_type()
        || node.inputs.len() != 2
    {
        return Ok(None);
    }
    let form = einsum.axes.to_string();
    let Some((inputs, out_axes)) = form.split_once("->") else {
        return Ok(None);
    };
    let Some((x_axes, w_axes)) = inputs.split_once(',') else {
        return Ok(None);
    };
    let (x, w) = (
        model.outlet_fact(node.inputs[0])?,
        model.outlet_fact(node.inputs[1])?,
    );
    let out = model.outlet_fact(OutletId::new(node.id, 0))?;
    let (Some(x_shape), Some(w_shape), Some(out_shape)) = (
        x.shape.as_concrete(),
        w.shape.as_concrete(),
        out.shape.as_concrete(),
    ) else {
        return Ok(None);
    };
    let axes = |form: &str, shape: &[usize]| -> Option<Vec<(char, usize)>> {
        let chars: Vec<char> = form.chars().collect();
        (chars.len() == shape.len()).then(|| chars.into_iter().zip(shape.iter().copied()).collect())
    };
    let (Some(xa), Some(wa), Some(oa)) = (
        axes(x_axes, x_shape),
        axes(w_axes, w_shape),
        axes(out_axes, out_shape),
    ) else {
        return Ok(None);
    };
    let Some(&(n_axis, n)) = wa.first() else {
        return Ok(None);
    };
    let contracted = &wa[1..];
    let is_contracted = |c: char| contracted.iter().any(|&(a, _)| a == c);
    if contracted.is_empty()
        || x.datum_type != f32::datum_type()
        || xa.iter().any(|&(a, _)| a == n_axis)
        || oa.iter().any(|&(a, _)| is_contracted(a))
    {
        return Ok(None);
    }
    // Rows, then the contracted axes in the weights' order; out: the rows'
    // axes, then N.
    let xs: Vec<(char, usize)> = xa
        .into_iter()
        .filter(|&(a, d)| d != 1 || is_contracted(a))
        .collect();
    let Some(rows) = xs.len().checked_sub(contracted.len()) else {
        return Ok(None);
    };
    let os: Vec<(char, usize)> = oa
        .into_iter()
        .filter(|&(a, d)| d != 1 || a == n_axis)
        .collect();
    let mut want_out = xs[..rows].to_vec();
    want_out.push((n_axis, n));
    if xs[rows..] != *contracted || os != want_out {
        return Ok(None);
    }
    let k: usize = contracted.iter().map(|&(_, d)| d).product();
    let Some(weights) = constant(model, node.inputs[1])? else {
        return Ok(None);
    };
    if weights.len() != n * k || n == 0 || k == 0 {
        return Ok(None);
    }
    let mut last = OutletId::new(node.id, 0);
    let mut bias = vec![0.0; n];
    if let Some((next, b)) = bias_after(model, last, n, 1)? {
        last = next;
        bias = b;
    }
    let (last, clamp, fused) = clamp_chain_from(model, last)?;
    let out_shape = model
        .outlet_fact(last)?
        .shape
        .as_concrete()
        .map(|s| s.into());
    let Some(out_shape) = out_shape else {
        return Ok(None);
    };
    Ok(Some((
        Dense::new(k, weights, bias, clamp, out_shape),
        last,
        fused,
    )))
}

/// If `outlet`'s only reader is an `Add` of a constant with one value per
/// channel, or one for all, that leaves the shape as it is: that `Add`'s
/// output and the per-channel values. The channels are the axis
/// `from_end` places from the last (3 for `[N,] C, H, W`: a bias `[C, 1, 1]`
/// or `[1, C, 1, 1]`; 1 for a fully connected layer's `[…, N]`: `[N]`,
/// `[1, N]`), and the constant's other axes are of one, aligned to the
/// right as broadcasting aligns them.
fn bias_after(
    model: &TypedModel,
    outlet: OutletId,
    channels: usize,
    from_end: usize,
) -> TractResult<Option<(OutletId, Vec<f32>)>> {
    let Some((add_out, other)) = add_after(model, outlet)? else {
        return Ok(None);
    };
    let Some(b) = constant(model, other)? else {
        return Ok(None);
    };
    let out_rank = model.outlet_fact(outlet)?.rank();
    let Some(b_shape) = model.outlet_fact(other)?.shape.as_concrete() else {
        return Ok(None);
    };
    let per_channel = b_shape.len() <= out_rank
        && b_shape.len() >= from_end
        && b_shape.iter().enumerate().all(|(axis, &d)| {
            d == if axis == b_shape.len() - from_end {
                channels
            } else {
                1
            }
        });
    let bias = match b.len() {
        1 if b_shape.len() <= out_rank => vec![b[0]; channels],
        n if n == channels && per_channel => b,
        _ => return Ok(None),
    };
    if model.outlet_fact(add_out)?.shape != model.outlet_fact(outlet)?.shape {
        return Ok(None);
    }
    Ok(Some((add_out, bias)))
}

/// If `outlet`'s only reader (and not the graph's output) is a plain
/// two-input element-wise operator, its name (`Add`, `Max`, …), its output
/// and its other input.
fn binary_after(
    model: &TypedModel,
    outlet: OutletId,
) -> TractResult<Option<(&'static str, OutletId, OutletId)>> {
    let succs = &model.node(outlet.node).outputs[outlet.slot].successors;
    if succs.len() != 1 || model.output_outlets()?.contains(&outlet) {
        return Ok(None);
    }
    let next = model.node(succs[0].node);
    let Some(bin) = next.op_as::<TypedBinOp>() else {
        return Ok(None);
    };
    if bin.1.is_some() || next.inputs.len() != 2 {
        return Ok(None);
    }
    Ok(Some((
        bin.0.name(),
        OutletId::new(next.id, 0),
        next.inputs[1 - succs[0].slot],
    )))
}

/// If `outlet`'s only reader is an `Add`, that `Add`'s output and its other
/// input.
fn add_after(model: &TypedModel, outlet: OutletId) -> TractResult<Option<(OutletId, OutletId)>> {
    Ok(match binary_after(model, outlet)? {
        Some(("Add", out, other)) => Some((out, other)),
        _ => None,
    })
}

/// If `outlet`'s only reader is an `Add` of a computed `f32` tensor of the
/// same shape (no broadcasting), the `Add`'s output and that other input.
fn residual_after(
    model: &TypedModel,
    outlet: OutletId,
) -> TractResult<Option<(OutletId, OutletId)>> {
    let Some((add_out, other)) = add_after(model, outlet)? else {
        return Ok(None);
    };
    let (mine, theirs, sum) = (
        model.outlet_fact(outlet)?,
        model.outlet_fact(other)?,
        model.outlet_fact(add_out)?,
    );
    if other == outlet
        || theirs.konst.is_some()
        || theirs.datum_type != f32::datum_type()
        || theirs.shape != mine.shape
        || sum.shape != mine.shape
    {
        return Ok(None);
    }
    Ok(Some((add_out, other)))
}

/// A convolution's constant kernel (`weights` values) and bias (one per
/// output channel, or one for all), or `None` when they are not constants
/// of that size.
fn weights_and_bias(
    model: &TypedModel,
    node: &TypedNode,
    weights: usize,
    channels: usize,
) -> TractResult<Option<(Vec<f32>, Vec<f32>)>> {
    let (Some(w), Some(b)) = (
        constant(model, node.inputs[1])?,
        constant(model, node.inputs[2])?,
    ) else {
        return Ok(None);
    };
    let b = match b.len() {
        n if n == channels => b,
        1 => vec![b[0]; channels],
        _ => return Ok(None),
    };
    Ok((w.len() == weights).then_some((w, b)))
}

/// The `Max`/`Min` clamps that follow `node` alone: the outlet after the
/// last, the combined bounds, and how many there were.
fn clamp_chain(model: &TypedModel, node: &TypedNode) -> TractResult<(OutletId, (f32, f32), usize)> {
    clamp_chain_from(model, OutletId::new(node.id, 0))
}

/// [`clamp_chain`] after any outlet.
fn clamp_chain_from(
    model: &TypedModel,
    outlet: OutletId,
) -> TractResult<(OutletId, (f32, f32), usize)> {
    let (mut lo, mut hi) = (f32::NEG_INFINITY, f32::INFINITY);
    let mut last = outlet;
    let mut fused = 0;
    while let Some((next, op, bound)) = clamp_after(model, last)? {
        match op {
            "Max" => lo = lo.max(bound),
            _ => hi = hi.min(bound),
        }
        last = next;
        fused += 1;
    }
    Ok((last, (lo, hi), fused))
}

/// If `outlet` is made by a `Max` with a uniform constant (a ReLU) that
/// nothing else reads, that node's other input and the constant.
fn relu_before(model: &TypedModel, outlet: OutletId) -> TractResult<Option<(OutletId, f32)>> {
    let node = model.node(outlet.node);
    let Some(bin) = node.op_as::<TypedBinOp>() else {
        return Ok(None);
    };
    if bin.0.name() != "Max"
        || bin.1.is_some()
        || node.inputs.len() != 2
        || node.outputs[outlet.slot].successors.len() != 1
        || model.output_outlets()?.contains(&outlet)
    {
        return Ok(None);
    }
    for (data, k) in [(0, 1), (1, 0)] {
        let Some(v) = constant(model, node.inputs[k])? else {
            continue;
        };
        let same_shape =
            model.outlet_fact(node.inputs[data])?.shape == model.outlet_fact(outlet)?.shape;
        if !v.is_empty() && v.iter().all(|x| *x == v[0] && !x.is_nan()) && same_shape {
            return Ok(Some((node.inputs[data], v[0])));
        }
    }
    Ok(None)
}

/// If `outlet`'s only reader is a `Max` or `Min` with a uniform constant
/// that keeps the shape, that node's output, its name and the constant.
fn clamp_after(
    model: &TypedModel,
    outlet: OutletId,
) -> TractResult<Option<(OutletId, &'static str, f32)>> {
    let Some((op @ ("Max" | "Min"), next, other)) = binary_after(model, outlet)? else {
        return Ok(None);
    };
    let Some(k) = constant(model, other)? else {
        return Ok(None);
    };
    let same_shape = model.outlet_fact(next)?.shape == model.outlet_fact(outlet)?.shape;
    if k.is_empty() || k.iter().any(|v| *v != k[0] || v.is_nan()) || !same_shape {
        return Ok(None);
    }
    Ok(Some((next, op, k[0])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tract_onnx::tract_core::ops::math;

    /// `x · wᵀ + b` as tract has it after declutter, for the einsum `form`
    /// (the weights `[N, K…]` or another layout), then `Add` of a bias `[N]`.
    fn head(form: &str, x: &[usize], w: &[usize], n: usize) -> TractResult<TypedModel> {
        let mut m = TypedModel::default();
        let values = |len: usize, seed: usize| -> Vec<f32> {
            (0..len)
                .map(|i| (((i + seed) * 7919) % 23) as f32 / 23.0 - 0.5)
                .collect()
        };
        let input = m.add_source("x", f32::fact(x))?;
        let weights = Tensor::from_shape(w, &values(w.iter().product(), 1))?;
        let weights = m.add_const("w", weights)?;
        let einsum = EinSum::new(form.parse()?, f32::datum_type());
        let y = m.wire_node("fc", einsum, &[input, weights])?[0];
        let rank = m.outlet_fact(y)?.rank();
        let mut b_shape = vec![1; rank];
        b_shape[rank - 1] = n;
        let bias = m.add_const("b", Tensor::from_shape(&b_shape, &values(n, 2))?)?;
        let y = m.wire_node("bias", math::add(), &[y, bias])?[0];
        m.select_output_outlets(&[y])?;
        Ok(m)
    }

    /// Forms that are a fully connected layer become one, with the bias,
    /// and give tract's values; others are left alone.
    #[test]
    fn fully_connected_forms() -> TractResult<()> {
        if !dense::pays() {
            return Ok(());
        }
        // (form, input shape, weights shape, N, taken)
        type Case = (
            &'static str,
            &'static [usize],
            &'static [usize],
            usize,
            bool,
        );
        let cases: [Case; 7] = [
            ("mk,nk->mn", &[1, 40], &[3, 40], 3, true),
            ("mk,nk->mn", &[5, 17], &[9, 17], 9, true),
            // TinyCNN's head: the flatten folded in.
            ("mbak,nbak->mn", &[1, 4, 3, 5], &[2, 4, 3, 5], 2, true),
            // MobileNetV2's: axes of one after the contracted one, none for rows.
            ("kba,nk->mn", &[24, 1, 1], &[7, 24], 7, true),
            ("bmk,nk->bmn", &[2, 3, 11], &[4, 11], 4, true),
            // Weights stored `[K, N]`: not this kernel's layout.
            ("mk,kn->mn", &[2, 6], &[6, 5], 5, false),
            // Contracted axes in another order in the input.
            ("mab,nba->mn", &[1, 3, 4], &[2, 4, 3], 2, false),
        ];
        for (form, x, w, n, taken) in cases {
            let model = head(form, x, w, n)?;
            let input = Tensor::from_shape(
                x,
                &(0..x.iter().product::<usize>())
                    .map(|i| (i % 13) as f32 * 0.1 - 0.6)
                    .collect::<Vec<_>>(),
            )?;
            let run = |m: TypedModel| -> TractResult<Tensor> {
                let out = m.into_runnable()?.run(tvec![input.clone().into_tvalue()])?;
                Ok(out[0].clone().into_tensor())
            };
            let theirs = run(model.clone().into_optimized()?)?;
            let mut ours = model.into_decluttered()?;
            let done = rewrite(&mut ours)?;
            assert_eq!(done.dense, taken as usize, "{form}: {done:?}");
            let ours = run(ours.into_optimized()?)?;
            assert_eq!(ours.shape(), theirs.shape(), "{form}");
            let (a, b) = (ours.try_as_plain_ram()?, theirs.try_as_plain_ram()?);
            for (x, y) in a.as_slice::<f32>()?.iter().zip(b.as_slice::<f32>()?) {
                assert!(
                    (x - y).abs() <= 1e-4 * (1.0 + y.abs()),
                    "{form}: {x} vs {y}"
                );
            }
        }
        Ok(())
    }
}
