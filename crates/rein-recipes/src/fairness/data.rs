//! The grouped data sets of the fairness recipe and the generated two-population mixture.
//!
//! To add a data set (Adult, COMPAS: a loader returning a [`GroupedSplit`] with a protected
//! attribute), add its variant to [`FairnessDataset`] and one arm to
//! [`FairnessDataset::load_grouped`] (and to [`FairnessDataset::natural_groups`] if its
//! default grouping is not the class).

use std::path::Path;

use rein_nn::data::synthetic::gaussian_mixture;
use rein_nn::{
    Adult, Compas, Dataset, Digits, Grouped, GroupedSplit, Mnist, MnistVariant, Protected,
};
use serde::{Deserialize, Serialize};

use crate::error::{RecipeError, Result};

/// A data set of the fairness recipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FairnessDataset {
    /// The bundled 8x8 digits, groups = classes; 20 % held out (seeded, stratified).
    #[default]
    Digits,
    /// The generated two-population Gaussian mixture ([`population_mixture`]), groups =
    /// majority / minority (or the classes); 20 % held out.
    Mixture,
    /// Fashion-MNIST (60k/10k), groups = classes; fetch first: `rein data fetch fashion-mnist`.
    FashionMnist,
    /// UCI Adult (32561/16281, income > 50K), groups = sex (or race); fetch first:
    /// `rein data fetch adult` (docs/data.md).
    Adult,
    /// ProPublica's COMPAS (6172 rows after the standard filter, two-year recidivism; 20 % held
    /// out, seeded), groups = race (or sex); fetch first: `rein data fetch compas`.
    Compas,
}

/// What the groups are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupsBy {
    /// The data set's natural grouping ([`FairnessDataset::natural_groups`]); a resolved
    /// configuration names it.
    #[default]
    Auto,
    /// The classes.
    Class,
    /// The generated populations of the mixture (majority, minority).
    Population,
    /// The protected attribute sex (tabular data sets).
    Sex,
    /// The protected attribute race (tabular data sets).
    Race,
}

impl GroupsBy {
    /// The kebab-case name (as in configuration files).
    pub fn name(self) -> &'static str {
        match self {
            GroupsBy::Auto => "auto",
            GroupsBy::Class => "class",
            GroupsBy::Population => "population",
            GroupsBy::Sex => "sex",
            GroupsBy::Race => "race",
        }
    }
}

impl FairnessDataset {
    /// The kebab-case name (as in configuration files).
    pub fn name(self) -> &'static str {
        match self {
            FairnessDataset::Digits => "digits",
            FairnessDataset::Mixture => "mixture",
            FairnessDataset::FashionMnist => "fashion-mnist",
            FairnessDataset::Adult => "adult",
            FairnessDataset::Compas => "compas",
        }
    }

    /// The grouping `groups = "auto"` stands for.
    pub fn natural_groups(self) -> GroupsBy {
        match self {
            FairnessDataset::Mixture => GroupsBy::Population,
            FairnessDataset::Digits | FairnessDataset::FashionMnist => GroupsBy::Class,
            FairnessDataset::Adult => GroupsBy::Sex,
            FairnessDataset::Compas => GroupsBy::Race,
        }
    }

    /// The groupings this data set has.
    pub fn supported_groups(self) -> &'static [GroupsBy] {
        match self {
            FairnessDataset::Mixture => &[GroupsBy::Population, GroupsBy::Class],
            FairnessDataset::Digits | FairnessDataset::FashionMnist => &[GroupsBy::Class],
            FairnessDataset::Adult | FairnessDataset::Compas => &[GroupsBy::Sex, GroupsBy::Race],
        }
    }

    /// `groups` with `auto` replaced by the natural grouping.
    pub fn resolve(self, groups: GroupsBy) -> GroupsBy {
        if groups == GroupsBy::Auto {
            self.natural_groups()
        } else {
            groups
        }
    }

    /// Loads the train/test split with its groups; `dir` holds the fetched data sets
    /// (`<dir>/fashion-mnist`), `seed` seeds the split of the data sets without a fixed one.
    /// A grouping the data set does not have is an error naming `groups`.
    pub fn load_grouped(
        self,
        groups: GroupsBy,
        dir: &Path,
        mixture: &MixtureSpec,
        seed: u64,
    ) -> Result<GroupedSplit> {
        let groups = self.resolve(groups);
        if !self.supported_groups().contains(&groups) {
            let have: Vec<&str> = self.supported_groups().iter().map(|g| g.name()).collect();
            return Err(RecipeError::config(
                "groups",
                format!(
                    "`{}`: the {} data set has groups {}",
                    groups.name(),
                    self.name(),
                    have.join(", ")
                ),
            ));
        }
        let by_class = |split: rein_nn::Split| GroupedSplit {
            train: Grouped::by_class(split.train),
            test: Grouped::by_class(split.test),
        };
        Ok(match (self, groups) {
            (FairnessDataset::Digits, _) => by_class(Digits::load_bundled()?.split(0.2, seed)?),
            (FairnessDataset::FashionMnist, _) => by_class(Mnist::load(
                dir.join("fashion-mnist"),
                MnistVariant::FashionMnist,
            )?),
            (FairnessDataset::Mixture, GroupsBy::Class) => {
                let g = population_mixture(mixture, seed)?;
                Grouped::by_class(g.data).split(0.2, seed)?
            }
            (FairnessDataset::Mixture, _) => population_mixture(mixture, seed)?.split(0.2, seed)?,
            (FairnessDataset::Adult, g) => Adult::load(dir.join("adult"), protected(g))?,
            (FairnessDataset::Compas, g) => Compas::load(dir.join("compas"), protected(g), seed)?,
        })
    }
}

/// The protected attribute of a tabular grouping (only `sex` and `race` reach here).
fn protected(groups: GroupsBy) -> Protected {
    if groups == GroupsBy::Race {
        Protected::Race
    } else {
        Protected::Sex
    }
}

/// The generated two-population mixture ([`population_mixture`]): its knobs, under
/// `[mixture]` in a configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MixtureSpec {
    /// Rows (train and test together; 20 % are held out).
    pub rows: usize,
    /// Share of the minority population, in `(0, 1)`.
    pub minority_share: f64,
    /// Classes (both populations, each balanced over them).
    pub classes: usize,
    /// Features.
    pub dim: usize,
    /// Standard deviation of the class means around the origin.
    pub separation: f64,
    /// Standard deviation of the rows around their class mean.
    pub std: f64,
    /// Shift of the minority's first feature (what tells the populations apart).
    pub shift: f64,
}

impl Default for MixtureSpec {
    fn default() -> Self {
        Self {
            rows: 4000,
            minority_share: 0.1,
            classes: 4,
            dim: 10,
            separation: 1.0,
            std: 1.0,
            shift: 4.0,
        }
    }
}

impl MixtureSpec {
    /// Checks every value; errors name the key under `mixture.`.
    pub fn check(&self) -> Result<()> {
        let bad =
            |key: &str, reason: String| Err(RecipeError::config(format!("mixture.{key}"), reason));
        if self.rows < 10 {
            return bad("rows", format!("{}: needs at least 10 rows", self.rows));
        }
        if !(self.minority_share > 0.0 && self.minority_share < 1.0) {
            return bad(
                "minority_share",
                format!("{}: must be in (0, 1)", self.minority_share),
            );
        }
        if self.classes < 2 {
            return bad(
                "classes",
                format!("{}: needs at least 2 classes", self.classes),
            );
        }
        if self.dim == 0 {
            return bad("dim", "must be positive".into());
        }
        for (key, v) in [
            ("separation", self.separation),
            ("std", self.std),
            ("shift", self.shift),
        ] {
            if !v.is_finite() || (key != "shift" && v < 0.0) {
                return bad(
                    key,
                    format!(
                        "{v}: must be finite{}",
                        if key == "shift" { "" } else { " and >= 0" }
                    ),
                );
            }
        }
        Ok(())
    }
}

/// Two populations sharing the classes but not their class-conditional distributions, with
/// `rows` rows of which a share `minority_share` form the minority:
///
/// ```text
/// majority (group 0): x | y=c ~ N(mu_c, std^2 I)            mu_c ~ N(0, separation^2 I)
/// minority (group 1): x | y=c ~ N(nu_c + shift e_1, std^2 I) nu_c ~ N(0, separation^2 I)
/// ```
///
/// the means drawn once, independently for the two populations (each balanced over the
/// classes). The minority's classes sit where the majority's rule does not hold, and only the
/// shifted first feature tells the populations apart: a model must spend capacity on the
/// interaction to serve the minority, and a heavily pruned one keeps what serves the
/// majority, so the minority's accuracy drops more (the disparate impact Balancing Act
/// constrains). Seeded (ChaCha8 through [`gaussian_mixture`]): the same seed gives the same
/// data.
pub fn population_mixture(spec: &MixtureSpec, seed: u64) -> Result<Grouped> {
    spec.check()?;
    let n = spec.rows;
    let minority = ((n as f64) * spec.minority_share).round().max(1.0) as usize;
    let k = spec.classes;
    let per_class = |rows: usize| -> Vec<usize> {
        (0..k)
            .map(|c| rows / k + usize::from(c < rows % k))
            .collect()
    };
    let major = gaussian_mixture(
        &per_class(n - minority),
        spec.dim,
        spec.separation,
        spec.std,
        seed,
    )?;
    let minor = gaussian_mixture(
        &per_class(minority),
        spec.dim,
        spec.separation,
        spec.std,
        seed ^ 0x9e37_79b9_7f4a_7c15,
    )?;
    let mut features = major.features().into_owned();
    features.extend(minor.features().iter().enumerate().map(|(i, &v)| {
        if i % spec.dim == 0 {
            v + spec.shift as f32
        } else {
            v
        }
    }));
    let mut labels = major.labels;
    labels.extend(&minor.labels);
    let groups = (0..n).map(|i| usize::from(i >= n - minority)).collect();
    let data = Dataset::new(features, labels, spec.dim, k)?;
    Ok(Grouped::new(
        data,
        groups,
        vec!["majority".into(), "minority".into()],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixture_has_a_ten_percent_minority_and_is_seeded() {
        let spec = MixtureSpec {
            rows: 1000,
            ..MixtureSpec::default()
        };
        let g = population_mixture(&spec, 3).unwrap();
        assert_eq!(g.group_sizes(), vec![900, 100]);
        assert_eq!(g.data.class_counts(), vec![250; 4]);
        assert_eq!(g, population_mixture(&spec, 3).unwrap());
        assert_ne!(g, population_mixture(&spec, 4).unwrap());
        // Only the first feature of the minority is shifted.
        let mean = |group: usize, col: usize| {
            let rows: Vec<usize> = (0..g.data.n).filter(|&i| g.groups[i] == group).collect();
            rows.iter().map(|&i| g.data.row(i)[col] as f64).sum::<f64>() / rows.len() as f64
        };
        assert!(
            mean(1, 0) - mean(0, 0) > 2.0,
            "{} {}",
            mean(1, 0),
            mean(0, 0)
        );
        let bad = MixtureSpec {
            minority_share: 1.5,
            ..spec
        };
        let e = population_mixture(&bad, 0).unwrap_err();
        assert!(e.to_string().contains("mixture.minority_share"), "{e}");
    }

    #[test]
    fn unsupported_grouping_names_the_key() {
        let e = FairnessDataset::Digits
            .load_grouped(GroupsBy::Sex, Path::new("."), &MixtureSpec::default(), 0)
            .unwrap_err();
        assert!(e.to_string().contains("`groups`"), "{e}");
    }
}
