//! Constraints: named groups of equality or inequality constraints, each with its formulation,
//! multiplier and penalty coefficient, registered in a [`Constraints`] set.
//!
//! A [`Constraint`] is a *configuration*; [`Constraints::add`] validates it and allocates what
//! evolves (multiplier values, dual-optimizer state, penalty coefficients). Names are stable,
//! unique, user-given strings: they key reports, logs and checkpoints.

use crate::dual::DualOptimizer;
use crate::error::{ReinError, Result};
use crate::formulation::Formulation;
use crate::multiplier::{ImplicitModel, Multiplier, MultiplierKind};
use crate::penalty::PenaltyCoefficient;

/// Whether a group holds inequalities `g(x) <= 0` or equalities `h(x) = 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConstraintKind {
    /// `g(x) <= 0`; multipliers are projected onto `lambda >= 0`.
    Inequality,
    /// `h(x) = 0`; multipliers are free.
    Equality,
}

/// Configuration of one named group of `size` constraints of one kind.
///
/// ```
/// use rein::{Constraint, Formulation, PenaltyCoefficient};
/// let c = Constraint::inequality("recall", 1);                    // Lagrangian, dense multiplier at 0
/// let per_sample = Constraint::inequality("loss_bound", 60_000).indexed();
/// let eq = Constraint::equality("sum_to_one", 1)
///     .formulation(Formulation::AugmentedLagrangian)
///     .penalty(PenaltyCoefficient::scalar(1.0));
/// # let _ = (c, per_sample, eq);
/// ```
#[derive(Debug, Clone)]
pub struct Constraint {
    pub(crate) name: String,
    pub(crate) kind: ConstraintKind,
    pub(crate) size: usize,
    pub(crate) formulation: Formulation,
    pub(crate) multiplier: MultiplierSpec,
    pub(crate) penalty: Option<PenaltyCoefficient>,
    pub(crate) dual_restarts: bool,
}

/// What a [`Constraint`] asks of its multiplier; [`Constraints::push`] turns it into a
/// [`Multiplier`].
#[derive(Debug, Clone)]
pub(crate) struct MultiplierSpec {
    pub kind: MultiplierKind,
    pub initial: Option<Vec<f64>>,
    pub dual: Option<Box<dyn DualOptimizer>>,
    pub model: Option<Box<dyn ImplicitModel>>,
}

impl Constraint {
    fn new(name: impl Into<String>, kind: ConstraintKind, size: usize) -> Self {
        Self {
            name: name.into(),
            kind,
            size,
            formulation: Formulation::Lagrangian,
            multiplier: MultiplierSpec {
                kind: MultiplierKind::Dense,
                initial: None,
                dual: None,
                model: None,
            },
            penalty: None,
            dual_restarts: false,
        }
    }

    /// A group of `size` inequality constraints `g(x) <= 0`, Lagrangian formulation.
    pub fn inequality(name: impl Into<String>, size: usize) -> Self {
        Self::new(name, ConstraintKind::Inequality, size)
    }

    /// A group of `size` equality constraints `h(x) = 0`, Lagrangian formulation.
    pub fn equality(name: impl Into<String>, size: usize) -> Self {
        Self::new(name, ConstraintKind::Equality, size)
    }

    /// Chooses the formulation (default [`Formulation::Lagrangian`]).
    pub fn formulation(mut self, formulation: Formulation) -> Self {
        self.formulation = formulation;
        self
    }

    /// Uses an indexed multiplier: each step observes a subset of the `size` constraints
    /// (e.g. one per training sample) and only those entries — and their dual-optimizer
    /// state — are read and updated. Cost per step is O(observed), never O(size).
    pub fn indexed(mut self) -> Self {
        self.multiplier.kind = MultiplierKind::Indexed;
        self
    }

    /// Uses an implicit multiplier: `lambda_i = model(features_i)`, trained by ascent through
    /// autodiff (see [`crate::multiplier::ImplicitMultiplier`]). Each step's constraint state
    /// must carry `features` (one row per observed constraint); `size` is then only an upper
    /// bound used for validation. The model has its own optimizer, so no dual optimizer, initial
    /// value or dual restart applies.
    pub fn implicit(mut self, model: impl ImplicitModel + 'static) -> Self {
        self.multiplier.kind = MultiplierKind::Implicit;
        self.multiplier.model = Some(Box::new(model));
        self
    }

    /// Initial multiplier values (default 0). Length must be `size`.
    pub fn initial_multiplier(mut self, values: Vec<f64>) -> Self {
        self.multiplier.initial = Some(values);
        self
    }

    /// Sets the penalty coefficient (needed by the quadratic-penalty and augmented formulations).
    pub fn penalty(mut self, penalty: PenaltyCoefficient) -> Self {
        self.penalty = Some(penalty);
        self
    }

    /// The damped Lagrangian of the modified differential method of multipliers (Platt & Barr
    /// 1988): the augmented Lagrangian with a constant coefficient `damping` (no updater).
    ///
    /// For equalities the primal Lagrangian is `f + sg(mu).h + damping/2 h^2`; for inequalities
    /// the same augmented term is applied to the relu-clipped violation, i.e.
    /// `1/(2c) [relu(sg(lambda) + c g)^2 - sg(lambda)^2]`. It is a preset of
    /// [`Formulation::AugmentedLagrangian`], not a separate code path.
    pub fn damped_lagrangian(mut self, damping: f64) -> Self {
        self.formulation = Formulation::AugmentedLagrangian;
        self.penalty = Some(PenaltyCoefficient::scalar(damping));
        self
    }

    /// Uses this dual optimizer for this constraint instead of the scheme's default one.
    pub fn dual_optimizer(mut self, dual: impl DualOptimizer + 'static) -> Self {
        self.multiplier.dual = Some(Box::new(dual));
        self
    }

    /// Dual restarts (Gallego-Posada et al. 2022): after each dual step, any inequality entry
    /// whose strict violation is `< 0` (strictly feasible) has its multiplier reset to 0 and
    /// its dual-optimizer state cleared.
    pub fn dual_restarts(mut self, on: bool) -> Self {
        self.dual_restarts = on;
        self
    }

    /// The constraint's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A registered constraint with everything that evolves during training.
#[derive(Debug, Clone)]
pub struct ConstraintEntry {
    pub(crate) config: Constraint,
    pub(crate) multiplier: Option<Multiplier>,
    pub(crate) penalty: Option<PenaltyCoefficient>,
}

impl ConstraintEntry {
    /// Name of the constraint.
    pub fn name(&self) -> &str {
        &self.config.name
    }
    /// Kind of the constraint.
    pub fn kind(&self) -> ConstraintKind {
        self.config.kind
    }
    /// Number of constraints in the group.
    pub fn size(&self) -> usize {
        self.config.size
    }
    /// Formulation of the group.
    pub fn formulation(&self) -> Formulation {
        self.config.formulation
    }
    /// The multiplier, if the formulation has one.
    pub fn multiplier(&self) -> Option<&Multiplier> {
        self.multiplier.as_ref()
    }
    /// Mutable multiplier (warm starts).
    pub fn multiplier_mut(&mut self) -> Option<&mut Multiplier> {
        self.multiplier.as_mut()
    }
    /// All multiplier values (length `size`), if the constraint has a dense or indexed one.
    pub fn multipliers(&self) -> Option<&[f64]> {
        self.multiplier.as_ref().and_then(Multiplier::values)
    }
    /// Mutable multiplier values, e.g. to warm-start. Projection is not applied here.
    pub fn multipliers_mut(&mut self) -> Option<&mut [f64]> {
        self.multiplier.as_mut().and_then(Multiplier::values_mut)
    }
    /// Penalty coefficients (length 1 if scalar), if any.
    pub fn penalty_coefficients(&self) -> Option<&[f64]> {
        self.penalty.as_ref().map(|p| p.values())
    }
    /// The implicit multiplier model, if the constraint has one.
    pub fn implicit(&self) -> Option<&dyn ImplicitModel> {
        self.multiplier
            .as_ref()
            .and_then(Multiplier::implicit_model)
    }
    /// How the multiplier observes its entries.
    pub fn multiplier_kind(&self) -> MultiplierKind {
        self.config.multiplier.kind
    }
    /// Whether the multiplier is indexed.
    pub fn is_indexed(&self) -> bool {
        self.config.multiplier.kind == MultiplierKind::Indexed
    }
}

/// The registered constraints of a problem, in registration order, with unique names.
#[derive(Debug, Clone, Default)]
pub struct Constraints {
    pub(crate) entries: Vec<ConstraintEntry>,
}

impl Constraints {
    /// An empty set (an unconstrained problem).
    pub fn new() -> Self {
        Self::default()
    }

    /// Validates `constraint` and registers it. Errors name the constraint.
    #[allow(clippy::should_implement_trait)] // a fallible builder step, not `std::ops::Add`
    pub fn add(mut self, constraint: Constraint) -> Result<Self> {
        self.push(constraint)?;
        Ok(self)
    }

    /// Validates `constraint` and registers it (in-place form of [`Constraints::add`]).
    pub fn push(&mut self, constraint: Constraint) -> Result<()> {
        let name = constraint.name.clone();
        let bad = |reason: String| ReinError::InvalidConstraint {
            constraint: name.clone(),
            reason,
        };
        if name.is_empty() || name.contains(['/', '\n']) {
            return Err(bad(
                "names must be non-empty and contain no '/' or newline".into()
            ));
        }
        if self.entries.iter().any(|e| e.config.name == name) {
            return Err(ReinError::DuplicateConstraint(name));
        }
        if constraint.size == 0 {
            return Err(bad(
                "a constraint group must hold at least one constraint".into()
            ));
        }
        let f = constraint.formulation;
        let mut config = constraint;
        let (size, kind, restarts) = (config.size, config.kind, config.dual_restarts);
        let spec = &mut config.multiplier;
        let implicit = spec.kind == MultiplierKind::Implicit;
        if implicit {
            if !f.has_multiplier() {
                return Err(bad(format!("{f:?} has no multiplier to make implicit")));
            }
            if spec.initial.is_some() || spec.dual.is_some() || restarts {
                return Err(bad(
                    "an implicit multiplier has its own model and optimizer: no initial value, \
                     dual optimizer or dual restarts"
                        .into(),
                ));
            }
        }
        let multiplier = if !f.has_multiplier() {
            if spec.initial.is_some() {
                return Err(bad(format!("{f:?} has no multiplier to initialise")));
            }
            None
        } else if implicit {
            spec.model.take().map(Multiplier::implicit)
        } else {
            let init = match &spec.initial {
                Some(v) => {
                    if v.len() != size {
                        return Err(ReinError::ShapeMismatch {
                            constraint: name,
                            what: "initial multiplier length",
                            expected: size,
                            got: v.len(),
                        });
                    }
                    if let Some(x) = v.iter().find(|x| !x.is_finite()) {
                        return Err(bad(format!("initial multiplier {x} is not finite")));
                    }
                    if kind == ConstraintKind::Inequality
                        && let Some(x) = v.iter().find(|x| **x < 0.0)
                    {
                        return Err(bad(format!(
                            "initial multiplier {x} < 0 for an inequality constraint"
                        )));
                    }
                    v.clone()
                }
                None => vec![0.0; size],
            };
            if let Some(d) = &spec.dual {
                d.validate_for(&name, size)?;
            }
            Some(Multiplier::explicit(init, spec.dual.take()))
        };
        let penalty = match (&config.penalty, f.needs_penalty()) {
            (Some(p), true) => {
                p.validate(&name, config.size)?;
                Some(p.clone())
            }
            (None, true) => {
                return Err(bad(format!(
                    "{f:?} needs a penalty coefficient: add `.penalty(PenaltyCoefficient::scalar(c))`"
                )));
            }
            (Some(_), false) => {
                return Err(bad(format!(
                    "{f:?} uses no penalty coefficient; choose AugmentedLagrangian or QuadraticPenalty"
                )));
            }
            (None, false) => None,
        };
        self.entries.push(ConstraintEntry {
            config,
            multiplier,
            penalty,
        });
        Ok(())
    }

    /// The registered constraint called `name`.
    pub fn get(&self, name: &str) -> Option<&ConstraintEntry> {
        self.entries.iter().find(|e| e.config.name == name)
    }

    /// Mutable access to the registered constraint called `name`.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut ConstraintEntry> {
        self.entries.iter_mut().find(|e| e.config.name == name)
    }

    /// Position of `name` in registration order.
    pub(crate) fn position(&self, name: &str) -> Result<usize> {
        self.entries
            .iter()
            .position(|e| e.config.name == name)
            .ok_or_else(|| ReinError::UnknownConstraint(name.to_string()))
    }

    /// Iterates over the registered constraints.
    pub fn iter(&self) -> impl Iterator<Item = &ConstraintEntry> {
        self.entries.iter()
    }

    /// Number of registered groups.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no constraint is registered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether any registered constraint has a multiplier (dense, indexed or implicit).
    pub fn has_multipliers(&self) -> bool {
        self.entries.iter().any(|e| e.multiplier.is_some())
    }
}
