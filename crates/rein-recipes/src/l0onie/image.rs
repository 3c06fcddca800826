//! The image to compress: the bundled crop or a PNG file, and what training needs of it.

use std::path::Path;

use rein_coin::{Rgb8, decode_png, read_png};
use rein_nn::siren::{SirenWeights, psnr_rgb8, to_rgb8};

use crate::error::{RecipeError, Result};

/// The value of `image` that selects the bundled image.
pub const BUNDLED: &str = "bundled";

/// The bundled 64x64 crop of scikit-image's `astronaut` (NASA, public domain; provenance in
/// `data/README.md`).
static BUNDLED_PNG: &[u8] = include_bytes!("../../../../data/astronaut_face_64.png");

/// Largest image side the `.rcoin` format stores.
const MAX_SIDE: usize = 65_535;
/// Most pixels the `.rcoin` format stores.
const MAX_PIXELS: usize = 1 << 26;

/// The image of the configuration's `image`: `"bundled"` or a PNG path. Errors name the key `image` and the
/// file.
pub fn load_image(name: &str) -> Result<Rgb8> {
    let image = if name == BUNDLED {
        decode_png(BUNDLED_PNG, "<bundled astronaut_face_64.png>")
    } else {
        read_png(Path::new(name))
    }
    .map_err(|e| RecipeError::config("image", chain(&e)))?;
    let (h, w) = (image.height, image.width);
    if h > MAX_SIDE || w > MAX_SIDE || h * w > MAX_PIXELS {
        return Err(RecipeError::config(
            "image",
            format!(
                "{name}: {h}x{w} pixels; the .rcoin format stores at most {MAX_SIDE} per side \
                 and {MAX_PIXELS} in all"
            ),
        ));
    }
    Ok(image)
}

/// An error and its sources on one line (`a: b: c`).
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

/// The image to fit: `[H W, 3]` in `[0, 1]` for the loss, the 8-bit original for the PSNR.
pub(super) struct Picture {
    /// Height.
    pub height: usize,
    /// Width.
    pub width: usize,
    /// Unit-range pixels, `v / 255`.
    pub unit: Vec<f32>,
    /// 8-bit pixels.
    pub rgb8: Vec<u8>,
}

impl Picture {
    pub fn new(image: &Rgb8) -> Self {
        Self {
            height: image.height,
            width: image.width,
            unit: image.to_unit(),
            rgb8: image.data.clone(),
        }
    }

    /// `bits / (H W)`.
    pub fn per_pixel(&self, bits: f64) -> f64 {
        bits / (self.height * self.width) as f64
    }

    /// The deployable model of `weights` and what it achieves: its fp16 rounding, its rate
    /// `bpp = 16 nnz / (H W)` and the PSNR of its 8-bit reconstruction,
    /// `10 log10(255^2 / MSE)` against the original (COIN, Dupont et al. 2021).
    pub fn evaluate(&self, weights: &SirenWeights) -> (SirenWeights, f64, f64) {
        let half = weights.to_fp16();
        let bpp = self.per_pixel(16.0 * half.nnz() as f64);
        let psnr = psnr_rgb8(&to_rgb8(&half.render(self.height, self.width)), &self.rgb8);
        (half, bpp, psnr)
    }
}
