"""Reference side of workload `tiny-cmp` (rein side: crates/rein-bench/src/tiny_cmp.rs).

    min_x ||x||^2   s.t.   A x - b <= 0        (n = 10, m = 5; A, b, x0 from the problem file)

Cooper 1.0.1: Lagrangian formulation, DenseMultiplier (init 0), primal torch.optim.SGD,
dual torch.optim.SGD(maximize=True) followed by Cooper's projection relu(lambda). Schemes:

* simultaneous             SimultaneousOptimizer
* alternating-primal-dual  AlternatingPrimalDualOptimizer; the CMP implements
                           compute_violations (no graph), as the rein side does
* alternating-dual-primal  AlternatingDualPrimalOptimizer
* extragradient            ExtrapolationConstrainedOptimizer with cooper.optim.ExtraSGD for both
                           primal and dual (both restart from the saved point x_t, lambda_t)

Quality is computed in float64 with numpy from the final x and multipliers, with the same
formulas as the rein side (objective ||x||^2, A x - b, lambda, x[i], distances to the KKT point
stored in the problem file).
"""

import argparse
import os
import sys

import numpy as np
import torch

import cooper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Problem, add_common_args, report, time_steps  # noqa: E402

GROUP = "ineq"
SCHEMES = ["simultaneous", "alternating-primal-dual", "alternating-dual-primal", "extragradient"]


class TinyCmp(cooper.ConstrainedMinimizationProblem):
    """min ||x||^2 s.t. A x - b <= 0 with one dense inequality group."""

    def __init__(self, a, b, x, dtype):
        super().__init__()
        self.a, self.b, self.x = a, b, x
        multiplier = cooper.multipliers.DenseMultiplier(num_constraints=a.shape[0], dtype=dtype)
        # Registered under its attribute name, `ineq`.
        self.ineq = cooper.Constraint(
            constraint_type=cooper.ConstraintType.INEQUALITY,
            formulation_type=cooper.formulations.Lagrangian,
            multiplier=multiplier,
        )

    def compute_cmp_state(self):
        x = self.x
        g = self.a @ x - self.b
        return cooper.CMPState(
            loss=(x * x).sum(), observed_constraints={self.ineq: cooper.ConstraintState(violation=g)}
        )

    def compute_violations(self):
        with torch.no_grad():
            g = self.a @ self.x - self.b
        return cooper.CMPState(observed_constraints={self.ineq: cooper.ConstraintState(violation=g)})


def build_optimizer(scheme, cmp, x, primal_lr, dual_lr):
    if scheme == "extragradient":
        primal = cooper.optim.ExtraSGD([x], lr=primal_lr)
        dual = cooper.optim.ExtraSGD(cmp.dual_parameters(), lr=dual_lr, maximize=True)
        return cooper.optim.ExtrapolationConstrainedOptimizer(
            cmp=cmp, primal_optimizers=primal, dual_optimizers=dual
        )
    primal = torch.optim.SGD([x], lr=primal_lr)
    dual = torch.optim.SGD(cmp.dual_parameters(), lr=dual_lr, maximize=True)
    cls = {
        "simultaneous": cooper.optim.SimultaneousOptimizer,
        "alternating-primal-dual": cooper.optim.AlternatingPrimalDualOptimizer,
        "alternating-dual-primal": cooper.optim.AlternatingDualPrimalOptimizer,
    }[scheme]
    return cls(cmp=cmp, primal_optimizers=primal, dual_optimizers=dual)


def quality(p, x, lam):
    """Same quantities and formulas as the rein side (float64, host)."""
    a, b = p.tensor("A"), p.tensor("b")
    x_star, lambda_star = p.tensor("x_star"), p.tensor("lambda_star")
    g = a @ x - b
    out = {
        "objective": float((x * x).sum()),
        "constraints": {GROUP: [float(v) for v in g]},
        "multipliers": {GROUP: [float(v) for v in lam]},
        "extra": {f"x[{i}]": float(v) for i, v in enumerate(x)},
    }
    out["extra"]["dist_x"] = float(np.sqrt(((x - x_star) ** 2).sum()))
    out["extra"]["dist_lambda"] = float(np.sqrt(((lam - lambda_star) ** 2).sum()))
    return out


def main():
    parser = add_common_args(argparse.ArgumentParser(description=__doc__.splitlines()[0]))
    parser.add_argument("--scheme", choices=SCHEMES, default="simultaneous")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    dtype = torch.float64 if args.f64 else torch.float32
    p = Problem(args.problem)
    n, m = int(p.meta["n"]), int(p.meta["m"])
    a = torch.from_numpy(p.tensor("A")).to(dtype)
    b = torch.from_numpy(p.tensor("b")).to(dtype)
    if tuple(a.shape) != (m, n) or tuple(b.shape) != (m,):
        raise SystemExit(f"{args.problem}: A {tuple(a.shape)} / b {tuple(b.shape)} do not match m={m}, n={n}")
    x = torch.nn.Parameter(torch.from_numpy(p.tensor("x0")).to(dtype))
    cmp = TinyCmp(a, b, x, dtype)
    opt = build_optimizer(args.scheme, cmp, x, float(p.meta["primal_lr"]), float(p.meta["dual_lr"]))

    step_ns = time_steps(opt.roll, args.warmup, args.steps)

    x_final = x.detach().to(torch.float64).numpy()
    lam = cmp.ineq.multiplier.weight.detach().to(torch.float64).numpy()
    report("tiny-cmp", args.scheme, args, step_ns, quality(p, x_final, lam))


if __name__ == "__main__":
    main()
