//! Configuration of the primal optimizer.

use super::keyed;
use crate::error::{ReinError, Result, ensure_hparam, ensure_non_negative};
use crate::optim::shampoo::FactorPrecision;
use crate::optim::{
    Adam, AdamConfig, Clamp, Grafting, Momentum, ParamGroup, PrimalOptimizer, Projected, Sgd,
    SgdConfig, Shampoo, ShampooConfig, WeightDecay,
};
use crate::schedule::Schedule;

/// Which primal optimizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrimalKind {
    /// [`Sgd`] (L2 weight decay, optional momentum).
    Sgd,
    /// [`Adam`] (L2 weight decay).
    #[default]
    Adam,
    /// [`Adam`] with decoupled weight decay (AdamW).
    Adamw,
    /// [`Shampoo`] (its own decoupled weight decay, grafting, momentum).
    Shampoo,
}

impl PrimalKind {
    fn name(self) -> &'static str {
        match self {
            PrimalKind::Sgd => "sgd",
            PrimalKind::Adam => "adam",
            PrimalKind::Adamw => "adamw",
            PrimalKind::Shampoo => "shampoo",
        }
    }
}

/// A parameter group in a configuration: see [`ParamGroup`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupConfig {
    /// Name (unique).
    pub name: String,
    /// Path patterns (`"*log_alpha"`, `"layers.0"`).
    pub params: Vec<String>,
    /// The group's learning rate (default: the optimizer's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr: Option<f64>,
    /// The group's weight decay (default: the optimizer's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_decay: Option<f64>,
}

/// A clamp applied after every primal step: see [`Clamp`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClampConfig {
    /// Path patterns of the clamped parameters.
    pub params: Vec<String>,
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
}

/// The primal optimizer: its kind, the hyper-parameters that kind takes (others are errors
/// naming the key), parameter groups, clamps and a learning-rate schedule.
///
/// Defaults by kind: SGD no momentum; Adam/AdamW `betas = [0.9, 0.999]`, `eps = 1e-8`;
/// Shampoo as [`ShampooConfig::new`] (`betas = [0.9, 1.0]`, `eps = 1e-12`, AdaGrad grafting);
/// weight decay 0.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrimalConfig {
    /// Which optimizer.
    #[serde(default)]
    pub kind: PrimalKind,
    /// Base learning rate.
    pub lr: f64,
    /// Momentum (SGD, Shampoo): `"none"`, `{ heavy-ball = 0.9 }`, `{ nesterov = 0.9 }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub momentum: Option<Momentum>,
    /// `[beta1, beta2]` (Adam, AdamW, Shampoo).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub betas: Option<[f64; 2]>,
    /// Denominator or regulariser epsilon (Adam, AdamW, Shampoo).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eps: Option<f64>,
    /// Weight-decay coefficient (L2 for SGD and Adam, decoupled for AdamW and Shampoo).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_decay: Option<f64>,
    /// Shampoo: roots recomputed every this many steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precondition_frequency: Option<u64>,
    /// Shampoo: first preconditioned step (default: the precondition frequency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_preconditioning_step: Option<u64>,
    /// Shampoo: largest Kronecker factor (blocks are cut to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_preconditioner_dim: Option<usize>,
    /// Shampoo: the grafted optimizer (`"none"`, `"sgd"`, `{ ada-grad = { eps = 1e-10 } }`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grafting: Option<Grafting>,
    /// Shampoo: `"f32"` or `"f64"` factors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor_precision: Option<FactorPrecision>,
    /// Parameter groups with their own learning rate or weight decay.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupConfig>,
    /// Clamps applied after every step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clamp: Vec<ClampConfig>,
    /// Learning-rate schedule (default: constant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
}

impl Default for PrimalConfig {
    /// Adam with learning rate `1e-3`.
    fn default() -> Self {
        Self::new(PrimalKind::Adam, 1e-3)
    }
}

impl PrimalConfig {
    /// `kind` with learning rate `lr` and its defaults.
    pub fn new(kind: PrimalKind, lr: f64) -> Self {
        Self {
            kind,
            lr,
            momentum: None,
            betas: None,
            eps: None,
            weight_decay: None,
            precondition_frequency: None,
            start_preconditioning_step: None,
            max_preconditioner_dim: None,
            grafting: None,
            factor_precision: None,
            groups: Vec::new(),
            clamp: Vec::new(),
            schedule: None,
        }
    }

    /// Adds a parameter group.
    pub fn group(mut self, group: GroupConfig) -> Self {
        self.groups.push(group);
        self
    }

    /// Sets (replaces) the learning rate of the group called `name`, adding the group with
    /// `params` if there is none.
    pub fn set_group_lr(&mut self, name: &str, params: &[String], lr: f64) {
        match self.groups.iter_mut().find(|g| g.name == name) {
            Some(g) => g.lr = Some(lr),
            None => self.groups.push(GroupConfig {
                name: name.to_string(),
                params: params.to_vec(),
                lr: Some(lr),
                weight_decay: None,
            }),
        }
    }

    /// Keys given that `kind` does not take.
    fn foreign_keys(&self) -> Vec<&'static str> {
        let k = self.kind;
        let shampoo = k == PrimalKind::Shampoo;
        let mut out = Vec::new();
        let mut check = |given: bool, allowed: bool, key: &'static str| {
            if given && !allowed {
                out.push(key);
            }
        };
        check(
            self.momentum.is_some(),
            matches!(k, PrimalKind::Sgd | PrimalKind::Shampoo),
            "momentum",
        );
        check(self.betas.is_some(), k != PrimalKind::Sgd, "betas");
        check(self.eps.is_some(), k != PrimalKind::Sgd, "eps");
        check(
            self.precondition_frequency.is_some(),
            shampoo,
            "precondition_frequency",
        );
        check(
            self.start_preconditioning_step.is_some(),
            shampoo,
            "start_preconditioning_step",
        );
        check(
            self.max_preconditioner_dim.is_some(),
            shampoo,
            "max_preconditioner_dim",
        );
        check(self.grafting.is_some(), shampoo, "grafting");
        check(self.factor_precision.is_some(), shampoo, "factor_precision");
        out
    }

    /// Checks the values; errors name the key.
    pub fn validate(&self) -> Result<()> {
        if let Some(key) = self.foreign_keys().first() {
            return Err(ReinError::InvalidConfig {
                key: (*key).to_string(),
                reason: format!("the {} optimizer has no `{key}`", self.kind.name()),
            });
        }
        self.build().map(|_| ())
    }

    /// The configuration with the kind's defaults written out.
    pub fn resolved(&self) -> Self {
        let mut r = self.clone();
        r.weight_decay.get_or_insert(0.0);
        match self.kind {
            PrimalKind::Sgd => {
                r.momentum.get_or_insert(Momentum::None);
            }
            PrimalKind::Adam | PrimalKind::Adamw => {
                let d = AdamConfig::new(self.lr);
                r.betas.get_or_insert([d.beta1, d.beta2]);
                r.eps.get_or_insert(d.eps);
            }
            PrimalKind::Shampoo => {
                let d = ShampooConfig::new(self.lr);
                r.betas.get_or_insert([d.beta1, d.beta2]);
                r.eps.get_or_insert(d.eps);
                r.momentum.get_or_insert(d.momentum);
                let f = *r
                    .precondition_frequency
                    .get_or_insert(d.precondition_frequency);
                r.start_preconditioning_step
                    .get_or_insert(d.start_preconditioning_step.unwrap_or(f));
                r.max_preconditioner_dim
                    .get_or_insert(d.max_preconditioner_dim);
                r.grafting.get_or_insert(d.grafting);
                r.factor_precision.get_or_insert(d.factor_precision);
            }
        }
        r
    }

    /// Builds the optimizer with its groups and clamps.
    pub fn build(&self) -> Result<Box<dyn PrimalOptimizer>> {
        ensure_non_negative("lr", self.lr)?;
        let wd = self.weight_decay.unwrap_or(0.0);
        ensure_non_negative("weight_decay", wd)?;
        let groups = self
            .groups
            .iter()
            .map(|g| {
                let mut p = ParamGroup::new(g.name.clone(), g.params.clone());
                p.lr = g.lr;
                p.weight_decay = g.weight_decay;
                p
            })
            .collect::<Vec<_>>();
        let adam = |decay: WeightDecay| -> Result<Adam> {
            let mut c = AdamConfig::new(self.lr).weight_decay(decay);
            if let Some([b1, b2]) = self.betas {
                c = c.betas(b1, b2);
            }
            if let Some(eps) = self.eps {
                c = c.eps(eps);
            }
            let mut opt = Adam::new(c)?;
            for g in &groups {
                opt = opt.with_group(g.clone()).map_err(|e| keyed_group(g, e))?;
            }
            Ok(opt)
        };
        // A group may set a weight decay only when the optimizer decays: the kind's rule, with
        // the given coefficient (0 by default).
        let decay = |decoupled: bool| {
            if decoupled {
                WeightDecay::Decoupled(wd)
            } else if wd > 0.0 || groups.iter().any(|g| g.weight_decay.is_some()) {
                WeightDecay::L2(wd)
            } else {
                WeightDecay::None
            }
        };
        let opt: Box<dyn PrimalOptimizer> = match self.kind {
            PrimalKind::Sgd => {
                let c = SgdConfig::new(self.lr)
                    .momentum(self.momentum.unwrap_or(Momentum::None))
                    .weight_decay(decay(false));
                let mut opt = Sgd::new(c)?;
                for g in &groups {
                    opt = opt.with_group(g.clone()).map_err(|e| keyed_group(g, e))?;
                }
                Box::new(opt)
            }
            PrimalKind::Adam => Box::new(adam(decay(false))?),
            PrimalKind::Adamw => Box::new(adam(decay(true))?),
            PrimalKind::Shampoo => {
                let d = ShampooConfig::new(self.lr);
                let [b1, b2] = self.betas.unwrap_or([d.beta1, d.beta2]);
                let mut c = ShampooConfig::new(self.lr)
                    .betas(b1, b2)
                    .eps(self.eps.unwrap_or(d.eps))
                    .weight_decay(wd)
                    .momentum(self.momentum.unwrap_or(d.momentum))
                    .precondition_frequency(
                        self.precondition_frequency
                            .unwrap_or(d.precondition_frequency),
                    )
                    .max_preconditioner_dim(
                        self.max_preconditioner_dim
                            .unwrap_or(d.max_preconditioner_dim),
                    )
                    .grafting(self.grafting.unwrap_or(d.grafting))
                    .factor_precision(self.factor_precision.unwrap_or(d.factor_precision));
                if let Some(s) = self.start_preconditioning_step {
                    c = c.start_preconditioning_step(s);
                }
                let mut opt = Shampoo::new(c)?;
                for g in &groups {
                    opt = opt.with_group(g.clone()).map_err(|e| keyed_group(g, e))?;
                }
                Box::new(opt)
            }
        };
        if let Some(s) = &self.schedule {
            s.validate()?;
        }
        if self.clamp.is_empty() {
            return Ok(opt);
        }
        let mut projected = Projected::new(opt);
        for (k, c) in self.clamp.iter().enumerate() {
            ensure_hparam(
                !c.params.is_empty(),
                "clamp",
                k,
                "needs at least one pattern",
            )?;
            let clamp = Clamp::new(c.params.clone(), c.min, c.max)
                .map_err(|e| keyed(&format!("clamp[{k}]"), e))?;
            projected = projected.with(clamp);
        }
        Ok(Box::new(projected))
    }
}

/// Moves a group error under `groups.<name>`.
fn keyed_group(g: &ParamGroup, e: ReinError) -> ReinError {
    match e {
        e @ ReinError::InvalidConfig { .. } => e,
        other => keyed(&format!("groups.{}", g.name), other),
    }
}
