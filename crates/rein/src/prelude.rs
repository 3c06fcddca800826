//! Everything a training loop needs, in one `use`:
//!
//! ```
//! use rein::prelude::*;
//!
//! let constraints = Constraints::new().add(Constraint::inequality("recall", 1))?;
//! let opt = AlternatingDualPrimal::new(Adam::new(AdamConfig::new(1e-3))?, DualSgd::new(1.0)?, constraints)?;
//! assert_eq!(opt.steps_taken(), 0);
//! # Ok::<(), ReinError>(())
//! ```

pub use crate::checkpoint::{Checkpoint, StateDict, Stateful};
pub use crate::config::{DualConfig, OptimizerConfig, PrimalConfig};
pub use crate::dual::{DualAdam, DualOptimizer, DualSgd, NuPi, NuPiInit};
pub use crate::optim::{
    Adam, AdamConfig, Clamp, Momentum, ParamGrads, ParamGroup, PrimalOptimizer, Projected, Sgd,
    SgdConfig, Shampoo, ShampooConfig, WeightDecay,
};
pub use crate::rates::{
    GapEntries, Groups, Predictions, Rate, RateKind, Surrogate, demographic_parity, equalized_odds,
};
pub use crate::scheme::{
    AlternatingDualPrimal, AlternatingPrimalDual, ExtraAdam, ExtraSgd, Extragradient, Scheme,
    SchemeKind, SimultaneousGda, Unconstrained,
};
pub use crate::selection::{BestIterate, Candidate, Selection, Selector};
pub use crate::{
    Cmp, CmpState, ConstrainedOptimizer, Constraint, ConstraintKind, ConstraintState, Constraints,
    Formulation, HealthMonitor, HealthWarning, Observer, PenaltyCoefficient, PenaltyUpdater,
    ReinError, Result, Schedule, StepReport,
};
