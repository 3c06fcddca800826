#!/usr/bin/env bash
# Runs the Shampoo benchmark and summarises it.
#
#   bench/shampoo.sh            # full run (a few minutes of measurement after the build)
#   bench/shampoo.sh --quick    # extra arguments go to criterion
#
# Reads the medians from target/criterion/{train,opt,root}/..., writes bench/results/shampoo.json
# (median times in ns; Shampoo / Adam ratios per MLP and precondition frequency, for the whole
# training step and for the optimizer step alone; inverse-root times per method and size) and
# prints a table.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

cargo bench -p rein --bench shampoo -- "$@"

target_dir="${CARGO_TARGET_DIR:-$root/target}"
mkdir -p bench/results
python3 - "$target_dir/criterion" bench/results/shampoo.json <<'PY'
import json, os, sys

criterion, out = sys.argv[1], sys.argv[2]


def median(*parts):
    est = os.path.join(criterion, *parts, "new", "estimates.json")
    if not os.path.exists(est):
        return None
    with open(est) as f:
        return json.load(f)["median"]["point_estimate"]


summary = {"unit": "ns", "batch": 128, "device": "flex CPU, float32 model, f64 host state",
           "train": {}, "opt": {}, "ratio_train": {}, "ratio_opt": {}, "root": {}}
for mlp in ["64-32-10", "784-300-100-10"]:
    for group in ["train", "opt"]:
        adam = median(group, mlp, "adam")
        times = {"adam": adam}
        ratios = {}
        for f in [1, 10, 100]:
            t = median(group, mlp, f"shampoo_f{f}")
            times[f"shampoo_f{f}"] = t
            if t is not None and adam:
                ratios[f"f{f}"] = t / adam
        summary[group][mlp] = times
        summary[f"ratio_{group}"][mlp] = ratios
for method in ["eigh", "newton"]:
    summary["root"][method] = {str(n): median("root", method, str(n)) for n in [256, 1024]}

with open(out, "w") as f:
    json.dump(summary, f, indent=2)
    f.write("\n")

print()
print("Shampoo / Adam (median time per step)")
print(f"{'mlp':<16}{'what':<8}{'adam (us)':>12}{'f=1':>10}{'f=10':>10}{'f=100':>10}")
for mlp in summary["train"]:
    for group in ["train", "opt"]:
        adam = summary[group][mlp]["adam"]
        r = summary[f"ratio_{group}"][mlp]
        cells = "".join(f"{r[k]:>10.2f}" if k in r else f"{'-':>10}" for k in ["f1", "f10", "f100"])
        a = f"{adam / 1e3:>12.1f}" if adam else f"{'-':>12}"
        print(f"{mlp:<16}{group:<8}{a}{cells}")
print()
print("inverse 4th root of an n x n SPD matrix (ms)")
for method, by_n in summary["root"].items():
    print(f"{method:<8}" + "".join(f"{'n=' + n:>8}{(v or 0) / 1e6:>10.1f}" for n, v in by_n.items()))
print()
print(f"written to {out}")
PY
