//! The one communication trait of data-parallel training, and its single-process implementation.
//!
//! Every collective that rein needs is an all-gather with variable counts; reductions are built
//! on it by summing the gathered contributions **in rank order** on every rank
//! ([`all_reduce_mean`]). That costs `size` times the bandwidth of a tree all-reduce, but the
//! result is bitwise identical on every rank whatever the MPI implementation's reduction order,
//! which is what keeps the replicas' parameters (and multipliers) identical bit for bit.

use crate::error::{ReinError, Result};

/// Collective communication among the ranks of a data-parallel run.
///
/// Every rank must call the same collectives in the same order; a rank that cannot continue
/// must call [`abort`](Communicator::abort) rather than return, or the others would wait
/// forever in their next collective.
pub trait Communicator {
    /// This process's rank in `0..size`.
    fn rank(&self) -> usize;

    /// Number of ranks.
    fn size(&self) -> usize;

    /// Every rank's `send` (lengths may differ), in rank order.
    fn all_gather_f64(&self, send: &[f64]) -> Result<Vec<Vec<f64>>>;

    /// Every rank's `send` (lengths may differ), in rank order.
    fn all_gather_u64(&self, send: &[u64]) -> Result<Vec<Vec<u64>>>;

    /// Ends every rank of the run with exit code `code` after printing `reason` (MPI_Abort).
    /// The single-process implementation exits the process.
    fn abort(&self, code: i32, reason: &str) -> !;
}

/// A run of one rank: collectives return the local data.
#[derive(Debug, Clone, Copy, Default)]
pub struct SingleProcess;

impl Communicator for SingleProcess {
    fn rank(&self) -> usize {
        0
    }

    fn size(&self) -> usize {
        1
    }

    fn all_gather_f64(&self, send: &[f64]) -> Result<Vec<Vec<f64>>> {
        Ok(vec![send.to_vec()])
    }

    fn all_gather_u64(&self, send: &[u64]) -> Result<Vec<Vec<u64>>> {
        Ok(vec![send.to_vec()])
    }

    fn abort(&self, code: i32, reason: &str) -> ! {
        eprintln!("rein: aborting: {reason}");
        std::process::exit(code)
    }
}

/// `n` in-process ranks on threads (one [`ThreadRank`] per thread): the same collectives as MPI,
/// for tests and for debugging a data-parallel setup without `mpirun`.
#[derive(Debug)]
pub struct ThreadGroup;

impl ThreadGroup {
    /// The communicators of `n` ranks; move rank `r`'s into thread `r`.
    ///
    /// # Panics
    /// If `n == 0`.
    pub fn ranks(n: usize) -> Vec<ThreadRank> {
        assert!(n > 0, "a thread group needs at least one rank");
        let shared = std::sync::Arc::new(Shared {
            slots: std::sync::Mutex::new(vec![Slot::Empty; n]),
            barrier: std::sync::Barrier::new(n),
        });
        (0..n)
            .map(|rank| ThreadRank {
                rank,
                size: n,
                shared: shared.clone(),
            })
            .collect()
    }
}

#[derive(Debug, Clone)]
enum Slot {
    Empty,
    F64(Vec<f64>),
    U64(Vec<u64>),
}

#[derive(Debug)]
struct Shared {
    slots: std::sync::Mutex<Vec<Slot>>,
    barrier: std::sync::Barrier,
}

/// One rank of a [`ThreadGroup`].
#[derive(Debug)]
pub struct ThreadRank {
    rank: usize,
    size: usize,
    shared: std::sync::Arc<Shared>,
}

impl ThreadRank {
    fn gather(&self, mine: Slot) -> Vec<Slot> {
        self.shared.slots.lock().expect("thread group poisoned")[self.rank] = mine;
        self.shared.barrier.wait();
        let all = self
            .shared
            .slots
            .lock()
            .expect("thread group poisoned")
            .clone();
        // Nobody overwrites a slot before everyone has read it.
        self.shared.barrier.wait();
        all
    }
}

impl Communicator for ThreadRank {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn all_gather_f64(&self, send: &[f64]) -> Result<Vec<Vec<f64>>> {
        self.gather(Slot::F64(send.to_vec()))
            .into_iter()
            .map(|s| match s {
                Slot::F64(v) => Ok(v),
                _ => Err(mismatch(
                    "all_gather_f64",
                    "ranks called different collectives".into(),
                )),
            })
            .collect()
    }

    fn all_gather_u64(&self, send: &[u64]) -> Result<Vec<Vec<u64>>> {
        self.gather(Slot::U64(send.to_vec()))
            .into_iter()
            .map(|s| match s {
                Slot::U64(v) => Ok(v),
                _ => Err(mismatch(
                    "all_gather_u64",
                    "ranks called different collectives".into(),
                )),
            })
            .collect()
    }

    fn abort(&self, code: i32, reason: &str) -> ! {
        panic!("rank {} aborted with code {code}: {reason}", self.rank)
    }
}

/// Replaces `values` by the element-wise mean over ranks, summed in rank order (identical bits
/// on every rank). Errors if the ranks' lengths differ, naming `what`.
pub fn all_reduce_mean(comm: &dyn Communicator, values: &mut [f64], what: &str) -> Result<()> {
    if comm.size() == 1 {
        return Ok(());
    }
    let gathered = comm.all_gather_f64(values)?;
    if let Some((rank, v)) = gathered
        .iter()
        .enumerate()
        .find(|(_, v)| v.len() != values.len())
    {
        return Err(mismatch(
            what,
            format!(
                "rank {} has {} values, rank {rank} has {}",
                comm.rank(),
                values.len(),
                v.len()
            ),
        ));
    }
    let n = gathered.len() as f64;
    for (k, out) in values.iter_mut().enumerate() {
        let mut sum = 0.0;
        for v in &gathered {
            sum += v[k];
        }
        *out = sum / n;
    }
    Ok(())
}

/// Checks that every rank passes the same `fingerprint` (e.g. a hash of its configuration);
/// otherwise an error naming the ranks that disagree with rank 0.
pub fn ensure_same_on_all_ranks(
    comm: &dyn Communicator,
    what: &str,
    fingerprint: u64,
) -> Result<()> {
    let all = comm.all_gather_u64(&[fingerprint])?;
    let first = all.first().and_then(|v| v.first()).copied();
    let differing: Vec<usize> = all
        .iter()
        .enumerate()
        .filter(|(_, v)| v.first().copied() != first)
        .map(|(r, _)| r)
        .collect();
    if differing.is_empty() {
        Ok(())
    } else {
        Err(mismatch(
            what,
            format!("ranks {differing:?} differ from rank 0 (fingerprints {all:?})"),
        ))
    }
}

/// FNV-1a of `bytes`: a stable fingerprint for [`ensure_same_on_all_ranks`].
pub fn fingerprint(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

pub(crate) fn mismatch(what: &str, reason: String) -> ReinError {
    ReinError::Distributed {
        what: what.to_string(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_group_gathers_in_rank_order_and_detects_mismatches() {
        let ranks = ThreadGroup::ranks(3);
        let results: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = ranks
                .into_iter()
                .map(|c| {
                    s.spawn(move || {
                        let r = c.rank() as f64;
                        let mut v = vec![r, 10.0 * r];
                        all_reduce_mean(&c, &mut v, "v").unwrap();
                        let same = ensure_same_on_all_ranks(&c, "config", c.rank() as u64 / 2);
                        (v, same.map_err(|e| e.to_string()))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (v, same) in results {
            assert_eq!(v, vec![1.0, 10.0]);
            let err = same.unwrap_err();
            assert!(err.contains("config") && err.contains("[2]"), "{err}");
        }
    }

    #[test]
    fn single_process_collectives_are_the_identity() {
        let c = SingleProcess;
        let mut v = vec![1.0, 2.5];
        all_reduce_mean(&c, &mut v, "x").unwrap();
        assert_eq!(v, vec![1.0, 2.5]);
        assert_eq!(c.all_gather_u64(&[3]).unwrap(), vec![vec![3]]);
        ensure_same_on_all_ranks(&c, "config", 7).unwrap();
        assert_ne!(fingerprint(b"lr=0.1"), fingerprint(b"lr=0.2"));
    }
}
