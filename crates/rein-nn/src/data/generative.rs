//! Seeded 2-D data sets of generative-model demos (GAIT, GANs): the Swiss roll, the ring of
//! Gaussians, and standard normal noise for a generator's input.
//!
//! Like [`super::synthetic`], every draw goes through ChaCha8 with value-stable helpers, so the
//! same arguments give the same data on every run.

use super::Dataset;
use super::synthetic::check_scale;
use crate::error::DataError;
use crate::rng;

/// The 2-D Swiss roll: `t = 1.5 pi (1 + 2 u)`, `u ~ U[0, 1)`, the point
/// `scale * (t cos t, t sin t)` plus independent Gaussian noise of standard deviation `noise`
/// on each coordinate (the usual generative-model benchmark, `t` in `[1.5 pi, 4.5 pi]`). The
/// single class label is 0.
///
/// # Errors
/// [`DataError::InvalidArgument`] if `n_samples == 0`, or `scale` / `noise` is negative or not
/// finite.
pub fn swiss_roll(
    n_samples: usize,
    scale: f64,
    noise: f64,
    seed: u64,
) -> Result<Dataset, DataError> {
    check_count(n_samples)?;
    check_scale("scale", scale)?;
    check_scale("noise", noise)?;
    let mut stream = rng::chacha(seed, 0);
    let mut features = Vec::with_capacity(2 * n_samples);
    for _ in 0..n_samples {
        let t = 1.5 * std::f64::consts::PI * (1.0 + 2.0 * rng::unit_f64(&mut stream));
        let (x, y) = (t * t.cos(), t * t.sin());
        features.push((scale * x + noise * rng::normal(&mut stream)) as f32);
        features.push((scale * y + noise * rng::normal(&mut stream)) as f32);
    }
    Dataset::new(features, vec![0; n_samples], 2, 1)
}

/// The centres of [`gaussian_ring`]: `radius * (cos(2 pi k / modes), sin(2 pi k / modes))`.
pub fn ring_centres(modes: usize, radius: f64) -> Vec<[f64; 2]> {
    (0..modes)
        .map(|k| {
            let a = std::f64::consts::TAU * k as f64 / modes as f64;
            [radius * a.cos(), radius * a.sin()]
        })
        .collect()
}

/// A mixture of `modes` isotropic Gaussians of standard deviation `std` centred on a circle
/// of radius `radius` ([`ring_centres`]), equal weights; each row's mode is drawn uniformly
/// and is its label (the "8 Gaussians" benchmark with `modes = 8`).
///
/// # Errors
/// [`DataError::InvalidArgument`] if `n_samples == 0`, `modes == 0`, or `radius` / `std` is
/// negative or not finite.
pub fn gaussian_ring(
    n_samples: usize,
    modes: usize,
    radius: f64,
    std: f64,
    seed: u64,
) -> Result<Dataset, DataError> {
    check_count(n_samples)?;
    if modes == 0 {
        return Err(DataError::InvalidArgument {
            name: "modes",
            reason: "must be positive".into(),
        });
    }
    check_scale("radius", radius)?;
    check_scale("std", std)?;
    let centres = ring_centres(modes, radius);
    let mut stream = rng::chacha(seed, 0);
    let mut features = Vec::with_capacity(2 * n_samples);
    let mut labels = Vec::with_capacity(n_samples);
    for _ in 0..n_samples {
        let k = rng::below(&mut stream, modes as u64) as usize;
        let [cx, cy] = centres[k];
        features.push((cx + std * rng::normal(&mut stream)) as f32);
        features.push((cy + std * rng::normal(&mut stream)) as f32);
        labels.push(k);
    }
    Dataset::new(features, labels, 2, modes)
}

/// `rows * dim` independent standard normal draws (row-major), the input noise of a
/// generator; `stream` selects an independent sequence for the same `seed` (e.g. the step).
pub fn standard_normal(rows: usize, dim: usize, seed: u64, stream: u64) -> Vec<f32> {
    let mut s = rng::chacha(seed, stream);
    (0..rows * dim)
        .map(|_| rng::normal(&mut s) as f32)
        .collect()
}

fn check_count(n_samples: usize) -> Result<(), DataError> {
    if n_samples == 0 {
        Err(DataError::InvalidArgument {
            name: "n_samples",
            reason: "must be positive".into(),
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noiseless_swiss_roll_lies_on_its_spiral() {
        let ds = swiss_roll(200, 0.5, 0.0, 3).unwrap();
        assert_eq!((ds.n, ds.d, ds.classes), (200, 2, 1));
        for i in 0..ds.n {
            let [x, y] = [ds.row(i)[0] as f64 / 0.5, ds.row(i)[1] as f64 / 0.5];
            // r = t and the angle is t (mod 2 pi).
            let t = x.hypot(y);
            assert!(
                (1.5 * std::f64::consts::PI - 1e-4..=4.5 * std::f64::consts::PI + 1e-4)
                    .contains(&t)
            );
            assert!(
                (t.cos() * t - x).abs() < 1e-3 && (t.sin() * t - y).abs() < 1e-3,
                "row {i}"
            );
        }
        assert_eq!(ds, swiss_roll(200, 0.5, 0.0, 3).unwrap());
        assert!(swiss_roll(0, 1.0, 0.1, 0).is_err());
        assert!(swiss_roll(10, -1.0, 0.1, 0).is_err());
    }

    #[test]
    fn ring_rows_sit_near_their_mode() {
        let ds = gaussian_ring(800, 8, 2.0, 0.02, 5).unwrap();
        assert_eq!((ds.n, ds.d, ds.classes), (800, 2, 8));
        let centres = ring_centres(8, 2.0);
        for i in 0..ds.n {
            let [cx, cy] = centres[ds.labels[i]];
            let d = (ds.row(i)[0] as f64 - cx).hypot(ds.row(i)[1] as f64 - cy);
            assert!(d < 0.02 * 6.0, "row {i} at {d} from its mode");
        }
        // Every mode is drawn, roughly equally often.
        assert!(ds.class_counts().iter().all(|&c| (60..=140).contains(&c)));
        assert!(gaussian_ring(10, 0, 1.0, 0.1, 0).is_err());
    }

    #[test]
    fn noise_is_standard_and_streams_differ() {
        let z = standard_normal(2000, 2, 1, 0);
        let mean = z.iter().map(|&v| v as f64).sum::<f64>() / z.len() as f64;
        let var = z.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / z.len() as f64;
        assert!(
            mean.abs() < 0.05 && (var - 1.0).abs() < 0.08,
            "{mean} {var}"
        );
        assert_ne!(z, standard_normal(2000, 2, 1, 1));
        assert_eq!(z, standard_normal(2000, 2, 1, 0));
    }
}
