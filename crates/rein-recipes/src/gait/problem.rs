//! The generator-fitting problem: a loss between the data batch and the generator's samples,
//! either the GAIT divergence or the MMD baseline.

use burn::tensor::Tensor;
use rein::{Cmp, CmpState, ReinError};
use rein_nn::Mlp;
use rein_nn::gait::{
    EmpiricalMeasure, GaitError, Rbf, empirical_divergence, empirical_symmetric_divergence,
};
use serde::{Deserialize, Serialize};

use super::mmd::mmd_squared;

/// The loss a generator is trained with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GeneratorLoss {
    /// GAIT `D^K[data || generated]` (empirical measures, RBF kernel).
    Gait,
    /// The symmetric GAIT divergence `(D^K[data || gen] + D^K[gen || data]) / 2`.
    GaitSymmetric,
    /// The squared maximum mean discrepancy with the same RBF kernel (the baseline).
    Mmd,
}

impl GeneratorLoss {
    /// The name in configuration files and reports.
    pub fn name(self) -> &'static str {
        match self {
            GeneratorLoss::Gait => "gait",
            GeneratorLoss::GaitSymmetric => "gait-symmetric",
            GeneratorLoss::Mmd => "mmd",
        }
    }

    /// The loss between the data points `x` and the generated points `y` (rows).
    ///
    /// # Errors
    /// A [`GaitError`] for empty or non-finite point clouds.
    pub fn value(self, kernel: &Rbf, x: Tensor<2>, y: Tensor<2>) -> Result<Tensor<1>, GaitError> {
        let p = EmpiricalMeasure::uniform(x)?;
        let q = EmpiricalMeasure::uniform(y)?;
        match self {
            GeneratorLoss::Gait => empirical_divergence(kernel, &p, &q),
            GeneratorLoss::GaitSymmetric => empirical_symmetric_divergence(kernel, &p, &q),
            GeneratorLoss::Mmd => Ok(mmd_squared(kernel, &p, &q)),
        }
    }
}

/// One step's input: generator noise `[batch, noise_dim]` and a data batch `[batch, 2]`.
#[derive(Debug, Clone)]
pub struct GeneratorBatch {
    /// Input noise of the generator.
    pub noise: Tensor<2>,
    /// Data points.
    pub data: Tensor<2>,
}

/// `min_theta L(data, G_theta(z))`: an unconstrained problem on the generator `G` (an MLP).
#[derive(Debug, Clone)]
pub struct GeneratorProblem {
    /// The kernel of the loss.
    pub kernel: Rbf,
    /// The loss.
    pub loss: GeneratorLoss,
}

impl Cmp<Mlp> for GeneratorProblem {
    type Batch = GeneratorBatch;

    fn compute_cmp_state(&mut self, model: &Mlp, batch: &GeneratorBatch) -> rein::Result<CmpState> {
        let y = model.forward(batch.noise.clone());
        let loss = self
            .loss
            .value(&self.kernel, batch.data.clone(), y)
            .map_err(|e| ReinError::InvalidConstraintState {
                constraint: format!("loss ({})", self.loss.name()),
                reason: e.to_string(),
            })?;
        Ok(CmpState::new().loss(loss))
    }
}
