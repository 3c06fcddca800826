#!/usr/bin/env python3
"""Helpers of bench/run.sh: reads the workload files, and summarises the raw run reports into
bench/results/latest.json plus a table. Plain python3 (no numpy).

    summarise.py cases WORKLOAD.json [--quick]
        one tab-separated line per case to run:
        index, workload, variant, file-safe variant, reference script, steps, warmup, tch (0/1)
    summarise.py args WORKLOAD.json INDEX KEY
        the list KEY (rein_args, reference_args, problem_args) of case INDEX, NUL-separated
    summarise.py datasets [--quick] WORKLOAD.json...
        the fetched data sets the cases to run need (`--data NAME` in rein_args, other than
        the bundled digits), one per line as NAME<TAB>workload/variant,...
    summarise.py peak-rss FILE COMMAND...
        runs COMMAND (stdin/stdout/stderr inherited), writes its peak resident set size in KiB
        (wait4's ru_maxrss) to FILE and exits with its status; bench/run.sh uses it only when
        GNU time (/usr/bin/time) is missing. Its floor is this wrapper's own resident size
        (~10 MB: the kernel counts the forked interpreter's pages before the exec).
    summarise.py summarise --raw DIR --out FILE --threads T --reps K [--quick]
                           [--torch-version V] [--rustc-version V] [--rss-method M]
                           WORKLOAD.json...
        reads DIR/<workload>/<safe variant>/<side>-<rep>.json (side: rein, reference,
        rein-tch) and the peak RSS next to it (<side>-<rep>.rss, KiB), writes FILE (merged:
        workloads not in this run are kept) and prints a table.

The workload file format is documented in bench/README.md.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys

SIDES = ["rein", "reference", "rein-tch"]
REQUIRED = ["variant", "rein_args", "reference", "reference_args", "steps", "warmup"]


def fail(msg):
    print(f"summarise.py: {msg}", file=sys.stderr)
    sys.exit(2)


def safe(variant):
    return re.sub(r"[^A-Za-z0-9._=-]", "_", variant)


def load_workload(path):
    try:
        with open(path) as f:
            w = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        fail(f"{path}: {e}")
    if not isinstance(w.get("workload"), str) or not isinstance(w.get("cases"), list):
        fail(f"{path}: needs a string `workload` and a list `cases`")
    seen = set()
    for i, c in enumerate(w["cases"]):
        for key in REQUIRED:
            if key not in c:
                fail(f"{path}: case {i} has no `{key}`")
        for key in ("rein_args", "reference_args", "problem_args"):
            v = c.get(key, [])
            if not isinstance(v, list) or not all(isinstance(a, str) for a in v):
                fail(f"{path}: case {i} (`{c['variant']}`): `{key}` must be a list of strings")
        for key in ("steps", "warmup", "quick_steps", "quick_warmup"):
            if key in c and (not isinstance(c[key], int) or c[key] < 0):
                fail(f"{path}: case {i} (`{c['variant']}`): `{key}` must be a non-negative integer")
        if c["steps"] < 1:
            fail(f"{path}: case {i} (`{c['variant']}`): `steps` must be at least 1")
        if safe(c["variant"]) in seen:
            fail(f"{path}: variant `{c['variant']}` appears twice")
        seen.add(safe(c["variant"]))
    return w


def case_steps(c, quick):
    if quick:
        return c.get("quick_steps", c["steps"]), c.get("quick_warmup", c["warmup"])
    return c["steps"], c["warmup"]


def cmd_cases(args):
    w = load_workload(args.workload)
    for i, c in enumerate(w["cases"]):
        if args.quick and c.get("quick") is False:
            continue
        steps, warmup = case_steps(c, args.quick)
        tch = 0 if c.get("tch") is False else 1
        print("\t".join(map(str, [i, w["workload"], c["variant"], safe(c["variant"]), c["reference"], steps, warmup, tch])))


def cmd_datasets(args):
    needs = {}
    for path in args.workloads:
        w = load_workload(path)
        for c in w["cases"]:
            if args.quick and c.get("quick") is False:
                continue
            a = c.get("rein_args", [])
            for i, v in enumerate(a):
                name = v.split("=", 1)[1] if v.startswith("--data=") else (a[i + 1] if v == "--data" and i + 1 < len(a) else None)
                if name and name != "digits":
                    needs.setdefault(name, []).append(f"{w['workload']}/{c['variant']}")
    for name, users in sorted(needs.items()):
        print(f"{name}\t{','.join(users)}")


def cmd_peak_rss(args):
    if not args.command:
        fail("peak-rss needs a command")
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(args.command[0], args.command)
        except OSError as e:
            print(f"summarise.py peak-rss: cannot run {args.command[0]}: {e}", file=sys.stderr)
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    with open(args.file, "w") as f:
        f.write(f"{usage.ru_maxrss}\n")  # KiB on Linux
    sys.exit(os.waitstatus_to_exitcode(status) % 256 if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


def cmd_args(args):
    w = load_workload(args.workload)
    c = w["cases"][args.index]
    sys.stdout.write("".join(a + "\0" for a in c.get(args.key, [])))


# ---------------------------------------------------------------------------------------------
# Summarising


def read_report(path):
    """The last JSON object line of a run's stdout, or None."""
    try:
        with open(path) as f:
            lines = [l for l in f.read().splitlines() if l.strip().startswith("{")]
        return json.loads(lines[-1]) if lines else None
    except (OSError, json.JSONDecodeError):
        return None


def flatten_quality(q):
    """{key: float}: objective, constraints.NAME[i], multipliers.NAME[i], extra.NAME."""
    out = {}
    if q.get("objective") is not None:
        out["objective"] = float(q["objective"])
    for section in ("constraints", "multipliers"):
        for name, values in sorted((q.get(section) or {}).items()):
            for i, v in enumerate(values):
                out[f"{section}.{name}[{i}]"] = float(v)
    for name, v in sorted((q.get("extra") or {}).items()):
        out[f"extra.{name}"] = float(v)
    return out


def compare(qa, qb, tol):
    """Max abs / rel difference of the shared keys and pass/fail against
    |a - b| <= atol + rtol * max(|a|, |b|)."""
    a, b = flatten_quality(qa), flatten_quality(qb)
    shared = sorted(set(a) & set(b))
    rtol, atol = float(tol.get("rtol", 0.0)), float(tol.get("atol", 0.0))
    max_abs = max_rel = 0.0
    worst, failing = None, []
    for k in shared:
        x, y = a[k], b[k]
        if not (math.isfinite(x) and math.isfinite(y)):
            failing.append(k)
            continue
        d = abs(x - y)
        scale = max(abs(x), abs(y))
        rel = d / scale if scale > 0 else 0.0
        if d > max_abs:
            max_abs, worst = d, k
        max_rel = max(max_rel, rel)
        if d > atol + rtol * scale:
            failing.append(k)
    return {
        "compared": len(shared),
        "only_rein_side": sorted(set(a) - set(b)),
        "only_reference_side": sorted(set(b) - set(a)),
        "max_abs_diff": max_abs,
        "max_rel_diff": max_rel,
        "worst_key": worst,
        "failing_keys": failing[:20],
        "n_failing": len(failing),
        "pass": bool(shared) and not failing,
    }


def read_rss_kib(path):
    """Peak RSS in KiB from a .rss file (GNU time -f %M writes it last; a failed command's
    `Command exited with non-zero status N` line comes first), or None."""
    try:
        with open(path) as f:
            lines = [l.strip() for l in f if l.strip()]
        return int(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None


def side_summary(reports, errors, rss_kib):
    meds = [r["step_ns"]["median"] for r in reports]
    rss = [k * 1024 for k in rss_kib if k is not None]
    held = [r["held_bytes"] for r in reports if r.get("held_bytes")]
    # rein-bench's own VmHWM at the end of the timed steps (before its quality evaluation).
    steps_rss = [r["peak_rss_after_steps_bytes"] for r in reports if r.get("peak_rss_after_steps_bytes")]
    qualities = [json.dumps(flatten_quality(r["quality"]), sort_keys=True) for r in reports]
    return {
        "runs": len(reports),
        "failed_runs": errors,
        "per_rep_median_ns": meds,
        "median_of_medians_ns": statistics.median(meds) if meds else None,
        "min_median_ns": min(meds) if meds else None,
        "max_median_ns": max(meds) if meds else None,
        "device": reports[0]["device"] if reports else None,
        "threads": reports[0]["threads"] if reports else None,
        "steps": reports[0]["steps"] if reports else None,
        "warmup": reports[0]["warmup"] if reports else None,
        "flops_per_step": reports[0].get("flops_per_step") if reports else None,
        # Peak resident set size of the whole process of each successful run (bytes).
        "per_rep_peak_rss_bytes": rss,
        "median_peak_rss_bytes": statistics.median(rss) if rss else None,
        # Bytes of the arrays the run must hold (rein-bench reports them), and the breakdown.
        "held_bytes": held[0] if held else None,
        "held_bytes_parts": reports[0].get("held_bytes_parts") if reports else None,
        "rss_over_held": statistics.median(rss) / held[0] if rss and held else None,
        "median_peak_rss_after_steps_bytes": statistics.median(steps_rss) if steps_rss else None,
        "steps_rss_over_held": statistics.median(steps_rss) / held[0] if steps_rss and held else None,
        # flops_per_step / median step time (flop per ns = GFLOP/s), when the workload counts.
        "gflops": (reports[0]["flops_per_step"] / statistics.median(meds)
                   if reports and reports[0].get("flops_per_step") and meds else None),
        # Every repetition reached the same quality (bitwise, after JSON round trip).
        "quality_reproducible": len(set(qualities)) <= 1,
        "quality": reports[0]["quality"] if reports else None,
    }


def summarise_case(raw_dir, w, c):
    case_dir = os.path.join(raw_dir, w["workload"], safe(c["variant"]))
    sides = {}
    for side in SIDES:
        reports, errors, rss = [], [], []
        if os.path.isdir(case_dir):
            reps = sorted(
                (int(m.group(1)), f)
                for f in os.listdir(case_dir)
                if (m := re.fullmatch(re.escape(side) + r"-(\d+)\.json", f))
            )
            for rep, f in reps:
                r = read_report(os.path.join(case_dir, f))
                if r is not None:
                    rss.append(read_rss_kib(os.path.join(case_dir, f"{side}-{rep}.rss")))
                if r is None:
                    err = os.path.join(case_dir, f"{side}-{rep}.err")
                    tail = ""
                    if os.path.exists(err):
                        with open(err, errors="replace") as fh:
                            tail = " | ".join(fh.read().strip().splitlines()[-3:])
                    errors.append({"rep": rep, "error": tail or "no report on stdout"})
                else:
                    reports.append(r)
        if reports or errors:
            sides[side] = side_summary(reports, errors, rss)
    tol = c.get("quality_tolerance", {"rtol": 1e-6, "atol": 1e-9})
    same = bool(c.get("same_algorithm", False))
    out = {
        "variant": c["variant"],
        "same_algorithm": same,
        "quality_tolerance": tol,
        "notes": c.get("notes"),
        "sides": sides,
    }
    # Both sides must have run with the same thread count.
    threads = {side: v["threads"] for side, v in sides.items() if v.get("threads") is not None}
    out["threads_equal"] = len(set(threads.values())) <= 1
    ref = sides.get("reference", {}).get("median_of_medians_ns")
    for side in ("rein", "rein-tch"):
        s = sides.get(side, {})
        t = s.get("median_of_medians_ns")
        key = "" if side == "rein" else "_tch"
        if t and ref:
            out[f"ratio{key}_over_reference"] = t / ref
            out[f"speedup{key}_vs_reference"] = ref / t
        m, mref = s.get("median_peak_rss_bytes"), sides.get("reference", {}).get("median_peak_rss_bytes")
        if m and mref:
            out[f"rss{key}_over_reference"] = m / mref
        if s.get("quality") and sides.get("reference", {}).get("quality"):
            cmp = compare(s["quality"], sides["reference"]["quality"], tol)
            if not same:
                cmp["pass"] = None  # different algorithms: reported, not judged
            out[f"quality{key}_vs_reference"] = cmp
    if "scaling" in c:
        out["scaling"] = c["scaling"]
    return out


def scaling_summary(cases):
    """Per scaling group and side: t(largest n) / t(smallest n)."""
    groups = {}
    for c in cases:
        s = c.get("scaling")
        if not s:
            continue
        groups.setdefault(s["group"], []).append((s["n"], c))
    out = {}
    for g, members in sorted(groups.items()):
        members.sort(key=lambda m: m[0])
        (n_lo, lo), (n_hi, hi) = members[0], members[-1]
        entry = {"n_small": n_lo, "n_large": n_hi}
        for side in SIDES:
            a = lo["sides"].get(side, {}).get("median_of_medians_ns")
            b = hi["sides"].get(side, {}).get("median_of_medians_ns")
            if a and b:
                entry[f"{side}_ratio_large_over_small"] = b / a
        out[g] = entry
    return out


MODES = ("constrained", "unconstrained", "dense")


def mode_summary(cases):
    """Per variant prefix P with cases P-constrained / P-unconstrained / P-dense, and per side:
    t(constrained) / t(unconstrained) and t(unconstrained) / t(dense)."""
    by = {}
    for c in cases:
        for mode in MODES:
            if c["variant"].endswith("-" + mode):
                by.setdefault(c["variant"][: -len(mode) - 1], {})[mode] = c
    out = {}
    for prefix, modes in sorted(by.items()):
        entry = {}
        for side in SIDES:
            t = {m: modes[m]["sides"].get(side, {}).get("median_of_medians_ns") for m in modes}
            if t.get("constrained") and t.get("unconstrained"):
                entry[f"{side}_constrained_over_unconstrained"] = t["constrained"] / t["unconstrained"]
            if t.get("unconstrained") and t.get("dense"):
                entry[f"{side}_unconstrained_over_dense"] = t["unconstrained"] / t["dense"]
        if entry:
            out[prefix] = entry
    return out


def peak_gflops_per_core():
    """f32 peak of one core from /proc/cpuinfo: GHz x 2 FMA pipes x SIMD lanes (16 with
    avx512f, 8 with avx2/fma, else 4) x 2 flops per FMA. The 2 FMA pipes are an assumption
    (true for most server cores; some Xeons have one 512-bit FMA unit, which halves the
    avx512 figure); the clock is /proc/cpuinfo's `cpu MHz` (nominal on a VM, no turbo)."""
    mhz, flags = None, set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("cpu MHz") and mhz is None:
                    mhz = float(line.split(":", 1)[1])
                elif line.startswith("flags") and not flags:
                    flags = set(line.split(":", 1)[1].split())
    except (OSError, ValueError):
        return None, None
    if not mhz:
        return None, None
    lanes, isa = (16, "avx512f") if "avx512f" in flags else (8, "avx2+fma") if {"avx2", "fma"} <= flags else (4, "sse")
    peak = mhz / 1000 * 2 * lanes * 2
    return peak, f"{mhz / 1000:.3f} GHz x 2 FMA pipes (assumed) x {lanes} f32 lanes ({isa}) x 2 = {peak:.1f} GFLOP/s per core"


def machine_info(args):
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    def git(*a):
        try:
            return subprocess.run(["git", *a], capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None

    status = git("status", "--porcelain", "--untracked-files=no")
    peak, assumption = peak_gflops_per_core()
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {
        "peak_gflops_per_core": peak,
        "peak_assumption": assumption,
        "loadavg_at_summary": load,
        "rss_method": args.rss_method,
        "cpu_model": cpu or platform.processor() or None,
        "cores": os.cpu_count(),
        "threads": args.threads,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(status) if status is not None else None,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "torch": args.torch_version,
        "rustc": args.rustc_version,
    }


def fmt_us(ns):
    return f"{ns / 1e3:.1f}" if ns else "-"


def fmt_mb(b):
    return f"{b / 1e6:.1f}" if b else "-"


def print_resources(wl):
    """Peak RSS per side, rein / reference, held bytes and rein RSS / held; GFLOP/s per side
    with its share of the peak of the cores that side computes on."""
    peak = wl["machine"].get("peak_gflops_per_core")
    has_flops = any(v.get("gflops") for c in wl["cases"] for v in c["sides"].values())
    print()
    head = (f"{'variant':<28}{'RSS rein MB':>12}{'ref MB':>9}{'rein/ref':>9}{'held MB':>9}{'RSS/held':>9}"
            f"{'steps/held':>11}"
            + (f"{'GFLOP/s rein':>14}{'ref':>15}" if has_flops else ""))
    print(head)
    print("-" * len(head))
    for c in wl["cases"]:
        s = c["sides"]
        r, f = s.get("rein", {}), s.get("reference", {})
        ratio = c.get("rss_over_reference")
        over = r.get("rss_over_held")
        steps = r.get("steps_rss_over_held")
        line = (f"{c['variant']:<28}{fmt_mb(r.get('median_peak_rss_bytes')):>12}"
                f"{fmt_mb(f.get('median_peak_rss_bytes')):>9}{(f'{ratio:.2f}' if ratio else '-'):>9}"
                f"{fmt_mb(r.get('held_bytes')):>9}{(f'{over:.2f}' if over else '-'):>9}"
                f"{(f'{steps:.2f}' if steps else '-'):>11}")
        if has_flops:
            for side, width in ((r, 14), (f, 15)):
                g = side.get("gflops")
                pct = f" ({100 * g / (peak * (side.get('threads') or 1)):.0f}%)" if g and peak else ""
                line += f"{(f'{g:.1f}' + pct) if g else '-':>{width}}"
        print(line)
    if has_flops and peak:
        print(f"GFLOP/s (% of the peak of the side's threads: {wl['machine'].get('peak_assumption')})")
    print("RSS: peak resident memory of the whole process (median over reps); steps/held: rein's own"
          " peak at the end of the timed steps (before its quality evaluation) / held")
    print("goals: RSS rein/ref <= 0.25, rein RSS/held <= 1.5")
    if wl.get("modes"):
        print()
        print(f"{'step time ratios':<28}{'side':<12}{'constrained/unconstrained':>27}{'unconstrained/dense':>21}")
        for prefix, e in wl["modes"].items():
            for side in SIDES:
                a = e.get(f"{side}_constrained_over_unconstrained")
                b = e.get(f"{side}_unconstrained_over_dense")
                if a or b:
                    print(f"{prefix:<28}{side:<12}{(f'{a:.3f}' if a else '-'):>27}{(f'{b:.3f}' if b else '-'):>21}")


def print_table(name, wl):
    r = wl["run"]
    print()
    print(f"== {name}: median over {r['reps']} reps of per-run median step time (us); threads {r['threads']}"
          + (" (quick)" if r["quick"] else ""))
    head = f"{'variant':<28}{'rein':>10}{'reference':>11}{'rein/ref':>10}{'speedup':>9}{'rein-tch':>10}{'tch/ref':>9}  quality rein vs reference"
    print(head)
    print("-" * (len(head) + 10))
    for c in wl["cases"]:
        s = c["sides"]
        q = c.get("quality_vs_reference")
        if q is None:
            qs = "-"
        else:
            verdict = {True: "pass", False: "FAIL", None: "n/a (different algorithm)"}[q["pass"]]
            qs = f"max rel {q['max_rel_diff']:.1e} abs {q['max_abs_diff']:.1e} {verdict}"
        failed = sum(len(v.get("failed_runs", [])) for v in s.values())
        if failed:
            qs += f"  [{failed} failed runs]"
        ratio = c.get("ratio_over_reference")
        speed = c.get("speedup_vs_reference")
        tratio = c.get("ratio_tch_over_reference")
        print(
            f"{c['variant']:<28}{fmt_us(s.get('rein', {}).get('median_of_medians_ns')):>10}"
            f"{fmt_us(s.get('reference', {}).get('median_of_medians_ns')):>11}"
            f"{(f'{ratio:.3f}' if ratio else '-'):>10}{(f'{speed:.1f}x' if speed else '-'):>9}"
            f"{fmt_us(s.get('rein-tch', {}).get('median_of_medians_ns')):>10}"
            f"{(f'{tratio:.3f}' if tratio else '-'):>9}  {qs}"
        )
    print_resources(wl)
    if wl.get("scaling"):
        print()
        print(f"{'scaling group':<20}{'n':>18}{'rein t(large)/t(small)':>26}{'reference':>12}{'rein-tch':>10}")
        for g, e in wl["scaling"].items():
            fmt = lambda v: f"{v:.2f}" if v else "-"
            print(
                f"{g:<20}{str(e['n_small']) + '->' + str(e['n_large']):>18}"
                f"{fmt(e.get('rein_ratio_large_over_small')):>26}"
                f"{fmt(e.get('reference_ratio_large_over_small')):>12}"
                f"{fmt(e.get('rein-tch_ratio_large_over_small')):>10}"
            )


def cmd_summarise(args):
    machine = machine_info(args)
    results = {"format": "rein-bench-results-v1", "machine": machine, "workloads": {}}
    if os.path.exists(args.out):
        try:
            with open(args.out) as f:
                old = json.load(f)
            if old.get("format") == results["format"]:
                results["workloads"].update(old.get("workloads", {}))
        except (OSError, json.JSONDecodeError):
            pass
    all_pass = True
    for path in args.workloads:
        w = load_workload(path)
        cases = [
            summarise_case(args.raw, w, c)
            for c in w["cases"]
            if not (args.quick and c.get("quick") is False)
        ]
        wl = {
            "file": os.path.relpath(path),
            "description": w.get("description"),
            "run": {"quick": args.quick, "reps": args.reps, "threads": args.threads, "date": machine["date"],
                    "git_commit": machine["git_commit"]},
            "machine": machine,
            "cases": cases,
        }
        sc = scaling_summary(cases)
        if sc:
            wl["scaling"] = sc
        modes = mode_summary(cases)
        if modes:
            wl["modes"] = modes
        results["workloads"][w["workload"]] = wl
        print_table(w["workload"], wl)
        for c in cases:
            for key in ("quality_vs_reference", "quality_tch_vs_reference"):
                if c.get(key, {}).get("pass") is False:
                    all_pass = False
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    os.replace(tmp, args.out)
    print()
    print(f"written to {args.out}")
    if not all_pass:
        print("some quality comparisons FAILED (see failing_keys in the JSON)")


def main():
    p = argparse.ArgumentParser(description="bench/run.sh helpers")
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("cases")
    c.add_argument("workload")
    c.add_argument("--quick", action="store_true")
    a = sub.add_parser("args")
    a.add_argument("workload")
    a.add_argument("index", type=int)
    a.add_argument("key", choices=["rein_args", "reference_args", "problem_args"])
    s = sub.add_parser("summarise")
    s.add_argument("--raw", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--threads", type=int, required=True)
    s.add_argument("--reps", type=int, required=True)
    s.add_argument("--quick", action="store_true")
    s.add_argument("--torch-version")
    s.add_argument("--rustc-version")
    s.add_argument("--rss-method", default="gnu-time",
                   help="how the .rss files were measured (recorded in the results)")
    s.add_argument("workloads", nargs="+")
    d = sub.add_parser("datasets")
    d.add_argument("--quick", action="store_true")
    d.add_argument("workloads", nargs="+")
    r = sub.add_parser("peak-rss")
    r.add_argument("file")
    r.add_argument("command", nargs=argparse.REMAINDER)
    args = p.parse_args()
    {"cases": cmd_cases, "args": cmd_args, "summarise": cmd_summarise, "datasets": cmd_datasets,
     "peak-rss": cmd_peak_rss}[args.cmd](args)


if __name__ == "__main__":
    main()
