//! Drawing the engine's charts on canvases. The chart code itself is the
//! engine's (`piedge::charts`), shared with the CLI's PNG.

use piedge::charts::ChartError;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;

/// Sizes `canvas` to its laid-out width (so charts stay sharp at any screen
/// width) and draws on it, with `alt` (from `piedge::lab::chart_alt`) as its
/// text alternative. A chart that cannot be drawn stays blank and says why in
/// the console: the numbers beside it are what the student reads.
pub fn draw(
    canvas: &web_sys::HtmlCanvasElement,
    alt: &str,
    f: impl FnOnce(&DrawingArea<CanvasBackend, Shift>) -> Result<(), ChartError>,
) {
    draw_rows(canvas, alt, None, f)
}

/// [`draw`] for a chart with a row per item (the class board): as tall as
/// its rows need.
pub fn draw_rows(
    canvas: &web_sys::HtmlCanvasElement,
    alt: &str,
    rows: Option<usize>,
    f: impl FnOnce(&DrawingArea<CanvasBackend, Shift>) -> Result<(), ChartError>,
) {
    let _ = canvas.set_attribute("role", "img");
    let _ = canvas.set_attribute("aria-label", alt);
    if let Err(e) = try_draw(canvas, rows, f) {
        web_sys::console::warn_1(&format!("chart not drawn: {e}").into());
    }
}

fn try_draw(
    canvas: &web_sys::HtmlCanvasElement,
    rows: Option<usize>,
    f: impl FnOnce(&DrawingArea<CanvasBackend, Shift>) -> Result<(), ChartError>,
) -> Result<(), String> {
    let width = (canvas.client_width().max(280)) as u32;
    let height = match rows {
        Some(n) => (120 + 26 * n as u32).clamp(220, 1600),
        None => ((width as f64 * 0.62) as u32).clamp(220, 460),
    };
    if canvas.width() != width {
        canvas.set_width(width);
    }
    if canvas.height() != height {
        canvas.set_height(height);
    }
    let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or("no 2D context")?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    f(&root).map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}
