//! Per-parameter optimizer state: a step count and named tensor slots, saved by path.

use std::collections::BTreeMap;

use burn::tensor::{Tensor, TensorData};

use crate::checkpoint::StateDict;
use crate::error::Result;

/// One state tensor: absent, live on the device, or loaded from a checkpoint and not yet used
/// (it is moved to the parameter's device at its next step).
#[derive(Debug, Clone, Default)]
pub(crate) enum Slot {
    #[default]
    Empty,
    Live(Tensor<1>),
    Loaded(TensorData),
}

impl Slot {
    /// The tensor, materialised on `like`'s device, or `None` if empty.
    pub fn take(&mut self, like: &Tensor<1>) -> Option<Tensor<1>> {
        match std::mem::take(self) {
            Slot::Empty => None,
            Slot::Live(t) => Some(t),
            Slot::Loaded(d) => Some(Tensor::from_data(d, &like.device())),
        }
    }
}

/// State of one parameter: its own step count and `N` slots.
#[derive(Debug, Clone, Default)]
pub(crate) struct ParamSlots {
    pub step: u64,
    pub slots: Vec<Slot>,
}

/// State of an element-wise optimizer: per parameter path.
#[derive(Debug, Clone, Default)]
pub(crate) struct SlotState {
    pub params: BTreeMap<String, ParamSlots>,
}

impl SlotState {
    pub fn entry(&mut self, path: &str, n_slots: usize) -> &mut ParamSlots {
        let e = self.params.entry(path.to_string()).or_default();
        if e.slots.len() != n_slots {
            e.slots.resize_with(n_slots, Slot::default);
        }
        e
    }

    pub fn save(&self, prefix: &str, names: &[&str], out: &mut StateDict) -> Result<()> {
        for (path, p) in &self.params {
            out.put_u64s(&format!("{prefix}/{path}/step"), &[p.step]);
            for (slot, name) in p.slots.iter().zip(names) {
                let data = match slot {
                    Slot::Empty => continue,
                    Slot::Live(t) => t.to_data(),
                    Slot::Loaded(d) => d.clone(),
                };
                out.put_data(&format!("{prefix}/{path}/{name}"), data);
            }
        }
        Ok(())
    }

    pub fn load(prefix: &str, names: &[&str], dict: &StateDict) -> Result<Self> {
        let mut params = BTreeMap::new();
        let head = format!("{prefix}/");
        for key in dict.keys_under(&head) {
            let Some(path) = key
                .strip_prefix(&head)
                .and_then(|k| k.strip_suffix("/step"))
            else {
                continue;
            };
            let step = dict.get_u64s(&key)?;
            let mut slots = Vec::with_capacity(names.len());
            for name in names {
                slots.push(match dict.get_data(&format!("{head}{path}/{name}")) {
                    Some(d) => Slot::Loaded(d.clone()),
                    None => Slot::Empty,
                });
            }
            params.insert(
                path.to_string(),
                ParamSlots {
                    step: step.first().copied().unwrap_or(0),
                    slots,
                },
            );
        }
        Ok(Self { params })
    }
}
