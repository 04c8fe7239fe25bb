//! The loops every project kernel reduces to, written once per
//! instruction set:
//!
//! - [`weighted_taps`]: `out[i] = clamp(bias + Σₜ wₜ · src[offₜ + i])`, a
//!   depthwise convolution over a prepared input (see `ops`), and
//!   [`weighted_taps_x4`] / [`weighted_taps_x4_grid`] the same for four
//!   output channels at once (see `conv`);
//! - [`max_taps`]: `out[i] = maxₜ src[offₜ + i]`, a max pool likewise;
//! - [`pointwise_tile`]: 32 output channels × 8 positions of a 1×1
//!   convolution, vectors across the channels (see `pointwise`);
//! - [`dot_rows`]: rows of a fully connected layer (see `dense`);
//! - the data movement around them: [`copy_rows`], [`take_every_second`]
//!   and [`take_every_second_rows`] (phase planes), [`transpose`]
//!   (channel-last and back).
//!
//! Each has a scalar version and explicit SIMD versions for x86-64 (AVX2 +
//! FMA, chosen at run time), aarch64 (NEON, every 64-bit Pi has it) and
//! wasm32 (simd128, compiled in when the target feature is on). 32-bit ARM
//! uses the scalar loops: Rust's NEON intrinsics for it are not stable.
//!
//! The crate denies `unsafe`; this module is one of the two places allowed
//! it: SIMD intrinsics and unchecked loads, behind a bounds check per call.
#![allow(unsafe_code)]
// Where no SIMD variant exists (32-bit ARM, wasm without simd128) only the
// scalar arms remain: the dispatch's `unsafe` and the loop macro go unused.
#![cfg_attr(
    not(any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        all(target_arch = "wasm32", target_feature = "simd128")
    )),
    allow(unused_unsafe, unused_macros)
)]

/// One kernel tap: where its input starts and its weight.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tap {
    pub offset: usize,
    pub weight: f32,
}

/// An instruction set the loops are written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    Scalar,
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
    /// 16 lanes; recent x86-64 servers and desktops (the CI machine's AMD
    /// EPYC among them), where onnxruntime also uses it.
    #[cfg(target_arch = "x86_64")]
    Avx512,
    #[cfg(target_arch = "aarch64")]
    Neon,
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    Simd128,
}

thread_local! {
    static FORCED: std::cell::Cell<Option<Isa>> = const { std::cell::Cell::new(None) };
}

/// Runs `f` with the kernels on this thread using `isa` (tests and the
/// self-check compare instruction sets through whole plans this way).
pub fn with_isa<R>(isa: Isa, f: impl FnOnce() -> R) -> R {
    let previous = FORCED.replace(Some(isa));
    let r = f();
    FORCED.set(previous);
    r
}

impl Isa {
    /// The set the kernels use now: [`Isa::best`] unless [`with_isa`] says otherwise.
    pub fn current() -> Isa {
        FORCED.get().unwrap_or_else(Isa::best)
    }

    /// The fastest set this machine runs.
    pub fn best() -> Isa {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("fma")
        {
            return Isa::Avx512;
        }
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            return Isa::Avx2Fma;
        }
        #[cfg(target_arch = "aarch64")]
        return Isa::Neon;
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        return Isa::Simd128;
        #[allow(unreachable_code)]
        Isa::Scalar
    }

    /// Every set this machine runs, scalar first (tests compare them).
    pub fn available() -> Vec<Isa> {
        let mut v = vec![Isa::Scalar];
        // A machine with AVX-512 also runs the AVX2 variants: test both.
        #[cfg(target_arch = "x86_64")]
        if Isa::best() == Isa::Avx512 {
            v.push(Isa::Avx2Fma);
        }
        if Isa::best() != Isa::Scalar {
            v.push(Isa::best());
        }
        v
    }

    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => "avx2+fma",
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => "avx512",
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => "neon",
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => "simd128",
        }
    }

    /// Values in one of its vectors.
    pub fn lanes(self) -> usize {
        match self {
            Isa::Scalar => 1,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => 8,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => 16,
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => 4,
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => 4,
        }
    }
}

fn check_bounds(out_len: usize, src_len: usize, offsets: impl Iterator<Item = usize>) {
    for off in offsets {
        assert!(
            off + out_len <= src_len,
            "tap at {off} reads {out_len} values past a source of {src_len}"
        );
    }
}

/// `out[i] = min(max(bias + Σₜ wₜ · src[offₜ + i], lo), hi)`.
///
/// Panics if a tap would read past `src`.
pub fn weighted_taps(
    isa: Isa,
    out: &mut [f32],
    src: &[f32],
    taps: &[Tap],
    bias: f32,
    lo: f32,
    hi: f32,
) {
    check_bounds(out.len(), src.len(), taps.iter().map(|t| t.offset));
    // SAFETY: every tap's reads were checked against `src` above, and each
    // variant is only reachable when `Isa::best` found its instructions.
    unsafe {
        match isa {
            Isa::Scalar => weighted_scalar(out, src, taps, bias, lo, hi),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => x86::weighted(out, src, taps, bias, lo, hi),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => x86_512::weighted(out, src, taps, bias, lo, hi),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => neon::weighted(out, src, taps, bias, lo, hi),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => wasm::weighted(out, src, taps, bias, lo, hi),
        }
    }
}

/// `out[i] = max(maxₜ src[offₜ + i], lo)`; `offsets` must not be empty.
///
/// Panics if an offset would read past `src`.
pub fn max_taps(isa: Isa, out: &mut [f32], src: &[f32], offsets: &[usize], lo: f32) {
    assert!(!offsets.is_empty(), "a max pool needs at least one tap");
    check_bounds(out.len(), src.len(), offsets.iter().copied());
    // SAFETY: as in `weighted_taps`.
    unsafe {
        match isa {
            Isa::Scalar => max_scalar(out, src, offsets, lo),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => x86::max(out, src, offsets, lo),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => x86_512::max(out, src, offsets, lo),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => neon::max(out, src, offsets, lo),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => wasm::max(out, src, offsets, lo),
        }
    }
}

/// Channel-inner depthwise step for one output position:
/// `out[c] = clamp(bias[c] + Σᵣ ws[wᵣ + c] · xs[xᵣ + c])` over the
/// `(xᵣ, wᵣ)` row pairs (input row of a tap, weight row of that tap).
///
/// Panics if a row would read past `xs` or `ws`, or `bias` is short.
#[allow(clippy::too_many_arguments)]
pub fn weighted_rows(
    isa: Isa,
    out: &mut [f32],
    xs: &[f32],
    ws: &[f32],
    rows: &[(usize, usize)],
    bias: &[f32],
    lo: f32,
    hi: f32,
) {
    let n = out.len();
    assert!(bias.len() >= n, "bias of {} for {n} channels", bias.len());
    check_bounds(n, xs.len(), rows.iter().map(|r| r.0));
    check_bounds(n, ws.len(), rows.iter().map(|r| r.1));
    // SAFETY: every row's reads were checked above.
    unsafe {
        match isa {
            Isa::Scalar => rows_scalar(out, xs, ws, rows, bias, lo, hi),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => x86::rows(out, xs, ws, rows, bias, lo, hi),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => x86_512::rows(out, xs, ws, rows, bias, lo, hi),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => neon::rows(out, xs, ws, rows, bias, lo, hi),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => wasm::rows(out, xs, ws, rows, bias, lo, hi),
        }
    }
}

fn rows_scalar(
    out: &mut [f32],
    xs: &[f32],
    ws: &[f32],
    rows: &[(usize, usize)],
    bias: &[f32],
    lo: f32,
    hi: f32,
) {
    out.copy_from_slice(&bias[..out.len()]);
    for &(x, w) in rows {
        for ((o, a), b) in out.iter_mut().zip(&xs[x..]).zip(&ws[w..]) {
            *o += a * b;
        }
    }
    for o in out.iter_mut() {
        *o = o.max(lo).min(hi);
    }
}

/// Four output channels at once: `outⱼ[i] = clamp(biasⱼ + Σₜ rowsⱼ[t] ·
/// src[offsets[t] + i])`, so each input load feeds four multiply-adds.
///
/// Panics if an offset would read past `src`, the outputs differ in length,
/// or a weight row is shorter than `offsets`.
pub fn weighted_taps_x4(
    isa: Isa,
    outs: [&mut [f32]; 4],
    src: &[f32],
    offsets: &[usize],
    rows: [&[f32]; 4],
    bias: [f32; 4],
    clamp: (f32, f32),
) {
    let n = outs[0].len();
    assert!(
        outs.iter().all(|o| o.len() == n),
        "outputs of different lengths"
    );
    check_four_channels(n, src, offsets, &rows);
    // SAFETY: reads checked above; each variant only runs where `Isa::best`
    // found its instructions.
    unsafe {
        match isa {
            Isa::Scalar => x4_scalar(outs, src, offsets, rows, bias, clamp),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => x86::x4(outs, src, offsets, rows, bias, clamp),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => x86_512::x4(outs, src, offsets, rows, bias, clamp),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => neon::x4(outs, src, offsets, rows, bias, clamp),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => wasm::x4(outs, src, offsets, rows, bias, clamp),
        }
    }
}

/// The valid part of a wide grid: `rows` rows of `cols` values, `pitch`
/// apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grid {
    pub rows: usize,
    pub cols: usize,
    pub pitch: usize,
}

impl Grid {
    /// Positions from the first to the last valid one.
    pub fn span(&self) -> usize {
        match self.rows {
            0 => 0,
            r => (r - 1) * self.pitch + self.cols,
        }
    }
}

/// [`weighted_taps_x4`] at the valid positions of `grid` only: the columns
/// of a wide grid past a row's end (two of TinyCNN's 34 per row, 6 % of its
/// second convolution) are not computed, and hold what they held. Vectors
/// are taken along each row, the last one overlapping the one before, and
/// grouped across rows (two rows of 32 values make one block of four
/// 16-lane vectors). Rows shorter than a vector, the scalar loops and
/// WebAssembly take the whole span.
///
/// Panics as [`weighted_taps_x4`] does, for the grid's span.
#[allow(clippy::too_many_arguments)]
pub fn weighted_taps_x4_grid(
    isa: Isa,
    outs: [&mut [f32]; 4],
    src: &[f32],
    offsets: &[usize],
    rows: [&[f32]; 4],
    bias: [f32; 4],
    clamp: (f32, f32),
    grid: Grid,
) {
    let n = grid.span();
    // In WebAssembly, built for size (`opt-level = "s"`), the block's arrays
    // of sums are not unrolled into registers: TinyCNN took 11.3 ms in
    // Chromium with them instead of 0.49. There the whole span runs the
    // contiguous loop, whose sums are named variables.
    if isa == Isa::Scalar
        || cfg!(target_family = "wasm")
        || grid.cols < isa.lanes()
        || grid.pitch < grid.cols
    {
        let outs = outs.map(|o| &mut o[..n]);
        return weighted_taps_x4(isa, outs, src, offsets, rows, bias, clamp);
    }
    assert!(
        outs.iter().all(|o| o.len() >= n),
        "outputs shorter than the grid"
    );
    check_four_channels(n, src, offsets, &rows);
    // SAFETY: reads checked above, every vector lies inside the span; each
    // variant only runs where `Isa::best` found its instructions (the
    // scalar one took the branch above).
    unsafe {
        match isa {
            Isa::Scalar => x4_scalar(outs, src, offsets, rows, bias, clamp),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => x86::x4_grid(outs, src, offsets, rows, bias, clamp, grid),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => x86_512::x4_grid(outs, src, offsets, rows, bias, clamp, grid),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => neon::x4_grid(outs, src, offsets, rows, bias, clamp, grid),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => wasm::x4_grid(outs, src, offsets, rows, bias, clamp, grid),
        }
    }
}

/// Whether [`weighted_taps_x4_pool2`] runs on `isa` for `grid`: a pooled
/// row must fill a vector (the scalar loops keep the stored grid).
pub fn pools_in_registers(isa: Isa, grid: Grid) -> bool {
    isa != Isa::Scalar && fits_pool2(isa, grid)
}

fn fits_pool2(isa: Isa, grid: Grid) -> bool {
    grid.cols / 2 >= isa.lanes() && grid.pitch >= grid.cols
}

/// [`weighted_taps_x4_grid`] followed by a 2 × 2 max pool of stride 2,
/// without the grid ever being stored: `outs[j]` receives the pooled
/// `rows / 2 × cols / 2` plane of channel `j` (a last odd row or column is
/// dropped, as the pool's floor rounding does). The maximum of the clamped
/// sums equals the clamp of their maximum, so the order does not matter.
/// For a conv → ReLU → pool (TinyCNN's twice) this saves the grid's stores
/// and the pool's pass over it. Per TinyCNN inference: 0.109 → 0.094 ms on
/// AVX-512; in Chromium 0.482 → 0.420 ms. With 32 registers (AVX-512,
/// NEON) a block is two rows × two vectors; with 16 (AVX2, simd128) the
/// left vector's two rows, then the right one's (AVX2: TinyCNN's conv1
/// 48.7 → 38.4 µs with its pool).
///
/// Panics if a pooled row is shorter than a vector or the rows overlap, if
/// an output is shorter than its pooled plane, or if the reads leave `src`.
#[allow(clippy::too_many_arguments)]
pub fn weighted_taps_x4_pool2(
    isa: Isa,
    outs: [&mut [f32]; 4],
    src: &[f32],
    offsets: &[usize],
    rows: [&[f32]; 4],
    bias: [f32; 4],
    clamp: (f32, f32),
    grid: Grid,
) {
    assert!(fits_pool2(isa, grid), "pooled rows shorter than a vector");
    let pooled = (grid.rows / 2) * (grid.cols / 2);
    assert!(
        outs.iter().all(|o| o.len() >= pooled),
        "outputs shorter than the pooled plane"
    );
    let read = Grid {
        rows: grid.rows / 2 * 2,
        ..grid
    };
    check_four_channels(read.span(), src, offsets, &rows);
    // SAFETY: reads checked above (every block lies in the first `2 · oh`
    // rows' valid columns), writes inside each pooled plane; each variant
    // only runs where `Isa::best` found its instructions.
    unsafe {
        match isa {
            Isa::Scalar => x4_pool2_scalar(outs, src, offsets, rows, bias, clamp, grid),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => x86::x4_pool2(outs, src, offsets, rows, bias, clamp, grid),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => x86_512::x4_pool2(outs, src, offsets, rows, bias, clamp, grid),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => neon::x4_pool2(outs, src, offsets, rows, bias, clamp, grid),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => wasm::x4_pool2(outs, src, offsets, rows, bias, clamp, grid),
        }
    }
}

fn x4_pool2_scalar(
    outs: [&mut [f32]; 4],
    src: &[f32],
    offsets: &[usize],
    rows: [&[f32]; 4],
    bias: [f32; 4],
    clamp: (f32, f32),
    grid: Grid,
) {
    let ow = grid.cols / 2;
    for ((out, row), b) in outs.into_iter().zip(rows).zip(bias) {
        let sum = |i: usize| {
            let s: f32 = offsets
                .iter()
                .zip(row)
                .map(|(&off, &w)| w * src[off + i])
                .sum();
            (b + s).max(clamp.0).min(clamp.1)
        };
        for (py, pooled) in out.chunks_exact_mut(ow).take(grid.rows / 2).enumerate() {
            for (px, o) in pooled.iter_mut().enumerate() {
                let at = 2 * py * grid.pitch + 2 * px;
                *o = [at, at + 1, at + grid.pitch, at + grid.pitch + 1]
                    .map(sum)
                    .into_iter()
                    .fold(f32::NEG_INFINITY, f32::max);
            }
        }
    }
}

/// `out[j] = clamp(bias[j] + Σᵢ w[j · k + i] · x[i])` with `k = x.len()`:
/// rows of a fully connected layer (see `dense`), four weight rows per pass
/// over `x`.
///
/// Panics if `w` or `bias` is shorter than `out` needs.
pub fn dot_rows(isa: Isa, out: &mut [f32], x: &[f32], w: &[f32], bias: &[f32], clamp: (f32, f32)) {
    let (n, k) = (out.len(), x.len());
    assert!(
        w.len() >= n * k && bias.len() >= n,
        "{n} rows of {k} need {} weights and {n} biases, got {} and {}",
        n * k,
        w.len(),
        bias.len()
    );
    // SAFETY: lengths checked above; each variant only runs where
    // `Isa::best` found its instructions.
    unsafe {
        match isa {
            Isa::Scalar => dot_rows_scalar(out, x, w, bias, clamp),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => x86::dot_rows(out, x, w, bias, clamp),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => x86_512::dot_rows(out, x, w, bias, clamp),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => neon::dot_rows(out, x, w, bias, clamp),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => wasm::dot_rows(out, x, w, bias, clamp),
        }
    }
}

fn dot_rows_scalar(out: &mut [f32], x: &[f32], w: &[f32], bias: &[f32], clamp: (f32, f32)) {
    for (j, o) in out.iter_mut().enumerate() {
        let row = &w[j * x.len()..][..x.len()];
        let sum: f32 = row.iter().zip(x).map(|(a, b)| a * b).sum();
        *o = (bias[j] + sum).max(clamp.0).min(clamp.1);
    }
}

/// The checks the four-channel loops share: every weight row covers the
/// taps, and every tap's run of `n` values lies in `src`.
fn check_four_channels(n: usize, src: &[f32], offsets: &[usize], rows: &[&[f32]; 4]) {
    assert!(
        rows.iter().all(|r| r.len() >= offsets.len()),
        "a weight row is short"
    );
    check_bounds(n, src.len(), offsets.iter().copied());
}

fn x4_scalar(
    outs: [&mut [f32]; 4],
    src: &[f32],
    offsets: &[usize],
    rows: [&[f32]; 4],
    bias: [f32; 4],
    clamp: (f32, f32),
) {
    for ((out, row), b) in outs.into_iter().zip(rows).zip(bias) {
        out.fill(b);
        for (&off, &w) in offsets.iter().zip(row) {
            for (o, s) in out.iter_mut().zip(&src[off..]) {
                *o += w * s;
            }
        }
        for o in out.iter_mut() {
            *o = o.max(clamp.0).min(clamp.1);
        }
    }
}

/// Positions in one strip of [`pointwise_strips`]: two AVX2 vectors.
pub const STRIP: usize = 16;
/// Output channels one [`pointwise_strips`] call computes at most.
pub const STRIP_CHANNELS: usize = 6;

/// Whether [`pointwise_strip`] runs on `isa`. Only AVX2+FMA, the one
/// instruction set its speed was measured on (`scripts/bench-peer`);
/// elsewhere the 1×1 convolution keeps [`weighted_taps_x4`].
pub fn strips_pay(isa: Isa) -> bool {
    #[cfg(target_arch = "x86_64")]
    if isa == Isa::Avx2Fma {
        return true;
    }
    let _ = isa;
    false
}

/// A 1×1 convolution's outputs for up to [`STRIP_CHANNELS`] channels on
/// a block of positions: `outs[j][i] = clamp(bias[j] + Σ_c rows[j][c] ·
/// x_c[i])` for `i < outs[j].len()`, where the block's inputs `x_c` come
/// packed in strips of [`STRIP`] positions, each strip channel by channel
/// (`packed[(s · C_in + c) · STRIP + i]` = `x_c[s · STRIP + i]`, the last
/// strip padded), so a strip is read front to back. Each row holds one
/// output channel's weights (`[C_in]`, `C_in` = the rows' common length).
/// Twelve sums stay in registers: per input channel, two vector loads and
/// six broadcasts feed twelve multiply-adds with no spill (checked in the
/// disassembly), against the four-channel loop's eight sums, which read
/// the inputs from twelve thousand bytes apart.
///
/// # Panics
/// If `strips_pay(isa)` is false, `rows`, `outs` and `bias` differ in count
/// or exceed [`STRIP_CHANNELS`], the outputs differ in length, or `packed`
/// does not hold their strips.
pub fn pointwise_strips(
    isa: Isa,
    outs: &mut [&mut [f32]],
    packed: &[f32],
    rows: &[&[f32]],
    bias: &[f32],
    clamp: (f32, f32),
) {
    assert!(strips_pay(isa), "strips run on AVX2+FMA only");
    let n = rows.len();
    assert!(
        (1..=STRIP_CHANNELS).contains(&n) && outs.len() == n && bias.len() == n,
        "1 to {STRIP_CHANNELS} channels, each with its output and bias"
    );
    let (k, len) = (rows[0].len(), outs[0].len());
    assert!(
        rows.iter().all(|r| r.len() == k),
        "weight rows of different lengths"
    );
    assert!(
        outs.iter().all(|o| o.len() == len),
        "outputs of different lengths"
    );
    assert!(
        packed.len() >= len.div_ceil(STRIP) * k * STRIP,
        "the packed inputs are short"
    );
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `strips_pay` checked that this CPU has AVX2 and FMA; the
        // kernel reads `⌈len / STRIP⌉ · k · STRIP` values of `packed` and
        // `k` of each row, and writes `len` values of each output, all
        // checked above.
        unsafe {
            macro_rules! by_count {
                ($($r:literal)*) => {
                    match n {
                        $($r => x86::strips::<$r>(outs, packed.as_ptr(), k, rows, bias, clamp),)*
                        _ => unreachable!("checked above"),
                    }
                };
            }
            by_count!(1 2 3 4 5 6)
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (outs, packed, clamp);
}

/// Output channels in one [`pointwise_tile`], and the row length of its
/// packed weights.
pub const TILE_CHANNELS: usize = 32;
/// Positions in one [`pointwise_tile`].
pub const TILE_POSITIONS: usize = 8;

/// One tile of a pointwise (1×1) convolution: for the 32 output channels
/// of a packed weight panel and the first `width` of the 8 positions `cols`,
/// `tile[j · 32 + i] = bias[i] + Σ_c panel[c · 32 + i] · x[c · stride + cols[j]]`
/// over the `c_in` input channels, clamped to `clamp`. A position may
/// repeat (a partial tile repeats its last one, and the loops may compute a
/// few past `width` with it); the caller adds residuals (then clamps
/// itself) and stores.
///
/// Panics if `panel` is shorter than `c_in · 32` or a position reads past `x`.
#[allow(clippy::too_many_arguments)]
pub fn pointwise_tile(
    isa: Isa,
    tile: &mut [f32; TILE_CHANNELS * TILE_POSITIONS],
    panel: &[f32],
    x: &[f32],
    stride: usize,
    c_in: usize,
    cols: [usize; TILE_POSITIONS],
    width: usize,
    bias: &[f32; TILE_CHANNELS],
    clamp: (f32, f32),
) {
    assert!(
        panel.len() >= c_in * TILE_CHANNELS,
        "a panel of {} for {c_in} input channels",
        panel.len()
    );
    if c_in > 0 {
        let last_row = (c_in - 1) * stride;
        for col in cols {
            assert!(
                last_row + col < x.len(),
                "position {col} of {c_in} rows at stride {stride} reads past an input of {}",
                x.len()
            );
        }
    }
    // SAFETY: the panel and every row's read at every position were checked
    // above; each variant only runs where `Isa::best` found its instructions.
    unsafe {
        match isa {
            Isa::Scalar => tile_scalar(tile, panel, x, stride, c_in, cols, width, bias, clamp),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => x86::tile(tile, panel, x, stride, c_in, cols, width, bias, clamp),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => x86_512::tile(tile, panel, x, stride, c_in, cols, width, bias, clamp),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => neon::tile(tile, panel, x, stride, c_in, cols, width, bias, clamp),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => wasm::tile(tile, panel, x, stride, c_in, cols, width, bias, clamp),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn tile_scalar(
    tile: &mut [f32; TILE_CHANNELS * TILE_POSITIONS],
    panel: &[f32],
    x: &[f32],
    stride: usize,
    c_in: usize,
    cols: [usize; TILE_POSITIONS],
    width: usize,
    bias: &[f32; TILE_CHANNELS],
    clamp: (f32, f32),
) {
    for (j, out) in tile.chunks_exact_mut(TILE_CHANNELS).enumerate().take(width) {
        out.copy_from_slice(bias);
        for (c, w) in panel.chunks_exact(TILE_CHANNELS).take(c_in).enumerate() {
            let v = x[c * stride + cols[j]];
            for (o, w) in out.iter_mut().zip(w) {
                *o += w * v;
            }
        }
        for o in out.iter_mut() {
            *o = o.max(clamp.0).min(clamp.1);
        }
    }
}

/// `dst[i] = src[2 · i]` for every `i < dst.len()`: the stride-2 column
/// split of a phase-plane scatter.
///
/// Panics if `src` is too short.
pub fn take_every_second(isa: Isa, dst: &mut [f32], src: &[f32]) {
    let n = dst.len();
    if n == 0 {
        return;
    }
    assert!(
        2 * (n - 1) < src.len(),
        "{n} values at stride 2 need {} inputs, got {}",
        2 * n - 1,
        src.len()
    );
    // SAFETY: reads stay below src.len(), checked above and per block below.
    unsafe {
        match isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => x86::every_second(dst, src),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => x86_512::every_second(dst, src),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => neon::every_second(dst, src),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => wasm::every_second(dst, src),
            _ => every_second_scalar(dst, src, 0),
        }
    }
}

/// Rows of a stride-2 copy ([`take_every_second_rows`]): row `r` writes
/// `n` values from `dst_start + r · dst_stride`, taken from every second
/// value from `src_start + r · src_stride`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StridedRows {
    pub dst_start: usize,
    pub dst_stride: usize,
    pub src_start: usize,
    pub src_stride: usize,
    pub count: usize,
    pub n: usize,
}

impl StridedRows {
    /// Where row `r` starts in the destination and in the source.
    fn row(&self, r: usize) -> (usize, usize) {
        (
            self.dst_start + r * self.dst_stride,
            self.src_start + r * self.src_stride,
        )
    }
}

/// [`take_every_second`] for `rows.count` rows in one call: a phase plane
/// of a stride-2 window op takes every second row's every second column.
/// One call per phase plane rather than per row and phase: for
/// MobileNetV2's stride-2 depthwise layers the calls cost more than the
/// copying.
///
/// Panics if a row would write past `dst` or read past `src`.
pub fn take_every_second_rows(isa: Isa, dst: &mut [f32], src: &[f32], rows: StridedRows) {
    if rows.count == 0 || rows.n == 0 {
        return;
    }
    let last = rows.count - 1;
    assert!(
        rows.dst_stride >= rows.n
            && rows.dst_start + last * rows.dst_stride + rows.n <= dst.len()
            && rows.src_start + last * rows.src_stride + 2 * (rows.n - 1) < src.len(),
        "{rows:?} does not fit a destination of {} and a source of {}",
        dst.len(),
        src.len()
    );
    // SAFETY: every row is a checked slice; each variant only runs where
    // `Isa::best` found its instructions.
    unsafe {
        match isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => x86::every_second_rows(dst, src, rows),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => x86_512::every_second_rows(dst, src, rows),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => neon::every_second_rows(dst, src, rows),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => wasm::every_second_rows(dst, src, rows),
            _ => {
                for r in 0..rows.count {
                    let (d, s) = rows.row(r);
                    every_second_scalar(&mut dst[d..][..rows.n], &src[s..], 0);
                }
            }
        }
    }
}

/// Copies rows between pitches: row `r`'s `n` values from
/// `src_start + r · src_stride` to `dst_start + r · dst_stride` (the
/// contiguous case of [`StridedRows`]). The rows of a depthwise layer's
/// planes are 4 to 64 values; a `memcpy` call per row had taken 7 % of
/// MobileNetV2's time.
///
/// Panics if a row would write past `dst` or read past `src`.
pub fn copy_rows(isa: Isa, dst: &mut [f32], src: &[f32], rows: StridedRows) {
    if rows.count == 0 || rows.n == 0 {
        return;
    }
    let last = rows.count - 1;
    assert!(
        rows.dst_start + last * rows.dst_stride + rows.n <= dst.len()
            && rows.src_start + last * rows.src_stride + rows.n <= src.len(),
        "{rows:?} does not fit a destination of {} and a source of {}",
        dst.len(),
        src.len()
    );
    // SAFETY: every row was checked above; each variant only runs where
    // `Isa::best` found its instructions.
    unsafe {
        match isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma | Isa::Avx512 => x86::copy_rows(dst, src, rows),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => neon::copy_rows(dst, src, rows),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => wasm::copy_rows(dst, src, rows),
            _ => {
                for r in 0..rows.count {
                    let (d, s) = rows.row(r);
                    dst[d..][..rows.n].copy_from_slice(&src[s..][..rows.n]);
                }
            }
        }
    }
}

/// `dst[j · dst_stride + i] = src[i · src_stride + j]` for `i < rows`,
/// `j < cols`: a plane transposed, in 4 × 4 blocks of vector shuffles and
/// value by value at the edges. The depthwise kernel's small planes go
/// channel-last and back this way; value by value, the two transposes had
/// taken more time than the convolution between them.
///
/// Panics if a row would read past `src` or a column write past `dst`.
pub fn transpose(
    isa: Isa,
    dst: &mut [f32],
    dst_stride: usize,
    src: &[f32],
    src_stride: usize,
    rows: usize,
    cols: usize,
) {
    if rows == 0 || cols == 0 {
        return;
    }
    assert!(
        (rows - 1) * src_stride + cols <= src.len()
            && (cols - 1) * dst_stride + rows <= dst.len()
            && src_stride >= cols
            && dst_stride >= rows,
        "a {rows} × {cols} transpose does not fit {} (stride {src_stride}) into {} (stride {dst_stride})",
        src.len(),
        dst.len()
    );
    let (r4, c4) = (rows / 4 * 4, cols / 4 * 4);
    // SAFETY: every block lies inside the checked extents; each variant
    // only runs where `Isa::best` found its instructions.
    let blocked = unsafe {
        match isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma | Isa::Avx512 => {
                x86::transpose_blocks(dst, dst_stride, src, src_stride, r4, c4);
                true
            }
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => {
                neon::transpose_blocks(dst, dst_stride, src, src_stride, r4, c4);
                true
            }
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => {
                wasm::transpose_blocks(dst, dst_stride, src, src_stride, r4, c4);
                true
            }
            _ => false,
        }
    };
    let (r4, c4) = if blocked { (r4, c4) } else { (0, 0) };
    for i in 0..rows {
        let from = if i < r4 { c4 } else { 0 };
        for j in from..cols {
            dst[j * dst_stride + i] = src[i * src_stride + j];
        }
    }
}

/// Generates a variant's `transpose_blocks` (the whole 4 × 4 blocks of a
/// [`transpose`]) over its own `transpose4`, inlined.
macro_rules! transpose_blocks {
    ($(#[$attr:meta])*) => {
        $(#[$attr])*
        pub unsafe fn transpose_blocks(
            dst: &mut [f32],
            ds: usize,
            src: &[f32],
            ss: usize,
            r4: usize,
            c4: usize,
        ) {
            let (d, s) = (dst.as_mut_ptr(), src.as_ptr());
            for i in (0..r4).step_by(4) {
                for j in (0..c4).step_by(4) {
                    transpose4(d.add(j * ds + i), ds, s.add(i * ss + j), ss);
                }
            }
        }
    };
}

/// Generates a variant's `copy_rows`: whole vectors, the last of a row
/// overlapping the one before; rows shorter than a vector value by value.
macro_rules! copy_rows {
    ($(#[$attr:meta])* lanes: $lanes:expr, load: $load:expr, store: $store:expr,) => {
        $(#[$attr])*
        pub unsafe fn copy_rows(dst: &mut [f32], src: &[f32], rows: super::StridedRows) {
            const L: usize = $lanes;
            let (d0, s0, n) = (dst.as_mut_ptr(), src.as_ptr(), rows.n);
            for r in 0..rows.count {
                let (d, s) = rows.row(r);
                let (d, s) = (d0.add(d), s0.add(s));
                if n >= L {
                    let mut i = 0;
                    while i < n {
                        let at = i.min(n - L);
                        $store(d.add(at), $load(s.add(at)));
                        i = at + L;
                    }
                } else {
                    for i in 0..n {
                        *d.add(i) = *s.add(i);
                    }
                }
            }
        }
    };
}

/// Generates a variant's `every_second_rows` over its own `every_second`,
/// compiled with the same features so that the row loop inlines it.
macro_rules! every_second_rows {
    ($(#[$attr:meta])*) => {
        $(#[$attr])*
        pub unsafe fn every_second_rows(dst: &mut [f32], src: &[f32], rows: super::StridedRows) {
            for r in 0..rows.count {
                let (d, s) = rows.row(r);
                every_second(&mut dst[d..][..rows.n], &src[s..]);
            }
        }
    };
}

fn every_second_scalar(dst: &mut [f32], src: &[f32], from: usize) {
    for (d, s) in dst[from..]
        .iter_mut()
        .zip(src[2 * from..].iter().step_by(2))
    {
        *d = *s;
    }
}

fn weighted_scalar(out: &mut [f32], src: &[f32], taps: &[Tap], bias: f32, lo: f32, hi: f32) {
    out.fill(bias);
    for t in taps {
        for (o, s) in out.iter_mut().zip(&src[t.offset..]) {
            *o += t.weight * s;
        }
    }
    for o in out.iter_mut() {
        *o = o.max(lo).min(hi);
    }
}

fn max_scalar(out: &mut [f32], src: &[f32], offsets: &[usize], lo: f32) {
    out.fill(lo);
    for &off in offsets {
        for (o, s) in out.iter_mut().zip(&src[off..]) {
            *o = o.max(*s);
        }
    }
}

/// Generates the blocked loop shared by the SIMD variants: four vectors at a
/// time (independent accumulators hide the add latency), then one vector,
/// then a scalar tail.
macro_rules! simd_loops {
    (
        $(#[$attr:meta])*
        lanes: $lanes:expr,
        x4_vectors: $x4v:expr,
        tile_positions: ($nrb:expr, $nrs:expr),
        vector: $vector:ty,
        pair_max: $pair_max:expr,
        splat: $splat:expr,
        load: $load:expr,
        store: $store:expr,
        fma: $fma:expr,
        max: $max:expr,
        min: $min:expr,
    ) => {
        $(#[$attr])*
        pub unsafe fn weighted(
            out: &mut [f32],
            src: &[f32],
            taps: &[super::Tap],
            bias: f32,
            lo: f32,
            hi: f32,
        ) {
            const L: usize = $lanes;
            let n = out.len();
            let s = src.as_ptr();
            let o = out.as_mut_ptr();
            let (vb, vlo, vhi) = ($splat(bias), $splat(lo), $splat(hi));
            let mut i = 0;
            while i + 4 * L <= n {
                let (mut a0, mut a1, mut a2, mut a3) = (vb, vb, vb, vb);
                for t in taps {
                    let w = $splat(t.weight);
                    let p = s.add(t.offset + i);
                    a0 = $fma(a0, w, $load(p));
                    a1 = $fma(a1, w, $load(p.add(L)));
                    a2 = $fma(a2, w, $load(p.add(2 * L)));
                    a3 = $fma(a3, w, $load(p.add(3 * L)));
                }
                $store(o.add(i), $min($max(a0, vlo), vhi));
                $store(o.add(i + L), $min($max(a1, vlo), vhi));
                $store(o.add(i + 2 * L), $min($max(a2, vlo), vhi));
                $store(o.add(i + 3 * L), $min($max(a3, vlo), vhi));
                i += 4 * L;
            }
            // One vector at a time; the last one may overlap the one before
            // (recomputing the same values) rather than leave a scalar tail.
            while i < n && n >= L {
                let at = i.min(n - L);
                let mut a = vb;
                for t in taps {
                    a = $fma(a, $splat(t.weight), $load(s.add(t.offset + at)));
                }
                $store(o.add(at), $min($max(a, vlo), vhi));
                i = at + L;
            }
            while i < n {
                let mut a = bias;
                for t in taps {
                    a += t.weight * *s.add(t.offset + i);
                }
                *o.add(i) = a.max(lo).min(hi);
                i += 1;
            }
        }

        /// Four channels × `V` vectors at the positions `at`, clamped.
        $(#[$attr])*
        #[inline]
        unsafe fn x4_sums<const V: usize>(
            s: *const f32,
            offsets: &[usize],
            w: &[*const f32; 4],
            bias: &[f32; 4],
            clamp: (f32, f32),
            at: &[usize; V],
        ) -> [[$vector; V]; 4] {
            let mut a: [[_; V]; 4] = std::array::from_fn(|j| [$splat(bias[j]); V]);
            for (t, off) in offsets.iter().enumerate() {
                let p = s.add(*off);
                let x: [_; V] = std::array::from_fn(|v| $load(p.add(at[v])));
                for (j, aj) in a.iter_mut().enumerate() {
                    let wj = $splat(*w[j].add(t));
                    for (acc, xv) in aj.iter_mut().zip(x) {
                        *acc = $fma(*acc, wj, xv);
                    }
                }
            }
            let (vlo, vhi) = ($splat(clamp.0), $splat(clamp.1));
            a.map(|aj| aj.map(|acc| $min($max(acc, vlo), vhi)))
        }

        /// [`x4_sums`] stored at the same positions of the four outputs.
        $(#[$attr])*
        #[inline]
        unsafe fn x4_block<const V: usize>(
            o: &[*mut f32; 4],
            s: *const f32,
            offsets: &[usize],
            w: &[*const f32; 4],
            bias: &[f32; 4],
            clamp: (f32, f32),
            at: &[usize; V],
        ) {
            let a = x4_sums::<V>(s, offsets, w, bias, clamp, at);
            for (j, aj) in a.into_iter().enumerate() {
                for (v, acc) in aj.into_iter().enumerate() {
                    $store(o[j].add(at[v]), acc);
                }
            }
        }

        /// Four channels at one vector of positions in two rows (`top`
        /// and `bottom`), clamped, and the larger of the two rows per
        /// channel. The sums are named variables, not arrays: WebAssembly,
        /// built for size, keeps arrays of sums in memory.
        $(#[$attr])*
        #[inline]
        #[allow(clippy::too_many_arguments)]
        unsafe fn x4_two_rows(
            s: *const f32,
            offsets: &[usize],
            w: &[*const f32; 4],
            bias: &[f32; 4],
            clamp: (f32, f32),
            top: usize,
            bottom: usize,
        ) -> [$vector; 4] {
            let (v0, v1, v2, v3) = ($splat(bias[0]), $splat(bias[1]), $splat(bias[2]), $splat(bias[3]));
            let (mut a0, mut a1, mut a2, mut a3) = (v0, v1, v2, v3);
            let (mut b0, mut b1, mut b2, mut b3) = (v0, v1, v2, v3);
            for (t, off) in offsets.iter().enumerate() {
                let p = s.add(*off);
                let (x0, x1) = ($load(p.add(top)), $load(p.add(bottom)));
                let w0 = $splat(*w[0].add(t));
                a0 = $fma(a0, w0, x0);
                b0 = $fma(b0, w0, x1);
                let w1 = $splat(*w[1].add(t));
                a1 = $fma(a1, w1, x0);
                b1 = $fma(b1, w1, x1);
                let w2 = $splat(*w[2].add(t));
                a2 = $fma(a2, w2, x0);
                b2 = $fma(b2, w2, x1);
                let w3 = $splat(*w[3].add(t));
                a3 = $fma(a3, w3, x0);
                b3 = $fma(b3, w3, x1);
            }
            let (vlo, vhi) = ($splat(clamp.0), $splat(clamp.1));
            [
                $min($max($max(a0, b0), vlo), vhi),
                $min($max($max(a1, b1), vlo), vhi),
                $min($max($max(a2, b2), vlo), vhi),
                $min($max($max(a3, b3), vlo), vhi),
            ]
        }

        /// [`super::weighted_taps_x4_pool2`]: each block is two rows × two
        /// vectors of the grid, reduced in registers to one vector of
        /// pooled values per channel (the rows' maximum, then each
        /// adjacent pair's); a row's last block may overlap the one before.
        /// With 32 registers the block's 16 sums at once; with 16, the left
        /// vector's 8 and then the right one's.
        $(#[$attr])*
        pub unsafe fn x4_pool2(
            outs: [&mut [f32]; 4],
            src: &[f32],
            offsets: &[usize],
            rows: [&[f32]; 4],
            bias: [f32; 4],
            clamp: (f32, f32),
            grid: super::Grid,
        ) {
            const L: usize = $lanes;
            let (oh, ow) = (grid.rows / 2, grid.cols / 2);
            let o = outs.map(|out| out.as_mut_ptr());
            let w = rows.map(|r| r.as_ptr());
            let s = src.as_ptr();
            for py in 0..oh {
                let (top, bottom) = (2 * py * grid.pitch, (2 * py + 1) * grid.pitch);
                let mut c = 0;
                while c < ow {
                    let pc = c.min(ow - L);
                    let x = 2 * pc;
                    if $x4v >= 4 {
                        let at = [top + x, top + x + L, bottom + x, bottom + x + L];
                        let a = x4_sums::<4>(s, offsets, &w, &bias, clamp, &at);
                        for (j, aj) in a.into_iter().enumerate() {
                            let pooled = $pair_max($max(aj[0], aj[2]), $max(aj[1], aj[3]));
                            $store(o[j].add(py * ow + pc), pooled);
                        }
                    } else {
                        // With 16 registers: the left vector's column
                        // maxima held while the right one's eight sums run.
                        let left = x4_two_rows(s, offsets, &w, &bias, clamp, top + x, bottom + x);
                        let right = x4_two_rows(s, offsets, &w, &bias, clamp, top + x + L, bottom + x + L);
                        for (j, (l, r)) in left.into_iter().zip(right).enumerate() {
                            $store(o[j].add(py * ow + pc), $pair_max(l, r));
                        }
                    }
                    c = pc + L;
                }
            }
        }

        /// [`super::weighted_taps_x4_grid`] (rows of at least `L` values).
        $(#[$attr])*
        pub unsafe fn x4_grid(
            outs: [&mut [f32]; 4],
            src: &[f32],
            offsets: &[usize],
            rows: [&[f32]; 4],
            bias: [f32; 4],
            clamp: (f32, f32),
            grid: super::Grid,
        ) {
            const L: usize = $lanes;
            const V: usize = $x4v;
            let o = outs.map(|out| out.as_mut_ptr());
            let w = rows.map(|r| r.as_ptr());
            let s = src.as_ptr();
            let (mut at, mut k) = ([0usize; V], 0);
            for r in 0..grid.rows {
                let mut c = 0;
                while c < grid.cols {
                    let col = c.min(grid.cols - L);
                    at[k] = r * grid.pitch + col;
                    k += 1;
                    if k == V {
                        x4_block::<V>(&o, s, offsets, &w, &bias, clamp, &at);
                        k = 0;
                    }
                    c = col + L;
                }
            }
            for &p in &at[..k] {
                x4_block::<1>(&o, s, offsets, &w, &bias, clamp, &[p]);
            }
        }

        /// [`super::dot_rows`]: four rows at a time with two vectors of
        /// sums each (one row with four at the end), summed across lanes
        /// once per row; the last values of a row that fill no vector one
        /// by one.
        $(#[$attr])*
        pub unsafe fn dot_rows(out: &mut [f32], x: &[f32], w: &[f32], bias: &[f32], clamp: (f32, f32)) {
            const L: usize = $lanes;
            let (n, k) = (out.len(), x.len());
            let (xp, wp) = (x.as_ptr(), w.as_ptr());
            let kv = k / L * L;
            let across = |v| {
                let mut lanes = [0f32; L];
                $store(lanes.as_mut_ptr(), v);
                lanes.iter().sum::<f32>()
            };
            let tail = |j: usize| (kv..k).map(|i| *wp.add(j * k + i) * *xp.add(i)).sum::<f32>();
            let mut j = 0;
            while j + 4 <= n {
                let mut a = [[$splat(0.0); 2]; 4];
                let mut i = 0;
                while i + 2 * L <= kv {
                    let (x0, x1) = ($load(xp.add(i)), $load(xp.add(i + L)));
                    for (r, ar) in a.iter_mut().enumerate() {
                        let row = wp.add((j + r) * k + i);
                        ar[0] = $fma(ar[0], $load(row), x0);
                        ar[1] = $fma(ar[1], $load(row.add(L)), x1);
                    }
                    i += 2 * L;
                }
                if i < kv {
                    let x0 = $load(xp.add(i));
                    for (r, ar) in a.iter_mut().enumerate() {
                        ar[0] = $fma(ar[0], $load(wp.add((j + r) * k + i)), x0);
                    }
                }
                for (r, ar) in a.into_iter().enumerate() {
                    let sum = across(ar[0]) + across(ar[1]) + tail(j + r);
                    out[j + r] = (bias[j + r] + sum).max(clamp.0).min(clamp.1);
                }
                j += 4;
            }
            while j < n {
                let mut a = [$splat(0.0); 4];
                let mut i = 0;
                while i + 4 * L <= kv {
                    for (v, av) in a.iter_mut().enumerate() {
                        *av = $fma(*av, $load(wp.add(j * k + i + v * L)), $load(xp.add(i + v * L)));
                    }
                    i += 4 * L;
                }
                while i < kv {
                    a[0] = $fma(a[0], $load(wp.add(j * k + i)), $load(xp.add(i)));
                    i += L;
                }
                let sum = a.into_iter().map(across).sum::<f32>() + tail(j);
                out[j] = (bias[j] + sum).max(clamp.0).min(clamp.1);
                j += 1;
            }
        }

        $(#[$attr])*
        pub unsafe fn x4(
            outs: [&mut [f32]; 4],
            src: &[f32],
            offsets: &[usize],
            rows: [&[f32]; 4],
            bias: [f32; 4],
            clamp: (f32, f32),
        ) {
            const L: usize = $lanes;
            let n = outs[0].len();
            let s = src.as_ptr();
            let o = [outs[0].as_mut_ptr(), outs[1].as_mut_ptr(), outs[2].as_mut_ptr(), outs[3].as_mut_ptr()];
            let w = [rows[0].as_ptr(), rows[1].as_ptr(), rows[2].as_ptr(), rows[3].as_ptr()];
            let (vlo, vhi) = ($splat(clamp.0), $splat(clamp.1));
            let vb = [$splat(bias[0]), $splat(bias[1]), $splat(bias[2]), $splat(bias[3])];
            let mut i = 0;
            // With 32 registers: four vectors per channel, 16 sums in
            // flight and 8 loads per 16 multiply-adds (half the loads per
            // multiply-add of the two-vector loop below, and twice the
            // latency hidden).
            if $x4v >= 4 {
                while i + 4 * L <= n {
                    let mut a = [[vb[0]; 4], [vb[1]; 4], [vb[2]; 4], [vb[3]; 4]];
                    for (t, off) in offsets.iter().enumerate() {
                        let p = s.add(off + i);
                        let x = [$load(p), $load(p.add(L)), $load(p.add(2 * L)), $load(p.add(3 * L))];
                        for (j, aj) in a.iter_mut().enumerate() {
                            let wj = $splat(*w[j].add(t));
                            for (acc, xv) in aj.iter_mut().zip(x) {
                                *acc = $fma(*acc, wj, xv);
                            }
                        }
                    }
                    for (j, aj) in a.into_iter().enumerate() {
                        for (v, acc) in aj.into_iter().enumerate() {
                            $store(o[j].add(i + v * L), $min($max(acc, vlo), vhi));
                        }
                    }
                    i += 4 * L;
                }
            }
            while i + 2 * L <= n {
                let (mut a0, mut a1, mut a2, mut a3) = (vb[0], vb[1], vb[2], vb[3]);
                let (mut b0, mut b1, mut b2, mut b3) = (vb[0], vb[1], vb[2], vb[3]);
                for (t, off) in offsets.iter().enumerate() {
                    let p = s.add(off + i);
                    let (x0, x1) = ($load(p), $load(p.add(L)));
                    let (w0, w1, w2, w3) =
                        ($splat(*w[0].add(t)), $splat(*w[1].add(t)), $splat(*w[2].add(t)), $splat(*w[3].add(t)));
                    a0 = $fma(a0, w0, x0);
                    b0 = $fma(b0, w0, x1);
                    a1 = $fma(a1, w1, x0);
                    b1 = $fma(b1, w1, x1);
                    a2 = $fma(a2, w2, x0);
                    b2 = $fma(b2, w2, x1);
                    a3 = $fma(a3, w3, x0);
                    b3 = $fma(b3, w3, x1);
                }
                for (j, (a, b)) in [(a0, b0), (a1, b1), (a2, b2), (a3, b3)].into_iter().enumerate() {
                    $store(o[j].add(i), $min($max(a, vlo), vhi));
                    $store(o[j].add(i + L), $min($max(b, vlo), vhi));
                }
                i += 2 * L;
            }
            // One vector per channel; the last one may overlap the one before
            // (recomputing the same values) rather than leave a scalar tail,
            // which on a 7×7 plane was a third of the work.
            while i < n && n >= L {
                let at = i.min(n - L);
                let (mut a0, mut a1, mut a2, mut a3) = (vb[0], vb[1], vb[2], vb[3]);
                for (t, off) in offsets.iter().enumerate() {
                    let x0 = $load(s.add(off + at));
                    a0 = $fma(a0, $splat(*w[0].add(t)), x0);
                    a1 = $fma(a1, $splat(*w[1].add(t)), x0);
                    a2 = $fma(a2, $splat(*w[2].add(t)), x0);
                    a3 = $fma(a3, $splat(*w[3].add(t)), x0);
                }
                for (j, a) in [a0, a1, a2, a3].into_iter().enumerate() {
                    $store(o[j].add(at), $min($max(a, vlo), vhi));
                }
                i = at + L;
            }
            while i < n {
                // The tail of a row shorter than a vector, one value of each
                // channel at a time.
                for j in 0..4 {
                    let mut a = bias[j];
                    for (t, off) in offsets.iter().enumerate() {
                        a += *w[j].add(t) * *s.add(off + i);
                    }
                    *o[j].add(i) = a.max(clamp.0).min(clamp.1);
                }
                i += 1;
            }
        }

        $(#[$attr])*
        pub unsafe fn rows(
            out: &mut [f32],
            xs: &[f32],
            ws: &[f32],
            rows: &[(usize, usize)],
            bias: &[f32],
            lo: f32,
            hi: f32,
        ) {
            const L: usize = $lanes;
            let n = out.len();
            let (x, w, b, o) = (xs.as_ptr(), ws.as_ptr(), bias.as_ptr(), out.as_mut_ptr());
            let (vlo, vhi) = ($splat(lo), $splat(hi));
            let mut i = 0;
            while i + 2 * L <= n {
                let (mut a0, mut a1) = ($load(b.add(i)), $load(b.add(i + L)));
                for &(xr, wr) in rows {
                    let (px, pw) = (x.add(xr + i), w.add(wr + i));
                    a0 = $fma(a0, $load(pw), $load(px));
                    a1 = $fma(a1, $load(pw.add(L)), $load(px.add(L)));
                }
                $store(o.add(i), $min($max(a0, vlo), vhi));
                $store(o.add(i + L), $min($max(a1, vlo), vhi));
                i += 2 * L;
            }
            while i + L <= n {
                let mut a = $load(b.add(i));
                for &(xr, wr) in rows {
                    a = $fma(a, $load(w.add(wr + i)), $load(x.add(xr + i)));
                }
                $store(o.add(i), $min($max(a, vlo), vhi));
                i += L;
            }
            while i < n {
                let mut a = *b.add(i);
                for &(xr, wr) in rows {
                    a += *w.add(wr + i) * *x.add(xr + i);
                }
                *o.add(i) = a.max(lo).min(hi);
                i += 1;
            }
        }

        /// `NR` positions from `j0` of a [`tile`](self::tile), in registers.
        $(#[$attr])*
        #[inline]
        #[allow(clippy::too_many_arguments)]
        unsafe fn tile_block<const NR: usize>(
            tile: *mut f32,
            panel: *const f32,
            x: *const f32,
            stride: usize,
            c_in: usize,
            cols: &[usize; super::TILE_POSITIONS],
            j0: usize,
            bias: *const f32,
            clamp: (f32, f32),
        ) {
            const L: usize = $lanes;
            const V: usize = super::TILE_CHANNELS / L;
            let (vlo, vhi) = ($splat(clamp.0), $splat(clamp.1));
            let mut acc = [[$splat(0.0); V]; NR];
            for a in acc.iter_mut() {
                for (v, a) in a.iter_mut().enumerate() {
                    *a = $load(bias.add(v * L));
                }
            }
            for c in 0..c_in {
                let w = panel.add(c * super::TILE_CHANNELS);
                let mut wv = [$splat(0.0); V];
                for (v, wv) in wv.iter_mut().enumerate() {
                    *wv = $load(w.add(v * L));
                }
                let row = x.add(c * stride);
                for (j, a) in acc.iter_mut().enumerate() {
                    let xs = $splat(*row.add(cols[j0 + j]));
                    for (a, w) in a.iter_mut().zip(wv) {
                        *a = $fma(*a, w, xs);
                    }
                }
            }
            for (j, a) in acc.iter().enumerate() {
                for (v, a) in a.iter().enumerate() {
                    $store(tile.add((j0 + j) * super::TILE_CHANNELS + v * L), $min($max(*a, vlo), vhi));
                }
            }
        }

        /// [`super::pointwise_tile`]: the 32 channels as `32 / L` vectors,
        /// `NR` positions per pass (as many as the registers hold), so each
        /// weight vector loaded feeds `NR` multiply-adds and each input
        /// value loaded feeds `32 / L`. A pass keeps `32 / L · NR` sums in
        /// registers: eight or more, so that the multiply-adds' latency (4
        /// cycles, two units) does not hold the loop back. Where `NR` is
        /// wide, a tile of few positions takes the narrow pass instead.
        $(#[$attr])*
        #[allow(clippy::too_many_arguments)]
        pub unsafe fn tile(
            tile: &mut [f32; super::TILE_CHANNELS * super::TILE_POSITIONS],
            panel: &[f32],
            x: &[f32],
            stride: usize,
            c_in: usize,
            cols: [usize; super::TILE_POSITIONS],
            width: usize,
            bias: &[f32; super::TILE_CHANNELS],
            clamp: (f32, f32),
        ) {
            let (tile, panel, x, bias) = (tile.as_mut_ptr(), panel.as_ptr(), x.as_ptr(), bias.as_ptr());
            const WIDE: usize = $nrb;
            const NARROW: usize = $nrs;
            let mut j0 = 0;
            while j0 < width.min(super::TILE_POSITIONS) {
                if width - j0 > NARROW && j0 + WIDE <= super::TILE_POSITIONS {
                    tile_block::<WIDE>(tile, panel, x, stride, c_in, &cols, j0, bias, clamp);
                    j0 += WIDE;
                } else {
                    tile_block::<NARROW>(tile, panel, x, stride, c_in, &cols, j0, bias, clamp);
                    j0 += NARROW;
                }
            }
        }

        $(#[$attr])*
        pub unsafe fn max(out: &mut [f32], src: &[f32], offsets: &[usize], lo: f32) {
            const L: usize = $lanes;
            let n = out.len();
            let s = src.as_ptr();
            let o = out.as_mut_ptr();
            let vlo = $splat(lo);
            let mut i = 0;
            while i + 4 * L <= n {
                let (mut a0, mut a1, mut a2, mut a3) = (vlo, vlo, vlo, vlo);
                for off in offsets {
                    let p = s.add(off + i);
                    a0 = $max(a0, $load(p));
                    a1 = $max(a1, $load(p.add(L)));
                    a2 = $max(a2, $load(p.add(2 * L)));
                    a3 = $max(a3, $load(p.add(3 * L)));
                }
                $store(o.add(i), a0);
                $store(o.add(i + L), a1);
                $store(o.add(i + 2 * L), a2);
                $store(o.add(i + 3 * L), a3);
                i += 4 * L;
            }
            // One vector at a time; the last one may overlap the one before
            // rather than leave a scalar tail (a pooled row of 31 or 63
            // values had left 15, a fifth of TinyCNN's time).
            while i < n && n >= L {
                let at = i.min(n - L);
                let mut a = vlo;
                for off in offsets {
                    a = $max(a, $load(s.add(off + at)));
                }
                $store(o.add(at), a);
                i = at + L;
            }
            while i < n {
                let mut a = lo;
                for off in offsets {
                    a = a.max(*s.add(off + i));
                }
                *o.add(i) = a;
                i += 1;
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn fma(acc: __m256, w: __m256, x: __m256) -> __m256 {
        _mm256_fmadd_ps(w, x, acc)
    }

    /// Eight even-indexed values per step: two loads, one shuffle, one
    /// cross-lane permute.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn every_second(dst: &mut [f32], src: &[f32]) {
        let (n, s, d) = (dst.len(), src.as_ptr(), dst.as_mut_ptr());
        let mut i = 0;
        // The last vector may overlap the one before, when the source
        // reaches that far (a pooled row of `2n` values does).
        while i < n && n >= 8 {
            i = i.min(n - 8);
            if 2 * i + 16 > src.len() {
                break;
            }
            let a = _mm256_loadu_ps(s.add(2 * i));
            let b = _mm256_loadu_ps(s.add(2 * i + 8));
            let t = _mm256_shuffle_ps::<0b10_00_10_00>(a, b);
            let r = _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(t)));
            _mm256_storeu_ps(d.add(i), r);
            i += 8;
        }
        super::every_second_scalar(dst, src, i);
    }

    every_second_rows! { #[target_feature(enable = "avx2,fma")] }

    /// The larger of each adjacent pair of the 16 values `a ‖ b`, in order:
    /// the evens against the odds, then the 128-bit halves back in order.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn pair_max(a: __m256, b: __m256) -> __m256 {
        let even = _mm256_shuffle_ps::<0b10_00_10_00>(a, b);
        let odd = _mm256_shuffle_ps::<0b11_01_11_01>(a, b);
        let m = _mm256_max_ps(even, odd);
        _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(m)))
    }

    /// One 4 × 4 block: rows `a b c d` in, columns out.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn transpose4(d: *mut f32, ds: usize, s: *const f32, ss: usize) {
        let (a, b) = (_mm_loadu_ps(s), _mm_loadu_ps(s.add(ss)));
        let (c, e) = (_mm_loadu_ps(s.add(2 * ss)), _mm_loadu_ps(s.add(3 * ss)));
        let (ab_lo, ce_lo) = (_mm_unpacklo_ps(a, b), _mm_unpacklo_ps(c, e));
        let (ab_hi, ce_hi) = (_mm_unpackhi_ps(a, b), _mm_unpackhi_ps(c, e));
        _mm_storeu_ps(d, _mm_movelh_ps(ab_lo, ce_lo));
        _mm_storeu_ps(d.add(ds), _mm_movehl_ps(ce_lo, ab_lo));
        _mm_storeu_ps(d.add(2 * ds), _mm_movelh_ps(ab_hi, ce_hi));
        _mm_storeu_ps(d.add(3 * ds), _mm_movehl_ps(ce_hi, ab_hi));
    }

    transpose_blocks! { #[target_feature(enable = "avx2,fma")] }

    copy_rows! {
        #[target_feature(enable = "avx2,fma")]
        lanes: 8,
        load: _mm256_loadu_ps,
        store: _mm256_storeu_ps,
    }

    /// [`super::pointwise_strips`] for `R` channels: `R × 2` sums.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn strips<const R: usize>(
        outs: &mut [&mut [f32]],
        packed: *const f32,
        k: usize,
        rows: &[&[f32]],
        bias: &[f32],
        clamp: (f32, f32),
    ) {
        let w: [*const f32; R] = std::array::from_fn(|j| rows[j].as_ptr());
        let o: [*mut f32; R] = std::array::from_fn(|j| outs[j].as_mut_ptr());
        let len = outs[0].len();
        let (lo, hi) = (_mm256_set1_ps(clamp.0), _mm256_set1_ps(clamp.1));
        let mut i = 0;
        while i < len {
            let x = packed.add(i * k);
            let mut a: [[__m256; 2]; R] = std::array::from_fn(|j| [_mm256_set1_ps(bias[j]); 2]);
            for c in 0..k {
                let p = x.add(c * 16);
                let (x0, x1) = (_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(8)));
                for (aj, wj) in a.iter_mut().zip(w) {
                    let v = _mm256_broadcast_ss(&*wj.add(c));
                    aj[0] = fma(aj[0], v, x0);
                    aj[1] = fma(aj[1], v, x1);
                }
            }
            for (oj, aj) in o.into_iter().zip(a) {
                let v = aj.map(|s| _mm256_min_ps(_mm256_max_ps(s, lo), hi));
                if i + 16 <= len {
                    _mm256_storeu_ps(oj.add(i), v[0]);
                    _mm256_storeu_ps(oj.add(i + 8), v[1]);
                } else {
                    // The strip's last positions: stored whole here, then
                    // only those that exist copied out.
                    let mut all = [0.0f32; 16];
                    _mm256_storeu_ps(all.as_mut_ptr(), v[0]);
                    _mm256_storeu_ps(all.as_mut_ptr().add(8), v[1]);
                    std::ptr::copy_nonoverlapping(all.as_ptr(), oj.add(i), len - i);
                }
            }
            i += 16;
        }
    }

    // Compiled with AVX2 and FMA enabled, so the intrinsics inline.
    simd_loops! {
        #[target_feature(enable = "avx2,fma")]
        lanes: 8,
        x4_vectors: 2,
        // 4 vectors × 2 positions: 8 accumulators, 4 weight vectors and a
        // broadcast of the 16 registers.
        tile_positions: (2, 2),
        vector: __m256,
        pair_max: pair_max,
        splat: _mm256_set1_ps,
        load: _mm256_loadu_ps,
        store: _mm256_storeu_ps,
        fma: fma,
        max: _mm256_max_ps,
        min: _mm256_min_ps,
    }
}

/// The same loops on 512-bit vectors. Where a whole vector would not fit
/// (the stride-2 split) it reuses the AVX2 code, which every AVX-512
/// machine runs (`Isa::best` checks both).
#[cfg(target_arch = "x86_64")]
mod x86_512 {
    use std::arch::x86_64::*;

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn fma(acc: __m512, w: __m512, x: __m512) -> __m512 {
        _mm512_fmadd_ps(w, x, acc)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn load(p: *const f32) -> __m512 {
        _mm512_loadu_ps(p)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn store(p: *mut f32, v: __m512) {
        _mm512_storeu_ps(p, v)
    }

    /// Sixteen even-indexed values per step: two loads and one two-source
    /// permute (the AVX2 loop needs a shuffle and a permute per eight).
    /// Rows end in the AVX2 loop where the source stops short of a whole
    /// step.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub unsafe fn every_second(dst: &mut [f32], src: &[f32]) {
        let (n, s, d) = (dst.len(), src.as_ptr(), dst.as_mut_ptr());
        let evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        let mut i = 0;
        while i < n && n >= 16 {
            i = i.min(n - 16);
            if 2 * i + 32 > src.len() {
                break;
            }
            let (a, b) = (
                _mm512_loadu_ps(s.add(2 * i)),
                _mm512_loadu_ps(s.add(2 * i + 16)),
            );
            _mm512_storeu_ps(d.add(i), _mm512_permutex2var_ps(a, evens, b));
            i += 16;
        }
        if i < n {
            super::x86::every_second(&mut dst[i..], &src[2 * i..]);
        }
    }

    every_second_rows! { #[target_feature(enable = "avx512f")] }

    /// The larger of each adjacent pair of the 32 values `a ‖ b`, in order.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn pair_max(a: __m512, b: __m512) -> __m512 {
        let evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        let odds = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        _mm512_max_ps(
            _mm512_permutex2var_ps(a, evens, b),
            _mm512_permutex2var_ps(a, odds, b),
        )
    }

    simd_loops! {
        #[target_feature(enable = "avx512f")]
        lanes: 16,
        x4_vectors: 4,
        // 2 vectors × 8 positions: 16 accumulators of the 32 registers (a
        // tile of 4 positions or fewer, the 2×2 planes, takes 2 × 4).
        tile_positions: (8, 4),
        vector: __m512,
        pair_max: pair_max,
        splat: _mm512_set1_ps,
        load: load,
        store: store,
        fma: fma,
        max: _mm512_max_ps,
        min: _mm512_min_ps,
    }
}

#[cfg(target_arch = "aarch64")]
mod neon {
    use std::arch::aarch64::*;

    #[inline(always)]
    unsafe fn fma(acc: float32x4_t, w: float32x4_t, x: float32x4_t) -> float32x4_t {
        vfmaq_f32(acc, w, x)
    }

    /// NEON's de-interleaving load does it in one instruction.
    pub unsafe fn every_second(dst: &mut [f32], src: &[f32]) {
        let (n, s, d) = (dst.len(), src.as_ptr(), dst.as_mut_ptr());
        let mut i = 0;
        // The last vector may overlap the one before, when the source
        // reaches that far (a pooled row of `2n` values does).
        while i < n && n >= 4 {
            i = i.min(n - 4);
            if 2 * i + 8 > src.len() {
                break;
            }
            vst1q_f32(d.add(i), vld2q_f32(s.add(2 * i)).0);
            i += 4;
        }
        super::every_second_scalar(dst, src, i);
    }

    every_second_rows! {}

    /// The larger of each adjacent pair of `a ‖ b`: NEON's pairwise maximum.
    #[inline(always)]
    unsafe fn pair_max(a: float32x4_t, b: float32x4_t) -> float32x4_t {
        vpmaxq_f32(a, b)
    }

    /// One 4 × 4 block, in two rounds of zips.
    #[inline(always)]
    unsafe fn transpose4(d: *mut f32, ds: usize, s: *const f32, ss: usize) {
        let (a, b) = (vld1q_f32(s), vld1q_f32(s.add(ss)));
        let (c, e) = (vld1q_f32(s.add(2 * ss)), vld1q_f32(s.add(3 * ss)));
        let (ac_lo, ac_hi) = (vzip1q_f32(a, c), vzip2q_f32(a, c));
        let (be_lo, be_hi) = (vzip1q_f32(b, e), vzip2q_f32(b, e));
        vst1q_f32(d, vzip1q_f32(ac_lo, be_lo));
        vst1q_f32(d.add(ds), vzip2q_f32(ac_lo, be_lo));
        vst1q_f32(d.add(2 * ds), vzip1q_f32(ac_hi, be_hi));
        vst1q_f32(d.add(3 * ds), vzip2q_f32(ac_hi, be_hi));
    }

    transpose_blocks! {}

    copy_rows! {
        lanes: 4,
        load: vld1q_f32,
        store: vst1q_f32,
    }

    simd_loops! {
        lanes: 4,
        x4_vectors: 4,
        // 8 vectors × 2 positions: 16 accumulators of the 32 registers.
        tile_positions: (2, 2),
        vector: float32x4_t,
        pair_max: pair_max,
        splat: vdupq_n_f32,
        load: vld1q_f32,
        store: vst1q_f32,
        fma: fma,
        max: vmaxq_f32,
        min: vminq_f32,
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm {
    use std::arch::wasm32::*;

    // simd128 has no fused multiply-add (that is relaxed-simd).
    #[inline(always)]
    unsafe fn fma(acc: v128, w: v128, x: v128) -> v128 {
        f32x4_add(acc, f32x4_mul(w, x))
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> v128 {
        v128_load(p as *const v128)
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: v128) {
        v128_store(p as *mut v128, v)
    }

    pub unsafe fn every_second(dst: &mut [f32], src: &[f32]) {
        let (n, s, d) = (dst.len(), src.as_ptr(), dst.as_mut_ptr());
        let mut i = 0;
        // The last vector may overlap the one before, when the source
        // reaches that far (a pooled row of `2n` values does).
        while i < n && n >= 4 {
            i = i.min(n - 4);
            if 2 * i + 8 > src.len() {
                break;
            }
            let (a, b) = (load(s.add(2 * i)), load(s.add(2 * i + 4)));
            store(d.add(i), i32x4_shuffle::<0, 2, 4, 6>(a, b));
            i += 4;
        }
        super::every_second_scalar(dst, src, i);
    }

    every_second_rows! {}

    /// The larger of each adjacent pair of `a ‖ b`.
    #[inline(always)]
    unsafe fn pair_max(a: v128, b: v128) -> v128 {
        f32x4_max(
            i32x4_shuffle::<0, 2, 4, 6>(a, b),
            i32x4_shuffle::<1, 3, 5, 7>(a, b),
        )
    }

    /// One 4 × 4 block, in two rounds of zips.
    #[inline(always)]
    unsafe fn transpose4(d: *mut f32, ds: usize, s: *const f32, ss: usize) {
        let (a, b) = (load(s), load(s.add(ss)));
        let (c, e) = (load(s.add(2 * ss)), load(s.add(3 * ss)));
        let (ac_lo, ac_hi) = (
            i32x4_shuffle::<0, 4, 1, 5>(a, c),
            i32x4_shuffle::<2, 6, 3, 7>(a, c),
        );
        let (be_lo, be_hi) = (
            i32x4_shuffle::<0, 4, 1, 5>(b, e),
            i32x4_shuffle::<2, 6, 3, 7>(b, e),
        );
        store(d, i32x4_shuffle::<0, 4, 1, 5>(ac_lo, be_lo));
        store(d.add(ds), i32x4_shuffle::<2, 6, 3, 7>(ac_lo, be_lo));
        store(d.add(2 * ds), i32x4_shuffle::<0, 4, 1, 5>(ac_hi, be_hi));
        store(d.add(3 * ds), i32x4_shuffle::<2, 6, 3, 7>(ac_hi, be_hi));
    }

    transpose_blocks! {}

    copy_rows! {
        lanes: 4,
        load: load,
        store: store,
    }

    simd_loops! {
        lanes: 4,
        x4_vectors: 2,
        // 8 vectors × 1 position: the engines map wasm onto 16 registers
        // on x86-64, and 16 accumulators would spill.
        tile_positions: (1, 1),
        vector: v128,
        pair_max: pair_max,
        splat: f32x4_splat,
        load: load,
        store: store,
        fma: fma,
        max: f32x4_max,
        min: f32x4_min,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    /// The unclamped sum the four-channel loops compute at position `i`.
    fn plain_sum(src: &[f32], offsets: &[usize], row: &[f32], bias: f32, i: usize) -> f32 {
        bias + offsets
            .iter()
            .zip(row)
            .map(|(&k, &w)| w * src[k + i])
            .sum::<f32>()
    }

    fn random(n: usize, seed: u64) -> Vec<f32> {
        let mut r = SplitMix64::new(seed);
        (0..n).map(|_| r.next_f32() * 2.0 - 1.0).collect()
    }

    #[test]
    fn strips_match_the_plain_sum_for_every_channel_count_and_tail() {
        let isa = Isa::best();
        if !strips_pay(isa) {
            return;
        }
        for (n, k, len) in [
            (1, 3, 16),
            (2, 17, 5),
            (3, 24, 33),
            (4, 1, 47),
            (5, 40, 16),
            (6, 9, 50),
        ] {
            let x: Vec<Vec<f32>> = (0..k).map(|c| random(len, 10 + c as u64)).collect();
            let w = random(n * k, 2);
            let bias = random(n, 3);
            let mut packed = vec![f32::NAN; len.div_ceil(STRIP) * k * STRIP];
            for (c, xc) in x.iter().enumerate() {
                for (i, v) in xc.iter().enumerate() {
                    packed[((i / STRIP) * k + c) * STRIP + i % STRIP] = *v;
                }
            }
            // The padding is zeros, as the packing writes it.
            for v in packed.iter_mut().filter(|v| v.is_nan()) {
                *v = 0.0;
            }
            let mut planes = vec![vec![f32::NAN; len]; n];
            let mut outs: Vec<&mut [f32]> = planes.iter_mut().map(|p| p.as_mut_slice()).collect();
            let rows: Vec<&[f32]> = w.chunks_exact(k).collect();
            pointwise_strips(isa, &mut outs, &packed, &rows, &bias, (-0.5, f32::INFINITY));
            for (j, plane) in planes.iter().enumerate() {
                for (i, got) in plane.iter().enumerate() {
                    let sum = bias[j] + (0..k).map(|c| rows[j][c] * x[c][i]).sum::<f32>();
                    let want = sum.max(-0.5);
                    assert!(
                        (got - want).abs() < 1e-4,
                        "{n} channels, {k} inputs, position {i}: {got} against {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_isa_agrees_with_a_plain_sum_at_every_length() {
        let src = random(200, 1);
        let taps: Vec<Tap> = [0, 1, 2, 17, 18, 19, 34, 35, 36]
            .iter()
            .zip(random(9, 2))
            .map(|(&offset, weight)| Tap { offset, weight })
            .collect();
        for isa in Isa::available() {
            // Lengths around every block size: tails of 0..L-1 after 4L and L blocks.
            for n in 0..=(200 - 36) {
                let mut out = vec![f32::NAN; n];
                weighted_taps(isa, &mut out, &src, &taps, 0.25, -0.5, 0.75);
                for (i, o) in out.iter().enumerate() {
                    let want: f32 = 0.25
                        + taps
                            .iter()
                            .map(|t| t.weight * src[t.offset + i])
                            .sum::<f32>();
                    let want = want.clamp(-0.5, 0.75);
                    assert!(
                        (o - want).abs() < 1e-5,
                        "{} n={n} i={i}: {o} vs {want}",
                        isa.name()
                    );
                }
                let mut out = vec![f32::NAN; n];
                max_taps(isa, &mut out, &src, &[3, 0, 20, 35], -0.25);
                for (i, o) in out.iter().enumerate() {
                    let want = [3, 0, 20, 35]
                        .iter()
                        .map(|&k| src[k + i])
                        .fold(-0.25, f32::max);
                    assert_eq!(*o, want, "{} n={n} i={i}", isa.name());
                }
            }
        }
    }

    #[test]
    fn channel_rows_agree_with_a_plain_sum_at_every_width() {
        let xs = random(300, 4);
        let ws = random(300, 5);
        let bias = random(60, 6);
        let rows = [(0, 3), (61, 100), (120, 7), (200, 230)];
        for isa in Isa::available() {
            for n in 0..=60 {
                let mut out = vec![f32::NAN; n];
                weighted_rows(isa, &mut out, &xs, &ws, &rows, &bias, -0.5, 0.75);
                for (c, o) in out.iter().enumerate() {
                    let want = bias[c]
                        + rows
                            .iter()
                            .map(|&(x, w)| xs[x + c] * ws[w + c])
                            .sum::<f32>();
                    assert!(
                        (o - want.clamp(-0.5, 0.75)).abs() < 1e-5,
                        "{} n={n} c={c}",
                        isa.name()
                    );
                }
            }
        }
    }

    #[test]
    fn four_channels_at_once_agree_with_a_plain_sum_at_every_length() {
        let src = random(200, 8);
        let offsets = [0, 2, 5, 40, 41, 77];
        let w = random(24, 9);
        let rows: [&[f32]; 4] = std::array::from_fn(|j| &w[6 * j..6 * j + 6]);
        let bias = [0.1, -0.2, 0.3, 0.0];
        for isa in Isa::available() {
            for n in 0..=(200 - 77) {
                let mut o = vec![vec![f32::NAN; n]; 4];
                let [a, b, c, d] = &mut o[..] else {
                    unreachable!()
                };
                weighted_taps_x4(isa, [a, b, c, d], &src, &offsets, rows, bias, (-0.5, 0.75));
                for j in 0..4 {
                    for i in 0..n {
                        let want = plain_sum(&src, &offsets, rows[j], bias[j], i);
                        assert!(
                            (o[j][i] - want.clamp(-0.5, 0.75)).abs() < 1e-5,
                            "{} n={n} j={j} i={i}",
                            isa.name()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn four_channels_on_a_grid_agree_with_a_plain_sum_at_its_positions() {
        let src = random(1400, 12);
        let offsets = [0, 1, 2, 35, 36, 37, 70, 71, 72];
        let w = random(36, 13);
        let rows: [&[f32]; 4] = std::array::from_fn(|j| &w[9 * j..9 * j + 9]);
        let bias = [0.1, -0.2, 0.3, 0.0];
        for isa in Isa::available() {
            for (r, cols, pitch) in [
                (1, 1, 1),
                (3, 5, 7),
                (4, 16, 18),
                (5, 17, 19),
                (7, 32, 34),
                (3, 40, 40),
                (2, 64, 66),
                (6, 30, 33),
            ] {
                let grid = Grid {
                    rows: r,
                    cols,
                    pitch,
                };
                let n = grid.span();
                let mut o = vec![vec![f32::NAN; n + 3]; 4];
                let [a, b, c, d] = &mut o[..] else {
                    unreachable!()
                };
                weighted_taps_x4_grid(
                    isa,
                    [a, b, c, d],
                    &src,
                    &offsets,
                    rows,
                    bias,
                    (-0.5, 0.75),
                    grid,
                );
                for j in 0..4 {
                    for i in (0..r).flat_map(|y| (0..cols).map(move |x| y * pitch + x)) {
                        let want = plain_sum(&src, &offsets, rows[j], bias[j], i);
                        assert!(
                            (o[j][i] - want.clamp(-0.5, 0.75)).abs() < 1e-5,
                            "{} {grid:?} j={j} i={i}: {}",
                            isa.name(),
                            o[j][i]
                        );
                    }
                }
            }
        }
    }

    /// The pooled block against the plain sums' clamped 2 × 2 maxima, on
    /// grids with odd rows and columns (dropped), pooled rows of exactly one
    /// vector and ones whose last block overlaps.
    #[test]
    fn four_channels_pooled_in_registers_agree_with_a_plain_pool() {
        let src = random(9000, 17);
        let offsets = [0, 1, 2, 75, 76, 77, 150, 151, 152];
        let w = random(36, 18);
        let rows: [&[f32]; 4] = std::array::from_fn(|j| &w[9 * j..9 * j + 9]);
        let bias = [0.1, -0.2, 0.3, 0.0];
        let mut ran = 0;
        for isa in Isa::available() {
            for (r, cols, pitch) in [
                (2, 8, 10),
                (5, 9, 11),
                (4, 32, 34),
                (7, 33, 35),
                (6, 50, 52),
                (3, 72, 75),
            ] {
                let grid = Grid {
                    rows: r,
                    cols,
                    pitch,
                };
                if !fits_pool2(isa, grid) {
                    continue;
                }
                ran += 1;
                let (oh, ow) = (r / 2, cols / 2);
                let mut o = vec![vec![f32::NAN; oh * ow]; 4];
                let [a, b, c, d] = &mut o[..] else {
                    unreachable!()
                };
                weighted_taps_x4_pool2(
                    isa,
                    [a, b, c, d],
                    &src,
                    &offsets,
                    rows,
                    bias,
                    (-0.5, 0.75),
                    grid,
                );
                let sum = |j: usize, i: usize| {
                    let s = plain_sum(&src, &offsets, rows[j], bias[j], i);
                    s.clamp(-0.5, 0.75)
                };
                for j in 0..4 {
                    for (py, px) in (0..oh).flat_map(|y| (0..ow).map(move |x| (y, x))) {
                        let at = 2 * py * pitch + 2 * px;
                        let want = [at, at + 1, at + pitch, at + pitch + 1]
                            .map(|i| sum(j, i))
                            .into_iter()
                            .fold(f32::NEG_INFINITY, f32::max);
                        let got = o[j][py * ow + px];
                        assert!(
                            (got - want).abs() < 1e-5,
                            "{} {grid:?} j={j} ({py}, {px}): {got} vs {want}",
                            isa.name()
                        );
                    }
                }
            }
        }
        // Scalar takes all six grids, each SIMD set at least the two widest.
        let sets = Isa::available().len();
        assert!(ran >= 6 + 2 * (sets - 1), "only {ran} grids ran");
    }

    #[test]
    fn dot_rows_agree_with_a_plain_sum_at_every_length() {
        let x = random(300, 14);
        let w = random(7 * 300, 15);
        let bias = random(7, 16);
        for isa in Isa::available() {
            for k in (0..=80).chain([127, 128, 129, 300]) {
                for n in 0..=7 {
                    let mut out = vec![f32::NAN; n];
                    dot_rows(isa, &mut out, &x[..k], &w[..n * k], &bias, (-2.0, 2.5));
                    for j in 0..n {
                        let want = bias[j] + (0..k).map(|i| w[j * k + i] * x[i]).sum::<f32>();
                        assert!(
                            (out[j] - want.clamp(-2.0, 2.5)).abs() < 1e-4,
                            "{} k={k} n={n} j={j}: {} vs {want}",
                            isa.name(),
                            out[j]
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn pointwise_tiles_agree_with_a_plain_sum() {
        let (stride, c_in) = (7, 13);
        let x = random(stride * c_in, 10);
        let panel = random(c_in * TILE_CHANNELS, 11);
        let bias: [f32; TILE_CHANNELS] = std::array::from_fn(|i| i as f32 * 0.125 - 1.0);
        for isa in Isa::available() {
            let tiles = [
                ([0, 1, 2, 3, 4, 5, 6, 6], 7),
                ([0, 1, 2, 3, 4, 5, 6, 0], 8),
                ([6, 5, 0, 0, 0, 0, 0, 0], 2),
                ([3, 3, 3, 3, 3, 3, 3, 3], 1),
                ([1, 2, 3, 4, 5, 5, 5, 5], 5),
                ([4, 0, 2, 1, 1, 1, 1, 1], 4),
            ];
            for (cols, width) in tiles {
                for c_in in [0, 1, 4, c_in] {
                    let mut tile = [f32::NAN; TILE_CHANNELS * TILE_POSITIONS];
                    pointwise_tile(
                        isa,
                        &mut tile,
                        &panel,
                        &x,
                        stride,
                        c_in,
                        cols,
                        width,
                        &bias,
                        (-0.5, 0.75),
                    );
                    for (j, col) in cols.iter().enumerate().take(width) {
                        for i in 0..TILE_CHANNELS {
                            let want = bias[i]
                                + (0..c_in)
                                    .map(|c| panel[c * TILE_CHANNELS + i] * x[c * stride + col])
                                    .sum::<f32>();
                            let want = want.clamp(-0.5, 0.75);
                            let got = tile[j * TILE_CHANNELS + i];
                            assert!(
                                (got - want).abs() < 1e-5,
                                "{} c_in={c_in} cols={cols:?} j={j} i={i}: {got} vs {want}",
                                isa.name()
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "reads past an input of 20")]
    fn a_pointwise_position_past_the_input_is_refused() {
        let mut tile = [0.0; TILE_CHANNELS * TILE_POSITIONS];
        let bias = [0.0; TILE_CHANNELS];
        pointwise_tile(
            Isa::best(),
            &mut tile,
            &[0.0; 3 * TILE_CHANNELS],
            &[0.0; 20],
            7,
            3,
            [0, 1, 6, 5, 5, 5, 5, 5],
            8,
            &bias,
            (f32::MIN, f32::MAX),
        );
    }

    #[test]
    fn every_second_value_is_taken_at_every_length() {
        let src = random(70, 3);
        for isa in Isa::available() {
            for n in 0usize..=35 {
                // The shortest source that holds n values at stride 2, and longer.
                for len in (2 * n).saturating_sub(1)..=(2 * n + 1).min(70) {
                    let mut dst = vec![f32::NAN; n];
                    take_every_second(isa, &mut dst, &src[..len]);
                    let want: Vec<f32> = src.iter().step_by(2).take(n).copied().collect();
                    assert_eq!(dst, want, "{} n={n} len={len}", isa.name());
                }
            }
        }
    }

    #[test]
    fn rows_are_copied_between_pitches_at_every_length() {
        let src = random(400, 4);
        for isa in Isa::available() {
            for n in 0..=37 {
                for (count, src_stride, dst_stride) in [(1, n, n), (3, n + 1, n), (5, n + 3, n + 2)]
                {
                    let rows = StridedRows {
                        dst_start: 2,
                        dst_stride,
                        src_start: 1,
                        src_stride,
                        count,
                        n,
                    };
                    let mut got = vec![f32::NAN; 2 + count * dst_stride + 3];
                    let mut want = got.clone();
                    copy_rows(isa, &mut got, &src, rows);
                    for r in 0..count {
                        let (d, s) = (2 + r * dst_stride, 1 + r * src_stride);
                        want[d..][..n].copy_from_slice(&src[s..][..n]);
                    }
                    // Bit for bit, NaNs (untouched) included.
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(
                        bits(&got),
                        bits(&want),
                        "{} n={n} count={count}",
                        isa.name()
                    );
                }
            }
        }
    }

    #[test]
    fn transposes_agree_with_a_plain_loop_at_every_shape() {
        let src = random(40 * 40, 5);
        for isa in Isa::available() {
            for rows in 0..=11 {
                for cols in 0..=11 {
                    let (ss, ds) = (cols + rows % 3, rows + cols % 2);
                    let mut got = vec![f32::NAN; cols * ds + 2];
                    let mut want = got.clone();
                    transpose(isa, &mut got, ds, &src, ss, rows, cols);
                    for i in 0..rows {
                        for j in 0..cols {
                            want[j * ds + i] = src[i * ss + j];
                        }
                    }
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&got), bits(&want), "{} {rows}×{cols}", isa.name());
                }
            }
        }
    }

    #[test]
    fn rows_at_stride_two_are_the_rows_taken_one_by_one() {
        let src = random(400, 4);
        for isa in Isa::available() {
            for (dst_start, dst_stride, src_start, src_stride, count, n) in [
                (0, 10, 0, 40, 8, 9),
                (3, 17, 1, 20, 5, 10),
                (1, 9, 0, 41, 9, 1),
                (0, 16, 5, 32, 12, 16),
                (2, 8, 0, 2, 3, 0),
                (7, 8, 0, 30, 0, 5),
            ] {
                let rows = StridedRows {
                    dst_start,
                    dst_stride,
                    src_start,
                    src_stride,
                    count,
                    n,
                };
                let mut got = vec![0.5; 200];
                take_every_second_rows(isa, &mut got, &src, rows);
                let mut want = vec![0.5; 200];
                for r in 0..count {
                    let d = dst_start + r * dst_stride;
                    take_every_second(
                        Isa::Scalar,
                        &mut want[d..d + n],
                        &src[src_start + r * src_stride..],
                    );
                }
                assert_eq!(got, want, "{} {rows:?}", isa.name());
            }
        }
    }

    #[test]
    #[should_panic(expected = "does not fit a destination of 20")]
    fn rows_that_would_write_past_the_destination_panic() {
        let rows = StridedRows {
            dst_start: 0,
            dst_stride: 8,
            src_start: 0,
            src_stride: 16,
            count: 3,
            n: 5,
        };
        take_every_second_rows(Isa::best(), &mut [0.0; 20], &[0.0; 100], rows);
    }

    #[test]
    #[should_panic(expected = "reads 10 values past a source of 12")]
    fn a_tap_past_the_source_is_refused() {
        let mut out = vec![0.0; 10];
        weighted_taps(
            Isa::best(),
            &mut out,
            &[0.0; 12],
            &[Tap {
                offset: 3,
                weight: 1.0,
            }],
            0.0,
            f32::MIN,
            f32::MAX,
        );
    }
}
