#!/usr/bin/env bash
# Builds rein-bench with the LibTorch device (`--features tch`) against the libtorch that ships
# inside the pip torch wheel of the benchmark venv, and writes a wrapper that sets the runtime
# library path.
#
#   bench/build_tch.sh            # builds (a no-op when up to date), prints the wrapper path
#   "$(bench/build_tch.sh)" info --device tch
#
# stdout: exactly one line, the path of the wrapper `bench/.work/rein-bench-tch`, which the
#         harness calls like the plain binary (`... mlp-l0 --device tch ...`).
# stderr: progress and cargo's log.
# Exit status: 0 on success; 1 with a message naming what is missing when it cannot build
#         (no venv, no torch, a torch version other than the one tch/torch-sys 0.22 expects,
#         a failed build, or a binary that cannot open the tch device).
#
# Environment (all optional):
#   REIN_BENCH_VENV      venv with torch (default: bench/.venv)
#   REIN_TCH_TARGET_DIR  cargo target dir of the tch build (default: target/tch, kept apart so
#                        that the tch feature set never invalidates the default build)
#
# The wrapper puts <venv>/.../torch/lib on LD_LIBRARY_PATH (libtorch_cpu, libc10, libgomp; the
# cu128 wheel's libtorch_cuda finds its NVIDIA libraries through its own RPATH, and without a GPU
# or driver LibTorch simply runs on the CPU). When RAYON_NUM_THREADS is set and OMP_NUM_THREADS
# is not, the wrapper copies it to OMP_NUM_THREADS so that `--device tch` runs use the same
# thread count that rein-bench reports.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${REIN_BENCH_VENV:-$ROOT/bench/.venv}"
TARGET_DIR="${REIN_TCH_TARGET_DIR:-$ROOT/target/tch}"
WRAPPER="$ROOT/bench/.work/rein-bench-tch"
# tch 0.22 / torch-sys 0.22 are written against this libtorch (torch-sys build.rs TORCH_VERSION).
EXPECTED_TORCH="2.9.0"

log() { echo "build_tch: $*" >&2; }
die() { echo "build_tch: error: $*" >&2; exit 1; }

PY="$VENV/bin/python"
[ -x "$PY" ] || die "no python at $PY (create the benchmark venv first, or set REIN_BENCH_VENV)"
info="$("$PY" -c 'import os, torch; print(torch.__version__); print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>&1)" \
    || die "torch cannot be imported by $PY: $info"
torch_version="$(sed -n 1p <<<"$info")"
torch_lib="$(sed -n 2p <<<"$info")"
[ "${torch_version%%+*}" = "$EXPECTED_TORCH" ] \
    || die "$PY has torch $torch_version; tch 0.22 needs torch $EXPECTED_TORCH (pip install torch==$EXPECTED_TORCH)"
[ -f "$torch_lib/libtorch_cpu.so" ] || die "no libtorch_cpu.so in $torch_lib"
command -v cargo >/dev/null || die "cargo is not on PATH"

log "torch $torch_version from $torch_lib; target dir $TARGET_DIR"
# torch-sys asks `python` (first on PATH) where libtorch is when LIBTORCH_USE_PYTORCH is set.
(
    cd "$ROOT"
    PATH="$VENV/bin:$PATH" LIBTORCH_USE_PYTORCH=1 CARGO_TARGET_DIR="$TARGET_DIR" \
        cargo build --release -p rein-bench --features tch 1>&2
) || die "cargo build --release -p rein-bench --features tch failed (log above)"

BIN="$TARGET_DIR/release/rein-bench"
[ -x "$BIN" ] || die "the build finished but $BIN does not exist"

mkdir -p "$(dirname "$WRAPPER")"
wrapper_text="#!/bin/sh
# Written by bench/build_tch.sh: rein-bench built with --features tch, run against the libtorch
# of $VENV (torch $torch_version).
if [ -n \"\${RAYON_NUM_THREADS:-}\" ] && [ -z \"\${OMP_NUM_THREADS:-}\" ]; then
    export OMP_NUM_THREADS=\"\$RAYON_NUM_THREADS\"
fi
export LD_LIBRARY_PATH=\"$torch_lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}\"
exec \"$BIN\" \"\$@\"
"
if [ ! -f "$WRAPPER" ] || [ "$(cat "$WRAPPER")" != "${wrapper_text%$'\n'}" ]; then
    printf '%s' "$wrapper_text" >"$WRAPPER.tmp"
    chmod +x "$WRAPPER.tmp"
    mv "$WRAPPER.tmp" "$WRAPPER"
    log "wrote $WRAPPER"
fi

# Smoke check: the binary loads libtorch and opens the device.
out="$("$WRAPPER" info --device tch 2>&1)" \
    || die "$WRAPPER info --device tch failed: $out"
grep -q '"device":"tch"' <<<"$out" || die "unexpected output of '$WRAPPER info --device tch': $out"
log "ok: $WRAPPER info --device tch"
echo "$WRAPPER"
