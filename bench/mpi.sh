#!/usr/bin/env bash
# Samples per second of data-parallel constrained training (dp-check: digits MLP 64-32-10,
# per-sample + weight-norm constraints, global batch 64) on 1 vs 2 MPI ranks, side by side in
# one run. Needs OpenMPI (apt-get install libopenmpi-dev openmpi-bin libclang-dev).
# Writes bench/results/mpi_ranks.json.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p rein-dist --features mpi
steps="${STEPS:-300}"
declare -A rate
for np in 1 2; do
  line="$(mpirun --allow-run-as-root --oversubscribe -np "$np" target/release/dp-check --steps "$steps" | grep '^dp-check:')"
  echo "$line"
  rate[$np]="$(sed -E 's/.*samples_per_s_distributed ([0-9.]+).*/\1/' <<< "$line")"
done
mkdir -p bench/results
python3 - "${rate[1]}" "${rate[2]}" "$steps" > bench/results/mpi_ranks.json <<'PY'
import json, sys
r1, r2, steps = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
print(json.dumps({"workload": "dp-check simultaneous, digits MLP 64-32-10, batch 64",
                  "steps": steps, "samples_per_s": {"1_rank": r1, "2_ranks": r2},
                  "ratio_2_over_1": r2 / r1}, indent=2))
PY
cat bench/results/mpi_ranks.json
