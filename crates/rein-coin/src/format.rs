//! The `.rcoin` byte format, version 1: one image compressed as the fp16 weights of a SIREN
//! (COIN, Dupont et al. 2021; sparse L0onie models, Ramirez & Gallego-Posada 2022). This page
//! is the complete definition; `docs/l0onie.md` has the same table and the design notes.
//!
//! # Conventions
//!
//! * **varint**: an unsigned integer in LEB128: seven bits per byte, least significant group
//!   first, the high bit (`0x80`) set on every byte but the last. `300` is `ac 02`. The encoder
//!   writes the shortest form; the decoder accepts at most ten bytes (64 bits).
//! * **f16**: an IEEE 754 binary16 value in two bytes, little-endian (`30.0` is `80 4f`).
//! * **u32**: four bytes, little-endian.
//!
//! # Layout
//!
//! ```text
//! field      size        content
//! magic      4 bytes     "RCOI" (52 43 4f 49)
//! version    1 byte      1
//! length     varint      total file length in bytes, this field and the checksum included
//! height     varint      image height H, 1..=65535
//! width      varint      image width W, 1..=65535 (and H * W <= 2^26)
//! w0         f16         sine frequency of the SIREN (finite, > 0; 30 in COIN)
//! n_widths   varint      number n of layer widths, 3..=1024
//! widths     n varints   [2, h_1, ..., h_L, 3]: input 2, hidden widths 1..=65536, output 3
//! encoding   1 byte      0 dense | 1 bitmap | 2 gaps
//! nnz        varint      bitmap and gaps only: number of stored values, 0..=P
//! mask       ...         bitmap: ceil(P/8) bytes, bit k % 8 (LSB first) of byte k / 8 set iff
//!                          parameter k is stored; bits past P are zero
//!                        gaps: nnz varints, the first stored position, then for each further
//!                          one `position - previous position - 1` (positions increase, < P)
//!                        dense: absent
//! values     2 bytes each  f16: dense, all P parameters in order; otherwise the nnz stored
//!                          ones in increasing position order (finite values only)
//! crc32      u32         CRC-32 of every preceding byte (IEEE 802.3 / zlib: reflected
//!                          polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF)
//! ```
//!
//! `P` is the number of parameters of the widths, `sum over l of (widths[l] + 1) widths[l+1]`
//! ([`num_params_of`]), at most 2^26. Parameter `k` is the `k`-th value of
//! [`SirenWeights::flat`]: layer by layer, first the weight row-major over `[d_in, d_out]`
//! (value `i * d_out + j` multiplies input `i` into output `j`), then the `d_out` biases.
//! Parameters that are not stored are `+0.0`. The image is the SIREN of
//! [`crate::siren`] evaluated on [`coordinate_grid`](crate::siren::coordinate_grid)`(H, W)`,
//! each channel rounded to 8 bits as `round(255 clamp(v, 0, 1))`.
//!
//! The length field counts itself, so the encoder finds the total `T` as the fixed point of
//! `T = 4 + 1 + len(varint(T)) + body + 4`. It rounds every parameter to f16 (round to nearest,
//! ties to even), stores as kept the parameters whose f16 value is nonzero, and writes whichever
//! encoding is shortest (on a tie the first of dense, bitmap, gaps): COIN models are dense,
//! L0onie's 20-40 % densities make the bitmap the shortest, very sparse models the gaps.
//!
//! # Example
//!
//! A 1 x 1 image, widths `[2, 4, 3]` (P = 27), two nonzero parameters (`-1.5` at position 3,
//! `0.001` at 26), 26 bytes:
//!
//! ```text
//! 52 43 4f 49   magic          01            version 1      1a     length 26
//! 01 01         height, width  80 4f         w0 = 30.0      03     n_widths
//! 02 04 03      widths         02            gaps           02     nnz
//! 03 16         positions 3, 3 + 1 + 22 = 26
//! 00 be 19 14   values -1.5 (0xbe00), 0.0010004 (0x1419, 0.001 rounded to f16)
//! df 31 21 99   crc32 0x992131df
//! ```
//!
//! # Decoding
//!
//! [`decode`] checks, in order: the magic ([`FormatError::Foreign`]), the version
//! ([`FormatError::Version`]), the declared length against the byte count
//! ([`FormatError::Truncated`], [`FormatError::Trailing`]), the CRC-32
//! ([`FormatError::Checksum`]), then every field's range and consistency, including that the
//! values end exactly at the checksum ([`FormatError::Invalid`], which names the field). It never
//! panics on any input.

use crate::siren::{SirenWeights, num_params_of};
use half::f16;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Every parameter stored (COIN).
    Dense = 0,
    /// One bit per parameter, then the kept values.
    Bitmap = 1,
    /// Varint gaps between kept positions, then the kept values.
    Gaps = 2,
}

impl Encoding {
    /// The lowercase name: `"dense"`, `"bitmap"` or `"gaps"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Dense => "dense",
            Self::Bitmap => "bitmap",
            Self::Gaps => "gaps",
        }
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
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
    /// A parameter cannot be stored in fp16 (not finite, or `|v| > 65504`): the model the
    /// encoder was given is not a trained SIREN (did training diverge?).
    #[error(
        "parameter {index} = {value} cannot be stored in fp16 (finite, |v| <= 65504): \
         did training diverge (learning rate too large)?"
    )]
    Unrepresentable {
        /// Position in the flattened parameters.
        index: usize,
        /// The value.
        value: f32,
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
    let flat = weights.flat();
    // fp16 holds |v| <= 65504: refuse what would become inf or NaN (a file the decoder rejects)
    // before writing anything.
    if let Some((index, &value)) = flat
        .iter()
        .enumerate()
        .find(|(_, v)| !(v.is_finite() && f16::from_f32(**v).is_finite()))
    {
        return Err(FormatError::Unrepresentable { index, value });
    }
    let values: Vec<u16> = flat.iter().map(|&v| f16::from_f32(v).to_bits()).collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic stand-in for a SIREN initialisation of widths `[2, 10, 10, 3]` (173
    /// values, each in `[-0.5, -0.01] u [0.01, 0.5]`, so none rounds to zero in fp16), keeping
    /// every `keep_every`-th value and zeroing the rest.
    fn sparse(keep_every: usize) -> SirenWeights {
        let widths = vec![2, 10, 10, 3];
        let flat: Vec<f32> = (0..num_params_of(&widths))
            .map(|k| {
                if k % keep_every != 0 {
                    return 0.0;
                }
                // Knuth's multiplicative hash: 24 pseudo-random bits and a sign bit.
                let x = (k as u32 + 1).wrapping_mul(2_654_435_761);
                let u = (x >> 8) as f32 / (1u32 << 24) as f32;
                let magnitude = 0.01 + 0.49 * u;
                if x & 0x80 == 0 { magnitude } else { -magnitude }
            })
            .collect();
        SirenWeights::from_flat(30.0, widths, &flat).unwrap()
    }

    #[test]
    fn values_fp16_cannot_hold_are_refused_before_encoding() {
        for bad in [f32::NAN, f32::INFINITY, 7.0e4, -1.0e5] {
            let mut flat = sparse(1).flat();
            flat[17] = bad;
            let w = SirenWeights::from_flat(30.0, vec![2, 10, 10, 3], &flat).unwrap();
            match encode(4, 4, &w) {
                Err(FormatError::Unrepresentable { index: 17, value }) => {
                    assert!(value.is_nan() || value == bad);
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        // 65504, the largest fp16, is stored.
        let mut flat = sparse(1).flat();
        flat[3] = 65504.0;
        let w = SirenWeights::from_flat(30.0, vec![2, 10, 10, 3], &flat).unwrap();
        assert!(decode(&encode(4, 4, &w).unwrap()).is_ok());
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
}
