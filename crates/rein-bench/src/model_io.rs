//! Problem-file I/O shared by the MLP workloads (`mlp-l0`, `feasible`): the data set, the
//! initial parameters of an MLP (plain or L0-gated) and the batch order.
//!
//! Tensor names (all row-major, burn's `Linear` layout `y = x W + b`):
//! * `layer{l}.weight` `f32 [in, out]`, `layer{l}.bias` `f32 [out]` for layer `l = 0, 1, ...`;
//! * `layer{l}.log_alpha` `f32 [in * out + out]` (gated models only; unstructured gates: the
//!   weight gates row-major, then the bias gates);
//! * `train.x` `f32 [n, d]`, `train.y` `i64 [n]` and `test.x`, `test.y` (embedded data), or
//!   the meta key `mnist_dir` (both sides read the IDX files there and divide pixels by 255);
//! * `batches` `i64 [num_batches, batch_size]`: step `t` uses row `t mod num_batches`.
//!
//! The layer widths are the meta key `sizes` (e.g. `[784, 300, 100, 10]`).

use std::path::Path;

use anyhow::{Context, Result, bail};
use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData};
use clap::ValueEnum;
use rein_nn::l0::GateStructure;
use rein_nn::{Batcher, Dataset, Digits, L0Linear, L0Mlp, Mlp, Mnist, MnistVariant};

use crate::problem_file::ProblemFile;

/// Which data set a workload trains on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DataName {
    /// The bundled 8x8 digits (64 features; 80/20 stratified split, seed 0), embedded in the
    /// problem file.
    Digits,
    /// MNIST (784 features; official 60k/10k split) read from the IDX files by both sides.
    Mnist,
}

impl DataName {
    /// Name stored in the problem meta (`data`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Digits => "digits",
            Self::Mnist => "mnist",
        }
    }
}

/// The train and test parts of a problem's data.
pub struct Data {
    /// Training rows (the batches index these).
    pub train: Dataset,
    /// Test rows (accuracy only).
    pub test: Dataset,
}

/// Loads `data` (for writing a problem): digits from the bundled copy, MNIST from `mnist_dir`.
pub fn load_fresh(data: DataName, mnist_dir: &Path) -> Result<Data> {
    match data {
        DataName::Digits => {
            let split = Digits::load_bundled()?.split(0.2, 0)?;
            Ok(Data {
                train: split.train,
                test: split.test,
            })
        }
        DataName::Mnist => {
            let split = Mnist::load(mnist_dir, MnistVariant::Mnist).with_context(|| {
                format!("loading MNIST from {} (--mnist-dir)", mnist_dir.display())
            })?;
            Ok(Data {
                train: split.train,
                test: split.test,
            })
        }
    }
}

/// Records the data in the problem: embedded tensors for digits, the absolute IDX directory for
/// MNIST (meta `mnist_dir`). Also sets meta `data`, `n_train`, `n_test`, `features`.
pub fn put_data(p: &mut ProblemFile, name: DataName, data: &Data, mnist_dir: &Path) -> Result<()> {
    p.set_meta("data", name.as_str());
    p.set_meta("n_train", data.train.n);
    p.set_meta("n_test", data.test.n);
    p.set_meta("features", data.train.d);
    match name {
        DataName::Digits => {
            for (part, ds) in [("train", &data.train), ("test", &data.test)] {
                p.put_f32(&format!("{part}.x"), &[ds.n, ds.d], &ds.features())?;
                let y: Vec<i64> = ds.labels.iter().map(|&y| y as i64).collect();
                p.put_i64(&format!("{part}.y"), &[ds.n], &y)?;
            }
        }
        DataName::Mnist => {
            let dir = std::fs::canonicalize(mnist_dir)
                .with_context(|| format!("resolving --mnist-dir {}", mnist_dir.display()))?;
            p.set_meta("mnist_dir", dir.display().to_string());
        }
    }
    Ok(())
}

/// The data of a problem written by [`put_data`], checked against the meta row counts.
pub fn data(p: &ProblemFile) -> Result<Data> {
    let data = match p.meta_str("data")? {
        "digits" => {
            let part = |name: &str| -> Result<Dataset> {
                let (shape, x) = p.f32(&format!("{name}.x"))?;
                let (_, y) = p.i64(&format!("{name}.y"))?;
                let labels = y
                    .iter()
                    .map(|&v| usize::try_from(v))
                    .collect::<Result<Vec<_>, _>>()
                    .with_context(|| format!("negative label in `{name}.y`"))?;
                let d = *shape
                    .get(1)
                    .with_context(|| format!("problem tensor `{name}.x` is not 2-D"))?;
                Ok(Dataset::new(x, labels, d, Digits::CLASSES)?)
            };
            Data {
                train: part("train")?,
                test: part("test")?,
            }
        }
        "mnist" => load_fresh(DataName::Mnist, Path::new(p.meta_str("mnist_dir")?))?,
        other => bail!("problem meta `data` is `{other}`, expected `digits` or `mnist`"),
    };
    for (key, ds) in [("n_train", &data.train), ("n_test", &data.test)] {
        let n = p.meta_usize(key)?;
        if ds.n != n {
            bail!(
                "the problem expects {n} rows (meta `{key}`), the data has {}",
                ds.n
            );
        }
    }
    Ok(data)
}

/// Checks that the problem's data is the one asked for on the command line.
pub fn check_data_name(p: &ProblemFile, asked: DataName) -> Result<()> {
    let stored = p.meta_str("data")?;
    if stored != asked.as_str() {
        bail!(
            "the problem file holds `{stored}` data but --data {} was given",
            asked.as_str()
        );
    }
    Ok(())
}

/// Stores `num_batches` batches of `batch_size` distinct training rows (a seeded
/// [`Batcher`] with `drop_last`, epochs following each other) as `batches`.
pub fn put_batches(
    p: &mut ProblemFile,
    n_train: usize,
    batch_size: usize,
    num_batches: usize,
    seed: u64,
) -> Result<()> {
    if num_batches == 0 {
        bail!("the number of stored batches must be at least 1");
    }
    let mut batcher = Batcher::new(n_train, batch_size, seed)?.with_drop_last(true)?;
    let mut all = Vec::with_capacity(num_batches * batch_size);
    for _ in 0..num_batches {
        all.extend(batcher.next_batch().indices.iter().map(|&i| i as i64));
    }
    p.set_meta("batch_size", batch_size);
    p.put_i64("batches", &[num_batches, batch_size], &all)
}

/// The stored batches: `(batch_size, flat indices)`; batch `k` is
/// `indices[k * batch_size..(k + 1) * batch_size]`. Every index is checked against `n_train`.
pub fn batches(p: &ProblemFile, n_train: usize) -> Result<(usize, Vec<usize>)> {
    let (shape, raw) = p.i64("batches")?;
    let [_, batch_size] = shape[..] else {
        bail!("problem tensor `batches` has shape {shape:?}, expected [num_batches, batch_size]");
    };
    let mut out = Vec::with_capacity(raw.len());
    for v in raw {
        match usize::try_from(v) {
            Ok(i) if i < n_train => out.push(i),
            _ => bail!("problem tensor `batches` holds index {v}, outside 0..{n_train}"),
        }
    }
    if batch_size == 0 || out.is_empty() {
        bail!("problem tensor `batches` is empty");
    }
    Ok((batch_size, out))
}

/// Host values of a tensor as `f32`.
pub fn host_f32<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("reading a tensor to the host: {e:?}"))
}

/// Stores the layer widths (`sizes`) and the weights, biases and `log_alpha` of `model`.
pub fn put_l0_mlp(p: &mut ProblemFile, model: &L0Mlp) -> Result<()> {
    let mut sizes = Vec::new();
    for (l, layer) in model.layers.iter().enumerate() {
        if layer.structure != GateStructure::Unstructured {
            bail!("only unstructured gates are supported by the benchmark file format");
        }
        let (i, o) = (layer.d_input(), layer.d_output());
        if l == 0 {
            sizes.push(i);
        }
        sizes.push(o);
        let bias = layer
            .bias
            .as_ref()
            .context("the benchmark MLP layers have biases")?;
        p.put_f32(
            &format!("layer{l}.weight"),
            &[i, o],
            &host_f32(layer.weight.val())?,
        )?;
        p.put_f32(&format!("layer{l}.bias"), &[o], &host_f32(bias.val())?)?;
        p.put_f32(
            &format!("layer{l}.log_alpha"),
            &[layer.num_gates()],
            &host_f32(layer.log_alpha.val())?,
        )?;
    }
    p.set_meta("sizes", sizes);
    Ok(())
}

/// Stores the layer widths (`sizes`) and the weights and biases of the plain `model`.
pub fn put_mlp(p: &mut ProblemFile, model: &Mlp) -> Result<()> {
    let mut sizes = Vec::new();
    for (l, layer) in model.layers.iter().enumerate() {
        let [i, o] = layer.weight.dims();
        if l == 0 {
            sizes.push(i);
        }
        sizes.push(o);
        let bias = layer
            .bias
            .as_ref()
            .context("the benchmark MLP layers have biases")?;
        p.put_f32(
            &format!("layer{l}.weight"),
            &[i, o],
            &host_f32(layer.weight.val())?,
        )?;
        p.put_f32(&format!("layer{l}.bias"), &[o], &host_f32(bias.val())?)?;
    }
    p.set_meta("sizes", sizes);
    Ok(())
}

/// The layer widths stored in meta `sizes`.
pub fn sizes(p: &ProblemFile) -> Result<Vec<usize>> {
    let sizes: Vec<usize> = p
        .meta
        .get("sizes")
        .and_then(|v| v.as_array())
        .context("problem meta `sizes` missing or not an array")?
        .iter()
        .map(|v| v.as_u64().map(|u| u as usize))
        .collect::<Option<_>>()
        .context("problem meta `sizes` holds a value that is not a non-negative integer")?;
    if sizes.len() < 2 || sizes.contains(&0) {
        bail!("problem meta `sizes` = {sizes:?}: need at least two positive widths");
    }
    Ok(sizes)
}

/// A float tensor of the problem with exactly `shape`, as a parameter on `device`.
fn param<const D: usize>(
    p: &ProblemFile,
    name: &str,
    shape: [usize; D],
    device: &Device,
) -> Result<Param<Tensor<D>>> {
    let (stored, values) = p.f32(name)?;
    if stored[..] != shape[..] {
        bail!("problem tensor `{name}` has shape {stored:?}, expected {shape:?}");
    }
    Ok(Param::from_data(TensorData::new(values, shape), device))
}

/// Weight `[in, out]` and bias `[out]` of layer `l`.
fn linear_params(
    p: &ProblemFile,
    l: usize,
    (i, o): (usize, usize),
    device: &Device,
) -> Result<(Param<Tensor<2>>, Param<Tensor<1>>)> {
    Ok((
        param(p, &format!("layer{l}.weight"), [i, o], device)?,
        param(p, &format!("layer{l}.bias"), [o], device)?,
    ))
}

/// The L0-gated MLP (unstructured gates) with the problem's initial parameters.
pub fn l0_mlp(p: &ProblemFile, device: &Device) -> Result<L0Mlp> {
    let sizes = sizes(p)?;
    let layers = sizes
        .windows(2)
        .enumerate()
        .map(|(l, w)| {
            let (weight, bias) = linear_params(p, l, (w[0], w[1]), device)?;
            Ok(L0Linear {
                weight,
                bias: Some(bias),
                log_alpha: param(
                    p,
                    &format!("layer{l}.log_alpha"),
                    [w[0] * w[1] + w[1]],
                    device,
                )?,
                structure: GateStructure::Unstructured,
            })
        })
        .collect::<Result<_>>()?;
    Ok(L0Mlp { layers })
}

/// The plain MLP with the problem's initial weights and biases (gates, if stored, ignored).
pub fn mlp(p: &ProblemFile, device: &Device) -> Result<Mlp> {
    let sizes = sizes(p)?;
    let layers = sizes
        .windows(2)
        .enumerate()
        .map(|(l, w)| {
            let (weight, bias) = linear_params(p, l, (w[0], w[1]), device)?;
            Ok(Linear {
                weight,
                bias: Some(bias),
            })
        })
        .collect::<Result<_>>()?;
    Ok(Mlp { layers })
}

/// Multiply-add FLOPs of one training step of a dense MLP with `sizes` on `batch` rows:
/// forward `2 B in out` per layer, backward twice that (input and weight gradients), so
/// `6 B sum(in out)` (bias, activation and optimizer FLOPs are not counted).
pub fn mlp_step_flops(sizes: &[usize], batch: usize) -> f64 {
    sizes
        .windows(2)
        .map(|w| 6.0 * batch as f64 * w[0] as f64 * w[1] as f64)
        .sum()
}

/// Number of `logits` rows whose argmax equals `labels`.
fn correct(logits: Tensor<2>, labels: &[usize]) -> Result<usize> {
    let c = logits.dims()[1];
    let values = host_f32(logits)?;
    Ok(values
        .chunks_exact(c)
        .zip(labels)
        .filter(|(row, y)| {
            let best = row
                .iter()
                .enumerate()
                .fold(
                    (0, f32::NEG_INFINITY),
                    |b, (k, &v)| if v > b.1 { (k, v) } else { b },
                );
            best.0 == **y
        })
        .count())
}

/// Rows per forward pass of [`chunked_accuracy`].
const EVAL_CHUNK: usize = 1000;

/// Accuracy of `forward` (logits of a feature batch) over `ds`, [`EVAL_CHUNK`] rows at a time:
/// evaluating MNIST's 10,000 test rows at once held their `f32` features and activations
/// together (~70 MB, the process's peak resident memory after the MNIST images went to bytes).
/// Pass a model without autodiff (`model.valid()`, `device.inner()`), or every chunk's graph
/// stays recorded.
pub fn chunked_accuracy(
    ds: &Dataset,
    device: &Device,
    forward: impl Fn(Tensor<2>) -> Tensor<2>,
) -> Result<f64> {
    let mut right = 0;
    for start in (0..ds.n).step_by(EVAL_CHUNK) {
        let rows: Vec<usize> = (start..(start + EVAL_CHUNK).min(ds.n)).collect();
        let (x, _) = ds.batch_tensors(&rows, device);
        right += correct(forward(x), &ds.labels[start..start + rows.len()])?;
    }
    Ok(right as f64 / ds.n.max(1) as f64)
}
