//! Direct convolution for small, dense (group 1) convolutions on large
//! planes — a network's first layers, where few input channels make tract's
//! im2col + matrix product mostly overhead (TinyCNN's two convolutions,
//! MobileNetV2's stem) — and for grouped convolutions with as few inputs
//! per group (RegNet's 3×3 layers, 8 channels to a group), which tract
//! runs as one small matrix product per group. Not for ResNet's dense 3×3
//! layers (hundreds of inputs per output): there tract's packed matrix
//! product ran at twice this loop's speed on an AVX2 machine (ResNet-18 at
//! 224×224: 52 ms in its 17 convolutions, 88 ms through this kernel).
//!
//! Every input channel is laid out in phase planes as in [`super::ops`];
//! an output channel is then `Σ` over (input channel, tap) of a weight
//! times a shifted contiguous run of the scratch. Four output channels are
//! computed together ([`simd::weighted_taps_x4`]) so each input load feeds
//! four multiply-adds.
//!
//! A max pool that alone reads the convolution (the conv → ReLU → pool of
//! most small image classifiers, TinyCNN's twice) is taken into the
//! operator ([`PoolAfter`]): the pool reads the convolution's wide grid while
//! it is still in cache, and neither the full-size output plane nor the
//! pool's own copy of it into phase planes is ever written. In TinyCNN the
//! two pools had taken a fifth of the time as operators of their own.

#![allow(unsafe_code)] // tract's uninitialised output, entirely overwritten

use super::ops::{kernel_op, output_fact, Geometry};
use super::simd::{self, Isa};
use super::team;
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
    /// Groups of input and output channels (1: dense). Each group's output
    /// channels read only its own `C_in / group` input channels, and come
    /// in whole blocks of four ([`DirectConv::takes_groups`]).
    pub group: usize,
    /// `[C_out, C_in / group · kh · kw]`, row-major (ONNX's OIHW).
    pub weights: Arc<Vec<f32>>,
    pub bias: Arc<Vec<f32>>,
    pub clamp: (f32, f32),
    /// A max pool applied to the (clamped) output before it is stored.
    pub pool: Option<PoolAfter>,
}

impl Eq for DirectConv {}

/// A max pool without padding or dilation on a [`DirectConv`]'s output plane:
/// `k` window, `stride`, and the pooled plane's `oh × ow`. Max commutes with
/// the convolution's clamp (both keep order), so clamping first is exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PoolAfter {
    pub k: (usize, usize),
    pub stride: (usize, usize),
    pub oh: usize,
    pub ow: usize,
}

impl PoolAfter {
    /// The pool over a `h × w` plane, when its windows fit: at least one
    /// output, and every window inside the plane (the pool's own output size
    /// must be the floor of `(h - k) / stride + 1`, i.e. no padding, no
    /// ceiling mode).
    pub fn fitting(
        h: usize,
        w: usize,
        k: (usize, usize),
        stride: (usize, usize),
        out: (usize, usize),
    ) -> Option<PoolAfter> {
        let ok = k.0 >= 1
            && k.1 >= 1
            && stride.0 >= 1
            && stride.1 >= 1
            && k.0 <= h
            && k.1 <= w
            && out == ((h - k.0) / stride.0 + 1, (w - k.1) / stride.1 + 1);
        ok.then_some(PoolAfter {
            k,
            stride,
            oh: out.0,
            ow: out.1,
        })
    }

    /// Where each tap of the pool's window reads in a wide grid of rows of
    /// `q` values, from a window's top left.
    fn window_offsets(&self, q: usize) -> Vec<usize> {
        let (kh, kw) = self.k;
        (0..kh)
            .flat_map(|dy| (0..kw).map(move |dx| dy * q + dx))
            .collect()
    }

    /// Pools one channel's wide grid (rows of `q` values, the first ones of
    /// each valid) into `out` (`oh × ow`). Per output row: the window's
    /// maximum at every column ([`simd::max_taps`], in `m`), then every
    /// `stride.1`-th of them. In SIMD throughout: a plain `f32::max` loop
    /// stays scalar in WebAssembly (its NaN rule is not the instruction's),
    /// and made TinyCNN in Chromium slower than with the separate pools.
    fn gather(
        &self,
        isa: Isa,
        wide: &[f32],
        q: usize,
        offsets: &[usize],
        out: &mut [f32],
        m: &mut Vec<f32>,
    ) {
        let (sh, sw) = self.stride;
        // A whole `sw · ow` values where the wide row holds their windows,
        // so that a stride-2 row is exactly twice its pooled length and its
        // last vector can overlap the one before instead of ending scalar.
        let len = if self.ow * sw + self.k.1 - 1 <= q {
            self.ow * sw
        } else {
            (self.ow - 1) * sw + 1
        };
        m.resize(len, 0.0);
        for (py, dst) in out.chunks_exact_mut(self.ow).enumerate() {
            simd::max_taps(isa, m, &wide[py * sh * q..], offsets, f32::NEG_INFINITY);
            match sw {
                1 => dst.copy_from_slice(m),
                2 => simd::take_every_second(isa, dst, m),
                _ => {
                    for (d, v) in dst.iter_mut().zip(m.iter().step_by(sw)) {
                        *d = *v;
                    }
                }
            }
        }
    }
}

/// A thread's phase planes, one set per convolution layout it has run. The
/// scatter writes the same cells of a layout's planes at every evaluation,
/// so the padding cells it never writes stay zero from the first one;
/// zeroing all the planes each time had taken 4 % of TinyCNN's time.
type KeptPlanes = Vec<(Geometry, usize, Vec<f32>)>;

/// Planes kept per thread, in values (16 MB), before they are dropped and
/// zeroed again: a large model's layouts would otherwise all stay resident.
const MAX_KEPT_PLANES: usize = 4 << 20;

/// The zero-padded planes for `c_in` channels of `geo`.
fn planes_for<'a>(planes: &'a mut KeptPlanes, geo: &Geometry, c_in: usize) -> &'a mut [f32] {
    let at = match planes.iter().position(|(g, c, _)| g == geo && *c == c_in) {
        Some(at) => at,
        None => {
            let len = c_in * geo.scratch_len();
            let kept: usize = planes.iter().map(|(_, _, v)| v.len()).sum();
            if kept + len > MAX_KEPT_PLANES {
                planes.clear();
            }
            planes.push((geo.clone(), c_in, vec![0.0; len]));
            planes.len() - 1
        }
    };
    &mut planes[at].2
}

thread_local! {
    static SCRATCH: RefCell<KeptPlanes> = const { RefCell::new(Vec::new()) };
    /// Each thread's four wide grids and a pooled row's maxima: the threads
    /// of `--threads` each compute their own blocks of channels.
    static WIDE: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

impl DirectConv {
    pub fn c_out(&self) -> usize {
        self.bias.len()
    }

    /// Whether `group` groups of `c_in → c_out` channels fit the kernel's
    /// blocks of four output channels: a block must not straddle two groups.
    pub fn takes_groups(c_in: usize, c_out: usize, group: usize) -> bool {
        group == 1
            || (group > 1
                && c_in.is_multiple_of(group)
                && c_out.is_multiple_of(group)
                && (c_out / group).is_multiple_of(4))
    }

    /// The (input channel, tap) offsets output channel `co` reads: its
    /// group's part of `offsets`, which lists every input channel's taps.
    fn offsets_of<'a>(&self, offsets: &'a [usize], co: usize) -> &'a [usize] {
        let per_group = offsets.len() / self.group;
        let g = co / (self.c_out() / self.group);
        &offsets[g * per_group..][..per_group]
    }

    /// Values in one output channel's plane (pooled, when a pool is taken in).
    fn plane_out(&self) -> usize {
        match &self.pool {
            Some(pool) => pool.oh * pool.ow,
            None => self.geo.oh * self.geo.ow,
        }
    }

    /// The output shape for an input of `shape`.
    fn output_shape<D: Clone + From<usize>>(&self, shape: &[D]) -> TVec<D> {
        let mut out = self.geo.output_shape(shape);
        let r = out.len();
        out[r - 3] = self.c_out().into();
        if let Some(pool) = &self.pool {
            out[r - 2] = pool.oh.into();
            out[r - 1] = pool.ow.into();
        }
        out
    }

    pub fn eval_with(&self, isa: Isa, input: TValue) -> TractResult<TVec<TValue>> {
        let g = &self.geo;
        let (c_in, c_out) = (self.c_in, self.c_out());
        let shape = input.shape().to_vec();
        g.check_input(&shape, Some(c_in))?;
        let out_shape = self.output_shape(&shape);
        let view = input.try_as_plain_ram()?;
        let x = view.as_slice::<f32>()?;
        let mut output = unsafe { Tensor::uninitialized::<f32>(&out_shape)? };
        let per_channel = g.scratch_len();
        let taps = g.tap_offsets();
        // Every (input channel, tap) source offset, in the weights' order.
        let offsets: Vec<usize> = (0..c_in)
            .flat_map(|ci| taps.iter().map(move |t| ci * per_channel + t))
            .collect();
        let plane_out = self.plane_out();
        {
            let mut out_view = output.try_as_plain_ram_mut()?;
            let y = out_view.as_slice_mut::<f32>()?;
            let columns = g.column_targets();
            SCRATCH.with_borrow_mut(|planes| -> TractResult<()> {
                let scratch = planes_for(planes, g, c_in);
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
                    // Blocks of four output channels split across tract's
                    // threads (`--threads`) when the layer pays for it
                    // (`team::SPLIT_MACS`), every block computed by the same
                    // loop whatever the thread count; the channels past the
                    // last block run inline.
                    let whole = c_out / 4 * 4;
                    let (grouped, rest) = yb.split_at_mut(whole * plane_out);
                    let work = c_out * offsets.len() / self.group * g.wide_len();
                    if whole > 0 {
                        team::par_chunks_mut(grouped, 4 * plane_out, work, |first, chunk| {
                            self.channels(isa, scratch, &offsets, 4 * first, chunk);
                            Ok(())
                        })?;
                    }
                    if whole < c_out {
                        self.channels(isa, scratch, &offsets, whole, rest);
                    }
                }
                Ok(())
            })?;
        }
        Ok(tvec!(output.into_tvalue()))
    }

    /// The weight rows of output channels `co .. co + 4`.
    fn rows(&self, co: usize) -> [&[f32]; 4] {
        let n = self.weights.len() / self.c_out();
        std::array::from_fn(|j| &self.weights[(co + j) * n..][..n])
    }

    fn bias4(&self, co: usize) -> [f32; 4] {
        std::array::from_fn(|j| self.bias[co + j])
    }

    /// Whether the pool taken in is computed in registers with the
    /// convolution ([`simd::weighted_taps_x4_pool2`]): a 2 × 2 window of
    /// stride 2, on an ISA and grid that allow it. Other pools read the
    /// stored grid ([`PoolAfter::gather`]).
    fn pools_in_registers(&self, isa: Isa, grid: simd::Grid) -> bool {
        matches!(
            self.pool,
            Some(PoolAfter {
                k: (2, 2),
                stride: (2, 2),
                ..
            })
        ) && simd::pools_in_registers(isa, grid)
    }

    /// Output channels `first ..` of one batch item into `out` (their
    /// pooled or plain planes), from its phase planes `scratch`.
    fn channels(
        &self,
        isa: Isa,
        scratch: &[f32],
        offsets: &[usize],
        first: usize,
        out: &mut [f32],
    ) {
        let g = &self.geo;
        let wide_len = g.wide_len();
        let q = wide_len / g.oh;
        let plane_out = self.plane_out();
        let pool_offsets = self.pool.map(|p| p.window_offsets(q)).unwrap_or_default();
        let grid = simd::Grid {
            rows: g.oh,
            cols: g.ow,
            pitch: q,
        };
        let pooled_in_registers = self.pools_in_registers(isa, grid);
        WIDE.with_borrow_mut(|(wide, pool_max)| {
            wide.resize(4 * wide_len, 0.0);
            for (b, yb) in out.chunks_mut(4 * plane_out).enumerate() {
                let co = first + 4 * b;
                let block = yb.len() / plane_out;
                let offsets = self.offsets_of(offsets, co);
                let (w0, rest) = wide.split_at_mut(wide_len);
                let (w1, rest) = rest.split_at_mut(wide_len);
                let (w2, w3) = rest.split_at_mut(wide_len);
                if block == 4 && pooled_in_registers {
                    let mut planes = yb.chunks_exact_mut(plane_out);
                    simd::weighted_taps_x4_pool2(
                        isa,
                        std::array::from_fn(|_| planes.next().expect("four planes")),
                        scratch,
                        offsets,
                        self.rows(co),
                        self.bias4(co),
                        self.clamp,
                        grid,
                    );
                    continue;
                }
                if block == 4 {
                    simd::weighted_taps_x4_grid(
                        isa,
                        [&mut *w0, &mut *w1, &mut *w2, &mut *w3],
                        scratch,
                        offsets,
                        self.rows(co),
                        self.bias4(co),
                        self.clamp,
                        grid,
                    );
                } else {
                    for (j, w) in [&mut *w0, &mut *w1, &mut *w2]
                        .into_iter()
                        .enumerate()
                        .take(block)
                    {
                        let row = &self.weights[(co + j) * offsets.len()..][..offsets.len()];
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
                for (w, out) in [&*w0, &*w1, &*w2, &*w3]
                    .into_iter()
                    .zip(yb.chunks_exact_mut(plane_out))
                {
                    match &self.pool {
                        Some(pool) => pool.gather(isa, w, q, &pool_offsets, out, pool_max),
                        None => g.gather(isa, w, out),
                    }
                }
            }
        });
    }
}

kernel_op!(DirectConv, "PiEdgeDirectConv", |op| format!(
    "{} -> {} ch in {} group(s), {:?}, clamp {:?}, max pool {:?}",
    op.c_in,
    op.c_out(),
    op.group,
    op.geo,
    op.clamp,
    op.pool
));

impl TypedOp for DirectConv {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        // Checks the input (f32, channel-first 2-D).
        output_fact(&self.geo, inputs[0], Some(self.c_out()))?;
        let shape: TVec<TDim> = inputs[0].shape.iter().cloned().collect();
        Ok(tvec!(f32::fact(self.output_shape(&shape))))
    }

    as_op!();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(c_in: usize, h: usize, w: usize, stride: usize) -> DirectConv {
        let (oh, ow) = ((h + 2 - 3) / stride + 1, (w + 2 - 3) / stride + 1);
        let c_out = 5;
        let weights = (0..c_out * c_in * 9).map(|i| (i % 7) as f32 * 0.125 - 0.375);
        DirectConv {
            geo: Geometry {
                h,
                w,
                kh: 3,
                kw: 3,
                stride: (stride, stride),
                dilation: (1, 1),
                pad: (1, 1),
                oh,
                ow,
            },
            c_in,
            group: 1,
            weights: Arc::new(weights.collect()),
            bias: Arc::new(vec![0.5; c_out]),
            clamp: (f32::NEG_INFINITY, f32::INFINITY),
            pool: None,
        }
    }

    fn input(c_in: usize, h: usize, w: usize, value: impl Fn(usize) -> f32) -> TValue {
        let x: Vec<f32> = (0..c_in * h * w).map(value).collect();
        tensor1(&x)
            .into_shape(&[1, c_in, h, w])
            .unwrap()
            .into_tvalue()
    }

    fn eval(op: &DirectConv, x: TValue) -> Vec<f32> {
        let y = op.eval_with(Isa::best(), x).unwrap().remove(0);
        y.try_as_plain_ram()
            .unwrap()
            .as_slice::<f32>()
            .unwrap()
            .to_vec()
    }

    #[test]
    fn groups_are_taken_in_whole_blocks_of_four_outputs() {
        for (c_in, c_out, group, taken) in [
            (3, 5, 1, true),
            (48, 48, 6, true),  // RegNetY-400MF's first stage: 8 per group
            (16, 32, 2, true),  // 16 outputs a group
            (12, 12, 2, false), // 6 outputs a group: a block would straddle two
            (10, 8, 4, false),  // input channels that do not divide
            (8, 8, 0, false),
        ] {
            assert_eq!(
                DirectConv::takes_groups(c_in, c_out, group),
                taken,
                "{c_in} → {c_out} in {group}"
            );
        }
    }

    /// The planes are kept between evaluations: an earlier input with huge
    /// values, and another layout run in between, must leave no trace in
    /// the padding.
    #[test]
    fn kept_planes_give_what_fresh_ones_do() {
        for stride in [1, 2] {
            let (a, b) = (conv(3, 9, 11, stride), conv(2, 6, 6, 1));
            let x = input(3, 9, 11, |i| (i % 13) as f32 - 6.0);
            let fresh = {
                let (a, x) = (a.clone(), x.clone());
                std::thread::spawn(move || eval(&a, x)).join().unwrap()
            };
            eval(&a, input(3, 9, 11, |_| 1.0e6));
            eval(&b, input(2, 6, 6, |_| -1.0e6));
            assert_eq!(eval(&a, x), fresh, "stride {stride}");
        }
    }
}
