//! # 04 — checkpoint and resume, bit for bit
//!
//! ```text
//! min_x ||x - t||^2   s.t.   x_i - 1 <= 0  (i = 0, 1, 2),   t = (2, -1, 3)
//! ```
//!
//! Closed form: `x* = min(t, 1) = (1, -1, 1)`, `lambda* = 2 relu(t - 1) = (2, 0, 4)`.
//!
//! The run uses state everywhere a real run has it: primal Adam (per-parameter moments and step
//! count), dual nuPI with `nu = 0.5` (per-entry `xi`), and the scheme's step counter. We
//!
//! 1. train `N` steps and save a [`Checkpoint`]: the model with [`StateDict::put_module`]
//!    under `model/...` and the whole constrained optimizer with `Checkpoint::put("opt", &opt)`
//!    (primal state, multipliers, dual state, penalty coefficients, step count);
//! 2. build *fresh* objects (a model at another point, a new optimizer), load the checkpoint
//!    into them with [`StateDict::load_module`] and [`Checkpoint::restore`], and train `M` more
//!    steps;
//! 3. compare with one uninterrupted run of `N + M` steps: parameters, multipliers and every
//!    saved state entry are equal bit for bit (`f64::to_bits`).
//!
//! Run: `cargo run --release -p rein-examples --example 04_checkpoint_resume`

use rein::dual::NuPi;
use rein::optim::{Adam, AdamConfig};
use rein::scheme::AlternatingDualPrimal;
use rein::{
    Checkpoint, Cmp, CmpState, ConstrainedOptimizer, Constraint, ConstraintState, Constraints,
    StateDict,
};
use rein_examples::{Point, vector};

const TARGET: [f64; 3] = [2.0, -1.0, 3.0];
const N: usize = 400;
const M: usize = 600;

/// `min ||x - t||^2 s.t. x <= 1` componentwise.
struct BoxedProjection;

impl Cmp<Point> for BoxedProjection {
    type Batch = ();

    fn compute_cmp_state(&mut self, model: &Point, _: &()) -> rein::Result<CmpState> {
        let x = model.x.val();
        let d = x.clone() - vector(&TARGET);
        let loss = (d.clone() * d).sum();
        Ok(CmpState::new()
            .loss(loss)
            .observe("x<=1", ConstraintState::new(x.sub_scalar(1.0))))
    }
}

type Optimizer = AlternatingDualPrimal<Adam>;

/// A fresh optimizer: same configuration every time, no state.
fn fresh_optimizer() -> anyhow::Result<Optimizer> {
    let constraints = Constraints::new().add(Constraint::inequality("x<=1", 3))?;
    Ok(AlternatingDualPrimal::new(
        Adam::new(AdamConfig::new(0.05))?,
        NuPi::new(0.1, 1.0, 1.0, 0.5)?,
        constraints,
    )?)
}

fn train(opt: &mut Optimizer, model: &mut Point, steps: usize) -> anyhow::Result<()> {
    for _ in 0..steps {
        opt.step(&mut BoxedProjection, model, &())?;
    }
    Ok(())
}

fn multipliers(opt: &Optimizer) -> Vec<f64> {
    opt.constraints()
        .get("x<=1")
        .and_then(|c| c.multipliers())
        .expect("a multiplier")
        .to_vec()
}

/// Everything that evolves (model and optimizer), as one state dictionary.
fn full_state(model: &Point, opt: &Optimizer) -> anyhow::Result<StateDict> {
    let mut ck = Checkpoint::new();
    ck.state.put_module("model", model);
    ck.put("opt", opt)?;
    Ok(ck.state)
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn main() -> anyhow::Result<()> {
    let x0 = [0.0, 0.0, 0.0];

    // Uninterrupted reference run: N + M steps.
    let mut ref_opt = fresh_optimizer()?;
    let mut ref_model = Point::new(&x0);
    train(&mut ref_opt, &mut ref_model, N + M)?;

    // Interrupted run: N steps, save, drop everything.
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("step.ckpt");
    {
        let mut opt = fresh_optimizer()?;
        let mut model = Point::new(&x0);
        train(&mut opt, &mut model, N)?;
        let mut ck = Checkpoint::new();
        ck.metadata
            .insert("example".into(), "04_checkpoint_resume".into());
        ck.state.put_module("model", &model);
        ck.put("opt", &opt)?;
        ck.save(&path)?;
        println!(
            "saved {} after {} steps: {} entries, {} bytes",
            path.display(),
            opt.steps_taken(),
            ck.state.len(),
            std::fs::metadata(&path)?.len()
        );
        for key in ck.state.keys() {
            let d = ck.state.get_data(key).expect("listed");
            println!("  {key:<28} {:?} {:?}", d.dtype(), d.shape().to_vec());
        }
    }

    // Resume into fresh objects; the fresh model starts elsewhere and is overwritten.
    let ck = Checkpoint::load(&path)?;
    let mut model = ck
        .state
        .load_module("model", Point::new(&[9.0, 9.0, 9.0]))?;
    let mut opt = fresh_optimizer()?;
    ck.restore("opt", &mut opt)?;
    println!(
        "loaded: step counter {}, x = {:?}, metadata {:?}",
        opt.steps_taken(),
        model.values(),
        ck.metadata
    );
    train(&mut opt, &mut model, M)?;

    let (x, x_ref) = (model.values(), ref_model.values());
    let (l, l_ref) = (multipliers(&opt), multipliers(&ref_opt));
    println!();
    println!(
        "after {} steps ({N} + {M} resumed vs {} uninterrupted):",
        opt.steps_taken(),
        N + M
    );
    println!(
        "{:>10} {:>24} {:>24} {:>12}",
        "", "resumed", "uninterrupted", "closed form"
    );
    let closed_x = [1.0, -1.0, 1.0];
    let closed_l = [2.0, 0.0, 4.0];
    for i in 0..3 {
        println!(
            "{:>10} {:>24.17} {:>24.17} {:>12}",
            format!("x[{i}]"),
            x[i],
            x_ref[i],
            closed_x[i]
        );
    }
    for i in 0..3 {
        println!(
            "{:>10} {:>24.17} {:>24.17} {:>12}",
            format!("lambda[{i}]"),
            l[i],
            l_ref[i],
            closed_l[i]
        );
    }

    // Bit-for-bit comparison: parameters, multipliers, then every state entry.
    let same_x = bits(&x) == bits(&x_ref);
    let same_l = bits(&l) == bits(&l_ref);
    let (a, b) = (full_state(&model, &opt)?, full_state(&ref_model, &ref_opt)?);
    let keys: Vec<&str> = a.keys().collect();
    let same_keys = keys == b.keys().collect::<Vec<_>>();
    let differing: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| {
            let (da, db) = (a.get_data(k), b.get_data(k));
            da.map(|d| (d.as_bytes(), d.shape(), d.dtype()))
                != db.map(|d| (d.as_bytes(), d.shape(), d.dtype()))
        })
        .collect();
    println!();
    println!("x bits equal:            {same_x}  {:016x?}", bits(&x));
    println!("lambda bits equal:       {same_l}  {:016x?}", bits(&l));
    println!(
        "all {} state entries equal: {}{}",
        keys.len(),
        same_keys && differing.is_empty(),
        if differing.is_empty() {
            String::new()
        } else {
            format!(" (differ: {differing:?})")
        }
    );
    anyhow::ensure!(
        same_x && same_l && same_keys && differing.is_empty(),
        "resume is not bit-exact"
    );
    println!("resumed run == uninterrupted run, bit for bit");
    Ok(())
}
