#!/usr/bin/env bash
# Samples per second of data-parallel constrained training (dp-check: per-sample + weight-norm
# constraints, simultaneous GDA, Adam) on 1 vs 2 MPI ranks, interleaved 1, 2, 1, 2, ... in one
# run, for two models:
#   small: the digits MLP 64-32-10, global batch 64 (communication-bound: tiny matmuls);
#   big:   the digits MLP 64-1024-1024-10, global batch 1024 (compute-bound: ~7 GFLOP a step).
# Needs OpenMPI (apt-get install libopenmpi-dev openmpi-bin libclang-dev).
#
#   bench/mpi.sh                 # both models, REPS=3 repetitions of each rank count
#   STEPS=300 BIG_STEPS=10 REPS=3 bench/mpi.sh
#
# dp-check's rate is the distributed run's samples over its wall time (the serial re-run that
# checks the result is not timed). Each rank computes with one thread (flex is single-threaded),
# so 2 ranks need 2 free cores: on a machine shared with other jobs the ratio is a lower bound.
# Writes bench/results/mpi_ranks.json (per model: the rate of every repetition, the medians and
# their ratio 2 ranks / 1 rank).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p rein-dist --features mpi
target_dir="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
bin="$target_dir/release/dp-check"
[ -x "$bin" ] || { echo "mpi.sh: no dp-check binary at $bin" >&2; exit 1; }
steps="${STEPS:-300}"
big_steps="${BIG_STEPS:-10}"
reps="${REPS:-3}"
raw="$(mktemp)"
trap 'rm -f "$raw"' EXIT
for rep in $(seq 1 "$reps"); do
  for model in small big; do
    if [ "$model" = small ]; then args=(--steps "$steps"); else
      # f32 sums over 512 vs 1024 rows differ by ~1e-6 relative from the serial run's.
      args=(--steps "$big_steps" --hidden 1024,1024 --batch 1024 --tolerance 1e-4); fi
    for np in 1 2; do
      line="$(mpirun --allow-run-as-root --oversubscribe -np "$np" "$bin" "${args[@]}" | grep '^dp-check:')"
      echo "rep $rep $model np $np: $line" >&2
      rate="$(sed -E 's/.*samples_per_s_distributed ([0-9.]+).*/\1/' <<< "$line")"
      printf '%s\t%s\t%s\n' "$model" "$np" "$rate" >> "$raw"
    done
  done
done
mkdir -p bench/results
python3 - "$raw" "$steps" "$big_steps" "$reps" "$(uptime)" > bench/results/mpi_ranks.json <<'PY'
import json, statistics, sys
raw, steps, big_steps, reps, load = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
rates = {}
for line in open(raw):
    model, np, rate = line.split()
    rates.setdefault(model, {}).setdefault(np, []).append(float(rate))
what = {"small": ("digits MLP 64-32-10, global batch 64", steps),
        "big": ("digits MLP 64-1024-1024-10, global batch 1024", big_steps)}
out = {"workload": "dp-check --scheme simultaneous (Adam, per-sample + weight-norm constraints), "
                   "flex CPU float32, one thread per rank",
       "reps": reps, "uptime_at_end": load.strip(), "models": {}}
for model, by_np in rates.items():
    r1, r2 = statistics.median(by_np["1"]), statistics.median(by_np["2"])
    out["models"][model] = {"model": what[model][0], "steps": what[model][1],
                            "samples_per_s": {"1_rank": by_np["1"], "2_ranks": by_np["2"]},
                            "median_samples_per_s": {"1_rank": r1, "2_ranks": r2},
                            "ratio_2_over_1": r2 / r1}
print(json.dumps(out, indent=2))
PY
cat bench/results/mpi_ranks.json
