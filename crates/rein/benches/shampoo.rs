//! Shampoo benchmarks (filled in below).

fn main() {}
