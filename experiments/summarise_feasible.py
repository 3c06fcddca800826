"""Summarises Feasible Learning sweeps (experiments/feasible_*.toml) against the claims of
docs/feasible.md: per method, the fraction of feasible training samples, the max / p99 train
loss against 2 eps, RFL's max multiplier against max(CE_i - eps)_+ / w, and the label-noise
ROC-AUCs; then a side-by-side histogram (bin counts) of the per-sample training losses of every
method, from each run's samples.csv (seed 0).

    python3 experiments/summarise_feasible.py RUN_DIR [RUN_DIR ...]
"""
import csv, json, pathlib, statistics, sys

runs = []
for root in map(pathlib.Path, sys.argv[1:]):
    for d in sorted(p for p in root.iterdir() if (p / "metrics.json").is_file()):
        runs.append((d, json.loads((d / "metrics.json").read_text())))
if not runs:
    sys.exit("no run with a metrics.json under " + " ".join(sys.argv[1:]))

def key(m):
    return (m["method"], m.get("rfl_decay"))

def fmt(v):
    return "-" if v is None else f"{v:.4f}"

groups = {}
for d, m in runs:
    groups.setdefault(key(m), []).append(m)

print("| method | w | seeds | feasible (min over seeds) | max CE (max) | max CE / eps | p99 CE (max) | "
      "test acc (mean) | max lambda (max) | max(CE-eps)+/w (max) | lambda <= bound, final (run-long) | u max (max) | AUC lambda (min) | AUC loss (min) |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for (method, w), ms in groups.items():
    def mx(k):
        vals = [m[k] for m in ms if m.get(k) is not None]
        return max(vals) if vals else None
    def mn(k):
        vals = [m[k] for m in ms if m.get(k) is not None]
        return min(vals) if vals else None
    eps = ms[0]["eps"]
    bounded = [m["multiplier_max"] <= m["rfl_lambda_bound"] for m in ms if m.get("rfl_lambda_bound") is not None]
    bounded = f"{sum(bounded)}/{len(bounded)}" if bounded else "-"
    run_bounded = [m["multiplier_max"] <= m["rfl_lambda_bound_run"] for m in ms if m.get("rfl_lambda_bound_run") is not None]
    bounded += f" (run: {sum(run_bounded)}/{len(run_bounded)})" if run_bounded else ""
    print(f"| {method} | {w if w is not None else '-'} | {len(ms)} | {fmt(mn('feasible_train'))} | {fmt(mx('ce_max_train'))} | "
          f"{mx('ce_max_train') / eps:.2f} | {fmt(mx('ce_p99_train'))} | "
          f"{statistics.mean(m['test_accuracy'] for m in ms):.4f} | {fmt(mx('multiplier_max'))} | "
          f"{fmt(mx('rfl_lambda_bound'))} | {bounded} | {fmt(mx('relaxation_max'))} | {fmt(mn('flip_auc_multipliers'))} | "
          f"{fmt(mn('flip_auc_losses'))} |")

# Side-by-side histogram of the per-sample losses (seed 0 of each method), common bins.
losses = {}
for d, m in runs:
    if m["seed"] == 0 and (d / "samples.csv").is_file():
        with open(d / "samples.csv") as f:
            losses[key(m)] = [float(r["loss"]) for r in csv.DictReader(f)]
if losses:
    eps = runs[0][1]["eps"]
    top = max(max(v) for v in losses.values())
    edges = [0.0, eps / 4, eps / 2, 3 * eps / 4, eps, 1.5 * eps, 2 * eps, 4 * eps]
    edges.append(max(top, 8 * eps) + 1e-9)
    names = [f"{k[0]}" + (f" w={k[1]}" if k[1] is not None else "") for k in losses]
    print(f"\nPer-sample training loss, seed 0 (eps = {eps:.4f}); samples per bin:\n")
    print("| CE_i bin | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for lo, hi in zip(edges, edges[1:]):
        counts = [sum(lo <= x < hi for x in v) for v in losses.values()]
        label = f"[{lo:.3f}, {hi:.3f})"
        print(f"| {label} | " + " | ".join(str(c) for c in counts) + " |")
