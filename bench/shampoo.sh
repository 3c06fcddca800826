#!/usr/bin/env bash
# Runs the Shampoo benchmark and summarises it.
#
#   bench/shampoo.sh            # full run (~10 minutes of measurement after the build)
#   bench/shampoo.sh --quick    # extra arguments go to criterion
#
# Reads the medians from target/criterion/{train,opt,root}/..., and the FLOP counts the bench
# prints, writes bench/results/shampoo.json (median times in ns; per setup the Shampoo / Adam
# ratios of every variant, for the whole training step and for the optimizer step alone, all
# measured in this one run; FLOPs of forward + backward and of Shampoo's per-step matmuls;
# inverse-root times per method and size) and prints a table.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo bench -p rein --bench shampoo -- "$@" | tee "$log"

target_dir="${CARGO_TARGET_DIR:-$root/target}"
mkdir -p bench/results
python3 - "$target_dir/criterion" bench/results/shampoo.json "$log" <<'PY'
import json, os, re, sys

criterion, out, log = sys.argv[1], sys.argv[2], sys.argv[3]


def median(*parts):
    est = os.path.join(criterion, *parts, "new", "estimates.json")
    if not os.path.exists(est):
        return None
    with open(est) as f:
        return json.load(f)["median"]["point_estimate"]


flops = {}
with open(log) as f:
    for line in f:
        if line.startswith("FLOPS "):
            words = line.split()
            flops[words[1]] = {k: float(v) for k, v in (w.split("=") for w in words[2:])}

variants = ["shampoo_f1", "shampoo_f10", "shampoo_f100", "shampoo32_f10", "shampoo32_f100",
            "shampoo32d_f100", "shampoo_f100_d256", "shampoo_f100_d128"]
summary = {
    "unit": "ns",
    "device": "flex CPU, float32 model; Shampoo host state f64 (shampoo_*) or f32 "
              "(shampoo32*: FactorPrecision::F32 + RootPrecision::F32; shampoo32d: and diagonal "
              "vector blocks); single-threaded faer; 2-core VM shared with other jobs",
    "setups": {},
    "root": {},
}
for setup, fl in flops.items():
    s = {"batch": int(fl.pop("batch")), "flops": fl}
    for group in ["train", "opt"]:
        adam = median(group, setup, "adam")
        times = {"adam": adam}
        ratios = {}
        for v in variants:
            t = median(group, setup, v)
            if t is None:
                continue
            times[v] = t
            if adam:
                ratios[v] = t / adam
        s[group] = times
        s[f"ratio_{group}"] = ratios
    s["flops"]["shampoo_over_train"] = fl["shampoo"] / fl["train"]
    for dim in ["d256", "d128"]:
        if f"shampoo_{dim}" in fl:
            s["flops"][f"shampoo_{dim}_over_train"] = fl[f"shampoo_{dim}"] / fl["train"]
    summary["setups"][setup] = s
for method in ["eigh", "newton"]:
    summary["root"][method] = {str(n): median("root", method, str(n)) for n in [256, 1024]}

with open(out, "w") as f:
    json.dump(summary, f, indent=2)
    f.write("\n")

print()
print("Shampoo / Adam (median time per step, one run)")
short = [v.replace("shampoo", "s") for v in variants]
print(f"{'setup':<14}{'what':<6}{'adam (ms)':>10}" + "".join(f"{v:>12}" for v in short))
for setup, s in summary["setups"].items():
    for group in ["train", "opt"]:
        adam = s[group]["adam"]
        r = s[f"ratio_{group}"]
        cells = "".join(f"{r[v]:>12.2f}" if v in r else f"{'-':>12}" for v in variants)
        a = f"{adam / 1e6:>10.3f}" if adam else f"{'-':>10}"
        print(f"{setup:<14}{group:<6}{a}{cells}")
print()
print("FLOPs per step: forward + backward vs Shampoo's per-step matmuls (roots excluded)")
for setup, s in summary["setups"].items():
    fl = s["flops"]
    print(f"{setup:<14}batch {s['batch']:>5}  train {fl['train']:.3e}  shampoo {fl['shampoo']:.3e}"
          f"  ratio {fl['shampoo_over_train']:.2f}")
print()
print("inverse 4th root of an n x n SPD matrix (ms)")
for method, by_n in summary["root"].items():
    print(f"{method:<8}" + "".join(f"{'n=' + n:>8}{(v or 0) / 1e6:>10.1f}" for n, v in by_n.items()))
print()
print(f"written to {out}")
PY
