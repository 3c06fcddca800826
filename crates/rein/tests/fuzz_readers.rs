//! Property tests of the core's readers: checkpoint bytes and optimizer-configuration TOML.
//! Random and mutated inputs give an error (naming the file or the key), never a panic;
//! a configuration that parses builds an optimizer that steps or fails with an error.
//!
//! CI runs proptest's default 256 cases per property. The long run (10^5 cases each):
//!
//! ```text
//! PROPTEST_CASES=100000 cargo test --release -p rein --test fuzz_readers
//! ```

use std::path::Path;

use burn::tensor::{Tensor, TensorData};
use proptest::prelude::*;
use rein::checkpoint::{Checkpoint, StateDict};
use rein::config::OptimizerConfig;
use rein::prelude::*;
use rein_testing::prelude::{FnProblem, Point, state_with};

/// A valid checkpoint with a few entries of several dtypes and shapes.
fn checkpoint() -> impl Strategy<Value = Checkpoint> {
    (
        prop::collection::vec(-1e6f64..1e6, 0..20),
        prop::collection::vec(any::<u64>(), 0..8),
        prop::collection::vec(-10f32..10.0, 1..13),
        "[a-z]{0,8}",
    )
        .prop_map(|(f64s, u64s, f32s, note)| {
            let mut state = StateDict::new();
            state.put_f64s("dual.lambda", &f64s);
            state.put_u64s("batcher.cursor", &u64s);
            let n = f32s.len();
            state.put_data("model.weight", TensorData::new(f32s, [1, n]));
            let mut c = Checkpoint::new();
            c.state = state;
            c.metadata.insert("note".into(), note);
            c
        })
}

#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, u8),
    Remove(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, b)| Edit::Flip(i, b)),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Remove),
    ]
}

fn apply(bytes: &mut Vec<u8>, e: &Edit) {
    let n = bytes.len();
    match *e {
        Edit::Flip(i, b) if n > 0 => bytes[i % n] ^= b,
        Edit::Truncate(i) => bytes.truncate(i % (n + 1)),
        Edit::Insert(i, b) => bytes.insert(i % (n + 1), b),
        Edit::Remove(i) if n > 0 => {
            bytes.remove(i % n);
        }
        _ => {}
    }
}

/// Valid optimizer configurations, as TOML text, to mutate.
const CONFIGS: &[&str] = &[
    "scheme = 'simultaneous'\nprimal = { kind = 'sgd', lr = 0.01 }\ndual = { kind = 'sgd', lr = 0.5 }",
    "scheme = 'alternating-dual-primal'\n[primal]\nkind = 'adam'\nlr = 0.001\n[dual]\nkind = 'nupi'\nlr = 0.1\n",
    "scheme = 'extragradient'\nprimal = { kind = 'shampoo', lr = 0.01, precondition_frequency = 10 }",
    "scheme = 'alternating-primal-dual'\nprimal = { kind = 'adamw', lr = 0.01, weight_decay = 0.1 }\n[constraints.c]\nformulation = 'augmented-lagrangian'\npenalty = 2.0",
    "scheme = 'unconstrained'\nprimal = { kind = 'sgd', lr = 0.01, momentum = { nesterov = 0.9 } }\n[constraints.c]\nformulation = 'quadratic-penalty'\npenalty = 100.0",
    "scheme = 'simultaneous'\nprimal = { kind = 'sgd', lr = 0.1, schedule = { kind = 'cosine', steps = 10, min = 0.0 } }\ndual = { kind = 'sgd', lr = 1.0, schedule = { kind = 'warmup', steps = 4, then = { kind = 'constant' } } }",
];

/// Parses `text`; when it parses, builds the optimizer and takes a few steps on a toy
/// problem (min (x-2)^2 s.t. x <= 1). Errors are fine; a panic fails the test.
fn parse_build_and_step(text: &str) {
    let Ok(config) = OptimizerConfig::from_toml_str(text) else {
        return;
    };
    let Ok(mut opt) = config.build([Constraint::inequality("c", 1)]) else {
        return;
    };
    let mut problem = FnProblem(|x: Tensor<1>| {
        let d = x.clone().sub_scalar(2.0);
        state_with(
            Some((d.clone() * d).sum()),
            vec![("c", ConstraintState::new(x.sub_scalar(1.0)))],
        )
    });
    let mut model = Point::new(&[3.0]);
    for _ in 0..3 {
        if opt.step(&mut problem, &mut model, &()).is_err() {
            return;
        }
    }
}

proptest! {
    #[test]
    fn checkpoints_round_trip_bit_exact(c in checkpoint()) {
        let bytes = c.to_bytes().unwrap();
        let back = Checkpoint::from_bytes(&bytes, Path::new("x.ckpt")).unwrap();
        // Every entry comes back with its dtype, shape and bytes. (The file bytes themselves
        // may differ between two saves: safetensors writes the metadata map in hash order.)
        let entries = |c: &Checkpoint| -> Vec<(String, Vec<u8>, Vec<usize>)> {
            c.state
                .keys()
                .map(|k| {
                    let d = c.state.get_data(k).unwrap();
                    (format!("{k} {:?}", d.dtype()), d.as_bytes().to_vec(), d.shape().to_vec())
                })
                .collect()
        };
        prop_assert_eq!(entries(&back), entries(&c));
        prop_assert_eq!(back.metadata, c.metadata);
    }

    #[test]
    fn random_checkpoint_bytes_are_errors_naming_the_file(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        let e = Checkpoint::from_bytes(&bytes, Path::new("random.ckpt")).unwrap_err();
        prop_assert!(e.to_string().contains("random.ckpt"), "{}", e);
    }

    #[test]
    fn mutated_checkpoints_never_panic(
        c in checkpoint(),
        edits in prop::collection::vec(edit(), 1..4),
    ) {
        let mut bytes = c.to_bytes().unwrap();
        let original = bytes.clone();
        for e in &edits {
            apply(&mut bytes, e);
        }
        match Checkpoint::from_bytes(&bytes, Path::new("damaged.ckpt")) {
            // Only an edit that changed nothing the checksum covers can be accepted (e.g. a
            // whitespace byte of the JSON header); the state must then be the original's.
            Ok(back) => prop_assert_eq!(
                back.state.keys().collect::<Vec<_>>(),
                c.state.keys().collect::<Vec<_>>()
            ),
            Err(e) => prop_assert!(
                e.to_string().contains("damaged.ckpt") || bytes == original,
                "{}", e
            ),
        }
    }

    #[test]
    fn random_config_text_never_panics(text in "\\PC{0,200}") {
        parse_build_and_step(&text);
    }

    #[test]
    fn mutated_configs_never_panic(
        which in 0..CONFIGS.len(),
        edits in prop::collection::vec(edit(), 1..4),
    ) {
        let mut bytes = CONFIGS[which].as_bytes().to_vec();
        for e in &edits {
            apply(&mut bytes, e);
        }
        parse_build_and_step(&String::from_utf8_lossy(&bytes));
    }

    /// Numbers anywhere a number goes: huge, tiny, negative, zero, NaN and inf spellings.
    #[test]
    fn extreme_numbers_in_configs_never_panic(
        which in 0..CONFIGS.len(),
        number in prop_oneof![
            Just("0".to_string()), Just("-1".to_string()), Just("1e308".to_string()),
            Just("-1e308".to_string()), Just("nan".to_string()), Just("inf".to_string()),
            Just("-inf".to_string()), Just("18446744073709551615".to_string()),
            Just("9223372036854775807".to_string()), Just("1e-320".to_string()),
            any::<f64>().prop_map(|v| format!("{v:e}")), any::<i64>().prop_map(|v| v.to_string()),
        ],
        slot in any::<usize>(),
    ) {
        // Replace the slot-th number of the text by `number`.
        let text = CONFIGS[which];
        let spans: Vec<(usize, usize)> = {
            let b = text.as_bytes();
            let mut v = Vec::new();
            let mut i = 0;
            while i < b.len() {
                if b[i].is_ascii_digit() {
                    let s = i;
                    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.' || b[i] == b'e' || b[i] == b'-') {
                        i += 1;
                    }
                    v.push((s, i));
                } else {
                    i += 1;
                }
            }
            v
        };
        let (s, e) = spans[slot % spans.len()];
        let edited = format!("{}{}{}", &text[..s], number, &text[e..]);
        parse_build_and_step(&edited);
    }
}

/// Every sample configuration is valid as written (else the mutations test little).
#[test]
fn the_sample_configurations_parse_build_and_step() {
    for text in CONFIGS {
        let config = OptimizerConfig::from_toml_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        config
            .build([Constraint::inequality("c", 1)])
            .unwrap_or_else(|e| panic!("{text}: {e}"));
    }
}
