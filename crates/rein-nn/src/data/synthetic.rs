//! Seeded synthetic classification data: two moons and Gaussian mixtures.
//!
//! Both generators draw from ChaCha8 through value-stable helpers, so the same arguments give
//! the same data on every run and after dependency upgrades. Rows are grouped by class (class
//! 0 first); shuffle through [`Batcher`](super::Batcher) or [`Dataset::split`].

use super::Dataset;
use crate::error::DataError;
use crate::rng;

/// Two interleaving half circles in 2-D (as scikit-learn's `make_moons`).
///
/// Class 0 (`n_samples / 2` rows): `(cos t, sin t)` for `t` evenly spaced in `[0, pi]`;
/// class 1 (the remaining rows): `(1 - cos t, 0.5 - sin t)`. Each coordinate then gets
/// independent Gaussian noise of standard deviation `noise`.
///
/// # Errors
/// [`DataError::InvalidArgument`] if `n_samples < 2` or `noise` is negative or not finite.
pub fn two_moons(n_samples: usize, noise: f64, seed: u64) -> Result<Dataset, DataError> {
    if n_samples < 2 {
        return Err(DataError::InvalidArgument {
            name: "n_samples",
            reason: format!("{n_samples} < 2: need one sample per moon"),
        });
    }
    check_scale("noise", noise)?;
    let n_outer = n_samples / 2;
    let n_inner = n_samples - n_outer;
    let mut stream = rng::chacha(seed, 0);
    let mut features = Vec::with_capacity(2 * n_samples);
    let mut labels = Vec::with_capacity(n_samples);
    for (class, count) in [(0usize, n_outer), (1, n_inner)] {
        for i in 0..count {
            let t = if count > 1 {
                std::f64::consts::PI * i as f64 / (count - 1) as f64
            } else {
                0.0
            };
            let (x, y) = if class == 0 {
                (t.cos(), t.sin())
            } else {
                (1.0 - t.cos(), 0.5 - t.sin())
            };
            features.push((x + noise * rng::normal(&mut stream)) as f32);
            features.push((y + noise * rng::normal(&mut stream)) as f32);
            labels.push(class);
        }
    }
    Dataset::new(features, labels, 2, 2)
}

/// An isotropic Gaussian mixture with one component per class.
///
/// `counts[c]` rows are drawn for class `c` (so imbalanced data sets are easy to make). The
/// class means are drawn first, each coordinate from `N(0, separation^2)`; each row is then
/// `mean[c] + std * N(0, I_dim)`.
///
/// # Errors
/// [`DataError::InvalidArgument`] if `counts` is empty or sums to zero, `dim == 0`, or
/// `separation` / `std` is negative or not finite.
pub fn gaussian_mixture(
    counts: &[usize],
    dim: usize,
    separation: f64,
    std: f64,
    seed: u64,
) -> Result<Dataset, DataError> {
    if counts.iter().sum::<usize>() == 0 {
        return Err(DataError::InvalidArgument {
            name: "counts",
            reason: "no samples requested".into(),
        });
    }
    if dim == 0 {
        return Err(DataError::InvalidArgument {
            name: "dim",
            reason: "must be positive".into(),
        });
    }
    check_scale("separation", separation)?;
    check_scale("std", std)?;
    let mut stream = rng::chacha(seed, 0);
    let means: Vec<Vec<f64>> = counts
        .iter()
        .map(|_| {
            (0..dim)
                .map(|_| separation * rng::normal(&mut stream))
                .collect()
        })
        .collect();
    let mut features = Vec::with_capacity(counts.iter().sum::<usize>() * dim);
    let mut labels = Vec::new();
    for (class, (&count, mean)) in counts.iter().zip(&means).enumerate() {
        for _ in 0..count {
            features.extend(
                mean.iter()
                    .map(|m| (m + std * rng::normal(&mut stream)) as f32),
            );
            labels.push(class);
        }
    }
    Dataset::new(features, labels, dim, counts.len())
}

/// A finite, non-negative scale parameter, else an error naming it.
pub(super) fn check_scale(name: &'static str, v: f64) -> Result<(), DataError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(DataError::InvalidArgument {
            name,
            reason: format!("{v} is not a finite non-negative number"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moons_shape_and_determinism() {
        let a = two_moons(101, 0.1, 4).unwrap();
        assert_eq!((a.n, a.d, a.classes), (101, 2, 2));
        assert_eq!(a.class_counts(), vec![50, 51]);
        assert_eq!(a, two_moons(101, 0.1, 4).unwrap());
        assert_ne!(a, two_moons(101, 0.1, 5).unwrap());
        assert!(two_moons(1, 0.1, 0).is_err());
        assert!(two_moons(10, -1.0, 0).is_err());
    }

    #[test]
    fn noiseless_moons_lie_on_their_circles() {
        let ds = two_moons(40, 0.0, 0).unwrap();
        for i in 0..ds.n {
            let [x, y] = [ds.row(i)[0] as f64, ds.row(i)[1] as f64];
            let r = if ds.labels[i] == 0 {
                x.hypot(y)
            } else {
                (x - 1.0).hypot(y - 0.5)
            };
            assert!((r - 1.0).abs() < 1e-6, "row {i}: radius {r}");
        }
    }

    #[test]
    fn mixture_counts_and_class_means() {
        let ds = gaussian_mixture(&[300, 30, 0], 3, 4.0, 0.5, 11).unwrap();
        assert_eq!((ds.n, ds.d, ds.classes), (330, 3, 3));
        assert_eq!(ds.class_counts(), vec![300, 30, 0]);
        assert_eq!(
            ds,
            gaussian_mixture(&[300, 30, 0], 3, 4.0, 0.5, 11).unwrap()
        );
        // Within-class spread is close to `std`.
        let class0: Vec<_> = (0..300).map(|i| ds.row(i)).collect();
        let mean0: f64 = class0.iter().map(|r| r[0] as f64).sum::<f64>() / 300.0;
        let var0: f64 = class0
            .iter()
            .map(|r| (r[0] as f64 - mean0).powi(2))
            .sum::<f64>()
            / 300.0;
        assert!((var0.sqrt() - 0.5).abs() < 0.08, "{}", var0.sqrt());
        assert!(gaussian_mixture(&[], 2, 1.0, 1.0, 0).is_err());
        assert!(gaussian_mixture(&[3], 0, 1.0, 1.0, 0).is_err());
        assert!(gaussian_mixture(&[3], 2, f64::NAN, 1.0, 0).is_err());
    }
}
