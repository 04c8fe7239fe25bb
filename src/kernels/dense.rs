//! A fully connected layer on a few rows: a classifier's head, such as
//! TinyCNN's `Gemm` from 8192 values to 2 classes or MobileNetV2's from
//! 1280. Declutter makes it an `EinSum` with constant weights `[N, K…]`
//! (the `Flatten` before it folded in), then an `Add` of the bias. tract
//! runs that as a matrix product that packs its input and uses a kernel
//! made for wide products: 6 µs for TinyCNN's 16 k multiply-adds, a twentieth
//! of the whole inference. Here each output is one dot product along a
//! weight row ([`simd::dot_rows`], four rows per pass over the input), the
//! bias and a following clamp fused in.

#![allow(unsafe_code)] // tract's uninitialised output, entirely overwritten

use super::ops::kernel_op;
use super::simd::{self, Isa};
use super::team;
use std::sync::Arc;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;

/// Whether the rewrite swaps this kernel in here: where there are SIMD
/// loops for it and tract's own kernels are the native ones (as for
/// `pointwise`); a browser's worker keeps tract's.
pub fn pays() -> bool {
    !cfg!(target_family = "wasm") && Isa::best() != Isa::Scalar
}

#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    /// Values per row of the input.
    pub k: usize,
    /// Outputs per row.
    pub n: usize,
    /// `[N][K]`, row-major.
    weights: Arc<Vec<f32>>,
    bias: Arc<Vec<f32>>,
    clamp: (f32, f32),
    /// The output's shape (rows × `n`, with the einsum's axes of one).
    out_shape: TVec<usize>,
}

impl Eq for Dense {}

impl Dense {
    /// `weights` is `[n][k]`, `bias` `[n]`; the output has `out_shape`.
    pub fn new(
        k: usize,
        weights: Vec<f32>,
        bias: Vec<f32>,
        clamp: (f32, f32),
        out_shape: TVec<usize>,
    ) -> Dense {
        let n = bias.len();
        assert_eq!(weights.len(), n * k, "weights for {n} × {k}");
        Dense {
            k,
            n,
            weights: Arc::new(weights),
            bias: Arc::new(bias),
            clamp,
            out_shape,
        }
    }

    pub fn eval_with(&self, isa: Isa, input: TValue) -> TractResult<TVec<TValue>> {
        let (k, n) = (self.k, self.n);
        let rows = self.out_shape.iter().product::<usize>() / n.max(1);
        ensure!(
            input.len() == rows * k,
            "input {:?} does not hold {rows} rows of {k}",
            input.shape()
        );
        let view = input.try_as_plain_ram()?;
        let x = view.as_slice::<f32>()?;
        let mut output = unsafe { Tensor::uninitialized::<f32>(&self.out_shape)? };
        {
            let mut out_view = output.try_as_plain_ram_mut()?;
            let y = out_view.as_slice_mut::<f32>()?;
            for (xr, yr) in x.chunks_exact(k).zip(y.chunks_exact_mut(n)) {
                // Blocks of four outputs across tract's threads
                // (`--threads`) when the layer pays for it.
                let whole = n / 4 * 4;
                let (grouped, rest) = yr.split_at_mut(whole);
                if whole > 0 {
                    team::par_chunks_mut(grouped, 4, whole * k, |first, chunk| {
                        self.outputs(isa, xr, first * 4, chunk);
                        Ok(())
                    })?;
                }
                self.outputs(isa, xr, whole, rest);
            }
        }
        Ok(tvec!(output.into_tvalue()))
    }

    /// Outputs `first ..` of one row.
    fn outputs(&self, isa: Isa, x: &[f32], first: usize, out: &mut [f32]) {
        let last = first + out.len();
        simd::dot_rows(
            isa,
            out,
            x,
            &self.weights[first * self.k..last * self.k],
            &self.bias[first..last],
            self.clamp,
        );
    }
}

kernel_op!(Dense, "PiEdgeDense", |op| format!(
    "{} -> {}, clamp {:?}",
    op.k, op.n, op.clamp
));

impl TypedOp for Dense {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        ensure!(
            inputs[0].datum_type == f32::datum_type(),
            "f32 input expected"
        );
        let shape: TVec<TDim> = self.out_shape.iter().map(|&d| d.into()).collect();
        Ok(tvec!(f32::fact(shape)))
    }

    fn cost(&self, _inputs: &[&TypedFact]) -> TractResult<TVec<(Cost, TDim)>> {
        let rows = self.out_shape.iter().product::<usize>() / self.n.max(1);
        Ok(tvec!((
            Cost::FMA(f32::datum_type()),
            (rows * self.n * self.k).into()
        )))
    }

    as_op!();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against plain sums, in rows, with a clamp, split and not.
    #[test]
    fn rows_of_dot_products_with_bias_and_clamp() {
        for (rows, k, n) in [
            (1, 8192, 2),
            (1, 1280, 10),
            (3, 37, 9),
            (2, 5, 4),
            (1, 1, 1),
        ] {
            let weights: Vec<f32> = (0..n * k)
                .map(|i| ((i * 7) % 13) as f32 * 0.01 - 0.06)
                .collect();
            let bias: Vec<f32> = (0..n).map(|j| j as f32 * 0.1 - 0.2).collect();
            let x: Vec<f32> = (0..rows * k)
                .map(|i| ((i * 5) % 11) as f32 * 0.1 - 0.5)
                .collect();
            let op = Dense::new(
                k,
                weights.clone(),
                bias.clone(),
                (-1.0, 1.5),
                tvec![rows, n],
            );
            let input = tensor1(&x).into_shape(&[rows, k]).unwrap().into_tvalue();
            for isa in Isa::available() {
                let y = op.eval_with(isa, input.clone()).unwrap().remove(0);
                let y = y
                    .try_as_plain_ram()
                    .unwrap()
                    .as_slice::<f32>()
                    .unwrap()
                    .to_vec();
                for r in 0..rows {
                    for j in 0..n {
                        let want: f64 = bias[j] as f64
                            + (0..k)
                                .map(|i| weights[j * k + i] as f64 * x[r * k + i] as f64)
                                .sum::<f64>();
                        let want = want.clamp(-1.0, 1.5) as f32;
                        let got = y[r * n + j];
                        assert!(
                            (got - want).abs() <= 1e-4 * (1.0 + want.abs()),
                            "{} {rows}×{k}→{n} [{r}, {j}]: {got} vs {want}",
                            isa.name()
                        );
                    }
                }
            }
        }
    }
}
