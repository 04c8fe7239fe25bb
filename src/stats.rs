//! Latency statistics: the numbers the lesson teaches (mean, std, p50, p95,
//! p99) and the ones that say how far to trust them (coefficient of variation,
//! Tukey outliers, bootstrap confidence intervals).
//!
//! Percentiles default to numpy's default *linear* interpolation, so that the
//! lab agrees with the notebooks students already know; nearest-rank (what
//! onnxruntime's perf tool uses) is an option, and the two disagree at small n.

use crate::rng::SplitMix64;
use serde::{Deserialize, Serialize};

/// How a percentile is read off sorted samples.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PercentileMethod {
    /// numpy's default (`method="linear"`): interpolate between the two
    /// samples around the virtual index `q/100 * (n-1)`.
    #[default]
    Linear,
    /// The smallest sample with at least q % of the samples at or below it.
    NearestRank,
}

impl PercentileMethod {
    pub fn name(self) -> &'static str {
        match self {
            PercentileMethod::Linear => "linear",
            PercentileMethod::NearestRank => "nearest_rank",
        }
    }
}

/// A closed interval, used for confidence intervals.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl Interval {
    pub fn width(&self) -> f64 {
        self.high - self.low
    }
}

/// Options for [`LatencyStats::compute`].
#[derive(Clone, Debug, PartialEq)]
pub struct StatsOptions {
    pub method: PercentileMethod,
    /// Bootstrap resamples; `None` picks a count that keeps the work near
    /// 20 million sample draws (between 200 and 2000 resamples).
    pub bootstrap_resamples: Option<usize>,
    pub bootstrap_seed: u64,
}

impl Default for StatsOptions {
    fn default() -> Self {
        StatsOptions {
            method: PercentileMethod::Linear,
            bootstrap_resamples: None,
            bootstrap_seed: 0,
        }
    }
}

/// Summary statistics of one benchmark's timed runs, in milliseconds.
///
/// The first seven fields keep the names and meaning of the old lesson's
/// `latency_results.json`; the rest are new.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencyStats {
    pub mean: f64,
    /// Population standard deviation (numpy's default, `ddof=0`).
    pub std: f64,
    pub min: f64,
    pub max: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub n: usize,
    pub percentile_method: PercentileMethod,
    /// Coefficient of variation, std / mean.
    pub cv: f64,
    /// First and third quartiles (linear), the box of a box plot.
    pub q1: f64,
    pub q3: f64,
    /// Tukey's fences, q1 - 1.5 IQR and q3 + 1.5 IQR.
    pub tukey_low: f64,
    pub tukey_high: f64,
    /// Samples outside the fences.
    pub outliers: usize,
    /// 95 % bootstrap (percentile) confidence intervals.
    pub p50_ci95: Interval,
    pub p95_ci95: Interval,
    pub bootstrap_resamples: usize,
    pub bootstrap_seed: u64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    #[error("there are no latencies to summarise; run at least one timed run")]
    Empty,
    #[error("latency #{index} is {value}, not a finite number of milliseconds")]
    NotFinite { index: usize, value: f64 },
}

impl LatencyStats {
    pub fn compute(latencies_ms: &[f64], opts: &StatsOptions) -> Result<LatencyStats, StatsError> {
        if latencies_ms.is_empty() {
            return Err(StatsError::Empty);
        }
        if let Some((index, &value)) = latencies_ms
            .iter()
            .enumerate()
            .find(|(_, v)| !v.is_finite())
        {
            return Err(StatsError::NotFinite { index, value });
        }
        let mut sorted = latencies_ms.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let mean = mean(latencies_ms);
        let std = (latencies_ms
            .iter()
            .map(|x| (x - mean) * (x - mean))
            .sum::<f64>()
            / n as f64)
            .sqrt();
        let pct = |q| percentile(&sorted, q, opts.method);
        let q1 = percentile(&sorted, 25.0, PercentileMethod::Linear);
        let q3 = percentile(&sorted, 75.0, PercentileMethod::Linear);
        let iqr = q3 - q1;
        let (tukey_low, tukey_high) = (q1 - 1.5 * iqr, q3 + 1.5 * iqr);
        let outliers = sorted
            .iter()
            .filter(|&&x| x < tukey_low || x > tukey_high)
            .count();
        let resamples = opts
            .bootstrap_resamples
            .unwrap_or_else(|| auto_resamples(n));
        let (p50_ci95, p95_ci95) =
            bootstrap_ci(&sorted, opts.method, resamples, opts.bootstrap_seed);
        Ok(LatencyStats {
            mean,
            std,
            min: sorted[0],
            max: sorted[n - 1],
            p50: pct(50.0),
            p95: pct(95.0),
            p99: pct(99.0),
            n,
            percentile_method: opts.method,
            cv: if mean > 0.0 { std / mean } else { 0.0 },
            q1,
            q3,
            tukey_low,
            tukey_high,
            outliers,
            p50_ci95,
            p95_ci95,
            bootstrap_resamples: resamples,
            bootstrap_seed: opts.bootstrap_seed,
        })
    }
}

/// A percentile says something about the slow tail when at least this many
/// runs lie above it; with fewer it rests on the slowest one or two runs and
/// moves from one measurement to the next (and so does its bootstrap
/// interval). The lab says so below that.
pub const TAIL_RUNS: f64 = 5.0;

/// The fewest runs that leave [`TAIL_RUNS`] above the `q`-th percentile:
/// 100 for p95, 500 for p99.
pub fn runs_to_trust(q: f64) -> usize {
    (TAIL_RUNS / (1.0 - q / 100.0)).round() as usize
}

/// The `q`-th percentile (0..=100) of `sorted`, which must be sorted and
/// non-empty.
pub fn percentile(sorted: &[f64], q: f64, method: PercentileMethod) -> f64 {
    let n = sorted.len();
    assert!(n > 0, "percentile of an empty slice");
    match method {
        PercentileMethod::Linear => {
            // The same steps, in the same order, as numpy's `_quantile` with
            // method="linear", so that results agree to the last bit.
            let virtual_index = (q / 100.0) * (n - 1) as f64;
            let below = virtual_index.floor();
            let gamma = virtual_index - below;
            let lo = (below as usize).min(n - 1);
            let hi = (lo + 1).min(n - 1);
            lerp(sorted[lo], sorted[hi], gamma)
        }
        PercentileMethod::NearestRank => {
            let rank = ((q / 100.0) * n as f64).ceil() as usize;
            sorted[rank.clamp(1, n) - 1]
        }
    }
}

/// numpy's `_lerp`: of two algebraically equal forms it picks the one that is
/// exact at the nearer end point.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// Mean by pairwise summation, like numpy, so long runs do not lose precision.
pub fn mean(xs: &[f64]) -> f64 {
    pairwise_sum(xs) / xs.len() as f64
}

fn pairwise_sum(xs: &[f64]) -> f64 {
    if xs.len() <= 128 {
        xs.iter().sum()
    } else {
        let (a, b) = xs.split_at(xs.len() / 2);
        pairwise_sum(a) + pairwise_sum(b)
    }
}

fn auto_resamples(n: usize) -> usize {
    (20_000_000 / n.max(1)).clamp(200, 2000)
}

/// Percentile bootstrap: resample with replacement, take p50 and p95 of each
/// resample, and report the 2.5th and 97.5th percentiles of those estimates.
fn bootstrap_ci(
    sorted: &[f64],
    method: PercentileMethod,
    resamples: usize,
    seed: u64,
) -> (Interval, Interval) {
    let n = sorted.len();
    if resamples == 0 {
        let p50 = percentile(sorted, 50.0, method);
        let p95 = percentile(sorted, 95.0, method);
        return (
            Interval {
                low: p50,
                high: p50,
            },
            Interval {
                low: p95,
                high: p95,
            },
        );
    }
    let mut rng = SplitMix64::new(seed);
    let mut sample = vec![0.0; n];
    let mut p50s = Vec::with_capacity(resamples);
    let mut p95s = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        for slot in sample.iter_mut() {
            *slot = sorted[rng.below(n)];
        }
        sample.sort_unstable_by(f64::total_cmp);
        p50s.push(percentile(&sample, 50.0, method));
        p95s.push(percentile(&sample, 95.0, method));
    }
    let interval = |mut v: Vec<f64>| {
        v.sort_unstable_by(f64::total_cmp);
        Interval {
            low: percentile(&v, 2.5, PercentileMethod::Linear),
            high: percentile(&v, 97.5, PercentileMethod::Linear),
        }
    };
    (interval(p50s), interval(p95s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    fn check(xs: &[f64], q: f64, method: PercentileMethod, expected: f64) {
        let mut s = xs.to_vec();
        s.sort_by(f64::total_cmp);
        let got = percentile(&s, q, method);
        assert!(
            close(got, expected),
            "p{q} {method:?} of {xs:?}: got {got}, expected {expected}"
        );
    }

    // Expected values computed with numpy 2.4.6:
    //   python3 -c "import numpy as np; x=[...]; print(repr(np.percentile(x, q)))"
    #[test]
    fn linear_percentiles_match_numpy() {
        use PercentileMethod::Linear as L;
        let x = [0.5089999995107064, 0.4895999991276767, 0.4810999998881016];
        check(&x, 50.0, L, 0.4895999991276767);
        check(&x, 95.0, L, 0.5070599994724034);
        check(&x, 99.0, L, 0.5086119995030458);
        let y = [1.0, 2.0, 3.0, 4.0, 10.0];
        check(&y, 50.0, L, 3.0);
        check(&y, 95.0, L, 8.799999999999999);
        check(&y, 99.0, L, 9.76);
        check(&y, 25.0, L, 2.0);
        check(&[7.0], 95.0, L, 7.0);
        let z = [2.5, 1.25, 9.0, 3.5, 3.75, 4.0, 1.0, 2.0, 8.5, 3.0];
        check(&z, 50.0, L, 3.25);
        check(&z, 95.0, L, 8.774999999999999);
        check(&z, 99.0, L, 8.955);
    }

    // numpy: np.percentile(x, q, method="inverted_cdf") is nearest rank.
    #[test]
    fn nearest_rank_percentiles_match_numpy_inverted_cdf() {
        use PercentileMethod::NearestRank as N;
        let y = [1.0, 2.0, 3.0, 4.0, 10.0];
        check(&y, 50.0, N, 3.0);
        check(&y, 95.0, N, 10.0);
        check(&y, 20.0, N, 1.0);
        check(&y, 21.0, N, 2.0);
        check(&y, 100.0, N, 10.0);
        check(&y, 0.0, N, 1.0);
        let z = [2.5, 1.25, 9.0, 3.5, 3.75, 4.0, 1.0, 2.0, 8.5, 3.0];
        check(&z, 50.0, N, 3.0);
        check(&z, 95.0, N, 9.0);
    }

    #[test]
    fn the_two_methods_disagree_at_small_n() {
        let mut s = vec![1.0, 2.0, 3.0, 4.0, 10.0];
        s.sort_by(f64::total_cmp);
        assert_ne!(
            percentile(&s, 95.0, PercentileMethod::Linear),
            percentile(&s, 95.0, PercentileMethod::NearestRank)
        );
    }

    // numpy:
    //   x = np.array([2.5, 1.25, 9.0, 3.5, 3.75, 4.0, 1.0, 2.0, 8.5, 3.0])
    //   x.mean() -> 3.85 ; x.std() -> 2.6296387584609415
    //   np.percentile(x, [25, 75]) -> [2.125, 3.9375]
    #[test]
    fn summary_matches_numpy() {
        let x = [2.5, 1.25, 9.0, 3.5, 3.75, 4.0, 1.0, 2.0, 8.5, 3.0];
        let s = LatencyStats::compute(&x, &StatsOptions::default()).unwrap();
        assert_eq!(s.n, 10);
        assert!(close(s.mean, 3.85));
        assert!(close(s.std, 2.6296387584609415));
        assert_eq!((s.min, s.max), (1.0, 9.0));
        assert!(close(s.q1, 2.125) && close(s.q3, 3.9375));
        assert!(close(s.cv, 2.6296387584609415 / 3.85));
        // IQR 1.8125: fences -0.59375 and 6.65625, so 9.0 and 8.5 are outliers.
        assert!(close(s.tukey_high, 6.65625));
        assert_eq!(s.outliers, 2);
    }

    #[test]
    fn bootstrap_is_deterministic_and_brackets_the_estimate() {
        let mut rng = SplitMix64::new(3);
        let x: Vec<f64> = (0..500).map(|_| 1.0 + rng.next_f64()).collect();
        let opts = StatsOptions {
            bootstrap_seed: 9,
            ..Default::default()
        };
        let a = LatencyStats::compute(&x, &opts).unwrap();
        let b = LatencyStats::compute(&x, &opts).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.bootstrap_resamples, 2000);
        assert!(a.p50_ci95.low <= a.p50 && a.p50 <= a.p50_ci95.high, "{a:?}");
        assert!(a.p95_ci95.low <= a.p95 && a.p95 <= a.p95_ci95.high, "{a:?}");
        assert!(a.p50_ci95.width() > 0.0);
        let other_seed = LatencyStats::compute(
            &x,
            &StatsOptions {
                bootstrap_seed: 10,
                ..Default::default()
            },
        )
        .unwrap();
        assert_ne!(a.p50_ci95, other_seed.p50_ci95);
    }

    #[test]
    fn more_runs_narrow_the_interval() {
        let mut rng = SplitMix64::new(5);
        let x: Vec<f64> = (0..2000).map(|_| 1.0 + rng.next_f64()).collect();
        let opts = StatsOptions::default();
        let small = LatencyStats::compute(&x[..20], &opts).unwrap();
        let large = LatencyStats::compute(&x, &opts).unwrap();
        assert!(large.p95_ci95.width() < small.p95_ci95.width());
    }

    #[test]
    fn bad_input_is_refused() {
        assert_eq!(
            LatencyStats::compute(&[], &StatsOptions::default()),
            Err(StatsError::Empty)
        );
        let e = LatencyStats::compute(&[1.0, f64::NAN], &StatsOptions::default()).unwrap_err();
        assert!(matches!(e, StatsError::NotFinite { index: 1, .. }));
    }

    #[test]
    fn single_sample() {
        let s = LatencyStats::compute(&[2.0], &StatsOptions::default()).unwrap();
        assert_eq!(
            (s.mean, s.std, s.p50, s.p95, s.p99, s.outliers),
            (2.0, 0.0, 2.0, 2.0, 2.0, 0)
        );
        assert_eq!(
            s.p95_ci95,
            Interval {
                low: 2.0,
                high: 2.0
            }
        );
    }
}
