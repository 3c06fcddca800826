//! The unconstrained baselines of Feasible Learning (Ramirez et al. 2025): ERM and CSERM as a
//! [`Cmp`] with an objective and no constraint.

use burn::tensor::{Device, Tensor};
use rein::{Cmp, CmpState};
use rein_nn::{Dataset, Mlp};

use super::{Method, cross_entropy_rows};

/// ERM or CSERM on the training set, one minibatch of sample indices per step.
///
/// ```text
/// erm:    f_B(x) = 1/|B| sum_{i in B} CE_i(x)
/// cserm:  f_B(x) = 1/|B| sum_{i in B} [CE_i(x) - eps]_+^2
/// ```
///
/// With `diagnostics` on (the recipe's default), each step also reports the batch's fraction
/// of feasible samples (`batch_feasible`, `CE_i <= eps`) and mean `CE_i - eps`
/// (`batch_violation_mean`) as diagnostics, which reads the batch's losses to the host; a
/// benchmark turns it off.
pub struct BaselineProblem {
    train: Dataset,
    eps: f64,
    method: Method,
    diagnostics: bool,
    device: Device,
}

impl BaselineProblem {
    /// The baseline `method` (`Erm` or `Cserm`; a constrained method is treated as `Erm`) on
    /// `train` with loss bound `eps`, batches built on `device`, diagnostics on.
    pub fn new(train: Dataset, eps: f64, method: Method, device: &Device) -> Self {
        Self {
            train,
            eps,
            method,
            diagnostics: true,
            device: device.clone(),
        }
    }

    /// Turns the per-step diagnostics on or off.
    pub fn with_diagnostics(mut self, on: bool) -> Self {
        self.diagnostics = on;
        self
    }

    /// The training samples.
    pub fn train(&self) -> &Dataset {
        &self.train
    }
}

/// The batch's fraction of entries `<= 0` and mean of `violation` (`CE_i - eps`).
fn batch_figures(violation: &Tensor<1>) -> Option<(f64, f64)> {
    let v = violation
        .clone()
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .ok()?;
    let m = v.len().max(1) as f64;
    let feasible = v.iter().filter(|&&g| g <= 0.0).count() as f64 / m;
    let mean = v.iter().map(|&g| f64::from(g)).sum::<f64>() / m;
    Some((feasible, mean))
}

impl Cmp<Mlp> for BaselineProblem {
    type Batch = [usize];

    fn compute_cmp_state(&mut self, model: &Mlp, batch: &[usize]) -> rein::Result<CmpState> {
        let (x, y) = self.train.batch_tensors(batch, &self.device);
        let ce = cross_entropy_rows(model.forward(x), y);
        let loss = match self.method {
            Method::Cserm => {
                let excess = ce.clone().sub_scalar(self.eps).clamp_min(0.0);
                (excess.clone() * excess).mean()
            }
            _ => ce.clone().mean(),
        };
        let mut state = CmpState::new().loss(loss);
        if self.diagnostics
            && let Some((feasible, mean)) = batch_figures(&ce.detach().sub_scalar(self.eps))
        {
            state = state
                .misc("batch_feasible", feasible)
                .misc("batch_violation_mean", mean);
        }
        Ok(state)
    }
}
