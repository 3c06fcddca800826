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

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};

/// `(pre, d_i, post)` of mode `i` of `dims`.
fn split(dims: &[usize], i: usize) -> (usize, usize, usize) {
    let pre = dims[..i].iter().product();
    let post = dims[i + 1..].iter().product();
    (pre, dims[i], post)
}

/// `G_(i) G_(i)^T` (`d_i x d_i`) of the row-major tensor `t` of shape `dims`.
pub(crate) fn mode_gram(t: &[f64], dims: &[usize], i: usize) -> Mat<f64> {
    let (pre, d, post) = split(dims, i);
    let mut gram = Mat::<f64>::zeros(d, d);
    if post == 1 {
        let w = MatRef::from_column_major_slice(t, d, pre);
        matmul(
            gram.as_mut(),
            Accum::Replace,
            w,
            w.transpose(),
            1.0,
            Par::Seq,
        );
    } else {
        for p in 0..pre {
            let x = MatRef::from_column_major_slice(&t[p * d * post..(p + 1) * d * post], post, d);
            matmul(gram.as_mut(), Accum::Add, x.transpose(), x, 1.0, Par::Seq);
        }
    }
    gram
}

/// `t x_i m`: replaces mode `i` of the row-major tensor `t` (shape `dims`) by `m` applied to it,
/// `(t x_i m)[.., a, ..] = sum_b m[a, b] t[.., b, ..]`.
pub(crate) fn mode_product(t: &[f64], dims: &[usize], i: usize, m: MatRef<'_, f64>) -> Vec<f64> {
    let (pre, d, post) = split(dims, i);
    let mut out = vec![0.0; t.len()];
    if post == 1 {
        let w = MatRef::from_column_major_slice(t, d, pre);
        let dst = MatMut::from_column_major_slice_mut(&mut out, d, pre);
        matmul(dst, Accum::Replace, m, w, 1.0, Par::Seq);
    } else {
        for p in 0..pre {
            let range = p * d * post..(p + 1) * d * post;
            let x = MatRef::from_column_major_slice(&t[range.clone()], post, d);
            let dst = MatMut::from_column_major_slice_mut(&mut out[range], post, d);
            matmul(dst, Accum::Replace, x, m.transpose(), 1.0, Par::Seq);
        }
    }
    out
}

/// `t x_1 m_1 x_2 ... x_k m_k` for the row-major tensor `t` of shape `dims`.
pub(crate) fn multi_mode_product(t: &[f64], dims: &[usize], ms: &[Mat<f64>]) -> Vec<f64> {
    let mut cur = t.to_vec();
    for (i, m) in ms.iter().enumerate() {
        cur = mode_product(&cur, dims, i, m.as_ref());
    }
    cur
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let gl = mode_gram(&g, &[m, n], 0);
        let gr = mode_gram(&g, &[m, n], 1);
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
            let gram = mode_gram(&t, &dims, i);
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
                    assert!((gram[(a, b)] - want).abs() < 1e-9);
                }
            }
        }
    }
}
