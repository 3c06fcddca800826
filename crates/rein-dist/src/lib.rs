//! Data-parallel rein over MPI (docs/shampoo.md, "Distributed"; README, "Data-parallel training").
//!
//! `MpiCommunicator` (feature `mpi`) implements [`rein::dist::Communicator`] over an MPI
//! communicator, so [`rein::dist::DataParallel`] and [`rein::dist::DistributedCmp`] run under
//! `mpirun -np N`. Collectives are `MPI_Allgather` of the counts followed by `MPI_Allgatherv`;
//! rein sums the gathered values in rank order, so every rank computes identical bits.
//!
//! A failure on one rank must not leave the others waiting in a collective: call
//! [`rein::dist::Communicator::abort`] (MPI_Abort), which ends every rank and makes `mpirun`
//! exit non-zero. [`run_or_abort`] does that for a fallible closure.
//!
//! `dp-check` (a binary of this crate, feature `mpi`) trains the digits MLP under a constraint on
//! `N` ranks and on one, and compares (`crates/rein-dist/tests/mpirun.rs` runs it under
//! `mpirun -np 2`).

#[cfg(feature = "mpi")]
mod mpi_comm;

#[cfg(feature = "mpi")]
pub use mpi_comm::MpiCommunicator;

use rein::dist::Communicator;

/// Runs `f`; on error prints it with the rank and aborts every rank (exit code 3), so that no
/// rank is left blocked in a collective.
pub fn run_or_abort<T>(comm: &dyn Communicator, f: impl FnOnce() -> rein::Result<T>) -> T {
    match f() {
        Ok(v) => v,
        Err(e) => comm.abort(3, &format!("rank {}: {e}", comm.rank())),
    }
}
