#!/usr/bin/env bash
# Controlled sparsity on the bundled digits (spec 02): 6 density targets x 3 seeds, each next to
# the dense MLP of the same shape and budget, and the penalised baseline (CE + lambda * density)
# for a sweep of lambda. Writes experiments/results/sparsity_digits.{json,md}.
#   experiments/sparsity_digits.sh            # full sweep (~4 minutes on 2 cores)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --release -q -p rein-cli
out="${OUT:-runs/sparsity_digits}"
mkdir -p "$out" experiments/results
for seed in 0 1 2; do
  for target in 0.1 0.2 0.35 0.5 0.65 0.8; do
    ./target/release/rein sparsity --quiet --dense --seed "$seed" --target "$target" \
      --out "$out/constrained_t${target}_s${seed}" > /dev/null
  done
  for penalty in 0.001 0.01 0.1 1 10; do
    ./target/release/rein sparsity --quiet --seed "$seed" --penalty "$penalty" \
      --out "$out/penalty_l${penalty}_s${seed}" > /dev/null
  done
done
python3 experiments/summarise_sparsity.py "$out" experiments/results/sparsity_digits
