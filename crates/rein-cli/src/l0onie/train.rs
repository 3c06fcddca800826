//! Training loops: L0onie (constrained, gated SIREN) and the COIN baseline (dense SIREN), both
//! full batch with periodic evaluation of the deployable fp16 model.

use anyhow::Result;
use burn::tensor::{Device, Tensor, TensorData};
use indicatif::ProgressBar;
use rein::ConstrainedOptimizer;
use rein::dual::DualSgd;
use rein::optim::{Adam, AdamConfig, ParamGrads, ParamGroup, PrimalOptimizer};
use rein::scheme::SimultaneousGda;
use rein::{Constraint, Constraints};
use rein_nn::l0::TestGate;
use rein_nn::siren::{L0Siren, SirenConfig, SirenWeights, coordinate_grid, psnr_rgb8, to_rgb8};

use super::problem::{BPP, L0onieProblem, TrainGates, mse};
use crate::report::History;

/// Hyper-parameters shared by both loops.
#[derive(Debug, Clone)]
pub struct TrainSettings {
    /// Training steps.
    pub steps: usize,
    /// Evaluate the fp16 model every this many steps (and at the last step).
    pub eval_every: usize,
    /// Adam learning rate of the weights.
    pub lr: f64,
    /// Seed of the initialisation and gate noise.
    pub seed: u64,
}

/// The deployable model found by a run: fp16 weights and what they achieve.
#[derive(Debug, Clone)]
pub struct Best {
    /// Step of the evaluation.
    pub step: usize,
    /// The fp16 (purged) weights.
    pub weights: SirenWeights,
    /// `16 nnz / (H W)`.
    pub bpp: f64,
    /// PSNR (dB) of the 8-bit reconstruction.
    pub psnr: f64,
}

/// The image to fit: `[h w, 3]` in `[0, 1]` plus its 8-bit original.
pub struct Target<'a> {
    /// Height.
    pub height: usize,
    /// Width.
    pub width: usize,
    /// Unit-range pixels.
    pub unit: &'a [f32],
    /// 8-bit pixels.
    pub rgb8: &'a [u8],
}

impl Target<'_> {
    /// fp16-rounds `weights` and measures `(fp16 weights, bpp, PSNR)`.
    pub fn evaluate(&self, weights: &SirenWeights) -> (SirenWeights, f64, f64) {
        let half = weights.to_fp16();
        let bpp = 16.0 * half.nnz() as f64 / (self.height * self.width) as f64;
        let psnr = psnr_rgb8(&to_rgb8(&half.render(self.height, self.width)), self.rgb8);
        (half, bpp, psnr)
    }
}

/// Options of the L0onie loop on top of [`TrainSettings`].
#[derive(Debug, Clone)]
pub struct L0onieSettings {
    /// Shared settings.
    pub common: TrainSettings,
    /// bpp target.
    pub target: f64,
    /// Architecture of the gated SIREN.
    pub config: SirenConfig,
    /// Adam learning rate of the gates.
    pub gate_lr: f64,
    /// Dual SGD learning rate.
    pub dual_lr: f64,
    /// Initial drop rate of the gates.
    pub drop_rate: f64,
    /// Training gates.
    pub gates: TrainGates,
    /// Steps of mask-frozen fine-tuning after the constrained phase (0: none).
    pub finetune_steps: usize,
}

/// The outcome of an L0onie run.
pub struct L0onieRun {
    /// Best feasible evaluation (bpp <= target), if any, over both phases.
    pub best: Option<Best>,
    /// Best feasible evaluation of the constrained phase alone.
    pub constrained_best: Option<Best>,
    /// The last evaluation.
    pub last: Best,
    /// Per-step history: mse, strict and proxy bpp, multiplier; psnr at evaluations.
    pub history: History,
    /// Final multiplier.
    pub multiplier: f64,
}

/// Trains the gated SIREN under `bpp <= target` with simultaneous GDA (Adam on weights and
/// gates, separate gate learning rate; projected SGD ascent on the multiplier with dual
/// restarts), evaluating the purged fp16 model every `eval_every` steps and keeping the best
/// feasible one.
///
/// # Errors
/// Invalid optimizer settings or a failed step.
pub fn train_l0onie(
    s: &L0onieSettings,
    img: &Target<'_>,
    device: &Device,
    bar: &ProgressBar,
) -> Result<L0onieRun> {
    let mut model = s.config.init_gated(s.common.seed, s.drop_rate, device);
    let gates = ParamGroup::new("gates", model.gate_paths()).lr(s.gate_lr);
    let adam = Adam::new(AdamConfig::new(s.common.lr))?.with_group(gates)?;
    let constraint = Constraint::inequality(BPP, 1).dual_restarts(true);
    let mut opt = SimultaneousGda::new(
        adam,
        DualSgd::new(s.dual_lr)?,
        Constraints::new().add(constraint)?,
    )?;
    let mut problem = L0onieProblem::new(
        img.unit,
        img.height,
        img.width,
        s.target,
        s.gates,
        s.common.seed,
        device,
    );
    let mut history = History::new();
    let mut best: Option<Best> = None;
    let mut last = None;
    let mut multiplier = 0.0;
    for step in 1..=s.common.steps {
        let report = opt.step(&mut problem, &mut model, &())?;
        model = model.clamp_log_alpha();
        let o = problem.last;
        multiplier = report
            .constraint(BPP)
            .and_then(|c| c.multipliers.first().copied())
            .unwrap_or(0.0);
        let mut row = vec![
            ("mse", o.mse),
            ("strict_bpp", o.strict_bpp),
            ("proxy_bpp", o.proxy_bpp),
            ("lambda", multiplier),
        ];
        if step % s.common.eval_every == 0 || step == s.common.steps {
            let (weights, bpp, psnr) = img.evaluate(&model.purge(TestGate::Median));
            row.push(("eval_bpp", bpp));
            row.push(("psnr", psnr));
            let eval = Best {
                step,
                weights,
                bpp,
                psnr,
            };
            if bpp <= s.target && best.as_ref().is_none_or(|b| psnr > b.psnr) {
                best = Some(eval.clone());
            }
            bar.set_message(format!(
                "bpp {bpp:.3} (target {:.3})  psnr {psnr:.2} dB  lambda {multiplier:.3}",
                s.target
            ));
            last = Some(eval);
        }
        history.push(step as u64, &row);
        bar.inc(1);
    }
    let last: Best = last.expect("the last step evaluates");
    let constrained_best = best.clone();
    if s.finetune_steps > 0 {
        let start = best.as_ref().unwrap_or(&last).weights.clone();
        let tuned = finetune(s, &start, img, device, &mut history, bar)?;
        if tuned.bpp <= s.target && best.as_ref().is_none_or(|b| tuned.psnr > b.psnr) {
            best = Some(tuned);
        }
    }
    Ok(L0onieRun {
        best,
        constrained_best,
        last,
        history,
        multiplier,
    })
}

/// Fine-tunes the kept weights of `start` with its sparsity mask frozen
/// ([`L0Siren::frozen`]: deterministic 0/1 gates, no gate gradient, no constraint), Adam on the
/// full-batch MSE; returns the best evaluation. The nonzero count, hence the bpp, stays that
/// of `start` (up to values that round to zero in fp16).
fn finetune(
    s: &L0onieSettings,
    start: &SirenWeights,
    img: &Target<'_>,
    device: &Device,
    history: &mut History,
    bar: &ProgressBar,
) -> Result<Best> {
    let n = img.height * img.width;
    let coords = Tensor::<2>::from_data(
        TensorData::new(coordinate_grid(img.height, img.width), [n, 2]),
        device,
    );
    let pixels = Tensor::<2>::from_data(TensorData::new(img.unit.to_vec(), [n, 3]), device);
    let mut model = L0Siren::frozen(start, device);
    let mut opt = Adam::new(AdamConfig::new(s.common.lr))?;
    let (w, bpp, psnr) = img.evaluate(start);
    let mut best = Best {
        step: s.common.steps,
        weights: w,
        bpp,
        psnr,
    };
    for k in 1..=s.finetune_steps {
        let step = s.common.steps + k;
        let loss = mse(
            model.forward(coords.clone(), None, TestGate::Median),
            pixels.clone(),
        );
        let value = loss.clone().into_scalar::<f64>();
        let grads = ParamGrads::from_backward(&model, &loss.backward());
        model = PrimalOptimizer::step(&mut opt, model, &grads)?;
        let mut row = vec![("finetune_mse", value)];
        if k % s.common.eval_every == 0 || k == s.finetune_steps {
            let (weights, bpp, psnr) = img.evaluate(&model.purge(TestGate::Median));
            row.push(("eval_bpp", bpp));
            row.push(("psnr", psnr));
            if bpp <= s.target && psnr > best.psnr {
                best = Best {
                    step,
                    weights,
                    bpp,
                    psnr,
                };
            }
            bar.set_message(format!("fine-tune: bpp {bpp:.3}  psnr {psnr:.2} dB"));
        }
        history.push(step as u64, &row);
        bar.inc(1);
    }
    Ok(best)
}

/// Trains a dense SIREN of `config` (COIN) with Adam on the full-batch MSE and returns its best
/// fp16 evaluation (same steps and evaluation schedule as L0onie).
///
/// # Errors
/// Invalid optimizer settings or a failed step.
pub fn train_coin(
    s: &TrainSettings,
    config: &SirenConfig,
    img: &Target<'_>,
    device: &Device,
    bar: &ProgressBar,
) -> Result<Best> {
    let n = img.height * img.width;
    let coords = Tensor::<2>::from_data(
        TensorData::new(coordinate_grid(img.height, img.width), [n, 2]),
        device,
    );
    let pixels = Tensor::<2>::from_data(TensorData::new(img.unit.to_vec(), [n, 3]), device);
    let mut model = config.init(s.seed, device);
    let mut opt = Adam::new(AdamConfig::new(s.lr))?;
    let mut best: Option<Best> = None;
    for step in 1..=s.steps {
        let loss = mse(model.forward(coords.clone()), pixels.clone());
        let grads = ParamGrads::from_backward(&model, &loss.backward());
        model = PrimalOptimizer::step(&mut opt, model, &grads)?;
        if step % s.eval_every == 0 || step == s.steps {
            let (weights, bpp, psnr) = img.evaluate(&model.to_host());
            if best.as_ref().is_none_or(|b| psnr > b.psnr) {
                best = Some(Best {
                    step,
                    weights,
                    bpp,
                    psnr,
                });
            }
        }
        bar.inc(1);
    }
    Ok(best.expect("the last step evaluates"))
}
