//! Named, versioned, atomic checkpoints of everything that evolves.
//!
//! A [`StateDict`] maps stable names (`"primal/layers.0.weight/m"`, `"dual/recall/values"`,
//! `"model/layers.0.weight"`) to raw tensors with their dtype and shape. Nothing is keyed by
//! position or run-time id, so a checkpoint survives reordering and reconstruction of the
//! objects it came from. [`Checkpoint::save`] writes a safetensors file with a format tag, a
//! version and a checksum through a temporary file and an atomic rename; [`Checkpoint::load`]
//! rejects truncated, corrupted, foreign or future files with an error naming the file.
//! Values round-trip bit for bit (dtypes are kept).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::{DType, Tensor, TensorData};
use safetensors::{Dtype, SafeTensors, tensor::TensorView};

use crate::error::{ReinError, Result};
use crate::optim::mapper::{collect_params, map_params};

/// Format tag stored in every rein checkpoint.
pub const FORMAT: &str = "rein.checkpoint";
/// Current checkpoint format version.
pub const VERSION: u32 = 1;

/// Something whose evolving state can be saved under a name prefix and restored.
pub trait Stateful {
    /// Writes the state under `prefix/...` into `out`.
    fn save_state(&self, prefix: &str, out: &mut StateDict) -> Result<()>;
    /// Restores the state from `prefix/...` of `dict`. Missing or malformed entries are errors
    /// naming the entry.
    fn load_state(&mut self, prefix: &str, dict: &StateDict) -> Result<()>;
}

/// Named raw tensors (dtype, shape, bytes), ordered by name.
#[derive(Debug, Clone, Default)]
pub struct StateDict {
    entries: BTreeMap<String, TensorData>,
}

impl StateDict {
    /// An empty dictionary.
    pub fn new() -> Self {
        Self::default()
    }
    /// Stores raw tensor data under `name`.
    pub fn put_data(&mut self, name: &str, data: TensorData) {
        self.entries.insert(name.to_string(), data);
    }
    /// Stores `f64` values under `name`.
    pub fn put_f64s(&mut self, name: &str, values: &[f64]) {
        self.put_data(name, TensorData::new(values.to_vec(), [values.len()]));
    }
    /// Stores `u64` values under `name` (counters, RNG state, data position).
    pub fn put_u64s(&mut self, name: &str, values: &[u64]) {
        self.put_data(name, TensorData::new(values.to_vec(), [values.len()]));
    }
    /// Stores raw bytes under `name` (serialised side state: a history, a monitor, a result).
    pub fn put_bytes(&mut self, name: &str, bytes: &[u8]) {
        self.put_data(name, TensorData::new(bytes.to_vec(), [bytes.len()]));
    }
    /// Raw tensor data under `name`.
    pub fn get_data(&self, name: &str) -> Option<&TensorData> {
        self.entries.get(name)
    }
    fn require(&self, name: &str) -> Result<&TensorData> {
        self.entries.get(name).ok_or_else(|| ReinError::State {
            name: name.to_string(),
            reason: "missing from the checkpoint".into(),
        })
    }
    /// The `f64` values under `name`; an error if missing or of another dtype.
    pub fn get_f64s(&self, name: &str) -> Result<Vec<f64>> {
        let d = self.require(name)?;
        if d.dtype() != DType::F64 {
            return Err(ReinError::State {
                name: name.into(),
                reason: format!("expected f64, found {:?}", d.dtype()),
            });
        }
        d.try_to_vec::<f64>().map_err(|e| ReinError::State {
            name: name.into(),
            reason: format!("{e:?}"),
        })
    }
    /// The `u64` values under `name`; an error if missing or of another dtype.
    pub fn get_u64s(&self, name: &str) -> Result<Vec<u64>> {
        let d = self.require(name)?;
        if d.dtype() != DType::U64 {
            return Err(ReinError::State {
                name: name.into(),
                reason: format!("expected u64, found {:?}", d.dtype()),
            });
        }
        d.try_to_vec::<u64>().map_err(|e| ReinError::State {
            name: name.into(),
            reason: format!("{e:?}"),
        })
    }
    /// The bytes under `name` (stored with [`StateDict::put_bytes`]); an error if missing or
    /// of another dtype.
    pub fn get_bytes(&self, name: &str) -> Result<Vec<u8>> {
        let d = self.require(name)?;
        if d.dtype() != DType::U8 {
            return Err(ReinError::State {
                name: name.into(),
                reason: format!("expected u8, found {:?}", d.dtype()),
            });
        }
        Ok(d.as_bytes().to_vec())
    }
    /// Whether `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }
    /// Names starting with `prefix`, in order.
    pub fn keys_under(&self, prefix: &str) -> Vec<String> {
        self.entries
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k.clone())
            .collect()
    }
    /// All names.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Saves every float parameter of `model` under `prefix/<path>`.
    pub fn put_module<M: Module>(&mut self, prefix: &str, model: &M) {
        for (path, data) in collect_params(model) {
            self.put_data(&format!("{prefix}/{path}"), data);
        }
    }

    /// Returns `model` with every float parameter replaced by the one saved under
    /// `prefix/<path>`. A missing entry, or one of another shape or dtype, is an error naming it.
    pub fn load_module<M: Module>(&self, prefix: &str, model: M) -> Result<M> {
        // Check everything first, so that an error leaves nothing half-loaded.
        for (path, current) in collect_params(&model) {
            let name = format!("{prefix}/{path}");
            let saved = self.require(&name)?;
            if saved.shape() != current.shape() || saved.dtype() != current.dtype() {
                return Err(ReinError::State {
                    name,
                    reason: format!(
                        "saved {:?} {:?}, model has {:?} {:?}",
                        saved.dtype(),
                        saved.shape(),
                        current.dtype(),
                        current.shape()
                    ),
                });
            }
        }
        Ok(map_params(model, &mut |path, x| {
            let saved = self.entries[&format!("{prefix}/{path}")].clone();
            let n = saved.num_elements();
            let bytes = saved.into_bytes();
            let flat = TensorData::from_bytes(bytes, [n], x.dtype());
            Tensor::from_data(flat, &x.device())
        }))
    }
}

/// A checkpoint: a [`StateDict`] plus string metadata, saved as one safetensors file.
#[derive(Debug, Clone, Default)]
pub struct Checkpoint {
    /// The named state.
    pub state: StateDict,
    /// Free-form metadata (run name, config hash...). Keys starting with `rein.` are reserved.
    pub metadata: BTreeMap<String, String>,
}

impl Checkpoint {
    /// An empty checkpoint.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the state of `item` under `prefix`.
    pub fn put(&mut self, prefix: &str, item: &impl Stateful) -> Result<&mut Self> {
        item.save_state(prefix, &mut self.state)?;
        Ok(self)
    }

    /// Restores the state of `item` from `prefix`.
    pub fn restore(&self, prefix: &str, item: &mut impl Stateful) -> Result<()> {
        item.load_state(prefix, &self.state)
    }

    /// Writes the checkpoint atomically: temporary file in the same directory, fsync, rename.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let io = |source| ReinError::Io {
            path: path.to_path_buf(),
            source,
        };
        let bytes = self.to_bytes()?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let mut builder = tempfile::Builder::new();
        builder.prefix(".rein-").suffix(".tmp");
        // A result file, not a secret: created like `File::create` would (0666 minus the
        // umask), not with the temporary file's private 0600.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let mut tmp = builder.tempfile_in(&dir).map_err(io)?;
        tmp.write_all(&bytes).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(path).map_err(|e| io(e.error))?;
        Ok(())
    }

    /// The bytes [`Checkpoint::save`] writes: safetensors with rein's format tag, version and
    /// checksum in the metadata. The same checkpoint always gives the same bytes (the header's
    /// keys are written in sorted order), so two files can be compared byte for byte.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut views = Vec::with_capacity(self.state.len());
        for (name, data) in &self.state.entries {
            let dtype = to_safetensors(data.dtype()).ok_or_else(|| ReinError::State {
                name: name.clone(),
                reason: format!("dtype {:?} cannot be checkpointed", data.dtype()),
            })?;
            let view =
                TensorView::new(dtype, data.shape().to_vec(), data.as_bytes()).map_err(|e| {
                    ReinError::State {
                        name: name.clone(),
                        reason: e.to_string(),
                    }
                })?;
            views.push((name.clone(), view));
        }
        let mut meta: HashMap<String, String> = self
            .metadata
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        meta.insert("rein.format".into(), FORMAT.into());
        meta.insert("rein.version".into(), VERSION.to_string());
        meta.insert(
            "rein.checksum".into(),
            format!("{:016x}", checksum(&self.state)),
        );
        let bytes = safetensors::serialize(views, Some(meta)).map_err(|e| ReinError::State {
            name: "checkpoint".into(),
            reason: e.to_string(),
        })?;
        Ok(sorted_header(bytes))
    }

    /// Reads a checkpoint written by [`Checkpoint::save`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| ReinError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, path)
    }

    /// Parses the bytes of a checkpoint file; `path` only names the file in errors. Every
    /// length and shape comes from the safetensors header, which is checked against the bytes
    /// present before anything is allocated; then the format tag, the version and the checksum
    /// are checked.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self> {
        let bad = |reason: String| ReinError::Checkpoint {
            path: path.to_path_buf(),
            reason,
        };
        let st = SafeTensors::deserialize(bytes).map_err(|e| {
            bad(format!(
                "not a readable rein checkpoint (truncated or foreign): {e}"
            ))
        })?;
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| bad(e.to_string()))?;
        let meta = header.metadata().clone().unwrap_or_default();
        match meta.get("rein.format").map(String::as_str) {
            Some(FORMAT) => {}
            Some(other) => return Err(bad(format!("foreign format `{other}`"))),
            None => return Err(bad("a safetensors file, but not a rein checkpoint".into())),
        }
        let version: u32 = meta
            .get("rein.version")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| bad("missing format version".into()))?;
        if version != VERSION {
            return Err(bad(format!(
                "format version {version}, this build reads version {VERSION}"
            )));
        }
        let mut state = StateDict::new();
        for (name, view) in st.tensors() {
            let dtype = from_safetensors(view.dtype()).ok_or_else(|| {
                bad(format!(
                    "entry `{name}` has unsupported dtype {:?}",
                    view.dtype()
                ))
            })?;
            state.put_data(
                &name,
                TensorData::from_bytes_vec(view.data().to_vec(), view.shape().to_vec(), dtype),
            );
        }
        let expected = meta.get("rein.checksum").cloned().unwrap_or_default();
        let actual = format!("{:016x}", checksum(&state));
        if expected != actual {
            return Err(bad(format!(
                "checksum mismatch (corrupted file): stored {expected}, computed {actual}"
            )));
        }
        let metadata = meta
            .into_iter()
            .filter(|(k, _)| !k.starts_with("rein."))
            .collect();
        Ok(Self { state, metadata })
    }
}

/// `bytes` (a safetensors file) with its JSON header rewritten with sorted keys. safetensors
/// writes the metadata from a `HashMap`, whose order changes from run to run; sorting gives
/// reproducible files. The header keeps its length (same keys and values, padded with spaces
/// as safetensors pads it), so the data offsets are unchanged. If anything about the header
/// is unexpected, the bytes are returned as they were.
fn sorted_header(mut bytes: Vec<u8>) -> Vec<u8> {
    let Some(len) = bytes
        .get(..8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_le_bytes)
        .and_then(|n| usize::try_from(n).ok())
    else {
        return bytes;
    };
    let Some(header) = bytes.get(8..8 + len) else {
        return bytes;
    };
    // serde_json's map is ordered by key (no `preserve_order` in this workspace).
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(header) else {
        return bytes;
    };
    let Ok(mut sorted) = serde_json::to_vec(&sort_keys(value)) else {
        return bytes;
    };
    if sorted.len() > len {
        return bytes;
    }
    sorted.resize(len, b' ');
    bytes[8..8 + len].copy_from_slice(&sorted);
    bytes
}

/// `value` with every object's keys in sorted order.
fn sort_keys(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let sorted: BTreeMap<String, serde_json::Value> =
                map.into_iter().map(|(k, v)| (k, sort_keys(v))).collect();
            serde_json::Value::Object(sorted.into_iter().collect())
        }
        other => other,
    }
}

/// FNV-1a over names, dtypes, shapes and bytes, in name order.
fn checksum(state: &StateDict) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for (name, data) in &state.entries {
        eat(name.as_bytes());
        eat(format!("{:?}{:?}", data.dtype(), data.shape()).as_bytes());
        eat(data.as_bytes());
    }
    h
}

fn to_safetensors(d: DType) -> Option<Dtype> {
    Some(match d {
        DType::F64 => Dtype::F64,
        DType::F32 | DType::Flex32 => Dtype::F32,
        DType::F16 => Dtype::F16,
        DType::BF16 => Dtype::BF16,
        DType::I64 => Dtype::I64,
        DType::I32 => Dtype::I32,
        DType::I16 => Dtype::I16,
        DType::I8 => Dtype::I8,
        DType::U64 => Dtype::U64,
        DType::U32 => Dtype::U32,
        DType::U16 => Dtype::U16,
        DType::U8 => Dtype::U8,
        _ => return None,
    })
}

fn from_safetensors(d: Dtype) -> Option<DType> {
    Some(match d {
        Dtype::F64 => DType::F64,
        Dtype::F32 => DType::F32,
        Dtype::F16 => DType::F16,
        Dtype::BF16 => DType::BF16,
        Dtype::I64 => DType::I64,
        Dtype::I32 => DType::I32,
        Dtype::I16 => DType::I16,
        Dtype::I8 => DType::I8,
        Dtype::U64 => DType::U64,
        Dtype::U32 => DType::U32,
        Dtype::U16 => DType::U16,
        Dtype::U8 => DType::U8,
        _ => return None,
    })
}
