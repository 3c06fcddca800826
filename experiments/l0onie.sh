#!/usr/bin/env bash
# L0onie on the bundled 64x64 astronaut crop (spec 02): targets 2 and 4 bpp, with sampled
# training gates (the default) and with deterministic median gates (the spec's known trap),
# each against the COIN curve measured in the same run. Results: runs/l0onie_{sampled,median}/.
# Usage: experiments/l0onie.sh [extra rein l0onie options]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p rein-cli
for gates in sampled median; do
  ./target/release/rein l0onie --quiet --image bundled --target-bpp 2,4 \
    --steps 2000 --finetune-steps 2000 --gates "$gates" --seed 0 \
    --out "runs/l0onie_$gates" "$@"
done
python3 - <<'PY'
import json
print("| gates | target | bpp (16 nnz/HW) | file bpp | nnz | PSNR (dB) | PSNR before fine-tune | COIN PSNR at bpp | gain | COIN PSNR at file bpp | best step | s |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for g in ["sampled", "median"]:
    m = json.load(open(f"runs/l0onie_{g}/metrics.json"))
    for r in m["runs"]:
        f = lambda v, p=2: "-" if v is None else f"{v:.{p}f}"
        print(f"| {g} | {r['target']} | {r['bpp']:.3f} | {r['file_bpp']:.3f} | {r['nnz']} | {r['psnr']:.2f} "
              f"| {f(r['constrained_psnr'])} | {f(r['coin_psnr_at_bpp'])} | {f(r['psnr_gain'])} | {f(r.get('coin_psnr_at_file_bpp'))} | {r['best_step']} | {r['seconds']:.0f} |")
m = json.load(open("runs/l0onie_sampled/metrics.json"))
print("\nCOIN curve (sampled run):")
print("| width | params | bpp | file bpp | PSNR (dB) | s |")
print("|---|---|---|---|---|---|")
for c in m["coin"]:
    print(f"| {c['width']} | {c['params']} | {c['bpp']:.3f} | {c['file_bpp']:.3f} | {c['psnr']:.2f} | {c['seconds']:.0f} |")
PY
