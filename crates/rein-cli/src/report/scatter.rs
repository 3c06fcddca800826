//! Side-by-side 2-D scatter plots on common axes (e.g. samples of a generator next to the
//! data), one panel per point set, with optional marked points (e.g. mixture means).

use std::path::Path;

use anyhow::{Context, Result, anyhow};
use plotters::prelude::*;

use super::plot::{COLORS, ensure_font};

/// One panel: its title and its points `[x0, y0, x1, y1, ...]`.
pub type ScatterPanel<'a> = (&'a str, &'a [f32]);

fn draw_err<E: std::error::Error + Send + Sync>(e: E) -> anyhow::Error {
    anyhow!("plot drawing failed: {e}")
}

/// Draws `panels` side by side on the square range `[-extent, extent]^2`, every panel also
/// showing `marks` as crosses, into the PNG `path`. Non-finite points are skipped.
///
/// # Errors
/// If the font cannot be loaded or plotters fails to draw or encode the file.
pub fn plot_scatter_panels(
    path: &Path,
    title: &str,
    panels: &[ScatterPanel<'_>],
    marks: &[(f64, f64)],
    extent: f64,
) -> Result<()> {
    ensure_font()?;
    let side = 420u32;
    let width = side * panels.len().max(1) as u32;
    let root = BitMapBackend::new(path, (width, side + 50)).into_drawing_area();
    root.fill(&WHITE).map_err(draw_err)?;
    let root = root.titled(title, ("sans-serif", 22)).map_err(draw_err)?;
    let areas = root.split_evenly((1, panels.len().max(1)));
    for (k, ((name, points), area)) in panels.iter().zip(&areas).enumerate() {
        let mut chart = ChartBuilder::on(area)
            .caption(*name, ("sans-serif", 18))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(36)
            .build_cartesian_2d(-extent..extent, -extent..extent)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .draw()
            .map_err(draw_err)?;
        let color = COLORS[k % COLORS.len()];
        chart
            .draw_series(
                points
                    .chunks_exact(2)
                    .map(|p| (f64::from(p[0]), f64::from(p[1])))
                    .filter(|(x, y)| x.is_finite() && y.is_finite())
                    .map(|p| Circle::new(p, 2, color.mix(0.5).filled())),
            )
            .map_err(draw_err)?;
        chart
            .draw_series(
                marks
                    .iter()
                    .map(|&p| Cross::new(p, 5, BLACK.stroke_width(2))),
            )
            .map_err(draw_err)?;
    }
    root.present()
        .map_err(draw_err)
        .with_context(|| format!("writing {}", path.display()))
}
