//! GAIT barycenters of digit images: images are probability vectors on the 8x8 pixel grid,
//! compared with the RBF kernel on pixel positions (Gallego-Posada et al. 2020, "GAIT: A
//! Geometric Approach to Information Theory", AISTATS, Section 5).
//!
//! ```text
//! left-sided:   q_L = argmin_q 1/N sum_i D^K[q || p_i]
//! right-sided:  q_R = argmin_q 1/N sum_i D^K[p_i || q] = 1/N sum_i p_i   (a Bregman centroid)
//! ```
//!
//! Both are found by Adam (learning rate decayed to 0 by a cosine schedule) on the logits of
//! `q = softmax(theta)` through rein's unconstrained scheme; the right-sided one is a check (it must land on the arithmetic mean), the
//! left-sided one is the geometry-aware average.

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor, TensorData, activation::softmax};
use rein::Schedule;
use rein::config::{DualConfig, DualKind, OptimizerConfig, PrimalConfig, PrimalKind};
use rein::scheme::SchemeKind;
use rein::{Cmp, CmpState, ConstrainedOptimizer, ReinError};
use rein_nn::Digits;
use rein_nn::gait::{Rbf, SimilarityMatrix, divergence, entropy};
use serde::{Deserialize, Serialize};

use super::GaitConfig;
use crate::error::{RecipeError, Result, ensure};
use crate::history::History;
use crate::progress::Progress;

/// Side of the images (8x8 digits).
pub const SIDE: usize = 8;

/// The barycenter's free parameters: `q = softmax(theta)`.
#[derive(Module, Debug)]
pub struct Logits {
    /// The logits.
    pub theta: Param<Tensor<1>>,
}

/// Which barycenter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// `argmin_q sum_i D[q || p_i]`.
    Left,
    /// `argmin_q sum_i D[p_i || q]`.
    Right,
}

struct BarycenterProblem {
    k: SimilarityMatrix,
    images: Vec<Tensor<1>>,
    side: Side,
}

impl BarycenterProblem {
    fn objective(&self, q: Tensor<1>) -> std::result::Result<Tensor<1>, rein_nn::gait::GaitError> {
        let mut total: Option<Tensor<1>> = None;
        for p in &self.images {
            let d = match self.side {
                Side::Left => divergence(&self.k, q.clone(), p.clone())?,
                Side::Right => divergence(&self.k, p.clone(), q.clone())?,
            };
            total = Some(match total {
                Some(t) => t + d,
                None => d,
            });
        }
        let n = self.images.len() as f64;
        Ok(total.expect("at least one image (validated)").div_scalar(n))
    }
}

impl Cmp<Logits> for BarycenterProblem {
    type Batch = ();

    fn compute_cmp_state(&mut self, model: &Logits, _: &()) -> rein::Result<CmpState> {
        let q = softmax(model.theta.val(), 0);
        let loss = self
            .objective(q)
            .map_err(|e| ReinError::InvalidConstraintState {
                constraint: "loss (barycenter)".into(),
                reason: e.to_string(),
            })?;
        Ok(CmpState::new().loss(loss))
    }
}

/// What `metrics.json` says of the barycenters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BarycenterFigures {
    /// The digit whose images are averaged.
    pub digit: usize,
    /// Number of images.
    pub images: usize,
    /// RBF bandwidth in pixels.
    pub sigma_pixels: f64,
    /// Adam steps of each barycenter.
    pub steps: usize,
    /// Left objective `1/N sum_i D[q || p_i]` at the arithmetic mean.
    pub left_objective_at_mean: f64,
    /// Left objective at the left-sided GAIT barycenter (lower: the barycenter minimises it).
    pub left_objective_at_barycenter: f64,
    /// Right objective `1/N sum_i D[p_i || q]` at the arithmetic mean (its minimum).
    pub right_objective_at_mean: f64,
    /// Right objective at the optimised right-sided barycenter.
    pub right_objective_at_barycenter: f64,
    /// `max_j |q_R,j - mean_j|` (the right-sided barycenter is the mean: about 0).
    pub right_max_deviation_from_mean: f64,
    /// `max_j mean_j`, the scale of the deviation above.
    pub mean_max_pixel: f64,
    /// `H^K_1` of the arithmetic mean.
    pub entropy_mean: f64,
    /// `H^K_1` of the left-sided barycenter (lower: sharper).
    pub entropy_left: f64,
    /// Mean `H^K_1` of the input images.
    pub entropy_inputs: f64,
}

/// The images of a barycenter run (host, 64 pixels each, summing to 1).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BarycenterImages {
    /// The first input images (up to 8).
    pub inputs: Vec<Vec<f64>>,
    /// The arithmetic mean.
    pub mean: Vec<f64>,
    /// The left-sided GAIT barycenter.
    pub left: Vec<f64>,
    /// The optimised right-sided GAIT barycenter.
    pub right: Vec<f64>,
}

fn host(t: &Tensor<1>) -> Vec<f64> {
    t.to_data()
        .convert::<f64>()
        .try_into_vec::<f64>()
        .unwrap_or_default()
}

fn vector(v: &[f64], device: &Device) -> Tensor<1> {
    Tensor::from_data(TensorData::new(v.to_vec(), [v.len()]), device)
}

/// The pixel positions `(row, column)` of the 8x8 grid, row-major.
pub fn pixel_grid(device: &Device) -> Tensor<2> {
    let coords: Vec<f64> = (0..SIDE * SIDE)
        .flat_map(|i| [(i / SIDE) as f64, (i % SIDE) as f64])
        .collect();
    Tensor::from_data(TensorData::new(coords, [SIDE * SIDE, 2]), device)
}

/// Computes both barycenters of the first `barycenter_images` digits `barycenter_digit`.
pub(super) fn barycenters(
    config: &GaitConfig,
    device: &Device,
    progress: &mut dyn Progress,
    history: &mut History,
) -> Result<(BarycenterFigures, BarycenterImages)> {
    let digits = Digits::load_bundled()?;
    let images: Vec<Vec<f64>> = (0..digits.n)
        .filter(|&i| digits.labels[i] == config.barycenter_digit)
        .take(config.barycenter_images)
        .map(|i| {
            let row: Vec<f64> = digits.row(i).iter().map(|&v| f64::from(v)).collect();
            let s: f64 = row.iter().sum();
            row.iter().map(|v| v / s.max(f64::MIN_POSITIVE)).collect()
        })
        .collect();
    ensure(
        images.len() == config.barycenter_images,
        "barycenter_images",
        || {
            format!(
                "{}: the bundled digits have only {} images of digit {}",
                config.barycenter_images,
                images.len(),
                config.barycenter_digit
            )
        },
    )?;
    let rbf = Rbf::new(config.barycenter_sigma)
        .map_err(|e| RecipeError::config("barycenter_sigma", e.reason))?;
    let k = SimilarityMatrix::from_kernel(&rbf, pixel_grid(device));
    let n = SIDE * SIDE;
    let mean: Vec<f64> = (0..n)
        .map(|j| images.iter().map(|p| p[j]).sum::<f64>() / images.len() as f64)
        .collect();
    let tensors: Vec<Tensor<1>> = images.iter().map(|p| vector(p, device)).collect();
    let mut solve = |side: Side, label: &str| -> Result<(Vec<f64>, f64, f64)> {
        let mut problem = BarycenterProblem {
            k: k.clone(),
            images: tensors.clone(),
            side,
        };
        // A cosine decay to 0: Adam's normalised steps would otherwise keep q moving by about
        // `lr` on the float32 rounding noise of a flat optimum.
        let mut primal = PrimalConfig::new(PrimalKind::Adam, config.barycenter_lr);
        primal.schedule = Some(Schedule::Cosine {
            steps: config.barycenter_steps as u64,
            min: 0.0,
        });
        let optimizer = OptimizerConfig {
            scheme: SchemeKind::Unconstrained,
            primal,
            dual: DualConfig::new(DualKind::Sgd, 1.0),
            constraints: Default::default(),
        };
        let mut opt = optimizer.build(vec![])?;
        let mut model = Logits {
            theta: Param::from_tensor(vector(&vec![0.0; n], device)),
        };
        progress.start(label, config.barycenter_steps as u64);
        for t in 1..=config.barycenter_steps {
            let report = opt.step(&mut problem, &mut model, &())?;
            if t % 10 == 0 || t == config.barycenter_steps {
                let column = match side {
                    Side::Left => "barycenter_left_objective",
                    Side::Right => "barycenter_right_objective",
                };
                history.push(t as u64, &[(column, report.loss.unwrap_or(f64::NAN))]);
            }
            progress.step();
        }
        progress.finish();
        let q = host(&softmax(model.theta.val().detach(), 0));
        let plain = |v: &[f64]| vector(v, device);
        let at_q = host(&problem.objective(plain(&q))?)[0];
        let at_mean = host(&problem.objective(plain(&mean))?)[0];
        Ok((q, at_q, at_mean))
    };
    let (left, left_at_q, left_at_mean) = solve(Side::Left, "barycenter (left)")?;
    let (right, right_at_q, right_at_mean) = solve(Side::Right, "barycenter (right)")?;
    let h = |p: &[f64]| -> Result<f64> { Ok(host(&entropy(&k, vector(p, device), 1.0)?)[0]) };
    let entropy_inputs = images.iter().map(|p| h(p)).sum::<Result<f64>>()? / images.len() as f64;
    let figures = BarycenterFigures {
        digit: config.barycenter_digit,
        images: images.len(),
        sigma_pixels: config.barycenter_sigma,
        steps: config.barycenter_steps,
        left_objective_at_mean: left_at_mean,
        left_objective_at_barycenter: left_at_q,
        right_objective_at_mean: right_at_mean,
        right_objective_at_barycenter: right_at_q,
        right_max_deviation_from_mean: right
            .iter()
            .zip(&mean)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max),
        mean_max_pixel: mean.iter().copied().fold(0.0, f64::max),
        entropy_mean: h(&mean)?,
        entropy_left: h(&left)?,
        entropy_inputs,
    };
    let shown = BarycenterImages {
        inputs: images.iter().take(8).cloned().collect(),
        mean,
        left,
        right,
    };
    Ok((figures, shown))
}
