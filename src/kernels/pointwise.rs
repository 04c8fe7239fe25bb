//! Pointwise (1×1) convolution, two ways by the size of the plane.
//!
//! **Small planes** (up to [`MAX_TILED_POSITIONS`]): MobileNet's late
//! layers, where a 2×2 or 4×4 plane meets hundreds of channels and each
//! layer streams up to 1.6 MB of weights for a few dozen outputs per
//! channel. The weights are packed once, when the rewrite builds the operator, into
//! panels of 32 output channels (`[C_in][32]`, the last panel padded with
//! zeros), so one tile ([`simd::pointwise_tile`]) reads its panel front to
//! back. A tile covers 32 channels × 4 positions: every weight is loaded
//! once per 4 positions, so a 2×2 plane reads each weight exactly once and
//! a 4×4 one four times from a panel that stays in L1 (panels are outer,
//! positions inner). Bias, a residual `Add` and a clamp (ReLU, ReLU6) are
//! applied as each tile is stored.
//!
//! **Larger planes** (MobileNet's early layers: 8×8 up to 32×32 at 64×64
//! input): vectors run along the positions instead, four output channels
//! at a time ([`simd::weighted_taps_x4`], the direct convolution's loop
//! with one tap per input channel), so each input vector loaded feeds four
//! multiply-adds. The plane is taken in blocks of [`POSITION_BLOCK`] so
//! that the block's inputs stay in cache for every channel group. This
//! replaced tract's matrix product, which packs the input anew on every
//! run: MobileNetV2's 16 → 96 expansion at 32×32 took 0.062 ms there.
//! With AVX2 the block's inputs are first packed into strips of 16
//! positions ([`simd::pointwise_strips`]: six channels and twelve sums at
//! a time, reading each strip front to back): full-size MobileNetV2 took
//! 0.94× the time of the four-channel loop (12.42 → 11.67 ms, median of
//! five alternated rounds), EfficientNet-B0 0.95×, MobileNetV3 0.95×.
//! AVX-512 and NEON keep the loop above: unmeasured with strips.

#![allow(unsafe_code)] // tract's uninitialised output, entirely overwritten

use super::simd::{self, Isa, STRIP, STRIP_CHANNELS, TILE_CHANNELS, TILE_POSITIONS};
use super::team;
use std::sync::Arc;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;

/// Output planes up to this many positions are computed in tiles across the
/// channels; from 8×8 up, along the positions. A 7×7 plane (MobileNetV2's
/// last layers at a 224×224 input) fills only 49 of 64 lanes along the
/// positions and rereads its input for every four channels: its 1×1
/// convolutions took 4.40 ms tiled along the positions, 3.54 ms in tiles.
/// On 8×8 planes the positions were 4 % faster.
pub const MAX_TILED_POSITIONS: usize = 63;

/// Planes up to this many positions take the kernel (64 × 64); larger ones
/// stay with tract, whose matrix products block for the cache in both
/// directions, which a plane of this size and its channels do not need.
pub const MAX_POSITIONS: usize = 4096;

/// Positions per block on a large plane: a multiple of every vector width,
/// and with up to 144 input channels the block's inputs (144 KB) stay in L2.
const POSITION_BLOCK: usize = 256;

/// Whether the rewrite uses the kernel on this machine: natively with
/// SIMD (AVX2+FMA, NEON). Without SIMD (32-bit ARM, whose NEON intrinsics
/// Rust has not stabilised) the scalar loops would lose to tract's own NEON
/// assembly, and in the browser tract's wasm matrix products won: with the
/// kernel, MobileNetV2 in Chromium took 6.74 ms instead of 4.82
/// (`scripts/bench-peer-web.mjs`, median of five rounds), so the worker
/// leaves these layers to tract.
pub fn pays() -> bool {
    !cfg!(target_family = "wasm") && simd::Isa::best() != Isa::Scalar
}

#[derive(Clone, Debug, PartialEq)]
pub struct PointwiseConv {
    pub c_in: usize,
    pub c_out: usize,
    /// Positions of a plane (`H · W`).
    pub positions: usize,
    /// Small planes: `⌈C_out / 32⌉` panels of `[C_in][32]`; larger ones:
    /// the weights as given, `[C_out][C_in]`.
    weights: Arc<Vec<f32>>,
    /// Where each input channel starts in a batch item (`c · positions`),
    /// for the larger planes' loop.
    rows: Arc<Vec<usize>>,
    /// The bias, padded to whole panels.
    bias: Arc<Vec<f32>>,
    /// Whether a second input (same shape as the output) is added before
    /// the clamp: the residual connection of an inverted-residual block.
    pub residual: bool,
    pub clamp: (f32, f32),
    /// Whether the output drops the input's batch axis (of one), as tract
    /// sometimes declutters a 1×1 convolution: `[1, C_in, H, W]` in,
    /// `[C_out, H, W]` out.
    pub drop_batch: bool,
}

impl Eq for PointwiseConv {}

impl PointwiseConv {
    /// `weights` is `[C_out, C_in]` (ONNX's OIHW with 1×1 kernels), `bias`
    /// `[C_out]`.
    pub fn new(
        c_in: usize,
        positions: usize,
        weights: &[f32],
        bias: &[f32],
        residual: bool,
        clamp: (f32, f32),
    ) -> PointwiseConv {
        let c_out = bias.len();
        assert_eq!(weights.len(), c_out * c_in, "weights for {c_out} × {c_in}");
        let n_panels = c_out.div_ceil(TILE_CHANNELS);
        let mut padded_bias = vec![0.0; n_panels * TILE_CHANNELS];
        padded_bias[..c_out].copy_from_slice(bias);
        let layout = if positions <= MAX_TILED_POSITIONS {
            let mut panels = vec![0.0; n_panels * c_in * TILE_CHANNELS];
            for (co, row) in weights.chunks_exact(c_in.max(1)).take(c_out).enumerate() {
                let (panel, lane) = (co / TILE_CHANNELS, co % TILE_CHANNELS);
                let base = panel * c_in * TILE_CHANNELS;
                for (ci, w) in row.iter().enumerate().take(c_in) {
                    panels[base + ci * TILE_CHANNELS + lane] = *w;
                }
            }
            panels
        } else {
            weights.to_vec()
        };
        PointwiseConv {
            c_in,
            c_out,
            positions,
            weights: Arc::new(layout),
            rows: Arc::new((0..c_in).map(|c| c * positions).collect()),
            bias: Arc::new(padded_bias),
            residual,
            clamp,
            drop_batch: false,
        }
    }

    /// Whether this plane is computed in tiles across the channels.
    pub fn tiled(&self) -> bool {
        self.positions <= MAX_TILED_POSITIONS
    }

    /// Evaluates on `x` (`[N,] C_in, H, W`), plus the residual when the
    /// operator has one, with the given instruction set (tests pin it).
    pub fn eval_with(
        &self,
        isa: Isa,
        x: TValue,
        residual: Option<TValue>,
    ) -> TractResult<TVec<TValue>> {
        let shape = x.shape().to_vec();
        let r = shape.len();
        ensure!(
            r >= 3 && shape[r - 3] == self.c_in && shape[r - 2] * shape[r - 1] == self.positions,
            "input {shape:?} does not match {} channels of {} positions",
            self.c_in,
            self.positions
        );
        let mut out_shape = shape.clone();
        out_shape[r - 3] = self.c_out;
        if self.drop_batch {
            ensure!(
                r == 4 && shape[0] == 1,
                "a batch of one expected, got {shape:?}"
            );
            out_shape.remove(0);
        }
        ensure!(
            residual.is_some() == self.residual,
            "residual input expected: {}",
            self.residual
        );
        if let Some(res) = &residual {
            ensure!(
                res.shape() == out_shape.as_slice(),
                "residual {:?} for an output of {out_shape:?}",
                res.shape()
            );
        }
        let view = x.try_as_plain_ram()?;
        let xs = view.as_slice::<f32>()?;
        let res_view = residual
            .as_ref()
            .map(|r| r.try_as_plain_ram())
            .transpose()?;
        let res = res_view.as_ref().map(|v| v.as_slice::<f32>()).transpose()?;
        let mut output = unsafe { Tensor::uninitialized::<f32>(&out_shape)? };
        {
            let mut out_view = output.try_as_plain_ram_mut()?;
            let y = out_view.as_slice_mut::<f32>()?;
            let (p, c_in, c_out) = (self.positions, self.c_in, self.c_out);
            for (n, (xb, yb)) in xs
                .chunks_exact(c_in * p)
                .zip(y.chunks_exact_mut(c_out * p))
                .enumerate()
            {
                let rb = res.map(|r| &r[n * c_out * p..][..c_out * p]);
                // Output channels split across tract's threads (`--threads`),
                // when the layer is big enough to pay for it; inline
                // otherwise. The split falls between whole panels (tiles) or
                // channel groups (larger planes), so that no thread computes
                // sums it does not store, and every channel is computed by
                // the same loop whatever the thread count (the channels past
                // the last whole group run inline after the rest). Split
                // only when the layer has `team::SPLIT_MACS` of work.
                let group = if self.tiled() { TILE_CHANNELS } else { 4 };
                let whole = c_out / group * group;
                let (grouped, rest) = yb.split_at_mut(whole * p);
                let work = c_in * c_out * p;
                if whole > 0 {
                    team::par_chunks_mut(grouped, group * p, work, |first, chunk| {
                        self.channels(isa, xb, rb, first * group, chunk);
                        Ok(())
                    })?;
                }
                if whole < c_out {
                    self.channels(isa, xb, rb, whole, rest);
                }
            }
        }
        Ok(tvec!(output.into_tvalue()))
    }
}

impl PointwiseConv {
    /// Output channels `first ..` of one batch item into `out` (`p` values
    /// each), from its input `xb` and residual `rb`.
    fn channels(&self, isa: Isa, xb: &[f32], rb: Option<&[f32]>, first: usize, out: &mut [f32]) {
        if self.tiled() {
            self.tiles(isa, xb, rb, first, out);
        } else {
            self.along_positions(isa, xb, rb, first, out);
        }
    }

    /// [`PointwiseConv::channels`] in tiles.
    fn tiles(&self, isa: Isa, xb: &[f32], rb: Option<&[f32]>, first: usize, out: &mut [f32]) {
        let (p, c_in) = (self.positions, self.c_in);
        let last = first + out.len() / p;
        let (lo, hi) = self.clamp;
        let panel_len = c_in * TILE_CHANNELS;
        let mut tile = [0f32; TILE_CHANNELS * TILE_POSITIONS];
        let tile_clamp = if rb.is_some() {
            (f32::NEG_INFINITY, f32::INFINITY)
        } else {
            self.clamp
        };
        for k in first / TILE_CHANNELS..last.div_ceil(TILE_CHANNELS) {
            let panel = &self.weights[k * panel_len..][..panel_len];
            let bias: &[f32; TILE_CHANNELS] = self.bias[k * TILE_CHANNELS..][..TILE_CHANNELS]
                .try_into()
                .expect("a whole panel of bias");
            let co0 = k * TILE_CHANNELS;
            // This chunk's channels of the panel (a chunk may start or end
            // inside one).
            let channels = co0.max(first)..(co0 + TILE_CHANNELS).min(last);
            let mut p0 = 0;
            while p0 < p {
                let width = (p - p0).min(TILE_POSITIONS);
                let cols = std::array::from_fn(|j| p0 + j.min(width - 1));
                simd::pointwise_tile(
                    isa, &mut tile, panel, xb, p, c_in, cols, width, bias, tile_clamp,
                );
                // The tile holds positions × channels, the output channels ×
                // positions: each channel's run of positions is written in
                // one go (per value, with the clamp and a branch, this store
                // took a seventh of MobileNetV2's time). Without a residual
                // the tile is already clamped.
                for co in channels.clone() {
                    let lane = co - co0;
                    let dst = &mut out[(co - first) * p + p0..][..width];
                    let sums: [f32; TILE_POSITIONS] =
                        std::array::from_fn(|j| tile[j * TILE_CHANNELS + lane]);
                    match rb {
                        Some(rb) => {
                            let res = &rb[co * p + p0..][..width];
                            for ((d, s), r) in dst.iter_mut().zip(sums).zip(res) {
                                *d = (s + r).max(lo).min(hi);
                            }
                        }
                        None => store_run(dst, &sums),
                    }
                }
                p0 += width;
            }
        }
    }
}

/// Writes a tile's run of `dst.len()` (at most [`TILE_POSITIONS`]) values
/// with a copy of constant size, a few vector moves. A copy of the run's
/// length is a `memcpy` call per channel: on the 2 × 2 planes, whose runs
/// are 4 long, 4 640 calls and 4 % of MobileNetV2's time (`perf`, and a
/// debugger counting the calls).
#[inline(always)]
fn store_run(dst: &mut [f32], sums: &[f32; TILE_POSITIONS]) {
    const _: () = assert!(TILE_POSITIONS == 8, "one arm per run length below");
    macro_rules! by_length {
        ($($n:literal)*) => {
            match dst.len() {
                $($n => dst.copy_from_slice(&sums[..$n]),)*
                n => unreachable!("a run of {n} values"),
            }
        };
    }
    by_length!(1 2 3 4 5 6 7 8)
}

/// Floats of packed inputs per block in [`PointwiseConv::in_strips`]
/// (128 KB): the block stays in L2 while every six channels read it.
const PACKED_FLOATS: usize = 32 * 1024;

thread_local! {
    /// The packed inputs of [`PointwiseConv::in_strips`], kept between
    /// calls: a fresh buffer would be zeroed (or mapped) on every layer.
    static PACKED: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl PointwiseConv {
    /// [`PointwiseConv::channels`] on a larger plane with AVX2: the plane
    /// in blocks, each block's inputs packed into strips of
    /// [`simd::STRIP`] positions ([`simd::pointwise_strips`] reads them
    /// front to back), then six output channels at a time across the block.
    fn in_strips(&self, isa: Isa, xb: &[f32], first: usize, clamp: (f32, f32), out: &mut [f32]) {
        let (p, k) = (self.positions, self.c_in);
        let n = out.len() / p;
        let block = (PACKED_FLOATS / k / STRIP * STRIP).clamp(STRIP, POSITION_BLOCK);
        PACKED.with(|packed| {
            let mut packed = packed.borrow_mut();
            let mut p0 = 0;
            while p0 < p {
                let len = block.min(p - p0);
                let need = len.div_ceil(STRIP) * k * STRIP;
                if packed.len() < need {
                    packed.resize(need, 0.0);
                }
                pack_strips(&mut packed, xb, p, k, p0, len);
                let mut co = 0;
                while co < n {
                    let r = STRIP_CHANNELS.min(n - co);
                    let rows: [&[f32]; STRIP_CHANNELS] = std::array::from_fn(|j| {
                        let c = first + co + j.min(r - 1);
                        &self.weights[c * k..][..k]
                    });
                    let mut planes = out[co * p..]
                        .chunks_exact_mut(p)
                        .take(r)
                        .map(|plane| &mut plane[p0..][..len]);
                    let mut outs: [&mut [f32]; STRIP_CHANNELS] =
                        std::array::from_fn(|_| planes.next().unwrap_or_default());
                    let bias = &self.bias[first + co..][..r];
                    simd::pointwise_strips(isa, &mut outs[..r], &packed, &rows[..r], bias, clamp);
                    co += r;
                }
                p0 += len;
            }
        });
    }
}

/// Packs positions `p0 .. p0 + len` of every input channel (planes of `p`
/// positions in `xb`) as [`simd::pointwise_strips`] reads them: strip by
/// strip, each `[C_in][STRIP]`, the last strip padded with zeros. Whole
/// strips are copied at a constant size (two vector moves, not a `memcpy`
/// call each).
fn pack_strips(packed: &mut [f32], xb: &[f32], p: usize, k: usize, p0: usize, len: usize) {
    for c in 0..k {
        let row = &xb[c * p + p0..][..len];
        let mut whole = row.chunks_exact(STRIP);
        for (s, src) in whole.by_ref().enumerate() {
            let dst: &mut [f32; STRIP] = (&mut packed[(s * k + c) * STRIP..][..STRIP])
                .try_into()
                .expect("a strip");
            *dst = src.try_into().expect("a strip");
        }
        let tail = whole.remainder();
        if !tail.is_empty() {
            let dst = &mut packed[(len / STRIP * k + c) * STRIP..][..STRIP];
            dst[..tail.len()].copy_from_slice(tail);
            dst[tail.len()..].fill(0.0);
        }
    }
}

impl PointwiseConv {
    /// [`PointwiseConv::channels`] on a larger plane: along blocks of
    /// positions (in packed strips where they pay, else four channels at a
    /// time), then the residual and the clamp.
    fn along_positions(
        &self,
        isa: Isa,
        xb: &[f32],
        rb: Option<&[f32]>,
        first: usize,
        out: &mut [f32],
    ) {
        let p = self.positions;
        // With a residual to add, the clamp waits until it is in.
        let clamp = if rb.is_some() {
            (f32::NEG_INFINITY, f32::INFINITY)
        } else {
            self.clamp
        };
        if simd::strips_pay(isa) && self.c_in > 0 {
            self.in_strips(isa, xb, first, clamp, out);
        } else {
            self.four_at_a_time(isa, xb, first, clamp, out);
        }
        if let Some(rb) = rb {
            let (lo, hi) = self.clamp;
            for (o, r) in out.iter_mut().zip(&rb[first * p..]) {
                *o = (*o + r).max(lo).min(hi);
            }
        }
    }

    /// [`PointwiseConv::along_positions`]' loop without packing: four
    /// channels at a time, reading the inputs where they lie.
    fn four_at_a_time(
        &self,
        isa: Isa,
        xb: &[f32],
        first: usize,
        clamp: (f32, f32),
        out: &mut [f32],
    ) {
        let (p, c_in) = (self.positions, self.c_in);
        let n = out.len() / p;
        let weights = |co: usize| &self.weights[(first + co) * c_in..][..c_in];
        let mut p0 = 0;
        while p0 < p {
            let len = POSITION_BLOCK.min(p - p0);
            // Input channel `c` of this block starts at `rows[c]`.
            let src = &xb[p0..];
            let mut co = 0;
            while co < n {
                let mut planes = out[co * p..]
                    .chunks_exact_mut(p)
                    .map(|r| &mut r[p0..][..len]);
                if n - co >= 4 {
                    let outs = std::array::from_fn(|_| planes.next().expect("four channels left"));
                    let rows = std::array::from_fn(|j| weights(co + j));
                    let bias = std::array::from_fn(|j| self.bias[first + co + j]);
                    simd::weighted_taps_x4(isa, outs, src, &self.rows, rows, bias, clamp);
                    co += 4;
                } else {
                    let taps: Vec<simd::Tap> = self
                        .rows
                        .iter()
                        .zip(weights(co))
                        .map(|(&offset, &weight)| simd::Tap { offset, weight })
                        .collect();
                    let plane = planes.next().expect("a channel left");
                    simd::weighted_taps(
                        isa,
                        plane,
                        src,
                        &taps,
                        self.bias[first + co],
                        clamp.0,
                        clamp.1,
                    );
                    co += 1;
                }
            }
            p0 += len;
        }
    }
}

impl Op for PointwiseConv {
    fn name(&self) -> StaticName {
        "PiEdgePointwiseConv".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        Ok(vec![format!(
            "{} -> {} ch, {} positions{}, residual {}, clamp {:?}, {}",
            self.c_in,
            self.c_out,
            self.positions,
            if self.drop_batch {
                ", batch axis dropped"
            } else {
                ""
            },
            self.residual,
            self.clamp,
            Isa::best().name()
        )])
    }

    fn validation(&self) -> Validation {
        Validation::Rounding
    }

    op_as_typed_op!();
}

impl EvalOp for PointwiseConv {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, mut inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let residual = if self.residual {
            ensure!(inputs.len() == 2, "x and the residual expected");
            inputs.pop()
        } else {
            None
        };
        ensure!(inputs.len() == 1, "one input expected");
        let x = inputs.pop().expect("checked above");
        self.eval_with(Isa::current(), x, residual)
    }
}

impl TypedOp for PointwiseConv {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let input = inputs[0];
        ensure!(input.datum_type == f32::datum_type(), "f32 input expected");
        ensure!(input.rank() >= 3, "expected [N,] C, H, W input");
        let mut shape: TVec<TDim> = input.shape.iter().cloned().collect();
        let r = shape.len();
        shape[r - 3] = self.c_out.into();
        if self.drop_batch {
            ensure!(r == 4, "expected a batch axis to drop");
            shape.remove(0);
        }
        Ok(tvec!(f32::fact(shape)))
    }

    fn cost(&self, inputs: &[&TypedFact]) -> TractResult<TVec<(Cost, TDim)>> {
        let batch = if inputs[0].rank() == 4 {
            inputs[0].shape[0].clone()
        } else {
            1.into()
        };
        Ok(tvec!((
            Cost::FMA(f32::datum_type()),
            batch * (self.c_in * self.c_out * self.positions)
        )))
    }

    as_op!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_puts_each_weight_in_its_panel_lane() {
        // 34 output channels of 3 inputs: two panels, the second mostly empty.
        let weights: Vec<f32> = (0..34 * 3).map(|i| i as f32).collect();
        let bias: Vec<f32> = (0..34).map(|i| -(i as f32)).collect();
        let op = PointwiseConv::new(3, 4, &weights, &bias, false, (f32::MIN, f32::MAX));
        assert_eq!(op.weights.len(), 2 * 3 * TILE_CHANNELS);
        let t = TILE_CHANNELS;
        assert_eq!(t, 32);
        for co in 0..34 {
            for ci in 0..3 {
                let at = (co / t) * 3 * t + ci * t + co % t;
                assert_eq!(op.weights[at], weights[co * 3 + ci]);
            }
        }
        assert_eq!(op.weights[3 * t + 2], 0.0, "padding lanes are zero");
        assert_eq!(&op.bias[32..34], &[-32.0, -33.0]);
        assert_eq!(op.bias.len(), 64);
    }

    /// Split across threads (layers above the million multiply-adds that
    /// the gate asks for), with channels past the last whole panel (72) or
    /// group of four (42), or none (64): every channel is still computed
    /// once, exactly as on one thread, and as the scalar loops compute it.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn threads_split_the_channels_without_changing_a_value() {
        for (c_in, c_out, h, w) in [(2000, 72, 4, 4), (300, 42, 20, 20), (300, 64, 17, 17)] {
            threads_agree(c_in, c_out, h, w);
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn threads_agree(c_in: usize, c_out: usize, h: usize, w: usize) {
        let mut r = crate::rng::SplitMix64::new(5);
        let mut random = |n: usize| -> Vec<f32> { (0..n).map(|_| r.next_f32() - 0.5).collect() };
        let p = h * w;
        assert!(c_in * c_out * p >= 1 << 20, "below the threading gate");
        let op = PointwiseConv::new(
            c_in,
            p,
            &random(c_out * c_in),
            &random(c_out),
            true,
            (-1.0, 1.0),
        );
        let x = Tensor::from_shape(&[1, c_in, h, w], &random(c_in * p)).unwrap();
        let res = Tensor::from_shape(&[1, c_out, h, w], &random(c_out * p)).unwrap();
        let run = || {
            op.eval_with(
                Isa::best(),
                x.clone().into_tvalue(),
                Some(res.clone().into_tvalue()),
            )
            .unwrap()
            .remove(0)
            .into_tensor()
        };
        let one = run();
        let two = crate::model::Threads::new(2).unwrap().run(run);
        assert_eq!(one, two, "{c_in} -> {c_out} on {h}×{w}");
        let scalar = op
            .eval_with(Isa::Scalar, x.into_tvalue(), Some(res.into_tvalue()))
            .unwrap()
            .remove(0)
            .into_tensor();
        let (va, vb) = (
            one.try_as_plain_ram().unwrap(),
            scalar.try_as_plain_ram().unwrap(),
        );
        let (a, b) = (va.as_slice::<f32>().unwrap(), vb.as_slice::<f32>().unwrap());
        assert!(a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-3));
    }
}
