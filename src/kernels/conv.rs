//! Direct convolution for small, dense (group 1) convolutions on large
//! planes — a network's first layers, where few input channels make tract's
//! im2col + matrix product mostly overhead (TinyCNN's two convolutions,
//! MobileNetV2's stem).
//!
//! Every input channel is laid out in phase planes as in [`super::ops`];
//! an output channel is then `Σ` over (input channel, tap) of a weight
//! times a shifted contiguous run of the scratch. Four output channels are
//! computed together ([`simd::weighted_taps_x4`]) so each input load feeds
//! four multiply-adds.

#![allow(unsafe_code)] // tract's uninitialised output, entirely overwritten

use super::ops::{kernel_op, output_fact, Geometry};
use super::simd::{self, Isa};
use std::cell::RefCell;
use std::sync::Arc;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;

/// Convolutions are taken when each output sums at most this many products…
pub const MAX_REDUCTION: usize = 16 * 9;
/// …over an output plane of at least this many positions.
pub const MIN_POSITIONS: usize = 256;

#[derive(Clone, Debug, PartialEq)]
pub struct DirectConv {
    pub geo: Geometry,
    pub c_in: usize,
    /// `[C_out, C_in · kh · kw]`, row-major (ONNX's OIHW).
    pub weights: Arc<Vec<f32>>,
    pub bias: Arc<Vec<f32>>,
    pub clamp: (f32, f32),
}

impl Eq for DirectConv {}

thread_local! {
    static SCRATCH: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

impl DirectConv {
    pub fn c_out(&self) -> usize {
        self.bias.len()
    }

    pub fn eval_with(&self, isa: Isa, input: TValue) -> TractResult<TVec<TValue>> {
        let g = &self.geo;
        let (c_in, c_out) = (self.c_in, self.c_out());
        let shape = input.shape().to_vec();
        g.check_input(&shape, Some(c_in))?;
        let r = shape.len();
        let mut out_shape = g.output_shape(&shape);
        out_shape[r - 3] = c_out;
        let view = input.try_as_plain_ram()?;
        let x = view.as_slice::<f32>()?;
        let mut output = unsafe { Tensor::uninitialized::<f32>(&out_shape)? };
        let per_channel = g.scratch_len();
        let taps = g.tap_offsets();
        let k = taps.len();
        // Every (input channel, tap) source offset, in the weights' order.
        let offsets: Vec<usize> = (0..c_in)
            .flat_map(|ci| taps.iter().map(move |t| ci * per_channel + t))
            .collect();
        {
            let mut out_view = output.try_as_plain_ram_mut()?;
            let y = out_view.as_slice_mut::<f32>()?;
            let columns = g.column_targets();
            let wide_len = g.wide_len();
            SCRATCH.with_borrow_mut(|(scratch, wide)| {
                scratch.clear();
                scratch.resize(c_in * per_channel, 0.0);
                wide.resize(4 * wide_len, 0.0);
                let plane_out = g.oh * g.ow;
                for (xb, yb) in x
                    .chunks_exact(c_in * g.h * g.w)
                    .zip(y.chunks_exact_mut(c_out * plane_out))
                {
                    for (ci, plane) in xb.chunks_exact(g.h * g.w).enumerate() {
                        g.scatter(
                            isa,
                            plane,
                            &mut scratch[ci * per_channel..][..per_channel],
                            &columns,
                        );
                    }
                    let mut co = 0;
                    while co < c_out {
                        let block = (c_out - co).min(4);
                        let (w0, rest) = wide.split_at_mut(wide_len);
                        let (w1, rest) = rest.split_at_mut(wide_len);
                        let (w2, w3) = rest.split_at_mut(wide_len);
                        if block == 4 {
                            let rows: [&[f32]; 4] = std::array::from_fn(|j| {
                                &self.weights[(co + j) * c_in * k..][..c_in * k]
                            });
                            let bias: [f32; 4] = std::array::from_fn(|j| self.bias[co + j]);
                            simd::weighted_taps_x4(
                                isa,
                                [&mut *w0, &mut *w1, &mut *w2, &mut *w3],
                                scratch,
                                &offsets,
                                rows,
                                bias,
                                self.clamp,
                            );
                        } else {
                            for (j, w) in [&mut *w0, &mut *w1, &mut *w2]
                                .into_iter()
                                .enumerate()
                                .take(block)
                            {
                                let row = &self.weights[(co + j) * c_in * k..][..c_in * k];
                                let taps: Vec<simd::Tap> = offsets
                                    .iter()
                                    .zip(row)
                                    .map(|(&offset, &weight)| simd::Tap { offset, weight })
                                    .collect();
                                simd::weighted_taps(
                                    isa,
                                    w,
                                    scratch,
                                    &taps,
                                    self.bias[co + j],
                                    self.clamp.0,
                                    self.clamp.1,
                                );
                            }
                        }
                        for (j, w) in [&*w0, &*w1, &*w2, &*w3].into_iter().enumerate().take(block) {
                            g.gather(w, &mut yb[(co + j) * plane_out..][..plane_out]);
                        }
                        co += block;
                    }
                }
            });
        }
        Ok(tvec!(output.into_tvalue()))
    }
}

kernel_op!(DirectConv, "PiEdgeDirectConv", |op| format!(
    "{} -> {} ch, {:?}, clamp {:?}",
    op.c_in,
    op.c_out(),
    op.geo,
    op.clamp
));

impl TypedOp for DirectConv {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        output_fact(&self.geo, inputs[0], Some(self.c_out()))
    }

    as_op!();
}
