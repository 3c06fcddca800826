//! The 2-D data sets the generators are fitted to.

use rein_nn::Dataset;
use rein_nn::data::generative::{gaussian_ring, ring_centres, swiss_roll};
use serde::{Deserialize, Serialize};

use super::SampleQuality;
use crate::error::Result;

/// Ring of Gaussians: number of modes.
pub const RING_MODES: usize = 8;
/// Ring of Gaussians: radius of the circle of centres.
pub const RING_RADIUS: f64 = 2.0;
/// Ring of Gaussians: standard deviation of each mode.
pub const RING_STD: f64 = 0.05;
/// Swiss roll: scale of `(t cos t, t sin t)`, `t <= 4.5 pi` (radius up to 2.1).
pub const SWISS_SCALE: f64 = 0.15;
/// Swiss roll: standard deviation of the noise.
pub const SWISS_NOISE: f64 = 0.05;

/// A 2-D data set of the generator comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TwoDim {
    /// The Swiss roll (scale 0.15, noise 0.05).
    SwissRoll,
    /// Eight Gaussians of std 0.05 on a circle of radius 2.
    Ring,
}

impl TwoDim {
    /// The name in configuration files, reports and history columns.
    pub fn name(self) -> &'static str {
        match self {
            TwoDim::SwissRoll => "swiss-roll",
            TwoDim::Ring => "ring",
        }
    }

    /// `n` points drawn with `seed`.
    ///
    /// # Errors
    /// A data error for `n == 0` (validated before).
    pub fn sample(self, n: usize, seed: u64) -> Result<Dataset> {
        Ok(match self {
            TwoDim::SwissRoll => swiss_roll(n, SWISS_SCALE, SWISS_NOISE, seed)?,
            TwoDim::Ring => gaussian_ring(n, RING_MODES, RING_RADIUS, RING_STD, seed)?,
        })
    }

    /// The mode centres (the ring only).
    pub fn centres(self) -> Option<Vec<[f64; 2]>> {
        match self {
            TwoDim::SwissRoll => None,
            TwoDim::Ring => Some(ring_centres(RING_MODES, RING_RADIUS)),
        }
    }

    /// The mode standard deviation (the ring; the noise for the Swiss roll).
    pub fn std(self) -> f64 {
        match self {
            TwoDim::SwissRoll => SWISS_NOISE,
            TwoDim::Ring => RING_STD,
        }
    }

    /// The headline sample-quality figure (lower is better): the mean nearest-mode distance on
    /// the ring, the Chamfer distance to fresh data on the Swiss roll.
    pub fn headline(self, q: &SampleQuality) -> f64 {
        match self {
            TwoDim::SwissRoll => q.chamfer,
            TwoDim::Ring => q.mean_nearest_mode_distance.unwrap_or(f64::NAN),
        }
    }

    /// What [`TwoDim::headline`] measures.
    pub fn headline_name(self) -> &'static str {
        match self {
            TwoDim::SwissRoll => "Chamfer distance to fresh data",
            TwoDim::Ring => "mean nearest-mode distance",
        }
    }
}
