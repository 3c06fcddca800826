//! 8-bit RGB images in and out of PNG (the `png` crate, already in the build through plotters).

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::report::write_atomic;

/// An 8-bit RGB image, row-major, 3 bytes per pixel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rgb8 {
    /// Height in pixels.
    pub height: usize,
    /// Width in pixels.
    pub width: usize,
    /// `height * width * 3` bytes.
    pub data: Vec<u8>,
}

impl Rgb8 {
    /// The pixels as `[0, 1]` floats (`v / 255`).
    pub fn to_unit(&self) -> Vec<f32> {
        self.data.iter().map(|&v| f32::from(v) / 255.0).collect()
    }
}

/// Decodes a PNG of any colour type and bit depth into 8-bit RGB (grey is replicated, alpha
/// dropped, 16-bit scaled down, palettes expanded). `name` labels errors.
///
/// # Errors
/// If `bytes` is not a PNG (or a damaged one), naming `name`.
pub fn decode_png(bytes: &[u8], name: &str) -> Result<Rgb8> {
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        bail!("{name}: not a PNG file (no PNG signature)");
    }
    let mut decoder = png::Decoder::new(bytes);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder
        .read_info()
        .with_context(|| format!("{name}: cannot read the PNG header"))?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut buf)
        .with_context(|| format!("{name}: cannot decode the PNG image data"))?;
    let (w, h) = (info.width as usize, info.height as usize);
    let channels = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => bail!("{name}: palette PNG was not expanded"),
    };
    let mut data = Vec::with_capacity(w * h * 3);
    for row in buf.chunks(info.line_size).take(h) {
        for px in row[..w * channels].chunks(channels) {
            match channels {
                1 | 2 => data.extend_from_slice(&[px[0]; 3]),
                _ => data.extend_from_slice(&px[..3]),
            }
        }
    }
    if w == 0 || h == 0 {
        bail!("{name}: empty image ({w}x{h})");
    }
    Ok(Rgb8 {
        height: h,
        width: w,
        data,
    })
}

/// Reads the PNG file `path` ([`decode_png`]).
///
/// # Errors
/// If the file is missing or unreadable, or not a valid PNG; the message names the file.
pub fn read_png(path: &Path) -> Result<Rgb8> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    decode_png(&bytes, &path.display().to_string())
}

/// The 8-bit RGB PNG bytes of `image`.
///
/// # Errors
/// If the encoder fails (e.g. a zero size).
pub fn encode_png(image: &Rgb8) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, image.width as u32, image.height as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().context("PNG header")?;
        writer
            .write_image_data(&image.data)
            .context("PNG image data")?;
    }
    Ok(out)
}

/// Writes `image` as an 8-bit RGB PNG to `path`, atomically.
///
/// # Errors
/// Encoder or I/O errors, naming the file.
pub fn write_png(path: &Path, image: &Rgb8) -> Result<()> {
    let bytes = encode_png(image)?;
    write_atomic(path, &bytes).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_non_png() {
        let img = Rgb8 {
            height: 2,
            width: 3,
            data: (0..18).map(|v| v * 14).collect(),
        };
        let bytes = encode_png(&img).unwrap();
        assert_eq!(decode_png(&bytes, "x").unwrap(), img);
        let err = decode_png(b"GIF89a....", "foo.gif")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("foo.gif") && err.contains("not a PNG"),
            "{err}"
        );
        let err = decode_png(&bytes[..30], "cut.png").unwrap_err();
        assert!(format!("{err:#}").contains("cut.png"), "{err:#}");
    }
}
