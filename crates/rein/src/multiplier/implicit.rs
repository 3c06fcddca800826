//! Implicit (model) multipliers: `lambda_i = lambda_theta(phi_i)`, a small model of the
//! constraint features `phi_i` (Narasimhan et al. 2020, "Approximate heavily-constrained
//! learning with Lagrange multiplier models").
//!
//! Instead of one free value per constraint, the multipliers are the outputs of a model whose
//! parameters `theta` ascend the dual Lagrangian through autodiff:
//!
//! ```text
//! L_D(theta) = sum_i lambda_theta(phi_i) sg(g_i)      theta <- theta + eta grad_theta L_D
//! ```
//!
//! (the primal optimizer given to [`ImplicitMultiplier::new`] takes a *descent* step on
//! `-L_D`; ascent is built in). For inequalities rein guarantees `lambda >= 0` — which the
//! reference library leaves to the user — by projection: the multiplier used everywhere is
//! `max(lambda_theta(phi), 0)`, while the ascent differentiates the raw output (a projected
//! step in function space: a raw output below zero can still rise again when the constraint
//! becomes violated). The model generalises: constraints never observed get multipliers from
//! their features.

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor, TensorData};

use crate::checkpoint::StateDict;
use crate::constraint::ConstraintKind;
use crate::error::Result;
use crate::evaluation::host_values;
use crate::multiplier::store::project;
use crate::optim::{ParamGrads, PrimalOptimizer};

/// A model from constraint features (`[observed, d]`) to raw multipliers (`[observed]`).
pub trait MultiplierNet: Module + 'static {
    /// Raw multipliers of the rows of `features`.
    fn forward(&self, features: Tensor<2>) -> Tensor<1>;
}

/// The object-safe face of an implicit multiplier, stored in a constraint.
pub trait ImplicitModel: std::fmt::Debug + Send {
    /// Multipliers of the rows of `features` (projected for inequalities), on the host.
    fn multipliers(&self, features: &Tensor<2>, kind: ConstraintKind) -> Vec<f64>;
    /// One ascent step of the model on `L_D = sum_i lambda(phi_i) dual_grad_i`.
    fn ascend(&mut self, features: &Tensor<2>, dual_grad: &[f64]) -> Result<()>;
    /// Saves the model's parameters and its optimizer's state under `prefix`.
    fn save(&self, prefix: &str, out: &mut StateDict) -> Result<()>;
    /// Restores what [`ImplicitModel::save`] wrote.
    fn load(&mut self, prefix: &str, dict: &StateDict) -> Result<()>;
    /// Clones into a box.
    fn box_clone(&self) -> Box<dyn ImplicitModel>;
    /// Scales the model optimizer's learning rates (schedules of the dual side).
    fn set_lr_scale(&mut self, scale: f64) -> Result<()>;
}

impl Clone for Box<dyn ImplicitModel> {
    fn clone(&self) -> Self {
        self.box_clone()
    }
}

/// An implicit multiplier: a [`MultiplierNet`] and the optimizer that moves it.
#[derive(Debug, Clone)]
pub struct ImplicitMultiplier<N, O> {
    net: N,
    optimizer: O,
}

impl<N: MultiplierNet, O: PrimalOptimizer + Clone + std::fmt::Debug + Send + 'static>
    ImplicitMultiplier<N, O>
{
    /// The multiplier model `net` (on an autodiff device), moved by `optimizer`.
    pub fn new(net: N, optimizer: O) -> Self {
        Self { net, optimizer }
    }

    /// The current model.
    pub fn net(&self) -> &N {
        &self.net
    }
}

impl<N, O> ImplicitModel for ImplicitMultiplier<N, O>
where
    N: MultiplierNet,
    O: PrimalOptimizer + Clone + std::fmt::Debug + Send + 'static,
{
    fn multipliers(&self, features: &Tensor<2>, kind: ConstraintKind) -> Vec<f64> {
        let raw = self.net.forward(features.clone().detach()).detach();
        host_values(&raw)
            .into_iter()
            .map(|v| project(kind, v))
            .collect()
    }

    fn ascend(&mut self, features: &Tensor<2>, dual_grad: &[f64]) -> Result<()> {
        let raw = self.net.forward(features.clone().detach());
        let g = Tensor::<1>::from_data(
            TensorData::new(dual_grad.to_vec(), [dual_grad.len()]).convert_dtype(raw.dtype()),
            &raw.device(),
        );
        // Descent on -L_D is ascent on L_D.
        let objective = (raw * g).sum().neg();
        let grads = ParamGrads::from_backward(&self.net, &objective.backward());
        self.net = self.optimizer.step(self.net.clone(), &grads)?;
        Ok(())
    }

    fn save(&self, prefix: &str, out: &mut StateDict) -> Result<()> {
        out.put_module(&format!("{prefix}/model"), &self.net);
        self.optimizer
            .save_state(&format!("{prefix}/optimizer"), out)
    }

    fn load(&mut self, prefix: &str, dict: &StateDict) -> Result<()> {
        let net = dict.load_module(&format!("{prefix}/model"), self.net.clone())?;
        let mut optimizer = self.optimizer.clone();
        optimizer.load_state(&format!("{prefix}/optimizer"), dict)?;
        self.net = net;
        self.optimizer = optimizer;
        Ok(())
    }

    fn box_clone(&self) -> Box<dyn ImplicitModel> {
        Box::new(self.clone())
    }

    fn set_lr_scale(&mut self, scale: f64) -> Result<()> {
        self.optimizer.set_lr_scale(scale)
    }
}

/// The simplest multiplier model: affine in the features, `lambda(phi) = w . phi + b`,
/// initialised at zero (all multipliers start at 0, as dense ones do).
#[derive(Module, Debug)]
pub struct LinearMultiplier {
    /// Weights, one per feature.
    pub weight: Param<Tensor<1>>,
    /// Bias (one element).
    pub bias: Param<Tensor<1>>,
}

impl LinearMultiplier {
    /// A zero-initialised affine model of `features` features on `device` (use an autodiff
    /// device: the model is trained by ascent).
    pub fn zeros(features: usize, device: &Device) -> Self {
        Self {
            weight: Param::from_tensor(Tensor::zeros([features], device).require_grad()),
            bias: Param::from_tensor(Tensor::zeros([1], device).require_grad()),
        }
    }
}

impl MultiplierNet for LinearMultiplier {
    fn forward(&self, features: Tensor<2>) -> Tensor<1> {
        let d = self.weight.val().dims()[0];
        let n = features.dims()[0];
        features
            .matmul(self.weight.val().reshape([d, 1]))
            .reshape([n])
            + self.bias.val()
    }
}
