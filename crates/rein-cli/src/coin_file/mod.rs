//! The compressed-image file of `rein l0onie` (`.rcoin`, format in [`format`]) and
//! `rein coin decode FILE -o out.png`.

pub mod format;
pub mod png_io;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use rein_nn::siren::{SirenWeights, to_rgb8};

pub use format::{CoinImage, Encoding, FormatError};
pub use png_io::{Rgb8, decode_png, read_png, write_png};

use crate::report::write_atomic;

/// A file-level error: the file and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("{}: {error}", path.display())]
pub struct CoinFileError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub error: FormatError,
}

/// Encodes `weights` for a `height x width` image and writes the file atomically; returns its
/// size in bytes.
///
/// # Errors
/// Format limits or I/O errors, naming the file.
pub fn write_coin(path: &Path, height: usize, width: usize, weights: &SirenWeights) -> Result<u64> {
    let bytes = format::encode(height, width, weights).map_err(|error| CoinFileError {
        path: path.to_path_buf(),
        error,
    })?;
    write_atomic(path, &bytes).with_context(|| format!("writing {}", path.display()))?;
    Ok(bytes.len() as u64)
}

/// Reads and decodes an `.rcoin` file.
///
/// # Errors
/// A missing/unreadable file, or a [`CoinFileError`] (foreign, truncated, corrupt, invalid).
pub fn read_coin(path: &Path) -> Result<CoinImage> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    format::decode(&bytes).map_err(|error| {
        CoinFileError {
            path: path.to_path_buf(),
            error,
        }
        .into()
    })
}

/// The image an `.rcoin` file encodes (8-bit RGB).
pub fn render(image: &CoinImage) -> Rgb8 {
    Rgb8 {
        height: image.height,
        width: image.width,
        data: to_rgb8(&image.weights.render(image.height, image.width)),
    }
}

/// `rein coin ...`.
#[derive(Debug, Subcommand)]
pub enum CoinCommand {
    /// Decode a compressed `.rcoin` image into a PNG.
    Decode(DecodeArgs),
}

/// Options of `rein coin decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The `.rcoin` file.
    pub file: PathBuf,
    /// Output PNG.
    #[arg(short, long)]
    pub output: PathBuf,
}

/// Runs `rein coin ...`.
///
/// # Errors
/// As [`read_coin`] and [`write_png`].
pub fn run(command: &CoinCommand) -> Result<()> {
    match command {
        CoinCommand::Decode(args) => {
            let image = read_coin(&args.file)?;
            write_png(&args.output, &render(&image))?;
            let bits = 8 * std::fs::metadata(&args.file)?.len();
            println!(
                "{}: {}x{} image, SIREN widths {:?}, {} nonzero fp16 values ({:?}), \
                 {:.4} bpp -> {}",
                args.file.display(),
                image.height,
                image.width,
                image.weights.widths,
                image.weights.nnz(),
                image.encoding,
                bits as f64 / (image.height * image.width) as f64,
                args.output.display()
            );
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::format::{decode, encode};
    use super::*;
    use rein_nn::siren::SirenConfig;

    fn sparse(keep_every: usize) -> SirenWeights {
        let w = SirenConfig::new(2, 10).init_host(0);
        let flat: Vec<f32> = w
            .flat()
            .iter()
            .enumerate()
            .map(|(k, &v)| if k % keep_every == 0 { v } else { 0.0 })
            .collect();
        SirenWeights::from_flat(30.0, w.widths.clone(), &flat).unwrap()
    }

    #[test]
    fn round_trips_every_encoding_exactly_in_fp16() {
        for (keep, enc) in [
            (1, Encoding::Dense),
            (2, Encoding::Bitmap),
            (40, Encoding::Gaps),
        ] {
            let w = sparse(keep);
            let bytes = encode(7, 9, &w).unwrap();
            let back = decode(&bytes).unwrap();
            assert_eq!(back.encoding, enc, "keep every {keep}");
            assert_eq!((back.height, back.width), (7, 9));
            assert_eq!(back.weights, w.to_fp16());
            assert_eq!(back.weights.nnz(), w.to_fp16().nnz());
        }
        // Dense: header + 2 bytes per parameter + crc.
        let w = sparse(1);
        let bytes = encode(64, 64, &w).unwrap();
        assert!(bytes.len() > 2 * w.num_params() && bytes.len() < 2 * w.num_params() + 40);
    }

    /// Encoded bytes of fixed weights, written out byte by byte (they were computed by an
    /// independent encoder that follows the table in `docs/l0onie.md`): the format must not drift.
    #[test]
    fn encoded_bytes_are_stable() {
        let tiny = [
            0.1, -0.2, 0.3, 0.05, 0.01, 0.0, 0.5, 0.1, -0.3, 0.2, 0.4, 0.6, 0.5, 0.5, 0.5,
        ];
        let dense = SirenWeights::from_flat(30.0, vec![2, 2, 3], &tiny).unwrap();
        let half: Vec<f32> = (0..27)
            .map(|k| {
                if k % 2 == 0 {
                    0.25 * (k + 1) as f32
                } else {
                    0.0
                }
            })
            .collect();
        let bitmap = SirenWeights::from_flat(30.0, vec![2, 4, 3], &half).unwrap();
        let mut two = vec![0.0; 27];
        two[3] = -1.5;
        two[26] = 1e-3;
        let gaps = SirenWeights::from_flat(30.0, vec![2, 4, 3], &two).unwrap();
        let expect: [(usize, usize, &SirenWeights, Encoding, &[u8]); 3] = [
            (
                7,
                9,
                &dense,
                Encoding::Dense,
                &[
                    0x52, 0x43, 0x4f, 0x49, 0x01, 0x31, 0x07, 0x09, 0x80, 0x4f, 0x03, 0x02, 0x02,
                    0x03, 0x00, 0x66, 0x2e, 0x66, 0xb2, 0xcd, 0x34, 0x66, 0x2a, 0x1f, 0x21, 0x00,
                    0x00, 0x00, 0x38, 0x66, 0x2e, 0xcd, 0xb4, 0x66, 0x32, 0x66, 0x36, 0xcd, 0x38,
                    0x00, 0x38, 0x00, 0x38, 0x00, 0x38, 0x73, 0x23, 0x57, 0xc1,
                ],
            ),
            (
                300,
                5,
                &bitmap,
                Encoding::Bitmap,
                &[
                    0x52, 0x43, 0x4f, 0x49, 0x01, 0x35, 0xac, 0x02, 0x05, 0x80, 0x4f, 0x03, 0x02,
                    0x04, 0x03, 0x01, 0x0e, 0x55, 0x55, 0x55, 0x05, 0x00, 0x34, 0x00, 0x3a, 0x00,
                    0x3d, 0x00, 0x3f, 0x80, 0x40, 0x80, 0x41, 0x80, 0x42, 0x80, 0x43, 0x40, 0x44,
                    0xc0, 0x44, 0x40, 0x45, 0xc0, 0x45, 0x40, 0x46, 0xc0, 0x46, 0x44, 0xca, 0xef,
                    0xc8,
                ],
            ),
            (
                1,
                1,
                &gaps,
                Encoding::Gaps,
                &[
                    0x52, 0x43, 0x4f, 0x49, 0x01, 0x1a, 0x01, 0x01, 0x80, 0x4f, 0x03, 0x02, 0x04,
                    0x03, 0x02, 0x02, 0x03, 0x16, 0x00, 0xbe, 0x19, 0x14, 0xdf, 0x31, 0x21, 0x99,
                ],
            ),
        ];
        for (h, w, weights, encoding, bytes) in expect {
            assert_eq!(encode(h, w, weights).unwrap(), bytes, "{encoding:?}");
            let back = decode(bytes).unwrap();
            assert_eq!(back.encoding, encoding);
            assert_eq!(back.weights, weights.to_fp16());
        }
    }

    #[test]
    fn rejects_foreign_truncated_corrupt_and_trailing() {
        let bytes = encode(8, 8, &sparse(3)).unwrap();
        let e = decode(b"\x89PNG\r\n\x1a\n rest").unwrap_err();
        assert!(matches!(e, FormatError::Foreign { .. }), "{e}");
        assert!(e.to_string().contains("not a rein COIN file"));
        for cut in [0, 3, 5, 6, 20, bytes.len() - 1] {
            let e = decode(&bytes[..cut]).unwrap_err();
            assert!(matches!(e, FormatError::Truncated { .. }), "cut {cut}: {e}");
        }
        let mut flipped = bytes.clone();
        flipped[bytes.len() / 2] ^= 0x10;
        let e = decode(&flipped).unwrap_err();
        assert!(matches!(e, FormatError::Checksum { .. }), "{e}");
        assert!(e.to_string().contains("corrupt"));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            decode(&longer).unwrap_err(),
            FormatError::Trailing(1)
        ));
        let mut v2 = bytes.clone();
        v2[4] = 2;
        assert!(matches!(decode(&v2).unwrap_err(), FormatError::Version(2)));
    }

    #[test]
    fn rejects_consistent_but_invalid_fields() {
        // A valid checksum over a bad encoding byte: re-seal after editing.
        let mut bytes = encode(4, 4, &sparse(1)).unwrap();
        let pos = bytes.len() - 4 - 2 * sparse(1).num_params() - 1;
        assert_eq!(bytes[pos], 0);
        bytes[pos] = 9;
        let n = bytes.len() - 4;
        let crc = crc32fast::hash(&bytes[..n]);
        bytes[n..].copy_from_slice(&crc.to_le_bytes());
        let e = decode(&bytes).unwrap_err();
        assert!(e.to_string().contains("invalid encoding"), "{e}");
        // Arbitrary garbage after a valid magic never panics.
        for seed in 0..200u32 {
            let mut g = b"RCOI\x01".to_vec();
            g.extend((0..(seed % 40)).map(|i| (i * 37 + seed * 11) as u8));
            let _ = decode(&g);
        }
    }

    #[test]
    fn file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.rcoin");
        let w = sparse(2);
        let size = write_coin(&path, 5, 6, &w).unwrap();
        assert_eq!(size, std::fs::metadata(&path).unwrap().len());
        let img = read_coin(&path).unwrap();
        assert_eq!(render(&img).data.len(), 5 * 6 * 3);
        std::fs::write(&path, b"hello").unwrap();
        let e = format!("{:#}", read_coin(&path).unwrap_err());
        assert!(
            e.contains("a.rcoin") && e.contains("not a rein COIN"),
            "{e}"
        );
        let e = format!(
            "{:#}",
            read_coin(&dir.path().join("none.rcoin")).unwrap_err()
        );
        assert!(e.contains("none.rcoin"), "{e}");
    }
}
