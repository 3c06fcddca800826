//! `rein-coin`: the `.rcoin` compressed-image format of rein, without the trainer.
//!
//! An `.rcoin` file stores one image as the fp16 weights of a small SIREN (Sitzmann et al.
//! 2020), the representation of COIN (Dupont et al. 2021, "COIN: COmpression with Implicit
//! Neural representations") and of its sparse, L0-constrained variant L0onie (Ramirez &
//! Gallego-Posada 2022). `rein l0onie` trains and writes them; this crate is all a program needs
//! to read one back and turn it into pixels. It depends on `half`, `png`, `crc32fast`,
//! `thiserror` and `tempfile` only (no burn).
//!
//! * [`siren`]: [`SirenWeights`] on the host, the coordinate grid, the `f32` renderer, fp16
//!   rounding, `nnz`, bits per pixel, PSNR.
//! * [`format`](mod@format): the byte format (its module docs are the full definition),
//!   [`encode`] and [`decode`] on byte strings.
//! * [`file`](mod@file): [`write_coin`], [`read_coin`], [`render`] and the atomic writer
//!   [`write_atomic`].
//! * [`png_io`]: [`Rgb8`] images in and out of PNG.
//! * [`error`]: [`CoinError`], the error of every function that touches a file or a PNG.
//!
//! Encode a SIREN, decode it and render the image:
//!
//! ```
//! use rein_coin::{Encoding, SirenWeights, decode, encode, render};
//!
//! // widths [2, 2, 3]: 2 x 2 weights + 2 biases, then 2 x 3 weights + 3 biases.
//! let weights = SirenWeights::from_flat(
//!     30.0,
//!     vec![2, 2, 3],
//!     &[0.1, -0.2, 0.3, 0.05, 0.01, 0.0, 0.5, 0.1, -0.3, 0.2, 0.4, 0.6, 0.5, 0.5, 0.5],
//! )?;
//! let bytes = encode(4, 5, &weights)?;
//! assert_eq!((&bytes[..4], bytes.len()), (&b"RCOI"[..], 49));
//!
//! let image = decode(&bytes)?;
//! assert_eq!((image.height, image.width, image.encoding), (4, 5, Encoding::Dense));
//! assert_eq!(image.weights, weights.to_fp16()); // what the file keeps: fp16 values
//!
//! let rgb = render(&image); // 8-bit RGB, row-major
//! assert_eq!(rgb.data.len(), 4 * 5 * 3);
//! assert_eq!(rgb.data, rein_coin::to_rgb8(&weights.to_fp16().render(4, 5)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! On disk, [`write_coin`] and [`read_coin`] do the same with errors that name the file:
//!
//! ```
//! # let weights = rein_coin::SirenWeights::from_flat(30.0, vec![2, 1, 3], &[0.5; 9])?;
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("image.rcoin");
//! let size = rein_coin::write_coin(&path, 8, 8, &weights)?;
//! let image = rein_coin::read_coin(&path)?;
//! rein_coin::write_png(&dir.path().join("image.png"), &rein_coin::render(&image))?;
//!
//! std::fs::write(&path, b"RCOI\x01")?;
//! let error = rein_coin::read_coin(&path).unwrap_err().to_string();
//! assert!(error.contains("image.rcoin") && error.contains("truncated"), "{error}");
//! # assert!(size > 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod error;
pub mod file;
pub mod format;
pub mod png_io;
pub mod siren;

pub use error::CoinError;
pub use file::{read_coin, render, write_atomic, write_coin};
pub use format::{CoinImage, Encoding, FormatError, decode, encode};
pub use png_io::{Rgb8, decode_png, encode_png, read_png, write_png};
pub use siren::{
    LayerWeights, ShapeError, SirenWeights, coordinate_grid, num_params_of, psnr_rgb8, round_fp16,
    to_rgb8,
};
