//! Rates of a binary classifier as constraints: positive prediction, true/false positive,
//! true/false negative, error and accuracy rates on a batch or any subset of it, each as a
//! differentiable surrogate (sigmoid or hinge) paired with its strict 0/1 value, and the
//! fairness gaps built from them (demographic parity, equalized odds) over many groups.
//!
//! The surrogate drives the primal step and the strict value the dual step — proxy
//! constraints (Cotter, Jiang, Gupta, Wang, Narayan, You & Sridharan 2019, "Optimization with
//! non-differentiable constraints with applications to fairness, recall, churn, and other
//! goals", JMLR 20; Cotter, Jiang & Sridharan 2019, "Two-player games for efficient
//! non-convex constrained optimization", ALT). Equations and bound directions: `docs/rates.md`.
//!
//! ```
//! use rein::burn::tensor::{Device, Tensor};
//! use rein::rates::{Predictions, Surrogate};
//!
//! let device = Device::flex();
//! let scores = Tensor::<1>::from_data([2.0, -1.0, 0.5, -3.0], &device);
//! let p = Predictions::from_labels(scores, &[1.0, 1.0, 0.0, 0.0])?;
//! let recall = p.true_positive_rate(Surrogate::Hinge, None)?.expect("two positive rows");
//! assert_eq!(recall.strict(), 0.5);
//! let state = recall.at_least(0.9)?; // recall >= 0.9, hinge lower bound as the proxy
//! # let _ = state;
//! # Ok::<(), rein::ReinError>(())
//! ```

mod gaps;
mod groups;
mod kind;
mod predictions;
mod rate;
mod surrogate;

pub use gaps::{GapEntries, demographic_parity, equalized_odds, gap_size, rate_gaps};
pub use groups::Groups;
pub use kind::RateKind;
pub use predictions::Predictions;
pub use rate::Rate;
pub use surrogate::Surrogate;
