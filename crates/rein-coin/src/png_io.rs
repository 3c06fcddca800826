//! 8-bit RGB images ([`Rgb8`]) in and out of PNG (the `png` crate).

use std::path::Path;

use crate::error::CoinError;
use crate::file::write_atomic;

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
/// dropped, 16-bit scaled down, palettes expanded). `name` labels errors (a path, or e.g.
/// `"<bundled image>"`).
///
/// # Errors
/// [`CoinError::NotPng`] if `bytes` does not start with the PNG signature;
/// [`CoinError::PngDecode`], [`CoinError::PngColorType`] or [`CoinError::EmptyImage`] for a
/// damaged or unusable PNG. Each names `name`.
pub fn decode_png(bytes: &[u8], name: &str) -> Result<Rgb8, CoinError> {
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(CoinError::NotPng { name: name.into() });
    }
    let decode_error = |part: &'static str| {
        move |source| CoinError::PngDecode {
            name: name.into(),
            part,
            source,
        }
    };
    let mut decoder = png::Decoder::new(bytes);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(decode_error("header"))?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut buf)
        .map_err(decode_error("image data"))?;
    let (w, h) = (info.width as usize, info.height as usize);
    let channels = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => {
            return Err(CoinError::PngColorType {
                name: name.into(),
                color_type: "indexed (palette)",
            });
        }
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
        return Err(CoinError::EmptyImage {
            name: name.into(),
            height: h,
            width: w,
        });
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
/// [`CoinError::Read`] if the file is missing or unreadable, else as [`decode_png`]; the
/// message names the file.
pub fn read_png(path: &Path) -> Result<Rgb8, CoinError> {
    let bytes = std::fs::read(path).map_err(|source| CoinError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    decode_png(&bytes, &path.display().to_string())
}

/// The 8-bit RGB PNG bytes of `image`.
///
/// # Errors
/// [`CoinError::PngEncode`] if the encoder fails (a zero size, or `data` not `3 h w` bytes).
pub fn encode_png(image: &Rgb8) -> Result<Vec<u8>, CoinError> {
    encode_png_named(image, "PNG image")
}

fn encode_png_named(image: &Rgb8, name: &str) -> Result<Vec<u8>, CoinError> {
    let encode_error = |source| CoinError::PngEncode {
        name: name.into(),
        height: image.height,
        width: image.width,
        source,
    };
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, image.width as u32, image.height as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(encode_error)?;
        writer.write_image_data(&image.data).map_err(encode_error)?;
    }
    Ok(out)
}

/// Writes `image` as an 8-bit RGB PNG to `path`, atomically ([`write_atomic`]).
///
/// # Errors
/// [`CoinError::PngEncode`] or [`CoinError::Write`], naming the file.
pub fn write_png(path: &Path, image: &Rgb8) -> Result<(), CoinError> {
    let bytes = encode_png_named(image, &path.display().to_string())?;
    write_atomic(path, &bytes).map_err(|source| CoinError::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `{:#}` rendering of an error and its sources, as `anyhow` prints it.
    fn chain(e: &dyn std::error::Error) -> String {
        let mut s = e.to_string();
        let mut next = e.source();
        while let Some(cause) = next {
            s = format!("{s}: {cause}");
            next = cause.source();
        }
        s
    }

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
        assert!(chain(&err).contains("cut.png"), "{}", chain(&err));
    }

    #[test]
    fn file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("img.png");
        let img = Rgb8 {
            height: 1,
            width: 2,
            data: vec![0, 64, 128, 192, 255, 1],
        };
        write_png(&path, &img).unwrap();
        assert_eq!(read_png(&path).unwrap(), img);
        let e = read_png(&dir.path().join("none.png")).unwrap_err();
        assert!(matches!(e, CoinError::Read { .. }), "{e:?}");
        assert!(e.to_string().contains("none.png"), "{e}");
        let bad = Rgb8 {
            height: 2,
            width: 2,
            data: vec![0; 5],
        };
        let e = write_png(&dir.path().join("bad.png"), &bad).unwrap_err();
        assert!(matches!(e, CoinError::PngEncode { .. }), "{e:?}");
        assert!(e.to_string().contains("bad.png"), "{e}");
        assert!(!dir.path().join("bad.png").exists());
    }
}
