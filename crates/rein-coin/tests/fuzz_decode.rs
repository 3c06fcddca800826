//! Property tests of the `.rcoin` reader: random and mutated files never make `decode` panic,
//! and every file the encoder writes decodes to the weights it was given (rounded to fp16).
//!
//! CI runs proptest's default 256 cases per property. The long run (10^5 cases each):
//!
//! ```text
//! PROPTEST_CASES=100000 cargo test --release -p rein-coin --test fuzz_decode
//! ```

use half::f16;
use proptest::prelude::*;
use rein_coin::{CoinError, FormatError, SirenWeights, decode, encode, read_coin};

/// Small SIREN shapes: `[2, h.., 3]` with one or two hidden layers.
fn widths() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..9, 1..3).prop_map(|hidden| {
        let mut w = vec![2];
        w.extend(hidden);
        w.push(3);
        w
    })
}

/// Weights for `widths` with a given share of exact zeros (dense, bitmap and gaps files all
/// occur) and values spanning fp16's range, subnormals included.
fn weights() -> impl Strategy<Value = SirenWeights> {
    (widths(), 0.0f64..1.0, any::<u64>()).prop_flat_map(|(widths, zeros, _)| {
        let p = rein_coin::siren::num_params_of(&widths);
        let value = prop_oneof![
            1 => Just(0.0f32),
            3 => -2.0f32..2.0,
            1 => -65504.0f32..65504.0,
            1 => -1e-6f32..1e-6,
        ];
        (
            Just(widths),
            prop::collection::vec((value, 0.0f64..1.0), p),
            Just(zeros),
        )
            .prop_map(|(widths, draws, zeros)| {
                let flat: Vec<f32> = draws
                    .into_iter()
                    .map(|(v, u)| if u < zeros { 0.0 } else { v })
                    .collect();
                SirenWeights::from_flat(30.0, widths, &flat).unwrap()
            })
    })
}

/// A valid file to mutate.
fn valid_file() -> impl Strategy<Value = Vec<u8>> {
    (weights(), 1usize..40, 1usize..40).prop_map(|(w, h, wd)| encode(h, wd, &w).unwrap())
}

/// One edit of a byte string.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Set(usize, u8),
    Truncate(usize),
    Insert(usize, u8),
    Remove(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Remove),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let n = bytes.len();
    match *m {
        Mutation::Flip(i, b) if n > 0 => bytes[i % n] ^= b,
        Mutation::Set(i, b) if n > 0 => bytes[i % n] = b,
        Mutation::Truncate(i) => bytes.truncate(i % (n + 1)),
        Mutation::Insert(i, b) => bytes.insert(i % (n + 1), b),
        Mutation::Remove(i) if n > 0 => {
            bytes.remove(i % n);
        }
        _ => {}
    }
}

proptest! {
    /// Every file the encoder writes decodes to its fp16-rounded weights and shape.
    #[test]
    fn every_encoded_file_decodes(w in weights(), h in 1usize..64, wd in 1usize..64) {
        let bytes = encode(h, wd, &w).unwrap();
        let image = decode(&bytes).unwrap();
        prop_assert_eq!((image.height, image.width), (h, wd));
        prop_assert_eq!(&image.weights.widths, &w.widths);
        let rounded: Vec<u32> = w.flat().iter().map(|&v| f16::from_f32(v).to_f32().to_bits()).collect();
        let decoded: Vec<u32> = image.weights.flat().iter().map(|v| v.to_bits()).collect();
        // Stored zeros come back as +0.0, whatever the sign they had.
        let canonical = |bits: &[u32]| bits.iter().map(|&b| if b == 0x8000_0000 { 0 } else { b }).collect::<Vec<_>>();
        prop_assert_eq!(canonical(&decoded), canonical(&rounded));
    }

    /// Arbitrary bytes: an error (or, by extreme chance, a file), never a panic.
    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode(&bytes);
    }

    /// Arbitrary bytes behind a valid magic and version: the header parser is exercised.
    #[test]
    fn random_bodies_never_panic(body in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut bytes = b"RCOI\x01".to_vec();
        bytes.extend(body);
        let _ = decode(&bytes);
    }

    /// Valid files with one to four edits: decoding fails cleanly, or (when an edit left the
    /// bytes valid) yields a well-formed image.
    #[test]
    fn mutated_files_never_panic(
        file in valid_file(),
        edits in prop::collection::vec(mutation(), 1..5),
    ) {
        let mut bytes = file.clone();
        for m in &edits {
            apply(&mut bytes, m);
        }
        match decode(&bytes) {
            Ok(image) => {
                prop_assert!(image.height > 0 && image.width > 0);
                prop_assert!(image.weights.flat().iter().all(|v| v.is_finite()));
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}

/// A damaged file read through [`read_coin`] names the file in its error.
#[test]
fn errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.rcoin");
    std::fs::write(&path, b"RCOI\x01\x05\x01").unwrap();
    let e: CoinError = read_coin(&path).unwrap_err();
    assert!(e.to_string().contains("broken.rcoin"), "{e}");
    // The FormatError underneath says what is wrong: the length field (5) disagrees with the
    // 7 bytes present.
    let bare = decode(b"RCOI\x01\x05\x01").unwrap_err();
    assert!(matches!(bare, FormatError::Trailing(2)), "{bare:?}");
}
