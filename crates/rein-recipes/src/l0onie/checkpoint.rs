//! What the L0onie recipe saves in its session's checkpoints besides models and optimizers:
//! fp16 evaluations ([`Best`]: SIREN weights on the host with their bpp, PSNR and step) and
//! the best-iterate records of [`rein::selection`], stored exactly (raw `f32`/`f64` values).

use burn::tensor::TensorData;
use rein::checkpoint::StateDict;
use rein::selection::{BestIterate, Selection, Selector};
use rein_coin::siren::{LayerWeights, SirenWeights};

use super::train::Best;
use crate::error::{RecipeError, Result};

fn bad(name: &str, reason: &str) -> RecipeError {
    RecipeError::Rein(rein::ReinError::State {
        name: name.to_string(),
        reason: reason.to_string(),
    })
}

fn put_f32s(dict: &mut StateDict, name: &str, v: &[f32]) {
    dict.put_data(name, TensorData::new(v.to_vec(), [v.len()]));
}

fn get_f32s(dict: &StateDict, name: &str) -> Result<Vec<f32>> {
    dict.get_data(name)
        .ok_or_else(|| bad(name, "missing from the checkpoint"))?
        .try_to_vec::<f32>()
        .map_err(|e| bad(name, &format!("{e:?}")))
}

/// Stores `best` under `name/`.
pub(super) fn put_best(dict: &mut StateDict, name: &str, best: &Best) {
    let w = &best.weights;
    dict.put_u64s(
        &format!("{name}/widths"),
        &w.widths.iter().map(|&d| d as u64).collect::<Vec<_>>(),
    );
    put_f32s(dict, &format!("{name}/w0"), &[w.w0]);
    for (k, layer) in w.layers.iter().enumerate() {
        put_f32s(dict, &format!("{name}/layer{k}/weight"), &layer.weight);
        put_f32s(dict, &format!("{name}/layer{k}/bias"), &layer.bias);
    }
    dict.put_f64s(&format!("{name}/bpp_psnr"), &[best.bpp, best.psnr]);
    dict.put_u64s(&format!("{name}/step"), &[best.step as u64]);
}

/// Reads an evaluation stored with [`put_best`].
pub(super) fn get_best(dict: &StateDict, name: &str) -> Result<Best> {
    let widths: Vec<usize> = dict
        .get_u64s(&format!("{name}/widths"))?
        .into_iter()
        .map(|d| d as usize)
        .collect();
    let w0 = get_f32s(dict, &format!("{name}/w0"))?;
    let layers = (0..widths.len().saturating_sub(1))
        .map(|k| {
            Ok(LayerWeights {
                weight: get_f32s(dict, &format!("{name}/layer{k}/weight"))?,
                bias: get_f32s(dict, &format!("{name}/layer{k}/bias"))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let figures = dict.get_f64s(&format!("{name}/bpp_psnr"))?;
    let step = dict.get_u64s(&format!("{name}/step"))?;
    match (w0.as_slice(), figures.as_slice(), step.as_slice()) {
        (&[w0], &[bpp, psnr], &[step]) => Ok(Best {
            step: step as usize,
            weights: SirenWeights { w0, widths, layers },
            bpp,
            psnr,
        }),
        _ => Err(bad(name, "malformed evaluation")),
    }
}

/// Stores a best-iterate record under `name/`.
pub(super) fn put_record(dict: &mut StateDict, name: &str, record: &BestIterate<Best>) {
    dict.put_f64s(
        &format!("{name}/selector"),
        &[record.selector().tolerance()],
    );
    dict.put_u64s(&format!("{name}/offered"), &[record.offered() as u64]);
    if let Some((s, best)) = record.best() {
        dict.put_u64s(
            &format!("{name}/selection"),
            &[s.index as u64, u64::from(s.feasible)],
        );
        dict.put_f64s(
            &format!("{name}/selection_values"),
            &[s.max_violation, s.objective],
        );
        put_best(dict, &format!("{name}/best"), best);
    }
}

/// Reads a record stored with [`put_record`].
pub(super) fn get_record(dict: &StateDict, name: &str) -> Result<BestIterate<Best>> {
    let tolerance = dict.get_f64s(&format!("{name}/selector"))?;
    let selector = Selector::new(tolerance.first().copied().unwrap_or(0.0))?;
    let offered = dict
        .get_u64s(&format!("{name}/offered"))?
        .first()
        .copied()
        .unwrap_or(0) as usize;
    let best = if dict.contains(&format!("{name}/selection")) {
        let s = dict.get_u64s(&format!("{name}/selection"))?;
        let v = dict.get_f64s(&format!("{name}/selection_values"))?;
        let (&[index, feasible], &[max_violation, objective]) = (s.as_slice(), v.as_slice()) else {
            return Err(bad(name, "malformed selection"));
        };
        let selection = Selection {
            index: index as usize,
            feasible: feasible != 0,
            max_violation,
            objective,
        };
        Some((selection, get_best(dict, &format!("{name}/best"))?))
    } else {
        None
    };
    Ok(BestIterate::restored(selector, offered, best))
}
