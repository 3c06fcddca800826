//! With the `threads` feature (burn-flex's `rayon`), training is deterministic for a fixed
//! thread count, and at these sizes equal across thread counts (docs/cpu_options.md):
//! `cargo test --release -p rein --features threads --test threads_determinism`.
//!
//! The model's first matmul, 128 x 784 x 300, is above burn-flex's parallel threshold
//! (`m n k >= 192^3`), so gemm splits it over the pool's threads.
#![cfg(feature = "threads")]

use burn::tensor::{Tensor, TensorData};
use rein_testing::prelude::device;

/// A seeded stream of values in [-1, 1) (splitmix64), so that the test needs no RNG crate.
fn values(seed: u64, n: usize) -> Vec<f64> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        })
        .collect()
}

/// Six steps of gradient descent on `||relu(x W1) W2 - y||^2` (784-300-10, batch 128); the
/// final weights' bits.
fn train() -> Vec<u64> {
    let dev = device();
    let tensor = |seed, shape: [usize; 2], scale: f64| {
        let v: Vec<f64> = values(seed, shape[0] * shape[1])
            .into_iter()
            .map(|x| x * scale)
            .collect();
        Tensor::<2>::from_data(TensorData::new(v, shape), &dev)
    };
    let x = tensor(1, [128, 784], 1.0);
    let y = tensor(2, [128, 10], 1.0);
    let mut w1 = tensor(3, [784, 300], 0.05);
    let mut w2 = tensor(4, [300, 10], 0.05);
    for _ in 0..6 {
        let (a, b) = (w1.clone().require_grad(), w2.clone().require_grad());
        let out = burn::tensor::activation::relu(x.clone().matmul(a.clone())).matmul(b.clone());
        let loss = (out - y.clone()).powf_scalar(2.0).mean();
        let grads = loss.backward();
        let (ga, gb) = (a.grad(&grads).unwrap(), b.grad(&grads).unwrap());
        w1 = (a.detach() - ga.mul_scalar(0.1)).detach();
        w2 = (b.detach() - gb.mul_scalar(0.1)).detach();
    }
    let mut bits: Vec<u64> = w1
        .into_data()
        .convert::<f64>()
        .try_to_vec::<f64>()
        .unwrap()
        .iter()
        .map(|v| v.to_bits())
        .collect();
    bits.extend(
        w2.into_data()
            .convert::<f64>()
            .try_to_vec::<f64>()
            .unwrap()
            .iter()
            .map(|v| v.to_bits()),
    );
    bits
}

fn in_pool(threads: usize) -> Vec<u64> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a rayon pool")
        .install(train)
}

#[test]
fn training_is_bit_identical_for_a_fixed_thread_count_and_across_counts() {
    let two = in_pool(2);
    assert_eq!(two, in_pool(2), "two runs on 2 threads differ");
    assert_eq!(two, in_pool(1), "1 and 2 threads differ");
    // The run moved the weights (the comparison is not of the initial values).
    assert_ne!(two[..10], in_pool_initial()[..10]);
}

fn in_pool_initial() -> Vec<u64> {
    values(3, 10)
        .into_iter()
        .map(|x| (x * 0.05).to_bits())
        .collect()
}
