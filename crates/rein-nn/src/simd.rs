//! Run-time CPU feature dispatch for the host SIMD kernels ([`crate::l0::fused`], the gate
//! noise of [`crate::l0::GateRng`]).
//!
//! The crate is compiled for the baseline of its target (x86-64: SSE2), so one binary runs on
//! every CPU. [`dispatch`] runs a [`Kernel`] inlined into a function compiled for the best
//! instruction set the CPU has (`pulp`'s dispatch, the one `gemm` uses for burn-flex's
//! matmuls: AVX2 + FMA "x86-64-v3" where present, checked once at run time), where the 8-lane
//! `f32` and 4-lane `f64` vectors of `wide` can become 256-bit instructions.
//!
//! **Same bits on every CPU.** The kernels never ask for a fused multiply-add (`wide` computes
//! `mul_add` as a multiply and an add when the crate is compiled without `fma`, and the Rust
//! compiler never contracts them), so every dispatched path rounds as the baseline one does;
//! `l0::fused::tests::dispatched_and_baseline_kernels_agree_bit_for_bit` checks it.

/// A host kernel: implementors mark [`Kernel::run`] `#[inline(always)]` so that its body is
/// compiled inside the dispatched function.
pub(crate) trait Kernel {
    type Output;
    fn run(self) -> Self::Output;
}

struct Dispatched<K>(K);

impl<K: Kernel> pulp::WithSimd for Dispatched<K> {
    type Output = K::Output;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> K::Output {
        self.0.run()
    }
}

/// Runs `kernel` compiled for the best instruction set this CPU supports (module docs); its
/// results are the same on every path.
#[inline]
pub(crate) fn dispatch<K: Kernel>(kernel: K) -> K::Output {
    pulp::Arch::new().dispatch(Dispatched(kernel))
}

/// The baseline path, for tests that compare it with the dispatched one.
#[cfg(test)]
pub(crate) fn baseline<K: Kernel>(kernel: K) -> K::Output {
    kernel.run()
}
