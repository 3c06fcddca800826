//! A classification data set whose rows also belong to groups: a protected attribute (sex,
//! race) or, as in the Balancing Act experiments on digits, the class itself.

use crate::error::DataError;

use super::{Dataset, Split};

/// A [`Dataset`] plus one group id per row.
///
/// `groups[i] < names.len()` names the group of row `i`. Build values through
/// [`Grouped::new`] (which checks that) or [`Grouped::by_class`].
#[derive(Debug, Clone, PartialEq)]
pub struct Grouped {
    /// The rows, features and labels.
    pub data: Dataset,
    /// The group of each row (`groups.len() == data.n`).
    pub groups: Vec<usize>,
    /// A readable name per group (`"female"`, `"class 3"`, ...).
    pub names: Vec<String>,
}

/// A grouped train/test split.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupedSplit {
    /// Training rows with their groups.
    pub train: Grouped,
    /// Test rows with their groups.
    pub test: Grouped,
}

impl Grouped {
    /// Pairs `data` with `groups`, checking one group per row and every group id below
    /// `names.len()`.
    ///
    /// # Errors
    /// [`DataError::Shape`] when the lengths disagree or a group id is out of range.
    pub fn new(data: Dataset, groups: Vec<usize>, names: Vec<String>) -> Result<Self, DataError> {
        if groups.len() != data.n {
            return Err(DataError::Shape(format!(
                "{} group ids for {} rows",
                groups.len(),
                data.n
            )));
        }
        if let Some((i, &g)) = groups.iter().enumerate().find(|&(_, &g)| g >= names.len()) {
            return Err(DataError::Shape(format!(
                "group {g} of row {i} is not below the group count {}",
                names.len()
            )));
        }
        Ok(Self {
            data,
            groups,
            names,
        })
    }

    /// The classes as groups (`"class 0"`, `"class 1"`, ...).
    pub fn by_class(data: Dataset) -> Self {
        let groups = data.labels.clone();
        let names = (0..data.classes).map(|c| format!("class {c}")).collect();
        Self {
            data,
            groups,
            names,
        }
    }

    /// Number of groups.
    pub fn group_count(&self) -> usize {
        self.names.len()
    }

    /// Rows of each group (length [`Grouped::group_count`]).
    pub fn group_sizes(&self) -> Vec<usize> {
        let mut sizes = vec![0; self.names.len()];
        for &g in &self.groups {
            sizes[g] += 1;
        }
        sizes
    }

    /// The rows `indices` with their groups (same group names).
    ///
    /// # Panics
    /// If an index is `>= data.n`.
    pub fn subset(&self, indices: &[usize]) -> Self {
        Self {
            data: self.data.subset(indices),
            groups: indices.iter().map(|&i| self.groups[i]).collect(),
            names: self.names.clone(),
        }
    }

    /// The seeded split of [`Dataset::split`] (stratified by class), carrying the groups along.
    ///
    /// # Errors
    /// As [`Dataset::split`].
    pub fn split(&self, test_fraction: f64, seed: u64) -> Result<GroupedSplit, DataError> {
        let Split {
            train_indices,
            test_indices,
            ..
        } = self.data.split(test_fraction, seed)?;
        Ok(GroupedSplit {
            train: self.subset(&train_indices),
            test: self.subset(&test_indices),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> Dataset {
        let labels = vec![0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
        let features = (0..10).map(|i| i as f32).collect();
        Dataset::new(features, labels, 1, 2).unwrap()
    }

    #[test]
    fn new_checks_lengths_and_ids() {
        let names = vec!["a".to_string(), "b".to_string()];
        assert!(Grouped::new(data(), vec![0; 9], names.clone()).is_err());
        let e = Grouped::new(data(), vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 2], names.clone());
        assert!(format!("{}", e.unwrap_err()).contains("group 2 of row 9"));
        let g = Grouped::new(data(), vec![0, 0, 0, 0, 0, 0, 0, 0, 1, 1], names).unwrap();
        assert_eq!(g.group_sizes(), vec![8, 2]);
    }

    #[test]
    fn split_carries_each_rows_group() {
        let g = Grouped::new(
            data(),
            (0..10).map(|i| usize::from(i >= 7)).collect(),
            vec!["low".into(), "high".into()],
        )
        .unwrap();
        let s = g.split(0.4, 3).unwrap();
        assert_eq!(s.train.data.n + s.test.data.n, 10);
        for part in [&s.train, &s.test] {
            for (row, &group) in part.groups.iter().enumerate() {
                // The feature is the original row index.
                let original = part.data.row(row)[0] as usize;
                assert_eq!(group, usize::from(original >= 7));
            }
        }
        assert_eq!(Grouped::by_class(data()).group_sizes(), vec![5, 5]);
    }
}
