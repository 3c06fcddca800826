//! The GAN game of GANGs (Oliehoek et al. 2017, "GANGs: Generative Adversarial Network Games",
//! arXiv:1712.00679): generators and classifiers as the pure strategies of a zero-sum game,
//! with resource-bounded best responses trained by gradient steps, and the plain GAN
//! (Goodfellow et al. 2014) it is compared with.
//!
//! With `D_c(x) = sigmoid(c(x))` (the classifier's logit `c`) and `log D = -softplus(-c)`,
//! `log(1 - D) = -softplus(c)`, the payoff to the classifier (the row player, maximiser) of
//! classifier `c` against generator `g` is
//!
//! ```text
//! u(c, g) = E_{x ~ data} log D_c(x) + E_{z ~ N(0, I)} log(1 - D_c(g(z)))
//!         = -E softplus(-c(x)) - E softplus(c(g(z)))
//! ```
//!
//! and the generator receives `-u`. With `logit_bound = Some(B)` the logit is
//! `c(x) = B tanh(raw(x) / B)`, so `D` stays in `[sigmoid(-B), sigmoid(B)]` and `u >= -2
//! softplus(B)`: a classifier can no longer be exploited without limit. Payoffs between stored strategies are evaluated on one
//! fixed set of data samples and noise vectors (drawn once from the seed), so the matrix `U`
//! is a deterministic function of the strategies. The best responses start from the player's
//! previous best response (`warm_start`, the default; the first from the initial strategy) or
//! from a fresh seeded initialisation, and take `br_steps` Adam steps (fresh optimizer state):
//!
//! ```text
//! classifier vs sum_j y_j g_j:  min_c  E softplus(-c(x)) + sum_j y_j E softplus(c(g_j(z)))
//! generator  vs sum_i x_i c_i:  min_g  sum_i x_i E softplus(-c_i(g(z)))
//! ```
//!
//! (the generator's loss is the non-saturating one of Goodfellow et al. 2014, whose fixed
//! points are those of `-u`; the payoff itself is always `u`). The plain GAN alternates one
//! classifier step and one generator step on the same losses with a single opponent.

use burn::module::Module;
use burn::tensor::activation::softplus;
use burn::tensor::{Device, Tensor, TensorData};
use rein::optim::{Adam, AdamConfig, ParamGrads, PrimalOptimizer};
use rein_nn::{Mlp, MlpConfig};

use super::pnm::PnmGame;
use super::ring::{Ring, SplitMix64};
use crate::error::{RecipeError, Result};
use crate::progress::Progress;

/// Weights below this are outside a mixture's support (skipped in losses and sampling).
const SUPPORT: f64 = 1e-9;

/// What the GAN game needs to train and evaluate its players.
#[derive(Debug, Clone, PartialEq)]
pub struct GanSettings {
    /// The data distribution.
    pub ring: Ring,
    /// Dimension of the generator's noise `z`.
    pub noise_dim: usize,
    /// Hidden widths of generators (`noise_dim -> hidden -> 2`).
    pub generator_hidden: Vec<usize>,
    /// Hidden widths of classifiers (`2 -> hidden -> 1`).
    pub classifier_hidden: Vec<usize>,
    /// Samples per gradient step.
    pub batch_size: usize,
    /// Adam learning rate of both players.
    pub lr: f64,
    /// Adam's `beta1` (0.5 is the usual GAN choice, Radford et al. 2016).
    pub beta1: f64,
    /// Gradient steps of one best response.
    pub br_steps: usize,
    /// Data samples and noise vectors of the fixed payoff evaluation set.
    pub eval_samples: usize,
    /// Best responses start from the player's previous best response (else from a fresh
    /// seeded initialisation).
    pub warm_start: bool,
    /// Bound `B` on the classifier's logit: `c(x) = B tanh(raw(x) / B)` (`None`: unbounded).
    pub logit_bound: Option<f64>,
    /// Seed of every draw.
    pub seed: u64,
}

/// Noise streams: one per purpose, so changing one part of the run leaves the others' draws
/// as they were.
mod stream {
    pub const EVAL: u64 = 1;
    pub const TRAIN: u64 = 2;
    pub const INIT: u64 = 3;
}

/// The zero-sum GAN game: classifiers are the row player, generators the column player.
pub struct GanGame<'a> {
    settings: &'a GanSettings,
    device: Device,
    eval_real: Tensor<2>,
    eval_noise: Tensor<2>,
    progress: &'a mut dyn Progress,
    last_classifier: Option<Mlp>,
    last_generator: Option<Mlp>,
    /// Gradient steps taken by classifiers and by generators so far.
    pub steps: (usize, usize),
}

/// `n x d` host values as a tensor on `device`.
pub fn tensor(values: Vec<f32>, n: usize, d: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values, [n, d]), device)
}

/// `E softplus(s)` over a column of logits.
fn mean_softplus(s: Tensor<2>) -> Tensor<1> {
    softplus(s, 1.0).mean()
}

/// A scalar tensor's value.
fn scalar(t: Tensor<1>) -> Result<f64> {
    let v = t
        .into_data()
        .convert::<f64>()
        .try_into_vec::<f64>()
        .map_err(|e| RecipeError::Device(format!("reading a loss: {e:?}")))?;
    let x = v.first().copied().unwrap_or(f64::NAN);
    if x.is_finite() {
        Ok(x)
    } else {
        Err(RecipeError::Device(format!(
            "a GAN loss or payoff is {x} (training diverged; lower lr)"
        )))
    }
}

impl<'a> GanGame<'a> {
    /// The game with its fixed evaluation set, on `device` (with autodiff).
    pub fn new(settings: &'a GanSettings, device: &Device, progress: &'a mut dyn Progress) -> Self {
        let mut rng = SplitMix64::new(settings.seed, stream::EVAL);
        let n = settings.eval_samples;
        let inner = device.clone().inner();
        let eval_real = tensor(settings.ring.sample(n, &mut rng), n, 2, &inner);
        let eval_noise = tensor(
            rng.normals_f32(n, settings.noise_dim),
            n,
            settings.noise_dim,
            &inner,
        );
        Self {
            settings,
            device: device.clone(),
            eval_real,
            eval_noise,
            progress,
            last_classifier: None,
            last_generator: None,
            steps: (0, 0),
        }
    }

    /// The classifier's logit `c(x)`: the network's output, squashed to `B tanh(raw / B)`
    /// when `logit_bound = Some(B)`.
    pub fn logit(&self, c: &Mlp, x: Tensor<2>) -> Tensor<2> {
        let raw = c.forward(x);
        match self.settings.logit_bound {
            Some(b) => raw.div_scalar(b).tanh().mul_scalar(b),
            None => raw,
        }
    }

    /// Sets the strategies the first warm-started best responses start from.
    pub fn set_warm_start(&mut self, classifier: &Mlp, generator: &Mlp) {
        self.last_classifier = Some(classifier.clone());
        self.last_generator = Some(generator.clone());
    }

    /// A generator initialised from `seed`.
    pub fn new_generator(&self, seed: u64) -> Mlp {
        let s = self.settings;
        MlpConfig::new(s.noise_dim, s.generator_hidden.clone(), 2)
            .init(seed_for(s.seed, stream::INIT, 2 * seed), &self.device)
    }

    /// A classifier initialised from `seed`.
    pub fn new_classifier(&self, seed: u64) -> Mlp {
        let s = self.settings;
        MlpConfig::new(2, s.classifier_hidden.clone(), 1)
            .init(seed_for(s.seed, stream::INIT, 2 * seed + 1), &self.device)
    }

    fn adam(&self) -> Result<Adam> {
        Ok(Adam::new(
            AdamConfig::new(self.settings.lr).betas(self.settings.beta1, 0.999),
        )?)
    }

    fn noise(&self, rng: &mut SplitMix64, device: &Device) -> Tensor<2> {
        let (b, d) = (self.settings.batch_size, self.settings.noise_dim);
        tensor(rng.normals_f32(b, d), b, d, device)
    }

    fn real(&self, rng: &mut SplitMix64, device: &Device) -> Tensor<2> {
        let b = self.settings.batch_size;
        tensor(self.settings.ring.sample(b, rng), b, 2, device)
    }

    /// One classifier step against the generators `gens` with weights `w`.
    fn classifier_step(
        &mut self,
        c: Mlp,
        opt: &mut Adam,
        gens: &[(&Mlp, f64)],
        rng: &mut SplitMix64,
    ) -> Result<Mlp> {
        let mut loss = mean_softplus(self.logit(&c, self.real(rng, &self.device)).neg());
        for (g, w) in gens {
            let fake = g.forward(self.noise(rng, &self.device)).detach();
            loss = loss + mean_softplus(self.logit(&c, fake)).mul_scalar(*w);
        }
        let grads = ParamGrads::from_backward(&c, &loss.backward());
        self.steps.0 += 1;
        Ok(opt.step(c, &grads)?)
    }

    /// One generator step against the classifiers `cls` with weights `w`.
    fn generator_step(
        &mut self,
        g: Mlp,
        opt: &mut Adam,
        cls: &[(Mlp, f64)],
        rng: &mut SplitMix64,
    ) -> Result<Mlp> {
        let fake = g.forward(self.noise(rng, &self.device));
        let mut loss: Option<Tensor<1>> = None;
        for (c, w) in cls {
            let l = mean_softplus(self.logit(c, fake.clone()).neg()).mul_scalar(*w);
            loss = Some(match loss {
                Some(acc) => acc + l,
                None => l,
            });
        }
        let loss = loss.expect("a mixture has support");
        let grads = ParamGrads::from_backward(&g, &loss.backward());
        self.steps.1 += 1;
        Ok(opt.step(g, &grads)?)
    }

    /// Samples `n` points from the generator mixture `sum_j w_j g_j` (row-major pairs).
    pub fn sample_mixture(&self, gens: &[Mlp], w: &[f64], n: usize, seed: u64) -> Result<Vec<f32>> {
        let mut rng = SplitMix64::new(seed, 0);
        let mut counts = vec![0usize; gens.len()];
        for _ in 0..n {
            counts[rng.categorical(w)] += 1;
        }
        let inner = self.device.clone().inner();
        let mut out = Vec::with_capacity(2 * n);
        for (g, &k) in gens.iter().zip(&counts) {
            if k == 0 {
                continue;
            }
            let z = tensor(
                rng.normals_f32(k, self.settings.noise_dim),
                k,
                self.settings.noise_dim,
                &inner,
            );
            let x = g.valid().forward(z);
            let v = x
                .into_data()
                .convert::<f32>()
                .try_into_vec::<f32>()
                .map_err(|e| RecipeError::Device(format!("reading samples: {e:?}")))?;
            out.extend(v);
        }
        Ok(out)
    }

    /// Trains a plain GAN for `steps` alternating (classifier, generator) steps from the
    /// strategies of seed 0 (the same first pair as the GANGs run).
    pub fn train_plain(&mut self, steps: usize) -> Result<(Mlp, Mlp)> {
        let mut g = self.new_generator(0);
        let mut c = self.new_classifier(0);
        let (mut og, mut oc) = (self.adam()?, self.adam()?);
        let mut rng = SplitMix64::new(self.settings.seed, seed_for(0, stream::TRAIN, u64::MAX));
        self.progress.start("plain GAN", steps as u64);
        for _ in 0..steps {
            c = self.classifier_step(c, &mut oc, &[(&g, 1.0)], &mut rng)?;
            let frozen = c.clone().no_grad();
            g = self.generator_step(g, &mut og, &[(frozen, 1.0)], &mut rng)?;
            self.progress.step();
        }
        self.progress.finish();
        Ok((g, c))
    }
}

/// The seed of `stream`'s `k`-th use.
fn seed_for(seed: u64, stream: u64, k: u64) -> u64 {
    SplitMix64::new(seed ^ k.wrapping_mul(0x9E37_79B9_7F4A_7C15), stream).next_u64()
}

impl PnmGame for GanGame<'_> {
    type Row = Mlp;
    type Col = Mlp;
    type Error = RecipeError;

    fn payoff(&mut self, c: &Mlp, g: &Mlp) -> Result<f64> {
        let c = c.valid();
        let real = mean_softplus(self.logit(&c, self.eval_real.clone()).neg());
        let fake = mean_softplus(self.logit(&c, g.valid().forward(self.eval_noise.clone())));
        Ok(-scalar(real)? - scalar(fake)?)
    }

    fn best_row(&mut self, gens: &[Mlp], y: &[f64], iteration: usize) -> Result<Mlp> {
        let mut c = match (&self.last_classifier, self.settings.warm_start) {
            (Some(last), true) => last.clone(),
            _ => self.new_classifier(iteration as u64 + 1),
        };
        let mut opt = self.adam()?;
        let mut rng = SplitMix64::new(
            self.settings.seed,
            seed_for(0, stream::TRAIN, 2 * iteration as u64),
        );
        let support: Vec<(&Mlp, f64)> = gens
            .iter()
            .zip(y.iter().copied())
            .filter(|(_, w)| *w > SUPPORT)
            .collect();
        self.progress.start(
            &format!("PNM {iteration}: classifier"),
            self.settings.br_steps as u64,
        );
        for _ in 0..self.settings.br_steps {
            c = self.classifier_step(c, &mut opt, &support, &mut rng)?;
            self.progress.step();
        }
        self.progress.finish();
        self.last_classifier = Some(c.clone());
        Ok(c)
    }

    fn best_col(&mut self, cls: &[Mlp], x: &[f64], iteration: usize) -> Result<Mlp> {
        let mut g = match (&self.last_generator, self.settings.warm_start) {
            (Some(last), true) => last.clone(),
            _ => self.new_generator(iteration as u64 + 1),
        };
        let mut opt = self.adam()?;
        let mut rng = SplitMix64::new(
            self.settings.seed,
            seed_for(0, stream::TRAIN, 2 * iteration as u64 + 1),
        );
        let support: Vec<(Mlp, f64)> = cls
            .iter()
            .zip(x.iter().copied())
            .filter(|(_, w)| *w > SUPPORT)
            .map(|(c, w)| (c.clone().no_grad(), w))
            .collect();
        self.progress.start(
            &format!("PNM {iteration}: generator"),
            self.settings.br_steps as u64,
        );
        for _ in 0..self.settings.br_steps {
            g = self.generator_step(g, &mut opt, &support, &mut rng)?;
            self.progress.step();
        }
        self.progress.finish();
        self.last_generator = Some(g.clone());
        Ok(g)
    }
}
