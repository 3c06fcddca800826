use super::DualOptimizer;
use crate::error::{ReinError, Result, ensure_hparam, ensure_non_negative};

/// A gain of nuPI: one scalar for every entry, or one value per entry of the constraint group.
#[derive(Debug, Clone, PartialEq)]
pub enum Gain {
    /// The same gain for every entry.
    Scalar(f64),
    /// One gain per entry (length = the group's size).
    PerEntry(Vec<f64>),
}

impl Gain {
    #[inline]
    fn at(&self, i: usize) -> f64 {
        match self {
            Gain::Scalar(k) => *k,
            Gain::PerEntry(v) => v[i],
        }
    }
    fn all_zero(&self) -> bool {
        match self {
            Gain::Scalar(k) => *k == 0.0,
            Gain::PerEntry(v) => v.iter().all(|k| *k == 0.0),
        }
    }
}

impl From<f64> for Gain {
    fn from(k: f64) -> Self {
        Gain::Scalar(k)
    }
}

/// How nuPI's `xi_{-1}` is initialised (per entry, at its first observation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NuPiInit {
    /// `xi_{-1} = 0`: the first update is `eta (kappa_i e_0 + kappa_p (1 - nu) e_0)`.
    Zeros,
    /// The first update of each entry is the SGD step `eta kappa_i e_0` (plus weight decay) and
    /// `xi` becomes `e_0`; later updates follow the nuPI recursion.
    FirstErrorAsSgd,
}

/// nuPI: the nu-PI controller on the multipliers (Sohrabi, Ramirez, Zhang, Lacoste-Julien &
/// Gallego-Posada, "On PI controllers for updating Lagrange multipliers in constrained
/// optimization", ICML 2024).
///
/// With error signal `e_t` (the strict violation),
///
/// ```text
/// xi_t        = nu xi_{t-1} + (1 - nu) e_t
/// lambda_{t+1} = proj[ lambda_t + eta ( kappa_i e_t + kappa_p (xi_t - xi_{t-1}) - w lambda_t ) ]
/// ```
///
/// Special cases (checked by tests): `kappa_p = 0, kappa_i = 1, nu = 0` is gradient ascent;
/// `kappa_p = 1, kappa_i = 1, nu = 0` is the optimistic gradient; `eta = 1, nu = b,
/// kappa_i = a/(1-b), kappa_p = -a b/(1-b)^2` is Polyak's heavy-ball momentum with step `a`.
///
/// Per-entry state: `xi` and an "initialised" flag, so the init mode gives the same trajectory
/// for dense and indexed multipliers (unlike the reference library, whose dense and sparse
/// paths disagree).
#[derive(Debug, Clone, PartialEq)]
pub struct NuPi {
    lr: f64,
    kappa_p: Gain,
    kappa_i: Gain,
    nu: f64,
    weight_decay: f64,
    init: NuPiInit,
}

impl NuPi {
    /// nuPI with learning rate `eta`, gains `kappa_p`, `kappa_i`, and `nu` in (-1, 1); no
    /// weight decay; `Zeros` initialisation.
    pub fn new(
        lr: f64,
        kappa_p: impl Into<Gain>,
        kappa_i: impl Into<Gain>,
        nu: f64,
    ) -> Result<Self> {
        ensure_non_negative("lr", lr)?;
        ensure_hparam(nu > -1.0 && nu < 1.0, "nu", nu, "must be in (-1, 1)")?;
        let (kappa_p, kappa_i) = (kappa_p.into(), kappa_i.into());
        for (field, g) in [("kappa_p", &kappa_p), ("kappa_i", &kappa_i)] {
            let finite = match g {
                Gain::Scalar(k) => k.is_finite(),
                Gain::PerEntry(v) => v.iter().all(|k| k.is_finite()),
            };
            ensure_hparam(finite, field, format!("{g:?}"), "must be finite")?;
        }
        if kappa_p.all_zero() && kappa_i.all_zero() {
            eprintln!("rein warning: nuPI with kappa_p = kappa_i = 0 never moves the multipliers");
        }
        Ok(Self {
            lr,
            kappa_p,
            kappa_i,
            nu,
            weight_decay: 0.0,
            init: NuPiInit::Zeros,
        })
    }

    /// Decoupled weight decay `w >= 0` on the multipliers.
    pub fn weight_decay(mut self, w: f64) -> Result<Self> {
        ensure_non_negative("weight_decay", w)?;
        self.weight_decay = w;
        Ok(self)
    }

    /// Sets the initialisation mode of `xi`.
    pub fn init(mut self, init: NuPiInit) -> Self {
        self.init = init;
        self
    }
}

impl DualOptimizer for NuPi {
    fn name(&self) -> &'static str {
        "nupi"
    }
    fn state_slots(&self) -> &'static [&'static str] {
        &["xi", "initialised"]
    }
    #[inline]
    fn update(&self, i: usize, lambda: f64, e: f64, s: &mut [f64]) -> f64 {
        let (kp, ki) = (self.kappa_p.at(i), self.kappa_i.at(i));
        let decay = self.weight_decay * lambda;
        if self.init == NuPiInit::FirstErrorAsSgd && s[1] == 0.0 {
            s[0] = e;
            s[1] = 1.0;
            return lambda + self.lr * (ki * e - decay);
        }
        let xi_prev = s[0];
        let xi = self.nu * xi_prev + (1.0 - self.nu) * e;
        s[0] = xi;
        s[1] = 1.0;
        lambda + self.lr * (ki * e + kp * (xi - xi_prev) - decay)
    }
    fn validate_for(&self, constraint: &str, size: usize) -> Result<()> {
        for (what, g) in [
            ("nuPI kappa_p length", &self.kappa_p),
            ("nuPI kappa_i length", &self.kappa_i),
        ] {
            if let Gain::PerEntry(v) = g
                && v.len() != size
            {
                return Err(ReinError::ShapeMismatch {
                    constraint: constraint.to_string(),
                    what,
                    expected: size,
                    got: v.len(),
                });
            }
        }
        Ok(())
    }
    fn learning_rate(&self) -> f64 {
        self.lr
    }
    fn set_learning_rate(&mut self, lr: f64) -> Result<()> {
        ensure_non_negative("lr", lr)?;
        self.lr = lr;
        Ok(())
    }
}
