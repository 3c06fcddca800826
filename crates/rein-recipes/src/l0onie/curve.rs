//! The COIN rate-distortion curve: which widths to measure, and reading PSNR off it at a rate.

use rein_nn::siren::SirenConfig;

/// COIN widths whose dense rate `16 P(h) / (H W)` spans `[0.5 min target, 1.5 max target]`:
/// six geometric steps `lo (hi / lo)^(i/5)`, each the narrowest width (up to 4096) reaching
/// it, duplicates removed.
pub fn auto_coin_widths(layers: usize, pixels: usize, targets: &[f64]) -> Vec<usize> {
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

/// Piecewise-linear interpolation of `curve` (points `(x, y)` sorted by `x`) at `x`:
/// `y0 + (y1 - y0)(x - x0) / (x1 - x0)` on the segment holding `x`; `None` outside the curve
/// (no extrapolation).
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
}
