//! Choosing the compute device at run time.

use burn::tensor::Device;

/// The devices this build of rein can run on; `flex` (pure-Rust CPU) is always available,
/// `tch` (LibTorch), `cuda` and `wgpu` only with the cargo feature of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    /// burn's pure-Rust CPU device (default).
    #[default]
    Flex,
    /// LibTorch CPU (feature `tch`).
    Tch,
    /// CUDA GPU 0 (feature `cuda`).
    Cuda,
    /// wgpu default adapter (feature `wgpu`).
    Wgpu,
}

impl std::str::FromStr for DeviceKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "flex" => Ok(Self::Flex),
            "tch" => Ok(Self::Tch),
            "cuda" => Ok(Self::Cuda),
            "wgpu" => Ok(Self::Wgpu),
            other => Err(format!(
                "unknown device `{other}` (expected flex, tch, cuda or wgpu)"
            )),
        }
    }
}

impl std::fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Flex => "flex",
            Self::Tch => "tch",
            Self::Cuda => "cuda",
            Self::Wgpu => "wgpu",
        })
    }
}

impl DeviceKind {
    /// The cargo feature that must be enabled for this device, if any.
    pub fn feature(self) -> Option<&'static str> {
        match self {
            Self::Flex => None,
            Self::Tch => Some("tch"),
            Self::Cuda => Some("cuda"),
            Self::Wgpu => Some("wgpu"),
        }
    }

    /// Opens the device (without autodiff), or explains which feature is missing.
    pub fn open(self) -> Result<Device, String> {
        match self {
            Self::Flex => Ok(Device::flex()),
            // burn 0.22 marks burn-tch deprecated (in favour of CubeCL backends); it is still the
            // way to run on LibTorch, which the side-by-side benchmarks compare against.
            #[cfg(feature = "tch")]
            #[allow(deprecated)]
            Self::Tch => Ok(Device::libtorch()),
            #[cfg(feature = "cuda")]
            Self::Cuda => Ok(Device::cuda(0usize)),
            #[cfg(feature = "wgpu")]
            Self::Wgpu => Ok(Device::wgpu(Default::default())),
            #[allow(unreachable_patterns)]
            other => Err(format!(
                "device `{other:?}` is not compiled in: rebuild with `--features {}`",
                other.feature().unwrap_or("?")
            )),
        }
    }
}

/// Runs `f` on a worker of a rayon pool of `RAYON_NUM_THREADS` threads (default: one per core)
/// when rein is built with the `threads` feature; without it, runs `f` on this thread.
///
/// Why: burn-flex's matmuls and rein's host kernels split their work over rayon's pool. Called
/// from a thread outside the pool, each parallel region hands its tasks to the pool's threads
/// and this thread waits, and the pool's threads keep spinning a while after each region. On a
/// machine with as many cores as pool threads that is one runnable thread too many, and the
/// serial work in between (burn-flex's element-wise ops and autodiff) competes with spinning
/// workers. Running the whole training loop on a pool worker makes that thread one of the
/// pool's: measured on the MNIST L0 MLP with 2 threads on 2 cores, 10-15 % faster per step
/// (docs/cpu_options.md, session 9). The results are the same bits: the kernels split their
/// work in fixed chunks whatever the thread count.
///
/// If the pool cannot be built (the OS refuses threads), `f` runs on this thread.
pub fn on_worker_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    #[cfg(feature = "threads")]
    if let Ok(pool) = rayon::ThreadPoolBuilder::new().build() {
        return pool.install(f);
    }
    f()
}
