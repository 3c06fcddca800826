//! `rein optimizers`: Shampoo vs Adam vs SGD on the same MLP, data, initialisation and batches —
//! training-loss curves, test accuracy and time per step side by side.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::Device;
use clap::Args;
use rein::config::{PrimalConfig, PrimalKind};
use rein::device::DeviceKind;
use rein::optim::{Momentum, ParamGrads, PrimalOptimizer};
use rein_nn::{Batcher, Dataset, Digits, Mlp, MlpConfig, metrics};
use serde::Serialize;

use crate::report::{History, Panel, Table, plot_two_panel, progress_bar, write_metrics_json};

/// Options of `rein optimizers`.
#[derive(Debug, Args)]
pub struct OptimizersArgs {
    /// Hidden widths of the MLP on the bundled digits.
    #[arg(long, default_value = "128,64", value_delimiter = ',')]
    pub hidden: Vec<usize>,
    /// Training steps per optimizer.
    #[arg(long, default_value_t = 1000)]
    pub steps: usize,
    /// Minibatch size.
    #[arg(long, default_value_t = 128)]
    pub batch_size: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub adam_lr: f64,
    /// SGD's learning rate (heavy-ball momentum 0.9).
    #[arg(long, default_value_t = 0.05)]
    pub sgd_lr: f64,
    /// Shampoo's learning rate (AdaGrad grafting).
    #[arg(long, default_value_t = 1e-2)]
    pub shampoo_lr: f64,
    /// Shampoo's precondition frequency.
    #[arg(long, default_value_t = 10)]
    pub precondition_frequency: u64,
    /// Evaluate the test accuracy every this many steps.
    #[arg(long, default_value_t = 50)]
    pub eval_every: usize,
    /// Seed of the split, initialisation and batch order (the same for every optimizer).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Compute device.
    #[arg(long, default_value = "flex")]
    pub device: DeviceKind,
    /// Output directory.
    #[arg(long, default_value = "runs/optimizers")]
    pub out: PathBuf,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
}

/// Result of one optimizer in `metrics.json`.
#[derive(Debug, Serialize)]
pub struct OptimizerResult {
    /// Optimizer name.
    pub optimizer: String,
    /// Mean training loss over the last 50 steps.
    pub final_train_loss: f64,
    /// Test accuracy at the end.
    pub test_accuracy: f64,
    /// Wall-clock milliseconds per training step (forward, backward and update).
    pub ms_per_step: f64,
}

/// Trains the same MLP with each optimizer; writes `history.csv`, `metrics.json` and
/// `loss_and_accuracy.png`.
pub fn run(args: &OptimizersArgs) -> Result<Vec<OptimizerResult>> {
    if args.steps == 0 || args.batch_size == 0 || args.eval_every == 0 {
        bail!("--steps, --batch-size and --eval-every must be positive");
    }
    if args.hidden.is_empty() || args.hidden.contains(&0) {
        bail!(
            "--hidden {:?}: needs at least one hidden layer, and every width must be positive",
            args.hidden
        );
    }
    let device = args.device.open().map_err(anyhow::Error::msg)?.autodiff();
    let split = Digits::load_bundled()?.split(0.2, args.seed)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let mut history = History::new();
    // The three optimizers, from configuration (no per-optimizer code path).
    let mut sgd = PrimalConfig::new(PrimalKind::Sgd, args.sgd_lr);
    sgd.momentum = Some(Momentum::HeavyBall(0.9));
    let mut shampoo = PrimalConfig::new(PrimalKind::Shampoo, args.shampoo_lr);
    shampoo.precondition_frequency = Some(args.precondition_frequency);
    let optimizers = [
        ("adam", PrimalConfig::new(PrimalKind::Adam, args.adam_lr)),
        ("sgd", sgd),
        ("shampoo", shampoo),
    ];
    let mut results = Vec::new();
    for (name, config) in optimizers {
        let opt = config
            .build()
            .map_err(|e| anyhow::Error::new(e).context(format!("the {name} optimizer")))?;
        results.push(train(
            name,
            opt,
            args,
            &split.train,
            &split.test,
            &device,
            &mut history,
        )?);
    }

    history.write_csv(&args.out.join("history.csv"))?;
    write_metrics_json(&args.out.join("metrics.json"), &results)?;
    let names = ["adam", "sgd", "shampoo"];
    let losses: Vec<Vec<(f64, f64)>> = names
        .iter()
        .map(|n| history.series(&format!("{n}_loss")))
        .collect();
    let accs: Vec<Vec<(f64, f64)>> = names
        .iter()
        .map(|n| history.series(&format!("{n}_test_accuracy")))
        .collect();
    let top: Vec<(&str, &[(f64, f64)])> = names
        .iter()
        .copied()
        .zip(losses.iter().map(Vec::as_slice))
        .collect();
    let bottom: Vec<(&str, &[(f64, f64)])> = names
        .iter()
        .copied()
        .zip(accs.iter().map(Vec::as_slice))
        .collect();
    plot_two_panel(
        &args.out.join("loss_and_accuracy.png"),
        "rein optimizers: digits MLP, same init and batches",
        &Panel {
            y_label: "train loss",
            series: &top,
            hlines: &[],
        },
        &Panel {
            y_label: "test accuracy",
            series: &bottom,
            hlines: &[],
        },
    )?;
    let mut t = Table::new(["optimizer", "final train loss", "test acc", "ms / step"]);
    for r in &results {
        t.add_row([
            r.optimizer.clone(),
            format!("{:.4}", r.final_train_loss),
            format!("{:.4}", r.test_accuracy),
            format!("{:.2}", r.ms_per_step),
        ]);
    }
    println!("\n{}", t.render());
    println!("Reports in {}/", args.out.display());
    Ok(results)
}

fn train<O: PrimalOptimizer>(
    name: &str,
    mut opt: O,
    args: &OptimizersArgs,
    train: &Dataset,
    test: &Dataset,
    device: &Device,
    history: &mut History,
) -> Result<OptimizerResult> {
    let mut model =
        MlpConfig::new(train.d, args.hidden.clone(), train.classes).init(args.seed, device);
    let mut batcher = Batcher::new(train.n, args.batch_size, args.seed)?;
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let bar = progress_bar(args.steps, name, args.quiet);
    let (loss_key, acc_key) = (format!("{name}_loss"), format!("{name}_test_accuracy"));
    let mut recent = Vec::new();
    let mut busy = 0.0;
    let mut accuracy = 0.0;
    for step in 1..=args.steps {
        let batch = batcher.next_batch();
        let (x, y) = train.batch_tensors(&batch.indices, device);
        let start = Instant::now();
        let loss = loss_fn.forward(model.forward(x), y);
        let value = loss.clone().into_scalar::<f64>();
        let grads = ParamGrads::from_backward(&model, &loss.backward());
        model = opt.step(model, &grads)?;
        busy += start.elapsed().as_secs_f64();
        if !value.is_finite() {
            bail!(
                "{name}: the training loss became {value} at step {step} (learning rate too large?)"
            );
        }
        recent.push(value);
        let mut row = vec![(loss_key.as_str(), value)];
        if step % args.eval_every == 0 || step == args.steps {
            accuracy = test_accuracy(&model, test, device);
            row.push((acc_key.as_str(), accuracy));
        }
        history.push(step as u64, &row);
        bar.inc(1);
    }
    bar.finish();
    let tail = &recent[recent.len().saturating_sub(50)..];
    Ok(OptimizerResult {
        optimizer: name.to_string(),
        final_train_loss: tail.iter().sum::<f64>() / tail.len() as f64,
        test_accuracy: accuracy,
        ms_per_step: 1e3 * busy / args.steps as f64,
    })
}

fn test_accuracy(model: &Mlp, test: &Dataset, device: &Device) -> f64 {
    let valid = model.valid();
    let (x, _) = test.tensors(&device.clone().inner());
    metrics::ConfusionMatrix::from_logits_tensor(valid.forward(x), &test.labels)
        .accuracy()
        .unwrap_or(0.0)
}
