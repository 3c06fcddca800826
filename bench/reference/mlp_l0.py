"""Reference side of workload `mlp-l0`: MLP classification with an L0 density constraint,
PyTorch + Cooper 1.0.1 (see crates/rein-bench/src/mlp_l0.rs for the rein side).

Modes:
* constrained: L0-gated MLP (hard-concrete gate per weight and bias, Louizos et al. 2018),
  min CE s.t. E[density] - target <= 0; Cooper Lagrangian with a DenseMultiplier,
  SimultaneousOptimizer, torch.optim.Adam primal (log_alpha in its own group with gate_lr),
  torch.optim.SGD(maximize=True) dual (Cooper projects the multiplier onto lambda >= 0 after
  the step); log_alpha clamped to [ln 0.01, ln 100] after every step;
* unconstrained: the same gated model, CE only (cooper.optim.UnconstrainedOptimizer);
* dense: the plain MLP with the same initial weights, CE only, Adam.

Gates (training): z = clamp(sigmoid((n + log_alpha) / beta) (zeta - gamma) + gamma, 0, 1) with
beta = 2/3, gamma = -0.1, zeta = 1.1 and logistic noise n. With --noise file (default) n is
replayed from the problem file (rein's own noise: step t uses row t mod noise_steps), so both
sides take the same steps up to rounding; with --noise torch it is drawn fresh each step as
log(u) - log(1 - u), u ~ U(1e-6, 1 - 1e-6) (what a PyTorch user would write; for timing only).
Expected L0 per gate: sigmoid(log_alpha - beta ln(-gamma / zeta)); density = sum / #gates.
"""

import argparse
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

import cooper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Problem, add_common_args, report, time_steps  # noqa: E402
from mlp_data import load_data, mlp_step_flops  # noqa: E402

BETA = 2.0 / 3.0
GAMMA = -0.1
ZETA = 1.1
UNIFORM_EPS = 1e-6
LOG_ALPHA_MIN = math.log(0.01)
LOG_ALPHA_MAX = math.log(100.0)
ZERO_SHIFT = BETA * math.log(-GAMMA / ZETA)  # P(z != 0) = sigmoid(log_alpha - ZERO_SHIFT)
LOSS_WINDOW = 50


def stretch_and_rectify(s):
    return (s * (ZETA - GAMMA) + GAMMA).clamp(0.0, 1.0)


class L0Mlp(torch.nn.Module):
    """ReLU MLP of gated linear layers, weights in [in, out] layout (y = x (W * Z_w) + b * z_b)."""

    def __init__(self, problem, sizes, dtype, gated):
        super().__init__()
        self.sizes = sizes
        self.gated = gated
        t = lambda name: torch.nn.Parameter(torch.from_numpy(problem.tensor(name)).to(dtype))
        n = len(sizes) - 1
        self.weights = torch.nn.ParameterList([t(f"layer{l}.weight") for l in range(n)])
        self.biases = torch.nn.ParameterList([t(f"layer{l}.bias") for l in range(n)])
        if gated:
            self.log_alphas = torch.nn.ParameterList([t(f"layer{l}.log_alpha") for l in range(n)])
            self.num_gates = sum(la.numel() for la in self.log_alphas)

    def forward(self, x, noise=None, median=False):
        """noise: flat logistic noise of all gates of this step (sampled gates); median: the
        deterministic test gates; neither: the dense network."""
        last = len(self.weights) - 1
        off = 0
        for l, (w, b) in enumerate(zip(self.weights, self.biases)):
            if self.gated and (noise is not None or median):
                la = self.log_alphas[l]
                if noise is not None:
                    z = stretch_and_rectify(torch.sigmoid((noise[off : off + la.numel()] + la) / BETA))
                    off += la.numel()
                else:
                    z = stretch_and_rectify(torch.sigmoid(la / BETA))
                i, o = w.shape
                w = w * z[: i * o].view(i, o)
                b = b * z[i * o :]
            x = torch.addmm(b, x, w)
            if l < last:
                x = torch.relu(x)
        return x

    def expected_density(self):
        active = None
        for la in self.log_alphas:
            a = torch.sigmoid(la - ZERO_SHIFT).sum()
            active = a if active is None else active + a
        return active / self.num_gates

    @torch.no_grad()
    def clamp_log_alpha_(self):
        for la in self.log_alphas:
            la.clamp_(LOG_ALPHA_MIN, LOG_ALPHA_MAX)


class GatedCMP(cooper.ConstrainedMinimizationProblem):
    def __init__(self, model, target, constrained, dtype):
        super().__init__()
        self.model = model
        self.target = target
        self.constrained = constrained
        if constrained:
            self.density = cooper.Constraint(
                constraint_type=cooper.ConstraintType.INEQUALITY,
                formulation_type=cooper.formulations.Lagrangian,
                multiplier=cooper.multipliers.DenseMultiplier(num_constraints=1, dtype=dtype),
            )

    def compute_cmp_state(self, x, y, noise):
        logits = self.model(x, noise=noise) if noise is not None else self.model(x)
        loss = F.cross_entropy(logits, y)
        if not self.constrained:
            return cooper.CMPState(loss=loss)
        g = (self.model.expected_density() - self.target).reshape(1)
        return cooper.CMPState(loss=loss, observed_constraints={self.density: cooper.ConstraintState(violation=g)})


def main():
    parser = add_common_args(argparse.ArgumentParser(description=__doc__))
    parser.add_argument("--mode", choices=["constrained", "unconstrained", "dense"], default="constrained")
    parser.add_argument("--data", choices=["digits", "mnist"], default=None, help="checked against the problem")
    parser.add_argument("--noise", choices=["file", "torch"], default="file")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    dtype = torch.float64 if args.f64 else torch.float32

    p = Problem(args.problem)
    meta = p.meta
    if args.data is not None and args.data != meta["data"]:
        raise SystemExit(f"{args.problem}: holds {meta['data']!r} data but --data {args.data} was given")
    (x_train, y_train), (x_test, y_test) = load_data(p)
    x_train, x_test = x_train.to(dtype), x_test.to(dtype)
    sizes = meta["sizes"]
    batches = torch.from_numpy(p.tensor("batches"))
    batch_size = batches.shape[1]
    gated = args.mode != "dense"
    model = L0Mlp(p, sizes, dtype, gated)

    noise_rows = None
    if gated:
        noise_rows = torch.from_numpy(p.tensor("noise")).to(dtype)
        if noise_rows.shape[1] != model.num_gates:
            raise SystemExit(f"{args.problem}: noise has {noise_rows.shape[1]} gates per step, model {model.num_gates}")
        groups = [
            {"params": list(model.weights) + list(model.biases), "lr": meta["lr"]},
            {"params": list(model.log_alphas), "lr": meta["gate_lr"]},
        ]
    else:
        groups = [{"params": list(model.weights) + list(model.biases), "lr": meta["lr"]}]
    primal = torch.optim.Adam(groups, lr=meta["lr"])
    cmp = GatedCMP(model, meta["target"], args.mode == "constrained", dtype)
    if args.mode == "constrained":
        dual = torch.optim.SGD(cmp.dual_parameters(), lr=meta["dual_lr"], maximize=True)
        opt = cooper.optim.SimultaneousOptimizer(cmp=cmp, primal_optimizers=primal, dual_optimizers=dual)
    else:
        opt = cooper.optim.UnconstrainedOptimizer(cmp=cmp, primal_optimizers=primal)

    state = {"t": 0, "losses": []}
    n_batches = batches.shape[0]
    noise_steps = noise_rows.shape[0] if gated else 1

    def step():
        t = state["t"]
        idx = batches[t % n_batches]
        x, y = x_train.index_select(0, idx), y_train.index_select(0, idx)
        if not gated:
            noise = None
        elif args.noise == "file":
            noise = noise_rows[t % noise_steps]
        else:
            u = torch.empty(model.num_gates, dtype=dtype).uniform_(UNIFORM_EPS, 1.0 - UNIFORM_EPS)
            noise = torch.log(u) - torch.log1p(-u)
        rollout = opt.roll(compute_cmp_state_kwargs={"x": x, "y": y, "noise": noise})
        if gated:
            model.clamp_log_alpha_()
        losses = state["losses"]
        losses.append(rollout.loss.detach())
        if len(losses) > LOSS_WINDOW:
            del losses[0]
        state["t"] = t + 1

    stats = time_steps(step, args.warmup, args.steps)

    losses = [float(v) for v in state["losses"]]
    quality = {"objective": losses[-1], "extra": {"loss_mean_last": sum(losses) / len(losses)}}
    with torch.no_grad():
        logits = model(x_test, median=gated)
        quality["extra"]["test_accuracy"] = float((logits.argmax(1) == y_test).double().mean())
        if gated:
            density = float(model.expected_density())
            quality["constraints"] = {"density": [density - meta["target"]]}
            quality["extra"]["expected_density"] = density
            la = torch.cat([l.detach().double() for l in model.log_alphas])
            quality["extra"]["median_density"] = float((stretch_and_rectify(torch.sigmoid(la / BETA)) > 0).double().mean())
            quality["extra"]["gates"] = float(model.num_gates)
        if args.mode == "constrained":
            quality["multipliers"] = {"density": [float(v) for v in cmp.density.multiplier.weight.detach().flatten()]}
    flops = mlp_step_flops(sizes, batch_size)
    variant = f"{meta['data']}-{args.mode}"
    report("mlp-l0", variant, args, stats, quality, flops_per_step=flops)


if __name__ == "__main__":
    main()
