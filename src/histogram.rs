//! Histogram binning as a plain data structure: the charts draw it, the web
//! lab tabulates it, and tests compare it with numpy's `np.histogram`.

use crate::stats::{percentile, PercentileMethod};
use serde::{Deserialize, Serialize};

/// How many bins to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BinRule {
    /// A fixed number of equal-width bins (the old lesson plotted 50).
    Count(usize),
    /// numpy's `bins="auto"`: the narrower of the Freedman–Diaconis and Sturges
    /// widths, capped at [`MAX_AUTO_BINS`] so a single far outlier cannot ask
    /// for thousands of empty bins.
    Auto,
}

/// Upper bound on the number of bins the automatic rule may choose.
pub const MAX_AUTO_BINS: usize = 200;

/// Equal-width bins over [min, max]; `edges.len() == counts.len() + 1`. As in
/// numpy, every bin is half-open except the last, which includes `max`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    pub edges: Vec<f64>,
    pub counts: Vec<u64>,
}

impl Histogram {
    /// Bins `data` (finite values). An empty slice gives one empty bin over
    /// [-0.5, 0.5] so callers never divide by zero.
    pub fn new(data: &[f64], rule: BinRule) -> Histogram {
        let (mut first, mut last) = data
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            });
        if data.is_empty() {
            (first, last) = (0.0, 0.0);
        }
        if first == last {
            first -= 0.5;
            last += 0.5;
        }
        let n_bins = match rule {
            BinRule::Count(n) => n.max(1),
            BinRule::Auto => auto_bin_count(data, first, last),
        };
        let edges = linspace(first, last, n_bins + 1);
        let mut counts = vec![0u64; n_bins];
        let norm = n_bins as f64 / (last - first);
        for &x in data {
            counts[bin_index(x, first, norm, &edges)] += 1;
        }
        Histogram { edges, counts }
    }

    /// Bins `data` into the given edges (ascending, at least two); values
    /// outside them are not counted.
    pub fn with_edges(data: &[f64], edges: &[f64]) -> Histogram {
        assert!(edges.len() >= 2, "at least one bin");
        let n_bins = edges.len() - 1;
        let (first, last) = (edges[0], edges[n_bins]);
        let mut counts = vec![0u64; n_bins];
        let norm = n_bins as f64 / (last - first);
        for &x in data.iter().filter(|&&x| x >= first && x <= last) {
            counts[bin_index(x, first, norm, edges)] += 1;
        }
        Histogram {
            edges: edges.to_vec(),
            counts,
        }
    }

    pub fn n_bins(&self) -> usize {
        self.counts.len()
    }

    pub fn bin_width(&self) -> f64 {
        self.edges[1] - self.edges[0]
    }

    pub fn max_count(&self) -> u64 {
        self.counts.iter().copied().max().unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// `(low edge, high edge, count)` for each bin.
    pub fn bins(&self) -> impl Iterator<Item = (f64, f64, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .map(|(i, &c)| (self.edges[i], self.edges[i + 1], c))
    }
}

/// numpy's "auto" estimator (`_hist_bin_auto`).
fn auto_bin_count(data: &[f64], first: f64, last: f64) -> usize {
    if data.len() < 2 {
        return 1;
    }
    let n = data.len() as f64;
    let mut sorted = data.to_vec();
    sorted.sort_by(f64::total_cmp);
    let ptp = sorted[sorted.len() - 1] - sorted[0];
    let sturges = ptp / (n.log2() + 1.0);
    let iqr = percentile(&sorted, 75.0, PercentileMethod::Linear)
        - percentile(&sorted, 25.0, PercentileMethod::Linear);
    let fd = 2.0 * iqr * n.powf(-1.0 / 3.0);
    let width = if fd > 0.0 { fd.min(sturges) } else { sturges };
    if width > 0.0 {
        (((last - first) / width).ceil() as usize).clamp(1, MAX_AUTO_BINS)
    } else {
        1
    }
}

/// numpy's `linspace`: `start + i * step`, with the last point set exactly.
fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    let step = (stop - start) / (num - 1) as f64;
    let mut v: Vec<f64> = (0..num).map(|i| start + i as f64 * step).collect();
    v[num - 1] = stop;
    v
}

/// The bin of `x`, computed the way numpy does: a scaled guess, then a
/// correction against the actual edges so rounding cannot misplace a value.
fn bin_index(x: f64, first: f64, norm: f64, edges: &[f64]) -> usize {
    let n_bins = edges.len() - 1;
    let mut i = (((x - first) * norm) as usize).min(n_bins - 1);
    if x < edges[i] && i > 0 {
        i -= 1;
    } else if i + 1 < n_bins && x >= edges[i + 1] {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(data: &[f64], rule: BinRule, edges: &[f64], counts: &[u64]) {
        let h = Histogram::new(data, rule);
        assert_eq!(h.counts, counts, "counts for {data:?}");
        assert_eq!(
            h.edges.len(),
            edges.len(),
            "edges for {data:?}: {:?}",
            h.edges
        );
        for (a, b) in h.edges.iter().zip(edges) {
            assert!(
                (a - b).abs() < 1e-12,
                "edges for {data:?}: {:?} vs {edges:?}",
                h.edges
            );
        }
        assert_eq!(h.total(), data.len() as u64);
    }

    // Expected values from numpy 2.4.6: np.histogram(x, bins=...).
    #[test]
    fn fixed_counts_match_numpy() {
        let x = [1.0, 2.0, 2.0, 3.0, 4.0];
        check(&x, BinRule::Count(3), &[1.0, 2.0, 3.0, 4.0], &[1, 2, 2]);
        check(&x, BinRule::Count(1), &[1.0, 4.0], &[5]);
        check(&[5.0, 5.0], BinRule::Count(2), &[4.5, 5.0, 5.5], &[0, 2]);
        check(
            &[0.1, 0.2, 0.3],
            BinRule::Count(3),
            &[0.1, 0.16666666666666669, 0.23333333333333334, 0.3],
            &[1, 1, 1],
        );
    }

    // np.histogram_bin_edges(z, bins="auto") for
    // z = [2.5, 1.25, 9.0, 3.5, 3.75, 4.0, 1.0, 2.0, 8.5, 3.0] -> 5 bins;
    // np.histogram(z, bins="auto")[0] -> [4, 4, 0, 0, 2].
    #[test]
    fn auto_rule_matches_numpy() {
        let z = [2.5, 1.25, 9.0, 3.5, 3.75, 4.0, 1.0, 2.0, 8.5, 3.0];
        check(
            &z,
            BinRule::Auto,
            &[1.0, 2.6, 4.2, 5.8, 7.4, 9.0],
            &[4, 4, 0, 0, 2],
        );
    }

    #[test]
    fn auto_rule_is_capped() {
        let mut data = vec![1.0; 1000];
        for (i, v) in data.iter_mut().enumerate() {
            *v += i as f64 * 1e-6;
        }
        data.push(1e6);
        let h = Histogram::new(&data, BinRule::Auto);
        assert_eq!(h.n_bins(), MAX_AUTO_BINS);
        assert_eq!(h.total(), 1001);
    }

    #[test]
    fn given_edges() {
        let h = Histogram::with_edges(&[0.5, 1.5, 1.5, 2.0, 9.0], &[0.0, 1.0, 2.0]);
        assert_eq!(h.counts, vec![1, 3]);
    }

    #[test]
    fn empty_data_gives_one_empty_bin() {
        let h = Histogram::new(&[], BinRule::Auto);
        assert_eq!(h.counts, vec![0]);
        assert_eq!(h.edges, vec![-0.5, 0.5]);
    }
}
