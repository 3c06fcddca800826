//! Training EMAN and the `xyz` baseline in lockstep on the same noisy canonical copies, then
//! measuring both on the train meshes and on canonical and transformed test copies.

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use rein::ConstrainedOptimizer;
use rein::config::{DualConfig, DualKind, OptimizerConfig, PrimalConfig, PrimalKind};
use rein::optim::PrimalOptimizer;
use rein::scheme::{Scheme, SchemeKind};
use rein_nn::eman::{EmanConfig as NetConfig, XyzGraphNet};
use rein_nn::mesh::Similarity;

use super::EmanConfig;
use super::data::{Sample, TaskMesh};
use super::metrics::{Accuracies, Rendering};
use super::problem::Segmentation;
use crate::error::Result;
use crate::history::History;
use crate::progress::Progress;

/// Seed offsets of the test copies (the training copies use `1..=steps`).
const CANONICAL_TEST: u64 = 1 << 40;
const TRANSFORMED_TEST: u64 = 2 << 40;

/// Both trained models and their figures.
pub(super) struct Trained {
    pub eman: Accuracies,
    pub baseline: Accuracies,
    pub parameters: (usize, usize),
    pub renderings: Vec<Rendering>,
}

fn optimizer(lr: f64) -> Result<Scheme<Box<dyn PrimalOptimizer>>> {
    let config = OptimizerConfig {
        scheme: SchemeKind::Unconstrained,
        primal: PrimalConfig::new(PrimalKind::Adam, lr),
        dual: DualConfig::new(DualKind::Sgd, 1.0),
        constraints: Default::default(),
    };
    Ok(config.build(vec![])?)
}

/// The network configuration of a run.
pub(super) fn net_config(config: &EmanConfig) -> NetConfig {
    NetConfig {
        max_order: config.max_order,
        channels: config.channels,
        layers: config.layers,
        classes: config.segments,
        attention: config.attention,
        attention_dim: config.attention_dim,
        transport: true,
    }
}

fn predictions(logits: Tensor<2>) -> Vec<usize> {
    logits
        .argmax(1)
        .into_data()
        .convert::<i64>()
        .try_to_vec::<i64>()
        .unwrap_or_default()
        .into_iter()
        .map(|v| v as usize)
        .collect()
}

fn accuracy(pred: &[usize], truth: &[usize]) -> f64 {
    let hits = pred.iter().zip(truth).filter(|(a, b)| a == b).count();
    hits as f64 / truth.len().max(1) as f64
}

/// Trains both models and measures them.
pub(super) fn train(
    config: &EmanConfig,
    meshes: &[TaskMesh],
    device: &Device,
    progress: &mut dyn Progress,
    history: &mut History,
) -> Result<Trained> {
    let net = net_config(config);
    let mut eman = net.init(config.seed, device);
    let mut baseline = XyzGraphNet::new(
        config.baseline_width,
        config.layers,
        config.segments,
        config.seed,
        device,
    );
    let parameters = (eman.num_params(), baseline.num_params());
    let mut opt_eman = optimizer(config.lr)?;
    let mut opt_base = optimizer(config.lr)?;
    let tail_start = config.steps - config.steps.div_ceil(10) + 1;
    let (mut tail_e, mut tail_b, mut tail_n) = (0.0, 0.0, 0usize);
    progress.start("eman + xyz baseline", config.steps as u64);
    for t in 1..=config.steps {
        let m = &meshes[(t - 1) % meshes.len()];
        let copy = m.copy(config.noise, config.seed ^ t as u64, None);
        let sample = m.sample(&copy, config.max_order, device)?;
        let le = opt_eman
            .step(&mut Segmentation, &mut eman, &sample)?
            .loss
            .unwrap_or(f64::NAN);
        let lb = opt_base
            .step(&mut Segmentation, &mut baseline, &sample)?
            .loss
            .unwrap_or(f64::NAN);
        if !le.is_finite() || !lb.is_finite() {
            return Err(crate::RecipeError::config(
                "lr",
                format!(
                    "step {t}: the training loss is not finite (EMAN {le}, baseline {lb}); lower the learning rate"
                ),
            ));
        }
        if t >= tail_start {
            tail_e += le;
            tail_b += lb;
            tail_n += 1;
        }
        history.push(t as u64, &[("eman_loss", le), ("baseline_loss", lb)]);
        progress.step();
        if t % 20 == 0 {
            progress.message(&format!("loss EMAN {le:.4}  xyz {lb:.4}"));
        }
    }
    progress.finish();

    let plain = device.clone().inner();
    let eman = eman.valid();
    let baseline = baseline.valid();
    let predict = |s: &Sample| {
        (
            predictions(eman.forward(&s.input, &s.graph)),
            predictions(baseline.forward(&s.graph)),
        )
    };
    // [train, canonical test, transformed test] hits of EMAN and of the baseline.
    let mut hits = [[0.0; 3]; 2];
    let mut counts = [0.0; 3];
    let mut renderings = Vec::new();
    for (i, m) in meshes.iter().enumerate() {
        let n = m.labels.len() as f64;
        let s = m.sample(&m.mesh, config.max_order, &plain)?;
        let (pe, pb) = predict(&s);
        hits[0][0] += accuracy(&pe, &m.labels) * n;
        hits[1][0] += accuracy(&pb, &m.labels) * n;
        counts[0] += n;
        for k in 0..config.test_copies {
            let seed = config.seed ^ ((i as u64) << 20) ^ k as u64;
            let canonical = m.copy(config.noise, CANONICAL_TEST ^ seed, None);
            let similarity =
                Similarity::random(TRANSFORMED_TEST ^ seed, config.max_scale, config.max_shift);
            // The transformed copy is the canonical test copy moved: the same noise.
            let moved = similarity.apply_mesh(&canonical);
            for (slot, mesh) in [(1, &canonical), (2, &moved)] {
                let s = m.sample(mesh, config.max_order, &plain)?;
                let (pe, pb) = predict(&s);
                hits[0][slot] += accuracy(&pe, &m.labels) * n;
                hits[1][slot] += accuracy(&pb, &m.labels) * n;
                counts[slot] += n;
                if slot == 2 && k == 0 {
                    renderings.push(Rendering {
                        mesh: m.name.clone(),
                        points: m.mesh.vertices.iter().map(|v| [v.0[0], v.0[1]]).collect(),
                        truth: m.labels.clone(),
                        eman: pe,
                        baseline: pb,
                    });
                }
            }
        }
    }
    let figures = |h: [f64; 3], loss: f64| Accuracies {
        train: h[0] / counts[0],
        canonical_test: h[1] / counts[1].max(1.0),
        transformed_test: h[2] / counts[2].max(1.0),
        final_loss: loss / tail_n.max(1) as f64,
    };
    Ok(Trained {
        eman: figures(hits[0], tail_e),
        baseline: figures(hits[1], tail_b),
        parameters,
        renderings,
    })
}
