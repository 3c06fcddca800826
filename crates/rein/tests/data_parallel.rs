//! Data-parallel training in process: 2 ranks on threads ([`ThreadGroup`]), each with its half
//! of every minibatch, end at the serial run's parameters and multipliers (to 1e-10 in float64)
//! under every scheme and both formulations, with a dense (batch-mean) constraint and an
//! indexed per-sample constraint; and the ranks' replicas stay bitwise identical.
//! The same check over MPI is `crates/rein-dist` (`mpirun -np 2`).

use std::rc::Rc;

use burn::tensor::Tensor;
use rein::dist::{Communicator, DataParallel, DistributedCmp, SingleProcess, ThreadGroup, shard};
use rein::dual::DualSgd;
use rein::optim::{Adam, AdamConfig, Sgd, SgdConfig};
use rein::scheme::{AlternatingDualPrimal, AlternatingPrimalDual, Extragradient, SimultaneousGda};
use rein::{
    Cmp, CmpState, ConstrainedOptimizer, Constraint, ConstraintState, Constraints, Formulation,
    PenaltyCoefficient,
};
use rein_testing::prelude::{Point, SplitMix64, constant, device, matvec, max_abs_diff};

const N: usize = 16;
const D: usize = 4;
const BATCH: usize = 8;
const STEPS: usize = 30;

/// Least squares on 16 samples s.t. mean prediction over the batch <= 0.2 (dense) and every
/// sample's squared error <= 0.5 (indexed, one multiplier per sample).
struct Regression {
    a: Vec<Vec<f64>>,
    y: Vec<f64>,
}

impl Regression {
    fn new() -> Self {
        let mut rng = SplitMix64::new(7);
        Self {
            a: rng.matrix(N, D),
            y: rng.vector(N),
        }
    }
}

impl Cmp<Point> for Regression {
    type Batch = [usize];

    fn compute_cmp_state(&mut self, model: &Point, batch: &[usize]) -> rein::Result<CmpState> {
        let rows: Vec<Vec<f64>> = batch.iter().map(|&i| self.a[i].clone()).collect();
        let y: Vec<f64> = batch.iter().map(|&i| self.y[i]).collect();
        let pred = matvec(&rows, model.x.val());
        let err = (pred.clone() - constant(&y)).powf_scalar(2.0);
        let loss = err.clone().mean();
        let mean_pred: Tensor<1> = pred.mean().sub_scalar(0.2);
        Ok(CmpState::new()
            .loss(loss)
            .observe("mean", ConstraintState::new(mean_pred))
            .observe(
                "per_sample",
                ConstraintState::new(err.sub_scalar(0.5)).indices(batch.to_vec()),
            ))
    }
}

fn constraints(f: Formulation) -> Constraints {
    let with = |c: Constraint| match f {
        Formulation::Lagrangian => c,
        _ => c.formulation(f).penalty(PenaltyCoefficient::scalar(0.5)),
    };
    Constraints::new()
        .add(with(Constraint::inequality("mean", 1)))
        .unwrap()
        .add(with(Constraint::inequality("per_sample", N).indexed()))
        .unwrap()
}

/// Runs `STEPS` steps of `scheme` on this rank's shards; returns parameters and multipliers.
fn train<S: ConstrainedOptimizer>(comm: Rc<dyn Communicator>, mut scheme: S) -> Vec<f64> {
    let mut problem = DistributedCmp::new(Regression::new(), comm.clone());
    let mut model = Point::new(&[0.3, -0.2, 0.1, 0.4]);
    for t in 0..STEPS {
        let batch: Vec<usize> = (0..BATCH).map(|k| (t * 5 + k * 3) % N).collect();
        let mine = shard(&batch, comm.as_ref()).unwrap();
        scheme.step(&mut problem, &mut model, mine).unwrap();
    }
    let mut out = model.values();
    for entry in scheme.constraints().iter() {
        out.extend(entry.multipliers().unwrap_or_default());
    }
    out
}

fn run(scheme: &str, f: Formulation, comm: Rc<dyn Communicator>) -> Vec<f64> {
    let sgd = || DataParallel::new(Sgd::new(SgdConfig::new(0.05)).unwrap(), comm.clone());
    let dual = || DualSgd::new(0.1).unwrap();
    match scheme {
        "simultaneous-adam" => {
            let adam = DataParallel::new(Adam::new(AdamConfig::new(0.02)).unwrap(), comm.clone());
            train(
                comm.clone(),
                SimultaneousGda::new(adam, dual(), constraints(f)).unwrap(),
            )
        }
        "alternating-dual-primal" => train(
            comm.clone(),
            AlternatingDualPrimal::new(sgd(), dual(), constraints(f)).unwrap(),
        ),
        "alternating-primal-dual" => train(
            comm.clone(),
            AlternatingPrimalDual::new(sgd(), dual(), constraints(f)).unwrap(),
        ),
        "extragradient" => train(
            comm.clone(),
            Extragradient::new(sgd(), dual(), constraints(f)).unwrap(),
        ),
        other => panic!("unknown scheme {other}"),
    }
}

fn two_ranks(scheme: &'static str, f: Formulation) -> Vec<Vec<f64>> {
    let _ = device();
    std::thread::scope(|s| {
        let handles: Vec<_> = ThreadGroup::ranks(2)
            .into_iter()
            .map(|rank| s.spawn(move || run(scheme, f, Rc::new(rank))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn two_ranks_equal_the_serial_run_under_every_scheme() {
    for scheme in [
        "simultaneous-adam",
        "alternating-dual-primal",
        "alternating-primal-dual",
        "extragradient",
    ] {
        for f in [Formulation::Lagrangian, Formulation::AugmentedLagrangian] {
            let serial = run(scheme, f, Rc::new(SingleProcess));
            let ranks = two_ranks(scheme, f);
            // The replicas are bitwise identical ...
            assert_eq!(
                ranks[0].iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                ranks[1].iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "{scheme} {f:?}: ranks differ"
            );
            // ... and equal to the serial run on the whole batch.
            let diff = max_abs_diff(&serial, &ranks[0]);
            assert!(
                diff <= 1e-10,
                "{scheme} {f:?}: max |serial - 2 ranks| = {diff:e}\n{serial:?}\n{:?}",
                ranks[0]
            );
            // The run is not trivial: some multiplier moved.
            assert!(
                serial[D..].iter().any(|l| *l > 1e-3),
                "{scheme} {f:?}: {serial:?}"
            );
        }
    }
}

#[test]
fn uneven_shards_are_rejected() {
    let ranks = ThreadGroup::ranks(3);
    let batch: Vec<usize> = (0..8).collect();
    let err = shard(&batch, &ranks[0]).unwrap_err().to_string();
    assert!(
        err.contains("8 samples") && err.contains("3 ranks"),
        "{err}"
    );
}

/// The layout check rides on the gradient all-gather (no collective of its own): a rank whose
/// parameters change size at a later step is caught at that step, on every rank, not a hang.
#[test]
fn a_parameter_layout_that_differs_at_a_later_step_is_an_error_on_every_rank() {
    use rein::optim::{ParamGrads, PrimalOptimizer};
    let _ = device();
    let results: Vec<Vec<Result<(), String>>> = std::thread::scope(|s| {
        let handles: Vec<_> = ThreadGroup::ranks(2)
            .into_iter()
            .map(|rank| {
                s.spawn(move || {
                    let comm: Rc<dyn Communicator> = Rc::new(rank);
                    let r = comm.rank();
                    let mut opt = DataParallel::new(Sgd::new(SgdConfig::new(0.1)).unwrap(), comm);
                    (0..3)
                        .map(|t| {
                            // Rank 1 switches to a longer parameter at step 2.
                            let n = if r == 1 && t == 2 { 5 } else { 4 };
                            let model = Point::new(&vec![0.5; n]);
                            let loss = model.x.val().powf_scalar(2.0).sum();
                            let grads = ParamGrads::from_backward(&model, &loss.backward());
                            opt.step(model, &grads)
                                .map(|_| ())
                                .map_err(|e| e.to_string())
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (r, steps) in results.iter().enumerate() {
        assert!(steps[0].is_ok() && steps[1].is_ok(), "rank {r}: {steps:?}");
        let err = steps[2].as_ref().unwrap_err();
        assert!(
            err.contains("parameters") && err.contains("ranks ["),
            "rank {r}: {err}"
        );
    }
}
