//! Which runs at the start of a series are *cold*: slower because the caches,
//! the branch predictors, the allocator and (in a browser) the compiler have
//! not settled yet. The charts mark them from the data, by one stated rule,
//! instead of by a fixed count:
//!
//! > The cold runs are the runs at the start that each lie above the upper
//! > edge of the steady band: Q3 + 1.5 × IQR of the series' second half.
//!
//! The edge is the box plot's upper whisker rule (Tukey's fence) applied to
//! the later runs, so a student who can read a box plot can check the marks.
//! A series shorter than [`MIN_RUNS`] has no steady part to compare with,
//! and nothing in it is marked.

use crate::stats::{percentile, PercentileMethod};

/// The shortest series the rule judges.
pub const MIN_RUNS: usize = 8;

/// The upper edge of the steady band: Q3 + 1.5 × IQR of the later half of
/// `latencies_ms`, or `None` for a series shorter than [`MIN_RUNS`].
pub fn steady_upper_ms(latencies_ms: &[f64]) -> Option<f64> {
    if latencies_ms.len() < MIN_RUNS {
        return None;
    }
    let mut later = latencies_ms[latencies_ms.len() / 2..].to_vec();
    later.sort_by(f64::total_cmp);
    let q1 = percentile(&later, 25.0, PercentileMethod::Linear);
    let q3 = percentile(&later, 75.0, PercentileMethod::Linear);
    Some(q3 + 1.5 * (q3 - q1))
}

/// A series' cold start, as the rule judges it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColdStart {
    /// How many runs at the start are cold (never more than the first
    /// half: the second half is the steady reference).
    pub runs: usize,
    /// The edge they lie above, from [`steady_upper_ms`].
    pub upper_ms: f64,
}

/// The cold start of `latencies_ms`, or `None` for a series shorter than
/// [`MIN_RUNS`].
pub fn judge(latencies_ms: &[f64]) -> Option<ColdStart> {
    let upper_ms = steady_upper_ms(latencies_ms)?;
    let runs = latencies_ms[..latencies_ms.len() / 2]
        .iter()
        .take_while(|&&x| x > upper_ms)
        .count();
    Some(ColdStart { runs, upper_ms })
}

/// How many runs at the start of `latencies_ms` are cold (see [`judge`]).
pub fn cold_runs(latencies_ms: &[f64]) -> usize {
    judge(latencies_ms).map_or(0, |c| c.runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A latency.csv as `piedge bench` and the lab write it.
    fn recorded(csv: &str) -> Vec<f64> {
        csv.lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
            .collect()
    }

    #[test]
    fn a_short_series_has_no_steady_part_and_nothing_is_cold() {
        assert_eq!(cold_runs(&[90.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0]), 0);
        assert_eq!(steady_upper_ms(&[1.0; 7]), None);
    }

    #[test]
    fn only_the_leading_runs_above_the_band_are_cold() {
        // Second half 5, 5, 6, 6, 6, 6: Q1 5.25, Q3 6, IQR 0.75, so the
        // edge is 6 + 1.125 = 7.125 ms. Runs 0 and 1 lie above it; run 2 does
        // not, so the slow run 3 is a hiccup, not part of the cold start.
        let series = [40.0, 9.0, 6.0, 8.0, 5.0, 6.0, 5.0, 5.0, 6.0, 6.0, 6.0, 6.0];
        assert_eq!(steady_upper_ms(&series), Some(7.125));
        assert_eq!(cold_runs(&series), 2);
    }

    /// Series recorded here (`tests/data/cold/`, 40 runs each, warmup 0
    /// unless named) with the counts numpy gives for the same rule
    /// (`np.percentile` on the second half, then the leading runs above).
    /// A browser's WebAssembly compiler takes more runs to settle than
    /// native code: the fixed count of three the charts used to mark was
    /// wrong both ways.
    #[test]
    fn recorded_series_have_the_cold_runs_numpy_finds() {
        for (csv, edge, cold) in [
            (
                include_str!("../tests/data/cold/native-mobilenetv2-warmup0.csv"),
                0.7255,
                2,
            ),
            (
                include_str!("../tests/data/cold/native-tinycnn-warmup0.csv"),
                0.1663,
                3,
            ),
            (
                include_str!("../tests/data/cold/native-mobilenetv2-warmup10.csv"),
                0.9062,
                0,
            ),
            (
                include_str!("../tests/data/cold/chromium-mobilenetv2-warmup0.csv"),
                3.5706,
                5,
            ),
            (
                include_str!("../tests/data/cold/chromium-tinycnn-warmup0.csv"),
                1.2362,
                7,
            ),
        ] {
            let series = recorded(csv);
            let upper = steady_upper_ms(&series).unwrap();
            assert!((upper - edge).abs() < 5e-5, "edge {upper}, numpy {edge}");
            assert_eq!(cold_runs(&series), cold, "{}", &csv[..60]);
        }
    }

    #[test]
    fn at_most_the_first_half_is_cold() {
        let mut series = vec![50.0; 6];
        series.extend([5.0; 6]);
        assert_eq!(cold_runs(&series), 6);
    }
}
