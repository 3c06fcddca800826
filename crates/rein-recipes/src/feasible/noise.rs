//! Label noise for the Feasible Learning experiments: a seeded fraction of the training labels
//! flipped to a different class (Ramirez et al. 2025 use it to show that the multipliers flag
//! the mislabelled samples).

use rein_nn::Dataset;

/// SplitMix64 (Steele, Lea & Flood 2014): a small value-stable generator, so the same seed
/// flips the same rows on every platform and after dependency upgrades.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (`bound > 0`), by rejection (no modulo bias).
    fn below(&mut self, bound: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % bound;
        loop {
            let r = self.next();
            if r < zone {
                return r % bound;
            }
        }
    }
}

/// Flips `round(fraction * n)` training labels, chosen uniformly without replacement with
/// `seed`, each to a class drawn uniformly among the `classes - 1` other ones. Returns, per
/// row, whether its label was flipped. `fraction` must be in `[0, 1]` and the data set must
/// have at least two classes when anything is flipped (the recipe validates both).
pub fn flip_labels(data: &mut Dataset, fraction: f64, seed: u64) -> Vec<bool> {
    let n = data.n;
    let count = ((fraction * n as f64).round() as usize).min(n);
    let mut flipped = vec![false; n];
    if count == 0 || data.classes < 2 {
        return flipped;
    }
    let mut rng = SplitMix64(seed ^ 0x6c61_6265_6c5f_6e6f);
    // Partial Fisher-Yates: the first `count` entries of a seeded permutation.
    let mut rows: Vec<usize> = (0..n).collect();
    for k in 0..count {
        let j = k + rng.below((n - k) as u64) as usize;
        rows.swap(k, j);
    }
    for &i in &rows[..count] {
        let shift = 1 + rng.below(data.classes as u64 - 1) as usize;
        data.labels[i] = (data.labels[i] + shift) % data.classes;
        flipped[i] = true;
    }
    flipped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, classes: usize) -> Dataset {
        let labels: Vec<usize> = (0..n).map(|i| i % classes).collect();
        Dataset::new(vec![0.0; n], labels, 1, classes).unwrap()
    }

    #[test]
    fn flips_the_asked_fraction_to_other_classes_reproducibly() {
        let original = data(1000, 10);
        let mut a = original.clone();
        let flipped = flip_labels(&mut a, 0.05, 3);
        assert_eq!(flipped.iter().filter(|f| **f).count(), 50);
        for (i, &f) in flipped.iter().enumerate() {
            assert_eq!(a.labels[i] != original.labels[i], f, "row {i}");
            assert!(a.labels[i] < 10);
        }
        let mut b = original.clone();
        assert_eq!(flip_labels(&mut b, 0.05, 3), flipped);
        assert_eq!(a, b);
        let mut c = original.clone();
        assert_ne!(
            flip_labels(&mut c, 0.05, 4),
            flipped,
            "another seed, other rows"
        );
    }

    #[test]
    fn two_classes_swap_and_zero_fraction_flips_nothing() {
        let original = data(100, 2);
        let mut a = original.clone();
        let flipped = flip_labels(&mut a, 0.1, 0);
        for (i, &f) in flipped.iter().enumerate() {
            if f {
                assert_eq!(a.labels[i], 1 - original.labels[i]);
            }
        }
        let mut b = original.clone();
        assert!(flip_labels(&mut b, 0.0, 0).iter().all(|f| !f));
        assert_eq!(b, original);
    }
}
