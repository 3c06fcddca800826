"""Shared helpers of the reference (PyTorch + Cooper) side of the benchmarks.

Every reference script reads the problem file that `rein-bench <workload> --write-problem`
wrote (`NAME.json` manifest + `NAME.bin` raw little-endian numbers, see
crates/rein-bench/src/problem_file.rs), runs the same steps, and prints one JSON object of the
same shape as rein-bench's RunReport, with "side": "cooper".
"""

import json
import os
import statistics
import time

import numpy as np

FORMAT = "rein-bench-problem-v1"
_DTYPES = {"f32": np.float32, "f64": np.float64, "i64": np.int64}


class Problem:
    """A problem file: `.meta` (dict) and `.tensor(name)` (numpy array)."""

    def __init__(self, path):
        with open(path) as f:
            manifest = json.load(f)
        if manifest.get("format") != FORMAT:
            raise SystemExit(f"{path}: format {manifest.get('format')!r}, expected {FORMAT!r}")
        self.path = path
        self.meta = manifest["meta"]
        self._tensors = manifest["tensors"]
        with open(os.path.splitext(path)[0] + ".bin", "rb") as f:
            self._bytes = f.read()

    def tensor(self, name):
        if name not in self._tensors:
            raise SystemExit(f"{self.path}: no tensor {name!r}")
        t = self._tensors[name]
        dtype = _DTYPES[t["dtype"]]
        count = int(np.prod(t["shape"])) if t["shape"] else 1
        return np.frombuffer(self._bytes, dtype=dtype, count=count, offset=t["offset"]).reshape(
            t["shape"]
        ).copy()


def step_stats(samples_ns):
    """Median, mean, min and p90 of per-step wall times (ns), as rein-bench reports them."""
    s = sorted(samples_ns)
    at = lambda q: s[int(round((len(s) - 1) * q))]
    return {"median": at(0.5), "mean": statistics.fmean(s), "min": s[0], "p90": at(0.9)}


def time_steps(step, warmup, steps):
    """Runs `warmup` untimed then `steps` timed calls of `step()`; returns step_stats."""
    for _ in range(warmup):
        step()
    samples = []
    for _ in range(steps):
        t = time.perf_counter_ns()
        step()
        samples.append(float(time.perf_counter_ns() - t))
    return step_stats(samples)


def report(workload, variant, args, step_ns, quality, flops_per_step=None):
    """Prints the run report (same keys as rein-bench's RunReport) on stdout."""
    import torch

    out = {
        "side": "cooper",
        "workload": workload,
        "variant": variant,
        "device": "torch-cpu",
        "threads": torch.get_num_threads(),
        "warmup": args.warmup,
        "steps": args.steps,
        "step_ns": step_ns,
        "quality": {
            "objective": quality.get("objective"),
            "constraints": quality.get("constraints", {}),
            "multipliers": quality.get("multipliers", {}),
            "extra": quality.get("extra", {}),
        },
    }
    if flops_per_step is not None:
        out["flops_per_step"] = flops_per_step
    print(json.dumps(out))


def add_common_args(parser):
    """The arguments every reference script takes (same names as rein-bench's)."""
    parser.add_argument("--problem", required=True)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--f64", action="store_true")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    return parser
