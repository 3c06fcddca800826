//! SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators",
//! OOPSLA 2014; the 64-bit finaliser of Java's `SplittableRandom`): the deterministic generator
//! of every test problem, bench setup and `rein-bench` problem file.
//!
//! The streams are part of the expectations: the test problems, the benchmark problem files in
//! `bench/` and the results recorded in `bench/results/` were all drawn from these exact bits,
//! so none of the methods below may change what it returns for a given state.

/// The SplitMix64 generator: a 64-bit counter advanced by the golden-ratio increment
/// `0x9E37_79B9_7F4A_7C15`, hashed by a variant of MurmurHash3's finaliser (Stafford's "Mix13").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose first output is the hash of `seed + 0x9E37_79B9_7F4A_7C15`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`: the top 53 bits over `2^53`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[-1, 1)`: the top 53 bits over `2^52`, minus 1. The same value as
    /// `2 unit() - 1` (scaling by 2 is exact).
    pub fn symmetric(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }

    /// Uniform in `[-1, 1)` in single precision: the top 24 bits over `2^24`, times 2, minus 1.
    /// Not the rounding of [`symmetric`](Self::symmetric) to `f32` (that can round up to 1).
    pub fn symmetric_f32(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    /// `n` draws of [`symmetric`](Self::symmetric).
    pub fn vector(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.symmetric()).collect()
    }

    /// An `m x n` matrix of [`symmetric`](Self::symmetric) draws, by rows (row-major order of
    /// draws).
    pub fn matrix(&mut self, m: usize, n: usize) -> Vec<Vec<f64>> {
        (0..m).map(|_| self.vector(n)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_outputs_are_the_reference_values() {
        // The reference implementation's outputs (as in Vigna's splitmix64.c).
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        let mut r = SplitMix64::new(1_234_567);
        let want = [
            6_457_827_717_110_365_317,
            3_203_168_211_198_807_973,
            9_817_491_932_198_370_423,
            4_593_380_528_125_082_431,
            16_408_922_859_458_223_821,
        ];
        for w in want {
            assert_eq!(r.next_u64(), w);
        }
    }

    #[test]
    fn floats_are_the_top_bits_of_the_outputs() {
        // Seed 7 is the generator of the dual-optimizer tests' error sequence.
        let mut r = SplitMix64::new(7);
        assert_eq!(
            r.vector(3),
            [
                -0.22034050321745702,
                -0.9664234109436878,
                0.8015213612137668
            ]
        );
        let mut r = SplitMix64::new(7);
        let u: Vec<f64> = (0..3).map(|_| r.unit()).collect();
        assert_eq!(
            u,
            [0.3898297483912715, 0.01678829452815611, 0.9007606806068834]
        );
        let mut r = SplitMix64::new(1);
        // Exact in f32 (24 bits): compared in f64.
        let f: Vec<f64> = (0..3).map(|_| f64::from(r.symmetric_f32())).collect();
        assert_eq!(
            f,
            [0.13312304019927979, 0.49156343936920166, 0.9420053958892822]
        );
    }

    #[test]
    fn symmetric_is_twice_unit_minus_one_bit_for_bit() {
        let (mut a, mut b) = (SplitMix64::new(42), SplitMix64::new(42));
        for _ in 0..10_000 {
            assert_eq!(a.symmetric().to_bits(), (2.0 * b.unit() - 1.0).to_bits());
        }
    }

    #[test]
    fn symmetric_f32_is_seeded_and_in_range() {
        let draw = |seed| {
            let mut r = SplitMix64::new(seed);
            (0..1000).map(|_| r.symmetric_f32()).collect::<Vec<_>>()
        };
        let a = draw(1);
        assert_eq!(a, draw(1));
        assert_ne!(a, draw(2));
        assert!(a.iter().all(|v| (-1.0..1.0).contains(v)));
        let mean = a.iter().sum::<f32>() / a.len() as f32;
        assert!(mean.abs() < 0.1, "mean {mean}");
    }

    #[test]
    fn matrix_draws_row_by_row() {
        let m = SplitMix64::new(3).matrix(2, 3);
        let v = SplitMix64::new(3).vector(6);
        assert_eq!(m.concat(), v);
        assert!(v.iter().all(|x| (-1.0..1.0).contains(x)));
    }
}
