//! Per-group replay buffers of correctness bits: the strict (accuracy) side of the
//! excess-gap constraints (Hashemizadeh et al. 2024, "Balancing Act", section on replay
//! buffers).

/// For every group, the last `capacity` correctness bits (`1` = the sparse model classified
/// the row right) of that group's training rows seen in the minibatches, oldest overwritten
/// first.
///
/// ```text
/// A^_g = hits_g / capacity        only once group g's buffer is full
/// ```
///
/// A group whose buffer is not yet full has no estimate ([`ReplayBuffer::accuracy`] is `None`):
/// its multiplier is not updated. Pushing and reading cost O(1) per row, whatever the number of
/// groups.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReplayBuffer {
    capacity: usize,
    slots: Vec<bool>,
    len: Vec<usize>,
    head: Vec<usize>,
    hits: Vec<usize>,
}

impl ReplayBuffer {
    /// Empty buffers for `groups` groups, each holding `capacity >= 1` bits.
    ///
    /// # Panics
    /// If `capacity == 0` (the recipe's configuration rejects it first, naming `buffer`).
    pub fn new(groups: usize, capacity: usize) -> Self {
        assert!(capacity > 0, "a replay buffer needs a positive capacity");
        Self {
            capacity,
            slots: vec![false; groups * capacity],
            len: vec![0; groups],
            head: vec![0; groups],
            hits: vec![0; groups],
        }
    }

    /// Bits per group.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Number of groups.
    pub fn groups(&self) -> usize {
        self.len.len()
    }

    /// Records one correctness bit of group `group`, dropping its oldest bit when full.
    ///
    /// # Panics
    /// If `group >= groups()`.
    pub fn push(&mut self, group: usize, correct: bool) {
        let base = group * self.capacity;
        if self.len[group] < self.capacity {
            self.slots[base + self.len[group]] = correct;
            self.len[group] += 1;
        } else {
            let slot = base + self.head[group];
            if self.slots[slot] {
                self.hits[group] -= 1;
            }
            self.slots[slot] = correct;
            self.head[group] = (self.head[group] + 1) % self.capacity;
        }
        if correct {
            self.hits[group] += 1;
        }
    }

    /// Whether group `group` holds `capacity` bits.
    pub fn is_full(&self, group: usize) -> bool {
        self.len[group] == self.capacity
    }

    /// Bits currently held for `group`.
    pub fn len(&self, group: usize) -> usize {
        self.len[group]
    }

    /// Whether no group holds any bit.
    pub fn is_empty(&self) -> bool {
        self.len.iter().all(|&l| l == 0)
    }

    /// The accuracy over the buffer of `group`, once it is full.
    pub fn accuracy(&self, group: usize) -> Option<f64> {
        self.is_full(group)
            .then(|| self.hits[group] as f64 / self.capacity as f64)
    }

    /// The accuracy over the bits held so far (full or not), `None` when empty.
    pub fn partial_accuracy(&self, group: usize) -> Option<f64> {
        (self.len[group] > 0).then(|| self.hits[group] as f64 / self.len[group] as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_full_buffers_give_an_estimate() {
        let mut b = ReplayBuffer::new(2, 3);
        b.push(0, true);
        b.push(0, false);
        assert_eq!(b.accuracy(0), None);
        assert_eq!(b.partial_accuracy(0), Some(0.5));
        b.push(0, true);
        assert_eq!(b.accuracy(0), Some(2.0 / 3.0));
        assert!(b.is_full(0) && !b.is_full(1));
        assert_eq!(b.accuracy(1), None);
        assert_eq!(b.partial_accuracy(1), None);
    }

    #[test]
    fn bits_roll_over_oldest_first() {
        let mut b = ReplayBuffer::new(1, 3);
        for bit in [true, true, true] {
            b.push(0, bit);
        }
        assert_eq!(b.accuracy(0), Some(1.0));
        b.push(0, false); // drops the first `true`
        assert_eq!(b.accuracy(0), Some(2.0 / 3.0));
        b.push(0, false);
        b.push(0, false);
        assert_eq!(b.accuracy(0), Some(0.0));
        b.push(0, true); // drops a `false`
        assert_eq!(b.accuracy(0), Some(1.0 / 3.0));
        assert_eq!(b.len(0), 3);
    }

    #[test]
    fn rolling_hits_match_a_recount() {
        // A long pseudo-random stream: the O(1) count equals a recount of the last k bits.
        let (k, mut state) = (7usize, 12345u64);
        let mut b = ReplayBuffer::new(3, k);
        let mut all: Vec<Vec<bool>> = vec![Vec::new(); 3];
        for _ in 0..500 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let g = (state >> 33) as usize % 3;
            let bit = (state >> 20) & 1 == 1;
            b.push(g, bit);
            all[g].push(bit);
            let tail = &all[g][all[g].len().saturating_sub(k)..];
            let expect =
                (tail.len() == k).then(|| tail.iter().filter(|&&x| x).count() as f64 / k as f64);
            assert_eq!(b.accuracy(g), expect);
        }
    }
}
