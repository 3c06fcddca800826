//! Group membership of the rows of a batch (a protected attribute, a class, a region...).

use burn::tensor::{Int, Tensor};

use super::predictions::{CONTEXT, invalid};
use crate::error::{ReinError, Result};

/// One group id in `0..count` per row of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Groups {
    ids: Vec<usize>,
    count: usize,
}

impl Groups {
    /// Group ids (one per row) among `count` groups. Errors when `count` is zero or an id is
    /// `>= count`.
    pub fn new(ids: &[usize], count: usize) -> Result<Self> {
        if count == 0 {
            return Err(invalid("the number of groups must be positive".into()));
        }
        if let Some((row, &id)) = ids.iter().enumerate().find(|(_, id)| **id >= count) {
            return Err(ReinError::IndexOutOfRange {
                constraint: format!("{CONTEXT} (group id of row {row})"),
                index: id,
                size: count,
            });
        }
        Ok(Self {
            ids: ids.to_vec(),
            count,
        })
    }

    /// Group ids from an integer tensor `[b]`. Errors as [`Groups::new`], and on negative ids.
    pub fn from_tensor(ids: Tensor<1, Int>, count: usize) -> Result<Self> {
        let values = ids
            .to_data()
            .convert::<i64>()
            .try_into_vec::<i64>()
            .map_err(|e| invalid(format!("group ids cannot be read as integers: {e:?}")))?;
        let ids = values
            .iter()
            .enumerate()
            .map(|(row, &v)| {
                usize::try_from(v)
                    .map_err(|_| invalid(format!("group id of row {row} is negative ({v})")))
            })
            .collect::<Result<Vec<_>>>()?;
        Self::new(&ids, count)
    }

    /// Number of groups `G`.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The group id of every row.
    pub fn ids(&self) -> &[usize] {
        &self.ids
    }

    /// The groups with at least one row, ascending.
    pub fn present(&self) -> Vec<usize> {
        let mut seen = vec![false; self.count];
        for &g in &self.ids {
            seen[g] = true;
        }
        (0..self.count).filter(|&g| seen[g]).collect()
    }

    /// The 0/1 host mask of group `g`.
    pub fn mask(&self, g: usize) -> Vec<f64> {
        self.ids
            .iter()
            .map(|&id| if id == g { 1.0 } else { 0.0 })
            .collect()
    }
}
