//! `rein l0onie`, `rein run` on an l0onie experiment and `rein coin decode` end to end (a quick
//! version of `experiments/l0onie.toml`).

use std::path::Path;
use std::process::{Command, Output};

fn rein(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rein"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn failure(out: &Output) -> String {
    assert!(!out.status.success(), "expected a failure");
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// The bytes of a file (PNGs written by the same encoder from the same pixels are identical).
fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn compresses_decodes_and_rejects_damaged_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    // A small gated SIREN (2 x 10: 173 params = 0.68 bpp dense at 64x64) pushed hard to 0.4 bpp.
    let stdout = ok(&rein(&[
        "l0onie",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
        "--target-bpp",
        "0.4",
        "--steps",
        "150",
        "--finetune-steps",
        "20",
        "--eval-every",
        "10",
        "--layers",
        "2",
        "--width",
        "10",
        "--coin-widths",
        "4,8",
        "--gate-lr",
        "0.1",
        "--dual-lr",
        "0.05",
        "--drop-rate",
        "0.1",
    ]));
    assert!(stdout.contains("COIN width"), "{stdout}");
    for f in [
        "metrics.json",
        "original.png",
        "rate_distortion.png",
        "history_bpp0.4.csv",
        "training_bpp0.4.png",
        "training_bpp0.4_psnr.png",
        "l0onie_bpp0.4.rcoin",
        "l0onie_bpp0.4.png",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    let run = &m["runs"][0];
    assert_eq!(run["feasible"], true, "{m}");
    let bpp = run["bpp"].as_f64().unwrap();
    assert!(bpp > 0.0 && bpp <= 0.4, "best feasible bpp {bpp}");
    let nnz = run["nnz"].as_u64().unwrap() as f64;
    assert!((bpp - 16.0 * nnz / 4096.0).abs() < 1e-12);
    let file_bytes = run["file_bytes"].as_u64().unwrap();
    assert_eq!(
        file_bytes,
        std::fs::metadata(out.join("l0onie_bpp0.4.rcoin"))
            .unwrap()
            .len()
    );
    assert!((run["file_bpp"].as_f64().unwrap() - 8.0 * file_bytes as f64 / 4096.0).abs() < 1e-12);
    assert_eq!(m["coin"].as_array().unwrap().len(), 2);
    assert!(run["psnr"].as_f64().unwrap() > 5.0);

    // Decoding the file reproduces the reconstruction exactly.
    let rcoin = out.join("l0onie_bpp0.4.rcoin");
    let decoded = out.join("decoded.png");
    let said = ok(&rein(&[
        "coin",
        "decode",
        rcoin.to_str().unwrap(),
        "-o",
        decoded.to_str().unwrap(),
    ]));
    assert!(said.contains("64x64"), "{said}");
    assert_eq!(bytes(&decoded), bytes(&out.join("l0onie_bpp0.4.png")));

    // Damaged and foreign files: a clear error naming the file and the problem.
    let good = bytes(&rcoin);
    let decode = |name: &str, content: &[u8]| {
        let p = out.join(name);
        std::fs::write(&p, content).unwrap();
        failure(&rein(&[
            "coin",
            "decode",
            p.to_str().unwrap(),
            "-o",
            out.join("x.png").to_str().unwrap(),
        ]))
    };
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x01;
    let e = decode("flipped.rcoin", &flipped);
    assert!(e.contains("flipped.rcoin") && e.contains("corrupt"), "{e}");
    let e = decode("cut.rcoin", &good[..good.len() - 7]);
    assert!(e.contains("cut.rcoin") && e.contains("truncated"), "{e}");
    let e = decode("photo.rcoin", &bytes(&out.join("original.png")));
    assert!(
        e.contains("photo.rcoin") && e.contains("not a rein COIN file"),
        "{e}"
    );
    let e = decode("empty.rcoin", b"");
    assert!(e.contains("empty.rcoin") && e.contains("truncated"), "{e}");
    assert!(!out.join("x.png").exists());

    // Decoding onto its own input (here through a `..` detour) is refused; the file survives.
    let detour = out
        .join("..")
        .join(out.file_name().unwrap())
        .join("l0onie_bpp0.4.rcoin");
    let e = failure(&rein(&[
        "coin",
        "decode",
        rcoin.to_str().unwrap(),
        "-o",
        detour.to_str().unwrap(),
    ]));
    assert!(e.contains("overwrite the compressed input"), "{e}");
    assert_eq!(bytes(&rcoin), good);
}

#[test]
fn bad_inputs_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["l0onie", "--quiet", "--out", dir.path().to_str().unwrap()];
        all.extend_from_slice(args);
        failure(&rein(&all))
    };
    let e = run(&["--image", "/no/such/image.png"]);
    assert!(e.contains("/no/such/image.png"), "{e}");
    let text = dir.path().join("notes.png");
    std::fs::write(&text, "not an image").unwrap();
    let e = run(&["--image", text.to_str().unwrap()]);
    assert!(e.contains("notes.png") && e.contains("not a PNG"), "{e}");
    let e = run(&["--target-bpp", "0"]);
    assert!(e.contains("--target-bpp"), "{e}");
    let e = run(&["--target-bpp=-1.5"]);
    assert!(e.contains("--target-bpp"), "{e}");
    let e = run(&["--lr", "-1"]);
    assert!(
        e.contains("--lr") && e.contains("optimizer.primal.lr"),
        "{e}"
    );
    let e = run(&["--gates", "frozen"]);
    assert!(e.contains("--gates") && e.contains("sampled"), "{e}");
    let e = run(&["--coin-widths", "8,0"]);
    assert!(e.contains("--coin-widths"), "{e}");
    let e = failure(&rein(&["coin", "decode", "/no/file.rcoin", "-o", "x.png"]));
    assert!(e.contains("/no/file.rcoin"), "{e}");
}

/// `metrics.json` without wall times.
fn metrics(dir: &Path) -> serde_json::Value {
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap()).unwrap();
    for key in ["coin", "runs"] {
        for entry in m[key].as_array_mut().unwrap() {
            entry.as_object_mut().unwrap().remove("seconds");
        }
    }
    m
}

#[test]
fn a_missed_budget_exits_2_and_rein_run_reproduces_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("l0onie_quick.toml");
    // 20 steps cannot close any gate: the 2 x 10 SIREN stays at 0.68 bpp > 0.4.
    std::fs::write(
        &file,
        "recipe = \"l0onie\"\n[config]\ntarget_bpp = [0.4]\nsteps = 20\nfinetune_steps = 0\n\
         eval_every = 10\nlayers = 2\nwidth = 10\ncoin_widths = []\n",
    )
    .unwrap();
    let first = dir.path().join("first");
    let out = rein(&[
        "l0onie",
        "--quiet",
        "--config",
        file.to_str().unwrap(),
        "--drop-rate",
        "0.1",
        "--out",
        first.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("Constraints NOT met") && stdout.contains("target 0.4"),
        "{stdout}"
    );
    let m = metrics(&first);
    assert_eq!(m["verdict"]["met"], false);
    assert_eq!(m["runs"][0]["feasible"], false);
    assert!(first.join("l0onie_bpp0.4.rcoin").exists());
    // The resolved config.toml (flags included) reproduces the run.
    let config = std::fs::read_to_string(first.join("config.toml")).unwrap();
    assert!(config.contains("drop_rate = 0.1"), "{config}");
    let second = dir.path().join("second");
    let out = rein(&[
        "run",
        "--quiet",
        first.join("config.toml").to_str().unwrap(),
        "--out",
        second.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(metrics(&first), metrics(&second));
    assert_eq!(
        bytes(&first.join("history_bpp0.4.csv")),
        bytes(&second.join("history_bpp0.4.csv"))
    );
}
