//! PNG histograms with plotters' bitmap backend (per-sample losses and multipliers of
//! `rein feasible`), in the style of [`super::plot`].

use std::path::Path;

use anyhow::{Context, Result, anyhow};
use plotters::prelude::*;

use super::plot::ensure_font;

/// Width of a histogram in pixels.
const WIDTH: u32 = 1000;
/// Height of a histogram in pixels.
const HEIGHT: u32 = 560;

fn draw_err<E: std::error::Error + Send + Sync>(e: E) -> anyhow::Error {
    anyhow!("histogram drawing failed: {e}")
}

/// Counts of the finite `values` in `bins` equal-width bins over `[lo, hi]` (the last bin
/// closed), with the bin width. A constant sample gets one bin of width 1 around it.
pub fn bin_counts(values: &[f64], bins: usize, lo: f64, hi: f64) -> (Vec<usize>, f64) {
    let bins = bins.max(1);
    let width = if hi > lo {
        (hi - lo) / bins as f64
    } else {
        1.0
    };
    let mut counts = vec![0usize; bins];
    for &v in values.iter().filter(|v| v.is_finite()) {
        let k = (((v - lo) / width).floor().max(0.0) as usize).min(bins - 1);
        counts[k] += 1;
    }
    (counts, width)
}

/// A histogram of `values` (`bins` bins over their finite range, extended to the marks) with
/// dashed vertical marks `(label, x)` (e.g. the loss bound `eps`), written to the PNG `path`.
///
/// # Errors
/// If the font cannot be loaded or plotters fails to draw or encode the file.
pub fn plot_histogram(
    path: &Path,
    title: &str,
    x_label: &str,
    values: &[f64],
    bins: usize,
    marks: &[(&str, f64)],
) -> Result<()> {
    ensure_font()?;
    let finite = || values.iter().copied().filter(|v| v.is_finite());
    let marks_x = || marks.iter().map(|m| m.1).filter(|v| v.is_finite());
    let lo = finite().chain(marks_x()).fold(f64::INFINITY, f64::min);
    let hi = finite().chain(marks_x()).fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, lo + 0.5)
    };
    let (counts, width) = bin_counts(values, bins, lo, hi);
    let top = counts.iter().copied().max().unwrap_or(0).max(1) as f64 * 1.08;

    let root = BitMapBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(draw_err)?;
    let pad = 0.02 * (hi - lo);
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .caption(title, ("sans-serif", 26))
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d((lo - pad)..(hi + pad), 0.0..top)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc("samples")
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(draw_err)?;
    let fill = RGBColor(31, 119, 180);
    chart
        .draw_series(
            counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(k, &c)| {
                    let x0 = lo + k as f64 * width;
                    Rectangle::new([(x0, 0.0), (x0 + width, c as f64)], fill.filled())
                }),
        )
        .map_err(draw_err)?
        .label(format!("{} samples", finite().count()))
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], fill.filled()));
    for (name, x) in marks.iter().filter(|m| m.1.is_finite()) {
        let style = BLACK.stroke_width(2);
        chart
            .draw_series(DashedLineSeries::new([(*x, 0.0), (*x, top)], 10, 6, style))
            .map_err(draw_err)?
            .label(format!("{name} = {x:.4}"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 15))
        .draw()
        .map_err(draw_err)?;
    root.present()
        .map_err(draw_err)
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_the_range_with_the_maximum_in_the_last_bin() {
        let (counts, width) = bin_counts(&[0.0, 0.1, 0.5, 1.0, f64::NAN], 4, 0.0, 1.0);
        assert_eq!(width, 0.25);
        assert_eq!(counts, vec![2, 0, 1, 1]);
        let (counts, _) = bin_counts(&[2.0, 2.0], 3, 2.0, 2.0);
        assert_eq!(counts, vec![2, 0, 0]);
    }
}
