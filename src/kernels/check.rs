//! A self-check of the project's kernels against tract's own operators
//! (depthwise, dense and pointwise convolutions, fully connected layers,
//! max pools), on random
//! shapes (strides 1–3, dilation, asymmetric padding, channel counts that
//! are not multiples of any vector width, residual additions, batch 1 and
//! 2), for every
//! instruction set this machine runs. It lives in the library, not only in
//! tests, so it runs wherever the kernels do: natively in `cargo test`,
//! in the Raspberry Pi binaries under qemu (`piedge self-check`) and in the
//! browser's worker with wasm SIMD.

use super::simd::{with_isa, Isa};
pub use crate::plan::SelfCheck;
use crate::rng::SplitMix64;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::ops::cnn::{Conv, KernelFormat, MaxPool, PaddingSpec, PoolSpec};
use tract_onnx::tract_core::ops::einsum::EinSum;
use tract_onnx::tract_core::ops::math;
use tract_onnx::tract_core::ops::nn::DataFormat;

/// One random window op: shapes and parameters.
#[derive(Clone, Debug)]
pub struct Case {
    pub batch: Option<usize>,
    pub c: usize,
    /// Output channels of a dense convolution (`c` for the others).
    pub c_out: usize,
    pub h: usize,
    pub w: usize,
    pub k: (usize, usize),
    pub stride: (usize, usize),
    pub dilation: (usize, usize),
    pub pad_before: (usize, usize),
    pub pad_after: (usize, usize),
    pub clamp: (Option<f32>, Option<f32>),
    /// Pointwise cases: the input is added to the convolution's output
    /// (before the clamp), as in an inverted-residual block.
    pub residual: bool,
    /// Dense cases: a max pool (window, stride; no padding) after the
    /// clamp, as in conv → ReLU → pool, which the direct kernel takes in.
    pub pool: Option<((usize, usize), (usize, usize))>,
    /// Dense cases: groups of channels (1, or RegNet's grouped 3×3
    /// convolutions, eight input channels to a group).
    pub group: usize,
}

impl Case {
    /// A random case with at least one output position.
    pub fn random(r: &mut SplitMix64) -> Case {
        loop {
            let k = (1 + r.below(5), 1 + r.below(5));
            let dilation = (1 + r.below(2), 1 + r.below(2));
            let case = Case {
                batch: [None, Some(1), Some(2)][r.below(3)],
                c: [2, 3, 5, 8, 13, 17, 32][r.below(7)],
                c_out: 0,
                h: 1 + r.below(20),
                w: 1 + r.below(40),
                k,
                stride: (1 + r.below(3), 1 + r.below(3)),
                dilation,
                // Padding below the kernel's extent, as exporters produce.
                pad_before: (r.below(k.0), r.below(k.1)),
                pad_after: (r.below(k.0), r.below(k.1)),
                clamp: match r.below(3) {
                    0 => (None, None),
                    1 => (Some(0.0), None),
                    _ => (Some(0.0), Some(0.5)),
                },
                residual: false,
                pool: None,
                group: 1,
            };
            let span = |i: usize, p: usize, q: usize, k: usize, d: usize| {
                (i + p + q) as isize - ((k - 1) * d + 1) as isize
            };
            if span(case.h, case.pad_before.0, case.pad_after.0, k.0, dilation.0) >= 0
                && span(case.w, case.pad_before.1, case.pad_after.1, k.1, dilation.1) >= 0
            {
                return Case {
                    c_out: case.c,
                    ..case
                };
            }
        }
    }

    /// A random dense convolution the direct kernel takes: few input
    /// channels, a 2×2 to 3×3 kernel, an output plane of 256 or more; or a
    /// grouped one (a quarter of the cases), 2 to 4 groups of 4 to 8
    /// input channels and 4 or 8 outputs each, on any plane.
    pub fn random_dense(r: &mut SplitMix64) -> Case {
        loop {
            let k = (2 + r.below(2), 2 + r.below(2));
            let group = [1, 1, 1, 2 + r.below(3)][r.below(4)];
            let (c, c_out) = if group > 1 {
                (group * (4 + r.below(5)), group * 4 * (1 + r.below(2)))
            } else {
                (
                    [1, 2, 3, 5, 8, 16][r.below(6)],
                    [1, 3, 4, 5, 8, 13, 16][r.below(7)],
                )
            };
            let case = Case {
                batch: [None, Some(1), Some(2)][r.below(3)],
                c,
                c_out,
                group,
                h: if group > 1 { 5 } else { 16 } + r.below(30),
                w: if group > 1 { 5 } else { 16 } + r.below(40),
                k,
                stride: (1 + r.below(2), 1 + r.below(2)),
                dilation: (1 + r.below(2), 1 + r.below(2)),
                pad_before: (r.below(k.0), r.below(k.1)),
                pad_after: (r.below(k.0), r.below(k.1)),
                clamp: match r.below(3) {
                    0 => (None, None),
                    1 => (Some(0.0), None),
                    _ => (Some(-0.25), Some(0.5)),
                },
                residual: false,
                // Half with a pool: 2×2 at stride 2 as most networks have,
                // or other windows and strides (overlapping, uneven).
                pool: match r.below(4) {
                    0 | 1 => None,
                    2 => Some(((2, 2), (2, 2))),
                    _ => Some((
                        (1 + r.below(3), 1 + r.below(3)),
                        (1 + r.below(3), 1 + r.below(3)),
                    )),
                },
            };
            let g = case.geometry();
            // A grouped case's small plane must still hold its pool's window:
            // an empty output is no case (tract 0.23.9 divides by its zero
            // row length on armv7).
            let pool_fits = case
                .pool
                .is_none_or(|((ph, pw), _)| g.oh >= ph && g.ow >= pw);
            if (g.oh * g.ow >= super::conv::MIN_POSITIONS || group > 1)
                && pool_fits
                && case.c / group * k.0 * k.1 <= super::conv::MAX_REDUCTION
            {
                return case;
            }
        }
    }

    /// A random 1×1 convolution the pointwise kernel takes: planes on both
    /// sides of its two ways, channel counts around the 32-channel panels, and
    /// half of those with as many outputs as inputs adding the input back.
    pub fn random_pointwise(r: &mut SplitMix64) -> Case {
        loop {
            let c = [1, 3, 8, 16, 17, 24, 40][r.below(7)];
            let residual = r.below(2) == 0;
            let big = r.below(2) == 0;
            let case = Case {
                batch: [None, Some(1), Some(2)][r.below(3)],
                c,
                c_out: if residual {
                    c
                } else {
                    [1, 5, 16, 31, 33, 48, 65][r.below(7)]
                },
                pool: None,
                // Half small planes (tiles across the channels), half larger
                // ones (along the positions, some over several blocks).
                h: if big { 5 + r.below(20) } else { 1 + r.below(4) },
                w: if big { 5 + r.below(20) } else { 1 + r.below(5) },
                k: (1, 1),
                stride: (1, 1),
                dilation: (1, 1),
                pad_before: (0, 0),
                pad_after: (0, 0),
                clamp: match r.below(3) {
                    0 => (None, None),
                    1 => (Some(0.0), None),
                    _ => (Some(0.0), Some(0.5)),
                },
                residual,
                group: 1,
            };
            if case.h * case.w <= super::pointwise::MAX_POSITIONS {
                return case;
            }
        }
    }

    /// A typed graph of tract's dense `Conv` with random weights, then the
    /// residual `Add` (pointwise cases that have one) and the clamp.
    pub fn dense_model(&self, r: &mut SplitMix64) -> TractResult<TypedModel> {
        let mut m = TypedModel::default();
        let x = m.add_source("x", f32::fact(self.shape()))?;
        let kernel = m.add_const(
            "kernel",
            random_tensor(r, &[self.c_out, self.c / self.group, self.k.0, self.k.1])?,
        )?;
        let bias = m.add_const("bias", random_tensor(r, &[self.c_out])?)?;
        let conv = Conv {
            pool_spec: PoolSpec {
                output_channels: self.c_out,
                ..self.pool_spec()
            },
            kernel_fmt: KernelFormat::OIHW,
            group: self.group,
            q_params: None,
        };
        let mut y = m.wire_node("conv", conv, &[x, kernel, bias])?[0];
        if self.residual {
            y = m.wire_node("add", math::add(), &[x, y])?[0];
        }
        let mut y = self.clamp(&mut m, y)?;
        if let Some((k, stride)) = self.pool {
            let spec = PoolSpec {
                data_format: self.pool_spec().data_format,
                kernel_shape: tvec![k.0, k.1],
                padding: PaddingSpec::Valid,
                dilations: None,
                strides: Some(tvec![stride.0, stride.1]),
                input_channels: self.c_out,
                output_channels: self.c_out,
            };
            let pool = MaxPool {
                pool_spec: spec,
                with_index_outputs: None,
            };
            y = m.wire_node("pool", pool, &[y])?[0];
        }
        m.select_output_outlets(&[y])?;
        Ok(m)
    }

    fn finish_with_clamp(&self, mut m: TypedModel, y: OutletId) -> TractResult<TypedModel> {
        let y = self.clamp(&mut m, y)?;
        m.select_output_outlets(&[y])?;
        Ok(m)
    }

    /// The case's clamp after `y`.
    fn clamp(&self, m: &mut TypedModel, y: OutletId) -> TractResult<OutletId> {
        wire_clamp(m, y, self.clamp, self.shape().len())
    }

    /// The window geometry, as the rewrite computes it.
    pub fn geometry(&self) -> super::ops::Geometry {
        let out = |i: usize, p: usize, q: usize, k: usize, d: usize, s: usize| {
            (i + p + q - (k - 1) * d - 1) / s + 1
        };
        super::ops::Geometry {
            h: self.h,
            w: self.w,
            kh: self.k.0,
            kw: self.k.1,
            stride: self.stride,
            dilation: self.dilation,
            pad: self.pad_before,
            oh: out(
                self.h,
                self.pad_before.0,
                self.pad_after.0,
                self.k.0,
                self.dilation.0,
                self.stride.0,
            ),
            ow: out(
                self.w,
                self.pad_before.1,
                self.pad_after.1,
                self.k.1,
                self.dilation.1,
                self.stride.1,
            ),
        }
    }

    fn shape(&self) -> TVec<usize> {
        let mut s = tvec![self.c, self.h, self.w];
        if let Some(n) = self.batch {
            s.insert(0, n);
        }
        s
    }

    fn pool_spec(&self) -> PoolSpec {
        PoolSpec {
            data_format: if self.batch.is_some() {
                DataFormat::NCHW
            } else {
                DataFormat::CHW
            },
            kernel_shape: tvec![self.k.0, self.k.1],
            padding: PaddingSpec::Explicit(
                tvec![self.pad_before.0, self.pad_before.1],
                tvec![self.pad_after.0, self.pad_after.1],
            ),
            dilations: Some(tvec![self.dilation.0, self.dilation.1]),
            strides: Some(tvec![self.stride.0, self.stride.1]),
            input_channels: self.c,
            output_channels: self.c,
        }
    }

    /// A typed graph of tract's depthwise `Conv` (then `Max`/`Min` for the
    /// clamp) with random weights.
    pub fn depthwise_model(&self, r: &mut SplitMix64) -> TractResult<TypedModel> {
        let mut m = TypedModel::default();
        let x = m.add_source("x", f32::fact(self.shape()))?;
        let kernel = random_tensor(r, &[self.c, 1, self.k.0, self.k.1])?;
        let bias = random_tensor(r, &[self.c])?;
        let kernel = m.add_const("kernel", kernel)?;
        let bias = m.add_const("bias", bias)?;
        let conv = Conv {
            pool_spec: self.pool_spec(),
            kernel_fmt: KernelFormat::OIHW,
            group: self.c,
            q_params: None,
        };
        let y = m.wire_node("conv", conv, &[x, kernel, bias])?[0];
        self.finish_with_clamp(m, y)
    }

    /// A typed graph of tract's `MaxPool`, after a ReLU (`Max` with the
    /// clamp's lower bound) when the case has one.
    pub fn max_pool_model(&self) -> TractResult<TypedModel> {
        let mut m = TypedModel::default();
        let mut x = m.add_source("x", f32::fact(self.shape()))?;
        if let Some(lo) = self.clamp.0 {
            let k = m.add_const("lo", tensor0(lo).broadcast_into_rank(self.shape().len())?)?;
            x = m.wire_node("relu", math::max(), &[x, k])?[0];
        }
        let pool = MaxPool {
            pool_spec: self.pool_spec(),
            with_index_outputs: None,
        };
        let y = m.wire_node("pool", pool, &[x])?[0];
        m.select_output_outlets(&[y])?;
        Ok(m)
    }

    pub fn input(&self, r: &mut SplitMix64) -> TractResult<Tensor> {
        random_tensor(r, &self.shape())
    }
}

/// A random fully connected layer as tract has it after declutter: an
/// `EinSum` of the input with weights `[N, K…]` (an ONNX `Gemm` with its
/// weights transposed, or `MatMul` after a `Flatten`, whose contracted axes
/// are the input's channel and plane), then `Add` of a bias and the clamp.
#[derive(Clone, Debug)]
pub struct FullyConnected {
    pub form: &'static str,
    pub input: Vec<usize>,
    pub weights: Vec<usize>,
    pub clamp: (Option<f32>, Option<f32>),
}

impl FullyConnected {
    pub fn random(r: &mut SplitMix64) -> FullyConnected {
        // Lengths around the vector widths and the four-row passes. (One
        // output, or one input value, declutters into another form, which
        // the rewrite leaves to tract.)
        let (m, n) = (1 + r.below(3), 2 + r.below(12));
        let clamp = match r.below(3) {
            0 => (None, None),
            1 => (Some(0.0), None),
            _ => (Some(0.0), Some(0.5)),
        };
        if r.below(2) == 0 {
            let k = 2 + r.below(300);
            FullyConnected {
                form: "mk,nk->mn",
                input: vec![m, k],
                weights: vec![n, k],
                clamp,
            }
        } else {
            // A classifier over a flattened `C × H × W` map (TinyCNN's).
            let (c, h, w) = (2 + r.below(15), 1 + r.below(8), 1 + r.below(8));
            FullyConnected {
                form: "mabc,nabc->mn",
                input: vec![m, c, h, w],
                weights: vec![n, c, h, w],
                clamp,
            }
        }
    }

    pub fn model(&self, r: &mut SplitMix64) -> TractResult<TypedModel> {
        let mut m = TypedModel::default();
        let x = m.add_source("x", f32::fact(&self.input))?;
        let w = m.add_const("w", random_tensor(r, &self.weights)?)?;
        let y = m.wire_node(
            "fc",
            EinSum::new(self.form.parse()?, f32::datum_type()),
            &[x, w],
        )?[0];
        let n = self.weights[0];
        let bias = m.add_const("b", random_tensor(r, &[1, n])?)?;
        let y = m.wire_node("bias", math::add(), &[y, bias])?[0];
        let y = wire_clamp(&mut m, y, self.clamp, 2)?;
        m.select_output_outlets(&[y])?;
        Ok(m)
    }
}

/// `clamp` after `y` (of rank `rank`), as tract expresses ReLU and ReLU6.
fn wire_clamp(
    m: &mut TypedModel,
    mut y: OutletId,
    clamp: (Option<f32>, Option<f32>),
    rank: usize,
) -> TractResult<OutletId> {
    if let Some(lo) = clamp.0 {
        let k = m.add_const("lo", tensor0(lo).broadcast_into_rank(rank)?)?;
        y = m.wire_node("relu", math::max(), &[y, k])?[0];
    }
    if let Some(hi) = clamp.1 {
        let k = m.add_const("hi", tensor0(hi).broadcast_into_rank(rank)?)?;
        y = m.wire_node("relu6", math::min(), &[y, k])?[0];
    }
    Ok(y)
}

fn random_tensor(r: &mut SplitMix64, shape: &[usize]) -> TractResult<Tensor> {
    let n = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|_| r.next_f32() * 2.0 - 1.0).collect();
    Tensor::from_shape(shape, &v)
}

fn run(model: TypedModel, input: &Tensor) -> TractResult<Tensor> {
    let plan = model.into_runnable()?;
    let out = plan.run(tvec![input.clone().into_tvalue()])?;
    Ok(out[0].clone().into_tensor())
}

/// Largest absolute difference, or an error naming the first mismatch.
fn compare(
    what: &str,
    case: &dyn std::fmt::Debug,
    ours: &Tensor,
    theirs: &Tensor,
) -> TractResult<f32> {
    ensure!(
        ours.shape() == theirs.shape(),
        "{what} {case:?}: shape {:?}, tract {:?}",
        ours.shape(),
        theirs.shape()
    );
    let a = ours.try_as_plain_ram()?;
    let b = theirs.try_as_plain_ram()?;
    let mut worst = 0f32;
    for (i, (x, y)) in a
        .as_slice::<f32>()?
        .iter()
        .zip(b.as_slice::<f32>()?)
        .enumerate()
    {
        if x == y {
            continue; // also equal infinities (an all-padding max window)
        }
        let err = (x - y).abs();
        ensure!(
            err <= 1e-4 * (1.0 + y.abs()),
            "{what} {case:?}: value {i} is {x}, tract says {y}"
        );
        worst = worst.max(err);
    }
    Ok(worst)
}

/// Runs `model` as tract plans it and rewritten with the project's kernels
/// under each instruction set; returns the largest difference and the
/// number of values compared.
fn check_one(
    case: &dyn std::fmt::Debug,
    what: &str,
    model: TypedModel,
    input: &Tensor,
    isas: &[Isa],
    replaced: impl Fn(&super::Rewritten) -> bool,
) -> TractResult<(f32, usize)> {
    let theirs = run(model.clone().into_optimized()?, input)?;
    let mut ours = model.into_decluttered()?;
    let done = super::rewrite(&mut ours)?;
    ensure!(replaced(&done), "{what} {case:?}: not replaced ({done:?})");
    let plan = ours.into_optimized()?.into_runnable()?;
    let mut worst = 0f32;
    let mut values = 0;
    for &isa in isas {
        let out = with_isa(isa, || plan.run(tvec![input.clone().into_tvalue()]))?;
        let err = compare(&format!("{what}[{}]", isa.name()), case, &out[0], &theirs)?;
        worst = worst.max(err);
        values += theirs.len();
    }
    Ok((worst, values))
}

/// Compares `cases` random depthwise convolutions, as many max pools, as
/// many dense convolutions, pointwise ones and fully connected layers with
/// tract's, through the graph rewrite, under each instruction set.
/// Deterministic for a seed.
pub fn self_check(cases: usize, seed: u64) -> TractResult<SelfCheck> {
    let mut r = SplitMix64::new(seed);
    let isas = Isa::available();
    let mut report = SelfCheck {
        isas: isas.iter().map(|i| i.name().to_string()).collect(),
        ..SelfCheck::default()
    };
    for _ in 0..cases {
        for kind in 0..4 {
            let (case, model, what) = match kind {
                0 => {
                    let case = Case::random(&mut r);
                    let model = case.depthwise_model(&mut r)?;
                    (case, model, "depthwise")
                }
                1 => {
                    let case = Case::random(&mut r);
                    let model = case.max_pool_model()?;
                    (case, model, "max_pool")
                }
                2 => {
                    let case = Case::random_dense(&mut r);
                    let model = case.dense_model(&mut r)?;
                    (case, model, "direct_conv")
                }
                _ => {
                    if !super::pointwise::pays() {
                        // The rewrite leaves them to tract here.
                        continue;
                    }
                    let case = Case::random_pointwise(&mut r);
                    let model = case.dense_model(&mut r)?;
                    (case, model, "pointwise_conv")
                }
            };
            let input = case.input(&mut r)?;
            // A ReLU before a pool moves behind it, unless a window is all padding.
            let relu = (case.clamp.0.is_some() && !case.geometry().has_empty_window()) as usize;
            let (err, values) = check_one(&case, what, model, &input, &isas, |d| match kind {
                0 => d.depthwise == 1,
                1 => d.max_pools == 1 && d.fused_clamps == relu,
                2 => d.direct == 1 && d.fused_pools == case.pool.is_some() as usize,
                _ => d.pointwise == 1 && d.fused_adds == case.residual as usize,
            })?;
            *[
                &mut report.depthwise_cases,
                &mut report.max_pool_cases,
                &mut report.direct_cases,
                &mut report.pointwise_cases,
            ][kind] += 1;
            report.max_abs_error = report.max_abs_error.max(err);
            report.values += values;
        }
        if super::dense::pays() {
            // The rewrite leaves them to tract elsewhere.
            let case = FullyConnected::random(&mut r);
            let model = case.model(&mut r)?;
            let input = random_tensor(&mut r, &case.input)?;
            let (err, values) = check_one(&case, "fully_connected", model, &input, &isas, |d| {
                d.dense == 1
            })?;
            report.dense_cases += 1;
            report.max_abs_error = report.max_abs_error.max(err);
            report.values += values;
        }
    }
    Ok(report)
}
