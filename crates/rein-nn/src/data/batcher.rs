//! Seeded, resumable minibatching over sample indices.

use crate::error::DataError;
use crate::rng;

/// A minibatch: the indices of its samples (rows of the data set) and the epoch it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Epoch (0-based) this batch was drawn from.
    pub epoch: u64,
    /// Row indices of the samples, in batch order.
    pub indices: Vec<usize>,
}

/// The position of a [`Batcher`], as plain integers that can be written to a checkpoint.
///
/// Restoring it with [`Batcher::from_state`] or [`Batcher::set_state`] makes the batcher
/// produce exactly the batches it would have produced next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BatcherState {
    /// Number of samples the batcher draws from.
    pub n: u64,
    /// Batch size.
    pub batch_size: u64,
    /// Base seed of the shuffles.
    pub seed: u64,
    /// Current epoch (0-based).
    pub epoch: u64,
    /// Number of samples of the current epoch's permutation already handed out.
    pub cursor: u64,
    /// Whether a final short batch of an epoch is dropped (`1`) or yielded (`0`).
    pub drop_last: u64,
}

/// Shuffled minibatches of the indices `0..n`, epoch after epoch.
///
/// The order within epoch `e` is a Fisher-Yates shuffle driven by a ChaCha8 generator seeded
/// with `seed` on stream `e`, so it is a pure function of `(n, seed, e)`: the whole position of
/// the batcher is `(seed, epoch, cursor)` (see [`BatcherState`]) and no generator state needs
/// saving. Each epoch visits every index exactly once; its last batch is shorter when
/// `batch_size` does not divide `n`, unless `drop_last` is set.
#[derive(Debug, Clone)]
pub struct Batcher {
    n: usize,
    batch_size: usize,
    seed: u64,
    drop_last: bool,
    epoch: u64,
    cursor: usize,
    order: Vec<usize>,
}

impl Batcher {
    /// A batcher over `0..n` at the start of epoch 0.
    ///
    /// # Errors
    /// [`DataError::InvalidArgument`] if `n == 0` or `batch_size == 0`.
    pub fn new(n: usize, batch_size: usize, seed: u64) -> Result<Self, DataError> {
        if n == 0 {
            return Err(DataError::InvalidArgument {
                name: "n",
                reason: "cannot batch an empty data set".into(),
            });
        }
        if batch_size == 0 {
            return Err(DataError::InvalidArgument {
                name: "batch_size",
                reason: "must be positive".into(),
            });
        }
        Ok(Self {
            n,
            batch_size,
            seed,
            drop_last: false,
            epoch: 0,
            cursor: 0,
            order: permutation(n, seed, 0),
        })
    }

    /// Drops the final, short batch of every epoch.
    ///
    /// # Errors
    /// [`DataError::InvalidArgument`] if `drop_last` and `batch_size > n` (no batch would ever
    /// be produced).
    pub fn with_drop_last(mut self, drop_last: bool) -> Result<Self, DataError> {
        if drop_last && self.batch_size > self.n {
            return Err(DataError::InvalidArgument {
                name: "drop_last",
                reason: format!(
                    "batch size {} exceeds the {} samples: no full batch",
                    self.batch_size, self.n
                ),
            });
        }
        self.drop_last = drop_last;
        Ok(self)
    }

    /// Rebuilds a batcher from a saved state.
    ///
    /// # Errors
    /// As [`Batcher::new`], and [`DataError::InvalidArgument`] if the cursor lies past the end
    /// of an epoch.
    pub fn from_state(state: BatcherState) -> Result<Self, DataError> {
        let n = to_usize(state.n, "n")?;
        let batch_size = to_usize(state.batch_size, "batch_size")?;
        let mut b = Self::new(n, batch_size, state.seed)?.with_drop_last(state.drop_last != 0)?;
        b.seek(state.epoch, to_usize(state.cursor, "cursor")?)?;
        Ok(b)
    }

    /// Moves this batcher to a saved position.
    ///
    /// # Errors
    /// [`DataError::StateMismatch`] if the state was saved for another `n` or `batch_size`;
    /// [`DataError::InvalidArgument`] if the cursor lies past the end of an epoch.
    pub fn set_state(&mut self, state: BatcherState) -> Result<(), DataError> {
        for (field, saved, current) in [
            ("n", state.n, self.n as u64),
            ("batch_size", state.batch_size, self.batch_size as u64),
        ] {
            if saved != current {
                return Err(DataError::StateMismatch {
                    field,
                    saved,
                    current,
                });
            }
        }
        if state.drop_last != 0 && self.batch_size > self.n {
            return Err(DataError::InvalidArgument {
                name: "drop_last",
                reason: "batch size exceeds the sample count: no full batch".into(),
            });
        }
        self.seed = state.seed;
        self.drop_last = state.drop_last != 0;
        self.seek(state.epoch, to_usize(state.cursor, "cursor")?)
    }

    /// The current position (see [`BatcherState`]).
    pub fn state(&self) -> BatcherState {
        BatcherState {
            n: self.n as u64,
            batch_size: self.batch_size as u64,
            seed: self.seed,
            epoch: self.epoch,
            cursor: self.cursor as u64,
            drop_last: u64::from(self.drop_last),
        }
    }

    /// The epoch the next batch comes from.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Number of samples drawn from.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Always `false`: a batcher has at least one sample.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The batch size.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Number of batches in a full epoch.
    pub fn batches_per_epoch(&self) -> usize {
        if self.drop_last {
            self.n / self.batch_size
        } else {
            self.n.div_ceil(self.batch_size)
        }
    }

    /// The next batch; after the last batch of an epoch the batcher moves on to the next one.
    pub fn next_batch(&mut self) -> Batch {
        let end = (self.cursor + self.batch_size).min(self.n);
        let batch = Batch {
            epoch: self.epoch,
            indices: self.order[self.cursor..end].to_vec(),
        };
        self.cursor = end;
        self.roll_over_if_done();
        batch
    }

    /// An iterator over the remaining batches of the current epoch. When it is exhausted the
    /// batcher stands at the start of the next epoch.
    pub fn epoch_iter(&mut self) -> EpochIter<'_> {
        EpochIter {
            epoch: self.epoch,
            batcher: self,
        }
    }

    fn seek(&mut self, epoch: u64, cursor: usize) -> Result<(), DataError> {
        if cursor > self.n {
            return Err(DataError::InvalidArgument {
                name: "cursor",
                reason: format!("{cursor} lies past the {} samples of an epoch", self.n),
            });
        }
        self.epoch = epoch;
        self.cursor = cursor;
        self.order = permutation(self.n, self.seed, epoch);
        self.roll_over_if_done();
        Ok(())
    }

    fn roll_over_if_done(&mut self) {
        let left = self.n - self.cursor;
        if left == 0 || (self.drop_last && left < self.batch_size) {
            self.epoch += 1;
            self.cursor = 0;
            self.order = permutation(self.n, self.seed, self.epoch);
        }
    }
}

/// The remaining batches of one epoch; see [`Batcher::epoch_iter`].
#[derive(Debug)]
pub struct EpochIter<'a> {
    batcher: &'a mut Batcher,
    epoch: u64,
}

impl Iterator for EpochIter<'_> {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        (self.batcher.epoch == self.epoch).then(|| self.batcher.next_batch())
    }
}

/// The order of `0..n` in epoch `epoch`.
fn permutation(n: usize, seed: u64, epoch: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    rng::shuffle(&mut rng::chacha(seed, epoch), &mut order);
    order
}

fn to_usize(v: u64, name: &'static str) -> Result<usize, DataError> {
    usize::try_from(v).map_err(|_| DataError::InvalidArgument {
        name,
        reason: format!("{v} does not fit in usize"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_covers_every_index_once() {
        let mut b = Batcher::new(10, 4, 3).unwrap();
        assert_eq!(b.batches_per_epoch(), 3);
        let batches: Vec<Batch> = b.epoch_iter().collect();
        assert_eq!(
            batches.iter().map(|x| x.indices.len()).collect::<Vec<_>>(),
            [4, 4, 2]
        );
        let mut seen: Vec<usize> = batches.iter().flat_map(|x| x.indices.clone()).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        assert_eq!(b.epoch(), 1);
        assert_eq!(b.state().cursor, 0);
    }

    #[test]
    fn epochs_differ_and_seeds_repeat() {
        let mut a = Batcher::new(50, 50, 9).unwrap();
        let mut b = Batcher::new(50, 50, 9).unwrap();
        let a0 = a.next_batch();
        let a1 = a.next_batch();
        assert_eq!((a0.epoch, a1.epoch), (0, 1));
        assert_ne!(a0.indices, a1.indices);
        assert_eq!(b.next_batch(), a0);
        assert_ne!(Batcher::new(50, 50, 10).unwrap().next_batch(), a0);
    }

    #[test]
    fn drop_last_skips_short_batches() {
        let mut b = Batcher::new(10, 4, 0)
            .unwrap()
            .with_drop_last(true)
            .unwrap();
        assert_eq!(b.batches_per_epoch(), 2);
        for _ in 0..6 {
            assert_eq!(b.next_batch().indices.len(), 4);
        }
        assert_eq!(b.epoch(), 3);
        assert!(Batcher::new(3, 4, 0).unwrap().with_drop_last(true).is_err());
    }

    #[test]
    fn resumed_batcher_sees_the_same_batches() {
        let mut reference = Batcher::new(37, 5, 42).unwrap();
        let expected: Vec<Batch> = (0..40).map(|_| reference.next_batch()).collect();
        for stop in [0, 1, 7, 8, 15, 23, 39] {
            let mut first = Batcher::new(37, 5, 42).unwrap();
            for want in &expected[..stop] {
                assert_eq!(&first.next_batch(), want);
            }
            let saved = first.state();
            drop(first);
            let mut resumed = Batcher::from_state(saved).unwrap();
            for want in &expected[stop..] {
                assert_eq!(&resumed.next_batch(), want, "resumed after {stop} batches");
            }
            let mut other = Batcher::new(37, 5, 0).unwrap();
            other.set_state(saved).unwrap();
            assert_eq!(other.next_batch(), expected[stop]);
        }
    }

    #[test]
    fn state_is_validated() {
        let mut b = Batcher::new(10, 2, 0).unwrap();
        let mut s = b.state();
        s.n = 11;
        assert!(matches!(
            b.set_state(s),
            Err(DataError::StateMismatch { field: "n", .. })
        ));
        let mut s = b.state();
        s.cursor = 11;
        assert!(b.set_state(s).is_err());
        assert!(Batcher::new(0, 2, 0).is_err());
        assert!(Batcher::new(2, 0, 0).is_err());
    }
}
