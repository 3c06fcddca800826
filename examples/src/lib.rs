//! Shared helpers of the numbered examples (`examples/examples/*.rs`): a float64 CPU device
//! with autodiff, and [`Point`], a "model" that is just a vector of parameters.
//!
//! They are the workspace's shared test helpers (`crates/rein-testing`), re-exported under the
//! names the examples use:
//!
//! * [`device`]: burn's pure-Rust CPU device (`flex`) in float64, with autodiff; the float dtype
//!   of the flex device is configured once per process, the device built once and cloned;
//! * [`vector`]: a constant vector on [`device`];
//! * [`Point`]: trainable coordinates `x` on [`device`] (`Point::new`, `Point::values`).
//!
//! Run an example with e.g. `cargo run --release -p rein-examples --example 01_inequality`.

pub use rein_testing::device::{constant as vector, device};
pub use rein_testing::problems::Point;
