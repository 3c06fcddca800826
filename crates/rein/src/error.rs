//! The one error type of the `rein` crate.

use std::path::PathBuf;

/// Everything that can go wrong in `rein` on user input.
///
/// Variants are structured: they carry the constraint name, the field, the value or the
/// file, so that a message always says *what* was wrong *where*. No function of this crate
/// panics on user input; the few documented panics guard internal invariants.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReinError {
    /// A hyper-parameter is outside its valid range.
    #[error("invalid hyper-parameter `{field}` = {value}: {reason}")]
    InvalidHyperParameter {
        /// Name of the field, e.g. `nu` or `lr`.
        field: &'static str,
        /// The offending value, formatted.
        value: String,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// A violation (or loss) contains NaN or Inf.
    #[error("constraint `{constraint}`: {which} has a non-finite value {value} at entry {entry}")]
    NonFinite {
        /// Constraint name (or `loss`).
        constraint: String,
        /// Which quantity: `violation`, `strict_violation` or `loss`.
        which: &'static str,
        /// Entry in the observed vector.
        entry: usize,
        /// The value.
        value: f64,
    },
    /// A gradient handed to a primal optimizer contains NaN or Inf.
    #[error(
        "the gradient of parameter `{param}` has a non-finite value {value} at entry {entry} \
         (learning rate too large, or a loss that is not differentiable there?)"
    )]
    NonFiniteGradient {
        /// Parameter path.
        param: String,
        /// Entry in the flattened gradient.
        entry: usize,
        /// The value.
        value: f64,
    },
    /// A step after the first met a NaN or infinite loss, violation, Lagrangian or gradient:
    /// the iterates diverged (at the first step the problem itself is at fault, and the cause
    /// is returned unwrapped).
    #[error(
        "step {step}: {cause}; the run diverged (primal learning rate {primal_lr}{}): \
         lower the learning rate",
        dual_lr.map_or(String::new(), |lr| format!(", dual {lr}"))
    )]
    Diverged {
        /// The step (from 1) that failed.
        step: u64,
        /// What went non-finite.
        cause: Box<ReinError>,
        /// The primal learning rate in use at that step (schedule applied).
        primal_lr: f64,
        /// The dual learning rate in use, when there is a dual optimizer.
        dual_lr: Option<f64>,
    },
    /// A Shampoo preconditioner cannot go on: a Kronecker factor became non-finite, or its
    /// inverse root failed more times in a row than tolerated (Gupta et al. 2018; the reference
    /// Distributed Shampoo raises in both cases, Shi et al. 2023).
    #[error("Shampoo preconditioner of parameter `{param}`: {reason}")]
    Preconditioner {
        /// Parameter path.
        param: String,
        /// What failed.
        reason: String,
        /// Whether a non-finite value is the cause (then it is a divergence).
        non_finite: bool,
    },
    /// A configuration key has an invalid value, or is unknown.
    #[error("invalid configuration `{key}`: {reason}")]
    InvalidConfig {
        /// The key, dotted from the configuration's root (`optimizer.primal.lr`).
        key: String,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// Shapes that must agree do not.
    #[error("constraint `{constraint}`: {what}: expected {expected}, got {got}")]
    ShapeMismatch {
        /// Constraint name.
        constraint: String,
        /// What was compared.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Actual length.
        got: usize,
    },
    /// An index is out of range for the constraint's multiplier.
    #[error("constraint `{constraint}`: index {index} out of range for {size} constraints")]
    IndexOutOfRange {
        /// Constraint name.
        constraint: String,
        /// The offending index.
        index: usize,
        /// Number of constraints in the group.
        size: usize,
    },
    /// The same index appears twice in one observation.
    #[error("constraint `{constraint}`: index {index} observed twice in one step")]
    DuplicateIndex {
        /// Constraint name.
        constraint: String,
        /// The repeated index.
        index: usize,
    },
    /// A constraint state is not consistent with its constraint's configuration.
    #[error("constraint `{constraint}`: {reason}")]
    InvalidConstraintState {
        /// Constraint name.
        constraint: String,
        /// What is inconsistent.
        reason: String,
    },
    /// A constraint's configuration is invalid (missing multiplier, bad coefficient...).
    #[error("constraint `{constraint}` is misconfigured: {reason}")]
    InvalidConstraint {
        /// Constraint name.
        constraint: String,
        /// What is wrong.
        reason: String,
    },
    /// The problem reported a state for a constraint that was never registered.
    #[error("unknown constraint `{0}` (registered constraints are set up with `Constraints::add`)")]
    UnknownConstraint(String),
    /// Two constraints share a name.
    #[error("duplicate constraint name `{0}`: names key logs and checkpoints and must be unique")]
    DuplicateConstraint(String),
    /// The problem has no loss and no constraint contributing to the primal.
    #[error("nothing to minimise: the CMP state has no loss and no primal-contributing constraint")]
    EmptyLagrangian,
    /// I/O on a checkpoint or report file failed.
    #[error("{path}: {source}")]
    Io {
        /// File involved.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A checkpoint file is truncated, foreign, of another version, or lacks an entry.
    #[error("checkpoint {path}: {reason}")]
    Checkpoint {
        /// File involved.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Ranks of a data-parallel run disagree, or a collective failed.
    #[error("data-parallel `{what}`: {reason}")]
    Distributed {
        /// What was being communicated or compared (a constraint name, `gradients`, ...).
        what: String,
        /// What went wrong.
        reason: String,
    },
    /// A state entry is missing or has the wrong shape/dtype when loading.
    #[error("state entry `{name}`: {reason}")]
    State {
        /// Stable name of the entry.
        name: String,
        /// What is wrong.
        reason: String,
    },
}

/// Result alias of the crate.
pub type Result<T, E = ReinError> = std::result::Result<T, E>;

/// Checks `cond`, else returns an [`ReinError::InvalidHyperParameter`].
impl ReinError {
    /// The error underneath [`ReinError::Diverged`] (the error itself otherwise).
    pub fn root_cause(&self) -> &ReinError {
        match self {
            ReinError::Diverged { cause, .. } => cause.root_cause(),
            other => other,
        }
    }

    /// Whether this is a NaN or infinite value met during a step (any step).
    pub fn is_non_finite(&self) -> bool {
        matches!(
            self.root_cause(),
            ReinError::NonFinite { .. }
                | ReinError::NonFiniteGradient { .. }
                | ReinError::Preconditioner {
                    non_finite: true,
                    ..
                }
        )
    }
}

pub(crate) fn ensure_hparam(
    cond: bool,
    field: &'static str,
    value: impl std::fmt::Display,
    reason: &'static str,
) -> Result<()> {
    if cond {
        Ok(())
    } else {
        Err(ReinError::InvalidHyperParameter {
            field,
            value: value.to_string(),
            reason,
        })
    }
}

/// Checks that a rate, decay or coefficient is finite and `>= 0`.
pub(crate) fn ensure_non_negative(field: &'static str, value: f64) -> Result<()> {
    ensure_hparam(
        value >= 0.0 && value.is_finite(),
        field,
        value,
        "must be finite and >= 0",
    )
}
