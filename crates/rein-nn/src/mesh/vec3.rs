//! A 3-vector of `f64` with the few operations mesh geometry needs.

use std::ops::{Add, Mul, Neg, Sub};

/// A point or direction in 3-D.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Vec3(pub [f64; 3]);

impl Vec3 {
    /// The origin.
    pub const ZERO: Vec3 = Vec3([0.0; 3]);

    /// `(x, y, z)`.
    pub fn new(x: f64, y: f64, z: f64) -> Self {
        Vec3([x, y, z])
    }
    /// Dot product.
    pub fn dot(self, o: Vec3) -> f64 {
        self.0[0] * o.0[0] + self.0[1] * o.0[1] + self.0[2] * o.0[2]
    }
    /// Cross product.
    pub fn cross(self, o: Vec3) -> Vec3 {
        let (a, b) = (self.0, o.0);
        Vec3([
            a[1] * b[2] - a[2] * b[1],
            a[2] * b[0] - a[0] * b[2],
            a[0] * b[1] - a[1] * b[0],
        ])
    }
    /// Squared length.
    pub fn norm2(self) -> f64 {
        self.dot(self)
    }
    /// Length.
    pub fn norm(self) -> f64 {
        self.norm2().sqrt()
    }
    /// The unit vector along `self`, or `None` for a (near) zero vector.
    pub fn normalized(self) -> Option<Vec3> {
        let n = self.norm();
        (n > 1e-300 && n.is_finite()).then(|| self * (1.0 / n))
    }
    /// Whether every coordinate is finite.
    pub fn is_finite(self) -> bool {
        self.0.iter().all(|c| c.is_finite())
    }
}

impl Add for Vec3 {
    type Output = Vec3;
    fn add(self, o: Vec3) -> Vec3 {
        Vec3([self.0[0] + o.0[0], self.0[1] + o.0[1], self.0[2] + o.0[2]])
    }
}
impl Sub for Vec3 {
    type Output = Vec3;
    fn sub(self, o: Vec3) -> Vec3 {
        Vec3([self.0[0] - o.0[0], self.0[1] - o.0[1], self.0[2] - o.0[2]])
    }
}
impl Mul<f64> for Vec3 {
    type Output = Vec3;
    fn mul(self, s: f64) -> Vec3 {
        Vec3([self.0[0] * s, self.0[1] * s, self.0[2] * s])
    }
}
impl Neg for Vec3 {
    type Output = Vec3;
    fn neg(self) -> Vec3 {
        self * -1.0
    }
}
