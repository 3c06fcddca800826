//! Scatter plots of 2-D point clouds side by side (e.g. data and the samples of two
//! generators), and grey-level image grids.

use std::path::Path;

use anyhow::{Context, Result, anyhow};
use plotters::prelude::*;
use rein_coin::png_io::{Rgb8, write_png};

use super::plot::{COLORS, ensure_font};

/// One layer of a scatter panel: `(label, points)`.
pub type Layer<'a> = (&'a str, &'a [[f64; 2]]);

/// One scatter panel: its title and layers (drawn in order; colours from the shared table,
/// layer 0 in light grey as the reference).
#[derive(Debug, Clone, Copy)]
pub struct ScatterPanel<'a> {
    /// Title of the panel.
    pub title: &'a str,
    /// The layers.
    pub layers: &'a [Layer<'a>],
}

fn draw_err<E: std::error::Error + Send + Sync>(e: E) -> anyhow::Error {
    anyhow!("plot drawing failed: {e}")
}

/// Draws `panels` side by side, on one common square range, into the PNG `path`.
///
/// # Errors
/// If plotters fails to draw or encode the file.
pub fn plot_scatter_panels(path: &Path, title: &str, panels: &[ScatterPanel<'_>]) -> Result<()> {
    ensure_font()?;
    let side = 520u32;
    let width = side * panels.len().max(1) as u32;
    let root = BitMapBackend::new(path, (width, side + 50)).into_drawing_area();
    root.fill(&WHITE).map_err(draw_err)?;
    let root = root.titled(title, ("sans-serif", 24)).map_err(draw_err)?;
    let all = panels
        .iter()
        .flat_map(|p| p.layers.iter().flat_map(|l| l.1.iter()))
        .flat_map(|p| [p[0], p[1]])
        .filter(|v| v.is_finite());
    let bound = all.fold(0.0f64, |m, v| m.max(v.abs())).clamp(1e-3, 1e3) * 1.08;
    let areas = root.split_evenly((1, panels.len().max(1)));
    for (area, panel) in areas.iter().zip(panels) {
        let mut chart = ChartBuilder::on(area)
            .caption(panel.title, ("sans-serif", 18))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(40)
            .build_cartesian_2d(-bound..bound, -bound..bound)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(draw_err)?;
        for (l, (label, points)) in panel.layers.iter().enumerate() {
            let color = if l == 0 {
                RGBColor(170, 170, 170)
            } else {
                COLORS[(l - 1) % COLORS.len()]
            };
            let dots = points
                .iter()
                .filter(|p| p[0].is_finite() && p[1].is_finite())
                .map(|p| Circle::new((p[0], p[1]), 2, color.filled()));
            chart
                .draw_series(dots)
                .map_err(draw_err)?
                .label(*label)
                .legend(move |(x, y)| Circle::new((x + 7, y), 4, color.filled()));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(draw_err)?;
    }
    root.present()
        .map_err(draw_err)
        .with_context(|| format!("writing {}", path.display()))
}

/// Writes rows of grey-level images (each `side x side`, row-major, scaled to its own
/// maximum, white background, dark ink) as one PNG, every pixel drawn as a `scale x scale`
/// block with a 4-pixel gap between images.
///
/// # Errors
/// If an image does not have `side * side` pixels, or the file cannot be written.
pub fn write_image_grid(
    path: &Path,
    rows: &[Vec<&[f64]>],
    side: usize,
    scale: usize,
) -> Result<()> {
    let gap = 4;
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let cell = side * scale + gap;
    let (height, width) = (rows.len() * cell + gap, cols * cell + gap);
    let mut data = vec![255u8; height * width * 3];
    for (r, row) in rows.iter().enumerate() {
        for (c, image) in row.iter().enumerate() {
            anyhow::ensure!(
                image.len() == side * side,
                "image {c} of row {r} has {} pixels, not {side} x {side}",
                image.len()
            );
            let max = image
                .iter()
                .copied()
                .fold(0.0f64, f64::max)
                .max(f64::MIN_POSITIVE);
            for (i, v) in image.iter().enumerate() {
                let ink = (255.0 * (1.0 - (v / max).clamp(0.0, 1.0))).round() as u8;
                let (y0, x0) = (
                    gap + r * cell + (i / side) * scale,
                    gap + c * cell + (i % side) * scale,
                );
                for y in y0..y0 + scale {
                    for x in x0..x0 + scale {
                        let o = 3 * (y * width + x);
                        data[o..o + 3].fill(ink);
                    }
                }
            }
        }
    }
    write_png(
        path,
        &Rgb8 {
            height,
            width,
            data,
        },
    )
    .with_context(|| format!("writing {}", path.display()))
}
