#!/usr/bin/env bash
# L0onie on the bundled 64x64 astronaut crop (spec 02): targets 2 and 4 bpp, each against the
# COIN curve measured in the same run (every run trains its own COIN baselines).
#   * gated SIREN 3x32 with sampled training gates (the default), seeds 0 and 1;
#   * the same with deterministic median gates (the spec's known trap), seed 0;
#   * gated SIREN 3x24 (the default width) with sampled gates, seeds 0 and 1.
# Results in runs/l0onie_*/, table printed at the end (docs/l0onie.md).
# Usage: experiments/l0onie.sh [extra rein l0onie options]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p rein-cli
run() { # name, options...
  local name=$1; shift
  ./target/release/rein l0onie --quiet --image bundled --target-bpp 2,4 \
    --steps 2000 --finetune-steps 2000 --out "runs/$name" "$@"
}
run l0onie_sampled --width 32 --gates sampled --seed 0 "$@"
run l0onie_median --width 32 --gates median --seed 0 "$@"
run l0onie_sampled_seed1 --width 32 --gates sampled --seed 1 "$@"
run l0onie_sampled_w24_seed0 --width 24 --seed 0 "$@"
run l0onie_sampled_w24_seed1 --width 24 --seed 1 "$@"
python3 - <<'PY'
import json
print("| run | gates | width | seed | target | bpp (16 nnz/HW) | file bpp | nnz | PSNR (dB) | PSNR before fine-tune | COIN PSNR at bpp | gain | COIN PSNR at file bpp | best step | s |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for d in ["l0onie_sampled", "l0onie_median", "l0onie_sampled_seed1",
          "l0onie_sampled_w24_seed0", "l0onie_sampled_w24_seed1"]:
    m = json.load(open(f"runs/{d}/metrics.json"))
    for r in m["runs"]:
        f = lambda v, p=2: "-" if v is None else f"{v:.{p}f}"
        print(f"| {d} | {m['gates']} | {m['gated_width']} | {m['seed']} | {r['target']} | {r['bpp']:.3f} "
              f"| {r['file_bpp']:.3f} | {r['nnz']} | {r['psnr']:.2f} | {f(r['constrained_psnr'])} "
              f"| {f(r['coin_psnr_at_bpp'])} | {f(r['psnr_gain'])} | {f(r.get('coin_psnr_at_file_bpp'))} "
              f"| {r['best_step']} | {r['seconds']:.0f} |")
for d in ["l0onie_sampled", "l0onie_sampled_seed1"]:
    m = json.load(open(f"runs/{d}/metrics.json"))
    print(f"\nCOIN curve ({d}, seed {m['seed']}):")
    print("| width | params | bpp | file bpp | PSNR (dB) | s |")
    print("|---|---|---|---|---|---|")
    for c in m["coin"]:
        print(f"| {c['width']} | {c['params']} | {c['bpp']:.3f} | {c['file_bpp']:.3f} | {c['psnr']:.2f} | {c['seconds']:.0f} |")
PY
