//! Adam's update in one pass over host memory, for `f32` parameters on the flex device.
//!
//! The tensor form of [`super::Adam`] runs 14 element-wise ops per parameter, each a full pass
//! over memory with its own output buffer; on the MNIST L0 MLP (533k parameters with the
//! gates) they were a large part of burn-flex's element-wise time (BENCHMARKS.md, issue 14).
//! Here the same arithmetic runs as one loop over `x`, `g`, `m` and `v`.
//!
//! The loop does exactly what the tensor form does on flex, in the same order and in `f32` with
//! the scalars rounded to `f32` as flex rounds them (`scalar_op`), no fused multiply-add:
//!
//! ```text
//! m <- m * b1 + g * (1 - b1)               (first step: g * (1 - b1))
//! v <- v * b2 + (g * g) * (1 - b2)         (first step: (g * g) * (1 - b2))
//! x <- x - ((m / bc1) / (sqrt(v / bc2) + eps)) * lr,   bc_i = 1 - b_i^t
//! ```
//!
//! so the results are bit-identical to the tensor form (tested in `adam.rs`). Other devices
//! (LibTorch, wgpu, CUDA) and `f64` parameters keep the tensor form: there a host round trip
//! would cost a transfer.

use burn::tensor::{DType, Device, Tensor, TensorData};

/// The scalars of one Adam step, already combined for step `t`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdamStep {
    pub b1: f64,
    pub b2: f64,
    pub eps: f64,
    pub lr: f64,
    /// `1 - b1^t`.
    pub bc1: f64,
    /// `1 - b2^t`.
    pub bc2: f64,
}

/// Whether [`update`] applies to a parameter: an `f32` tensor on the flex device (with or
/// without autodiff).
pub(crate) fn applies(x: &Tensor<1>) -> bool {
    x.dtype() == DType::F32 && x.device().inner() == Device::flex()
}

/// The values of a tensor as host data: moved out without a copy when the tensor is the only
/// owner of its buffer (the moments `m`, `v`), copied otherwise.
fn host(t: Tensor<1>) -> TensorData {
    t.into_data()
}

/// The values of a tensor that shares its buffer (the parameter, held by the model too; the
/// gradient, held by the gradient set) as host data of our own.
///
/// flex's `into_data` of a shared buffer copies twice: out of the buffer, then once more when
/// the copied bytes are realigned (cubecl's `Bytes::from_bytes_vec`). `t * 1` (exact, one
/// vectorised pass) writes a buffer that only we hold, which then moves out without a copy.
pub(crate) fn host_of_shared(t: Tensor<1>) -> TensorData {
    t.mul_scalar(1.0).into_data()
}

/// The `f32` values of host data: borrowed when its bytes are aligned for `f32` (always in
/// practice), else copied.
pub(crate) fn f32_values(data: &TensorData) -> std::borrow::Cow<'_, [f32]> {
    match data.as_slice::<f32>() {
        Ok(values) => std::borrow::Cow::Borrowed(values),
        Err(_) => std::borrow::Cow::Owned(
            data.as_bytes()
                .chunks_exact(4)
                .map(|b| f32::from_ne_bytes(b.try_into().expect("4 bytes")))
                .collect(),
        ),
    }
}

/// Mutable `f32` view of host data. Bytes that burn hands back with a byte alignment are
/// re-packed once (never in practice: allocations are at least 16-byte aligned).
fn values_mut(data: &mut TensorData) -> &mut [f32] {
    if data.as_slice::<f32>().is_err() {
        let repacked: Vec<f32> = data
            .as_bytes()
            .chunks_exact(4)
            .map(|b| f32::from_ne_bytes(b.try_into().expect("4 bytes")))
            .collect();
        *data = TensorData::new(repacked, data.shape().clone());
    }
    data.as_mut_slice::<f32>().expect("f32 data")
}

/// Elements per rayon task with the `threads` feature (element-wise: any split gives the same
/// bits).
#[cfg(feature = "threads")]
const CHUNK: usize = 1 << 16;

/// The scalars of the loop, in `f32` as flex rounds them.
#[derive(Clone, Copy)]
struct Consts {
    b1: f32,
    b2: f32,
    c1: f32,
    c2: f32,
    bc1: f32,
    bc2: f32,
    eps: f32,
    lr: f32,
    m_first: bool,
    v_first: bool,
}

impl Consts {
    /// The update of one run of elements (see the module docs).
    fn apply(self, xs: &mut [f32], g: &[f32], ms: &mut [f32], vs: &mut [f32]) {
        let c = self;
        for (((x, &g), m), v) in xs.iter_mut().zip(g).zip(ms).zip(vs) {
            let m_new = if c.m_first {
                g * c.c1
            } else {
                *m * c.b1 + g * c.c1
            };
            let v_new = if c.v_first {
                (g * g) * c.c2
            } else {
                *v * c.b2 + (g * g) * c.c2
            };
            *m = m_new;
            *v = v_new;
            *x -= ((m_new / c.bc1) / ((v_new / c.bc2).sqrt() + c.eps)) * c.lr;
        }
    }
}

/// One Adam step of `x` with gradient `g` and moments `m`, `v` (`None` on the first step):
/// the new `(x, m, v)` on `x`'s device. See the module docs for the arithmetic. `g_host`, a
/// host copy of `g` already made (by `ParamGrads::check_finite`), saves reading `g` again.
///
/// Call only where [`applies`] holds for `x`; `g`, `m` and `v` have `x`'s length.
pub(crate) fn update(
    x: Tensor<1>,
    g: &Tensor<1>,
    g_host: Option<&TensorData>,
    m: Option<Tensor<1>>,
    v: Option<Tensor<1>>,
    s: AdamStep,
) -> (Tensor<1>, Tensor<1>, Tensor<1>) {
    let device = x.device();
    let n = x.dims()[0];
    // A missing moment starts as `g * (1 - b)`, not `0 * b + g * (1 - b)`: the tensor form
    // does so, and the two differ in the sign of a zero.
    let c = Consts {
        b1: s.b1 as f32,
        b2: s.b2 as f32,
        c1: (1.0 - s.b1) as f32,
        c2: (1.0 - s.b2) as f32,
        bc1: s.bc1 as f32,
        bc2: s.bc2 as f32,
        eps: s.eps as f32,
        lr: s.lr as f32,
        m_first: m.is_none(),
        v_first: v.is_none(),
    };
    let g_read;
    let g_values = match g_host {
        Some(data) => f32_values(data),
        None => {
            g_read = host_of_shared(g.clone());
            f32_values(&g_read)
        }
    };
    let mut x_data = host_of_shared(x);
    let mut m_data = m.map_or_else(|| TensorData::new(vec![0.0f32; n], [n]), host);
    let mut v_data = v.map_or_else(|| TensorData::new(vec![0.0f32; n], [n]), host);
    {
        let g_values: &[f32] = &g_values;
        let xs = values_mut(&mut x_data);
        let ms = values_mut(&mut m_data);
        let vs = values_mut(&mut v_data);
        #[cfg(feature = "threads")]
        if xs.len() >= 2 * CHUNK {
            use rayon::prelude::*;
            xs.par_chunks_mut(CHUNK)
                .zip(g_values.par_chunks(CHUNK))
                .zip(ms.par_chunks_mut(CHUNK))
                .zip(vs.par_chunks_mut(CHUNK))
                .for_each(|(((x, g), m), v)| c.apply(x, g, m, v));
        } else {
            c.apply(xs, g_values, ms, vs);
        }
        #[cfg(not(feature = "threads"))]
        c.apply(xs, g_values, ms, vs);
    }
    (
        Tensor::from_data(x_data, &device),
        Tensor::from_data(m_data, &device),
        Tensor::from_data(v_data, &device),
    )
}
