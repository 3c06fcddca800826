//! The file budget: a target of `T` bits per pixel means the `.rcoin` file written, not only the
//! fp16 parameter bits the constraint counts. The constraint budgets `16 nnz / (H W)`; the file
//! adds its header, the layer widths, the checksum and the sparsity mask (a bitmap of
//! `ceil(P / 8)` bytes or one varint gap per stored value), about 0.1-0.3 bpp on a 64x64 crop.
//! So the model the constraint found is checked once more as the bytes that will be written:
//! while the file is over `T H W` bits, the smallest-magnitude stored parameters are dropped
//! (each saves its 16 value bits and shrinks the mask or gap list), a few at a time, and the
//! file is encoded again. Dropping the smallest weights is magnitude pruning, the cheapest
//! repair in PSNR; the repaired model is evaluated again, and both figures are reported.

use rein_coin::{FormatError, SirenWeights, encode};

/// A model whose written file fits its budget, and how it got there.
#[derive(Debug, Clone)]
pub struct Fitted {
    /// The model whose file is written (the input when it already fitted).
    pub weights: SirenWeights,
    /// Its `.rcoin` bytes.
    pub bytes: Vec<u8>,
    /// Stored parameters dropped to fit (0 when the file fitted as it was).
    pub dropped: usize,
}

/// Encodes `weights` for an `height x width` image and, while the file is over `budget_bits`,
/// drops the smallest-magnitude stored parameters (at least `ceil(over / 16)` per round, ties
/// by position) and encodes again. Stops fitted, or with every parameter dropped (the header
/// alone may exceed a tiny budget: the caller compares the result with the budget).
///
/// # Errors
/// The encoder's (a value fp16 cannot store, bad widths).
pub fn fit_file_budget(
    height: usize,
    width: usize,
    weights: &SirenWeights,
    budget_bits: f64,
) -> Result<Fitted, FormatError> {
    let mut flat = weights.to_fp16().flat();
    let mut bytes = encode(height, width, weights)?;
    let mut dropped = 0;
    loop {
        let bits = 8.0 * bytes.len() as f64;
        let mut kept: Vec<usize> = (0..flat.len()).filter(|&k| flat[k] != 0.0).collect();
        if bits <= budget_bits || kept.is_empty() {
            break;
        }
        let round = (((bits - budget_bits) / 16.0).ceil() as usize).clamp(1, kept.len());
        kept.sort_by(|&a, &b| flat[a].abs().total_cmp(&flat[b].abs()).then(a.cmp(&b)));
        for &k in &kept[..round] {
            flat[k] = 0.0;
        }
        dropped += round;
        let repaired = SirenWeights::from_flat(weights.w0, weights.widths.clone(), &flat)
            .expect("same widths, same length");
        bytes = encode(height, width, &repaired)?;
    }
    let weights = if dropped == 0 {
        weights.clone()
    } else {
        SirenWeights::from_flat(weights.w0, weights.widths.clone(), &flat)
            .expect("same widths, same length")
    };
    Ok(Fitted {
        weights,
        bytes,
        dropped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(density: f64) -> SirenWeights {
        let widths = vec![2, 16, 16, 3];
        let p = rein_coin::siren::num_params_of(&widths);
        let flat: Vec<f32> = (0..p)
            .map(|k| {
                let u = ((k as u64).wrapping_mul(2_654_435_761) % 1000) as f64 / 1000.0;
                if u < density {
                    (u - 0.5) as f32 + 0.01 * k as f32
                } else {
                    0.0
                }
            })
            .collect();
        SirenWeights::from_flat(30.0, widths, &flat).unwrap()
    }

    #[test]
    fn a_file_within_budget_is_left_alone() {
        let w = model(0.4);
        let bytes = encode(8, 8, &w).unwrap();
        let fitted = fit_file_budget(8, 8, &w, 8.0 * bytes.len() as f64).unwrap();
        assert_eq!((fitted.dropped, fitted.bytes), (0, bytes));
    }

    #[test]
    fn an_oversized_file_drops_its_smallest_weights_until_it_fits() {
        let w = model(0.4);
        let full = 8.0 * encode(8, 8, &w).unwrap().len() as f64;
        let budget = 0.8 * full;
        let fitted = fit_file_budget(8, 8, &w, budget).unwrap();
        assert!(8.0 * fitted.bytes.len() as f64 <= budget);
        assert!(fitted.dropped > 0);
        assert_eq!(w.nnz() - fitted.weights.nnz(), fitted.dropped);
        // Every dropped weight is no larger than every kept one.
        let (before, after) = (w.to_fp16().flat(), fitted.weights.flat());
        let largest_dropped = (0..before.len())
            .filter(|&k| before[k] != 0.0 && after[k] == 0.0)
            .map(|k| before[k].abs())
            .fold(0.0f32, f32::max);
        let smallest_kept = after
            .iter()
            .filter(|v| **v != 0.0)
            .map(|v| v.abs())
            .fold(f32::INFINITY, f32::min);
        assert!(largest_dropped <= smallest_kept);
        // The bytes are the encoding of the repaired model.
        assert_eq!(fitted.bytes, encode(8, 8, &fitted.weights).unwrap());
    }

    #[test]
    fn a_budget_below_the_header_empties_the_model() {
        let fitted = fit_file_budget(8, 8, &model(0.4), 16.0).unwrap();
        assert_eq!(fitted.weights.nnz(), 0);
    }
}
