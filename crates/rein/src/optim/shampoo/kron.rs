//! Mode-`i` products of a row-major order-`k` tensor with `d_i x d_i` matrices: the Gram
//! matrices `G_(i) G_(i)^T` of the mode-`i` unfoldings and the preconditioned direction
//! `P = G x_1 Lbar_1 x_2 ... x_k Lbar_k` (de Lathauwer et al. 2000 notation; Gupta et al. 2018
//! §3: for a matrix, `P = Lbar_1 G Lbar_2^T`, with symmetric roots `Lbar_1 G Lbar_2`).
//!
//! A row-major tensor of dims `(d_1, ..., d_k)` viewed around mode `i` is `(pre, d_i, post)`
//! with `pre = d_1 ... d_{i-1}`, `post = d_{i+1} ... d_k`. Each of the `pre` slices is a
//! row-major `d_i x post` matrix, i.e. the column-major `post x d_i` matrix `X_p`, so
//!
//! ```text
//! G_(i) G_(i)^T = sum_p X_p^T X_p          (T x_i M)_p = X_p M^T
//! ```
//!
//! and when `post = 1` the whole tensor is the column-major `d_i x pre` matrix `W`, so the
//! Gram is `W W^T` and the product `M W` (one matmul instead of `pre` thin ones).

//!
//! Gram matrices are symmetric: only their lower triangle is computed (faer's triangular
//! matmul, about half the flops of a full product) and accumulated in place into the factor,
//! whose upper triangle is never read nor written ([`lower_to_full`] mirrors it when needed).
//! Everything is generic over the arithmetic (`f32` or `f64`).

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::traits::RealField;
use faer::{Accum, Mat, MatMut, MatRef, Par};

/// `(pre, d_i, post)` of mode `i` of `dims`.
fn split(dims: &[usize], i: usize) -> (usize, usize, usize) {
    let pre = dims[..i].iter().product();
    let post = dims[i + 1..].iter().product();
    (pre, dims[i], post)
}

/// `L <- beta2 L + alpha G_(i) G_(i)^T` on the lower triangle of the `d_i x d_i` factor `l`
/// (its upper triangle is left as it is), for the row-major tensor `t` of shape `dims`.
/// `beta2 = 1` skips the scaling.
pub(crate) fn accumulate_gram<T: RealField + Copy>(
    l: &mut Mat<T>,
    t: &[T],
    dims: &[usize],
    i: usize,
    beta2: T,
    alpha: T,
) {
    let (pre, d, post) = split(dims, i);
    if beta2 != T::from_f64_impl(1.0) {
        for j in 0..d {
            l.col_as_slice_mut(j)[j..]
                .iter_mut()
                .for_each(|v| *v *= beta2);
        }
    }
    let lower = |l: &mut Mat<T>, x: MatRef<'_, T>| {
        // l += alpha x^T x on the lower triangle (x is post x d, column-major).
        triangular::matmul(
            l.as_mut(),
            BlockStructure::TriangularLower,
            Accum::Add,
            x.transpose(),
            BlockStructure::Rectangular,
            x,
            BlockStructure::Rectangular,
            alpha,
            Par::Seq,
        );
    };
    if post == 1 {
        // The whole tensor is the column-major d x pre matrix W: W W^T = (W^T)^T W^T.
        let w = MatRef::from_column_major_slice(t, d, pre);
        lower(l, w.transpose());
    } else {
        for p in 0..pre {
            let x = MatRef::from_column_major_slice(&t[p * d * post..(p + 1) * d * post], post, d);
            lower(l, x);
        }
    }
}

/// The symmetric matrix whose lower triangle is that of `l`, converted to `f64` and divided by
/// `c2`.
pub(crate) fn lower_to_full<T: RealField + Copy + Into<f64>>(l: &Mat<T>, c2: f64) -> Mat<f64> {
    Mat::<f64>::from_fn(l.nrows(), l.ncols(), |i, j| {
        let v: f64 = if i >= j { l[(i, j)] } else { l[(j, i)] }.into();
        v / c2
    })
}

/// `t x_i m`: replaces mode `i` of the row-major tensor `t` (shape `dims`) by `m` applied to it,
/// `(t x_i m)[.., a, ..] = sum_b m[a, b] t[.., b, ..]`, written into `out`.
fn mode_product_into<T: RealField + Copy>(
    t: &[T],
    dims: &[usize],
    i: usize,
    m: MatRef<'_, T>,
    out: &mut [T],
) {
    let (pre, d, post) = split(dims, i);
    let one = T::from_f64_impl(1.0);
    if post == 1 {
        let w = MatRef::from_column_major_slice(t, d, pre);
        let dst = MatMut::from_column_major_slice_mut(out, d, pre);
        matmul(dst, Accum::Replace, m, w, one, Par::Seq);
    } else {
        for p in 0..pre {
            let range = p * d * post..(p + 1) * d * post;
            let x = MatRef::from_column_major_slice(&t[range.clone()], post, d);
            let dst = MatMut::from_column_major_slice_mut(&mut out[range], post, d);
            matmul(dst, Accum::Replace, x, m.transpose(), one, Par::Seq);
        }
    }
}

/// `t x_i m` as a new tensor (see [`multi_mode_product`]).
#[cfg(test)]
pub(crate) fn mode_product<T: RealField + Copy>(
    t: &[T],
    dims: &[usize],
    i: usize,
    m: MatRef<'_, T>,
) -> Vec<T> {
    let mut out = vec![T::from_f64_impl(0.0); t.len()];
    mode_product_into(t, dims, i, m, &mut out);
    out
}

/// `t x_1 m_1 x_2 ... x_k m_k` for the row-major tensor `t` of shape `dims` (two buffers,
/// swapped between modes).
pub(crate) fn multi_mode_product<T: RealField + Copy>(
    t: &[T],
    dims: &[usize],
    ms: &[Mat<T>],
) -> Vec<T> {
    let mut cur = t.to_vec();
    let mut next = vec![T::from_f64_impl(0.0); t.len()];
    for (i, m) in ms.iter().enumerate() {
        mode_product_into(&cur, dims, i, m.as_ref(), &mut next);
        std::mem::swap(&mut cur, &mut next);
    }
    cur
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `G_(i) G_(i)^T` accumulated into zeros, mirrored to the full matrix.
    fn gram(t: &[f64], dims: &[usize], i: usize) -> Mat<f64> {
        let d = dims[i];
        // Poison the upper triangle: it must be neither read nor written.
        let mut l = Mat::<f64>::from_fn(d, d, |a, b| if a < b { f64::NAN } else { 0.0 });
        accumulate_gram(&mut l, t, dims, i, 1.0, 1.0);
        for a in 0..d {
            for b in a + 1..d {
                assert!(l[(a, b)].is_nan(), "upper triangle written");
            }
        }
        lower_to_full(&l, 1.0)
    }

    #[test]
    fn decayed_accumulation_and_f32_match_the_definition() {
        let dims = [3, 5];
        let t = tensor(&dims);
        let mut l = Mat::<f64>::from_fn(3, 3, |a, b| (a + b) as f64);
        accumulate_gram(&mut l, &t, &dims, 0, 0.5, 0.25);
        let g = gram(&t, &dims, 0);
        let t32: Vec<f32> = t.iter().map(|&v| v as f32).collect();
        let mut l32 = Mat::<f32>::zeros(3, 3);
        accumulate_gram(&mut l32, &t32, &dims, 0, 1.0, 1.0);
        let full32 = lower_to_full(&l32, 2.0);
        for a in 0..3 {
            for b in 0..=a {
                let want = 0.5 * (a + b) as f64 + 0.25 * g[(a, b)];
                assert!((l[(a, b)] - want).abs() < 1e-12);
                assert!((full32[(b, a)] - g[(a, b)] / 2.0).abs() < 1e-5);
            }
        }
    }

    /// Row-major strides.
    fn at(dims: &[usize], idx: &[usize]) -> usize {
        idx.iter().zip(dims).fold(0, |acc, (i, d)| acc * d + i)
    }

    fn tensor(dims: &[usize]) -> Vec<f64> {
        let n: usize = dims.iter().product();
        (0..n).map(|j| ((j * 7919) % 13) as f64 - 6.0).collect()
    }

    #[test]
    fn matrix_case_is_left_and_right_multiplication() {
        let (m, n) = (3, 4);
        let g = tensor(&[m, n]);
        let l = Mat::<f64>::from_fn(m, m, |i, j| (i + 2 * j) as f64);
        let r = Mat::<f64>::from_fn(n, n, |i, j| (3 * i + j) as f64 - 4.0);
        let p = multi_mode_product(&g, &[m, n], &[l.clone(), r.clone()]);
        // P = L G R^T
        for a in 0..m {
            for b in 0..n {
                let mut want = 0.0;
                for c in 0..m {
                    for e in 0..n {
                        want += l[(a, c)] * g[c * n + e] * r[(b, e)];
                    }
                }
                assert!((p[a * n + b] - want).abs() < 1e-9);
            }
        }
        // Grams: G G^T and G^T G.
        let gl = gram(&g, &[m, n], 0);
        let gr = gram(&g, &[m, n], 1);
        for a in 0..m {
            for b in 0..m {
                let want: f64 = (0..n).map(|e| g[a * n + e] * g[b * n + e]).sum();
                assert_eq!(gl[(a, b)], want);
            }
        }
        for a in 0..n {
            for b in 0..n {
                let want: f64 = (0..m).map(|c| g[c * n + a] * g[c * n + b]).sum();
                assert_eq!(gr[(a, b)], want);
            }
        }
    }

    #[test]
    fn order_three_products_and_grams_match_the_definition() {
        let dims = [2, 3, 4];
        let t = tensor(&dims);
        for i in 0..3 {
            let d = dims[i];
            let m = Mat::<f64>::from_fn(d, d, |a, b| (a * d + b) as f64 * 0.5 - 1.0);
            let got = mode_product(&t, &dims, i, m.as_ref());
            let gm = gram(&t, &dims, i);
            for x in 0..2 {
                for y in 0..3 {
                    for z in 0..4 {
                        let idx = [x, y, z];
                        let want: f64 = (0..d)
                            .map(|b| {
                                let mut j = idx;
                                j[i] = b;
                                m[(idx[i], b)] * t[at(&dims, &j)]
                            })
                            .sum();
                        assert!((got[at(&dims, &idx)] - want).abs() < 1e-9);
                    }
                }
            }
            // Gram from the explicit unfolding.
            for a in 0..d {
                for b in 0..d {
                    let mut want = 0.0;
                    for x in 0..2 {
                        for y in 0..3 {
                            for z in 0..4 {
                                let (mut ja, mut jb) = ([x, y, z], [x, y, z]);
                                if ja[i] != 0 {
                                    continue;
                                }
                                ja[i] = a;
                                jb[i] = b;
                                want += t[at(&dims, &ja)] * t[at(&dims, &jb)];
                            }
                        }
                    }
                    assert!((gm[(a, b)] - want).abs() < 1e-9);
                }
            }
        }
    }
}
