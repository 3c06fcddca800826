//! The hard-concrete gate distribution of Louizos, Welling & Kingma (2018), "Learning sparse
//! neural networks through L0 regularization" (ICLR 2018, arXiv:1712.01312), section 3 and
//! appendix.
//!
//! Every gate has one parameter `log_alpha` (`ln alpha`). With the constants
//! `beta = 2/3`, `gamma = -0.1`, `zeta = 1.1` of the paper:
//!
//! * **Sample** (training, eq. 10): `u ~ U(eps, 1 - eps)`,
//!   `s = sigmoid((ln u - ln(1 - u) + log_alpha) / beta)`, `s_bar = s (zeta - gamma) + gamma`,
//!   `z = clamp(s_bar, 0, 1)`. The noise `ln u - ln(1 - u)` is a standard logistic variable
//!   drawn on the host, so `z` is a differentiable function of `log_alpha`
//!   (reparameterisation); its gradient is zero where the clamp is active.
//! * **P(z = 0)** (eq. 12): `z = 0` iff `s <= -gamma / (zeta - gamma)`, i.e.
//!   `P(z = 0) = sigmoid(beta ln(-gamma / zeta) - log_alpha)`.
//! * **Expected L0** of a gate: `P(z != 0) = 1 - P(z = 0) = sigmoid(log_alpha - beta ln(-gamma / zeta))`,
//!   with derivative `p (1 - p)` with respect to `log_alpha`. This closed form is what the
//!   density constraint uses.
//! * **P(z = 1)**: `z = 1` iff `s (zeta - gamma) + gamma >= 1` iff
//!   `s >= t1 = (1 - gamma) / (zeta - gamma)`, i.e. `logit(u) >= beta logit(t1) - log_alpha`.
//!   `logit(u)` is standard logistic, so `P(z = 1) = sigmoid(log_alpha - beta logit(t1))` with
//!   `logit(t1) = ln((1 - gamma) / (zeta - 1))` (`= ln 11` for the paper's constants).
//! * **Test-time gate** (deterministic): the median `z = clamp(sigmoid(log_alpha / beta)
//!   (zeta - gamma) + gamma, 0, 1)`, which is `0` iff `log_alpha <= beta ln(-gamma / zeta)
//!   = beta ln(1/11) ~= -1.599`. The paper's reference code uses `sigmoid(log_alpha)`
//!   without `beta` instead ([`TestGate::Louizos`], zero iff `log_alpha <= ln(1/11) ~= -2.398`);
//!   it is offered as an option only.
//! * **Init** (paper's code): `log_alpha ~ N(ln((1 - d) / d), 0.01^2)` for an initial drop
//!   rate `d`, and `log_alpha` is clamped to `[ln 0.01, ln 100]` after every step.
//!
//! Known values (`log_alpha -> P(z=0), P(z=1)`): `0 -> 0.1682, 0.1682`; `2 -> 0.0266, 0.5990`;
//! `-2 -> 0.5990, 0.0266`.
//!
//! Tensor versions act element-wise on burn tensors of any rank; [`host`] has the same
//! closed forms in `f64`.

use burn::tensor::activation::sigmoid;
use burn::tensor::{Tensor, TensorData};
use rand::{Rng, RngCore};
use rand_chacha::ChaCha8Rng;
use wide::f64x4;

use crate::rng;

/// Temperature `beta` of the concrete distribution.
pub const BETA: f64 = 2.0 / 3.0;
/// Lower end `gamma < 0` of the stretched interval `(gamma, zeta)`.
pub const GAMMA: f64 = -0.1;
/// Upper end `zeta > 1` of the stretched interval `(gamma, zeta)`.
pub const ZETA: f64 = 1.1;
/// The uniform noise is drawn from `U(EPS, 1 - EPS)` so that `ln u` and `ln(1 - u)` stay finite
/// (the value of the paper's code).
pub const EPS: f64 = 1e-6;
/// Lower clamp of `log_alpha`: `ln 0.01`.
pub const LOG_ALPHA_MIN: f64 = -4.605_170_185_988_091;
/// Upper clamp of `log_alpha`: `ln 100`.
pub const LOG_ALPHA_MAX: f64 = 4.605_170_185_988_092;

/// `beta ln(-gamma / zeta)` (`= beta ln(1/11) ~= -1.599`): `P(z = 0) = sigmoid(zero_shift() -
/// log_alpha)`, and the median gate is zero iff `log_alpha <= zero_shift()`.
pub fn zero_shift() -> f64 {
    BETA * (-GAMMA / ZETA).ln()
}

/// `beta ln((1 - gamma) / (zeta - 1))` (`= beta ln 11 ~= 1.599`):
/// `P(z = 1) = sigmoid(log_alpha - one_shift())`.
pub fn one_shift() -> f64 {
    BETA * ((1.0 - GAMMA) / (ZETA - 1.0)).ln()
}

/// `P(z = 0) = sigmoid(beta ln(-gamma / zeta) - log_alpha)`, element-wise (paper eq. 12).
pub fn prob_zero<const D: usize>(log_alpha: Tensor<D>) -> Tensor<D> {
    sigmoid(log_alpha.neg().add_scalar(zero_shift()))
}

/// Expected L0 norm of each gate, `P(z != 0) = 1 - P(z = 0)
/// = sigmoid(log_alpha - beta ln(-gamma / zeta))`; differentiable, with
/// `d/dlog_alpha = p (1 - p)`.
pub fn expected_l0<const D: usize>(log_alpha: Tensor<D>) -> Tensor<D> {
    sigmoid(log_alpha.sub_scalar(zero_shift()))
}

/// `P(z = 1) = sigmoid(log_alpha - beta ln((1 - gamma) / (zeta - 1)))`, element-wise (derived in
/// the [module docs](self)).
pub fn prob_one<const D: usize>(log_alpha: Tensor<D>) -> Tensor<D> {
    sigmoid(log_alpha.sub_scalar(one_shift()))
}

/// `clamp(s (zeta - gamma) + gamma, 0, 1)`: stretches `s` in `(0, 1)` to `(gamma, zeta)` and
/// rectifies it into `[0, 1]`.
fn stretch_and_rectify<const D: usize>(s: Tensor<D>) -> Tensor<D> {
    s.mul_scalar(ZETA - GAMMA).add_scalar(GAMMA).clamp(0.0, 1.0)
}

/// Samples gates `z = clamp(sigmoid((ln u - ln(1 - u) + log_alpha) / beta) (zeta - gamma) + gamma,
/// 0, 1)` with one independent `u ~ U(EPS, 1 - EPS)` per element (paper eq. 10).
///
/// The noise is drawn on the host from `rng` (element order: row-major over `log_alpha`), so a
/// sample depends only on the generator state, never on the device or thread scheduling; the
/// result is reparameterised: gradients flow to `log_alpha` (zero where the clamp is active).
/// Computed by the fused host kernel [`super::fused::sample`].
pub fn sample<const D: usize>(log_alpha: Tensor<D>, rng: &mut GateRng) -> Tensor<D> {
    super::fused::sample(log_alpha, rng)
}

/// [`sample`] written with element-wise tensor operations (the reference the fused kernel is
/// tested against; same noise, same order).
pub fn sample_unfused<const D: usize>(log_alpha: Tensor<D>, rng: &mut GateRng) -> Tensor<D> {
    let shape = log_alpha.shape();
    let mut noise = vec![0.0; shape.num_elements()];
    rng.fill_logistic_noise(&mut noise);
    let noise = Tensor::<D>::from_data(
        TensorData::new(noise, shape).convert_dtype(log_alpha.dtype()),
        &log_alpha.device(),
    );
    stretch_and_rectify(sigmoid((noise + log_alpha).div_scalar(BETA)))
}

/// The deterministic test-time gate of the paper: the median of the hard-concrete distribution,
/// `clamp(sigmoid(log_alpha / beta) (zeta - gamma) + gamma, 0, 1)`. It is zero iff
/// `log_alpha <= beta ln(-gamma / zeta) ~= -1.599`.
pub fn median_gate<const D: usize>(log_alpha: Tensor<D>) -> Tensor<D> {
    stretch_and_rectify(sigmoid(log_alpha.div_scalar(BETA)))
}

/// Clamps `log_alpha` to `[LOG_ALPHA_MIN, LOG_ALPHA_MAX] = [ln 0.01, ln 100]`.
pub fn clamp_log_alpha<const D: usize>(log_alpha: Tensor<D>) -> Tensor<D> {
    log_alpha.clamp(LOG_ALPHA_MIN, LOG_ALPHA_MAX)
}

/// The gate parameter `log_alpha` clamped as by [`clamp_log_alpha`], keeping its id and whether
/// it requires a gradient (call after each optimiser step).
pub fn clamp_log_alpha_param(
    log_alpha: burn::module::Param<Tensor<1>>,
) -> burn::module::Param<Tensor<1>> {
    log_alpha.map(|t| {
        let require_grad = t.is_require_grad();
        let clamped = clamp_log_alpha(t).detach();
        if require_grad {
            clamped.require_grad()
        } else {
            clamped
        }
    })
}

/// Which deterministic gate to use at test time (and when purging).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TestGate {
    /// The median of the hard-concrete distribution,
    /// `clamp(sigmoid(log_alpha / beta) (zeta - gamma) + gamma, 0, 1)` (the paper's estimator;
    /// see [`median_gate`]). Zero iff `log_alpha <= beta ln(1/11) ~= -1.599`.
    #[default]
    Median,
    /// The variant of Louizos' reference code, `clamp(sigmoid(log_alpha) (zeta - gamma) + gamma,
    /// 0, 1)` (no `beta`). Zero iff `log_alpha <= ln(1/11) ~= -2.398`, so it keeps more gates
    /// than the median does; offered only for comparison with that code.
    Louizos,
}

impl TestGate {
    /// The deterministic gate values for `log_alpha`, element-wise.
    pub fn gate<const D: usize>(self, log_alpha: Tensor<D>) -> Tensor<D> {
        match self {
            Self::Median => median_gate(log_alpha),
            Self::Louizos => stretch_and_rectify(sigmoid(log_alpha)),
        }
    }

    /// The host (`f64`) version of [`TestGate::gate`] for one gate.
    pub fn gate_f64(self, log_alpha: f64) -> f64 {
        match self {
            Self::Median => host::median_gate(log_alpha),
            Self::Louizos => host::stretch_and_rectify(host::sigmoid(log_alpha)),
        }
    }
}

/// The seeded noise source of [`sample`]: ChaCha8 on an explicit `(seed, stream)`, with a
/// [`GateRngState`] that a checkpoint can store and restore exactly.
#[derive(Debug, Clone)]
pub struct GateRng {
    seed: u64,
    stream: u64,
    inner: ChaCha8Rng,
}

/// Everything needed to restore a [`GateRng`] bit for bit: its seed, stream and position in the
/// ChaCha8 key stream (in 32-bit words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GateRngState {
    /// The seed given to [`GateRng::with_stream`].
    pub seed: u64,
    /// The ChaCha8 stream.
    pub stream: u64,
    /// The word position in the key stream.
    pub word_pos: u128,
}

impl GateRng {
    /// A generator for `seed` on stream 0.
    pub fn new(seed: u64) -> Self {
        Self::with_stream(seed, 0)
    }

    /// A generator for `seed` on the independent stream `stream` (e.g. one per layer or run).
    pub fn with_stream(seed: u64, stream: u64) -> Self {
        Self {
            seed,
            stream,
            inner: rng::chacha(seed, stream),
        }
    }

    /// The current state, for checkpoints.
    pub fn state(&self) -> GateRngState {
        GateRngState {
            seed: self.seed,
            stream: self.stream,
            word_pos: self.inner.get_word_pos(),
        }
    }

    /// The generator in exactly the given state: it continues with the numbers the saved
    /// generator would have produced next.
    pub fn from_state(state: GateRngState) -> Self {
        let mut rng = Self::with_stream(state.seed, state.stream);
        rng.inner.set_word_pos(state.word_pos);
        rng
    }

    /// Skips `draws` uniforms without computing them: afterwards the generator gives what it
    /// would have given after `draws` calls of [`GateRng::uniform`] (each takes one 32-bit
    /// ChaCha8 word).
    pub fn skip(&mut self, draws: u64) {
        let pos = self.inner.get_word_pos();
        self.inner.set_word_pos(pos + u128::from(draws));
    }

    /// A copy of this generator [`skip`](GateRng::skip)ped `draws` uniforms ahead: the noise of
    /// a chunk that starts `draws` gates later, for the chunked (and parallel) gate kernels.
    pub fn ahead(&self, draws: u64) -> Self {
        let mut rng = self.clone();
        rng.skip(draws);
        rng
    }

    /// One `u ~ U(EPS, 1 - EPS)` from one 32-bit ChaCha8 word (a grid of `2^-32`, far finer
    /// than the `f32` gate it drives; one word instead of two halves the generator's share of an
    /// L0 training step).
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        uniform_of_word(self.inner.next_u32())
    }

    /// Fills `out` with the next `out.len()` ChaCha8 words, the words [`GateRng::uniform`]
    /// would read: `uniform_of_word(w)` of each is the value of the corresponding `uniform()`
    /// call.
    #[inline(always)]
    pub(crate) fn fill_words(&mut self, out: &mut [u32]) {
        self.inner.fill(out);
    }

    /// One standard logistic variable `logit(u) = ln(u / (1 - u))` with `u` from
    /// [`GateRng::uniform`] (see [`logit`] for how it is evaluated).
    pub fn logistic_noise(&mut self) -> f64 {
        logit(self.uniform())
    }

    /// Fills `out` with standard logistic variables: the same values, in the same order, as
    /// `out.len()` calls of [`GateRng::logistic_noise`], four at a time.
    pub fn fill_logistic_noise(&mut self, out: &mut [f64]) {
        crate::simd::dispatch(FillNoise { rng: self, out });
    }

    /// The body of [`GateRng::fill_logistic_noise`], inlined into the callers' dispatched
    /// kernels (see `crate::simd`).
    #[inline(always)]
    pub(crate) fn fill_logistic_noise_inline(&mut self, out: &mut [f64]) {
        let mut chunks = out.chunks_exact_mut(4);
        for c in &mut chunks {
            let u = [
                self.uniform(),
                self.uniform(),
                self.uniform(),
                self.uniform(),
            ];
            c.copy_from_slice(&logit4(f64x4::from(u)).to_array());
        }
        for v in chunks.into_remainder() {
            *v = self.logistic_noise();
        }
    }
}

/// `u = EPS + (1 - 2 EPS) word / 2^32`: the uniform of one 32-bit generator word.
#[inline(always)]
pub(crate) fn uniform_of_word(word: u32) -> f64 {
    EPS + (1.0 - 2.0 * EPS) * (f64::from(word) * (1.0 / 4_294_967_296.0))
}

/// [`GateRng::fill_logistic_noise`] as a dispatched kernel (`crate::simd`).
pub(crate) struct FillNoise<'a> {
    pub(crate) rng: &'a mut GateRng,
    pub(crate) out: &'a mut [f64],
}

impl crate::simd::Kernel for FillNoise<'_> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        self.rng.fill_logistic_noise_inline(self.out);
    }
}

/// `logit(u) = ln(u / (1 - u))` on four lanes with the Cephes `ln` of `simd_math` (within about
/// one ulp of libm's). One logarithm per value instead of the two of `ln u - ln(1 - u)`: the noise
/// of an unstructured L0 layer is drawn once per weight and step, and the two libm logarithms
/// were 15 % of an MNIST L0 MLP training step (`perf`, BENCHMARKS.md).
#[inline(always)]
fn logit4(u: f64x4) -> f64x4 {
    f64x4::from(super::simd_math::ln4((u / (f64x4::ONE - u)).to_array()))
}

/// `logit(u) = ln(u / (1 - u))`, bit for bit the value a lane of the four-lane kernel gives, so
/// that [`GateRng::logistic_noise`] and [`GateRng::fill_logistic_noise`] agree exactly.
pub fn logit(u: f64) -> f64 {
    logit4(f64x4::splat(u)).to_array()[0]
}

/// The initial mean of `log_alpha` for an initial drop rate `d`: `ln((1 - d) / d)`, so that
/// `sigmoid(log_alpha) = 1 - d`.
///
/// # Panics
/// If `d` is not in `(0, 1)`.
pub fn init_log_alpha_mean(drop_rate: f64) -> f64 {
    assert!(
        drop_rate > 0.0 && drop_rate < 1.0,
        "the initial drop rate must lie in (0, 1), got {drop_rate}"
    );
    ((1.0 - drop_rate) / drop_rate).ln()
}

/// `count` initial gate parameters `log_alpha ~ N(ln((1 - d) / d), 0.01^2)` (the paper's code),
/// clamped to `[ln 0.01, ln 100]`, drawn from `rng`.
///
/// # Panics
/// If `drop_rate` is not in `(0, 1)`.
pub fn init_log_alpha(count: usize, drop_rate: f64, rng: &mut impl RngCore) -> Vec<f32> {
    let mean = init_log_alpha_mean(drop_rate);
    (0..count)
        .map(|_| (mean + 0.01 * rng::normal(rng)).clamp(LOG_ALPHA_MIN, LOG_ALPHA_MAX) as f32)
        .collect()
}

/// The same closed forms on host `f64` scalars.
pub mod host {
    use super::{BETA, GAMMA, ZETA, one_shift, zero_shift};

    /// The logistic function `1 / (1 + e^-x)`, evaluated without overflow.
    pub fn sigmoid(x: f64) -> f64 {
        if x >= 0.0 {
            1.0 / (1.0 + (-x).exp())
        } else {
            let e = x.exp();
            e / (1.0 + e)
        }
    }

    pub(super) fn stretch_and_rectify(s: f64) -> f64 {
        (s * (ZETA - GAMMA) + GAMMA).clamp(0.0, 1.0)
    }

    /// `P(z = 0) = sigmoid(beta ln(-gamma / zeta) - log_alpha)`.
    pub fn prob_zero(log_alpha: f64) -> f64 {
        sigmoid(zero_shift() - log_alpha)
    }

    /// `P(z != 0) = 1 - P(z = 0) = sigmoid(log_alpha - beta ln(-gamma / zeta))`.
    pub fn expected_l0(log_alpha: f64) -> f64 {
        sigmoid(log_alpha - zero_shift())
    }

    /// `P(z = 1) = sigmoid(log_alpha - beta ln((1 - gamma) / (zeta - 1)))`.
    pub fn prob_one(log_alpha: f64) -> f64 {
        sigmoid(log_alpha - one_shift())
    }

    /// The gate for a given uniform draw `u` in `(0, 1)`:
    /// `clamp(sigmoid((ln u - ln(1 - u) + log_alpha) / beta) (zeta - gamma) + gamma, 0, 1)`, the
    /// noise evaluated as [`logit`](super::logit) does.
    pub fn gate_from_uniform(log_alpha: f64, u: f64) -> f64 {
        stretch_and_rectify(sigmoid((super::logit(u) + log_alpha) / BETA))
    }

    /// The median gate `clamp(sigmoid(log_alpha / beta) (zeta - gamma) + gamma, 0, 1)`.
    pub fn median_gate(log_alpha: f64) -> f64 {
        stretch_and_rectify(sigmoid(log_alpha / BETA))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    fn host_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.to_data().convert::<f32>().try_into_vec::<f32>().unwrap()
    }

    fn vec1(values: &[f32], device: &Device) -> Tensor<1> {
        Tensor::from_data(TensorData::new(values.to_vec(), [values.len()]), device)
    }

    #[test]
    fn constants() {
        assert_eq!(LOG_ALPHA_MIN, 0.01f64.ln());
        assert_eq!(LOG_ALPHA_MAX, 100f64.ln());
        assert!((zero_shift() - (2.0 / 3.0) * (1.0f64 / 11.0).ln()).abs() < 1e-15);
        assert!((one_shift() + zero_shift()).abs() < 1e-15);
        assert!((zero_shift() + 1.5986).abs() < 1e-4);
    }

    #[test]
    fn closed_forms_match_known_values() {
        // log_alpha -> (P(z=0), P(z=1))
        let known = [
            (0.0, 0.1682, 0.1682),
            (2.0, 0.0266, 0.5990),
            (-2.0, 0.5990, 0.0266),
        ];
        let device = Device::flex();
        let la: Vec<f32> = known.iter().map(|k| k.0 as f32).collect();
        let p0 = host_vec(prob_zero(vec1(&la, &device)));
        let p1 = host_vec(prob_one(vec1(&la, &device)));
        let l0 = host_vec(expected_l0(vec1(&la, &device)));
        for (i, &(a, zero, one)) in known.iter().enumerate() {
            assert!((host::prob_zero(a) - zero).abs() < 1e-4, "P(z=0) at {a}");
            assert!((host::prob_one(a) - one).abs() < 1e-4, "P(z=1) at {a}");
            assert!((host::expected_l0(a) - (1.0 - zero)).abs() < 1e-4);
            assert!(
                (f64::from(p0[i]) - zero).abs() < 1e-4,
                "tensor P(z=0) at {a}"
            );
            assert!(
                (f64::from(p1[i]) - one).abs() < 1e-4,
                "tensor P(z=1) at {a}"
            );
            assert!((f64::from(l0[i]) - (1.0 - zero)).abs() < 1e-4);
        }
    }

    #[test]
    fn monte_carlo_matches_closed_forms() {
        const N: usize = 200_000;
        let device = Device::flex();
        let mut rng = GateRng::new(42);
        for a in [0.0f32, 2.0, -2.0, -0.7] {
            let z = host_vec(sample(Tensor::<1>::full([N], a, &device), &mut rng));
            let frac = |pred: &dyn Fn(f32) -> bool| {
                z.iter().filter(|&&v| pred(v)).count() as f64 / N as f64
            };
            let p0 = frac(&|v| v == 0.0);
            let p1 = frac(&|v| v == 1.0);
            let a = f64::from(a);
            assert!(
                (p0 - host::prob_zero(a)).abs() < 3e-3,
                "P(z=0) at {a}: {p0}"
            );
            assert!((p1 - host::prob_one(a)).abs() < 3e-3, "P(z=1) at {a}: {p1}");
            assert!(z.iter().all(|v| (0.0..=1.0).contains(v)));
            if a == 0.0 {
                let mean = z.iter().map(|&v| f64::from(v)).sum::<f64>() / N as f64;
                assert!((mean - 0.5).abs() < 3e-3, "E[z] at 0: {mean}");
            }
        }
    }

    #[test]
    fn tensor_sample_matches_host_formula_on_the_same_draws() {
        let device = Device::flex();
        let la = [-3.0f32, -1.0, 0.0, 0.4, 1.5, 3.0];
        let z = host_vec(sample(vec1(&la, &device), &mut GateRng::new(9)));
        let mut rng = GateRng::new(9);
        for (&a, &zi) in la.iter().zip(&z) {
            let expect = host::gate_from_uniform(f64::from(a), rng.uniform());
            assert!((f64::from(zi) - expect).abs() < 1e-5, "{zi} vs {expect}");
        }
    }

    #[test]
    fn expected_l0_gradient_is_p_one_minus_p() {
        let device = Device::flex().autodiff();
        let la = [-3.0f32, -1.599, -0.5, 0.0, 0.5, 2.0, 4.0];
        let t = vec1(&la, &device).require_grad();
        let grads = expected_l0(t.clone()).sum().backward();
        let g = host_vec(t.grad(&grads).expect("gradient"));
        for (&a, &gi) in la.iter().zip(&g) {
            let p = host::expected_l0(f64::from(a));
            assert!((f64::from(gi) - p * (1.0 - p)).abs() < 1e-6, "at {a}: {gi}");
        }
    }

    #[test]
    fn sample_is_reparameterised() {
        let device = Device::flex().autodiff();
        let t = Tensor::<1>::full([64], 0.0, &device).require_grad();
        let z = sample(t.clone(), &mut GateRng::new(3));
        let zs = host_vec(z.clone());
        let g = host_vec(t.grad(&z.sum().backward()).expect("gradient"));
        let mut interior = 0;
        for (&zi, &gi) in zs.iter().zip(&g) {
            if zi > 0.0 && zi < 1.0 {
                // dz/dlog_alpha = (zeta - gamma) s (1 - s) / beta > 0 inside (0, 1).
                assert!(gi > 0.0, "z = {zi}, grad = {gi}");
                interior += 1;
            } else {
                assert_eq!(gi, 0.0, "clamped gate z = {zi} must have zero gradient");
            }
        }
        assert!(interior > 20);
    }

    #[test]
    fn median_gate_is_zero_iff_below_beta_ln_one_eleventh() {
        let t = BETA * (1.0f64 / 11.0).ln();
        assert!((t + 1.599).abs() < 1e-3);
        let device = Device::flex();
        let la = [t - 1e-3, t + 1e-3, -3.0, 0.0, 3.0];
        let la32: Vec<f32> = la.iter().map(|&a| a as f32).collect();
        let z = host_vec(median_gate(vec1(&la32, &device)));
        assert_eq!(z[0], 0.0);
        assert!(z[1] > 0.0);
        assert_eq!(z[2], 0.0);
        assert!((z[3] - 0.5).abs() < 1e-6);
        assert_eq!(z[4], 1.0);
        assert_eq!(host::median_gate(t - 1e-3), 0.0);
        assert!(host::median_gate(t + 1e-3) > 0.0);
        assert_eq!(TestGate::Median.gate_f64(t - 1e-3), 0.0);
    }

    #[test]
    fn louizos_gate_is_zero_iff_below_ln_one_eleventh() {
        let t = (1.0f64 / 11.0).ln();
        let device = Device::flex();
        let la32 = [(t - 1e-3) as f32, (t + 1e-3) as f32, -1.7];
        let z = host_vec(TestGate::Louizos.gate(vec1(&la32, &device)));
        assert_eq!(z[0], 0.0);
        assert!(z[1] > 0.0);
        // Between the two thresholds the median gate is closed, the Louizos gate open.
        assert!(z[2] > 0.0);
        assert_eq!(TestGate::Median.gate_f64(-1.7), 0.0);
        assert_eq!(TestGate::Louizos.gate_f64(t - 1e-3), 0.0);
        assert!(TestGate::Louizos.gate_f64(t + 1e-3) > 0.0);
    }

    #[test]
    fn sampling_is_deterministic_given_the_seed_and_restorable() {
        let device = Device::flex();
        let la = || Tensor::<1>::full([100], 0.3, &device);
        let a = host_vec(sample(la(), &mut GateRng::new(5)));
        let b = host_vec(sample(la(), &mut GateRng::new(5)));
        let c = host_vec(sample(la(), &mut GateRng::new(6)));
        let d = host_vec(sample(la(), &mut GateRng::with_stream(5, 1)));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);

        // Save mid-way, restore, continue: same as uninterrupted.
        let mut rng = GateRng::new(11);
        let _ = sample(la(), &mut rng);
        let state = rng.state();
        let next = host_vec(sample(la(), &mut rng));
        let mut restored = GateRng::from_state(state);
        assert_eq!(restored.state(), state);
        assert_eq!(host_vec(sample(la(), &mut restored)), next);
    }

    /// `ahead(k)` / `skip(k)` give exactly what `k` draws and discards would, at every offset
    /// of ChaCha8's 64-word buffer.
    #[test]
    fn skipping_draws_equals_drawing_them() {
        for start in [0u64, 1, 7, 31, 32, 33, 100] {
            for k in [0u64, 1, 2, 15, 16, 17, 1000] {
                let mut drawn = GateRng::new(5);
                for _ in 0..start {
                    drawn.uniform();
                }
                let ahead = drawn.ahead(k);
                let mut skipped = drawn.clone();
                skipped.skip(k);
                for _ in 0..k {
                    drawn.uniform();
                }
                assert_eq!(ahead.state(), drawn.state(), "start {start} k {k}");
                let (mut a, mut b) = (ahead, skipped);
                for _ in 0..5 {
                    let u = drawn.uniform().to_bits();
                    assert_eq!(a.uniform().to_bits(), u, "start {start} k {k}");
                    assert_eq!(b.uniform().to_bits(), u, "start {start} k {k}");
                }
            }
        }
    }

    #[test]
    fn init_and_clamp() {
        let mut r = rng::chacha(1, 0);
        let la = init_log_alpha(10_000, 0.3, &mut r);
        let mean = la.iter().map(|&v| f64::from(v)).sum::<f64>() / la.len() as f64;
        let sd = (la
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / la.len() as f64)
            .sqrt();
        assert!((mean - (0.7f64 / 0.3).ln()).abs() < 1e-3, "{mean}");
        assert!((sd - 0.01).abs() < 1e-3, "{sd}");
        // sigmoid(mean) = 1 - d.
        assert!((host::sigmoid(init_log_alpha_mean(0.3)) - 0.7).abs() < 1e-12);

        let device = Device::flex();
        let c = host_vec(clamp_log_alpha(vec1(&[-10.0, 0.5, 10.0], &device)));
        assert_eq!(c, vec![LOG_ALPHA_MIN as f32, 0.5, LOG_ALPHA_MAX as f32]);
    }

    #[test]
    #[should_panic(expected = "drop rate")]
    fn init_rejects_bad_drop_rate() {
        let _ = init_log_alpha_mean(1.0);
    }
}
