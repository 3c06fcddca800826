#!/usr/bin/env bash
# Runs the indexed-multiplier benchmark and summarises it.
#
#   bench/indexed.sh            # full run (about a minute of measurement after the build)
#   bench/indexed.sh --quick    # extra arguments go to criterion
#   REIN_BENCH_HOT=1 bench/indexed.sh
#                               # also times n = 10^6 with indices drawn from the first 10^3
#                               # entries only (cache-resident): column "1e6 hot"
#
# Reads the medians from target/criterion/indexed_multipliers/<optimizer>/<n>/new/estimates.json,
# writes bench/results/indexed_multipliers.json (median time per step in ns for every optimizer
# and n, and the ratio t(10^6) / t(10^3) per optimizer) and prints a table.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

cargo bench -p rein --bench indexed_multipliers -- "$@"

target_dir="${CARGO_TARGET_DIR:-$root/target}"
mkdir -p bench/results
python3 - "$target_dir/criterion" bench/results/indexed_multipliers.json "${REIN_BENCH_HOT:+hot}" <<'PY'
import json, os, sys

criterion, out, hot = sys.argv[1], sys.argv[2], sys.argv[3] == "hot"


def medians(base):
    """{optimizer: {n: {median_ns, ci95_ns}}} from criterion's estimates under `base`."""
    found = {}
    if not os.path.isdir(base):
        return found
    for opt in sorted(os.listdir(base)):
        odir = os.path.join(base, opt)
        if not os.path.isdir(odir) or opt == "report":
            continue
        for n in os.listdir(odir):
            est = os.path.join(odir, n, "new", "estimates.json")
            if not n.isdigit() or not os.path.exists(est):
                continue
            with open(est) as f:
                e = json.load(f)["median"]
            found.setdefault(opt, {})[int(n)] = {
                "median_ns": e["point_estimate"],
                "ci95_ns": [e["confidence_interval"]["lower_bound"], e["confidence_interval"]["upper_bound"]],
            }
    return found


results = medians(os.path.join(criterion, "indexed_multipliers"))
hot_results = medians(os.path.join(criterion, "indexed_multipliers_hot")) if hot else {}

summary = {"unit": "ns per step", "observed_per_step": 256, "optimizers": {}}
for opt, by_n in results.items():
    entry = {"median_ns": {str(n): v["median_ns"] for n, v in sorted(by_n.items())},
             "ci95_ns": {str(n): v["ci95_ns"] for n, v in sorted(by_n.items())}}
    if 1000 in by_n and 1000000 in by_n:
        entry["ratio_1e6_over_1e3"] = by_n[1000000]["median_ns"] / by_n[1000]["median_ns"]
    h = hot_results.get(opt, {}).get(1000000)
    if h:
        # n = 10^6 with indices drawn from the first 10^3 entries only (cache-resident).
        entry["hot_1e6_median_ns"] = h["median_ns"]
        entry["hot_1e6_ci95_ns"] = h["ci95_ns"]
    summary["optimizers"][opt] = entry
with open(out, "w") as f:
    json.dump(summary, f, indent=2)
    f.write("\n")

sizes = sorted({n for by_n in results.values() for n in by_n})
head = f"{'optimizer':<10}" + "".join(f"{'n=' + format(n, ','):>16}" for n in sizes) + f"{'t(1e6)/t(1e3)':>16}"
if hot_results:
    head += f"{'1e6 hot':>12}"
print()
print("median time per step (us), 256 observed entries per step")
print(head)
print("-" * len(head))
for opt, entry in summary["optimizers"].items():
    row = f"{opt:<10}"
    for n in sizes:
        v = results[opt].get(n)
        row += f"{v['median_ns'] / 1e3:>16.1f}" if v else f"{'-':>16}"
    r = entry.get("ratio_1e6_over_1e3")
    row += f"{r:>16.3f}" if r is not None else f"{'-':>16}"
    if hot_results:
        h = entry.get("hot_1e6_median_ns")
        row += f"{h / 1e3:>12.1f}" if h is not None else f"{'-':>12}"
    print(row)
print()
print(f"written to {out}")
PY
