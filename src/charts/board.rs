//! The class board as one chart: a row per run, grouped by kind of device,
//! a bar from P50 to P95 on a logarithmic latency axis (a class spans a
//! millisecond on a laptop to a hundred on an old phone), the 10 ms and
//! 100 ms targets drawn, the Raspberry Pi's runs highlighted.

use super::{ChartError, FONT, P50, SERIES};
use crate::board::{Arranged, TARGETS_MS};
use plotters::coord::Shift;
use plotters::prelude::*;

/// The Pi's colour on the board: it is the edge device the lesson is about.
pub const PI: RGBColor = RGBColor(197, 27, 125);

/// Draws `arranged` with `title` and the latency axis named `axis`.
pub fn draw_board<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    arranged: &Arranged,
    title: &str,
    axis: &str,
    decimal_comma: bool,
) -> Result<(), ChartError> {
    let number = |v: &f64| {
        let text = format!("{v:?}");
        if decimal_comma {
            text.replace('.', ",")
        } else {
            text
        }
    };
    area.fill(&WHITE)?;
    let rows: Vec<(usize, &crate::board::BoardRun)> = arranged
        .groups
        .iter()
        .enumerate()
        .flat_map(|(g, (_, runs))| runs.iter().map(move |r| (g, *r)))
        .collect();
    let (lo, hi) = rows
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), (_, r)| {
            let s = &r.statistics;
            (lo.min(s.p50), hi.max(s.p95))
        });
    let lo = if lo.is_finite() {
        (lo * 0.7).max(1e-3)
    } else {
        0.5
    };
    let hi = (hi * 1.4).max(TARGETS_MS[1] * 1.3).max(lo * 10.0);
    let n = rows.len().max(1);
    let labels: Vec<String> = rows
        .iter()
        .map(|(_, r)| {
            let who: String = r.nickname.chars().take(14).collect();
            let device: String = r.device.chars().take(22).collect();
            format!("{who} · {device}")
        })
        .collect();
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(230)
        .build_cartesian_2d((lo..hi).log_scale(), 0.0..n as f64)?;
    chart
        .configure_mesh()
        .x_desc(axis)
        .x_label_formatter(&number)
        .y_labels(n * 2 + 1)
        .y_label_formatter(&|y| {
            let i = y.floor() as usize;
            if (y - i as f64 - 0.5).abs() < 1e-9 && i < labels.len() {
                labels[n - 1 - i].clone()
            } else {
                String::new()
            }
        })
        .disable_y_mesh()
        .light_line_style(BLACK.mix(0.06))
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()?;
    for target in TARGETS_MS {
        chart.draw_series(DashedLineSeries::new(
            [(target, 0.0), (target, n as f64)],
            6,
            4,
            BLACK.mix(0.6).stroke_width(2),
        ))?;
        chart.draw_series([Text::new(
            format!("{target} ms"),
            (target * 1.04, n as f64 - 0.35),
            (FONT, 13).into_font().color(&BLACK),
        )])?;
    }
    for (i, (group, r)) in rows.iter().enumerate() {
        let y = (n - 1 - i) as f64 + 0.5;
        let s = &r.statistics;
        let pi = r.is_pi();
        let color = if pi { PI } else { SERIES[group % SERIES.len()] };
        let width = if pi { 9 } else { 6 };
        let alpha = if r.hidden { 0.3 } else { 1.0 };
        chart.draw_series(LineSeries::new(
            [(s.p50.max(lo), y), (s.p95.max(lo), y)],
            color.mix(alpha).stroke_width(width),
        ))?;
        chart.draw_series([Circle::new((s.p50.max(lo), y), 5, P50.mix(alpha).filled())])?;
    }
    Ok(())
}
