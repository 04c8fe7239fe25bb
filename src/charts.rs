//! The lesson's charts, drawn once and rendered anywhere: every function takes
//! a plotters `DrawingArea` over any `DrawingBackend`. The CLI passes a bitmap
//! and encodes a PNG ([`dashboard_png`]); the web lab passes a canvas.
//!
//! - [`draw_histogram`]: latency histogram with mean, p50 and p95 lines.
//! - [`draw_boxplots`]: one or more box plots (Tukey whiskers, outliers, p95).
//! - [`draw_series`]: latency per run, warmup runs shaded and coloured apart.
//! - [`draw_stats_panel`]: the statistics as text.
//! - [`draw_dashboard`]: the four in a 2 × 2 grid, like the old lesson's plot.

use crate::histogram::Histogram;
use crate::report::{cv_percent, stat_lines, BenchmarkReport, StatLine};
use crate::stats::LatencyStats;
use crate::sysinfo::EnvSample;
use plotters::coord::Shift;
use plotters::prelude::*;

mod board;
pub use board::{draw_board, PI};

/// The words on the charts, so the lab can draw them in Swedish or English.
#[derive(Clone, Debug)]
pub struct ChartText {
    pub histogram_title: String,
    pub boxplot_title: String,
    pub series_title: String,
    pub stats_title: String,
    pub latency_axis: String,
    pub count_axis: String,
    pub run_axis: String,
    pub mean: String,
    pub warmup: String,
    pub timed: String,
    pub runs: String,
    pub system: String,
    pub cold: String,
    pub temperature_axis: String,
    /// Axis numbers with a decimal comma (Swedish) rather than a point.
    pub decimal_comma: bool,
}

impl ChartText {
    pub fn english() -> ChartText {
        ChartText {
            histogram_title: "Latency distribution".into(),
            boxplot_title: "Latency box plot".into(),
            series_title: "Latency per run".into(),
            stats_title: "Statistics (ms)".into(),
            latency_axis: "Latency (ms)".into(),
            count_axis: "Runs".into(),
            run_axis: "Run".into(),
            mean: "Mean".into(),
            warmup: "warmup".into(),
            timed: "timed".into(),
            runs: "Runs".into(),
            system: "System".into(),
            cold: "cold first runs".into(),
            temperature_axis: "SoC temperature (°C)".into(),
            decimal_comma: false,
        }
    }

    pub fn swedish() -> ChartText {
        ChartText {
            histogram_title: "Latensfördelning".into(),
            boxplot_title: "Lådagram för latens".into(),
            series_title: "Latens per körning".into(),
            stats_title: "Statistik (ms)".into(),
            latency_axis: "Latens (ms)".into(),
            count_axis: "Körningar".into(),
            run_axis: "Körning".into(),
            mean: "Medelvärde".into(),
            warmup: "uppvärmning".into(),
            timed: "tidtagna".into(),
            runs: "Körningar".into(),
            system: "System".into(),
            cold: "kalla första körningar".into(),
            temperature_axis: "SoC-temperatur (°C)".into(),
            decimal_comma: true,
        }
    }
}

impl ChartText {
    /// An axis number as plotters would print it, with a decimal comma
    /// when the language writes one (so English charts, and the CLI's PNG,
    /// stay exactly as they were).
    pub fn axis(&self, v: &f64) -> String {
        use plotters::coord::ranged1d::ValueFormatter;
        self.comma(<plotters::coord::types::RangedCoordf64 as ValueFormatter<
            f64,
        >>::format(v))
    }

    /// `text` with its decimal points as this language writes them.
    pub fn comma(&self, text: String) -> String {
        if self.decimal_comma {
            text.replace('.', ",")
        } else {
            text
        }
    }
}

/// A drawing failure, as text: backends have unrelated error types.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("could not draw the chart: {0}")]
pub struct ChartError(pub String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for ChartError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        ChartError(e.to_string())
    }
}

/// Colours shared by every chart, so a line means the same thing everywhere.
pub const BAR: RGBColor = RGBColor(70, 130, 180);
pub const MEAN: RGBColor = RGBColor(214, 39, 40);
pub const P50: RGBColor = RGBColor(44, 160, 44);
pub const P95: RGBColor = RGBColor(255, 127, 14);
pub const WARMUP: RGBColor = RGBColor(230, 120, 20);
pub const TEMPERATURE: RGBColor = RGBColor(148, 103, 189);
/// Colours for comparing several runs on one chart.
pub const SERIES: [RGBColor; 6] = [
    RGBColor(70, 130, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
];

const FONT: &str = "sans-serif";

/// Histogram of the timed runs with vertical mean, p50 and p95 lines.
pub fn draw_histogram<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    hist: &Histogram,
    stats: &LatencyStats,
    text: &ChartText,
) -> Result<(), ChartError> {
    let x0 = hist.edges[0];
    let x1 = *hist.edges.last().expect("a histogram has edges");
    let pad = (x1 - x0) * 0.05;
    let y_max = (hist.max_count() as f64 * 1.15).max(1.0);
    let mut chart = ChartBuilder::on(area)
        .caption(&text.histogram_title, (FONT, 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d((x0 - pad)..(x1 + pad), 0.0..y_max)?;
    chart
        .configure_mesh()
        .x_desc(&text.latency_axis)
        .y_desc(&text.count_axis)
        .x_labels(6)
        .x_label_formatter(&|x| text.axis(x))
        .y_labels((hist.max_count() as usize + 1).min(10))
        // Counts are whole numbers; leave fractional ticks unlabelled.
        .y_label_formatter(&|y| {
            if (y - y.round()).abs() < 1e-9 {
                format!("{y:.0}")
            } else {
                String::new()
            }
        })
        .light_line_style(BLACK.mix(0.05))
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()?;
    chart.draw_series(hist.bins().filter(|b| b.2 > 0).map(|(lo, hi, count)| {
        Rectangle::new([(lo, 0.0), (hi, count as f64)], BAR.mix(0.75).filled())
    }))?;
    for (name, value, color) in [
        (text.mean.as_str(), stats.mean, MEAN),
        ("P50", stats.p50, P50),
        ("P95", stats.p95, P95),
    ] {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(value, 0.0), (value, y_max)],
                8,
                5,
                color.stroke_width(2),
            ))?
            .label(format!("{name}: {value:.3} ms"))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight, 13)?;
    Ok(())
}

/// Several runs' histograms on shared bins, each as a translucent outline,
/// for comparing distributions.
pub fn draw_histogram_overlay<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    series: &[(&str, &[f64])],
    text: &ChartText,
) -> Result<(), ChartError> {
    let pooled: Vec<f64> = series.iter().flat_map(|(_, d)| d.iter().copied()).collect();
    let shared = Histogram::new(&pooled, crate::histogram::BinRule::Auto);
    let n_bins = shared.n_bins().min(60);
    let edges = Histogram::new(&pooled, crate::histogram::BinRule::Count(n_bins)).edges;
    let hists: Vec<Histogram> = series
        .iter()
        .map(|(_, d)| Histogram::with_edges(d, &edges))
        .collect();
    // Runs of different lengths are compared as shares of their runs.
    let shares: Vec<Vec<f64>> = hists
        .iter()
        .map(|h| {
            let total = h.total().max(1) as f64;
            h.counts.iter().map(|&c| c as f64 / total * 100.0).collect()
        })
        .collect();
    let y_max = shares
        .iter()
        .flatten()
        .copied()
        .fold(0.0, f64::max)
        .max(1.0)
        * 1.15;
    let (x0, x1) = (edges[0], edges[edges.len() - 1]);
    let pad = (x1 - x0) * 0.05;
    let mut chart = ChartBuilder::on(area)
        .caption(&text.histogram_title, (FONT, 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d((x0 - pad)..(x1 + pad), 0.0..y_max)?;
    chart
        .configure_mesh()
        .x_desc(&text.latency_axis)
        .y_desc("%")
        .x_labels(6)
        .x_label_formatter(&|x| text.axis(x))
        .y_label_formatter(&|y| text.axis(y))
        .light_line_style(BLACK.mix(0.05))
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()?;
    for (i, ((label, _), share)) in series.iter().zip(&shares).enumerate() {
        let color = SERIES[i % SERIES.len()];
        chart.draw_series(
            share
                .iter()
                .enumerate()
                .filter(|(_, &s)| s > 0.0)
                .map(|(b, &s)| {
                    Rectangle::new(
                        [(edges[b], 0.0), (edges[b + 1], s)],
                        color.mix(0.18).filled(),
                    )
                }),
        )?;
        let mut outline = vec![(edges[0], 0.0)];
        for (b, &s) in share.iter().enumerate() {
            outline.push((edges[b], s));
            outline.push((edges[b + 1], s));
        }
        outline.push((edges[edges.len() - 1], 0.0));
        chart
            .draw_series(LineSeries::new(outline, color.stroke_width(2)))?
            .label(label.to_string())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight, 13)?;
    Ok(())
}

/// One box of a box plot: a label and the run's latencies.
pub struct BoxSeries<'a> {
    pub label: &'a str,
    pub latencies_ms: &'a [f64],
    pub stats: &'a LatencyStats,
}

/// Where a box plot's whiskers end: at the furthest runs inside Tukey's
/// fences (the box itself when no run is inside them).
pub fn whiskers(latencies_ms: &[f64], stats: &LatencyStats) -> (f64, f64) {
    let inside = latencies_ms
        .iter()
        .copied()
        .filter(|&x| x >= stats.tukey_low && x <= stats.tukey_high);
    let (lo, hi) = inside.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    if lo.is_finite() {
        (lo, hi)
    } else {
        (stats.q1, stats.q3)
    }
}

/// Box plots side by side: box from q1 to q3, median line, whiskers to the
/// furthest run inside Tukey's fences, runs beyond them as circles, p95 as a
/// dashed orange tick and the mean as a cross.
pub fn draw_boxplots<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    series: &[BoxSeries],
    text: &ChartText,
) -> Result<(), ChartError> {
    let (lo, hi) = series
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), s| {
            (lo.min(s.stats.min), hi.max(s.stats.max))
        });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let pad = ((hi - lo) * 0.08).max(hi.abs() * 0.01).max(1e-6);
    let n = series.len().max(1) as f64;
    let names: Vec<&str> = series.iter().map(|s| s.label).collect();
    let (width_px, height_px) = area.dim_in_pixel();
    let (labels, numbered) = box_axis_labels(&names, (width_px as f64 - 80.0) / n);
    // A legend sits in the top left corner: raise the top of the scale by
    // its height so that it covers no box.
    let top = if numbered {
        let plot_px = (height_px as f64 - 90.0).max(40.0);
        let legend_px = 16.0 * n + 14.0;
        let span = hi - lo + 2.0 * pad;
        span * (legend_px / (plot_px - legend_px).max(20.0))
    } else {
        0.0
    };
    let mut chart = ChartBuilder::on(area)
        .caption(&text.boxplot_title, (FONT, 20))
        .margin(10)
        .x_label_area_size(if series.len() > 1 { 40 } else { 10 })
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..n, (lo - pad)..(hi + pad + top))?;
    chart
        .configure_mesh()
        .y_desc(&text.latency_axis)
        .y_label_formatter(&|y| text.axis(y))
        .disable_x_mesh()
        .x_labels(series.len().max(1) * 2 + 1)
        .x_label_formatter(&|x| {
            let i = x.floor() as usize;
            if (x - i as f64 - 0.5).abs() < 1e-9 && i < labels.len() {
                labels[i].clone()
            } else {
                String::new()
            }
        })
        .light_line_style(BLACK.mix(0.05))
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()?;
    for (i, s) in series.iter().enumerate() {
        let color = if series.len() == 1 {
            BAR
        } else {
            SERIES[i % SERIES.len()]
        };
        let center = i as f64 + 0.5;
        let (left, right) = (center - 0.25, center + 0.25);
        let st = s.stats;
        let (w_lo, w_hi) = whiskers(s.latencies_ms, st);
        let boxes = chart.draw_series([Rectangle::new(
            [(left, st.q1), (right, st.q3)],
            color.mix(0.35).filled(),
        )])?;
        if numbered {
            // The axis says "1", "2", ...; the legend says which run each is.
            boxes
                .label(format!("{} {}", i + 1, s.label))
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled())
                });
        }
        chart.draw_series([Rectangle::new(
            [(left, st.q1), (right, st.q3)],
            color.stroke_width(2),
        )])?;
        let line = |pts: Vec<(f64, f64)>, c: RGBColor| PathElement::new(pts, c.stroke_width(2));
        chart.draw_series([
            line(vec![(left, st.p50), (right, st.p50)], P50),
            line(vec![(center, st.q3), (center, w_hi)], BLACK),
            line(vec![(center, st.q1), (center, w_lo)], BLACK),
            line(vec![(center - 0.12, w_hi), (center + 0.12, w_hi)], BLACK),
            line(vec![(center - 0.12, w_lo), (center + 0.12, w_lo)], BLACK),
        ])?;
        chart.draw_series(DashedLineSeries::new(
            vec![(left - 0.08, st.p95), (right + 0.08, st.p95)],
            6,
            4,
            P95.stroke_width(2),
        ))?;
        chart.draw_series(
            s.latencies_ms
                .iter()
                .filter(|&&x| x < st.tukey_low || x > st.tukey_high)
                .map(|&x| Circle::new((center, x), 4, MEAN.stroke_width(1))),
        )?;
        chart.draw_series([Cross::new((center, st.mean), 5, MEAN.stroke_width(2))])?;
    }
    if numbered {
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, 12)?;
    }
    Ok(())
}

/// Every chart's legend: a light card with a thin border, at `position`.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    font_px: u32,
) -> Result<(), ChartError> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, font_px))
        .draw()?;
    Ok(())
}

/// The box plot's axis labels: the runs' names where each fits under its
/// box (at 13 px, about 7.5 px a character), else "1", "2", ... with a
/// legend, so that three long run names never overlap at 360 px. One run
/// needs no label (the title names it).
pub fn box_axis_labels(names: &[&str], slot_px: f64) -> (Vec<String>, bool) {
    if names.len() <= 1 {
        return (vec![String::new(); names.len()], false);
    }
    let fits = names
        .iter()
        .all(|n| n.chars().count() as f64 * 7.5 <= slot_px * 0.95);
    if fits {
        (names.iter().map(|n| n.to_string()).collect(), false)
    } else {
        ((1..=names.len()).map(|i| i.to_string()).collect(), true)
    }
}

/// What [`draw_series`] marks besides the latencies.
#[derive(Clone, Copy, Debug, Default)]
pub struct SeriesMarks<'a> {
    /// SoC temperature samples, drawn against a second axis on the right so
    /// that thermal throttling can be seen lining up with latency.
    pub env: &'a [EnvSample],
}

/// Latency of every run in order: warmup runs first (shaded, orange), then
/// the timed runs (blue) with the timed mean as a dashed line.
pub fn draw_series<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    warmup_ms: &[f64],
    latencies_ms: &[f64],
    stats: &LatencyStats,
    marks: &SeriesMarks,
    text: &ChartText,
) -> Result<(), ChartError> {
    let w = warmup_ms.len();
    let total = w + latencies_ms.len();
    let (lo, hi) = warmup_ms
        .iter()
        .chain(latencies_ms)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let pad = ((hi - lo) * 0.08).max(hi.abs() * 0.01).max(1e-6);
    let temps: Vec<(f64, f64)> = marks
        .env
        .iter()
        .filter_map(|e| e.soc_temp_c.map(|t| (e.after_runs as f64 - 0.5, t)))
        .collect();
    let (t_lo, t_hi) = temps
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &(_, t)| {
            (a.min(t), b.max(t))
        });
    let (t_lo, t_hi) = if temps.is_empty() {
        (0.0, 1.0)
    } else {
        (t_lo - 2.0, t_hi + 2.0)
    };
    let x_range = -0.5..(total.max(1) as f64 - 0.5);
    let mut chart = ChartBuilder::on(area)
        .caption(&text.series_title, (FONT, 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .right_y_label_area_size(if temps.is_empty() { 0 } else { 50 })
        .build_cartesian_2d(x_range.clone(), (lo - pad).max(0.0)..(hi + pad))?
        .set_secondary_coord(x_range, t_lo..t_hi);
    chart
        .configure_mesh()
        .x_desc(&text.run_axis)
        .y_desc(&text.latency_axis)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| text.axis(y))
        .light_line_style(BLACK.mix(0.05))
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()?;
    if w > 0 {
        chart
            .draw_series([Rectangle::new(
                [(-0.5, (lo - pad).max(0.0)), (w as f64 - 0.5, hi + pad)],
                WARMUP.mix(0.12).filled(),
            )])?
            .label(format!("{} ({w})", text.warmup))
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 5), (x + 20, y + 5)], WARMUP.mix(0.4).filled())
            });
        chart.draw_series(LineSeries::new(
            warmup_ms.iter().enumerate().map(|(i, &v)| (i as f64, v)),
            WARMUP.stroke_width(2),
        ))?;
        chart.draw_series(
            warmup_ms
                .iter()
                .enumerate()
                .map(|(i, &v)| Circle::new((i as f64, v), 3, WARMUP.filled())),
        )?;
    }
    let timed: Vec<(f64, f64)> = latencies_ms
        .iter()
        .enumerate()
        .map(|(i, &v)| ((w + i) as f64, v))
        .collect();
    chart
        .draw_series(LineSeries::new(timed.iter().copied(), BAR.stroke_width(1)))?
        .label(format!("{} ({})", text.timed, latencies_ms.len()))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BAR.stroke_width(2)));
    if timed.len() <= 500 {
        chart.draw_series(timed.iter().map(|&p| Circle::new(p, 2, BAR.filled())))?;
    }
    // The cold runs at the start of the timed runs, by the rule in
    // `crate::cold` (after a warmup too: it may not have been enough).
    let cold = crate::cold::cold_runs(latencies_ms);
    if cold > 0 {
        chart
            .draw_series(
                timed[..cold]
                    .iter()
                    .map(|&p| Circle::new(p, 5, WARMUP.filled())),
            )?
            .label(format!("{} ({cold})", text.cold))
            .legend(|(x, y)| Circle::new((x + 10, y), 5, WARMUP.filled()));
    }
    chart
        .draw_series(DashedLineSeries::new(
            vec![
                (w as f64 - 0.5, stats.mean),
                (total as f64 - 0.5, stats.mean),
            ],
            8,
            5,
            MEAN.stroke_width(2),
        ))?
        .label(format!("{}: {:.3} ms", text.mean, stats.mean))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], MEAN.stroke_width(2)));
    if !temps.is_empty() {
        chart
            .configure_secondary_axes()
            .y_desc(&text.temperature_axis)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .draw()?;
        chart
            .draw_secondary_series(LineSeries::new(
                temps.iter().copied(),
                TEMPERATURE.stroke_width(2),
            ))?
            .label(text.temperature_axis.clone())
            .legend(|(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], TEMPERATURE.stroke_width(2))
            });
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight, 13)?;
    Ok(())
}

/// The lines of the statistics panel.
pub fn stats_panel_lines(report: &BenchmarkReport, text: &ChartText) -> Vec<String> {
    let s = &report.statistics;
    let mut lines = vec![text.stats_title.clone()];
    lines.extend(stat_lines(s).iter().map(StatLine::aligned_with_ci));
    lines.extend([
        format!("CV:   {}   outliers: {}", cv_percent(s), s.outliers),
        String::new(),
        format!("{}: {}", text.system, report.system_info.device),
        format!(
            "{}: {} (warmup {})",
            text.runs, s.n, report.benchmark_config.warmup_runs
        ),
        format!("Model: {}", report.model_name()),
        format!("Engine: {} {}", report.engine.name, report.engine.version),
    ]);
    lines
}

/// The statistics as text on a light grey card.
pub fn draw_stats_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    lines: &[String],
) -> Result<(), ChartError> {
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let line_height = (h / (lines.len() as i32 + 3)).clamp(12, 30);
    let font_size = (line_height as f64 * 0.75).max(10.0);
    let block = line_height * lines.len() as i32;
    let top = ((h - block) / 2).max(10);
    let left = w / 10;
    area.draw(&Rectangle::new(
        [(left - 16, top - 16), (w - left + 16, top + block + 8)],
        RGBColor(235, 235, 235).filled(),
    ))?;
    for (i, line) in lines.iter().enumerate() {
        area.draw(&Text::new(
            line.clone(),
            (left, top + i as i32 * line_height),
            (FONT, font_size).into_font().color(&BLACK),
        ))?;
    }
    Ok(())
}

/// The old lesson's 2 × 2 figure: histogram, box plot, series, statistics.
pub fn draw_dashboard<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &BenchmarkReport,
    hist: &Histogram,
    text: &ChartText,
) -> Result<(), ChartError> {
    root.fill(&WHITE)?;
    let areas = root.split_evenly((2, 2));
    let stats = &report.statistics;
    draw_histogram(&areas[0], hist, stats, text)?;
    draw_boxplots(
        &areas[1],
        &[BoxSeries {
            label: report.model_name(),
            latencies_ms: &report.raw_latencies,
            stats,
        }],
        text,
    )?;
    let marks = SeriesMarks {
        env: &report.env_samples,
    };
    draw_series(
        &areas[2],
        &report.warmup_latencies,
        &report.raw_latencies,
        stats,
        &marks,
        text,
    )?;
    draw_stats_panel(&areas[3], &stats_panel_lines(report, text))?;
    root.present()?;
    Ok(())
}

/// Renders [`draw_dashboard`] to PNG bytes (`latency_plot.png`). Native only:
/// in the browser the canvas itself is exported.
#[cfg(not(target_arch = "wasm32"))]
pub fn dashboard_png(
    report: &BenchmarkReport,
    hist: &Histogram,
    text: &ChartText,
    (width, height): (u32, u32),
) -> Result<Vec<u8>, ChartError> {
    register_font()?;
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        draw_dashboard(&root, report, hist, text)?;
    }
    encode_png(&rgb, width, height)
}

#[cfg(not(target_arch = "wasm32"))]
fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    use image::ImageEncoder;
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(rgb, width, height, image::ColorType::Rgb8)
        .map_err(|e| ChartError(e.to_string()))?;
    Ok(png)
}

/// The bitmap backend draws text with fonts registered by name; the engine
/// carries DejaVu Sans so charts look the same on a Pi with no fonts.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn register_font() -> Result<(), ChartError> {
    static ONCE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *ONCE.get_or_init(|| {
        plotters::style::register_font(
            FONT,
            FontStyle::Normal,
            include_bytes!("../static/fonts/DejaVuSans.ttf"),
        )
        .is_ok()
    });
    ok.then_some(())
        .ok_or_else(|| ChartError("the embedded font could not be loaded".into()))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::histogram::BinRule;
    use crate::report::fixtures;

    #[test]
    fn dashboard_png_decodes_and_has_bars() {
        let r = fixtures::report();
        let h = Histogram::new(&r.raw_latencies, BinRule::Count(10));
        let png = dashboard_png(&r, &h, &ChartText::english(), (800, 600)).unwrap();
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (800, 600));
        // The histogram quadrant (top left) contains bar-coloured pixels.
        let bar = |p: &image::Rgb<u8>| {
            let [r, _, b] = p.0;
            (b as i32 - r as i32) > 40 && b > 150
        };
        let bars = (0..400)
            .flat_map(|x| (0..300).map(move |y| (x, y)))
            .filter(|&(x, y)| bar(img.get_pixel(x, y)))
            .count();
        assert!(bars > 500, "only {bars} bar pixels");
        // The statistics quadrant (bottom right) has dark text on its card.
        let dark = (400..800)
            .flat_map(|x| (300..600).map(move |y| (x, y)))
            .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&c| c < 80))
            .count();
        assert!(dark > 200, "only {dark} text pixels");
    }

    #[test]
    fn long_run_names_become_numbers_with_a_legend() {
        let long = [
            "mobilenetv2 · warmup 3 · runs 10",
            "mobilenetv2 · warmup 3 · runs 50",
            "Raspberry Pi 5 · runs 100",
        ];
        // 360 px wide: three slots of about 93 px; no name fits.
        let (labels, legend) = box_axis_labels(&long, (360.0 - 80.0) / 3.0);
        assert_eq!(
            (labels, legend),
            (vec!["1".to_string(), "2".into(), "3".into()], true)
        );
        // A projector's 1 600 px: 507 px slots hold them.
        let (labels, legend) = box_axis_labels(&long, (1600.0 - 80.0) / 3.0);
        assert_eq!(labels[0], long[0]);
        assert!(!legend);
        assert_eq!(
            box_axis_labels(&["pi", "laptop"], 100.0),
            (vec!["pi".into(), "laptop".into()], false)
        );
        assert_eq!(
            box_axis_labels(&["one run"], 10.0),
            (vec![String::new()], false)
        );
        // And the numbered chart draws, legend included, at phone width.
        register_font().unwrap();
        let r = fixtures::report();
        let series: Vec<BoxSeries> = long
            .iter()
            .map(|&label| BoxSeries {
                label,
                latencies_ms: &r.raw_latencies,
                stats: &r.statistics,
            })
            .collect();
        let mut rgb = vec![0u8; 360 * 240 * 3];
        let area = BitMapBackend::with_buffer(&mut rgb, (360, 240)).into_drawing_area();
        draw_boxplots(&area, &series, &ChartText::swedish()).unwrap();
    }
}
