//! `exp` (`f32`) and `ln` (`f64`) for the fused gate kernels, written as plain lane loops that
//! the compiler vectorizes for whatever instruction set the calling kernel is compiled for
//! (`crate::simd` dispatch: SSE2 baseline, AVX2 where present).
//!
//! Why not `wide`'s `exp`/`ln`: they are separate (non-`#[inline(always)]`) functions compiled
//! for the baseline, so a kernel dispatched to AVX2 called out of line into SSE2 code for its
//! transcendental functions, and ran slower than the baseline kernel (measured with `perf`).
//!
//! Both are the Cephes polynomials (S. Moshier, Cephes Math Library, `expf.c` and `log.c`),
//! the ones `wide` uses, with only multiplies and adds (no fused multiply-add), so every
//! dispatched path gives the same bits. Inputs are limited to what the kernels pass:
//! [`exp_lane`] clamps to `[-87, 88]`; [`ln4`] expects positive, finite, normal inputs.

/// `e^x`, within about one `f32` ulp (Cephes `expf`); `x` is clamped to `[-87, 88]` first, so
/// the result is finite and normal. Written for a lane: in a loop over a slice inside a
/// dispatched kernel the compiler vectorizes it.
#[inline(always)]
pub(crate) fn exp_lane(x: f32) -> f32 {
    // 1.5 * 2^23: adding it rounds to an integer (ties to even) held in the low mantissa bits.
    const ROUND: f32 = 12_582_912.0;
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split in a part exact in few bits and a correction (Cephes).
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = if x < -87.0 { -87.0 } else { x };
    let x = if x > 88.0 { 88.0 } else { x };
    let t = x * LOG2E + ROUND;
    let n = t - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5; // Cephes: 5.0000001201e-1, the same f32
    let y = p * (r * r) + r + 1.0;
    let n_int = t.to_bits().wrapping_sub(ROUND.to_bits()) as i32;
    y * f32::from_bits(((n_int + 127) as u32) << 23)
}

/// `ln x` on four lanes, within about one `f64` ulp (Cephes `log`), for positive, finite,
/// normal `x`.
#[inline(always)]
pub(crate) fn ln4(x: [f64; 4]) -> [f64; 4] {
    let mut out = [0.0f64; 4];
    for (o, &x) in out.iter_mut().zip(&x) {
        *o = ln_lane(x);
    }
    out
}

#[inline(always)]
fn ln_lane(x: f64) -> f64 {
    const SQRT_HALF: f64 = std::f64::consts::FRAC_1_SQRT_2;
    // 2^52: or-ing the biased exponent into its mantissa reads it as a float without a
    // (non-vectorizable) u64 -> f64 conversion.
    const TWO52: f64 = 4_503_599_627_370_496.0;
    const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76);
    let bits = x.to_bits();
    // x = m 2^(e + 1) with m in [0.5, 1).
    let m = f64::from_bits((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FE0_0000_0000_0000);
    let e = f64::from_bits((bits >> 52) | TWO52.to_bits()) - (TWO52 + 1023.0);
    let above = m > SQRT_HALF;
    let (m, fe) = if above { (m, e + 1.0) } else { (m + m, e) };
    let z = m - 1.0;
    let p = ((((1.018_756_638_045_809_3e-4 * z + 4.974_949_949_767_47e-1) * z
        + 4.705_791_198_788_817)
        * z
        + 1.449_892_253_416_109_3e1)
        * z
        + 1.793_686_785_078_198_2e1)
        * z
        + 7.708_387_337_558_854;
    let q = ((((z + 1.128_735_871_891_674_5e1) * z + 4.522_791_458_375_322e1) * z
        + 8.298_752_669_127_766e1)
        * z
        + 7.115_447_506_185_639e1)
        * z
        + 2.312_516_201_267_653_4e1;
    let z2 = z * z;
    let res = z2 * z * p / q;
    let res = fe * LN2_LO + res;
    let res = res + (z - 0.5 * z2);
    fe * LN2_HI + res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_within_two_ulp_of_libm() {
        let mut worst = 0.0f64;
        for i in 0..=40_000 {
            let x = -87.0 + 175.0 * f64::from(i) / 40_000.0;
            let got = exp_lane(x as f32);
            let want = (x as f32 as f64).exp();
            worst = worst.max(((f64::from(got) - want) / want).abs());
        }
        assert!(worst < 2.5e-7, "max relative error {worst}");
        assert_eq!(exp_lane(-1000.0), (-87.0f32).exp());
    }

    #[test]
    fn ln_is_within_two_ulp_of_libm() {
        let mut worst = 0.0f64;
        let mut x = 1e-7;
        while x < 1e7 {
            let got = ln4([x; 4])[0];
            let want = x.ln();
            let err = (got - want).abs() / want.abs().max(1.0);
            worst = worst.max(err);
            x *= 1.000_37;
        }
        assert!(worst < 5e-16, "max error {worst}");
        assert_eq!(ln4([1.0; 4])[0], 0.0);
    }
}
