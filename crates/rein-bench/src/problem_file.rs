//! The problem file both sides of a benchmark read: `NAME.json` (a manifest) next to
//! `NAME.bin` (the raw little-endian numbers).
//!
//! ```json
//! { "format": "rein-bench-problem-v1",
//!   "meta": { "n": 10, "m": 5, "lr": 0.01, ... },
//!   "tensors": { "A": { "dtype": "f64", "shape": [5, 10], "offset": 0 }, ... } }
//! ```
//! `offset` is in bytes into `NAME.bin`; `dtype` is `f32`, `f64` or `i64`. Python reads a tensor
//! with `numpy.frombuffer(bin, dtype, count, offset).reshape(shape)`
//! (`bench/reference/common.py`). Both files are written atomically (temporary file, then
//! rename), so a reader never sees a half-written problem.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

/// Format tag in the manifest.
pub const FORMAT: &str = "rein-bench-problem-v1";

/// Element type of a stored tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dtype {
    /// 32-bit float.
    F32,
    /// 64-bit float.
    F64,
    /// 64-bit signed integer (indices, labels).
    I64,
}

impl Dtype {
    fn size(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::F64 | Self::I64 => 8,
        }
    }
}

/// Where one tensor lives in the `.bin` file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TensorEntry {
    /// Element type.
    pub dtype: Dtype,
    /// Shape (row-major).
    pub shape: Vec<usize>,
    /// Byte offset into the `.bin` file.
    pub offset: usize,
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    meta: serde_json::Map<String, serde_json::Value>,
    tensors: BTreeMap<String, TensorEntry>,
}

/// A problem being built (writer side) or read (reader side).
#[derive(Debug, Default)]
pub struct ProblemFile {
    /// Scalar settings: sizes, learning rates, step counts, names.
    pub meta: serde_json::Map<String, serde_json::Value>,
    tensors: BTreeMap<String, TensorEntry>,
    bytes: Vec<u8>,
    source: Option<PathBuf>,
}

fn bin_path(json: &Path) -> PathBuf {
    json.with_extension("bin")
}

impl ProblemFile {
    /// An empty problem.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a meta value.
    pub fn set_meta(&mut self, key: &str, value: impl Into<serde_json::Value>) {
        self.meta.insert(key.to_string(), value.into());
    }

    fn push(&mut self, name: &str, dtype: Dtype, shape: &[usize], raw: Vec<u8>) -> Result<()> {
        let count: usize = shape.iter().product();
        if raw.len() != count * dtype.size() {
            bail!(
                "problem tensor `{name}`: shape {shape:?} needs {count} values, got {}",
                raw.len() / dtype.size()
            );
        }
        if self.tensors.contains_key(name) {
            bail!("problem tensor `{name}` is stored twice");
        }
        // Align every tensor to 8 bytes so numpy views are aligned.
        while !self.bytes.len().is_multiple_of(8) {
            self.bytes.push(0);
        }
        self.tensors.insert(
            name.to_string(),
            TensorEntry {
                dtype,
                shape: shape.to_vec(),
                offset: self.bytes.len(),
            },
        );
        self.bytes.extend_from_slice(&raw);
        Ok(())
    }

    /// Stores a float64 tensor.
    pub fn put_f64(&mut self, name: &str, shape: &[usize], values: &[f64]) -> Result<()> {
        let raw = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.push(name, Dtype::F64, shape, raw)
    }

    /// Stores a float32 tensor.
    pub fn put_f32(&mut self, name: &str, shape: &[usize], values: &[f32]) -> Result<()> {
        let raw = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.push(name, Dtype::F32, shape, raw)
    }

    /// Stores an int64 tensor.
    pub fn put_i64(&mut self, name: &str, shape: &[usize], values: &[i64]) -> Result<()> {
        let raw = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.push(name, Dtype::I64, shape, raw)
    }

    /// Writes `path` (manifest) and its `.bin` sibling atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        let manifest = Manifest {
            format: FORMAT.to_string(),
            meta: self.meta.clone(),
            tensors: self.tensors.clone(),
        };
        let json = serde_json::to_vec_pretty(&manifest)?;
        write_atomic(&bin_path(path), &self.bytes)?;
        write_atomic(path, &json)
    }

    /// Reads a problem written by [`ProblemFile::write`].
    pub fn read(path: &Path) -> Result<Self> {
        let json = std::fs::read(path)
            .with_context(|| format!("reading problem manifest {}", path.display()))?;
        let bin = bin_path(path);
        let bytes = std::fs::read(&bin)
            .with_context(|| format!("reading problem data {}", bin.display()))?;
        Self::parse(&json, bytes, path)
    }

    /// Checks a manifest (`json`) against its data bytes; `path` names the manifest in errors.
    /// Every tensor's extent is computed with overflow checks and must lie inside `bytes`.
    fn parse(json: &[u8], bytes: Vec<u8>, path: &Path) -> Result<Self> {
        let manifest: Manifest = serde_json::from_slice(json)
            .with_context(|| format!("parsing problem manifest {}", path.display()))?;
        if manifest.format != FORMAT {
            bail!(
                "{}: format `{}`, expected `{FORMAT}`",
                path.display(),
                manifest.format
            );
        }
        let bin = bin_path(path);
        for (name, t) in &manifest.tensors {
            let end = t
                .shape
                .iter()
                .try_fold(t.dtype.size(), |acc, &d| acc.checked_mul(d))
                .and_then(|len| len.checked_add(t.offset));
            match end {
                Some(end) if end <= bytes.len() => {}
                Some(end) => bail!(
                    "{}: tensor `{name}` ends at byte {end}, but the file has {}",
                    bin.display(),
                    bytes.len()
                ),
                None => bail!(
                    "{}: tensor `{name}` (offset {}, shape {:?}) overflows",
                    bin.display(),
                    t.offset,
                    t.shape
                ),
            }
        }
        Ok(Self {
            meta: manifest.meta,
            tensors: manifest.tensors,
            bytes,
            source: Some(path.to_path_buf()),
        })
    }

    fn origin(&self) -> String {
        self.source
            .as_ref()
            .map_or_else(|| "problem".to_string(), |p| p.display().to_string())
    }

    fn entry(&self, name: &str, dtype: Dtype) -> Result<(&TensorEntry, &[u8])> {
        let t = self
            .tensors
            .get(name)
            .with_context(|| format!("{}: no tensor `{name}`", self.origin()))?;
        if t.dtype != dtype {
            bail!(
                "{}: tensor `{name}` is {:?}, expected {dtype:?}",
                self.origin(),
                t.dtype
            );
        }
        let len = t.shape.iter().product::<usize>() * dtype.size();
        Ok((t, &self.bytes[t.offset..t.offset + len]))
    }

    /// A float64 tensor: `(shape, values)`.
    pub fn f64(&self, name: &str) -> Result<(Vec<usize>, Vec<f64>)> {
        let (t, raw) = self.entry(name, Dtype::F64)?;
        let v = raw
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        Ok((t.shape.clone(), v))
    }

    /// A float32 tensor: `(shape, values)`.
    pub fn f32(&self, name: &str) -> Result<(Vec<usize>, Vec<f32>)> {
        let (t, raw) = self.entry(name, Dtype::F32)?;
        let v = raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect();
        Ok((t.shape.clone(), v))
    }

    /// An int64 tensor: `(shape, values)`.
    pub fn i64(&self, name: &str) -> Result<(Vec<usize>, Vec<i64>)> {
        let (t, raw) = self.entry(name, Dtype::I64)?;
        let v = raw
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        Ok((t.shape.clone(), v))
    }

    /// A meta value as f64, or an error naming the key and the file.
    pub fn meta_f64(&self, key: &str) -> Result<f64> {
        self.meta
            .get(key)
            .and_then(serde_json::Value::as_f64)
            .with_context(|| format!("{}: meta `{key}` missing or not a number", self.origin()))
    }

    /// A meta value as usize, or an error naming the key and the file.
    pub fn meta_usize(&self, key: &str) -> Result<usize> {
        self.meta
            .get(key)
            .and_then(serde_json::Value::as_u64)
            .map(|v| v as usize)
            .with_context(|| {
                format!(
                    "{}: meta `{key}` missing or not a non-negative integer",
                    self.origin()
                )
            })
    }

    /// A meta value as a string, or an error naming the key and the file.
    pub fn meta_str(&self, key: &str) -> Result<&str> {
        self.meta
            .get(key)
            .and_then(serde_json::Value::as_str)
            .with_context(|| format!("{}: meta `{key}` missing or not a string", self.origin()))
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("renaming into {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.json");
        let mut p = ProblemFile::new();
        p.set_meta("n", 3);
        p.put_f32("w", &[3], &[1.0, 2.0, 3.5]).unwrap();
        p.put_f64("a", &[2, 2], &[1.0, -2.0, 3.0, 4.25]).unwrap();
        p.put_i64("idx", &[2], &[7, -1]).unwrap();
        assert!(p.put_f64("bad", &[3], &[1.0]).is_err());
        p.write(&path).unwrap();

        let q = ProblemFile::read(&path).unwrap();
        assert_eq!(q.meta_usize("n").unwrap(), 3);
        assert_eq!(q.f32("w").unwrap(), (vec![3], vec![1.0, 2.0, 3.5]));
        assert_eq!(q.f64("a").unwrap().1, vec![1.0, -2.0, 3.0, 4.25]);
        assert_eq!(q.i64("idx").unwrap().1, vec![7, -1]);
        let err = q.f64("w").unwrap_err().to_string();
        assert!(err.contains("`w`") && err.contains("F32"), "{err}");
        let err = q.meta_f64("lr").unwrap_err().to_string();
        assert!(err.contains("`lr`") && err.contains("p.json"), "{err}");

        // A truncated data file is reported with the tensor that no longer fits.
        let bin = dir.path().join("p.bin");
        let len = std::fs::metadata(&bin).unwrap().len();
        let f = std::fs::OpenOptions::new().write(true).open(&bin).unwrap();
        f.set_len(len - 4).unwrap();
        let err = ProblemFile::read(&path).unwrap_err().to_string();
        assert!(
            err.contains("p.bin") && err.contains("ends at byte"),
            "{err}"
        );
    }

    mod fuzz {
        //! Mutated manifests and data files: an error naming the file, never a panic. Long run
        //! (10^5 cases): `PROPTEST_CASES=100000 cargo test --release -p rein-bench fuzz`.
        use super::*;
        use proptest::prelude::*;

        fn valid() -> (Vec<u8>, Vec<u8>) {
            let mut p = ProblemFile::new();
            p.set_meta("n", 3);
            p.put_f32("w", &[3], &[1.0, 2.0, 3.5]).unwrap();
            p.put_i64("idx", &[2], &[7, -1]).unwrap();
            let manifest = Manifest {
                format: FORMAT.to_string(),
                meta: p.meta.clone(),
                tensors: p.tensors.clone(),
            };
            (serde_json::to_vec(&manifest).unwrap(), p.bytes)
        }

        proptest! {
            #[test]
            fn mutated_problem_files_never_panic(
                at in any::<usize>(), value in any::<u8>(), cut in 0usize..5,
                number in prop_oneof![
                    Just("18446744073709551615"), Just("9223372036854775807"),
                    Just("4294967296"), Just("0"), Just("-1"), Just("1e30"),
                ],
                slot in any::<usize>(),
            ) {
                let (json, mut bin) = valid();
                // A number of the manifest replaced by an extreme one, one byte of it changed,
                // the data file cut short.
                let text = String::from_utf8(json).unwrap();
                let digits: Vec<usize> = text.char_indices()
                    .filter(|&(_, c)| c.is_ascii_digit()).map(|(i, _)| i).collect();
                let k = digits[slot % digits.len()];
                let mut edited = format!("{}{}{}", &text[..k], number, &text[k + 1..]).into_bytes();
                let j = at % edited.len();
                edited[j] = value;
                bin.truncate(bin.len().saturating_sub(cut));
                match ProblemFile::parse(&edited, bin, Path::new("fuzz.json")) {
                    Ok(p) => {
                        // Whatever parsed can be read without panicking.
                        let _ = p.f32("w");
                        let _ = p.i64("idx");
                        let _ = p.meta_usize("n");
                    }
                    Err(e) => prop_assert!(format!("{e:#}").contains("fuzz"), "{:#}", e),
                }
            }
        }
    }
}
