//! Feature fields on mesh vertices, typed by their SO(2) order: order-0 fields are invariant
//! scalars, an order-`n` field (`n ≥ 1`) holds complex coefficients `z` that a gauge change
//! rotating the frame by `g` maps to `e^{-i n g} z` (docs/eman.md).

use burn::tensor::Tensor;

/// Complex coefficients, real and imaginary parts `[vertices or edges, channels]`.
#[derive(Debug, Clone)]
pub struct Complex {
    /// Real parts.
    pub re: Tensor<2>,
    /// Imaginary parts.
    pub im: Tensor<2>,
}

impl Complex {
    /// `(cos + i sin) · self` per row (`cos`, `sin` are `[rows, 1]` and broadcast).
    pub fn rotate(&self, cos: &Tensor<2>, sin: &Tensor<2>) -> Complex {
        Complex {
            re: self.re.clone() * cos.clone() - self.im.clone() * sin.clone(),
            im: self.re.clone() * sin.clone() + self.im.clone() * cos.clone(),
        }
    }

    /// `(cos - i sin) · self`: rotation by the opposite angle.
    pub fn rotate_back(&self, cos: &Tensor<2>, sin: &Tensor<2>) -> Complex {
        Complex {
            re: self.re.clone() * cos.clone() + self.im.clone() * sin.clone(),
            im: self.im.clone() * cos.clone() - self.re.clone() * sin.clone(),
        }
    }

    /// The complex conjugate.
    pub fn conj(&self) -> Complex {
        Complex {
            re: self.re.clone(),
            im: self.im.clone().neg(),
        }
    }

    /// `|z|`, smoothed as `sqrt(re² + im² + eps)` so that its gradient stays finite at 0.
    pub fn norm(&self, eps: f64) -> Tensor<2> {
        (self.re.clone().powi_scalar(2) + self.im.clone().powi_scalar(2))
            .add_scalar(eps)
            .sqrt()
    }

    /// `self + other`.
    pub fn plus(self, other: Complex) -> Complex {
        Complex {
            re: self.re + other.re,
            im: self.im + other.im,
        }
    }
}

/// Fields of orders `0..=N` on the vertices: `scalars` (order 0) and `orders[n - 1]` (order
/// `n`).
#[derive(Debug, Clone)]
pub struct Fields {
    /// Order-0 (gauge-invariant) channels, `[vertices, c_0]`.
    pub scalars: Tensor<2>,
    /// Order `n ≥ 1` channels (`orders[n - 1]`), `[vertices, c_n]` each.
    pub orders: Vec<Complex>,
}

impl Fields {
    /// The highest order.
    pub fn max_order(&self) -> usize {
        self.orders.len()
    }

    /// The gauge-invariant part: the scalars and the smoothed norms of every higher-order
    /// channel, side by side.
    pub fn invariants(&self, eps: f64) -> Tensor<2> {
        let mut parts = vec![self.scalars.clone()];
        parts.extend(self.orders.iter().map(|z| z.norm(eps)));
        Tensor::cat(parts, 1)
    }
}
