//! The errors of the file- and image-level functions: [`CoinError`].
//!
//! Every message names the file (or, for in-memory PNG data, the label the caller gave) and what
//! is wrong with it. The byte-level problems of an `.rcoin` file are a nested [`FormatError`],
//! which names the field and the value; operating
//! system and PNG codec errors are kept as the [`source`](std::error::Error::source) of the
//! variant, so a report that prints the chain (e.g. `anyhow`'s `{:#}`) shows them once.

use std::io;
use std::path::PathBuf;

use crate::format::FormatError;

/// What went wrong reading, writing, decoding or encoding a compressed image or a PNG.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoinError {
    /// A file could not be read (missing, unreadable, a directory...).
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// A file could not be written (atomically: temporary file, sync, rename).
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The content of an `.rcoin` file is not a valid file of this format (foreign, truncated,
    /// corrupt, an invalid field), or the model cannot be stored in one.
    #[error("{}: {error}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong, and in which field.
        error: FormatError,
    },
    /// The bytes do not start with the PNG signature.
    #[error("{name}: not a PNG file (no PNG signature)")]
    NotPng {
        /// The file path, or the label the caller gave the bytes.
        name: String,
    },
    /// The PNG decoder rejected the data.
    #[error("{name}: cannot decode the PNG {part}")]
    PngDecode {
        /// The file path, or the label the caller gave the bytes.
        name: String,
        /// The part that failed: `"header"` or `"image data"`.
        part: &'static str,
        /// The decoder's error.
        #[source]
        source: png::DecodingError,
    },
    /// The decoded PNG has a colour type that was not converted to 8-bit grey, grey + alpha,
    /// RGB or RGBA.
    #[error("{name}: PNG colour type {color_type} was not expanded to 8-bit RGB")]
    PngColorType {
        /// The file path, or the label the caller gave the bytes.
        name: String,
        /// The colour type found (e.g. `"indexed"`).
        color_type: &'static str,
    },
    /// The PNG has no pixels.
    #[error("{name}: empty image ({width}x{height})")]
    EmptyImage {
        /// The file path, or the label the caller gave the bytes.
        name: String,
        /// Height in pixels.
        height: usize,
        /// Width in pixels.
        width: usize,
    },
    /// The PNG encoder rejected the image (e.g. a zero size, or a pixel buffer whose length is
    /// not `3 height width`).
    #[error("{name}: cannot encode the {width}x{height} image as PNG")]
    PngEncode {
        /// The file path being written, or `"PNG image"` for in-memory encoding.
        name: String,
        /// Height in pixels.
        height: usize,
        /// Width in pixels.
        width: usize,
        /// The encoder's error.
        #[source]
        source: png::EncodingError,
    },
}
