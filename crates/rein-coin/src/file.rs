//! `.rcoin` files on disk: [`write_coin`], [`read_coin`], [`render`], and the atomic writer
//! every file of this crate goes through ([`write_atomic`]).

use std::io::{self, Write};
use std::path::Path;

use crate::error::CoinError;
use crate::format::{self, CoinImage};
use crate::png_io::Rgb8;
use crate::siren::{SirenWeights, to_rgb8};

/// Writes `bytes` to `path` atomically: into a temporary file in the same directory, which is
/// flushed, synced and then renamed over `path`. Readers see either the old or the new file.
/// The parent directory must exist.
///
/// # Errors
/// Any I/O error creating, writing, syncing or renaming the temporary file; the temporary file
/// is removed on failure.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".rein-").suffix(".tmp");
    // A result file, not a secret: created like `File::create` would (0666 minus the umask),
    // not with the temporary file's private 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.flush()?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Encodes `weights` ([`format::encode`]) for a `height x width` image and writes the file
/// atomically; returns its size in bytes.
///
/// # Errors
/// [`CoinError::Format`] if the image size or the architecture is outside what the format can
/// hold, [`CoinError::Write`] for I/O errors; both name the file.
pub fn write_coin(
    path: &Path,
    height: usize,
    width: usize,
    weights: &SirenWeights,
) -> Result<u64, CoinError> {
    let bytes = format::encode(height, width, weights).map_err(|error| CoinError::Format {
        path: path.to_path_buf(),
        error,
    })?;
    write_atomic(path, &bytes).map_err(|source| CoinError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(bytes.len() as u64)
}

/// Reads and decodes an `.rcoin` file ([`format::decode`]).
///
/// # Errors
/// [`CoinError::Read`] for a missing or unreadable file, [`CoinError::Format`] for content that
/// is foreign, truncated, corrupt or invalid; both name the file.
pub fn read_coin(path: &Path) -> Result<CoinImage, CoinError> {
    let bytes = std::fs::read(path).map_err(|source| CoinError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    format::decode(&bytes).map_err(|error| CoinError::Format {
        path: path.to_path_buf(),
        error,
    })
}

/// The image an `.rcoin` file encodes, in 8-bit RGB: the SIREN rendered on the image's pixel
/// grid ([`SirenWeights::render`]), each channel `round(255 v)`.
pub fn render(image: &CoinImage) -> Rgb8 {
    Rgb8 {
        height: image.height,
        width: image.width,
        data: to_rgb8(&image.weights.render(image.height, image.width)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::FormatError;

    /// Every fourth value of a `[2, 6, 3]` SIREN kept (the bitmap encoding).
    fn weights() -> SirenWeights {
        let widths = vec![2, 6, 3];
        let flat: Vec<f32> = (0..crate::siren::num_params_of(&widths))
            .map(|k| {
                if k % 4 == 0 {
                    0.1 * k as f32 - 1.0
                } else {
                    0.0
                }
            })
            .collect();
        SirenWeights::from_flat(30.0, widths, &flat).unwrap()
    }

    /// Result files get `0666` minus the umask (like `File::create`), not tempfile's `0600`.
    #[cfg(unix)]
    #[test]
    fn files_are_created_with_the_umask_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (atomic, plain) = (dir.path().join("a"), dir.path().join("b"));
        write_atomic(&atomic, b"x").unwrap();
        std::fs::write(&plain, b"x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&atomic), mode(&plain));
        assert_ne!(mode(&atomic), 0o600, "the usual umask 022 gives 0644");
    }

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
        assert!(write_atomic(&dir.path().join("missing/out.txt"), b"x").is_err());
    }

    #[test]
    fn file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.rcoin");
        let w = weights();
        let size = write_coin(&path, 5, 6, &w).unwrap();
        assert_eq!(size, std::fs::metadata(&path).unwrap().len());
        let img = read_coin(&path).unwrap();
        assert_eq!(render(&img).data.len(), 5 * 6 * 3);
        std::fs::write(&path, b"hello").unwrap();
        let e = read_coin(&path).unwrap_err().to_string();
        assert!(
            e.contains("a.rcoin") && e.contains("not a rein COIN"),
            "{e}"
        );
        let e = read_coin(&dir.path().join("none.rcoin")).unwrap_err();
        assert!(matches!(e, CoinError::Read { .. }), "{e:?}");
        assert!(e.to_string().contains("none.rcoin"), "{e}");
        let e = write_coin(&dir.path().join("missing/b.rcoin"), 5, 6, &w).unwrap_err();
        assert!(matches!(e, CoinError::Write { .. }), "{e:?}");
        assert!(e.to_string().contains("b.rcoin"), "{e}");
        let e = write_coin(&dir.path().join("big.rcoin"), 70_000, 6, &w).unwrap_err();
        assert!(e.to_string().contains("big.rcoin"), "{e}");
        assert!(e.to_string().contains("invalid image size"), "{e}");
        assert!(!dir.path().join("big.rcoin").exists());
    }

    #[test]
    fn damaged_body_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let good = format::encode(5, 6, &weights()).unwrap();
        let read = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            let e = read_coin(&path).unwrap_err();
            let CoinError::Format { path: named, error } = &e else {
                panic!("{name}: expected a format error, got {e:?}");
            };
            assert_eq!(named, &path);
            assert!(
                e.to_string().starts_with(&path.display().to_string()),
                "{e}"
            );
            (error.clone(), e.to_string())
        };
        // Cut inside the values.
        let (error, text) = read("cut.rcoin", &good[..good.len() - 7]);
        assert!(
            matches!(error, FormatError::Truncated { expected, found }
                if expected == good.len() as u64 && found == good.len() as u64 - 7),
            "{text}"
        );
        assert!(text.contains("truncated"), "{text}");
        // One bit flipped in every byte of the body in turn (after magic, version and length).
        for at in 6..good.len() - 4 {
            let mut flipped = good.clone();
            flipped[at] ^= 0x04;
            let (error, text) = read("flipped.rcoin", &flipped);
            assert!(
                matches!(error, FormatError::Checksum { .. }),
                "{at}: {text}"
            );
            assert!(text.contains("corrupt: CRC-32 mismatch"), "{text}");
        }
    }
}
