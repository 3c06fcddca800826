//! `metrics.json`: the final metrics of a run, pretty-printed JSON written atomically.

use std::io;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use rein_coin::write_atomic;

/// Serialises `value` as pretty JSON (two-space indent, trailing newline) and writes it to
/// `path` atomically.
///
/// Non-finite floats are not representable in JSON: `serde_json` writes them as `null`.
///
/// # Errors
/// A serialisation error (as [`io::ErrorKind::InvalidData`]) or an I/O error.
pub fn write_metrics_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> io::Result<()> {
    let mut text = serde_json::to_string_pretty(value).map_err(io::Error::from)?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

/// Reads a JSON file written by [`write_metrics_json`] (or any JSON) into `T`.
///
/// # Errors
/// An I/O error, or a parse error as [`io::ErrorKind::InvalidData`].
pub fn read_metrics_json<T: DeserializeOwned>(path: &Path) -> io::Result<T> {
    let text = std::fs::read_to_string(path)?;
    serde_json::from_str(&text).map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Final {
        accuracy: f64,
        recall: Vec<f64>,
        feasible: bool,
    }

    #[test]
    fn round_trips_pretty_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.json");
        let m = Final {
            accuracy: 0.875,
            recall: vec![0.5, 1.0],
            feasible: true,
        };
        write_metrics_json(&path, &m).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("{\n  \"accuracy\": 0.875,\n"), "{text}");
        assert!(text.ends_with("}\n"));
        assert_eq!(read_metrics_json::<Final>(&path).unwrap(), m);
    }

    #[test]
    fn json_values_and_nan() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.json");
        let v = serde_json::json!({ "loss": f64::NAN, "steps": 3 });
        write_metrics_json(&path, &v).unwrap();
        let back: serde_json::Value = read_metrics_json(&path).unwrap();
        assert_eq!(back, serde_json::json!({ "loss": null, "steps": 3 }));
        std::fs::write(&path, "{ not json").unwrap();
        let err = read_metrics_json::<serde_json::Value>(&path).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
