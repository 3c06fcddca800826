//! Grouped bar charts (one cluster of bars per group, one bar per series), e.g. the per-group
//! excess accuracy gaps of every fine-tuning method of `rein fairness` with the bound `eps`.

use std::path::Path;

use anyhow::{Context, Result, anyhow, ensure};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::plot::{COLORS, ensure_font};

/// `series[s] = (label, values)` with one value per entry of `groups`, drawn as clusters of
/// bars into the PNG `path`, with dashed horizontal lines `hlines` (`(label, y)`).
///
/// # Errors
/// If a series has not one value per group, or plotters fails to draw or encode the file.
pub fn plot_grouped_bars(
    path: &Path,
    title: &str,
    y_label: &str,
    groups: &[String],
    series: &[(&str, &[f64])],
    hlines: &[(&str, f64)],
) -> Result<()> {
    for (label, values) in series {
        ensure!(
            values.len() == groups.len(),
            "series `{label}` has {} values for {} groups",
            values.len(),
            groups.len()
        );
    }
    ensure_font()?;
    let width = (200 + 60 * groups.len() * series.len().max(1)).clamp(800, 4000) as u32;
    let root = BitMapBackend::new(path, (width, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(draw_err)?;
    let finite = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .chain(hlines.iter().map(|h| h.1))
        .chain([0.0])
        .filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let pad = 0.08 * (hi - lo).max(1e-3);
    let (y0, y1) = (lo - 2.0 * pad, hi + pad);
    let n = groups.len() as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 24))
        .margin(12)
        .x_label_area_size(10)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..n, y0..y1)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(y_label)
        .label_style(("sans-serif", 16))
        .draw()
        .map_err(draw_err)?;
    let k = series.len().max(1) as f64;
    let slot = 0.8 / k;
    for (s, (label, values)) in series.iter().enumerate() {
        let color = COLORS[s % COLORS.len()];
        let bars = values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(g, &v)| {
                let x = g as f64 + 0.1 + slot * s as f64;
                Rectangle::new([(x, 0.0), (x + slot * 0.9, v)], color.filled())
            });
        chart
            .draw_series(bars)
            .map_err(draw_err)?
            .label(*label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled()));
    }
    for (label, y) in hlines {
        let line = DashedLineSeries::new(vec![(0.0, *y), (n, *y)], 8, 5, BLACK.stroke_width(2));
        chart
            .draw_series(line)
            .map_err(draw_err)?
            .label(format!("{label} = {y}"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLACK.stroke_width(2)));
    }
    let style =
        TextStyle::from(("sans-serif", 15).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
    chart
        .draw_series(groups.iter().enumerate().map(|(g, name)| {
            Text::new(
                name.clone(),
                (g as f64 + 0.5, y0 + 0.2 * pad),
                style.clone(),
            )
        }))
        .map_err(draw_err)?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 16))
        .draw()
        .map_err(draw_err)?;
    root.present()
        .map_err(draw_err)
        .with_context(|| format!("writing {}", path.display()))
}

fn draw_err<E: std::error::Error + Send + Sync>(e: E) -> anyhow::Error {
    anyhow!("plot drawing failed: {e}")
}
