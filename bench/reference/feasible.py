"""Reference side of workload `feasible`: Feasible Learning (Ramirez et al. 2025) with one
indexed multiplier per training sample, PyTorch + Cooper 1.0.1 (rein side:
crates/rein-bench/src/feasible.rs).

Find x with CE_i(x) <= eps = -ln p for every training sample; no objective. Cooper Lagrangian
with an IndexedMultiplier (init 0, one entry per sample; the constraint features are the batch
indices), Lagrangian = sum over the batch of lambda_i (CE_i - eps);
AlternatingDualPrimalOptimizer: dual step first with torch.optim.SGD(maximize=True) on the
sparse multiplier gradient (CE_i - eps), projection onto lambda >= 0, then the primal step
(Adam or SGD) with the updated multipliers.
"""

import argparse
import os
import sys

import torch
import torch.nn.functional as F

import cooper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Problem, add_common_args, report, time_steps  # noqa: E402
from mlp_data import load_data, mlp_step_flops  # noqa: E402

EVAL_CHUNK = 4096


class Mlp(torch.nn.Module):
    """ReLU MLP with weights in [in, out] layout (y = x W + b), initialised from the problem."""

    def __init__(self, problem, sizes, dtype):
        super().__init__()
        t = lambda name: torch.nn.Parameter(torch.from_numpy(problem.tensor(name)).to(dtype))
        n = len(sizes) - 1
        self.weights = torch.nn.ParameterList([t(f"layer{l}.weight") for l in range(n)])
        self.biases = torch.nn.ParameterList([t(f"layer{l}.bias") for l in range(n)])

    def forward(self, x):
        last = len(self.weights) - 1
        for l, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.addmm(b, x, w)
            if l < last:
                x = torch.relu(x)
        return x


class FeasibleCMP(cooper.ConstrainedMinimizationProblem):
    def __init__(self, model, n, eps, dtype):
        super().__init__()
        self.model = model
        self.eps = eps
        self.feasible = cooper.Constraint(
            constraint_type=cooper.ConstraintType.INEQUALITY,
            formulation_type=cooper.formulations.Lagrangian,
            multiplier=cooper.multipliers.IndexedMultiplier(num_constraints=n, dtype=dtype),
        )

    def compute_cmp_state(self, x, y, idx):
        ce = F.cross_entropy(self.model(x), y, reduction="none")
        state = cooper.ConstraintState(violation=ce - self.eps, constraint_features=idx)
        return cooper.CMPState(loss=None, observed_constraints={self.feasible: state})


def mean_max(values, mask):
    v = values[mask]
    if v.numel() == 0:
        return float("nan"), float("nan")
    return float(v.mean()), float(v.max())


def main():
    parser = add_common_args(argparse.ArgumentParser(description=__doc__))
    parser.add_argument("--data", choices=["digits", "mnist"], default=None, help="checked against the problem")
    parser.add_argument("--primal", choices=["adam", "sgd"], default="adam")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    dtype = torch.float64 if args.f64 else torch.float32

    p = Problem(args.problem)
    meta = p.meta
    if args.data is not None and args.data != meta["data"]:
        raise SystemExit(f"{args.problem}: holds {meta['data']!r} data but --data {args.data} was given")
    (x_train, y_train), _ = load_data(p)
    x_train = x_train.to(dtype)
    n = x_train.shape[0]
    sizes = meta["sizes"]
    batches = torch.from_numpy(p.tensor("batches"))
    n_batches, batch_size = batches.shape
    eps = meta["eps"]

    model = Mlp(p, sizes, dtype)
    cmp = FeasibleCMP(model, n, eps, dtype)
    if args.primal == "adam":
        primal = torch.optim.Adam(model.parameters(), lr=meta["lr"])
    else:
        primal = torch.optim.SGD(model.parameters(), lr=meta["lr"])
    dual = torch.optim.SGD(cmp.dual_parameters(), lr=meta["dual_lr"], maximize=True)
    opt = cooper.optim.AlternatingDualPrimalOptimizer(cmp=cmp, primal_optimizers=primal, dual_optimizers=dual)

    state = {"t": 0}

    def step():
        idx = batches[state["t"] % n_batches]
        x, y = x_train.index_select(0, idx), y_train.index_select(0, idx)
        opt.roll(compute_cmp_state_kwargs={"x": x, "y": y, "idx": idx})
        state["t"] += 1

    stats = time_steps(step, args.warmup, args.steps)

    seen = torch.zeros(n, dtype=torch.bool)
    seen[batches[: min(state["t"], n_batches)].flatten()] = True
    with torch.no_grad():
        ce = torch.cat(
            [
                F.cross_entropy(model(x_train[s : s + EVAL_CHUNK]), y_train[s : s + EVAL_CHUNK], reduction="none")
                for s in range(0, n, EVAL_CHUNK)
            ]
        ).double()
        lam = cmp.feasible.multiplier.weight.detach().flatten().double()
    n_seen = int(seen.sum())
    ce_seen, ce_seen_max = mean_max(ce, seen)
    ce_all, ce_all_max = mean_max(ce, torch.ones(n, dtype=torch.bool))
    lam_mean, lam_max = mean_max(lam, seen)
    frac = lambda k, m: k / max(m, 1)
    quality = {
        "objective": None,
        "constraints": {"feasible.mean": [ce_seen - eps], "feasible.max": [ce_seen_max - eps]},
        "multipliers": {"feasible.mean": [lam_mean], "feasible.max": [lam_max]},
        "extra": {
            "seen": float(n_seen),
            "feasible_seen": frac(int(((ce <= eps) & seen).sum()), n_seen),
            "feasible_train": frac(int((ce <= eps).sum()), n),
            "ce_mean_seen": ce_seen,
            "ce_max_seen": ce_seen_max,
            "ce_mean_train": ce_all,
            "ce_max_train": ce_all_max,
            "lambda_positive_seen": frac(int(((lam > 0) & seen).sum()), n_seen),
        },
    }
    variant = f"{meta['data']}-{args.primal}"
    report("feasible", variant, args, stats, quality, flops_per_step=mlp_step_flops(sizes, batch_size))


if __name__ == "__main__":
    main()
