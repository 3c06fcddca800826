"""Reference side of workload `indexed` (rein side: crates/rein-bench/src/indexed.rs).

    min_x ||x - 1||^2   s.t.   a_i . x - b_i <= 0   for i < n,   `observed` of them per step

Cooper 1.0.1: Lagrangian formulation, IndexedMultiplier(num_constraints=n) (init 0; the
constraint features are the batch indices, so its gradient is a sparse embedding gradient),
AlternatingDualPrimalOptimizer with primal torch.optim.SGD and dual
torch.optim.SGD(maximize=True). The batches (indices, rows a_i, b_i) come from the problem file
and are cycled in order, as on the rein side.

Note: Cooper projects the multipliers after every dual step with relu over the *whole* weight
(`ExplicitMultiplier.post_step_`), an O(n) pass, so its step time grows with n.
"""

import argparse
import os
import sys

import torch

import cooper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Problem, add_common_args, report, time_steps  # noqa: E402

GROUP = "per_sample"


class PerSample(cooper.ConstrainedMinimizationProblem):
    def __init__(self, n, dtype):
        super().__init__()
        multiplier = cooper.multipliers.IndexedMultiplier(num_constraints=n, dtype=dtype)
        self.per_sample = cooper.Constraint(
            constraint_type=cooper.ConstraintType.INEQUALITY,
            formulation_type=cooper.formulations.Lagrangian,
            multiplier=multiplier,
        )

    def compute_cmp_state(self, x, indices, a, b):
        g = a @ x - b
        d = x - 1.0
        return cooper.CMPState(
            loss=(d * d).sum(),
            observed_constraints={
                self.per_sample: cooper.ConstraintState(violation=g, constraint_features=indices)
            },
        )


def main():
    parser = add_common_args(argparse.ArgumentParser(description=__doc__.splitlines()[0]))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    dtype = torch.float64 if args.f64 else torch.float32
    p = Problem(args.problem)
    n, k, nb, dim = (int(p.meta[key]) for key in ("n", "observed", "batches", "dim"))
    indices = torch.from_numpy(p.tensor("indices"))
    a = torch.from_numpy(p.tensor("a")).to(dtype)
    b = torch.from_numpy(p.tensor("b")).to(dtype)
    if tuple(indices.shape) != (nb, k) or tuple(a.shape) != (nb, k, dim) or tuple(b.shape) != (nb, k):
        raise SystemExit(f"{args.problem}: tensors do not match meta (batches {nb}, observed {k}, dim {dim})")
    batches = [(indices[j].contiguous(), a[j].contiguous(), b[j].contiguous()) for j in range(nb)]
    x = torch.nn.Parameter(torch.from_numpy(p.tensor("x0")).to(dtype))
    cmp = PerSample(n, dtype)
    opt = cooper.optim.AlternatingDualPrimalOptimizer(
        cmp=cmp,
        primal_optimizers=torch.optim.SGD([x], lr=float(p.meta["primal_lr"])),
        dual_optimizers=torch.optim.SGD(cmp.dual_parameters(), lr=float(p.meta["dual_lr"]), maximize=True),
    )

    t = [0]

    def step():
        idx, ab, bb = batches[t[0] % nb]
        opt.roll(compute_cmp_state_kwargs={"x": x, "indices": idx, "a": ab, "b": bb})
        t[0] += 1

    step_ns = time_steps(step, args.warmup, args.steps)

    # Quality (float64, host), as on the rein side.
    xf = x.detach().to(torch.float64)
    lam = cmp.per_sample.multiplier.weight.detach().to(torch.float64).flatten()
    last = (t[0] + nb - 1) % nb
    li, la, lb = batches[last]
    g = la.to(torch.float64) @ xf - lb.to(torch.float64)
    quality = {
        "objective": float(((xf - 1.0) ** 2).sum()),
        "constraints": {f"{GROUP}.last_batch": g.tolist()},
        "multipliers": {f"{GROUP}.last_batch": lam[li].tolist()},
        "extra": {f"x[{j}]": float(v) for j, v in enumerate(xf.tolist())},
    }
    quality["extra"]["lambda_sum"] = float(lam.sum())
    quality["extra"]["lambda_max"] = float(lam.max().clamp(min=0.0))
    quality["extra"]["lambda_positive"] = float((lam > 0).sum())
    report("indexed", f"n={n},observed={k}", args, step_ns, quality)


if __name__ == "__main__":
    main()
