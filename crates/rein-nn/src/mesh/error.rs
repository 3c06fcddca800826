//! Errors of mesh reading and mesh geometry.

use std::path::PathBuf;

/// An error while reading a mesh file or computing its geometry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MeshError {
    /// The file could not be read.
    #[error("cannot read mesh {}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid `.off` triangle mesh.
    #[error("{}:{line}: {reason}", file.display())]
    Parse {
        /// The file (or a source name).
        file: PathBuf,
        /// 1-based line number (0: the end of the file).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The mesh cannot be used (a bad face, a vertex without neighbours, degenerate geometry).
    #[error("invalid mesh: {0}")]
    Invalid(String),
}
