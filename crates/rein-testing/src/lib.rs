//! Shared test problems and helpers of the rein workspace (dev-only, `publish = false`).
//!
//! The integration tests and benches of `rein`, the tests of `rein-nn`, the benchmark binary
//! `rein-bench` and the numbered examples all need the same few pieces: a float64 CPU device,
//! a deterministic random number generator, small dense linear algebra for closed-form answers,
//! and toy constrained problems. They live here, once:
//!
//! * [`device`]: the flex CPU device in float64 with autodiff, and host data put on it;
//! * [`rng`]: SplitMix64 (Steele, Lea & Flood 2014), the generator of every test problem and
//!   benchmark problem file;
//! * [`linalg`]: small dense solves, the KKT point of `min ||x||^2 s.t. A x <= b` by active-set
//!   enumeration, the closed form of `min ||x||^2 s.t. C x = d`, SPD test matrices;
//! * [`least_squares`]: the interpolants of over-parameterised least squares (`X^+ y`, the
//!   row-space projection, the `A`-norm interpolant), and [`implicit_norms`]: which one each
//!   primal optimizer of rein reaches (the `rein norms` table);
//! * [`params`]: deterministic parameter values for burn modules;
//! * [`problems`]: [`Point`](problems::Point) (a vector "model"),
//!   [`FnProblem`](problems::FnProblem) (a CMP from a closure) and the toy problems several files
//!   use.
//!
//! `rein` depends on this crate as a dev-dependency (for its integration tests and benches
//! only: the `#[cfg(test)]` unit tests inside `rein/src` cannot use it, they would see a second
//! copy of `rein`). [`prelude`] imports what most tests need.

pub mod device;
pub mod implicit_norms;
pub mod least_squares;
pub mod linalg;
pub mod params;
pub mod problems;
pub mod rng;

/// The helpers most tests use: `use rein_testing::prelude::*;`.
pub mod prelude {
    pub use crate::device::{constant, device, matvec};
    pub use crate::linalg::max_abs_diff;
    pub use crate::problems::{FnProblem, Point, state_with};
    pub use crate::rng::SplitMix64;
}
