//! The `.rcoin` byte format (version 1): a SIREN-compressed image. See `docs/l0onie.md`.
//!
//! All integers are unsigned LEB128 varints unless stated; fixed-size fields are little-endian.
//!
//! ```text
//! magic      4 bytes  "RCOI"
//! version    1 byte   1
//! length     varint   total file length in bytes, this field and the checksum included
//! height     varint   image height H (1..=65535)
//! width      varint   image width W (1..=65535)
//! w0         2 bytes  sine frequency, IEEE binary16
//! n_widths   varint   number of layer widths n (>= 3)
//! widths     n varints  [2, h_1, ..., h_L, 3]
//! encoding   1 byte   0 dense | 1 bitmap | 2 gaps
//! [nnz       varint   number of stored values (bitmap and gaps only)]
//! [mask      bitmap: ceil(P/8) bytes, bit k (LSB first) set iff parameter k is stored;
//!             gaps: nnz varints, the first position, then position - previous - 1]
//! values     2 bytes each, IEEE binary16: all P parameters (dense) or the nnz stored ones
//! crc32      4 bytes  CRC-32 (IEEE 802.3) of every preceding byte
//! ```
//!
//! Parameters are in [`SirenWeights::flat`] order (layer by layer, weight row-major
//! `[d_in, d_out]`, then bias); `P` is the parameter count of the widths. Parameters that are
//! not stored are zero. The encoder writes whichever of the three encodings is shortest.

use half::f16;
use rein_nn::siren::{SirenWeights, num_params_of};

/// The four magic bytes.
pub const MAGIC: &[u8; 4] = b"RCOI";
/// The format version this build writes and reads.
pub const VERSION: u8 = 1;
/// Largest accepted image side.
const MAX_SIDE: u64 = 65_535;
/// Largest accepted layer width and parameter count (sanity bounds against corrupt headers).
const MAX_WIDTH: u64 = 1 << 16;
const MAX_PARAMS: usize = 1 << 26;
/// Largest accepted pixel count (the decoder renders the whole image in memory).
const MAX_PIXELS: usize = 1 << 26;

/// How the kept positions are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// Every parameter stored (COIN).
    Dense = 0,
    /// One bit per parameter, then the kept values.
    Bitmap = 1,
    /// Varint gaps between kept positions, then the kept values.
    Gaps = 2,
}

/// What is wrong with a byte string that should be an `.rcoin` file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The magic bytes are not `RCOI`: some other kind of file.
    #[error("not a rein COIN file (starts with {found:02x?}, expected the magic \"RCOI\")")]
    Foreign {
        /// The first bytes found.
        found: Vec<u8>,
    },
    /// Fewer bytes than the file declares (or than any file has).
    #[error("truncated: {found} bytes, expected {expected}")]
    Truncated {
        /// Bytes expected.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// A version this build cannot read.
    #[error("unsupported format version {0} (this build reads version {VERSION})")]
    Version(u8),
    /// More bytes than the file declares.
    #[error("{0} unexpected trailing bytes after the declared end of the file")]
    Trailing(u64),
    /// The checksum does not match: the content was altered.
    #[error("corrupt: CRC-32 mismatch (stored {stored:08x}, computed {computed:08x})")]
    Checksum {
        /// The CRC-32 stored in the file.
        stored: u32,
        /// The CRC-32 of the content.
        computed: u32,
    },
    /// A field holds an impossible value.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

fn invalid(field: &'static str, reason: impl Into<String>) -> FormatError {
    FormatError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// A decoded file: the image size, the fp16 SIREN and how its positions were stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CoinImage {
    /// Image height in pixels.
    pub height: usize,
    /// Image width in pixels.
    pub width: usize,
    /// The SIREN (values exactly representable in fp16).
    pub weights: SirenWeights,
    /// The sparsity encoding used.
    pub encoding: Encoding,
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn varint_len(v: u64) -> usize {
    let mut buf = Vec::new();
    put_varint(&mut buf, v);
    buf.len()
}

/// Encodes `weights` (rounded to fp16 here) for a `height x width` image, choosing the
/// shortest encoding.
///
/// # Errors
/// If the image size or the architecture is outside what the format can hold.
pub fn encode(height: usize, width: usize, weights: &SirenWeights) -> Result<Vec<u8>, FormatError> {
    if !(1..=MAX_SIDE).contains(&(height as u64))
        || !(1..=MAX_SIDE).contains(&(width as u64))
        || height * width > MAX_PIXELS
    {
        return Err(invalid(
            "image size",
            format!("{height}x{width} outside 1..={MAX_SIDE}"),
        ));
    }
    check_widths(&weights.widths)?;
    let values: Vec<u16> = weights
        .flat()
        .iter()
        .map(|&v| f16::from_f32(v).to_bits())
        .collect();
    let kept: Vec<usize> = (0..values.len())
        .filter(|&k| f16::from_bits(values[k]).to_f32() != 0.0)
        .collect();
    let p = values.len();
    let nnz = kept.len() as u64;

    let bitmap = {
        let mut m = vec![0u8; p.div_ceil(8)];
        for &k in &kept {
            m[k / 8] |= 1 << (k % 8);
        }
        m
    };
    let gaps = {
        let mut g = Vec::new();
        let mut next = 0;
        for &k in &kept {
            put_varint(&mut g, (k - next) as u64);
            next = k + 1;
        }
        g
    };
    let sparse_cost = |mask: usize| varint_len(nnz) + mask + 2 * kept.len();
    let (encoding, mask) = [
        (Encoding::Dense, 2 * p, None),
        (Encoding::Bitmap, sparse_cost(bitmap.len()), Some(bitmap)),
        (Encoding::Gaps, sparse_cost(gaps.len()), Some(gaps)),
    ]
    .into_iter()
    .min_by_key(|(_, cost, _)| *cost)
    .map(|(e, _, m)| (e, m))
    .expect("three candidates");

    let mut body = Vec::new();
    put_varint(&mut body, height as u64);
    put_varint(&mut body, width as u64);
    body.extend_from_slice(&f16::from_f32(weights.w0).to_bits().to_le_bytes());
    put_varint(&mut body, weights.widths.len() as u64);
    for &w in &weights.widths {
        put_varint(&mut body, w as u64);
    }
    body.push(encoding as u8);
    let stored: Vec<u16> = match mask {
        None => values,
        Some(mask) => {
            put_varint(&mut body, nnz);
            body.extend_from_slice(&mask);
            kept.iter().map(|&k| values[k]).collect()
        }
    };
    for v in stored {
        body.extend_from_slice(&v.to_le_bytes());
    }

    // total = 4 magic + 1 version + len(length varint) + body + 4 crc, solved by iteration.
    let fixed = 4 + 1 + body.len() + 4;
    let mut total = fixed + 1;
    while fixed + varint_len(total as u64) != total {
        total = fixed + varint_len(total as u64);
    }
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    put_varint(&mut out, total as u64);
    out.extend_from_slice(&body);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    debug_assert_eq!(out.len(), total);
    Ok(out)
}

fn check_widths(widths: &[usize]) -> Result<(), FormatError> {
    if widths.len() < 3 || widths[0] != 2 || widths[widths.len() - 1] != 3 {
        return Err(invalid(
            "widths",
            format!("expected [2, hidden..., 3], got {widths:?}"),
        ));
    }
    if let Some(w) = widths.iter().find(|&&w| w == 0 || w as u64 > MAX_WIDTH) {
        return Err(invalid(
            "widths",
            format!("width {w} outside 1..={MAX_WIDTH}"),
        ));
    }
    if num_params_of(widths) > MAX_PARAMS {
        return Err(invalid(
            "widths",
            format!("{} parameters exceed {MAX_PARAMS}", num_params_of(widths)),
        ));
    }
    Ok(())
}

/// A cursor over the file content that names the field it fails on.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], FormatError> {
        if self.bytes.len() - self.at < n {
            return Err(invalid(field, "runs past the end of the content"));
        }
        self.at += n;
        Ok(&self.bytes[self.at - n..self.at])
    }

    fn varint(&mut self, field: &'static str) -> Result<u64, FormatError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.take(1, field)?[0];
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(invalid(field, "varint longer than 64 bits"))
    }

    fn bounded(&mut self, field: &'static str, lo: u64, hi: u64) -> Result<usize, FormatError> {
        let v = self.varint(field)?;
        if !(lo..=hi).contains(&v) {
            return Err(invalid(field, format!("{v} outside {lo}..={hi}")));
        }
        Ok(v as usize)
    }
}

/// Decodes an `.rcoin` byte string. Checks, in order: magic, version, declared length
/// (truncation, trailing bytes), CRC-32, then every field.
///
/// # Errors
/// A [`FormatError`] naming what is wrong; never panics on any input.
pub fn decode(bytes: &[u8]) -> Result<CoinImage, FormatError> {
    let head = &bytes[..bytes.len().min(4)];
    if head != &MAGIC[..head.len()] {
        return Err(FormatError::Foreign {
            found: head.to_vec(),
        });
    }
    // magic + version + 1-byte length + 4 crc is the least any file has.
    const MIN: usize = 10;
    if bytes.len() < 6 {
        return Err(FormatError::Truncated {
            expected: MIN as u64,
            found: bytes.len() as u64,
        });
    }
    if bytes[4] != VERSION {
        return Err(FormatError::Version(bytes[4]));
    }
    let mut r = Reader { bytes, at: 5 };
    let declared = r.varint("length").map_err(|_| FormatError::Truncated {
        expected: MIN as u64,
        found: bytes.len() as u64,
    })?;
    let found = bytes.len() as u64;
    if found < declared {
        return Err(FormatError::Truncated {
            expected: declared,
            found,
        });
    }
    if found > declared {
        return Err(FormatError::Trailing(found - declared));
    }
    if bytes.len() < r.at + 4 {
        return Err(invalid(
            "length",
            format!("{declared} bytes cannot hold a header"),
        ));
    }
    let (content, crc) = bytes.split_at(bytes.len() - 4);
    let stored = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
    let computed = crc32fast::hash(content);
    if stored != computed {
        return Err(FormatError::Checksum { stored, computed });
    }
    let mut r = Reader {
        bytes: content,
        at: r.at,
    };
    let height = r.bounded("height", 1, MAX_SIDE)?;
    let width = r.bounded("width", 1, MAX_SIDE)?;
    if height * width > MAX_PIXELS {
        return Err(invalid(
            "image size",
            format!("{height}x{width} exceeds {MAX_PIXELS} pixels"),
        ));
    }
    let w0_bits = r.take(2, "w0")?;
    let w0 = f16::from_bits(u16::from_le_bytes([w0_bits[0], w0_bits[1]])).to_f32();
    if !w0.is_finite() || w0 <= 0.0 {
        return Err(invalid("w0", format!("{w0} is not a positive frequency")));
    }
    let n = r.bounded("number of widths", 3, 1024)?;
    let widths = (0..n)
        .map(|_| r.bounded("widths", 1, MAX_WIDTH))
        .collect::<Result<Vec<_>, _>>()?;
    check_widths(&widths)?;
    let p = num_params_of(&widths);
    let encoding = match r.take(1, "encoding")?[0] {
        0 => Encoding::Dense,
        1 => Encoding::Bitmap,
        2 => Encoding::Gaps,
        e => return Err(invalid("encoding", format!("unknown code {e}"))),
    };
    let positions: Vec<usize> = match encoding {
        Encoding::Dense => (0..p).collect(),
        Encoding::Bitmap => {
            let nnz = r.bounded("nnz", 0, p as u64)?;
            let mask = r.take(p.div_ceil(8), "bitmap")?;
            let pos: Vec<usize> = (0..mask.len() * 8)
                .filter(|&k| mask[k / 8] & (1 << (k % 8)) != 0)
                .collect();
            if pos.last().is_some_and(|&k| k >= p) {
                return Err(invalid("bitmap", "bits set past the last parameter"));
            }
            if pos.len() != nnz {
                return Err(invalid(
                    "bitmap",
                    format!("{} bits set, nnz says {nnz}", pos.len()),
                ));
            }
            pos
        }
        Encoding::Gaps => {
            let nnz = r.bounded("nnz", 0, p as u64)?;
            let mut pos = Vec::with_capacity(nnz);
            let mut next = 0u64;
            for _ in 0..nnz {
                let k = next.saturating_add(r.varint("gaps")?);
                if k >= p as u64 {
                    return Err(invalid("gaps", format!("position {k} past {p} parameters")));
                }
                pos.push(k as usize);
                next = k + 1;
            }
            pos
        }
    };
    let raw = r.take(2 * positions.len(), "values")?;
    if r.at != content.len() {
        return Err(invalid(
            "values",
            format!("{} bytes left after the last value", content.len() - r.at),
        ));
    }
    let mut flat = vec![0.0f32; p];
    for (i, &k) in positions.iter().enumerate() {
        let v = f16::from_bits(u16::from_le_bytes([raw[2 * i], raw[2 * i + 1]])).to_f32();
        if !v.is_finite() {
            return Err(invalid("values", format!("parameter {k} is {v}")));
        }
        flat[k] = v;
    }
    let weights =
        SirenWeights::from_flat(w0, widths, &flat).map_err(|e| invalid("widths", e.to_string()))?;
    Ok(CoinImage {
        height,
        width,
        weights,
        encoding,
    })
}
