//! PNG line plots with plotters' bitmap backend.
//!
//! Text is drawn with plotters' `ab_glyph` renderer and the DejaVu Sans font bundled in
//! `fonts/` (see `FONTS.md`), so rendering needs no system font, fontconfig or freetype.

use std::path::Path;
use std::sync::Once;

use anyhow::{Context, Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

/// DejaVu Sans 2.37 (Debian `fonts-dejavu-core` 2.37-6), Bitstream Vera licence.
static DEJAVU_SANS: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");

/// Distinct line and bar colours (Tableau 10), used in order.
pub(crate) const COLORS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// One named line: `(label, points)` with points `(x, y)`.
pub type Series<'a> = (&'a str, &'a [(f64, f64)]);

/// One panel of a plot: lines, dashed horizontal reference lines (e.g. a constraint bound) and
/// the y-axis label.
#[derive(Debug, Clone, Copy)]
pub struct Panel<'a> {
    /// Label of the y axis.
    pub y_label: &'a str,
    /// The lines.
    pub series: &'a [Series<'a>],
    /// Dashed horizontal lines `(label, y)`.
    pub hlines: &'a [(&'a str, f64)],
}

/// Width of every plot in pixels.
const WIDTH: u32 = 1000;
/// Height of one panel in pixels.
const PANEL_HEIGHT: u32 = 560;

/// Plots `series` (and dashed `hlines`) against the x axis `step` into the PNG `path`.
/// Non-finite points are skipped.
///
/// # Errors
/// If the font cannot be loaded or plotters fails to draw or encode the file.
pub fn plot_series(
    path: &Path,
    title: &str,
    series: &[Series<'_>],
    hlines: &[(&str, f64)],
) -> Result<()> {
    ensure_font()?;
    let root = BitMapBackend::new(path, (WIDTH, PANEL_HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(draw_err)?;
    let panel = Panel {
        y_label: "value",
        series,
        hlines,
    };
    draw_panel(&root, Some(title), &panel, true)?;
    root.present()
        .map_err(draw_err)
        .with_context(|| format!("writing {}", path.display()))
}

/// Two vertically stacked panels sharing the x axis `step`, e.g. the constraint value with its
/// bound on top and its multiplier below, written to the PNG `path`.
///
/// # Errors
/// As [`plot_series`].
pub fn plot_two_panel(path: &Path, title: &str, top: &Panel<'_>, bottom: &Panel<'_>) -> Result<()> {
    ensure_font()?;
    let root = BitMapBackend::new(path, (WIDTH, 2 * PANEL_HEIGHT - 80)).into_drawing_area();
    root.fill(&WHITE).map_err(draw_err)?;
    let (upper, lower) = root.split_vertically(PANEL_HEIGHT);
    draw_panel(&upper, Some(title), top, false)?;
    draw_panel(&lower, None, bottom, true)?;
    root.present()
        .map_err(draw_err)
        .with_context(|| format!("writing {}", path.display()))
}

/// One panel with dashed vertical markers `vlines` (`(label, x)`, e.g. where a phase starts),
/// written to the PNG `path`.
///
/// # Errors
/// As [`plot_series`].
pub fn plot_panel(
    path: &Path,
    title: &str,
    panel: &Panel<'_>,
    vlines: &[(&str, f64)],
) -> Result<()> {
    ensure_font()?;
    let root = BitMapBackend::new(path, (WIDTH, PANEL_HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(draw_err)?;
    draw_panel_marked(&root, Some(title), panel, true, vlines)?;
    root.present()
        .map_err(draw_err)
        .with_context(|| format!("writing {}", path.display()))
}

pub(crate) fn ensure_font() -> Result<()> {
    static REGISTER: Once = Once::new();
    let mut ok = true;
    REGISTER.call_once(|| ok = register_font("sans-serif", FontStyle::Normal, DEJAVU_SANS).is_ok());
    if ok {
        Ok(())
    } else {
        Err(anyhow!("the bundled DejaVu Sans font is invalid"))
    }
}

fn draw_err<E: std::error::Error + Send + Sync>(e: E) -> anyhow::Error {
    anyhow!("plot drawing failed: {e}")
}

/// `(min, max)` of the finite values, padded by 5% (or by 1 for a constant).
fn padded_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return (0.0, 1.0);
    }
    let pad = if hi > lo {
        0.05 * (hi - lo)
    } else {
        1.0f64.max(0.05 * hi.abs())
    };
    (lo - pad, hi + pad)
}

/// The legend corner that covers the fewest data points: each corner's box is the outer 40 %
/// of the x and y ranges.
fn quiet_corner(
    points: impl Iterator<Item = (f64, f64)>,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> SeriesLabelPosition {
    let (xs, ys) = (0.4 * (x1 - x0), 0.4 * (y1 - y0));
    // Upper right, upper left, lower right, lower left.
    let mut counts = [0usize; 4];
    for (x, y) in points {
        let (right, left) = (x >= x1 - xs, x <= x0 + xs);
        let (upper, lower) = (y >= y1 - ys, y <= y0 + ys);
        counts[0] += usize::from(upper && right);
        counts[1] += usize::from(upper && left);
        counts[2] += usize::from(lower && right);
        counts[3] += usize::from(lower && left);
    }
    let best = (0..4).min_by_key(|&k| counts[k]).unwrap_or(0);
    [
        SeriesLabelPosition::UpperRight,
        SeriesLabelPosition::UpperLeft,
        SeriesLabelPosition::LowerRight,
        SeriesLabelPosition::LowerLeft,
    ][best]
        .clone()
}

fn draw_panel(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    title: Option<&str>,
    panel: &Panel<'_>,
    x_label: bool,
) -> Result<()> {
    draw_panel_marked(area, title, panel, x_label, &[])
}

fn draw_panel_marked(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    title: Option<&str>,
    panel: &Panel<'_>,
    x_label: bool,
    vlines: &[(&str, f64)],
) -> Result<()> {
    let finite = |&(x, y): &(f64, f64)| x.is_finite() && y.is_finite();
    let points = || {
        panel
            .series
            .iter()
            .flat_map(|(_, pts)| pts.iter())
            .filter(|p| finite(p))
    };
    let (x0, x1) = {
        let (lo, hi) = padded_range(points().map(|p| p.0));
        if points().next().is_none() {
            (0.0, 1.0)
        } else {
            (lo, hi)
        }
    };
    let (y0, y1) = padded_range(
        points()
            .map(|p| p.1)
            .chain(panel.hlines.iter().map(|h| h.1)),
    );

    let mut builder = ChartBuilder::on(area);
    builder
        .margin(12)
        .x_label_area_size(if x_label { 44 } else { 24 })
        .y_label_area_size(72);
    if let Some(title) = title {
        builder.caption(title, ("sans-serif", 26));
    }
    let mut chart = builder
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(draw_err)?;
    let integral_x = points().all(|p| p.0.fract() == 0.0);
    let x_fmt = move |x: &f64| {
        if integral_x {
            format!("{x:.0}")
        } else {
            format!("{x}")
        }
    };
    let mut mesh = chart.configure_mesh();
    mesh.x_label_formatter(&x_fmt)
        .y_desc(panel.y_label)
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .light_line_style(RGBColor(235, 235, 235));
    if x_label {
        mesh.x_desc("step");
    }
    mesh.draw().map_err(draw_err)?;

    for (i, &(name, pts)) in panel.series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        chart
            .draw_series(LineSeries::new(
                pts.iter().copied().filter(|p| finite(p)),
                color.stroke_width(2),
            ))
            .map_err(draw_err)?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    for (i, &(name, y)) in panel.hlines.iter().enumerate() {
        if !y.is_finite() {
            continue;
        }
        // A bound is drawn in the colour of the curve it bounds (the i-th line); bounds beyond
        // the lines are black.
        let color = if i < panel.series.len() {
            COLORS[i % COLORS.len()]
        } else {
            BLACK
        };
        let style = color.stroke_width(2);
        chart
            .draw_series(DashedLineSeries::new([(x0, y), (x1, y)], 10, 6, style))
            .map_err(draw_err)?
            .label(name)
            .legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (7, 0)], style)
                    + PathElement::new(vec![(13, 0), (20, 0)], style)
            });
    }
    for &(name, x) in vlines {
        if !x.is_finite() {
            continue;
        }
        let style = RGBColor(90, 90, 90).stroke_width(2);
        chart
            .draw_series(DashedLineSeries::new([(x, y0), (x, y1)], 6, 6, style))
            .map_err(draw_err)?
            .label(name)
            .legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (7, 0)], style)
                    + PathElement::new(vec![(13, 0), (20, 0)], style)
            });
    }
    if !panel.series.is_empty() || !panel.hlines.is_empty() {
        let corner = quiet_corner(
            points()
                .copied()
                .chain(panel.hlines.iter().flat_map(|h| [(x0, h.1), (x1, h.1)])),
            (x0, x1),
            (y0, y1),
        );
        chart
            .configure_series_labels()
            .position(corner)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(190, 190, 190))
            .label_font(("sans-serif", 15))
            .draw()
            .map_err(draw_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legend_goes_where_the_data_is_not() {
        // A curve falling from the upper left to the lower right leaves the upper right free.
        let falling = (0..100).map(|i| (f64::from(i), 100.0 - f64::from(i)));
        assert!(matches!(
            quiet_corner(falling, (0.0, 100.0), (0.0, 100.0)),
            SeriesLabelPosition::UpperRight
        ));
        // A rising one leaves the upper left free.
        let rising = (0..100).map(|i| (f64::from(i), f64::from(i)));
        assert!(matches!(
            quiet_corner(rising, (0.0, 100.0), (0.0, 100.0)),
            SeriesLabelPosition::UpperLeft
        ));
    }

    fn is_png(path: &Path) -> bool {
        std::fs::read(path)
            .unwrap()
            .starts_with(b"\x89PNG\r\n\x1a\n")
    }

    #[test]
    fn writes_single_and_two_panel_pngs() {
        let dir = tempfile::tempdir().unwrap();
        let steps: Vec<(f64, f64)> = (0..200)
            .map(|i| (i as f64, (-(i as f64) / 40.0).exp()))
            .collect();
        let noisy: Vec<(f64, f64)> = steps
            .iter()
            .map(|&(x, y)| (x, y + 0.05 * (x / 3.0).sin()))
            .collect();
        let single = dir.path().join("loss.png");
        plot_series(
            &single,
            "Training loss",
            &[("train", &steps), ("test", &noisy)],
            &[("target", 0.2)],
        )
        .unwrap();
        assert!(is_png(&single));

        let lambda: Vec<(f64, f64)> = (0..200)
            .map(|i| (i as f64, (i as f64 / 50.0).min(1.5)))
            .collect();
        let two = dir.path().join("constraint.png");
        let top = Panel {
            y_label: "recall[3]",
            series: &[("recall", &noisy)],
            hlines: &[("bound", 0.3)],
        };
        let bottom = Panel {
            y_label: "multiplier",
            series: &[("lambda", &lambda)],
            hlines: &[],
        };
        plot_two_panel(&two, "Recall constraint", &top, &bottom).unwrap();
        assert!(is_png(&two));
    }

    #[test]
    fn degenerate_inputs_still_plot() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.png");
        plot_series(&path, "empty", &[], &[]).unwrap();
        let flat = [(0.0, 1.0), (1.0, 1.0), (2.0, f64::NAN)];
        plot_series(&path, "flat", &[("c", &flat)], &[("inf", f64::INFINITY)]).unwrap();
        assert!(is_png(&path));
        assert_eq!(padded_range([3.0, 1.0].into_iter()), (0.9, 3.1));
    }
}
