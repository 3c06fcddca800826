//! The training loops of the sparsity recipe: the gated model (constrained or penalised) and
//! the dense baseline.

use std::rc::Rc;

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Device, Tensor};
use rein::checkpoint::{StateDict, Stateful};
use rein::dist::{Communicator, DataParallel, DistributedCmp, shard};
use rein::optim::{Adam, AdamConfig, Clamp, ParamGrads, PrimalOptimizer, Projected};
use rein::{
    ConstrainedOptimizer, Constraint, HealthConfig, HealthMonitor, HealthWarning, StepReport,
};
use rein_nn::l0::TestGate;
use rein_nn::l0::hard_concrete::{LOG_ALPHA_MAX, LOG_ALPHA_MIN};
use rein_nn::{Batcher, Dataset, GatedClassifier, MlpConfig, Split};

use super::{GATE_PATTERN, ModelName, SparsityConfig, SparsityProblem};
use crate::error::{RecipeError, Result};
use crate::eval;
use crate::history::History;
use crate::progress::Progress;
use crate::session::{self, Session};

/// Phase of the gated model's training (constrained or penalised).
const GATED: &str = "gated";
/// Phase of the dense baseline.
const DENSE: &str = "dense";

/// One run's settings beside the model.
pub(super) struct Run<'a> {
    config: &'a SparsityConfig,
    comm: Rc<dyn Communicator>,
    device: &'a Device,
}

impl<'a> Run<'a> {
    pub fn new(config: &'a SparsityConfig, comm: Rc<dyn Communicator>, device: &'a Device) -> Self {
        Self {
            config,
            comm,
            device,
        }
    }

    /// Trains `model` (constrained, or penalised with a fixed multiplier); returns the history,
    /// the final multipliers and the constraint-health warnings of the run. Checkpoints into
    /// `session` (and resumes from it).
    pub fn train<M: GatedClassifier + Module>(
        &self,
        model: &mut M,
        train: &Dataset,
        session: &mut Session,
        progress: &mut dyn Progress,
    ) -> Result<(History, Vec<f64>, Vec<HealthWarning>)> {
        let c = self.config;
        if let Some(done) = session.completed(GATED) {
            *model = done.module("model", model.clone())?;
            let history = session::get_history(done.dict(), &done.name("history"))?;
            return Ok((history, done.f64s("multipliers")?, done.json("health")?));
        }
        if session.is_active() && self.comm.size() > 1 {
            return Err(RecipeError::config(
                "checkpoints",
                "a data-parallel run does not checkpoint yet; run it without a session",
            ));
        }
        let optimizer = c.effective_optimizer();
        let problem = SparsityProblem::new(train.clone(), c.targets(), c.seed, self.device);
        let (name, size) = problem.constraint();
        let constraint = match c.penalty {
            // loss + p (density - rho): the Lagrangian with a fixed multiplier.
            Some(p) => Constraint::inequality(name, size).initial_multiplier(vec![p; size]),
            None => Constraint::inequality(name, size).dual_restarts(true),
        };
        // The gates live in [ln 0.01, ln 100] (Louizos et al. 2018): a projection after every
        // primal step.
        let primal = optimizer
            .build_primal()
            .map_err(|e| RecipeError::from_rein_under("optimizer", e))?;
        let clamp = Clamp::new([GATE_PATTERN], LOG_ALPHA_MIN, LOG_ALPHA_MAX)?;
        let primal = DataParallel::new(Projected::new(primal).with(clamp), self.comm.clone());
        let mut opt = optimizer
            .build_with(primal, [constraint])
            .map_err(|e| RecipeError::from_rein_under("optimizer", e))?;
        let rows = train.n;
        let mut problem = DistributedCmp::new(problem, self.comm.clone());
        let comm = self.comm.as_ref();
        if !c.batch_size.is_multiple_of(comm.size()) {
            return Err(RecipeError::config(
                "batch_size",
                format!(
                    "{} does not split evenly over {} ranks",
                    c.batch_size,
                    comm.size()
                ),
            ));
        }
        // With several ranks every batch is full (drop_last), so all shards have the same size.
        let mut batcher =
            Batcher::new(rows, c.batch_size, c.seed)?.with_drop_last(comm.size() > 1)?;
        let label = if c.penalty.is_some() {
            "penalty"
        } else {
            "constrained"
        };
        let mut history = History::new();
        let mut multipliers = Vec::new();
        let mut health = HealthMonitor::new(HealthConfig::default());
        let mut start = 0;
        if let Some((step, state)) = session.interrupted(GATED) {
            *model = state.load_module("model", model.clone())?;
            opt.load_state("optimizer", &state)?;
            batcher = session::get_batcher(&state, "batcher")?;
            problem
                .inner_mut()
                .set_gate_rng(session::get_gate_rng(&state, "gate_rng")?);
            history = session::get_history(&state, "history")?;
            health = session::get_json(&state, "health")?;
            multipliers = state.get_f64s("multipliers")?;
            start = step;
        }
        progress.start(label, c.steps as u64);
        progress.skip(start);
        for done in start + 1..=c.steps as u64 {
            let batch = batcher.next_batch();
            let mine = shard(&batch.indices, comm)?;
            let report = match opt.step(&mut problem, model, mine) {
                Ok(r) => r,
                Err(e) if comm.size() > 1 => comm.abort(3, &format!("rank {}: {e}", comm.rank())),
                Err(e) => return Err(e.into()),
            };
            record(&mut history, &report);
            health.observe(&report);
            progress.step();
            if report.step % 50 == 0 {
                let v = &report.constraints[0];
                progress.message(&format!(
                    "loss {:.3}  violation {:+.4}",
                    report.loss.unwrap_or(f64::NAN),
                    v.violation[0]
                ));
            }
            multipliers.clone_from(&report.constraints[0].multipliers);
            if session.due(done) && done < c.steps as u64 {
                let mut state = StateDict::new();
                state.put_module("model", model);
                opt.save_state("optimizer", &mut state)?;
                session::put_batcher(&mut state, "batcher", &batcher);
                session::put_gate_rng(&mut state, "gate_rng", problem.inner().gate_rng());
                session::put_history(&mut state, "history", &history);
                session::put_json(&mut state, "health", &health)?;
                state.put_f64s("multipliers", &multipliers);
                session.save(GATED, done, &state)?;
            }
        }
        progress.finish();
        let mut outputs = StateDict::new();
        outputs.put_module("model", model);
        session::put_history(&mut outputs, "history", &history);
        outputs.put_f64s("multipliers", &multipliers);
        let warnings = health.warnings().to_vec();
        session::put_json(&mut outputs, "health", &warnings)?;
        session.complete(GATED, &outputs)?;
        Ok((history, multipliers, warnings))
    }

    /// Train and test accuracy with the median test gates, off the autodiff graph.
    pub fn accuracies<M: GatedClassifier + Module>(&self, model: &M, split: &Split) -> (f64, f64) {
        let plain = self.device.clone().inner();
        let valid = model.valid();
        let accuracy = |data: &Dataset| {
            eval::accuracy(data, &plain, |x| {
                valid.forward_gated(x, None, TestGate::Median)
            })
        };
        (accuracy(&split.train), accuracy(&split.test))
    }

    /// Test accuracy of the dense model of the same shape trained with Adam (the primal
    /// learning rate) for the same budget.
    pub fn dense_accuracy(
        &self,
        split: &Split,
        session: &mut Session,
        progress: &mut dyn Progress,
    ) -> Result<f64> {
        if let Some(done) = session.completed(DENSE) {
            return done.json("test_accuracy");
        }
        let c = self.config;
        let train = &split.train;
        match c.model {
            ModelName::Mlp => {
                let model = MlpConfig::new(train.d, c.hidden.clone(), train.classes)
                    .init(c.seed, self.device);
                self.train_dense(split, model, |m, x| m.forward(x), session, progress)
            }
            ModelName::Lenet5 => {
                // The gated network with its gates ignored: the gate parameters get no gradient
                // and the optimizer leaves them alone.
                let model = c.lenet(train.d, train.classes)?.init(c.seed, self.device);
                self.train_dense(split, model, |m, x| m.forward_dense(x), session, progress)
            }
        }
    }

    fn train_dense<M: Module>(
        &self,
        split: &Split,
        mut model: M,
        forward: impl Fn(&M, Tensor<2>) -> Tensor<2>,
        session: &mut Session,
        progress: &mut dyn Progress,
    ) -> Result<f64> {
        let c = self.config;
        let mut opt = Adam::new(AdamConfig::new(c.optimizer.primal.lr))?;
        let mut batcher = Batcher::new(split.train.n, c.batch_size, c.seed)?;
        let loss = CrossEntropyLossConfig::new().init(self.device);
        let mut start = 0;
        if let Some((step, state)) = session.interrupted(DENSE) {
            model = state.load_module("model", model)?;
            opt.load_state("optimizer", &state)?;
            batcher = session::get_batcher(&state, "batcher")?;
            start = step;
        }
        progress.start("dense", c.steps as u64);
        progress.skip(start);
        for done in start + 1..=c.steps as u64 {
            let batch = batcher.next_batch();
            let (x, y) = split.train.batch_tensors(&batch.indices, self.device);
            let l = loss.forward(forward(&model, x), y);
            let grads = ParamGrads::from_backward(&model, &l.backward());
            model = opt.step(model, &grads)?;
            progress.step();
            if session.due(done) && done < c.steps as u64 {
                let mut state = StateDict::new();
                state.put_module("model", &model);
                opt.save_state("optimizer", &mut state)?;
                session::put_batcher(&mut state, "batcher", &batcher);
                session.save(DENSE, done, &state)?;
            }
        }
        progress.finish();
        let valid = model.valid();
        let accuracy = eval::accuracy(&split.test, &self.device.clone().inner(), |x| {
            forward(&valid, x)
        });
        let mut outputs = StateDict::new();
        session::put_json(&mut outputs, "test_accuracy", &accuracy)?;
        session.complete(DENSE, &outputs)?;
        Ok(accuracy)
    }
}

fn record(history: &mut History, report: &StepReport) {
    let mut row = vec![("loss".to_string(), report.loss.unwrap_or(f64::NAN))];
    let c = &report.constraints[0];
    for (k, v) in c.violation.iter().enumerate() {
        row.push((format!("violation_{k}"), *v));
    }
    for (k, v) in c.multipliers.iter().enumerate() {
        row.push((format!("multiplier_{k}"), *v));
    }
    let row: Vec<(&str, f64)> = row.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    history.push(report.step, &row);
}
