//! `rein l0onie`: COIN image compression under a bits-per-pixel budget (Ramirez &
//! Gallego-Posada 2022, "L0onie: Compressing COINs with L0-constraints"), against the COIN
//! baseline (Dupont et al. 2021) measured in the same run.

mod plots;
mod problem;
mod train;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use rein::device::DeviceKind;
use rein_nn::siren::SirenConfig;
use serde::Serialize;

use crate::report::{Table, progress_bar, write_metrics_json};
pub use problem::TrainGates;
use rein_coin::{Encoding, Rgb8, decode_png, read_coin, read_png, render, write_coin, write_png};
use train::{Best, L0onieSettings, Target, TrainSettings, train_coin, train_l0onie};

/// The bundled 64x64 crop of scikit-image's `astronaut` (NASA, public domain; `data/README.md`).
static BUNDLED: &[u8] = include_bytes!("../../../../data/astronaut_face_64.png");

/// Options of `rein l0onie`.
#[derive(Debug, Args)]
pub struct L0onieArgs {
    /// PNG image to compress, or `bundled` (the 64x64 astronaut crop).
    #[arg(long, default_value = "bundled")]
    pub image: String,
    /// Bits-per-pixel target(s), comma-separated: one L0onie run each.
    #[arg(long, default_value = "2", value_delimiter = ',')]
    pub target_bpp: Vec<f64>,
    /// Steps of the constrained phase (COIN baselines train `steps + finetune-steps`).
    #[arg(long, default_value_t = 2000)]
    pub steps: usize,
    /// Evaluate the fp16 model every this many steps.
    #[arg(long, default_value_t = 25)]
    pub eval_every: usize,
    /// Hidden layers of the gated SIREN (and of the COIN baselines).
    #[arg(long, default_value_t = 3)]
    pub layers: usize,
    /// Hidden width of the gated SIREN.
    #[arg(long, default_value_t = 24)]
    pub width: usize,
    /// Widths of the COIN baselines, comma-separated (default: chosen so that their bpp spans
    /// 0.5x the smallest to 1.5x the largest target). `0` skips the baseline.
    #[arg(long, value_delimiter = ',')]
    pub coin_widths: Option<Vec<usize>>,
    /// Gates of the training forward pass.
    #[arg(long, value_enum, default_value = "sampled")]
    pub gates: TrainGates,
    /// Adam learning rate of the weights (L0onie and COIN).
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Adam learning rate of the gates (log_alpha).
    #[arg(long, default_value_t = 0.01)]
    pub gate_lr: f64,
    /// Dual (SGD ascent) learning rate of the bpp multiplier.
    #[arg(long, default_value_t = 0.0005)]
    pub dual_lr: f64,
    /// Steps of fine-tuning the kept weights with the sparsity mask frozen, after the
    /// constrained phase (0: none).
    #[arg(long, default_value_t = 2000)]
    pub finetune_steps: usize,
    /// Initial drop rate d of the gates: log_alpha ~ N(ln((1-d)/d), 0.01).
    #[arg(long, default_value_t = 0.01)]
    pub drop_rate: f64,
    /// Seed of the initialisation and gate noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Compute device.
    #[arg(long, default_value = "flex")]
    pub device: DeviceKind,
    /// Output directory.
    #[arg(long, default_value = "runs/l0onie")]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// One COIN baseline point.
#[derive(Debug, Clone, Serialize)]
pub struct CoinPoint {
    /// Hidden width.
    pub width: usize,
    /// Parameters (all nonzero).
    pub params: usize,
    /// `16 nnz / (H W)`.
    pub bpp: f64,
    /// Size of its `.rcoin` file in bits / (H W).
    pub file_bpp: f64,
    /// Best PSNR (dB) of the fp16 model over the evaluations.
    pub psnr: f64,
    /// Step of that evaluation.
    pub best_step: usize,
    /// Wall time of its training (s).
    pub seconds: f64,
}

/// One L0onie run (one target).
#[derive(Debug, Clone, Serialize)]
pub struct L0onieRunMetrics {
    /// bpp target.
    pub target: f64,
    /// Whether a feasible model was found (all fields below describe it; else the last one).
    pub feasible: bool,
    /// `16 nnz(fp16 purge) / (H W)` of the reported model (the constrained quantity).
    pub bpp: f64,
    /// Real `.rcoin` file size in bits / (H W).
    pub file_bpp: f64,
    /// File size in bytes.
    pub file_bytes: u64,
    /// Sparsity encoding chosen for the file (`"dense"`, `"bitmap"` or `"gaps"`).
    #[serde(serialize_with = "serialize_encoding")]
    pub encoding: Encoding,
    /// PSNR (dB) of the 8-bit reconstruction.
    pub psnr: f64,
    /// Nonzero fp16 parameters.
    pub nnz: usize,
    /// Parameters of the gated SIREN.
    pub params: usize,
    /// Step of the reported evaluation.
    pub best_step: usize,
    /// COIN PSNR interpolated at `bpp` (None outside the measured curve).
    pub coin_psnr_at_bpp: Option<f64>,
    /// `psnr - coin_psnr_at_bpp`.
    pub psnr_gain: Option<f64>,
    /// COIN PSNR interpolated at `file_bpp` on the COIN curve of file sizes (the comparison
    /// in real bytes: L0onie's file also stores its sparsity pattern).
    pub coin_psnr_at_file_bpp: Option<f64>,
    /// The spec's claim: `0.7 target <= bpp <= target`.
    pub bpp_within_claim: bool,
    /// The spec's claim: PSNR above the COIN curve at the achieved bpp.
    pub above_coin: Option<bool>,
    /// Best feasible PSNR of the constrained phase alone (before fine-tuning).
    pub constrained_psnr: Option<f64>,
    /// Its bpp.
    pub constrained_bpp: Option<f64>,
    /// bpp and PSNR of the last evaluation of the constrained phase (feasible or not).
    pub final_bpp: f64,
    /// PSNR of the last evaluation.
    pub final_psnr: f64,
    /// Final multiplier.
    pub lambda: f64,
    /// Wall time (s).
    pub seconds: f64,
    /// The compressed file (relative to the output directory).
    pub file: String,
    /// The reconstruction PNG (relative to the output directory).
    pub reconstruction: String,
}

/// [`Encoding`] in `metrics.json`: its lowercase name.
fn serialize_encoding<S: serde::Serializer>(e: &Encoding, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(e.name())
}

/// What `metrics.json` holds.
#[derive(Debug, Serialize)]
pub struct L0onieMetrics {
    /// The image (path or `bundled`).
    pub image: String,
    /// Height in pixels.
    pub height: usize,
    /// Width in pixels.
    pub width: usize,
    /// Hidden layers.
    pub layers: usize,
    /// Hidden width of the gated SIREN.
    pub gated_width: usize,
    /// Training gates.
    pub gates: TrainGates,
    /// Steps per run.
    pub steps: usize,
    /// Seed.
    pub seed: u64,
    /// The COIN curve, sorted by bpp.
    pub coin: Vec<CoinPoint>,
    /// One entry per target.
    pub runs: Vec<L0onieRunMetrics>,
}

fn load_image(spec: &str) -> Result<Rgb8> {
    if spec == "bundled" {
        Ok(decode_png(BUNDLED, "<bundled astronaut_face_64.png>")?)
    } else {
        read_png(&PathBuf::from(spec)).context("--image")
    }
}

/// COIN widths whose bpp spans `[0.5 min target, 1.5 max target]` (6 geometric steps).
fn auto_coin_widths(layers: usize, pixels: usize, targets: &[f64]) -> Vec<usize> {
    let lo = 0.5 * targets.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = 1.5 * targets.iter().copied().fold(0.0, f64::max);
    let bpp = |h: usize| 16.0 * SirenConfig::new(layers, h).num_params() as f64 / pixels as f64;
    let mut widths: Vec<usize> = (0..6)
        .map(|i| lo * (hi / lo).powf(f64::from(i) / 5.0))
        .map(|b| (1..=4096).find(|&h| bpp(h) >= b).unwrap_or(4096))
        .collect();
    widths.dedup();
    widths
}

/// Piecewise-linear interpolation of `curve` (sorted by x) at `x`; `None` outside it.
pub fn interpolate(curve: &[(f64, f64)], x: f64) -> Option<f64> {
    curve.windows(2).find_map(|w| {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        (x0 <= x && x <= x1).then(|| {
            if x1 > x0 {
                y0 + (y1 - y0) * (x - x0) / (x1 - x0)
            } else {
                y0.max(y1)
            }
        })
    })
}

fn validate(args: &L0onieArgs) -> Result<()> {
    if args.target_bpp.is_empty() {
        bail!("--target-bpp needs at least one value");
    }
    if let Some(t) = args
        .target_bpp
        .iter()
        .find(|t| !(t.is_finite() && **t > 0.0))
    {
        bail!("--target-bpp must be positive, got {t}");
    }
    if args.steps == 0 || args.eval_every == 0 {
        bail!("--steps and --eval-every must be positive");
    }
    if args.layers == 0 || args.width == 0 {
        bail!("--layers and --width must be positive");
    }
    if !(args.drop_rate > 0.0 && args.drop_rate < 1.0) {
        bail!("--drop-rate must be in (0, 1), got {}", args.drop_rate);
    }
    for (name, v) in [
        ("--lr", args.lr),
        ("--gate-lr", args.gate_lr),
        ("--dual-lr", args.dual_lr),
    ] {
        if !(v.is_finite() && v > 0.0) {
            bail!("{name} must be positive, got {v}");
        }
    }
    Ok(())
}

/// Runs the COIN baseline and one L0onie run per target; writes every output.
///
/// # Errors
/// Bad arguments or image, training or I/O failures.
pub fn run(args: &L0onieArgs) -> Result<L0onieMetrics> {
    validate(args)?;
    let image = load_image(&args.image)?;
    let device = args.device.open().map_err(anyhow::Error::msg)?.autodiff();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let (h, w) = (image.height, image.width);
    let unit = image.to_unit();
    let img = Target {
        height: h,
        width: w,
        unit: &unit,
        rgb8: &image.data,
    };
    write_png(&args.out.join("original.png"), &image)?;
    let common = TrainSettings {
        steps: args.steps,
        eval_every: args.eval_every,
        lr: args.lr,
        seed: args.seed,
    };
    let per_pixel = |bits: f64| bits / (h * w) as f64;

    let widths = match &args.coin_widths {
        Some(v) if v == &[0] => vec![],
        Some(v) => v.clone(),
        None => auto_coin_widths(args.layers, h * w, &args.target_bpp),
    };
    // COIN trains as many steps as L0onie's two phases together.
    let coin_settings = TrainSettings {
        steps: args.steps + args.finetune_steps,
        ..common.clone()
    };
    let mut coin = Vec::new();
    for &cw in &widths {
        let config = SirenConfig::new(args.layers, cw);
        let bar = progress_bar(coin_settings.steps, &format!("coin h={cw}"), args.quiet);
        let t0 = Instant::now();
        let best = train_coin(&coin_settings, &config, &img, &device, &bar)?;
        bar.finish();
        let bytes = rein_coin::encode(h, w, &best.weights)?;
        coin.push(CoinPoint {
            width: cw,
            params: config.num_params(),
            bpp: best.bpp,
            file_bpp: per_pixel(8.0 * bytes.len() as f64),
            psnr: best.psnr,
            best_step: best.step,
            seconds: t0.elapsed().as_secs_f64(),
        });
    }
    coin.sort_by(|a, b| a.bpp.total_cmp(&b.bpp));
    let curve: Vec<(f64, f64)> = coin.iter().map(|c| (c.bpp, c.psnr)).collect();
    let file_curve: Vec<(f64, f64)> = coin.iter().map(|c| (c.file_bpp, c.psnr)).collect();

    let config = SirenConfig::new(args.layers, args.width);
    let mut runs = Vec::new();
    for &target in &args.target_bpp {
        let settings = L0onieSettings {
            common: common.clone(),
            target,
            config: config.clone(),
            gate_lr: args.gate_lr,
            dual_lr: args.dual_lr,
            drop_rate: args.drop_rate,
            gates: args.gates,
            finetune_steps: args.finetune_steps,
        };
        let bar = progress_bar(
            args.steps + args.finetune_steps,
            &format!("l0onie {target}"),
            args.quiet,
        );
        let t0 = Instant::now();
        let run = train_l0onie(&settings, &img, &device, &bar)?;
        bar.finish();
        let seconds = t0.elapsed().as_secs_f64();
        let stem = format!("bpp{target}");
        plots::plot_training(&args.out, &format!("training_{stem}"), &run.history, target)?;
        run.history
            .write_csv(&args.out.join(format!("history_{stem}.csv")))?;
        let feasible = run.best.is_some();
        let chosen: &Best = run.best.as_ref().unwrap_or(&run.last);
        let file = format!("l0onie_{stem}.rcoin");
        let file_bytes = write_coin(&args.out.join(&file), h, w, &chosen.weights)?;
        let decoded = read_coin(&args.out.join(&file))?;
        let reconstruction = format!("l0onie_{stem}.png");
        write_png(&args.out.join(&reconstruction), &render(&decoded))?;
        let coin_psnr = interpolate(&curve, chosen.bpp);
        let file_bpp = per_pixel(8.0 * file_bytes as f64);
        runs.push(L0onieRunMetrics {
            target,
            feasible,
            bpp: chosen.bpp,
            file_bpp,
            file_bytes,
            encoding: decoded.encoding,
            psnr: chosen.psnr,
            nnz: chosen.weights.nnz(),
            params: config.num_params(),
            best_step: chosen.step,
            coin_psnr_at_bpp: coin_psnr,
            psnr_gain: coin_psnr.map(|c| chosen.psnr - c),
            coin_psnr_at_file_bpp: interpolate(&file_curve, file_bpp),
            bpp_within_claim: feasible && chosen.bpp >= 0.7 * target,
            above_coin: coin_psnr.map(|c| chosen.psnr > c),
            constrained_psnr: run.constrained_best.as_ref().map(|b| b.psnr),
            constrained_bpp: run.constrained_best.as_ref().map(|b| b.bpp),
            final_bpp: run.last.bpp,
            final_psnr: run.last.psnr,
            lambda: run.multiplier,
            seconds,
            file,
            reconstruction,
        });
    }
    let points: Vec<plots::RdPoint> = runs
        .iter()
        .map(|r| plots::RdPoint {
            label: format!("L0onie target {}", r.target),
            bpp: r.bpp,
            file_bpp: r.file_bpp,
            psnr: r.psnr,
        })
        .collect();
    plots::plot_rd(
        &args.out.join("rate_distortion.png"),
        &curve,
        &points,
        &args.target_bpp,
    )?;
    let metrics = L0onieMetrics {
        image: args.image.clone(),
        height: h,
        width: w,
        layers: args.layers,
        gated_width: args.width,
        gates: args.gates,
        steps: args.steps,
        seed: args.seed,
        coin,
        runs,
    };
    write_metrics_json(&args.out.join("metrics.json"), &metrics)?;
    print_tables(&metrics);
    Ok(metrics)
}

fn print_tables(m: &L0onieMetrics) {
    let mut t = Table::new(["COIN width", "params", "bpp", "file bpp", "PSNR", "s"]);
    for c in &m.coin {
        t.add_row([
            c.width.to_string(),
            c.params.to_string(),
            format!("{:.3}", c.bpp),
            format!("{:.3}", c.file_bpp),
            format!("{:.2}", c.psnr),
            format!("{:.1}", c.seconds),
        ]);
    }
    println!("\n{}", t.render());
    let mut t = Table::new([
        "target",
        "bpp",
        "file bpp",
        "nnz",
        "PSNR",
        "COIN PSNR",
        "gain",
        "COIN @ file bpp",
        "step",
        "s",
    ]);
    let opt = |v: Option<f64>, p: usize| v.map_or("-".into(), |x| format!("{x:.p$}"));
    for r in &m.runs {
        t.add_row([
            format!("{}", r.target),
            format!("{:.3}{}", r.bpp, if r.feasible { "" } else { " (!)" }),
            format!("{:.3}", r.file_bpp),
            r.nnz.to_string(),
            format!("{:.2}", r.psnr),
            opt(r.coin_psnr_at_bpp, 2),
            opt(r.psnr_gain, 2),
            opt(r.coin_psnr_at_file_bpp, 2),
            r.best_step.to_string(),
            format!("{:.1}", r.seconds),
        ]);
    }
    println!("\n{}", t.render());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_and_auto_widths() {
        let c = [(1.0, 20.0), (2.0, 24.0), (4.0, 28.0)];
        assert_eq!(interpolate(&c, 1.5), Some(22.0));
        assert_eq!(interpolate(&c, 3.0), Some(26.0));
        assert_eq!(interpolate(&c, 0.5), None);
        assert_eq!(interpolate(&c, 4.5), None);
        let ws = auto_coin_widths(3, 4096, &[2.0, 4.0]);
        let bpp = |h| 16.0 * SirenConfig::new(3, h).num_params() as f64 / 4096.0;
        assert!(bpp(ws[0]) >= 1.0 && bpp(ws[0]) < 1.5, "{ws:?}");
        assert!(bpp(*ws.last().unwrap()) >= 6.0, "{ws:?}");
    }

    #[test]
    fn bundled_image_is_64_by_64_rgb() {
        let img = load_image("bundled").unwrap();
        assert_eq!(
            (img.height, img.width, img.data.len()),
            (64, 64, 64 * 64 * 3)
        );
        let e = format!("{:#}", load_image("/no/such.png").unwrap_err());
        assert!(e.contains("/no/such.png") && e.contains("--image"), "{e}");
    }
}
