//! "Is B really faster than A?" — the one comparison of two runs that every
//! part of the lab shows: the ratio of their medians with a bootstrap 95 %
//! interval, the Mann–Whitney U test's two-sided p-value, and a verdict.
//!
//! Two runs of the same settings always differ by a few per cent (the
//! machine is never in quite the same state twice), and with a few hundred
//! runs each the U test calls such a difference significant. So the verdict
//! also needs the device's own noise: "no clear difference" when the test
//! does not reject (p ≥ 0.05) *or* the whole interval of the ratio lies
//! within [`NOISE_BAND`]. Where a run's numbers cannot be compared (timed in
//! batches because the timer is coarse, disturbed, fewer than [`MIN_RUNS`]
//! runs), the verdict says it cannot decide and why.
//!
//! Plain Rust: no I/O, no clock, no tract. The verdict is a kind, never a
//! sentence; the shells word it.

use crate::report::BenchmarkReport;
use crate::rng::SplitMix64;
use crate::stats::{percentile, Interval, PercentileMethod};
use serde::{Deserialize, Serialize};

/// The noise band: two runs whose ratio of medians lies, interval and all,
/// within ±15 % (`1/1.15 ..= 1.15`) show no difference this lab can tell
/// from the way two runs of the same settings differ anyway.
///
/// Chosen from measurements of repeated identical runs
/// (`scripts/noise-band.mjs`, committed as `tests/data/compare/noise-band.json`):
/// 16 runs of each setting natively (`piedge bench`, a fresh process each)
/// and in Chromium (the lab's worker, a fresh page each), on both bundled
/// models, at 100 and 1000 runs, every pair compared. The band is the
/// smallest half-per-cent at which at most 5 % of those pairs, pooled, still
/// get "faster" or "slower" (a repeat whose median lies beyond Tukey's
/// fences of its setting's repeats is set aside as disturbed). What sets it
/// is MobileNetV2 natively: 5 % of its pairs of 100-run medians lay 16 % or
/// more apart (9 % at 1000 runs), against 9 % for either model in Chromium
/// at 100 runs and 1.3 % for TinyCNN natively. The machine was a shared
/// 2-core cloud VM, in the quietest of three sessions; a dedicated laptop or
/// Pi may well be quieter. The test `noise_band_is_what_the_measurements_give`
/// recomputes the choice from the file.
pub const NOISE_BAND: f64 = 0.15;

/// The significance level of the U test.
pub const ALPHA: f64 = 0.05;

/// Fewer runs than this on either side and the lab does not decide: the
/// median of a handful of runs moves too much from one measurement to the
/// next, and the U test's normal approximation is rough.
pub const MIN_RUNS: usize = 10;

/// Bootstrap resamples for the ratio's interval. Each costs a few random
/// draws whatever the run's length (see [`ratio_of_medians`]), so the
/// interval is precise to well under a tenth of a per cent at any run count.
pub const RESAMPLES: usize = 10_000;

/// One side of a comparison: a run's timed latencies and what its report
/// says about how they were taken.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Side<'a> {
    pub latencies_ms: &'a [f64],
    /// Inferences timed together per latency (more than 1 when the timer
    /// was too coarse to time one by itself).
    pub inferences_per_sample: usize,
    /// The tab was hidden or the page froze while the run went on.
    pub disturbed: bool,
}

impl<'a> Side<'a> {
    /// The side as a report describes it (a run kept in the lab, a
    /// `latency_results.json`, or a `latency.csv` read into a report).
    pub fn of_report(report: &'a BenchmarkReport) -> Side<'a> {
        let (hidden, silent_s) = crate::lab::state::recorded_disturbance(report);
        Side {
            latencies_ms: &report.raw_latencies,
            inferences_per_sample: report.benchmark_config.inferences_per_sample,
            disturbed: hidden || silent_s.is_some(),
        }
    }

    /// Just latencies, timed one inference at a time, undisturbed.
    pub fn latencies(latencies_ms: &'a [f64]) -> Side<'a> {
        Side {
            latencies_ms,
            inferences_per_sample: 1,
            disturbed: false,
        }
    }
}

/// Which run: A is the one compared against (the ratio is B/A).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Which {
    A,
    B,
}

/// How the comparison is made; [`Default`] is the lab's.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareOptions {
    pub noise_band: f64,
    pub resamples: usize,
    pub seed: u64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            noise_band: NOISE_BAND,
            resamples: RESAMPLES,
            seed: 0,
        }
    }
}

/// What the comparison found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub a: Summary,
    pub b: Summary,
    /// B's median over A's: 2.0 means B took twice as long.
    pub ratio: f64,
    /// The bootstrap (percentile) 95 % interval of `ratio`.
    pub ratio_ci95: Interval,
    /// The Mann–Whitney U statistic of A (scipy's `statistic`).
    pub u: f64,
    /// Its two-sided p-value (normal approximation, ties and continuity
    /// corrected).
    pub p_value: f64,
    pub noise_band: f64,
    pub resamples: usize,
    pub seed: u64,
    pub verdict: Verdict,
}

/// A side's numbers as the comparison used them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub n: usize,
    /// numpy's median (linear interpolation), in milliseconds.
    pub median_ms: f64,
}

/// What the comparison says about B against A.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// B is faster: the test rejects and the whole interval lies below 1
    /// and not within the noise band.
    Faster,
    /// B is slower: the whole interval lies above 1, outside the band.
    Slower,
    NoClearDifference {
        why: Unclear,
    },
    /// The runs cannot be compared fairly; every reason found.
    CannotDecide {
        reasons: Vec<Undecided>,
    },
}

/// Why there is no clear difference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unclear {
    /// The U test does not reject (p ≥ 0.05): the two runs' latencies
    /// overlap too much to tell them apart.
    NotSignificant,
    /// The whole interval lies within the noise band: the difference is
    /// smaller than two runs of the same settings differ on this device.
    WithinNoise,
    /// The latencies differ, but the interval reaches both sides of 1: the
    /// medians do not say which run is faster.
    NoDirection,
}

/// Why the comparison cannot decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Undecided {
    /// Fewer than [`MIN_RUNS`] timed runs.
    TooFewRuns { run: Which, n: usize },
    /// The timer was too coarse for one inference, so inferences were
    /// timed together and each latency is a batch's average: the spread
    /// the comparison relies on is not the single runs'.
    Batched {
        run: Which,
        inferences_per_sample: usize,
    },
    /// The tab was hidden or the page froze during the run.
    Disturbed { run: Which },
    /// The median is 0 ms: the timer did not see the runs at all.
    ZeroMedian { run: Which },
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompareError {
    #[error("run {run:?} has no latencies; compare runs with at least one timed run")]
    Empty { run: Which },
    #[error("run {run:?}: latency #{index} is {value}, not a finite, non-negative number of milliseconds")]
    BadLatency {
        run: Which,
        index: usize,
        value: f64,
    },
}

/// Compares run B against run A.
pub fn compare(a: Side, b: Side, opts: &CompareOptions) -> Result<Comparison, CompareError> {
    let sorted_a = checked_sorted(a.latencies_ms, Which::A)?;
    let sorted_b = checked_sorted(b.latencies_ms, Which::B)?;
    let (ratio, ratio_ci95) = ratio_of_medians(&sorted_a, &sorted_b, opts.resamples, opts.seed);
    let MannWhitney { u, p_value } = mann_whitney_u(a.latencies_ms, b.latencies_ms);
    let a_summary = Summary {
        n: sorted_a.len(),
        median_ms: median(&sorted_a),
    };
    let b_summary = Summary {
        n: sorted_b.len(),
        median_ms: median(&sorted_b),
    };
    let mut reasons = Vec::new();
    for (which, side, summary) in [(Which::A, &a, &a_summary), (Which::B, &b, &b_summary)] {
        if summary.n < MIN_RUNS {
            reasons.push(Undecided::TooFewRuns {
                run: which,
                n: summary.n,
            });
        }
        if side.inferences_per_sample > 1 {
            reasons.push(Undecided::Batched {
                run: which,
                inferences_per_sample: side.inferences_per_sample,
            });
        }
        if side.disturbed {
            reasons.push(Undecided::Disturbed { run: which });
        }
        if summary.median_ms <= 0.0 {
            reasons.push(Undecided::ZeroMedian { run: which });
        }
    }
    let verdict = if reasons.is_empty() {
        Verdict::decide(p_value, ratio_ci95, opts.noise_band)
    } else {
        Verdict::CannotDecide { reasons }
    };
    Ok(Comparison {
        a: a_summary,
        b: b_summary,
        ratio,
        ratio_ci95,
        u,
        p_value,
        noise_band: opts.noise_band,
        resamples: opts.resamples,
        seed: opts.seed,
        verdict,
    })
}

impl Verdict {
    /// The verdict for two comparable runs, from the test's p-value and the
    /// interval of the ratio B/A. The band is symmetric on a ratio's scale
    /// (`1/(1+band) ..= 1+band`), so swapping A and B swaps "faster" and
    /// "slower" and leaves the rest alone.
    pub fn decide(p_value: f64, ratio_ci95: Interval, noise_band: f64) -> Verdict {
        let (low, high) = (ratio_ci95.low, ratio_ci95.high);
        let why = if p_value.is_nan() || p_value >= ALPHA {
            Unclear::NotSignificant
        } else if low >= 1.0 / (1.0 + noise_band) && high <= 1.0 + noise_band {
            Unclear::WithinNoise
        } else if low > 1.0 {
            return Verdict::Slower;
        } else if high < 1.0 {
            return Verdict::Faster;
        } else {
            Unclear::NoDirection
        };
        Verdict::NoClearDifference { why }
    }

    /// The verdict's kind as JSON and tests name it: "faster", "slower",
    /// "no_clear_difference", "cannot_decide".
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Faster => "faster",
            Verdict::Slower => "slower",
            Verdict::NoClearDifference { .. } => "no_clear_difference",
            Verdict::CannotDecide { .. } => "cannot_decide",
        }
    }
}

/// The Mann–Whitney U test of two samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MannWhitney {
    /// U of the first sample: how many of the (x, y) pairs have x > y,
    /// ties counting one half.
    pub u: f64,
    /// The two-sided p-value.
    pub p_value: f64,
}

/// The Mann–Whitney U test, two-sided, by the normal approximation with the
/// tie correction and the continuity correction: the same steps, in the same
/// order, as scipy's `mannwhitneyu(x, y, alternative="two-sided",
/// method="asymptotic", use_continuity=True)`, so that the p-values agree to
/// rounding. Both samples must be non-empty and free of NaN.
///
/// Hand-rolled because no well-kept Rust crate offers this test with scipy's
/// corrections; `tests/compare.rs` checks it against scipy's values.
pub fn mann_whitney_u(x: &[f64], y: &[f64]) -> MannWhitney {
    let (n1, n2) = (x.len(), y.len());
    assert!(n1 > 0 && n2 > 0, "the U test needs two non-empty samples");
    // Average ranks of the pooled samples, and the sizes of the tie groups.
    let mut pooled: Vec<(f64, bool)> = x
        .iter()
        .map(|&v| (v, true))
        .chain(y.iter().map(|&v| (v, false)))
        .collect();
    pooled.sort_by(|p, q| p.0.total_cmp(&q.0));
    let n = n1 + n2;
    let mut r1 = 0.0;
    let mut tie_term = 0.0;
    let mut start = 0;
    while start < n {
        // `==`, not the sort's order, decides a tie: -0.0 ties 0.0, as in numpy.
        let end = start + pooled[start..].partition_point(|p| p.0 == pooled[start].0);
        let t = (end - start) as f64;
        // Ranks start..end (0-based) all get the group's average, 1-based.
        let rank = (start + end + 1) as f64 / 2.0;
        let from_x = pooled[start..end].iter().filter(|p| p.1).count();
        r1 += rank * from_x as f64;
        tie_term += t * t * t - t;
        start = end;
    }
    let (n1f, n2f, nf) = (n1 as f64, n2 as f64, n as f64);
    let u1 = r1 - n1f * (n1f + 1.0) / 2.0;
    let u2 = n1f * n2f - u1;
    let u = u1.max(u2);
    let mu = n1f * n2f / 2.0;
    let s = (n1f * n2f / 12.0 * ((nf + 1.0) - tie_term / (nf * (nf - 1.0)))).sqrt();
    // The continuity correction: U is the larger of U1 and U2, so the
    // correction always moves it towards the mean.
    let z = (u - mu - 0.5) / s;
    MannWhitney {
        u: u1,
        p_value: (2.0 * ndtr(-z)).clamp(0.0, 1.0),
    }
}

/// The standard normal distribution function, as scipy's `special.ndtr`
/// computes it (cephes): through `erf` near the middle and `erfc` in the
/// tails, where it keeps its relative precision down to 1e-300.
fn ndtr(a: f64) -> f64 {
    let x = a * std::f64::consts::FRAC_1_SQRT_2;
    let z = x.abs();
    if z < std::f64::consts::FRAC_1_SQRT_2 {
        0.5 + 0.5 * libm::erf(x)
    } else {
        let y = 0.5 * libm::erfc(z);
        if x > 0.0 {
            1.0 - y
        } else {
            y
        }
    }
}

/// The ratio of medians `b / a` of two sorted, non-empty runs, and its
/// percentile bootstrap 95 % interval from `resamples` resamples, each run
/// resampled separately, seeded.
///
/// A resample's median is drawn without drawing the resample. The median of
/// n values drawn with replacement from sorted data is the data's value at
/// the index where the k-th smallest of n uniform numbers falls, and that
/// k-th smallest number has a Beta(k, n + 1 − k) distribution; for an even n,
/// the next one lies above it as the smallest of the n − k numbers left. So
/// each resample costs a few random draws instead of n draws and a sort,
/// and the interval is as cheap for the lab's largest runs (100 000
/// latencies) as for ten — with exactly the distribution of the classic
/// bootstrap (the tests compare the two). Hand-rolled (Beta by way of
/// Marsaglia and Tsang's gamma sampler) on the project's own generator for
/// the reason `rng.rs` gives: the same data must give the same interval on
/// every platform and after every dependency upgrade.
pub fn ratio_of_medians(
    sorted_a: &[f64],
    sorted_b: &[f64],
    resamples: usize,
    seed: u64,
) -> (f64, Interval) {
    let ratio = ratio_of(median(sorted_a), median(sorted_b));
    if resamples == 0 {
        return (
            ratio,
            Interval {
                low: ratio,
                high: ratio,
            },
        );
    }
    let mut rng = SplitMix64::new(seed);
    let mut ratios: Vec<f64> = (0..resamples)
        .map(|_| {
            let a = resampled_median(sorted_a, &mut rng);
            let b = resampled_median(sorted_b, &mut rng);
            ratio_of(a, b)
        })
        .collect();
    ratios.sort_unstable_by(f64::total_cmp);
    // An infinite ratio (a resample of A with a median of 0 ms) makes the
    // interpolation NaN; the interval is then open to infinity.
    let at = |q| {
        let v = percentile(&ratios, q, PercentileMethod::Linear);
        if v.is_nan() {
            f64::INFINITY
        } else {
            v
        }
    };
    (
        ratio,
        Interval {
            low: at(2.5),
            high: at(97.5),
        },
    )
}

/// numpy's median of sorted, non-empty data.
fn median(sorted: &[f64]) -> f64 {
    percentile(sorted, 50.0, PercentileMethod::Linear)
}

/// `b / a`, with 0/0 as 1 and x/0 as infinity.
fn ratio_of(a: f64, b: f64) -> f64 {
    if a > 0.0 {
        b / a
    } else if b > 0.0 {
        f64::INFINITY
    } else {
        1.0
    }
}

/// The median of one bootstrap resample of `sorted` (see
/// [`ratio_of_medians`]), by numpy's linear rule.
fn resampled_median(sorted: &[f64], rng: &mut SplitMix64) -> f64 {
    let n = sorted.len();
    let nf = n as f64;
    let index = |u: f64| ((nf * u) as usize).min(n - 1);
    // 1-based rank of the (lower) middle order statistic.
    let k = n.div_ceil(2);
    let uk = beta(rng, k as f64, (n + 1 - k) as f64);
    let lower = sorted[index(uk)];
    if n % 2 == 1 {
        return lower;
    }
    // The smallest of the n - k uniform numbers above uk: uk plus (1 - uk)
    // times the minimum of n - k uniforms, 1 - V^(1/(n-k)).
    let v = 1.0 - rng.next_f64();
    let min_of_rest = -(v.ln() / (n - k) as f64).exp_m1();
    let upper = sorted[index(uk + (1.0 - uk) * min_of_rest)];
    percentile(&[lower, upper], 50.0, PercentileMethod::Linear)
}

/// A Beta(a, b) number, from two gamma numbers (a, b ≥ 1).
fn beta(rng: &mut SplitMix64, a: f64, b: f64) -> f64 {
    let x = gamma(rng, a);
    let y = gamma(rng, b);
    x / (x + y)
}

/// A Gamma(shape, 1) number for shape ≥ 1, by Marsaglia and Tsang's
/// squeeze-and-reject method (ACM TOMS 26(3), 2000).
fn gamma(rng: &mut SplitMix64, shape: f64) -> f64 {
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = standard_normal(rng);
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u = rng.next_f64();
        let x2 = x * x;
        if u < 1.0 - 0.0331 * x2 * x2 || u.ln() < 0.5 * x2 + d * (1.0 - v + v.ln()) {
            return d * v;
        }
    }
}

/// A standard normal number (Box–Muller, one of the pair).
fn standard_normal(rng: &mut SplitMix64) -> f64 {
    let u1 = 1.0 - rng.next_f64(); // (0, 1]: the logarithm stays finite
    let u2 = rng.next_f64();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn checked_sorted(latencies_ms: &[f64], run: Which) -> Result<Vec<f64>, CompareError> {
    if latencies_ms.is_empty() {
        return Err(CompareError::Empty { run });
    }
    if let Some((index, &value)) = latencies_ms
        .iter()
        .enumerate()
        .find(|(_, v)| !v.is_finite() || **v < 0.0)
    {
        return Err(CompareError::BadLatency { run, index, value });
    }
    let mut sorted = latencies_ms.to_vec();
    sorted.sort_by(f64::total_cmp);
    Ok(sorted)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// P(X >= k) for X ~ Binomial(n, p), summed directly (small n).
    fn binomial_at_least(n: usize, p: f64, k: usize) -> f64 {
        let mut total = 0.0;
        for i in k..=n {
            let choose = (0..i).fold(1.0, |c, j| c * (n - j) as f64 / (j + 1) as f64);
            total += choose * p.powi(i as i32) * (1.0 - p).powi((n - i) as i32);
        }
        total
    }

    /// For an odd n the bootstrap distribution of the median is known
    /// exactly: the resample's median is at most the j-th smallest value
    /// when at least k = (n+1)/2 of the n draws fall at or below it,
    /// P = P(Binomial(n, (j+1)/n) >= k). The shortcut's draws follow it.
    #[test]
    fn resampled_medians_follow_the_exact_bootstrap_distribution() {
        let n = 11;
        let sorted: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let draws = 100_000;
        let mut counts = vec![0usize; n];
        let mut rng = SplitMix64::new(1);
        for _ in 0..draws {
            counts[resampled_median(&sorted, &mut rng) as usize] += 1;
        }
        let mut seen = 0;
        for j in 0..n {
            seen += counts[j];
            let exact = binomial_at_least(n, (j + 1) as f64 / n as f64, n.div_ceil(2));
            let got = seen as f64 / draws as f64;
            // The empirical CDF's standard error is at most 0.0016.
            assert!((got - exact).abs() < 0.006, "j={j}: {got} vs {exact}");
        }
    }

    /// For an even n (the median averages two order statistics) the
    /// shortcut is checked against the classic bootstrap: draw n values,
    /// sort, take numpy's median.
    #[test]
    fn resampled_medians_match_the_classic_bootstrap_for_even_n() {
        let sorted = [1.0, 1.5, 2.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0];
        let n = sorted.len();
        let draws = 100_000;
        let mut rng = SplitMix64::new(2);
        let mut fast: Vec<f64> = (0..draws)
            .map(|_| resampled_median(&sorted, &mut rng))
            .collect();
        let mut classic: Vec<f64> = (0..draws)
            .map(|_| {
                let mut s: Vec<f64> = (0..n).map(|_| sorted[rng.below(n)]).collect();
                s.sort_by(f64::total_cmp);
                median(&s)
            })
            .collect();
        fast.sort_by(f64::total_cmp);
        classic.sort_by(f64::total_cmp);
        // Compare the two distribution functions at every value either takes.
        let mut worst: f64 = 0.0;
        for x in classic.iter().chain(&fast) {
            let cdf = |v: &[f64]| v.partition_point(|y| y <= x) as f64 / draws as f64;
            worst = worst.max((cdf(&fast) - cdf(&classic)).abs());
        }
        assert!(worst < 0.01, "largest CDF difference {worst}");
    }

    #[test]
    fn gamma_numbers_have_the_right_mean_and_variance() {
        let mut rng = SplitMix64::new(3);
        for shape in [1.0, 2.5, 50.0, 50_000.0] {
            let xs: Vec<f64> = (0..40_000).map(|_| gamma(&mut rng, shape)).collect();
            let mean = xs.iter().sum::<f64>() / xs.len() as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
            // Mean and variance of Gamma(shape, 1) are both `shape`; the
            // tolerances are five standard errors.
            assert!(
                (mean - shape).abs() < 5.0 * (shape / 40_000.0).sqrt(),
                "{shape}: mean {mean}"
            );
            assert!((var / shape - 1.0).abs() < 0.04, "{shape}: variance {var}");
        }
    }

    #[test]
    fn the_interval_is_seeded_and_brackets_the_ratio() {
        let mut rng = SplitMix64::new(4);
        let a: Vec<f64> = (0..501).map(|_| 1.0 + rng.next_f64()).collect();
        let b: Vec<f64> = (0..400).map(|_| 2.0 + 2.0 * rng.next_f64()).collect();
        let opts = CompareOptions::default();
        let first = compare(Side::latencies(&a), Side::latencies(&b), &opts).unwrap();
        let again = compare(Side::latencies(&a), Side::latencies(&b), &opts).unwrap();
        assert_eq!(first, again);
        let c = first.ratio_ci95;
        assert!(c.low < first.ratio && first.ratio < c.high, "{first:?}");
        assert!((first.ratio - 2.0).abs() < 0.1);
        assert_eq!(first.verdict, Verdict::Slower);
        let reseeded = compare(
            Side::latencies(&a),
            Side::latencies(&b),
            &CompareOptions { seed: 1, ..opts },
        )
        .unwrap();
        assert_ne!(reseeded.ratio_ci95, c);
        assert!((reseeded.ratio_ci95.low / c.low - 1.0).abs() < 0.01);
    }

    #[test]
    fn the_largest_runs_cost_no_more_than_small_ones() {
        // 100 000 latencies a side: the resampling does not grow with n (the
        // sorts and the U test do, in milliseconds).
        let mut rng = SplitMix64::new(5);
        let a: Vec<f64> = (0..100_000).map(|_| 1.0 + rng.next_f64()).collect();
        let b: Vec<f64> = (0..100_000).map(|_| 1.01 + rng.next_f64()).collect();
        let c = compare(
            Side::latencies(&a),
            Side::latencies(&b),
            &Default::default(),
        )
        .unwrap();
        assert!(c.ratio_ci95.width() < 0.01, "{c:?}");
        assert!(c.p_value < 1e-10);
    }

    fn interval(low: f64, high: f64) -> Interval {
        Interval { low, high }
    }

    #[test]
    fn verdicts() {
        use Unclear::*;
        let unclear = |why| Verdict::NoClearDifference { why };
        let check = |p, low, high, expected: Verdict| {
            assert_eq!(
                Verdict::decide(p, interval(low, high), 0.03),
                expected,
                "p={p} {low}..{high}"
            );
        };
        check(0.2, 1.5, 2.5, unclear(NotSignificant));
        check(0.05, 1.5, 2.5, unclear(NotSignificant));
        check(f64::NAN, 1.5, 2.5, unclear(NotSignificant));
        check(0.001, 1.5, 2.5, Verdict::Slower);
        check(0.001, 0.4, 0.6, Verdict::Faster);
        check(0.001, 1.01, 1.03, unclear(WithinNoise));
        check(0.001, 1.0 / 1.03, 0.99, unclear(WithinNoise));
        check(0.001, 0.97, 0.99, Verdict::Faster); // 0.97 < 1/1.03
        check(0.001, 1.01, 1.031, Verdict::Slower);
        check(0.001, 0.9, 1.1, unclear(NoDirection));
        check(0.001, 1.0, 1.1, unclear(NoDirection));
    }

    #[test]
    fn swapping_the_runs_swaps_faster_and_slower() {
        let mut rng = SplitMix64::new(6);
        let a: Vec<f64> = (0..200).map(|_| 1.0 + rng.next_f64()).collect();
        let b: Vec<f64> = (0..300).map(|_| 1.3 + rng.next_f64()).collect();
        let opts = CompareOptions::default();
        let ab = compare(Side::latencies(&a), Side::latencies(&b), &opts).unwrap();
        let ba = compare(Side::latencies(&b), Side::latencies(&a), &opts).unwrap();
        assert_eq!((ab.verdict.name(), ba.verdict.name()), ("slower", "faster"));
        assert_eq!(ab.p_value, ba.p_value);
        assert_eq!(ab.u + ba.u, 200.0 * 300.0);
        assert!((ab.ratio * ba.ratio - 1.0).abs() < 1e-12);
    }

    #[test]
    fn runs_that_cannot_be_compared_say_why() {
        let ten: Vec<f64> = (0..10).map(|i| 1.0 + i as f64 * 0.01).collect();
        let nine = &ten[..9];
        let zeros = [0.0; 12];
        let batched = Side {
            inferences_per_sample: 4,
            ..Side::latencies(&ten)
        };
        let disturbed = Side {
            disturbed: true,
            ..Side::latencies(&ten)
        };
        let opts = CompareOptions::default();
        let reasons = |a, b| match compare(a, b, &opts).unwrap().verdict {
            Verdict::CannotDecide { reasons } => reasons,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            reasons(Side::latencies(nine), batched),
            [
                Undecided::TooFewRuns {
                    run: Which::A,
                    n: 9
                },
                Undecided::Batched {
                    run: Which::B,
                    inferences_per_sample: 4
                }
            ]
        );
        assert_eq!(
            reasons(disturbed, Side::latencies(&ten)),
            [Undecided::Disturbed { run: Which::A }]
        );
        let zero = compare(Side::latencies(&zeros), Side::latencies(&ten), &opts).unwrap();
        assert_eq!(
            zero.verdict,
            Verdict::CannotDecide {
                reasons: vec![Undecided::ZeroMedian { run: Which::A }]
            }
        );
        assert_eq!(zero.ratio, f64::INFINITY);
        assert_eq!(zero.ratio_ci95.high, f64::INFINITY);
        // Ten runs each are enough.
        assert!(!matches!(
            compare(Side::latencies(&ten), Side::latencies(&ten), &opts)
                .unwrap()
                .verdict,
            Verdict::CannotDecide { .. }
        ));
    }

    #[test]
    fn bad_latencies_are_refused() {
        let opts = CompareOptions::default();
        assert_eq!(
            compare(Side::latencies(&[1.0]), Side::latencies(&[]), &opts),
            Err(CompareError::Empty { run: Which::B })
        );
        assert!(matches!(
            compare(
                Side::latencies(&[1.0, -2.0]),
                Side::latencies(&[1.0]),
                &opts
            ),
            Err(CompareError::BadLatency {
                run: Which::A,
                index: 1,
                ..
            })
        ));
        assert!(compare(Side::latencies(&[f64::NAN]), Side::latencies(&[1.0]), &opts).is_err());
    }

    #[test]
    fn the_verdict_serialises_as_kinds() {
        let v = Verdict::CannotDecide {
            reasons: vec![Undecided::Batched {
                run: Which::B,
                inferences_per_sample: 3,
            }],
        };
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"kind":"cannot_decide","reasons":[{"kind":"batched","run":"b","inferences_per_sample":3}]}"#
        );
        assert_eq!(
            serde_json::to_string(&Verdict::NoClearDifference {
                why: Unclear::WithinNoise
            })
            .unwrap(),
            r#"{"kind":"no_clear_difference","why":"within_noise"}"#
        );
    }
}
