//! Configuration of the dual optimizer.

use crate::dual::{DualAdam, DualOptimizer, DualSgd, NuPi, NuPiInit};
use crate::error::{ReinError, Result};
use crate::schedule::Schedule;

/// Which dual optimizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DualKind {
    /// [`DualSgd`]: projected gradient ascent.
    #[default]
    Sgd,
    /// [`DualAdam`].
    Adam,
    /// [`NuPi`] (Sohrabi et al. 2024).
    Nupi,
}

impl DualKind {
    fn name(self) -> &'static str {
        match self {
            DualKind::Sgd => "sgd",
            DualKind::Adam => "adam",
            DualKind::Nupi => "nupi",
        }
    }
}

/// A dual optimizer: its kind, the hyper-parameters that kind takes (others are errors naming
/// the key) and a learning-rate schedule. Defaults: Adam `betas = [0.9, 0.999]`,
/// `eps = 1e-8`; nuPI `kappa_p = 0`, `kappa_i = 1`, `nu = 0`, no weight decay, `init =
/// "zeros"` (that is, SGD until a gain is set).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DualConfig {
    /// Which optimizer.
    #[serde(default)]
    pub kind: DualKind,
    /// Learning rate.
    pub lr: f64,
    /// Adam: `[beta1, beta2]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub betas: Option<[f64; 2]>,
    /// Adam: denominator epsilon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eps: Option<f64>,
    /// nuPI: proportional gain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kappa_p: Option<f64>,
    /// nuPI: integral gain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kappa_i: Option<f64>,
    /// nuPI: filter coefficient in (-1, 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nu: Option<f64>,
    /// SGD and nuPI: decoupled weight decay `w` on the multipliers, `lambda <- proj(lambda +
    /// eta (e - w lambda))` on the observed entries (Resilient constrained learning; see
    /// [`DualSgd`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_decay: Option<f64>,
    /// nuPI: initialisation of `xi` (`"zeros"` or `"first-error-as-sgd"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<NuPiInit>,
    /// Learning-rate schedule (default: constant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
}

impl Default for DualConfig {
    /// Dual SGD with learning rate `1e-2`.
    fn default() -> Self {
        Self::new(DualKind::Sgd, 1e-2)
    }
}

impl DualConfig {
    /// `kind` with learning rate `lr` and its defaults.
    pub fn new(kind: DualKind, lr: f64) -> Self {
        Self {
            kind,
            lr,
            betas: None,
            eps: None,
            kappa_p: None,
            kappa_i: None,
            nu: None,
            weight_decay: None,
            init: None,
            schedule: None,
        }
    }

    fn foreign_keys(&self) -> Vec<&'static str> {
        let (adam, nupi) = (self.kind == DualKind::Adam, self.kind == DualKind::Nupi);
        [
            (self.betas.is_some() && !adam, "betas"),
            (self.eps.is_some() && !adam, "eps"),
            (self.kappa_p.is_some() && !nupi, "kappa_p"),
            (self.kappa_i.is_some() && !nupi, "kappa_i"),
            (self.nu.is_some() && !nupi, "nu"),
            (
                self.weight_decay.is_some() && !nupi && self.kind != DualKind::Sgd,
                "weight_decay",
            ),
            (self.init.is_some() && !nupi, "init"),
        ]
        .into_iter()
        .filter_map(|(bad, k)| bad.then_some(k))
        .collect()
    }

    /// Checks the values; errors name the key.
    pub fn validate(&self) -> Result<()> {
        if let Some(key) = self.foreign_keys().first() {
            return Err(ReinError::InvalidConfig {
                key: (*key).to_string(),
                reason: format!("the {} dual optimizer has no `{key}`", self.kind.name()),
            });
        }
        if let Some(s) = &self.schedule {
            s.validate()?;
        }
        self.build().map(|_| ())
    }

    /// The configuration with the kind's defaults written out.
    pub fn resolved(&self) -> Self {
        let mut r = self.clone();
        match self.kind {
            DualKind::Sgd => {}
            DualKind::Adam => {
                r.betas.get_or_insert([0.9, 0.999]);
                r.eps.get_or_insert(1e-8);
            }
            DualKind::Nupi => {
                r.kappa_p.get_or_insert(0.0);
                r.kappa_i.get_or_insert(1.0);
                r.nu.get_or_insert(0.0);
                r.weight_decay.get_or_insert(0.0);
                r.init.get_or_insert(NuPiInit::Zeros);
            }
        }
        r
    }

    /// Builds the dual optimizer.
    pub fn build(&self) -> Result<Box<dyn DualOptimizer>> {
        Ok(match self.kind {
            DualKind::Sgd => {
                Box::new(DualSgd::new(self.lr)?.weight_decay(self.weight_decay.unwrap_or(0.0))?)
            }
            DualKind::Adam => {
                let [b1, b2] = self.betas.unwrap_or([0.9, 0.999]);
                Box::new(DualAdam::with_betas(
                    self.lr,
                    b1,
                    b2,
                    self.eps.unwrap_or(1e-8),
                )?)
            }
            DualKind::Nupi => Box::new(
                NuPi::new(
                    self.lr,
                    self.kappa_p.unwrap_or(0.0),
                    self.kappa_i.unwrap_or(1.0),
                    self.nu.unwrap_or(0.0),
                )?
                .weight_decay(self.weight_decay.unwrap_or(0.0))?
                .init(self.init.unwrap_or(NuPiInit::Zeros)),
            ),
        })
    }
}
