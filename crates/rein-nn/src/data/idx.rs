//! A reader for the IDX format of the MNIST-style raw files.
//!
//! An IDX file is a big-endian header followed by the data: the magic number
//! `0x00 0x00 <type> <ndim>` (type `0x08` = unsigned byte), then one `u32` size per dimension.
//! Images are `0x00000803` (`[n, rows, cols]`), labels `0x00000801` (`[n]`). Files whose bytes
//! start with the gzip signature `0x1f 0x8b` are decompressed transparently.

use std::io::Read;
use std::path::Path;

use flate2::read::GzDecoder;

use crate::error::DataError;

/// Magic number of an unsigned-byte, 3-dimensional IDX file (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an unsigned-byte, 1-dimensional IDX file (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

/// Reads an IDX image file (`u8`, `[n, rows, cols]`), gzip-compressed or not.
///
/// Returns `(pixels, n, rows, cols)` with `pixels.len() == n * rows * cols`, row-major.
///
/// # Errors
/// [`DataError::Io`] if the file cannot be read or decompressed, [`DataError::Format`] on a bad
/// magic number, a truncated file or trailing bytes.
pub fn read_idx_images(
    path: impl AsRef<Path>,
) -> Result<(Vec<u8>, usize, usize, usize), DataError> {
    let path = path.as_ref();
    let mut bytes = read_maybe_gz(path)?;
    let (dims, header) = {
        let (dims, data) = parse_idx(&bytes, IMAGES_MAGIC, path)?;
        (dims, bytes.len() - data.len())
    };
    // The pixels are moved to the front of the file's own buffer rather than copied out of it:
    // a copy would hold the 47 MB of MNIST's training images twice at load (the process's
    // peak resident memory).
    bytes.drain(..header);
    bytes.shrink_to_fit();
    let (n, rows, cols) = (dims[0], dims[1], dims[2]);
    Ok((bytes, n, rows, cols))
}

/// Reads an IDX label file (`u8`, `[n]`), gzip-compressed or not.
///
/// # Errors
/// [`DataError::Io`] if the file cannot be read or decompressed, [`DataError::Format`] on a bad
/// magic number, a truncated file or trailing bytes.
pub fn read_idx_labels(path: impl AsRef<Path>) -> Result<Vec<u8>, DataError> {
    let path = path.as_ref();
    let bytes = read_maybe_gz(path)?;
    let (_, data) = parse_idx(&bytes, LABELS_MAGIC, path)?;
    Ok(data.to_vec())
}

/// Reads the whole file, gunzipping it if it starts with the gzip signature.
fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, DataError> {
    let io = |source| DataError::Io {
        file: path.to_path_buf(),
        source,
    };
    let raw = std::fs::read(path).map_err(io)?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        // A few compressed bytes can expand to gigabytes: read at most one byte past the limit.
        let mut out = Vec::new();
        GzDecoder::new(raw.as_slice())
            .take(MAX_DECOMPRESSED + 1)
            .read_to_end(&mut out)
            .map_err(io)?;
        if out.len() as u64 > MAX_DECOMPRESSED {
            return Err(DataError::Format {
                file: path.to_path_buf(),
                reason: format!(
                    "decompresses to more than {} MiB, more than any IDX data set this reads",
                    MAX_DECOMPRESSED >> 20
                ),
            });
        }
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// The largest decompressed IDX file accepted (1 GiB; MNIST's training images are 47 MB).
const MAX_DECOMPRESSED: u64 = 1 << 30;

/// Checks the header of an unsigned-byte IDX buffer and returns its dimensions and data.
fn parse_idx<'a>(
    bytes: &'a [u8],
    magic: u32,
    path: &Path,
) -> Result<(Vec<usize>, &'a [u8]), DataError> {
    let err = |reason: String| DataError::Format {
        file: path.to_path_buf(),
        reason,
    };
    let ndim = (magic & 0xff) as usize;
    let header = 4 + 4 * ndim;
    if bytes.len() < 4 {
        return Err(err(format!(
            "truncated IDX file: {} bytes, too short for the magic number",
            bytes.len()
        )));
    }
    let found = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if found != magic {
        return Err(err(format!(
            "bad IDX magic number 0x{found:08x}, expected 0x{magic:08x}"
        )));
    }
    if bytes.len() < header {
        return Err(err(format!(
            "truncated IDX header: {} bytes, expected {header}",
            bytes.len()
        )));
    }
    let dims: Vec<usize> = bytes[4..header]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let len = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| err(format!("IDX dimensions {dims:?} overflow")))?;
    let data = &bytes[header..];
    if data.len() < len {
        return Err(err(format!(
            "truncated IDX data: dimensions {dims:?} need {len} bytes, found {}",
            data.len()
        )));
    }
    if data.len() > len {
        return Err(err(format!(
            "{} trailing bytes after IDX data of dimensions {dims:?}",
            data.len() - len
        )));
    }
    Ok((dims, data))
}

/// Encodes an unsigned-byte IDX buffer (used by tests here and in `mnist`).
#[cfg(test)]
pub(crate) fn encode_idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

/// A fresh, empty temporary directory for a test (removed by the caller when done).
#[cfg(test)]
pub(crate) fn test_dir(tag: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "rein-nn-{tag}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create test dir");
    dir
}

/// Gzip-compresses `bytes` (test helper).
#[cfg(test)]
pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

#[cfg(test)]
mod tests {
    use super::*;

    mod fuzz {
        //! Random and mutated IDX bytes: an error naming the file, never a panic, and no
        //! allocation beyond the bytes present. Long run (10^5 cases):
        //! `PROPTEST_CASES=100000 cargo test --release -p rein-nn --lib idx::tests::fuzz`.
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn random_bytes_are_errors_naming_the_file(
                bytes in prop::collection::vec(any::<u8>(), 0..64),
                images in any::<bool>(),
            ) {
                let magic = if images { IMAGES_MAGIC } else { LABELS_MAGIC };
                if let Err(e) = parse_idx(&bytes, magic, Path::new("fuzz.idx")) {
                    prop_assert!(e.to_string().contains("fuzz.idx"), "{}", e);
                }
            }

            #[test]
            fn mutated_files_parse_to_consistent_shapes_or_fail(
                n in 0u32..5, rows in 0u32..4, cols in 0u32..4,
                at in any::<usize>(), value in any::<u8>(), cut in any::<usize>(),
            ) {
                let len = (n * rows * cols) as usize;
                let mut bytes = encode_idx(&[n, rows, cols], &vec![7; len]);
                let k = at % bytes.len();
                bytes[k] = value;
                bytes.truncate(bytes.len() - cut % 3);
                if let Ok((dims, data)) = parse_idx(&bytes, IMAGES_MAGIC, Path::new("m.idx")) {
                    prop_assert_eq!(dims.iter().product::<usize>(), data.len());
                }
            }
        }
    }

    #[test]
    fn reads_plain_and_gz_images_and_labels() {
        let dir = test_dir("idx");
        let pixels: Vec<u8> = (0..12).collect();
        let img = encode_idx(&[2, 2, 3], &pixels);
        std::fs::write(dir.join("img"), &img).unwrap();
        std::fs::write(dir.join("img.gz"), gzip(&img)).unwrap();
        let lab = encode_idx(&[2], &[7, 3]);
        std::fs::write(dir.join("lab.gz"), gzip(&lab)).unwrap();

        for name in ["img", "img.gz"] {
            let (data, n, rows, cols) = read_idx_images(dir.join(name)).unwrap();
            assert_eq!((n, rows, cols), (2, 2, 3));
            assert_eq!(data, pixels);
        }
        assert_eq!(read_idx_labels(dir.join("lab.gz")).unwrap(), vec![7, 3]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn rejects_bad_magic_truncation_and_trailing_bytes() {
        let dir = test_dir("idx-bad");
        let lab = encode_idx(&[3], &[1, 2, 3]);
        std::fs::write(dir.join("lab"), &lab).unwrap();
        let e = read_idx_images(dir.join("lab")).unwrap_err().to_string();
        assert!(e.contains("bad IDX magic") && e.contains("lab"), "{e}");

        std::fs::write(dir.join("short"), &lab[..lab.len() - 1]).unwrap();
        let e = read_idx_labels(dir.join("short")).unwrap_err().to_string();
        assert!(
            e.contains("truncated IDX data") && e.contains("short"),
            "{e}"
        );

        let img = encode_idx(&[1, 2, 2], &[0; 4]);
        std::fs::write(dir.join("hdr.gz"), gzip(&img[..9])).unwrap();
        let e = read_idx_images(dir.join("hdr.gz")).unwrap_err().to_string();
        assert!(e.contains("truncated IDX header"), "{e}");

        let mut long = lab.clone();
        long.push(0);
        std::fs::write(dir.join("long"), &long).unwrap();
        let e = read_idx_labels(dir.join("long")).unwrap_err().to_string();
        assert!(e.contains("trailing"), "{e}");

        std::fs::write(dir.join("tiny"), [0u8, 0]).unwrap();
        assert!(matches!(
            read_idx_labels(dir.join("tiny")),
            Err(DataError::Format { .. })
        ));
        assert!(matches!(
            read_idx_labels(dir.join("absent")),
            Err(DataError::Io { .. })
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
