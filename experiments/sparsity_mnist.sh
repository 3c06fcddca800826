#!/usr/bin/env bash
# Controlled sparsity on MNIST (spec 02, "bigger run"): the 784-300-100-10 MLP and LeNet-5-Caffe
# with structured gates, one run per target, each printing its final table. CPU-scale budgets:
# STEPS (default 4000 for the MLP) and LENET_STEPS (default 1500; ~0.33 s per step on flex).
# Needs `rein data fetch mnist` first. Results: runs/sparsity_mnist/*/metrics.json.
#   experiments/sparsity_mnist.sh [mlp|lenet5|both] [targets...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --release -q -p rein-cli
which="${1:-both}"
shift || true
targets=("${@:-0.2 0.35 0.5 0.65 0.8}")
read -r -a targets <<< "${targets[*]}"
out="${OUT:-runs/sparsity_mnist}"
seed="${SEED:-0}"
mkdir -p "$out"
for target in "${targets[@]}"; do
  if [[ "$which" == mlp || "$which" == both ]]; then
    ./target/release/rein sparsity --quiet --dataset mnist --hidden 300,100 --seed "$seed" \
      --steps "${STEPS:-4000}" --target "$target" --out "$out/mlp_t${target}_s${seed}"
  fi
  if [[ "$which" == lenet5 || "$which" == both ]]; then
    ./target/release/rein sparsity --quiet --dataset mnist --model lenet5 --structured \
      --seed "$seed" --steps "${LENET_STEPS:-1500}" --target "$target" \
      --out "$out/lenet5_t${target}_s${seed}"
  fi
done
