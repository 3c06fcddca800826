//! The host-side SIREN: the deployable (fp16, possibly sparse) form of a COIN / L0onie model,
//! its pixel-coordinate grid, its renderer and the image metrics of the experiments.
//!
//! A SIREN (Sitzmann, Martel, Bergman, Lindell & Wetzstein 2020, "Implicit neural
//! representations with periodic activation functions", NeurIPS 2020) is a fully connected
//! network with sine activations. COIN (Dupont, Golinski, Alizadeh, Teh & Doucet 2021, "COIN:
//! COmpression with Implicit Neural representations", arXiv:2103.03123) overfits one to a
//! single image, mapping a pixel coordinate to its colour, and stores its weights in fp16 as the
//! compressed image. With `L` hidden layers the renderer evaluates, for every pixel,
//!
//! ```text
//! h_0 = (y, x) in [-1, 1]^2                              (coordinate_grid)
//! h_l = sin(w0 (h_{l-1} W_l + b_l))        l = 1..L      (w0 = 30 in SIREN and COIN)
//! rgb = clamp(h_L W_{L+1} + b_{L+1}, 0, 1)               (linear output layer)
//! ```
//!
//! (Sitzmann et al. eq. 1, with the frequency `w0` multiplying the pre-activation of every sine
//! layer as the SIREN and COIN reference code do; `W_l` is `[d_in, d_out]`, so `h W + b` is a
//! row vector times a matrix). The evaluation is in `f32` with a fixed summation order, so the
//! encoder's reported reconstruction and the decoder's image are the same bits on one platform.
//!
//! The model's size is counted as in L0onie (Ramirez & Gallego-Posada 2022, "L0onie: Compressing
//! COINs with L0-constraints", arXiv:2207.04144): `16 nnz / (H W)` bits per pixel, `nnz` the
//! nonzero fp16 weights and biases ([`SirenWeights::fp16_bpp`]); see `docs/l0onie.md`.

use half::f16;

/// Error of [`SirenWeights::from_flat`]: the flat vector does not fit the architecture.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SIREN weights: {0}")]
pub struct ShapeError(pub String);

/// One layer's weights: `weight` is `[d_in, d_out]` row-major (burn's `Linear` layout,
/// `y = x W + b`).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerWeights {
    /// `d_in * d_out` values, row-major over `[d_in, d_out]`.
    pub weight: Vec<f32>,
    /// `d_out` values.
    pub bias: Vec<f32>,
}

/// All weights and biases of a SIREN on the host.
#[derive(Debug, Clone, PartialEq)]
pub struct SirenWeights {
    /// Frequency `w0` of the sine activations.
    pub w0: f32,
    /// Layer widths including input (2) and output (3): `[2, h_1, ..., h_L, 3]`.
    pub widths: Vec<usize>,
    /// One entry per linear layer (`widths.len() - 1`).
    pub layers: Vec<LayerWeights>,
}

/// Number of weights and biases of a fully connected net with the given widths:
/// `sum_l (d_{l-1} d_l + d_l)`.
pub fn num_params_of(widths: &[usize]) -> usize {
    widths.windows(2).map(|w| w[0] * w[1] + w[1]).sum()
}

/// The pixel-coordinate grid `[h * w, 2]` (row-major over pixels), entries
/// `(y, x) = (-1 + 2 r / (h - 1), -1 + 2 c / (w - 1))` (`0` for a size-1 axis): the linspace
/// grid of COIN's reference code.
pub fn coordinate_grid(height: usize, width: usize) -> Vec<f32> {
    let axis = |n: usize, i: usize| {
        if n <= 1 {
            0.0
        } else {
            (-1.0 + 2.0 * i as f64 / (n - 1) as f64) as f32
        }
    };
    let mut out = Vec::with_capacity(2 * height * width);
    for r in 0..height {
        for c in 0..width {
            out.push(axis(height, r));
            out.push(axis(width, c));
        }
    }
    out
}

/// Rounds every value to the nearest IEEE binary16 and back (what storing it as fp16 keeps).
pub fn round_fp16(v: f32) -> f32 {
    f16::from_f32(v).to_f32()
}

impl SirenWeights {
    /// Number of linear layers.
    pub fn depth(&self) -> usize {
        self.layers.len()
    }

    /// Total number of weights and biases, [`num_params_of`] the widths.
    pub fn num_params(&self) -> usize {
        num_params_of(&self.widths)
    }

    /// All values in storage order: layer by layer, the weight row-major `[d_in, d_out]`, then
    /// the bias (the flat gate order of an unstructured `rein_nn::L0Linear`, and the parameter
    /// order of the `.rcoin` format).
    pub fn flat(&self) -> Vec<f32> {
        self.layers
            .iter()
            .flat_map(|l| l.weight.iter().chain(&l.bias).copied())
            .collect()
    }

    /// The inverse of [`SirenWeights::flat`].
    ///
    /// # Errors
    /// If there are fewer than two widths, a width is zero, or `flat` has the wrong length.
    pub fn from_flat(w0: f32, widths: Vec<usize>, flat: &[f32]) -> Result<Self, ShapeError> {
        if widths.len() < 2 || widths.contains(&0) {
            return Err(ShapeError(format!(
                "widths must be at least two positive sizes, got {widths:?}"
            )));
        }
        let expected = num_params_of(&widths);
        if flat.len() != expected {
            return Err(ShapeError(format!(
                "widths {widths:?} need {expected} values, got {}",
                flat.len()
            )));
        }
        let mut at = 0;
        let layers = widths
            .windows(2)
            .map(|w| {
                let weight = flat[at..at + w[0] * w[1]].to_vec();
                at += w[0] * w[1];
                let bias = flat[at..at + w[1]].to_vec();
                at += w[1];
                LayerWeights { weight, bias }
            })
            .collect();
        Ok(Self { w0, widths, layers })
    }

    /// Every value rounded to fp16 ([`round_fp16`]); `w0` too.
    pub fn to_fp16(&self) -> Self {
        let round = |v: &[f32]| v.iter().map(|&x| round_fp16(x)).collect();
        Self {
            w0: round_fp16(self.w0),
            widths: self.widths.clone(),
            layers: self
                .layers
                .iter()
                .map(|l| LayerWeights {
                    weight: round(&l.weight),
                    bias: round(&l.bias),
                })
                .collect(),
        }
    }

    /// Number of nonzero weights and biases.
    pub fn nnz(&self) -> usize {
        self.flat().iter().filter(|&&v| v != 0.0).count()
    }

    /// Bits per pixel of the fp16 model as L0onie counts them: `16 nnz(fp16(weights)) / (h w)`.
    pub fn fp16_bpp(&self, height: usize, width: usize) -> f64 {
        16.0 * self.to_fp16().nnz() as f64 / (height * width) as f64
    }

    /// Evaluates the network on `coords` (`[n, 2]` row-major) and returns `[n, 3]` RGB clamped
    /// to `[0, 1]` (see the [module docs](self) for the equations).
    pub fn forward(&self, coords: &[f32]) -> Vec<f32> {
        let d_in = self.widths[0];
        let d_out = *self.widths.last().unwrap_or(&0);
        let n = coords.len() / d_in.max(1);
        let widest = self.widths.iter().copied().max().unwrap_or(0);
        let (mut a, mut b) = (vec![0.0f32; widest], vec![0.0f32; widest]);
        let mut out = Vec::with_capacity(n * d_out);
        let last = self.layers.len().saturating_sub(1);
        for p in 0..n {
            a[..d_in].copy_from_slice(&coords[p * d_in..(p + 1) * d_in]);
            for (l, layer) in self.layers.iter().enumerate() {
                let (i_n, o_n) = (self.widths[l], self.widths[l + 1]);
                b[..o_n].copy_from_slice(&layer.bias);
                for (i, &x) in a[..i_n].iter().enumerate() {
                    let row = &layer.weight[i * o_n..(i + 1) * o_n];
                    for (acc, &w) in b[..o_n].iter_mut().zip(row) {
                        *acc += x * w;
                    }
                }
                if l < last {
                    for v in &mut b[..o_n] {
                        *v = (self.w0 * *v).sin();
                    }
                }
                std::mem::swap(&mut a, &mut b);
            }
            out.extend(a[..d_out].iter().map(|v| v.clamp(0.0, 1.0)));
        }
        out
    }

    /// The `height x width` image (`[h w, 3]` RGB in `[0, 1]`, row-major) this SIREN encodes.
    pub fn render(&self, height: usize, width: usize) -> Vec<f32> {
        self.forward(&coordinate_grid(height, width))
    }
}

/// 8-bit RGB of `[0, 1]` values: `round(255 v)` after clamping.
pub fn to_rgb8(values: &[f32]) -> Vec<u8> {
    values
        .iter()
        .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
        .collect()
}

/// Peak signal-to-noise ratio of two 8-bit images, `10 log10(255^2 / MSE)` in dB (infinite for
/// identical images).
///
/// # Panics
/// If the lengths differ or are zero.
pub fn psnr_rgb8(a: &[u8], b: &[u8]) -> f64 {
    assert!(
        a.len() == b.len() && !a.is_empty(),
        "PSNR needs two images of the same nonzero size"
    );
    let mse = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    10.0 * (255.0f64 * 255.0 / mse).log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> SirenWeights {
        SirenWeights::from_flat(
            30.0,
            vec![2, 2, 3],
            &[
                0.1, -0.2, 0.3, 0.05, 0.01, 0.0, // layer 0: w (2x2), b
                0.5, 0.1, -0.3, 0.2, 0.4, 0.6, 0.5, 0.5, 0.5, // layer 1: w (2x3), b
            ],
        )
        .unwrap()
    }

    #[test]
    fn grid_spans_minus_one_to_one() {
        let g = coordinate_grid(3, 2);
        assert_eq!(g, vec![-1., -1., -1., 1., 0., -1., 0., 1., 1., -1., 1., 1.]);
        assert_eq!(coordinate_grid(1, 1), vec![0.0, 0.0]);
    }

    #[test]
    fn flat_round_trips_and_counts() {
        let s = tiny();
        assert_eq!(s.num_params(), 2 * 2 + 2 + 2 * 3 + 3);
        assert_eq!(
            SirenWeights::from_flat(30.0, s.widths.clone(), &s.flat()).unwrap(),
            s
        );
        assert_eq!(s.nnz(), 14);
        assert!(SirenWeights::from_flat(30.0, vec![2, 3], &[0.0; 3]).is_err());
        assert!(SirenWeights::from_flat(30.0, vec![2, 0, 3], &[]).is_err());
        // fp16 rounding: 0.1 is not representable; tiny values underflow to zero.
        let r = SirenWeights::from_flat(30.0, vec![1, 1], &[0.1, 1e-9]).unwrap();
        let h = r.to_fp16();
        assert_eq!(h.flat()[0], f16::from_f32(0.1).to_f32());
        assert_ne!(h.flat()[0], 0.1);
        assert_eq!((r.nnz(), h.nnz()), (2, 1));
        assert!((r.fp16_bpp(4, 4) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn forward_matches_the_equations() {
        let s = tiny();
        let out = s.forward(&[0.5, -1.0]);
        let h0 = (30.0f32 * (0.5 * 0.1 - 0.3 + 0.01)).sin();
        let h1 = (30.0f32 * (0.5 * -0.2 - 0.05 + 0.0)).sin();
        let expect = [
            0.5 + h0 * 0.5 + h1 * 0.2,
            0.5 + h0 * 0.1 + h1 * 0.4,
            0.5 + h0 * -0.3 + h1 * 0.6,
        ];
        for (o, e) in out.iter().zip(expect) {
            assert!((o - e.clamp(0.0, 1.0)).abs() < 1e-6, "{o} vs {e}");
        }
        assert_eq!(s.render(4, 5).len(), 60);
    }

    #[test]
    fn psnr_of_known_error() {
        let a = vec![10u8; 12];
        let mut b = a.clone();
        b[0] = 20; // MSE = 100 / 12
        let expect = 10.0 * (255.0f64.powi(2) * 12.0 / 100.0).log10();
        assert!((psnr_rgb8(&a, &b) - expect).abs() < 1e-12);
        assert!(psnr_rgb8(&a, &a).is_infinite());
        assert_eq!(
            to_rgb8(&[-0.5, 0.0, 0.5, 1.0, 2.0]),
            vec![0, 0, 128, 255, 255]
        );
    }
}
