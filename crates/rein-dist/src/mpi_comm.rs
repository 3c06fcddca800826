//! [`rein::dist::Communicator`] over MPI.

use mpi::datatype::PartitionMut;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use rein::dist::Communicator as ReinCommunicator;
use rein::{ReinError, Result};

/// The world communicator of an MPI run (`mpirun -np N`). Keeps the MPI universe alive; MPI is
/// finalised when it is dropped.
pub struct MpiCommunicator {
    world: SimpleCommunicator,
    _universe: mpi::environment::Universe,
}

impl std::fmt::Debug for MpiCommunicator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "MpiCommunicator(rank {} of {})",
            self.rank(),
            self.size()
        )
    }
}

impl MpiCommunicator {
    /// Initialises MPI and takes the world communicator.
    ///
    /// # Errors
    /// If MPI was already initialised in this process.
    pub fn init() -> Result<Self> {
        let universe = mpi::initialize().ok_or_else(|| ReinError::Distributed {
            what: "MPI".into(),
            reason: "MPI is already initialised in this process".into(),
        })?;
        Ok(Self {
            world: universe.world(),
            _universe: universe,
        })
    }

    fn gather<T: Equivalence + Default + Clone>(&self, send: &[T]) -> Result<Vec<Vec<T>>> {
        let n = self.world.size() as usize;
        let count = mpi::Count::try_from(send.len()).map_err(|_| ReinError::Distributed {
            what: "all-gather".into(),
            reason: format!("{} values exceed MPI's count range", send.len()),
        })?;
        let mut counts = vec![0 as mpi::Count; n];
        self.world.all_gather_into(&count, &mut counts[..]);
        let displs: Vec<mpi::Count> = counts
            .iter()
            .scan(0, |acc, &c| {
                let d = *acc;
                *acc += c;
                Some(d)
            })
            .collect();
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        let mut buf = vec![T::default(); total];
        {
            let mut partition = PartitionMut::new(&mut buf[..], &counts[..], &displs[..]);
            self.world.all_gather_varcount_into(send, &mut partition);
        }
        let mut out = Vec::with_capacity(n);
        let mut offset = 0;
        for &c in &counts {
            out.push(buf[offset..offset + c as usize].to_vec());
            offset += c as usize;
        }
        Ok(out)
    }
}

impl ReinCommunicator for MpiCommunicator {
    fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    fn size(&self) -> usize {
        self.world.size() as usize
    }

    fn all_gather_f64(&self, send: &[f64]) -> Result<Vec<Vec<f64>>> {
        self.gather(send)
    }

    fn all_gather_u64(&self, send: &[u64]) -> Result<Vec<Vec<u64>>> {
        self.gather(send)
    }

    fn abort(&self, code: i32, reason: &str) -> ! {
        eprintln!(
            "rein: rank {} aborting the MPI run: {reason}",
            self.world.rank()
        );
        self.world.abort(code)
    }
}
