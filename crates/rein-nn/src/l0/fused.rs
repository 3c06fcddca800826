//! Fused hard-concrete kernels: the gate sample and the expected L0 norm computed on the host
//! with SIMD, returned as burn tensors that carry the exact gradient.
//!
//! Why: flex evaluates `sigmoid` element by element through libm's `exp` (~150 instructions per
//! element, measured with callgrind), and an unstructured L0 layer has one gate per weight. On
//! the digits MLP 64-128-64-10 the density constraint's `sigmoid` over 16.6k gates alone made the
//! constrained step 1.25x the unconstrained one (target in docs/sparsity.md: <= 1.05).
//!
//! How: the host computes each value `y_h` and its derivative `d_h = f'(x)`, and
//! [`super::slope_op::with_slope`] returns `y_h` as a tensor whose gradient is
//! `dL/dx = dL/dy * d_h`, exactly the chain rule of `f`. On flex with autodiff that is one custom
//! backward node (no forward op at all); elsewhere the linearisation trick
//! `y_h + (x * d_h - stop(x * d_h))`, exact in value because `a - a = 0` for finite `a`.
//!
//! Functions (Louizos, Welling & Kingma 2018, eq. 10 and 12; see [`super::hard_concrete`]):
//! * [`sample`]: `z = clamp(sigmoid((n + log_alpha) / beta) (zeta - gamma) + gamma, 0, 1)` with
//!   logistic noise `n` from [`GateRng::logistic_noise`], and
//!   `dz/dlog_alpha = (zeta - gamma) / beta * s (1 - s)` where `0 < z < 1`, else `0`;
//! * [`expected_l0_sum`]: `sum_g sigmoid(log_alpha_g - beta ln(-gamma / zeta))`, with
//!   `d/dlog_alpha_g = p_g (1 - p_g)`; the sum is accumulated in `f64`.
//!
//! **`f32` tensors** take a SIMD path without logarithms. With `n = ln(u / (1 - u))` and
//! `1 / beta = 3/2`,
//!
//! ```text
//! exp(-(n + log_alpha) / beta) = y^(3/2) = y sqrt(y),   y = (1 - u) / u * exp(-log_alpha)
//! s = 1 / (1 + y sqrt(y))
//! ```
//!
//! so a gate costs one `f32` `exp`, a square root and two divisions (the `f64` logarithm and
//! divisions of the noise were most of the kernel's time; docs/cpu_options.md, session 9). `y` may overflow to `+inf` or be `0` at the
//! extremes, which give `s = 0` and `s = 1`, the limits. **`f64` tensors** draw the logistic noise
//! and evaluate the sigmoid in `f64` (libm).
//!
//! Either way the values agree with the element-wise tensor forms
//! ([`super::hard_concrete::sample_unfused`], [`super::hard_concrete::expected_l0`]) on the same
//! uniforms to the rounding of the dtype (tested): a seed gives the same gates up to that
//! rounding, with the same generator in the same order.

use burn::tensor::{DType, Tensor, TensorData};

use super::hard_concrete::{BETA, GAMMA, GateRng, ZETA, zero_shift};

/// Gates per block of the `f32` kernels, whose stack buffers (random words, odds, expected-L0
/// terms) hold one block each: 4 KiB apiece.
const BLOCK: usize = 1024;

/// `|x|` beyond which `sigmoid(x)` is 0 or 1 to double precision; also keeps `exp` finite.
const SIGMOID_SATURATION: f64 = 40.0;

/// The values of a tensor on the host: `f32` tensors stay `f32` (the SIMD path), every other
/// dtype is read as `f64` (the scalar, double-precision path).
enum Host {
    /// Read in place through [`f32_values`]: converting to a `Vec<f32>` would copy the
    /// device's bytes a second time (they come back with byte alignment).
    F32(TensorData),
    F64(Vec<f64>),
}

fn host_values<const D: usize>(t: &Tensor<D>) -> Host {
    // `log_alpha` is a parameter: its buffer is shared with the model, and flex's `to_data` of
    // a shared buffer copies twice (out of it, then again to realign the copied bytes).
    // `t * 1` off the autodiff graph (exact, one vectorised pass) writes a buffer of our own,
    // which moves out without a copy.
    let data = t.clone().inner().mul_scalar(1.0).into_data();
    if t.dtype() == DType::F32 {
        Host::F32(data)
    } else {
        Host::F64(
            data.convert::<f64>()
                .try_into_vec::<f64>()
                .expect("converted to f64"),
        )
    }
}

/// The `f32` values of `data`: borrowed when its bytes are aligned for `f32` (the usual case),
/// else copied.
fn f32_values(data: &TensorData) -> std::borrow::Cow<'_, [f32]> {
    match data.as_slice::<f32>() {
        Ok(values) => std::borrow::Cow::Borrowed(values),
        Err(_) => std::borrow::Cow::Owned(
            data.as_bytes()
                .chunks_exact(4)
                .map(|b| f32::from_ne_bytes(b.try_into().expect("4 bytes")))
                .collect(),
        ),
    }
}

/// `sigmoid(x) = 1 / (1 + exp(-x))` in `f64` (libm `exp`), `x` clamped to `[-40, 40]`.
#[inline]
fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x.clamp(-SIGMOID_SATURATION, SIGMOID_SATURATION)).exp())
}

fn tensor_like<const D: usize, E: burn::tensor::Element>(
    values: Vec<E>,
    like: &Tensor<D>,
) -> Tensor<D> {
    Tensor::<D>::from_data(
        TensorData::new(values, like.shape()).convert_dtype(like.dtype()),
        &like.device(),
    )
}

/// Samples hard-concrete gates for `log_alpha` (any shape) with noise from `rng`; see the module
/// docs for the value and the gradient.
pub fn sample<const D: usize>(log_alpha: Tensor<D>, rng: &mut GateRng) -> Tensor<D> {
    let (span, gamma) = (ZETA - GAMMA, GAMMA);
    // The noise is drawn in row-major element order, exactly as the unfused form does.
    let (value, slope) = match host_values(&log_alpha) {
        Host::F32(data) => {
            let (z, slope) = sample_host_f32(&f32_values(&data), rng);
            (tensor_like(z, &log_alpha), tensor_like(slope, &log_alpha))
        }
        Host::F64(la) => {
            let mut z = Vec::with_capacity(la.len());
            let mut slope = Vec::with_capacity(la.len());
            let mut noise = vec![0.0; la.len()];
            rng.fill_logistic_noise(&mut noise);
            for (a, n) in la.into_iter().zip(noise) {
                let s = sigmoid((n + a) / BETA);
                let bar = s * span + gamma;
                z.push(bar.clamp(0.0, 1.0));
                let inside = bar > 0.0 && bar < 1.0;
                slope.push(if inside {
                    span / BETA * s * (1.0 - s)
                } else {
                    0.0
                });
            }
            (tensor_like(z, &log_alpha), tensor_like(slope, &log_alpha))
        }
    };
    super::slope_op::with_slope(log_alpha, value, slope)
}

/// `sum_g P(z_g != 0) = sum_g sigmoid(log_alpha_g - beta ln(-gamma / zeta))` over every element
/// of `log_alpha`, shape `[1]`, differentiable (see the module docs).
pub fn expected_l0_sum<const D: usize>(log_alpha: Tensor<D>) -> Tensor<1> {
    let shift = zero_shift();
    let (total, slope) = match host_values(&log_alpha) {
        Host::F32(data) => {
            let (total, slope) = expected_l0_host_f32(&f32_values(&data), shift);
            (total, tensor_like(slope, &log_alpha))
        }
        Host::F64(la) => {
            let p: Vec<f64> = la.iter().map(|a| sigmoid(a - shift)).collect();
            let total = p.iter().sum();
            let slope = p.iter().map(|p| p * (1.0 - p)).collect();
            (total, tensor_like::<D, f64>(slope, &log_alpha))
        }
    };
    let value = Tensor::<1>::from_data(
        TensorData::new(vec![total], [1]).convert_dtype(log_alpha.dtype()),
        &log_alpha.device(),
    );
    super::slope_op::with_slope(log_alpha, value, slope)
}

/// Gates per task of the chunked host kernels. Fixed, so that the results do not depend on the
/// number of threads (a multiple of `BLOCK` and of 8).
const CHUNK: usize = 64 * BLOCK;

/// One chunk of [`sample_host_f32`]: its index, its `log_alpha`, and its gates and slopes to
/// write.
type ChunkTask<'a> = (usize, ((&'a [f32], &'a mut [f32]), &'a mut [f32]));

/// The `f32` gate sample of [`sample`] and its slopes, in chunks of [`CHUNK`] gates.
///
/// Chunk `k` draws its noise from a copy of `rng` moved `k * CHUNK` draws ahead
/// ([`GateRng::ahead`]), and `rng` then skips every draw: the same numbers in the same places as
/// one serial pass. With the `threads` feature the chunks run on rayon's pool (tested: the same
/// bits as the serial pass).
fn sample_host_f32(la: &[f32], rng: &mut GateRng) -> (Vec<f32>, Vec<f32>) {
    let n = la.len();
    let (mut z, mut slope) = (vec![0.0f32; n], vec![0.0f32; n]);
    {
        let start = &*rng;
        let task = |(k, ((la, z), slope)): ChunkTask<'_>| {
            let mut rng = start.ahead((k * CHUNK) as u64);
            crate::simd::dispatch(SampleF32 {
                la,
                rng: &mut rng,
                z,
                slope,
            });
        };
        #[cfg(feature = "threads")]
        if n >= 2 * CHUNK {
            use rayon::prelude::*;
            la.par_chunks(CHUNK)
                .zip(z.par_chunks_mut(CHUNK))
                .zip(slope.par_chunks_mut(CHUNK))
                .enumerate()
                .for_each(task);
            rng.skip(n as u64);
            return (z, slope);
        }
        la.chunks(CHUNK)
            .zip(z.chunks_mut(CHUNK))
            .zip(slope.chunks_mut(CHUNK))
            .enumerate()
            .for_each(task);
    }
    rng.skip(n as u64);
    (z, slope)
}

/// The `f32` expected-L0 sum of [`expected_l0_sum`] and its slopes, in chunks of [`CHUNK`]
/// gates (on rayon's pool with the `threads` feature). Each chunk sums its terms in eight `f64`
/// lanes; the lanes are added across chunks in chunk order and then combined, so the total does
/// not depend on the number of threads.
fn expected_l0_host_f32(la: &[f32], shift: f64) -> (f64, Vec<f32>) {
    let mut slope = vec![0.0f32; la.len()];
    let task = |(la, slope): (&[f32], &mut [f32])| {
        crate::simd::dispatch(ExpectedL0F32 { la, shift, slope })
    };
    let partials: Vec<[f64; 8]> = {
        #[cfg(feature = "threads")]
        {
            use rayon::prelude::*;
            if la.len() >= 2 * CHUNK {
                la.par_chunks(CHUNK)
                    .zip(slope.par_chunks_mut(CHUNK))
                    .map(task)
                    .collect()
            } else {
                la.chunks(CHUNK)
                    .zip(slope.chunks_mut(CHUNK))
                    .map(task)
                    .collect()
            }
        }
        #[cfg(not(feature = "threads"))]
        la.chunks(CHUNK)
            .zip(slope.chunks_mut(CHUNK))
            .map(task)
            .collect()
    };
    let mut lane = [0.0f64; 8];
    for chunk in &partials {
        for (l, c) in lane.iter_mut().zip(chunk) {
            *l += c;
        }
    }
    let total =
        ((lane[0] + lane[4]) + (lane[2] + lane[6])) + ((lane[1] + lane[5]) + (lane[3] + lane[7]));
    (total, slope)
}

/// The `f32` gate sample and its slope `dz/dlog_alpha` (see [`sample`]) of one chunk, written to
/// `z` and `slope`, inlined into a dispatched kernel (`crate::simd`): the odds `(1 - u) / u`
/// and everything after them in `f32`, without a logarithm (module docs).
struct SampleF32<'a> {
    la: &'a [f32],
    rng: &'a mut GateRng,
    z: &'a mut [f32],
    slope: &'a mut [f32],
}

impl crate::simd::Kernel for SampleF32<'_> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        sample_f32(self.la, self.rng, self.z, self.slope);
    }
}

#[inline(always)]
fn sample_f32(la: &[f32], rng: &mut GateRng, z: &mut [f32], slope: &mut [f32]) {
    // 1/beta = 3/2: `exp(-x / beta) = y^(3/2) = y sqrt(y)` (module docs).
    const _: () = assert!(BETA == 2.0 / 3.0);
    let (span, gamma, slope_scale) = (
        (ZETA - GAMMA) as f32,
        GAMMA as f32,
        ((ZETA - GAMMA) / BETA) as f32,
    );
    let mut bits = [0u32; BLOCK];
    let mut odds = [0.0f32; BLOCK];
    // Per block of gates: draw the random words, form the odds `(1 - u) / u` in
    // f32, then the gates and slopes. Plain loops over slices, not closures or fixed-width
    // vector types: the body is inlined into the dispatched kernel, where the compiler
    // vectorizes each loop for the CPU's widest lanes.
    for ((la, z), slope) in la
        .chunks(BLOCK)
        .zip(z.chunks_mut(BLOCK))
        .zip(slope.chunks_mut(BLOCK))
    {
        let len = la.len();
        let (bits, odds) = (&mut bits[..len], &mut odds[..len]);
        rng.fill_words(bits);
        for (q, &b) in odds.iter_mut().zip(bits.iter()) {
            let u = super::hard_concrete::uniform_of_word(b);
            *q = ((1.0 - u) as f32) / (u as f32);
        }
        for (((z, slope), &a), &q) in z.iter_mut().zip(slope.iter_mut()).zip(la).zip(odds.iter()) {
            let y = q * super::simd_math::exp_lane(-a);
            let s = 1.0 / (1.0 + y * y.sqrt());
            let bar = s * span + gamma;
            let inside = bar > 0.0 && bar < 1.0;
            *z = bar.clamp(0.0, 1.0);
            *slope = if inside {
                slope_scale * s * (1.0 - s)
            } else {
                0.0
            };
        }
    }
}

/// The `f32` expected-L0 terms `p = sigmoid(log_alpha - shift)` of one chunk: their sums in
/// eight `f64` lanes, and the slopes `p (1 - p)` written to `slope`; inlined into a dispatched
/// kernel (`crate::simd`).
struct ExpectedL0F32<'a> {
    la: &'a [f32],
    shift: f64,
    slope: &'a mut [f32],
}

impl crate::simd::Kernel for ExpectedL0F32<'_> {
    type Output = [f64; 8];

    #[inline(always)]
    fn run(self) -> Self::Output {
        expected_l0_f32(self.la, self.shift, self.slope)
    }
}

#[inline(always)]
fn expected_l0_f32(la: &[f32], shift: f64, slope: &mut [f32]) -> [f64; 8] {
    let (shift, limit) = (shift as f32, SIGMOID_SATURATION as f32);
    // Eight f64 partial sums, lane `i` taking the terms `i mod 8` of the chunk: a single running
    // sum would serialise on the add latency, and fixed lanes keep the total independent of how
    // the loops are vectorized.
    let mut lanes = [0.0f64; 8];
    let mut p = [0.0f32; BLOCK];
    // Plain loops over blocks (see `sample_f32`): the terms, their lane sums, then the slopes.
    for (la, slope) in la.chunks(BLOCK).zip(slope.chunks_mut(BLOCK)) {
        let p = &mut p[..la.len()];
        for (p, &a) in p.iter_mut().zip(la) {
            let x = (a - shift).max(-limit).min(limit);
            *p = 1.0 / (1.0 + super::simd_math::exp_lane(-x));
        }
        let mut eights = p.chunks_exact(8);
        for c in &mut eights {
            for (l, &v) in lanes.iter_mut().zip(c) {
                *l += f64::from(v);
            }
        }
        for (l, &v) in lanes.iter_mut().zip(eights.remainder()) {
            *l += f64::from(v);
        }
        for (d, &p) in slope.iter_mut().zip(p.iter()) {
            *d = p * (1.0 - p);
        }
    }
    lanes
}

#[cfg(test)]
mod tests {
    use burn::tensor::Device;

    use super::*;
    use crate::l0::hard_concrete::{expected_l0, sample_unfused};
    use rein_testing::device::host;
    use rein_testing::linalg::max_abs_diff;

    /// The kernels give the same bits through the AVX2 + FMA dispatch as in the baseline
    /// build (`crate::simd`): a binary's results do not depend on the CPU it runs on.
    #[test]
    fn dispatched_and_baseline_kernels_agree_bit_for_bit() {
        let la: Vec<f32> = (0..1029)
            .map(|i| ((i * 37) % 200) as f32 / 20.0 - 5.0)
            .collect();
        let (mut r1, mut r2) = (GateRng::new(4), GateRng::new(4));
        let n = la.len();
        let (mut z1, mut s1, mut z2, mut s2) =
            (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        crate::simd::dispatch(SampleF32 {
            la: &la,
            rng: &mut r1,
            z: &mut z1,
            slope: &mut s1,
        });
        crate::simd::baseline(SampleF32 {
            la: &la,
            rng: &mut r2,
            z: &mut z2,
            slope: &mut s2,
        });
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&z1), bits(&z2));
        assert_eq!(bits(&s1), bits(&s2));
        let shift = zero_shift();
        let (mut s1, mut s2) = (vec![0.0; n], vec![0.0; n]);
        let p1 = crate::simd::dispatch(ExpectedL0F32 {
            la: &la,
            shift,
            slope: &mut s1,
        });
        let p2 = crate::simd::baseline(ExpectedL0F32 {
            la: &la,
            shift,
            slope: &mut s2,
        });
        assert_eq!(p1.map(f64::to_bits), p2.map(f64::to_bits));
        assert_eq!(bits(&s1), bits(&s2));
    }

    /// The chunked host kernels give the bits of one unchunked pass: chunk `k`'s generator moved
    /// `k * CHUNK` draws ahead draws exactly the numbers the serial pass would, and `rng` ends
    /// where the serial pass leaves it. (The `threads` feature runs the same chunks in parallel.)
    #[test]
    fn chunked_kernels_match_one_serial_pass() {
        let n = 2 * CHUNK + 1029;
        let la: Vec<f32> = (0..n)
            .map(|i| ((i * 37) % 200) as f32 / 20.0 - 5.0)
            .collect();
        let (mut serial_rng, mut chunked_rng) = (GateRng::new(9), GateRng::new(9));
        let (mut z, mut slope) = (vec![0.0; n], vec![0.0; n]);
        crate::simd::dispatch(SampleF32 {
            la: &la,
            rng: &mut serial_rng,
            z: &mut z,
            slope: &mut slope,
        });
        let (zc, slope_c) = sample_host_f32(&la, &mut chunked_rng);
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&zc), bits(&z));
        assert_eq!(bits(&slope_c), bits(&slope));
        assert_eq!(chunked_rng.state(), serial_rng.state());
        assert_eq!(
            chunked_rng.uniform().to_bits(),
            serial_rng.uniform().to_bits()
        );
        // The expected L0: the same slopes, and a total within f64 rounding of the serial sum.
        let mut slope = vec![0.0; n];
        let lanes = crate::simd::dispatch(ExpectedL0F32 {
            la: &la,
            shift: zero_shift(),
            slope: &mut slope,
        });
        let (total, slope_c) = expected_l0_host_f32(&la, zero_shift());
        assert_eq!(bits(&slope_c), bits(&slope));
        let serial: f64 = lanes.iter().sum();
        assert!(
            (total - serial).abs() <= 1e-12 * serial,
            "{total} vs {serial}"
        );
    }

    /// Far outside the clamp range of `log_alpha` the odds times `exp(-log_alpha)` overflow to
    /// `+inf` or underflow to `0`: the gates are then exactly closed or open, with zero slope,
    /// never NaN.
    #[test]
    fn extreme_log_alpha_gives_closed_or_open_gates() {
        let la = [-1e30f32, -100.0, -50.0, 50.0, 100.0, 1e30];
        let (z, slope) = sample_host_f32(&la, &mut GateRng::new(3));
        assert_eq!(z, [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
        assert_eq!(slope, [0.0; 6]);
        // The expected L0 saturates at +-40 (sigmoid to double precision): terms of 0 or 1 up
        // to 5e-18.
        let (total, slope) = expected_l0_host_f32(&la, zero_shift());
        assert!((total - 3.0).abs() < 1e-15, "{total}");
        assert!(
            slope.iter().all(|&d| (0.0..5e-18).contains(&d)),
            "{slope:?}"
        );
    }

    /// The batched noise equals one draw at a time, and `logit` stays within a few ulp of
    /// `ln u - ln(1 - u)` in libm.
    #[test]
    fn batched_noise_matches_single_draws_and_libm() {
        let mut batched = vec![0.0; 1027];
        GateRng::new(11).fill_logistic_noise(&mut batched);
        let mut single = GateRng::new(11);
        let mut uniforms = GateRng::new(11);
        for &b in &batched {
            assert_eq!(b.to_bits(), single.logistic_noise().to_bits());
            let u = uniforms.uniform();
            let libm = u.ln() - (1.0 - u).ln();
            assert!(
                (b - libm).abs() <= 1e-13 * libm.abs().max(1e-3),
                "{b} vs {libm} at u = {u}"
            );
        }
        let mut baseline = vec![0.0; 1027];
        let mut rng = GateRng::new(11);
        crate::simd::baseline(crate::l0::hard_concrete::FillNoise {
            rng: &mut rng,
            out: &mut baseline,
        });
        assert_eq!(batched, baseline);
    }

    /// The f32 device with the tolerance of f32 rounding. (The flex dtype setting is global to
    /// the process, so the f64 case lives in `tests/fused_f64.rs`, its own test binary.)
    fn devices() -> Vec<(Device, f64)> {
        vec![(Device::flex().autodiff(), 2e-6)]
    }

    /// Values spanning both clamps and the open middle (log_alpha is clamped to +-4.6 in
    /// training; +-8 also exercises saturation).
    fn log_alpha_values(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| -8.0 + 16.0 * i as f64 / (n - 1) as f64)
            .collect()
    }

    fn param<const D: usize>(values: &[f64], shape: [usize; D], device: &Device) -> Tensor<D> {
        Tensor::<D>::from_data(TensorData::new(values.to_vec(), shape), device).require_grad()
    }

    #[test]
    fn sample_matches_the_unfused_form_in_value_and_gradient() {
        for (device, tol) in devices() {
            let la = log_alpha_values(7 * 5);
            // A weight per gate so the gradient is not the same for every element.
            let w: Vec<f64> = (0..la.len()).map(|i| 0.5 + i as f64 * 0.1).collect();
            let w = Tensor::<2>::from_data(TensorData::new(w, [7, 5]), &device);
            let run = |fused: bool| {
                let x = param(&la, [7, 5], &device);
                let mut rng = GateRng::new(3);
                let z = if fused {
                    sample(x.clone(), &mut rng)
                } else {
                    sample_unfused(x.clone(), &mut rng)
                };
                let grads = (z.clone() * w.clone()).sum().backward();
                let g = x.grad(&grads).expect("log_alpha has a gradient");
                (host(&z), host(&g))
            };
            let (z, g) = run(true);
            let (z_ref, g_ref) = run(false);
            assert!(
                max_abs_diff(&z, &z_ref) < tol,
                "values {}",
                max_abs_diff(&z, &z_ref)
            );
            assert!(
                max_abs_diff(&g, &g_ref) < 10.0 * tol,
                "grads {}",
                max_abs_diff(&g, &g_ref)
            );
            // Both clamps and the open middle occur, so the test covers every branch.
            assert!(z.contains(&0.0) && z.contains(&1.0));
            assert!(z.iter().any(|v| *v > 0.0 && *v < 1.0));
            assert!(g.contains(&0.0) && g.iter().any(|v| *v != 0.0));
        }
    }

    #[test]
    fn expected_l0_sum_matches_the_element_wise_sum() {
        for (device, tol) in devices() {
            let la = log_alpha_values(4 * 3 * 2 + 1);
            let x = param(&la, [la.len()], &device);
            let e = expected_l0_sum(x.clone());
            let grads = e.clone().mul_scalar(2.0).backward();
            let g = host(&x.grad(&grads).unwrap());

            let y = param(&la, [la.len()], &device);
            let e_ref = expected_l0(y.clone()).sum();
            let grads = e_ref.clone().mul_scalar(2.0).backward();
            let g_ref = host(&y.grad(&grads).unwrap());

            let (e, e_ref) = (host(&e)[0], host(&e_ref)[0]);
            assert!((e - e_ref).abs() < tol * la.len() as f64, "{e} vs {e_ref}");
            assert!(
                max_abs_diff(&g, &g_ref) < tol,
                "grads {}",
                max_abs_diff(&g, &g_ref)
            );
        }
    }

    #[test]
    fn off_the_graph_gives_the_value_only() {
        let device = Device::flex();
        let la = log_alpha_values(9);
        let x = Tensor::<1>::from_data(TensorData::new(la.clone(), [9]), &device);
        let e = host(&expected_l0_sum(x.clone()))[0];
        let e_ref: f64 = la.iter().map(|&a| crate::l0::host::expected_l0(a)).sum();
        assert!((e - e_ref).abs() < 1e-5, "{e} vs {e_ref}");
        let z = host(&sample(x, &mut GateRng::new(0)));
        assert_eq!(z.len(), 9);
        assert!(z.iter().all(|v| (0.0..=1.0).contains(v)));
    }
}
