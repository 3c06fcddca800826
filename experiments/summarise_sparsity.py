"""Summarises the controlled-sparsity sweeps of experiments/sparsity_digits.toml and
experiments/sparsity_digits_penalty.toml against the claim of docs/sparsity.md.

    python3 experiments/summarise_sparsity.py RUN_DIR [RUN_DIR ...] DEST
"""
import json, pathlib, statistics, sys

dest = pathlib.Path(sys.argv[-1])
rows, pen = [], []
for runs in map(pathlib.Path, sys.argv[1:-1]):
    for d in sorted(p for p in runs.iterdir() if (p / "metrics.json").is_file()):
        m = json.loads((d / "metrics.json").read_text())
        (pen if m.get("penalty") is not None else rows).append(m)

targets = sorted({m["target"] for m in rows})
table, ok = [], True
for t in targets:
    ms = [m for m in rows if m["target"] == t]
    gap = max(abs(m["expected_density"] - t) for m in ms)
    drop = [100 * (m["dense_test_accuracy"] - m["test_accuracy"]) for m in ms]
    allowed = 2.0 if t < 0.3 else 1.5
    holds = gap <= 0.01 and max(drop) <= allowed
    ok &= holds
    table.append({
        "target": t, "seeds": len(ms), "max_abs_density_gap": gap,
        "expected_density_mean": statistics.mean(m["expected_density"] for m in ms),
        "purged_density_mean": statistics.mean(m["purged_density"] for m in ms),
        "test_acc_mean": statistics.mean(m["test_accuracy"] for m in ms),
        "dense_test_acc_mean": statistics.mean(m["dense_test_accuracy"] for m in ms),
        "max_acc_drop_points": max(drop), "allowed_drop_points": allowed, "claim_holds": holds,
    })
penalty = sorted(({"penalty": m["penalty"], "seed": m["seed"], "expected_density": m["expected_density"],
                   "test_acc": m["test_accuracy"]} for m in pen), key=lambda r: (r["penalty"], r["seed"]))
hits = sum(any(abs(r["expected_density"] - t) <= 0.01 for t in targets) for r in penalty)
result = {"claim_holds": ok, "constrained": table, "penalty": penalty,
          "penalty_runs_within_0.01_of_some_target": hits, "penalty_runs": len(penalty)}
dest.with_suffix(".json").write_text(json.dumps(result, indent=2))
md = ["| target | max \\|E[density] - target\\| | mean E[density] | mean purged density | mean test acc | mean dense test acc | max drop (points) | allowed | holds |",
      "|---|---|---|---|---|---|---|---|---|"]
for r in table:
    md.append(f"| {r['target']} | {r['max_abs_density_gap']:.4f} | {r['expected_density_mean']:.4f} | {r['purged_density_mean']:.4f} | "
              f"{r['test_acc_mean']:.4f} | {r['dense_test_acc_mean']:.4f} | {r['max_acc_drop_points']:.2f} | {r['allowed_drop_points']} | {r['claim_holds']} |")
md += ["", "| penalty lambda | seed | expected density | test acc |", "|---|---|---|---|"]
md += [f"| {r['penalty']} | {r['seed']} | {r['expected_density']:.4f} | {r['test_acc']:.4f} |" for r in penalty]
md += ["", f"Penalty runs within 0.01 of any target: {hits} / {len(penalty)}. Claim holds: {ok}."]
dest.with_suffix(".md").write_text("\n".join(md) + "\n")
print("\n".join(md))
