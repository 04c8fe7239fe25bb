//! The project's own tract operators: a depthwise 2-D convolution (bias and
//! a following clamp fused in) and a 2-D max pool, both on channel-first
//! `f32` data (`N, C, H, W` or `C, H, W`).
//!
//! Both use one layout trick. For a stride of `s`, the zero-padded input
//! plane of a channel is split into `s × s` *phase planes* (rows and columns
//! taken modulo the stride), each `R × Q` values. In phase-plane
//! coordinates every kernel tap reads a contiguous run of memory for a
//! whole band of outputs, at stride 1, with no bounds checks: the output
//! `(oy, ox)` is computed at index `oy · Q + ox` of a "wide" row-major grid
//! whose `Q − OW` extra columns are scratch and dropped. So a convolution
//! becomes `kh · kw` shifted multiply-adds over `OH · Q` contiguous values
//! (one call of [`simd::weighted_taps`]), and a pool the same with `max`.
//!
//! Per evaluation the scratch is filled once with the padding value (0, or
//! the lowest float for max); each channel then overwrites the same interior positions,
//! so the padding stays in place.

// The one `unsafe` here: tract's uninitialised output tensor, entirely
// overwritten before it is read.
#![allow(unsafe_code)]

use super::simd::{self, Isa, Tap};
use super::team;
use std::cell::RefCell;
use std::sync::Arc;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;

/// The tract plumbing every project operator shares: one input, evaluated
/// by its `eval_with` on the current instruction set; `describe` gives the
/// line tract prints about the node.
macro_rules! kernel_op {
    ($op:ty, $name:literal, $describe:expr) => {
        impl Op for $op {
            fn name(&self) -> StaticName {
                $name.into()
            }

            fn info(&self) -> TractResult<Vec<String>> {
                let describe: fn(&$op) -> String = $describe;
                Ok(vec![format!("{}, {}", describe(self), Isa::best().name())])
            }

            fn validation(&self) -> Validation {
                Validation::Rounding
            }

            op_as_typed_op!();
        }

        impl EvalOp for $op {
            op_out_of_plan!();

            fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
                let input = args_1!(inputs);
                self.eval_with(Isa::current(), input)
            }
        }
    };
}
pub(crate) use kernel_op;

/// Where a 2-D sliding window reads, for one channel plane.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Geometry {
    pub h: usize,
    pub w: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride: (usize, usize),
    pub dilation: (usize, usize),
    /// Padding rows above and columns left of the input.
    pub pad: (usize, usize),
    pub oh: usize,
    pub ow: usize,
}

impl Geometry {
    /// Rows of a phase plane: enough for every output row plus the deepest
    /// tap, plus one so the wide grid's scratch columns stay in bounds.
    fn plane_rows(&self) -> usize {
        self.oh + (self.kh - 1) * self.dilation.0 / self.stride.0 + 1
    }

    /// Columns of a phase plane (and of the wide output grid).
    fn plane_cols(&self) -> usize {
        self.ow + (self.kw - 1) * self.dilation.1 / self.stride.1
    }

    fn plane_len(&self) -> usize {
        self.plane_rows() * self.plane_cols()
    }

    /// Refuses an input that is not `[N,] C, H, W` with this plane (and
    /// `channels` channels, when given).
    pub(crate) fn check_input(&self, shape: &[usize], channels: Option<usize>) -> TractResult<()> {
        let r = shape.len();
        ensure!(
            r >= 3
                && shape[r - 2] == self.h
                && shape[r - 1] == self.w
                && channels.is_none_or(|c| shape[r - 3] == c),
            "input {shape:?} does not match {} channels of {}x{}",
            channels.map_or("the".to_string(), |c| c.to_string()),
            self.h,
            self.w
        );
        Ok(())
    }

    /// Whether some output window covers only padding (possible with large
    /// padding or dilation): there a max pool yields its padding value.
    pub fn has_empty_window(&self) -> bool {
        let empty = |o: usize, k: usize, s: usize, d: usize, pad: usize, len: usize| {
            (0..o)
                .any(|i| (0..k).all(|t| (i * s + t * d).checked_sub(pad).is_none_or(|x| x >= len)))
        };
        empty(
            self.oh,
            self.kh,
            self.stride.0,
            self.dilation.0,
            self.pad.0,
            self.h,
        ) || empty(
            self.ow,
            self.kw,
            self.stride.1,
            self.dilation.1,
            self.pad.1,
            self.w,
        )
    }

    /// Values in all phase planes of one channel.
    pub fn scratch_len(&self) -> usize {
        self.stride.0 * self.stride.1 * self.plane_len()
    }

    /// Length of the wide output grid.
    pub fn wide_len(&self) -> usize {
        self.oh * self.plane_cols()
    }

    /// Where each tap (row-major over the kernel) starts in the scratch.
    pub fn tap_offsets(&self) -> Vec<usize> {
        let (sh, sw) = self.stride;
        let (dh, dw) = self.dilation;
        let q = self.plane_cols();
        let mut v = Vec::with_capacity(self.kh * self.kw);
        for ky in 0..self.kh {
            for kx in 0..self.kw {
                let (y, x) = (ky * dh, kx * dw);
                let plane = (y % sh) * sw + x % sw;
                v.push(plane * self.plane_len() + (y / sh) * q + x / sw);
            }
        }
        v
    }

    /// For each column phase `px`: the first input column landing in it, its
    /// phase-plane column, and how many input columns land there.
    pub(crate) fn column_targets(&self) -> Vec<(usize, usize, usize)> {
        let (_, sw) = self.stride;
        let q = self.plane_cols();
        (0..sw)
            .map(|px| {
                // Input columns ic with (ic + pad) % sw == px.
                let first = (px + sw - self.pad.1 % sw) % sw;
                if first >= self.w {
                    return (0, 0, 0);
                }
                let q0 = (first + self.pad.1) / sw;
                let available = (self.w - first).div_ceil(sw);
                (first, q0, available.min(q.saturating_sub(q0)))
            })
            .collect()
    }

    /// Copies one channel's `h × w` plane into the scratch's phase planes.
    pub(crate) fn scatter(
        &self,
        isa: Isa,
        plane: &[f32],
        scratch: &mut [f32],
        columns: &[(usize, usize, usize)],
    ) {
        let (sh, sw) = self.stride;
        let (q, rows) = (self.plane_cols(), self.plane_rows());
        if sw == 2 {
            // Each (row phase, column phase) plane in one strided copy: the
            // input rows of one row phase are `sh` apart and land on
            // consecutive phase-plane rows.
            for py in 0..sh {
                let first_iy = (py + sh - self.pad.0 % sh) % sh;
                if first_iy >= self.h {
                    continue;
                }
                let first_row = (first_iy + self.pad.0) / sh;
                let count = (self.h - first_iy)
                    .div_ceil(sh)
                    .min(rows.saturating_sub(first_row));
                for (px, &(first, q0, n)) in columns.iter().enumerate() {
                    let strided = simd::StridedRows {
                        dst_start: (py * sw + px) * self.plane_len() + first_row * q + q0,
                        dst_stride: q,
                        src_start: first_iy * self.w + first,
                        src_stride: sh * self.w,
                        count,
                        n,
                    };
                    simd::take_every_second_rows(isa, scratch, plane, strided);
                }
            }
            return;
        }
        if (sh, sw) == (1, 1) {
            // Every row into the one plane, in one call.
            let n = self.w.min(q.saturating_sub(self.pad.1));
            let rows = simd::StridedRows {
                dst_start: self.pad.0 * q + self.pad.1,
                dst_stride: q,
                src_start: 0,
                src_stride: self.w,
                count: self.h.min(rows.saturating_sub(self.pad.0)),
                n,
            };
            simd::copy_rows(isa, scratch, plane, rows);
            return;
        }
        for (iy, row) in plane.chunks_exact(self.w).enumerate() {
            let pr = iy + self.pad.0;
            if pr / sh >= rows {
                break;
            }
            let base = (pr % sh) * sw * self.plane_len() + (pr / sh) * q;
            if sw == 1 {
                // Contiguous: one copy of the columns that fit.
                let first = self.pad.1;
                let n = self.w.min(q.saturating_sub(first));
                scratch[base + first..][..n].copy_from_slice(&row[..n]);
            } else {
                // Each phase plane takes every `sw`-th column (3 or more).
                for (px, &(first, q0, n)) in columns.iter().enumerate() {
                    let dst = &mut scratch[base + px * self.plane_len() + q0..][..n];
                    for (d, x) in dst.iter_mut().zip(row[first..].iter().step_by(sw)) {
                        *d = *x;
                    }
                }
            }
        }
    }

    /// Copies the valid columns of the wide grid into an `oh × ow` plane.
    pub(crate) fn gather(&self, isa: Isa, wide: &[f32], out: &mut [f32]) {
        let rows = simd::StridedRows {
            dst_start: 0,
            dst_stride: self.ow,
            src_start: 0,
            src_stride: self.plane_cols(),
            count: out.len() / self.ow.max(1),
            n: self.ow,
        };
        simd::copy_rows(isa, out, wide, rows);
    }

    /// Output shape for an input of `shape` (`[N,] C, H, W`).
    pub(crate) fn output_shape<D: Clone + From<usize>>(&self, shape: &[D]) -> TVec<D> {
        let mut s: TVec<D> = shape.into();
        let r = s.len();
        s[r - 2] = self.oh.into();
        s[r - 1] = self.ow.into();
        s
    }
}

thread_local! {
    /// Phase planes and wide grid, grown to the largest layer once per thread.
    static SCRATCH: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Runs `per_channel(channel_index, scratch, wide)` over every channel plane
/// of `input` (`[N,] C, H, W`, with `C = channels` when given), writing
/// `[N,] C, OH, OW`. The planes are split across tract's threads
/// (`--threads`) when there are at least [`team::SPLIT_MACS`] of `macs_per_plane`
/// among them.
fn for_each_plane(
    isa: Isa,
    geo: &Geometry,
    input: TValue,
    channels: Option<usize>,
    fill: f32,
    macs_per_plane: usize,
    per_channel: impl Fn(usize, &[f32], &mut [f32]) + Sync,
) -> TractResult<TVec<TValue>> {
    let shape = input.shape().to_vec();
    geo.check_input(&shape, channels)?;
    let r = shape.len();
    let channels = shape[r - 3];
    let view = input.try_as_plain_ram()?;
    let x = view.as_slice::<f32>()?;
    let out_shape = geo.output_shape(&shape);
    let mut output = unsafe { Tensor::uninitialized::<f32>(&out_shape)? };
    {
        let mut out_view = output.try_as_plain_ram_mut()?;
        let y = out_view.as_slice_mut::<f32>()?;
        let columns = geo.column_targets();
        let (hw, p) = (geo.h * geo.w, geo.oh * geo.ow);
        let work = (y.len() / p.max(1)).saturating_mul(macs_per_plane);
        team::par_chunks_mut(y, p, work, |first, planes_out| {
            SCRATCH.with_borrow_mut(|(scratch, wide)| {
                scratch.clear();
                scratch.resize(geo.scratch_len(), fill);
                wide.resize(geo.wide_len(), 0.0);
                for (i, out) in (first..).zip(planes_out.chunks_exact_mut(p)) {
                    geo.scatter(isa, &x[i * hw..][..hw], scratch, &columns);
                    per_channel(i % channels, scratch, wide);
                    geo.gather(isa, wide, out);
                }
            });
            Ok(())
        })?;
    }
    Ok(tvec!(output.into_tvalue()))
}

/// The output fact for an `f32` `[N,] C, H, W` input, with `channels`
/// output channels when they differ from the input's.
pub(crate) fn output_fact(
    geo: &Geometry,
    input: &TypedFact,
    channels: Option<usize>,
) -> TractResult<TVec<TypedFact>> {
    ensure!(input.datum_type == f32::datum_type(), "f32 input expected");
    let shape: TVec<TDim> = input.shape.iter().cloned().collect();
    ensure!(shape.len() >= 3, "expected [N,] C, H, W input");
    let mut out = geo.output_shape(&shape);
    if let Some(c) = channels {
        let r = out.len();
        out[r - 3] = c.into();
    }
    Ok(tvec!(f32::fact(out)))
}

/// Output planes up to this many positions (8 × 8) are computed
/// channel-inner (vectors across channels, see [`DepthwiseConv`]). Measured
/// on MobileNetV2 at 64×64 with the blocked transposes: the 8 × 8 layers
/// take 12–24 µs channel-inner against 15–28 µs along the planes; the
/// 16 × 16 ones 31–52 µs against 23–31 µs.
const CHANNEL_INNER_MAX_POSITIONS: usize = 64;

/// Depthwise convolution: every channel convolved with its own `kh × kw`
/// kernel, plus its bias, clamped to `[lo, hi]` (a fused ReLU or ReLU6).
///
/// Large output planes use the phase-plane loops (vectors along a plane).
/// Small ones — MobileNet's late layers have 2×2 to 8×8 planes and up to
/// 960 channels, where per-plane overhead would dominate — are transposed
/// to channel-last, computed with vectors across channels, and transposed
/// back.
#[derive(Clone, Debug, PartialEq)]
pub struct DepthwiseConv {
    pub geo: Geometry,
    /// `[C, kh · kw]`, row-major.
    pub weights: Arc<Vec<f32>>,
    /// The same, `[kh · kw, C]`, for the channel-inner loops.
    weights_tc: Arc<Vec<f32>>,
    /// Channel-inner only: the taps of each output position.
    tap_rows: Arc<TapRows>,
    /// Along the planes only: every channel's taps (`[C][kh · kw]`), read
    /// by the planes on any thread.
    taps: Arc<Vec<Tap>>,
    pub bias: Arc<Vec<f32>>,
    pub clamp: (f32, f32),
}

impl Eq for DepthwiseConv {}

thread_local! {
    /// Channel-last input and output.
    static CHANNEL_INNER: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// For every output position, the (input row, weight row) offsets of its
/// taps inside the input (rows of `C` values), and where each position
/// starts in that list (one more entry at the end).
#[derive(Clone, Debug, Default, PartialEq)]
struct TapRows {
    rows: Vec<(usize, usize)>,
    starts: Vec<usize>,
}

fn tap_rows(g: &Geometry, c: usize) -> TapRows {
    let (mut rows, mut starts) = (Vec::new(), Vec::new());
    for oy in 0..g.oh {
        for ox in 0..g.ow {
            starts.push(rows.len());
            for ky in 0..g.kh {
                let iy = (oy * g.stride.0 + ky * g.dilation.0).checked_sub(g.pad.0);
                let Some(iy) = iy.filter(|&iy| iy < g.h) else {
                    continue;
                };
                for kx in 0..g.kw {
                    let ix = (ox * g.stride.1 + kx * g.dilation.1).checked_sub(g.pad.1);
                    if let Some(ix) = ix.filter(|&ix| ix < g.w) {
                        rows.push(((iy * g.w + ix) * c, (ky * g.kw + kx) * c));
                    }
                }
            }
        }
    }
    starts.push(rows.len());
    TapRows { rows, starts }
}

impl DepthwiseConv {
    /// `weights` is `[C, kh · kw]`, `bias` `[C]`.
    pub fn new(
        geo: Geometry,
        weights: Vec<f32>,
        bias: Vec<f32>,
        clamp: (f32, f32),
    ) -> DepthwiseConv {
        let (c, taps) = (bias.len(), geo.kh * geo.kw);
        assert_eq!(
            weights.len(),
            c * taps,
            "weights for {c} channels of {taps} taps"
        );
        let mut weights_tc = vec![0.0; weights.len()];
        for (ci, row) in weights.chunks_exact(taps).enumerate() {
            for (t, w) in row.iter().enumerate() {
                weights_tc[t * c + ci] = *w;
            }
        }
        let mut op = DepthwiseConv {
            geo,
            weights: Arc::new(weights),
            weights_tc: Arc::new(weights_tc),
            tap_rows: Arc::default(),
            taps: Arc::default(),
            bias: Arc::new(bias),
            clamp,
        };
        if op.channel_inner() {
            op.tap_rows = Arc::new(tap_rows(&op.geo, c));
        } else {
            let offsets = op.geo.tap_offsets();
            op.taps = Arc::new(
                op.weights
                    .chunks_exact(taps)
                    .flat_map(|row| {
                        offsets
                            .iter()
                            .zip(row)
                            .map(|(&offset, &weight)| Tap { offset, weight })
                    })
                    .collect(),
            );
        }
        op
    }

    pub fn channels(&self) -> usize {
        self.bias.len()
    }

    /// Whether this layer runs channel-inner.
    pub fn channel_inner(&self) -> bool {
        self.geo.oh * self.geo.ow <= CHANNEL_INNER_MAX_POSITIONS && self.channels() >= 8
    }

    fn eval_channel_inner(&self, isa: Isa, input: TValue) -> TractResult<TVec<TValue>> {
        let g = &self.geo;
        let (c, hw, p) = (self.channels(), g.h * g.w, g.oh * g.ow);
        let shape = input.shape().to_vec();
        g.check_input(&shape, Some(c))?;
        let view = input.try_as_plain_ram()?;
        let x = view.as_slice::<f32>()?;
        let mut output = unsafe { Tensor::uninitialized::<f32>(&g.output_shape(&shape))? };
        {
            let mut out_view = output.try_as_plain_ram_mut()?;
            let y = out_view.as_slice_mut::<f32>()?;
            let TapRows { rows, starts } = &*self.tap_rows;
            CHANNEL_INNER.with_borrow_mut(|(xt, ot)| {
                xt.resize(hw * c, 0.0);
                ot.resize(p * c, 0.0);
                for (xb, yb) in x.chunks_exact(c * hw).zip(y.chunks_exact_mut(c * p)) {
                    simd::transpose(isa, xt, c, xb, hw, c, hw);
                    for (pos, out) in ot.chunks_exact_mut(c).enumerate() {
                        let taps = &rows[starts[pos]..starts[pos + 1]];
                        simd::weighted_rows(
                            isa,
                            out,
                            xt,
                            &self.weights_tc,
                            taps,
                            &self.bias,
                            self.clamp.0,
                            self.clamp.1,
                        );
                    }
                    simd::transpose(isa, yb, p, ot, c, p, c);
                }
            });
        }
        Ok(tvec!(output.into_tvalue()))
    }

    /// Evaluates on `input` with the given instruction set (tests pin it).
    pub fn eval_with(&self, isa: Isa, input: TValue) -> TractResult<TVec<TValue>> {
        if self.channel_inner() {
            return self.eval_channel_inner(isa, input);
        }
        let k = self.geo.kh * self.geo.kw;
        let channels = self.channels();
        let taps = &self.taps;
        let macs = self.geo.wide_len() * k;
        for_each_plane(
            isa,
            &self.geo,
            input,
            Some(channels),
            0.0,
            macs,
            |c, scratch, wide| {
                simd::weighted_taps(
                    isa,
                    wide,
                    scratch,
                    &taps[c * k..][..k],
                    self.bias[c],
                    self.clamp.0,
                    self.clamp.1,
                );
            },
        )
    }
}

kernel_op!(DepthwiseConv, "PiEdgeDepthwiseConv", |op| format!(
    "{} ch, {:?}, clamp {:?}",
    op.channels(),
    op.geo,
    op.clamp
));

impl TypedOp for DepthwiseConv {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        output_fact(&self.geo, inputs[0], None)
    }

    fn cost(&self, inputs: &[&TypedFact]) -> TractResult<TVec<(Cost, TDim)>> {
        let outputs = self.geo.oh * self.geo.ow * self.geo.kh * self.geo.kw * self.channels();
        let batch = if inputs[0].rank() == 4 {
            inputs[0].shape[0].clone()
        } else {
            1.into()
        };
        Ok(tvec!((Cost::FMA(f32::datum_type()), batch * outputs)))
    }

    as_op!();
}

/// 2-D max pool over each channel plane, then `max(·, lo)` (a ReLU fused
/// from before the pool; `f32::MIN` for none). Padding never wins.
#[derive(Clone, Debug, PartialEq)]
pub struct MaxPool2d {
    pub geo: Geometry,
    pub lo: f32,
}

impl Eq for MaxPool2d {}

impl MaxPool2d {
    pub fn eval_with(&self, isa: Isa, input: TValue) -> TractResult<TVec<TValue>> {
        let offsets = self.geo.tap_offsets();
        // Padding is the lowest finite value, as tract pads: a window made only
        // of padding (possible with dilation) gives f32::MIN, not -inf.
        let comparisons = self.geo.wide_len() * offsets.len();
        for_each_plane(
            isa,
            &self.geo,
            input,
            None,
            f32::MIN,
            comparisons,
            |_, scratch, wide| {
                simd::max_taps(isa, wide, scratch, &offsets, self.lo);
            },
        )
    }
}

kernel_op!(MaxPool2d, "PiEdgeMaxPool", |op| format!(
    "{:?}, lo {}",
    op.geo, op.lo
));

impl TypedOp for MaxPool2d {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        output_fact(&self.geo, inputs[0], None)
    }

    as_op!();
}
