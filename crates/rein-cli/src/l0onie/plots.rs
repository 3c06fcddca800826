//! The rate-distortion plot (bpp vs PSNR: the COIN curve and the L0onie points) and the
//! training plots of `rein l0onie`.

use std::path::Path;

use anyhow::{Context, Result, anyhow};
use plotters::prelude::*;

use crate::report::plot::ensure_font;
use crate::report::{History, Panel, plot_panel, plot_two_panel};

fn err<E: std::error::Error + Send + Sync>(e: E) -> anyhow::Error {
    anyhow!("plot drawing failed: {e}")
}

/// One L0onie point: label, rate `16 nnz / (H W)`, file bpp, PSNR.
pub struct RdPoint {
    /// Legend label.
    pub label: String,
    /// `16 nnz / (H W)`.
    pub bpp: f64,
    /// File size in bits / (H W).
    pub file_bpp: f64,
    /// PSNR in dB.
    pub psnr: f64,
}

/// Writes the rate-distortion plot: the COIN curve (`(bpp, psnr)`, sorted by bpp), each
/// L0onie point at its rate `16 nnz / (H W)` (triangle) and at its file bpp (cross), and
/// dashed vertical lines at the targets.
///
/// # Errors
/// Font or drawing failures.
pub fn plot_rd(
    path: &Path,
    coin: &[(f64, f64)],
    points: &[RdPoint],
    targets: &[f64],
) -> Result<()> {
    ensure_font()?;
    let xs = coin
        .iter()
        .map(|p| p.0)
        .chain(points.iter().flat_map(|p| [p.bpp, p.file_bpp]))
        .chain(targets.iter().copied());
    let ys = coin
        .iter()
        .map(|p| p.1)
        .chain(points.iter().map(|p| p.psnr));
    let range = |v: Vec<f64>| {
        let v: Vec<f64> = v.into_iter().filter(|x| x.is_finite()).collect();
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if lo > hi {
            (0.0, 1.0)
        } else {
            let pad = 0.08 * (hi - lo).max(0.5);
            (lo - pad, hi + pad)
        }
    };
    let (x0, x1) = range(xs.collect());
    let (y0, y1) = range(ys.collect());
    let root = BitMapBackend::new(path, (1000, 640)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Rate-distortion: COIN vs L0onie", ("sans-serif", 26))
        .margin(14)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x0.max(0.0)..x1, y0..y1)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("bits per pixel")
        .y_desc("PSNR (dB)")
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(err)?;
    let blue = RGBColor(31, 119, 180);
    chart
        .draw_series(LineSeries::new(coin.iter().copied(), blue.stroke_width(2)))
        .map_err(err)?
        .label("COIN (dense SIREN, fp16)")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], blue.stroke_width(2)));
    chart
        .draw_series(coin.iter().map(|&p| Circle::new(p, 4, blue.filled())))
        .map_err(err)?;
    let colors = [
        RGBColor(214, 39, 40),
        RGBColor(44, 160, 44),
        RGBColor(255, 127, 14),
        RGBColor(148, 103, 189),
    ];
    for (i, p) in points.iter().enumerate() {
        let c = colors[i % colors.len()];
        chart
            .draw_series([TriangleMarker::new((p.bpp, p.psnr), 9, c.filled())])
            .map_err(err)?
            .label(format!("{} (16 nnz / HW)", p.label))
            .legend(move |(x, y)| TriangleMarker::new((x + 10, y), 7, c.filled()));
        chart
            .draw_series([Cross::new((p.file_bpp, p.psnr), 7, c.stroke_width(3))])
            .map_err(err)?
            .label(format!("{} (file size)", p.label))
            .legend(move |(x, y)| Cross::new((x + 10, y), 6, c.stroke_width(3)));
    }
    for &t in targets {
        chart
            .draw_series(DashedLineSeries::new(
                [(t, y0), (t, y1)],
                8,
                6,
                BLACK.mix(0.5).stroke_width(1),
            ))
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(190, 190, 190))
        .label_font(("sans-serif", 15))
        .draw()
        .map_err(err)?;
    root.present()
        .map_err(err)
        .with_context(|| format!("writing {}", path.display()))
}

/// Writes `<stem>.png` (strict and proxy bpp against the target above, the multiplier below)
/// and `<stem>_psnr.png` (PSNR at the evaluations, with a marker where fine-tuning starts after
/// `constrained_steps`). Titles name the run directory and the target.
///
/// # Errors
/// Font or drawing failures.
pub fn plot_training(
    dir: &Path,
    stem: &str,
    history: &History,
    target: f64,
    constrained_steps: usize,
) -> Result<()> {
    let run = dir
        .file_name()
        .map_or_else(String::new, |n| format!(" ({})", n.to_string_lossy()));
    let strict = history.series("strict_bpp");
    let proxy = history.series("proxy_bpp");
    let lambda = history.series("lambda");
    plot_two_panel(
        &dir.join(format!("{stem}.png")),
        &format!("rein l0onie{run}: bits per pixel vs target {target}"),
        &Panel {
            y_label: "bits per pixel",
            series: &[
                ("bpp, strict: 16 nnz(fp16) / HW", &strict),
                ("bpp, proxy: 32 E[L0] / HW", &proxy),
            ],
            hlines: &[("target bpp", target)],
        },
        &Panel {
            y_label: "lambda (bpp)",
            series: &[("lambda (bpp)", &lambda)],
            hlines: &[],
        },
    )?;
    let psnr = history.series("psnr");
    plot_panel(
        &dir.join(format!("{stem}_psnr.png")),
        &format!("rein l0onie{run}: PSNR of the fp16 model, target {target} bpp"),
        &Panel {
            y_label: "PSNR (dB)",
            series: &[("PSNR (dB)", &psnr)],
            hlines: &[],
        },
        &[("fine-tuning starts", constrained_steps as f64)],
    )
}
