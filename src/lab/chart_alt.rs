//! The charts' text alternatives: what each canvas shows, as the numbers a
//! screen reader reads out (its `aria-label`). They are computed from the
//! same data and the same rules as the drawing (`crate::charts`), so the
//! words cannot say something the picture does not.

use crate::charts::{whiskers, BoxSeries};
use crate::histogram::Histogram;
use crate::lab::Lang;
use crate::report::ms;
use crate::stats::LatencyStats;

/// At most this many bins are read out; beyond it, the fullest ones.
const MAX_BINS_READ: usize = 12;

/// The histogram: its range, the mean/p50/p95 lines, and its bars.
pub fn histogram(lang: Lang, hist: &Histogram, stats: &LatencyStats) -> String {
    let bins: Vec<(f64, f64, u64)> = hist.bins().filter(|b| b.2 > 0).collect();
    let (read, all) = fullest(&bins);
    let bars = read
        .iter()
        .map(|(lo, hi, n)| format!("{}–{}: {n}", ms(*lo), ms(*hi)))
        .collect::<Vec<_>>()
        .join("; ");
    let (min, max, mean, p50, p95) = (
        ms(stats.min),
        ms(stats.max),
        ms(stats.mean),
        ms(stats.p50),
        ms(stats.p95),
    );
    let (n, bins_n) = (stats.n, hist.n_bins());
    match (lang, all) {
        (Lang::Sv, true) => format!(
            "Latensfördelning: {n} körningar från {min} till {max} ms i {bins_n} staplar. \
             Medelvärde {mean} ms, P50 {p50} ms, P95 {p95} ms. Staplar (ms: körningar): {bars}."
        ),
        (Lang::Sv, false) => format!(
            "Latensfördelning: {n} körningar från {min} till {max} ms i {bins_n} staplar. \
             Medelvärde {mean} ms, P50 {p50} ms, P95 {p95} ms. De {} högsta staplarna (ms: körningar): {bars}.",
            read.len()
        ),
        (Lang::En, true) => format!(
            "Latency distribution: {n} runs from {min} to {max} ms in {bins_n} bins. \
             Mean {mean} ms, P50 {p50} ms, P95 {p95} ms. Bins (ms: runs): {bars}."
        ),
        (Lang::En, false) => format!(
            "Latency distribution: {n} runs from {min} to {max} ms in {bins_n} bins. \
             Mean {mean} ms, P50 {p50} ms, P95 {p95} ms. The {} fullest bins (ms: runs): {bars}.",
            read.len()
        ),
    }
}

/// The non-empty bins to read out, in order of latency, and whether that is
/// all of them.
fn fullest(bins: &[(f64, f64, u64)]) -> (Vec<(f64, f64, u64)>, bool) {
    if bins.len() <= MAX_BINS_READ {
        return (bins.to_vec(), true);
    }
    let mut by_count: Vec<usize> = (0..bins.len()).collect();
    by_count.sort_by_key(|&i| std::cmp::Reverse(bins[i].2));
    let mut keep: Vec<usize> = by_count[..MAX_BINS_READ].to_vec();
    keep.sort_unstable();
    (keep.into_iter().map(|i| bins[i]).collect(), false)
}

/// Box plots: per run, the box, the median, the whiskers, p95 and how many
/// runs lie beyond the whiskers.
pub fn boxes(lang: Lang, series: &[BoxSeries]) -> String {
    let parts: Vec<String> = series
        .iter()
        .map(|s| {
            let st = s.stats;
            let (w_lo, w_hi) = whiskers(s.latencies_ms, st);
            let (q1, q3, p50, p95, lo, hi) = (
                ms(st.q1),
                ms(st.q3),
                ms(st.p50),
                ms(st.p95),
                ms(w_lo),
                ms(w_hi),
            );
            let name = s.label;
            let out = match lang {
                Lang::Sv => counted(st.outliers, "körning", "körningar"),
                Lang::En => counted(st.outliers, "run", "runs"),
            };
            match lang {
                Lang::Sv => format!(
                    "{name}: lådan från {q1} till {q3} ms (Q1–Q3), median {p50} ms, \
                     morrhår från {lo} till {hi} ms, P95 {p95} ms, {out} utanför morrhåren"
                ),
                Lang::En => format!(
                    "{name}: box from {q1} to {q3} ms (Q1–Q3), median {p50} ms, \
                     whiskers from {lo} to {hi} ms, P95 {p95} ms, {out} beyond the whiskers"
                ),
            }
        })
        .collect();
    let title = match lang {
        Lang::Sv => "Lådagram för latens",
        Lang::En => "Latency box plot",
    };
    format!("{title}. {}.", parts.join(". "))
}

/// Latency per run: the warmup runs, the timed runs' range and mean, the
/// first timed run and the slowest, numbered as on the chart's axis (from 0,
/// warmup runs first).
pub fn series(lang: Lang, warmup_ms: &[f64], latencies_ms: &[f64]) -> String {
    let w = warmup_ms.len();
    let range = |xs: &[f64]| {
        xs.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            })
    };
    let warm = if w == 0 {
        String::new()
    } else {
        let (lo, hi) = range(warmup_ms);
        let (lo, hi) = (ms(lo), ms(hi));
        match lang {
            Lang::Sv => format!(
                "{} från {lo} till {hi} ms, sedan ",
                counted(w, "uppvärmningskörning", "uppvärmningskörningar")
            ),
            Lang::En => format!(
                "{} from {lo} to {hi} ms, then ",
                counted(w, "warmup run", "warmup runs")
            ),
        }
    };
    let Some(&first) = latencies_ms.first() else {
        return match lang {
            Lang::Sv => "Latens per körning: inga tidtagna körningar ännu.".into(),
            Lang::En => "Latency per run: no timed runs yet.".into(),
        };
    };
    let n = latencies_ms.len();
    let (lo, hi) = range(latencies_ms);
    let slowest = latencies_ms.iter().position(|&x| x == hi).unwrap_or(0) + w;
    let mean = latencies_ms.iter().sum::<f64>() / n as f64;
    let (lo, hi, mean, first) = (ms(lo), ms(hi), ms(mean), ms(first));
    let timed = match lang {
        Lang::Sv => counted(n, "tidtagen körning", "tidtagna körningar"),
        Lang::En => counted(n, "timed run", "timed runs"),
    };
    let cold = match (crate::cold::judge(latencies_ms), lang) {
        (Some(c), Lang::Sv) if c.runs > 0 => format!(
            " {} i början: över {} ms, den stabila nivåns övre gräns.",
            counted(c.runs, "kall körning", "kalla körningar"),
            ms(c.upper_ms)
        ),
        (Some(c), Lang::En) if c.runs > 0 => format!(
            " {} at the start: above {} ms, the upper edge of the steady band.",
            counted(c.runs, "cold run", "cold runs"),
            ms(c.upper_ms)
        ),
        _ => String::new(),
    };
    match lang {
        Lang::Sv => format!(
            "Latens per körning: {warm}{timed} från {lo} till {hi} ms, medelvärde {mean} ms. \
             Den första tidtagna körningen tog {first} ms; den långsammaste är körning {slowest}, {hi} ms.{cold}"
        ),
        Lang::En => format!(
            "Latency per run: {warm}{timed} from {lo} to {hi} ms, mean {mean} ms. \
             The first timed run took {first} ms; the slowest is run {slowest}, {hi} ms.{cold}"
        ),
    }
}

/// "1 run", "2 runs".
fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Compared distributions: per run its count, range, p50 and p95.
pub fn compared(lang: Lang, series: &[BoxSeries]) -> String {
    let parts: Vec<String> = series
        .iter()
        .map(|s| {
            let st = s.stats;
            let (name, n, min, max, p50, p95) = (
                s.label,
                st.n,
                ms(st.min),
                ms(st.max),
                ms(st.p50),
                ms(st.p95),
            );
            match lang {
                Lang::Sv => {
                    format!("{name}: {n} körningar från {min} till {max} ms, P50 {p50} ms, P95 {p95} ms")
                }
                Lang::En => {
                    format!("{name}: {n} runs from {min} to {max} ms, P50 {p50} ms, P95 {p95} ms")
                }
            }
        })
        .collect();
    let title = match lang {
        Lang::Sv => "Latensfördelningarna jämförda, som andel av varje mätnings körningar",
        Lang::En => "The latency distributions compared, as shares of each measurement's runs",
    };
    format!("{title}. {}.", parts.join(". "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::histogram::BinRule;
    use crate::stats::StatsOptions;

    // Five runs worked out by hand (numpy's linear percentiles): sorted
    // 1, 2, 3, 4, 100; Q1 2, median 3, Q3 4, IQR 2, fences -1 and 7, so the
    // whiskers end at 1 and 4 and one run (100) lies beyond them; P95 is
    // 4 + 0.8 × 96 = 80.8; the mean is 110 / 5 = 22.
    const RUNS: [f64; 5] = [3.0, 1.0, 100.0, 2.0, 4.0];

    fn stats() -> LatencyStats {
        let options = StatsOptions {
            bootstrap_resamples: Some(0),
            ..Default::default()
        };
        LatencyStats::compute(&RUNS, &options).unwrap()
    }

    #[test]
    fn the_box_plot_reads_out_the_box_the_whiskers_and_the_runs_beyond() {
        let st = stats();
        let series = [BoxSeries {
            label: "tinycnn.onnx",
            latencies_ms: &RUNS,
            stats: &st,
        }];
        assert_eq!(
            boxes(Lang::En, &series),
            "Latency box plot. tinycnn.onnx: box from 2.000 to 4.000 ms (Q1–Q3), median 3.000 ms, \
             whiskers from 1.000 to 4.000 ms, P95 80.800 ms, 1 run beyond the whiskers."
        );
        assert!(boxes(Lang::Sv, &series)
            .contains("morrhår från 1.000 till 4.000 ms, P95 80.800 ms, 1 körning utanför"));
    }

    #[test]
    fn the_histogram_reads_out_its_lines_and_every_bar() {
        let st = stats();
        // Two bins over [1, 100]: 1–50.5 holds four runs, 50.5–100 one.
        let hist = Histogram::new(&RUNS, BinRule::Count(2));
        assert_eq!(
            histogram(Lang::En, &hist, &st),
            "Latency distribution: 5 runs from 1.000 to 100.000 ms in 2 bins. \
             Mean 22.000 ms, P50 3.000 ms, P95 80.800 ms. Bins (ms: runs): 1.000–50.500: 4; 50.500–100.000: 1."
        );
    }

    #[test]
    fn a_histogram_with_many_bars_reads_out_the_fullest_in_order() {
        // 30 bins: bin i holds i + 1 runs, so the fullest twelve are the last.
        let data: Vec<f64> = (0..30)
            .flat_map(|i| std::iter::repeat_n(i as f64 + 0.5, i + 1))
            .collect();
        let edges: Vec<f64> = (0..=30).map(|i| i as f64).collect();
        let hist = Histogram::with_edges(&data, &edges);
        let st = LatencyStats::compute(
            &data,
            &StatsOptions {
                bootstrap_resamples: Some(0),
                ..Default::default()
            },
        )
        .unwrap();
        let text = histogram(Lang::En, &hist, &st);
        assert!(
            text.ends_with("The 12 fullest bins (ms: runs): 18.000–19.000: 19; 19.000–20.000: 20; 20.000–21.000: 21; 21.000–22.000: 22; 22.000–23.000: 23; 23.000–24.000: 24; 24.000–25.000: 25; 25.000–26.000: 26; 26.000–27.000: 27; 27.000–28.000: 28; 28.000–29.000: 29; 29.000–30.000: 30."),
            "{text}"
        );
    }

    #[test]
    fn the_series_numbers_runs_as_the_axis_does_warmup_first() {
        assert_eq!(
            series(Lang::En, &[9.0, 7.0], &RUNS),
            "Latency per run: 2 warmup runs from 7.000 to 9.000 ms, then 5 timed runs from 1.000 to 100.000 ms, \
             mean 22.000 ms. The first timed run took 3.000 ms; the slowest is run 4, 100.000 ms."
        );
        assert_eq!(
            series(Lang::Sv, &[4.0], &[2.0]),
            "Latens per körning: 1 uppvärmningskörning från 4.000 till 4.000 ms, sedan 1 tidtagen körning från 2.000 \
             till 2.000 ms, medelvärde 2.000 ms. Den första tidtagna körningen tog 2.000 ms; den långsammaste är körning 1, 2.000 ms."
        );
        assert_eq!(
            series(Lang::Sv, &[], &[]),
            "Latens per körning: inga tidtagna körningar ännu."
        );
    }

    #[test]
    fn the_series_names_its_cold_runs_and_the_edge_they_cross() {
        // The series of `cold::tests`: edge 7.125 ms, two cold runs.
        let series = [40.0, 9.0, 6.0, 8.0, 5.0, 6.0, 5.0, 5.0, 6.0, 6.0, 6.0, 6.0];
        assert!(series_text_ends(
            Lang::En,
            &series,
            " 2 cold runs at the start: above 7.125 ms, the upper edge of the steady band."
        ));
        assert!(series_text_ends(
            Lang::Sv,
            &series,
            " 2 kalla körningar i början: över 7.125 ms, den stabila nivåns övre gräns."
        ));
    }

    fn series_text_ends(lang: Lang, latencies: &[f64], end: &str) -> bool {
        let text = series(lang, &[], latencies);
        assert!(text.ends_with(end), "{text}");
        true
    }

    #[test]
    fn compared_runs_are_read_out_one_by_one() {
        let st = stats();
        let one = BoxSeries {
            label: "a",
            latencies_ms: &RUNS,
            stats: &st,
        };
        let two = BoxSeries { label: "b", ..one };
        let text = compared(Lang::Sv, &[one, two]);
        assert!(text.starts_with("Latensfördelningarna jämförda"));
        assert!(text.contains(
            "a: 5 körningar från 1.000 till 100.000 ms, P50 3.000 ms, P95 80.800 ms. b: 5 körningar"
        ));
    }
}
