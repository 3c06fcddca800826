//! The 2-D ring of Gaussians (Metz et al. 2017, "Unrolled Generative Adversarial Networks",
//! ICLR; the GANGs paper's mixture-of-Gaussians task), its seeded sampler, and mode coverage.
//!
//! `K` modes with means `mu_k = R (cos 2 pi k / K, sin 2 pi k / K)`, equal weights and
//! isotropic standard deviation `s`. A generated sample is *high quality* when it lies within
//! `quality_stds * s` of its nearest mean; a mode is *covered* when at least `min_mode_share`
//! of all samples are high-quality samples of it (Srivastava et al. 2017, VEEGAN, count modes
//! and high-quality samples the same way with 3 standard deviations).
//!
//! `rein_nn::gaussian_mixture` draws its means at random (a classification set), so the ring
//! is generated here.

use serde::{Deserialize, Serialize};

/// SplitMix64 (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number generators"):
/// the seeded stream of every sample, noise vector and mixture draw of the recipe.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A stream for `seed` on the independent `stream` (hashed together).
    pub fn new(seed: u64, stream: u64) -> Self {
        let mut s = Self(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        s.next_u64();
        s
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)` (53 bits).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal draw (Box-Muller, the cosine branch).
    pub fn normal(&mut self) -> f64 {
        let u = 1.0 - self.unit(); // (0, 1]
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// `n` rows of `d` standard normal values, row-major, as `f32`.
    pub fn normals_f32(&mut self, n: usize, d: usize) -> Vec<f32> {
        (0..n * d).map(|_| self.normal() as f32).collect()
    }

    /// An index drawn with probabilities `weights` (summing to 1).
    pub fn categorical(&mut self, weights: &[f64]) -> usize {
        let u = self.unit();
        let mut acc = 0.0;
        for (k, w) in weights.iter().enumerate() {
            acc += w;
            if u < acc {
                return k;
            }
        }
        weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
    }
}

/// The ring of Gaussians.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ring {
    /// Number of modes `K`.
    pub modes: usize,
    /// Radius `R` of the circle of means.
    pub radius: f64,
    /// Standard deviation `s` of every mode.
    pub std: f64,
}

impl Ring {
    /// The mean of mode `k`.
    pub fn mean(&self, k: usize) -> [f64; 2] {
        let a = std::f64::consts::TAU * k as f64 / self.modes as f64;
        [self.radius * a.cos(), self.radius * a.sin()]
    }

    /// `n` samples, row-major `[x0, y0, x1, y1, ...]`.
    pub fn sample(&self, n: usize, rng: &mut SplitMix64) -> Vec<f32> {
        let mut out = Vec::with_capacity(2 * n);
        for _ in 0..n {
            let k = (rng.unit() * self.modes as f64) as usize % self.modes;
            let m = self.mean(k);
            out.push((m[0] + self.std * rng.normal()) as f32);
            out.push((m[1] + self.std * rng.normal()) as f32);
        }
        out
    }

    /// The nearest mode of `p` and its distance.
    pub fn nearest(&self, p: [f64; 2]) -> (usize, f64) {
        (0..self.modes)
            .map(|k| {
                let m = self.mean(k);
                (k, (p[0] - m[0]).hypot(p[1] - m[1]))
            })
            .fold((0, f64::INFINITY), |b, c| if c.1 < b.1 { c } else { b })
    }

    /// Mode coverage of the samples `points` (row-major pairs).
    pub fn coverage(&self, points: &[f32], quality_stds: f64, min_mode_share: f64) -> Coverage {
        let n = points.len() / 2;
        let mut counts = vec![0usize; self.modes];
        let mut high_quality = 0;
        for p in points.chunks_exact(2) {
            let (k, d) = self.nearest([f64::from(p[0]), f64::from(p[1])]);
            if d <= quality_stds * self.std {
                counts[k] += 1;
                high_quality += 1;
            }
        }
        let share: Vec<f64> = counts.iter().map(|&c| c as f64 / n.max(1) as f64).collect();
        let covered = share.iter().filter(|&&s| s >= min_mode_share).count();
        Coverage {
            samples: n,
            modes_covered: covered,
            high_quality_fraction: high_quality as f64 / n.max(1) as f64,
            mode_shares: share,
        }
    }
}

/// How many modes a set of samples covers (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    /// Number of samples judged.
    pub samples: usize,
    /// Modes with at least `min_mode_share` of the samples as high-quality samples.
    pub modes_covered: usize,
    /// Fraction of samples within `quality_stds` standard deviations of a mean.
    pub high_quality_fraction: f64,
    /// Per mode: the fraction of all samples that are high-quality samples of it.
    pub mode_shares: Vec<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_samples_cover_every_mode_and_a_point_covers_one() {
        let ring = Ring {
            modes: 8,
            radius: 2.0,
            std: 0.05,
        };
        let mut rng = SplitMix64::new(3, 0);
        let x = ring.sample(4000, &mut rng);
        let c = ring.coverage(&x, 3.0, 0.01);
        assert_eq!(c.modes_covered, 8, "{c:?}");
        assert!(c.high_quality_fraction > 0.98, "{c:?}");
        // Collapsed onto mode 2's mean: one mode.
        let m = ring.mean(2);
        let collapsed: Vec<f32> = (0..100).flat_map(|_| [m[0] as f32, m[1] as f32]).collect();
        let c = ring.coverage(&collapsed, 3.0, 0.01);
        assert_eq!((c.modes_covered, c.mode_shares[2]), (1, 1.0));
        // At the centre: no high-quality sample.
        let c = ring.coverage(&[0.0, 0.0], 3.0, 0.01);
        assert_eq!((c.modes_covered, c.high_quality_fraction), (0, 0.0));
    }

    #[test]
    fn normal_draws_have_unit_variance() {
        let mut rng = SplitMix64::new(0, 1);
        let v: Vec<f64> = (0..20000).map(|_| rng.normal()).collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
        assert!(
            mean.abs() < 0.03 && (var - 1.0).abs() < 0.05,
            "{mean} {var}"
        );
        let w = [0.0, 0.25, 0.75];
        let mut counts = [0; 3];
        for _ in 0..4000 {
            counts[rng.categorical(&w)] += 1;
        }
        assert_eq!(counts[0], 0);
        assert!(
            (counts[2] as f64 / 4000.0 - 0.75).abs() < 0.03,
            "{counts:?}"
        );
    }
}
