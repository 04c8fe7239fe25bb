//! The statistics as text, written once: the summary file, the chart's
//! statistics panel, the CLI's printout and the lab's table all take their
//! numbers from [`stat_lines`], so a p95 reads the same, to the same digits,
//! wherever a student meets it.

use crate::stats::{Interval, LatencyStats};

/// One statistic: a stable key (for tests and `data-stat`), the label the
/// lesson uses, and the value as text (milliseconds to three decimals).
#[derive(Clone, Debug, PartialEq)]
pub struct StatLine {
    pub key: &'static str,
    pub label: &'static str,
    pub value: String,
    /// The bootstrap 95 % interval, for the two percentiles that have one.
    pub ci95: Option<String>,
}

/// The lesson's statistics in the order the old summary file lists them:
/// mean, std, min, max, p50, p95, p99 (milliseconds).
pub fn stat_lines(s: &LatencyStats) -> Vec<StatLine> {
    let line = |key, label, value: f64, ci: Option<&Interval>| StatLine {
        key,
        label,
        value: ms(value),
        ci95: ci.map(|c| format!("{}..{}", ms(c.low), ms(c.high))),
    };
    vec![
        line("mean", "Mean", s.mean, None),
        line("std", "Std", s.std, None),
        line("min", "Min", s.min, None),
        line("max", "Max", s.max, None),
        line("p50", "P50", s.p50, Some(&s.p50_ci95)),
        line("p95", "P95", s.p95, Some(&s.p95_ci95)),
        line("p99", "P99", s.p99, None),
    ]
}

/// A latency in milliseconds as every report writes it.
pub fn ms(x: f64) -> String {
    format!("{x:.3}")
}

/// The coefficient of variation as a percentage, "3.2 %".
pub fn cv_percent(s: &LatencyStats) -> String {
    format!("{:.1} %", s.cv * 100.0)
}

impl StatLine {
    /// `Mean: 0.493`, the label padded so that the values line up.
    pub fn aligned(&self) -> String {
        format!("{:<6}{}", format!("{}:", self.label), self.value)
    }

    /// As [`aligned`](Self::aligned), with the interval after it where
    /// there is one: `P50:  0.490  (95% CI 0.481..0.509)`.
    pub fn aligned_with_ci(&self) -> String {
        match &self.ci95 {
            Some(ci) => format!("{}  (95% CI {ci})", self.aligned()),
            None => self.aligned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::StatsOptions;

    #[test]
    fn lines_follow_the_old_summary_order_and_digits() {
        let s = LatencyStats::compute(&[1.0, 2.0, 3.0, 4.0], &StatsOptions::default()).unwrap();
        let lines = stat_lines(&s);
        let keys: Vec<_> = lines.iter().map(|l| l.key).collect();
        assert_eq!(keys, ["mean", "std", "min", "max", "p50", "p95", "p99"]);
        assert_eq!(lines[0].aligned(), "Mean: 2.500");
        assert_eq!(lines[1].aligned(), "Std:  1.118");
        assert_eq!(lines[4].value, "2.500");
        assert!(lines[4]
            .aligned_with_ci()
            .starts_with("P50:  2.500  (95% CI "));
        assert_eq!(lines[6].aligned_with_ci(), "P99:  3.970");
        assert_eq!(cv_percent(&s), "44.7 %");
    }
}
