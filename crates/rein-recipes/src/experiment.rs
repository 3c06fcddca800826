//! Experiment files: one TOML file per run or sweep, read by `rein run FILE.toml`.
//!
//! ```toml
//! recipe = "sparsity"                # which recipe
//! out = "runs/sparsity_digits"       # where the run writes (the CLI's --out overrides)
//!
//! [config]                           # the recipe's configuration; every key optional
//! target = 0.2
//! steps = 4000
//! [config.optimizer.primal]
//! lr = 1e-3
//!
//! [sweep]                            # optional: the grid of runs, by dotted config key
//! target = [0.1, 0.2, 0.35]
//! seed = [0, 1, 2]
//! ```
//!
//! A sweep runs every combination, each in `out/<key>-<value>_.../`. Every run writes its
//! fully resolved configuration as `config.toml` (an experiment file without a sweep), and
//! `rein run <that file>` reproduces the run bit for bit.

use std::path::{Path, PathBuf};

use crate::error::{RecipeError, Result};
use crate::recipe::{RecipeConfig, to_table};

/// A parsed experiment file.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    /// The recipe's name.
    pub recipe: String,
    /// Output directory, if the file gives one.
    pub out: Option<PathBuf>,
    /// The recipe's configuration, as written (defaults are filled when it is read).
    pub config: toml::Table,
    /// The sweep: dotted configuration keys and their values (empty: one run).
    pub sweep: Vec<(String, Vec<toml::Value>)>,
}

/// One run of an experiment: its directory label (empty for a single run) and configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// `key-value_key-value` (empty for a single run).
    pub label: String,
    /// The configuration with the sweep's values set.
    pub config: toml::Table,
}

fn file_error(path: &Path, reason: impl Into<String>) -> RecipeError {
    RecipeError::File {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

impl Experiment {
    /// Reads an experiment file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| file_error(path, format!("cannot read: {e}")))?;
        Self::parse(&text, path)
    }

    /// Parses an experiment file's text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| file_error(path, e.to_string()))?;
        let recipe = match table.remove("recipe") {
            Some(toml::Value::String(s)) => s,
            Some(other) => {
                return Err(file_error(
                    path,
                    format!("`recipe` must be a string, found {}", other.type_str()),
                ));
            }
            None => {
                return Err(file_error(
                    path,
                    "missing `recipe = \"...\"` (sparsity, l0onie, recall, feasible)",
                ));
            }
        };
        let out = match table.remove("out") {
            Some(toml::Value::String(s)) => Some(PathBuf::from(s)),
            Some(other) => {
                return Err(file_error(
                    path,
                    format!("`out` must be a string, found {}", other.type_str()),
                ));
            }
            None => None,
        };
        let config = match table.remove("config") {
            Some(toml::Value::Table(t)) => t,
            Some(other) => {
                return Err(file_error(
                    path,
                    format!("`config` must be a table, found {}", other.type_str()),
                ));
            }
            None => toml::Table::new(),
        };
        let sweep = match table.remove("sweep") {
            Some(toml::Value::Table(t)) => t
                .into_iter()
                .map(|(k, v)| match v {
                    toml::Value::Array(values) if !values.is_empty() => Ok((k, values)),
                    other => Err(file_error(
                        path,
                        format!("sweep.{k}: expected a non-empty list of values, found {other}"),
                    )),
                })
                .collect::<Result<Vec<_>>>()?,
            Some(other) => {
                return Err(file_error(
                    path,
                    format!("`sweep` must be a table, found {}", other.type_str()),
                ));
            }
            None => Vec::new(),
        };
        if let Some(key) = table.keys().next() {
            return Err(file_error(
                path,
                format!(
                    "unknown key `{key}` (an experiment file has recipe, out, [config], [sweep])"
                ),
            ));
        }
        Ok(Self {
            recipe,
            out,
            config,
            sweep,
        })
    }

    /// Every run of the experiment: the cartesian product of the sweep, in order (the last
    /// key varies fastest).
    pub fn points(&self) -> Result<Vec<Point>> {
        let mut points = vec![Point {
            label: String::new(),
            config: self.config.clone(),
        }];
        for (key, values) in &self.sweep {
            let mut next = Vec::with_capacity(points.len() * values.len());
            for p in &points {
                for v in values {
                    let mut config = p.config.clone();
                    set_dotted(&mut config, key, v.clone())?;
                    let part = format!("{}-{}", key, label_value(v));
                    let label = if p.label.is_empty() {
                        part
                    } else {
                        format!("{}_{part}", p.label)
                    };
                    next.push(Point { label, config });
                }
            }
            points = next;
        }
        Ok(points)
    }
}

/// A value as it appears in a directory name.
fn label_value(v: &toml::Value) -> String {
    let s = match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Sets `a.b.c = value` in `table`, creating tables on the way.
pub fn set_dotted(table: &mut toml::Table, key: &str, value: toml::Value) -> Result<()> {
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().unwrap_or(key);
    let mut t = table;
    for (i, p) in parts.iter().enumerate() {
        let entry = t
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        t = match entry {
            toml::Value::Table(inner) => inner,
            _ => {
                return Err(RecipeError::config(
                    parts[..=i].join("."),
                    format!("is not a table, cannot set `{key}`"),
                ));
            }
        };
    }
    t.insert(last.to_string(), value);
    Ok(())
}

/// The text of a run's resolved `config.toml`: the recipe, the output directory and every
/// configuration value with its defaults written out.
pub fn resolved_file<C: RecipeConfig>(config: &C, out: &Path) -> Result<String> {
    let mut table = toml::Table::new();
    table.insert("recipe".into(), toml::Value::String(C::NAME.into()));
    table.insert(
        "out".into(),
        toml::Value::String(out.to_string_lossy().into_owned()),
    );
    table.insert(
        "config".into(),
        toml::Value::Table(to_table(&config.resolved())?),
    );
    let body = toml::to_string(&table).map_err(|e| RecipeError::config(C::NAME, e.to_string()))?;
    Ok(format!(
        "# The resolved configuration of a `rein {}` run: `rein run <this file>` reproduces it.\n{body}",
        C::NAME
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweeps_expand_to_labelled_points() {
        let e = Experiment::parse(
            "recipe = 'sparsity'\nout = 'runs/x'\n[config]\nsteps = 3\n[sweep]\ntarget = [0.1, 0.2]\n\"optimizer.dual.lr\" = [1.0]\n",
            Path::new("x.toml"),
        )
        .unwrap();
        let points = e.points().unwrap();
        assert_eq!(points.len(), 2);
        assert_eq!(points[0].label, "optimizer.dual.lr-1.0_target-0.1");
        assert_eq!(points[1].config["target"].as_float(), Some(0.2));
        assert_eq!(
            points[1].config["optimizer"]["dual"]["lr"].as_float(),
            Some(1.0)
        );
        assert_eq!(points[1].config["steps"].as_integer(), Some(3));
    }

    #[test]
    fn bad_files_name_the_file_and_key() {
        let p = Path::new("exp.toml");
        let e = Experiment::parse("out = 'x'", p).unwrap_err().to_string();
        assert!(e.starts_with("exp.toml") && e.contains("recipe"), "{e}");
        let e = Experiment::parse("recipe = 'sparsity'\nseeds = 3", p)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown key `seeds`"), "{e}");
        let e = Experiment::parse("recipe = 'sparsity'\n[sweep]\ntarget = 0.3", p)
            .unwrap_err()
            .to_string();
        assert!(e.contains("sweep.target"), "{e}");
    }
}
