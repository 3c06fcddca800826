//! The generator-fitting loop: for every data set, one generator trained with GAIT and one
//! with MMD, in lockstep on the same data batches and the same input noise.

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use rein::ConstrainedOptimizer;
use rein::config::{DualConfig, DualKind, OptimizerConfig, PrimalConfig, PrimalKind};
use rein::optim::PrimalOptimizer;
use rein::scheme::{Scheme, SchemeKind};
use rein_nn::data::generative::standard_normal;
use rein_nn::gait::Rbf;
use rein_nn::{Batcher, Dataset, Mlp, MlpConfig};

use super::{
    GaitConfig, GeneratorBatch, GeneratorLoss, GeneratorProblem, SampleQuality, TwoDim,
    sample_quality,
};
use crate::error::{RecipeError, Result};
use crate::history::History;
use crate::progress::Progress;

/// Input-noise stream of the evaluation samples (the training steps use streams `1..=steps`).
const EVAL_STREAM: u64 = u64::MAX;

/// One generator being trained.
struct Run {
    dataset: TwoDim,
    loss: GeneratorLoss,
    train: Dataset,
    reference: Vec<[f64; 2]>,
    model: Mlp,
    opt: Scheme<Box<dyn PrimalOptimizer>>,
    problem: GeneratorProblem,
    batcher: Batcher,
}

/// A trained generator: its final samples and figures.
pub(super) struct Fitted {
    pub dataset: TwoDim,
    pub loss: GeneratorLoss,
    /// Generated evaluation points.
    pub samples: Vec<[f64; 2]>,
    /// Fresh data points (the reference of the figures).
    pub reference: Vec<[f64; 2]>,
    pub quality: SampleQuality,
    /// GAIT `D^K[data || generated]` on the evaluation sets.
    pub gait_divergence: f64,
    /// `MMD^2` on the evaluation sets.
    pub mmd_squared: f64,
    /// Mean training loss over the last 10 % of the steps.
    pub final_loss: f64,
}

fn points(ds: &Dataset) -> Vec<[f64; 2]> {
    (0..ds.n)
        .map(|i| [f64::from(ds.row(i)[0]), f64::from(ds.row(i)[1])])
        .collect()
}

fn matrix(values: Vec<f32>, rows: usize, cols: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values, [rows, cols]), device)
}

fn host_points(t: Tensor<2>) -> Vec<[f64; 2]> {
    let v = t
        .to_data()
        .convert::<f64>()
        .try_into_vec::<f64>()
        .unwrap_or_default();
    v.chunks_exact(2).map(|c| [c[0], c[1]]).collect()
}

fn host_scalar(t: Tensor<1>) -> f64 {
    t.to_data()
        .convert::<f64>()
        .try_into_vec::<f64>()
        .unwrap_or_default()
        .first()
        .copied()
        .unwrap_or(f64::NAN)
}

impl Run {
    fn new(
        config: &GaitConfig,
        dataset: TwoDim,
        loss: GeneratorLoss,
        device: &Device,
    ) -> Result<Self> {
        let train = dataset.sample(config.train_samples, config.seed)?;
        let reference = points(&dataset.sample(config.eval_samples, config.seed.wrapping_add(1))?);
        let model =
            MlpConfig::new(config.noise_dim, config.hidden.clone(), 2).init(config.seed, device);
        let optimizer = OptimizerConfig {
            scheme: SchemeKind::Unconstrained,
            primal: PrimalConfig::new(PrimalKind::Adam, config.lr),
            dual: DualConfig::new(DualKind::Sgd, 1.0),
            constraints: Default::default(),
        };
        let opt = optimizer.build(vec![])?;
        let kernel = Rbf::new(config.sigma).map_err(|e| RecipeError::config("sigma", e.reason))?;
        let batcher = Batcher::new(train.n, config.batch_size, config.seed)?;
        Ok(Self {
            dataset,
            loss,
            train,
            reference,
            model,
            opt,
            problem: GeneratorProblem { kernel, loss },
            batcher,
        })
    }

    fn column(&self) -> String {
        format!("{}_{}", self.dataset.name(), self.loss.name())
    }

    /// One training step on the batch and the noise of step `t`; the training loss.
    fn step(&mut self, config: &GaitConfig, t: usize, device: &Device) -> Result<f64> {
        let b = config.batch_size;
        let batch = self.batcher.next_batch();
        let (x, _) = self.train.batch_tensors(&batch.indices, device);
        let noise = matrix(
            standard_normal(b, config.noise_dim, config.seed, t as u64),
            b,
            config.noise_dim,
            device,
        );
        let report = self.opt.step(
            &mut self.problem,
            &mut self.model,
            &GeneratorBatch { noise, data: x },
        )?;
        Ok(report.loss.unwrap_or(f64::NAN))
    }

    /// The generator's evaluation samples (fixed noise), no graph.
    fn samples(&self, config: &GaitConfig, plain: &Device) -> Vec<[f64; 2]> {
        let n = config.eval_samples;
        let z = matrix(
            standard_normal(n, config.noise_dim, config.seed, EVAL_STREAM),
            n,
            config.noise_dim,
            plain,
        );
        host_points(self.model.valid().forward(z))
    }

    fn quality(&self, samples: &[[f64; 2]]) -> SampleQuality {
        let centres = self.dataset.centres();
        let ring = centres.as_deref().map(|c| (c, self.dataset.std()));
        sample_quality(samples, &self.reference, ring)
    }
}

/// Trains every generator for `config.steps` steps; the history has one column
/// `<dataset>_<loss>` (the training loss) per generator every step, and
/// `<dataset>_<loss>_quality` (the headline sample-quality figure) every `eval_every` steps.
pub(super) fn fit_generators(
    config: &GaitConfig,
    device: &Device,
    progress: &mut dyn Progress,
    history: &mut History,
) -> Result<Vec<Fitted>> {
    let plain = device.clone().inner();
    let mut runs = Vec::new();
    for &dataset in &config.datasets {
        for loss in [config.gait_loss, GeneratorLoss::Mmd] {
            runs.push(Run::new(config, dataset, loss, device)?);
        }
    }
    let columns: Vec<String> = runs.iter().map(Run::column).collect();
    let quality_columns: Vec<String> = columns.iter().map(|c| format!("{c}_quality")).collect();
    let tail_start = config.steps - config.steps.div_ceil(10) + 1;
    let mut tail = vec![(0.0, 0usize); runs.len()];
    progress.start("generators", config.steps as u64);
    for t in 1..=config.steps {
        let mut row: Vec<(&str, f64)> = Vec::with_capacity(2 * runs.len());
        let mut losses = Vec::with_capacity(runs.len());
        for (r, run) in runs.iter_mut().enumerate() {
            let loss = run.step(config, t, device)?;
            if t >= tail_start {
                tail[r].0 += loss;
                tail[r].1 += 1;
            }
            losses.push(loss);
        }
        for (r, loss) in losses.iter().enumerate() {
            row.push((columns[r].as_str(), *loss));
        }
        let evaluate = t == config.steps || (config.eval_every > 0 && t % config.eval_every == 0);
        let headline: Vec<f64> = if evaluate {
            runs.iter()
                .map(|run| {
                    run.dataset
                        .headline(&run.quality(&run.samples(config, &plain)))
                })
                .collect()
        } else {
            Vec::new()
        };
        for (r, h) in headline.iter().enumerate() {
            row.push((quality_columns[r].as_str(), *h));
        }
        history.push(t as u64, &row);
        progress.step();
        if t % 20 == 0 {
            progress.message(
                &columns
                    .iter()
                    .zip(&losses)
                    .map(|(c, l)| format!("{c} {l:.4}"))
                    .collect::<Vec<_>>()
                    .join("  "),
            );
        }
    }
    progress.finish();

    let mut fitted = Vec::with_capacity(runs.len());
    for (r, run) in runs.into_iter().enumerate() {
        let samples = run.samples(config, &plain);
        let quality = run.quality(&samples);
        let n = config.divergence_eval_samples.min(samples.len());
        let flat = |p: &[[f64; 2]]| {
            let v: Vec<f64> = p[..n].iter().flat_map(|a| [a[0], a[1]]).collect();
            Tensor::<2>::from_data(TensorData::new(v, [n, 2]), &plain)
        };
        let kernel = &run.problem.kernel;
        let gait = GeneratorLoss::Gait.value(kernel, flat(&run.reference), flat(&samples))?;
        let mmd = GeneratorLoss::Mmd.value(kernel, flat(&run.reference), flat(&samples))?;
        fitted.push(Fitted {
            dataset: run.dataset,
            loss: run.loss,
            gait_divergence: host_scalar(gait),
            mmd_squared: host_scalar(mmd),
            final_loss: tail[r].0 / tail[r].1.max(1) as f64,
            samples,
            reference: run.reference,
            quality,
        });
    }
    Ok(fitted)
}
