//! Sample-quality figures of a 2-D generator, computed on the host from generated points and
//! reference points: nearest-mode distances and mode coverage for the ring of Gaussians, mean
//! nearest-neighbour distances both ways (Chamfer) for any data set.

use serde::{Deserialize, Serialize};

/// A mode of the ring counts as covered when at least this fraction of its fair share
/// (`samples / modes`) of generated points are high quality and closest to it.
pub const COVERAGE_SHARE: f64 = 0.2;

/// A generated point is high quality when it lies within this many standard deviations of
/// its nearest mode.
pub const HIGH_QUALITY_STDS: f64 = 3.0;

/// Sample-quality figures of one generator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleQuality {
    /// Mean over generated points of the distance to the nearest reference (data) point:
    /// low when samples lie on the data.
    pub mean_distance_to_data: f64,
    /// Mean over reference points of the distance to the nearest generated point: low when
    /// the samples cover the data.
    pub mean_distance_from_data: f64,
    /// `(to + from) / 2`: the symmetric (Chamfer) distance, the headline figure of the Swiss
    /// roll.
    pub chamfer: f64,
    /// Ring only: mean over generated points of the distance to the nearest mode centre.
    pub mean_nearest_mode_distance: Option<f64>,
    /// Ring only: fraction of generated points within `3 std` of their nearest mode.
    pub high_quality_fraction: Option<f64>,
    /// Ring only: modes with at least `COVERAGE_SHARE * samples / modes` high-quality points.
    pub modes_covered: Option<usize>,
    /// Ring only: number of modes.
    pub modes: Option<usize>,
}

/// Mean over `from` of the Euclidean distance to the nearest point of `to`.
pub fn mean_nearest_distance(from: &[[f64; 2]], to: &[[f64; 2]]) -> f64 {
    if from.is_empty() || to.is_empty() {
        return f64::NAN;
    }
    from.iter()
        .map(|a| {
            to.iter()
                .map(|b| (a[0] - b[0]).hypot(a[1] - b[1]))
                .fold(f64::INFINITY, f64::min)
        })
        .sum::<f64>()
        / from.len() as f64
}

/// The figures of `generated` against the reference `data`; with `ring = Some((centres,
/// std))` also the mode figures.
pub fn sample_quality(
    generated: &[[f64; 2]],
    data: &[[f64; 2]],
    ring: Option<(&[[f64; 2]], f64)>,
) -> SampleQuality {
    let to = mean_nearest_distance(generated, data);
    let from = mean_nearest_distance(data, generated);
    let mut q = SampleQuality {
        mean_distance_to_data: to,
        mean_distance_from_data: from,
        chamfer: 0.5 * (to + from),
        mean_nearest_mode_distance: None,
        high_quality_fraction: None,
        modes_covered: None,
        modes: None,
    };
    if let Some((centres, std)) = ring {
        let mut per_mode = vec![0usize; centres.len()];
        let mut total = 0.0;
        let mut good = 0usize;
        for y in generated {
            let (k, d) = centres
                .iter()
                .enumerate()
                .map(|(k, c)| (k, (y[0] - c[0]).hypot(y[1] - c[1])))
                .fold((0, f64::INFINITY), |a, b| if b.1 < a.1 { b } else { a });
            total += d;
            if d <= HIGH_QUALITY_STDS * std {
                good += 1;
                per_mode[k] += 1;
            }
        }
        let n = generated.len().max(1) as f64;
        let share = COVERAGE_SHARE * n / centres.len().max(1) as f64;
        q.mean_nearest_mode_distance = Some(total / n);
        q.high_quality_fraction = Some(good as f64 / n);
        q.modes_covered = Some(per_mode.iter().filter(|&&c| c as f64 >= share).count());
        q.modes = Some(centres.len());
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_on_the_modes_cover_them() {
        let centres = [[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]];
        // All samples on the first two modes.
        let generated: Vec<[f64; 2]> = (0..40).map(|i| centres[i % 2]).collect();
        let q = sample_quality(&generated, &centres, Some((&centres, 0.05)));
        assert_eq!(q.modes_covered, Some(2));
        assert_eq!(q.high_quality_fraction, Some(1.0));
        assert_eq!(q.mean_nearest_mode_distance, Some(0.0));
        assert_eq!(q.mean_distance_to_data, 0.0);
        // Two of four data points are sqrt(2) from the nearest sample.
        assert!((q.mean_distance_from_data - 2f64.sqrt() / 2.0).abs() < 1e-12);
        // Samples between modes are neither high quality nor covering.
        let between = vec![[0.5, 0.5]; 40];
        let b = sample_quality(&between, &centres, Some((&centres, 0.05)));
        assert_eq!(b.modes_covered, Some(0));
        assert_eq!(b.high_quality_fraction, Some(0.0));
        assert!((b.mean_nearest_mode_distance.unwrap() - 0.5f64.sqrt()).abs() < 1e-12);
    }
}
