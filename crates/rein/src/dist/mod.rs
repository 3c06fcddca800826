//! Data-parallel constrained training (docs/shampoo.md, "Distributed"): a [`Communicator`] trait with a
//! [`SingleProcess`] implementation here and an MPI one in the `rein-dist` crate (feature `mpi`,
//! run under `mpirun -np N`), the [`DataParallel`] optimizer wrapper that averages gradients,
//! and the [`DistributedCmp`] problem wrapper that makes losses and violations global so every
//! rank holds identical multipliers. Works with every scheme and formulation, since it only
//! wraps the two things a scheme consumes.
//!
//! ```
//! use std::rc::Rc;
//! use rein::dist::{Communicator, SingleProcess, shard};
//!
//! let comm: Rc<dyn Communicator> = Rc::new(SingleProcess);
//! let batch: Vec<usize> = (0..8).collect();
//! assert_eq!(shard(&batch, comm.as_ref())?, &batch[..]); // rank r of N takes an equal slice
//! # Ok::<(), rein::ReinError>(())
//! ```

mod communicator;
mod data_parallel;

pub use communicator::{
    Communicator, SingleProcess, ThreadGroup, ThreadRank, all_reduce_mean,
    ensure_same_on_all_ranks, fingerprint,
};
pub(crate) use data_parallel::split_u64;
pub use data_parallel::{DataParallel, DistributedCmp, average_gradients, shard};
