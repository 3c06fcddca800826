//! Tabular data sets with a protected attribute, for fairness experiments: UCI Adult and
//! ProPublica's COMPAS, fetched by `rein data fetch adult` / `rein data fetch compas`.
//!
//! Each loader returns a [`GroupedSplit`](crate::GroupedSplit) whose groups are the values of
//! the chosen [`Protected`] attribute. Continuous columns are standardised and categorical
//! ones one-hot encoded, both fitted on the training rows only (docs/data.md has the details,
//! the row counts and the group sizes).

mod adult;
mod compas;
mod encoder;
mod protected;

pub use adult::Adult;
pub use compas::Compas;
pub use protected::{Protected, ProtectedFeature};

#[cfg(test)]
mod tests;
