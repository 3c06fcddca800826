//! GAIT: the geometry-aware entropy and divergence of Gallego-Posada, Vani, Schwarzer and
//! Lacoste-Julien (2020), "GAIT: A Geometric Approach to Information Theory", AISTATS.
//!
//! A similarity kernel `K` (symmetric, entries in `[0, 1]`, `K_ii = 1`, positive
//! semi-definite; [`kernel`]) makes the entropy and the divergence of probability vectors
//! aware of how alike the symbols are:
//!
//! ```text
//! H^K_alpha(p) = 1 / (1 - alpha) log sum_i p_i (K p)_i^(alpha - 1),   H^K_1(p) = -sum_i p_i log (K p)_i
//! D^K[p || q]  = 1 + sum_i p_i log((K p)_i / (K q)_i) - sum_i q_i (K p)_i / (K q)_i
//! ```
//!
//! `D^K` is the Bregman divergence of `-H^K_1`: non-negative, 0 at `p = q`, `KL(p || q)` for
//! `K = I`, and finite between measures with disjoint supports. Empirical measures (point
//! clouds) are compared on their joint support ([`empirical_divergence`]); everything is a
//! differentiable burn expression, computed in the log domain ([`logsum`]) so that neither
//! `log 0` nor a division by zero reaches a value or a gradient. The functions check their
//! arguments and return a [`GaitError`] naming the bad one.
//!
//! * discrete measures on one support: [`SimilarityMatrix`], [`entropy`], [`divergence`],
//!   [`symmetric_divergence`];
//! * point clouds: [`EmpiricalMeasure`], [`empirical_entropy`], [`empirical_divergence`],
//!   [`empirical_symmetric_divergence`];
//! * kernels: [`Rbf`], [`Polynomial`], [`FnKernel`] (user-given), all [`Similarity`].
//!
//! As a loss: `divergence(...)?.backward()`. As a constraint: observe
//! `D^K[p || q] - eps` as the violation of a rein inequality constraint (docs/gait.md shows
//! both).
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! use rein_nn::gait::{EmpiricalMeasure, Rbf, empirical_divergence};
//!
//! let device = Device::flex();
//! let x = Tensor::<2>::from_floats([[0.0, 0.0], [1.0, 0.0]], &device);
//! let y = Tensor::<2>::from_floats([[0.0, 2.0]], &device);
//! let rbf = Rbf::new(1.0)?;
//! let d = empirical_divergence(
//!     &rbf,
//!     &EmpiricalMeasure::uniform(x)?,
//!     &EmpiricalMeasure::uniform(y)?,
//! )?;
//! assert!(d.into_scalar::<f32>() > 0.0);
//! # Ok::<(), rein_nn::gait::GaitError>(())
//! ```

mod check;
mod divergence;
mod empirical;
mod entropy;
mod error;
pub mod kernel;
pub mod logsum;
mod matrix;

pub use check::{WEIGHT_SUM_TOLERANCE, check_points, check_weights};
pub use divergence::{divergence, symmetric_divergence};
pub use empirical::{
    EmpiricalMeasure, empirical_divergence, empirical_entropy, empirical_symmetric_divergence,
};
pub use entropy::{ORDER_ONE_TOLERANCE, entropy};
pub use error::GaitError;
pub use kernel::{FnKernel, Polynomial, Rbf, Similarity, squared_distances};
pub use logsum::SIMILARITY_FLOOR;
pub use matrix::{MATRIX_TOLERANCE, SimilarityMatrix};
