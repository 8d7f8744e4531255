#!/usr/bin/env python3
"""The cluster path's cost against one process (issue 7's acceptance), measured side by side in one run.

Runs, alternating, REPEATS times each, to files, with the same model, -n and --seed:
  one process --threads 1   vs   --workers 1 (1 thread)
  one process --threads 2   vs   --workers 2 (1 thread each)
and prints the median wall-clock rows/s of each and the ratios. The cluster runs include everything a user
waits for: starting the coordinator and the worker processes, uploading and loading the model, and the manifest.

usage: scripts/bench-cluster-overhead.py MIMEO MODEL [--rows N] [--repeats K] [--json out.json]
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time


def run(argv):
    started = time.monotonic()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mimeo")
    parser.add_argument("model")
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json")
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="mimeo-overhead-")
    n = str(args.rows)
    configurations = {
        "process-threads-1": lambda out: [args.mimeo, "generate", args.model, "-n", n, "--seed", str(args.seed),
                                          "--threads", "1", "--quiet", "-o", out + ".csv"],
        "cluster-workers-1": lambda out: [args.mimeo, "generate", args.model, "-n", n, "--seed", str(args.seed),
                                          "--workers", "1", "--threads", "1", "--quiet", "-o", out],
        "process-threads-2": lambda out: [args.mimeo, "generate", args.model, "-n", n, "--seed", str(args.seed),
                                          "--threads", "2", "--quiet", "-o", out + ".csv"],
        "cluster-workers-2": lambda out: [args.mimeo, "generate", args.model, "-n", n, "--seed", str(args.seed),
                                          "--workers", "2", "--threads", "1", "--quiet", "-o", out],
    }
    seconds = {name: [] for name in configurations}
    try:
        for repeat in range(args.repeats):
            for name, argv in configurations.items():
                out = os.path.join(scratch, f"{name}-{repeat}")
                seconds[name].append(run(argv(out)))
                shutil.rmtree(out, ignore_errors=True)
                if os.path.exists(out + ".csv"):
                    os.remove(out + ".csv")
                print(f"{name} run {repeat + 1}: {seconds[name][-1]:.2f} s", file=sys.stderr)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    rate = {name: args.rows / statistics.median(values) for name, values in seconds.items()}
    result = {
        "rows": args.rows, "repeats": args.repeats, "seconds": seconds,
        "median_rows_per_second": rate,
        "workers_1_vs_threads_1": rate["cluster-workers-1"] / rate["process-threads-1"],
        "workers_2_vs_threads_2": rate["cluster-workers-2"] / rate["process-threads-2"],
        "cpu": next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?"),
        "cores": os.cpu_count(),
    }
    for name, value in rate.items():
        print(f"{name:20s} {value:12,.0f} rows/s  (median of {args.repeats})")
    print(f"1 worker  / --threads 1: {result['workers_1_vs_threads_1']:.3f}  (bar: >= 0.95)")
    print(f"2 workers / --threads 2: {result['workers_2_vs_threads_2']:.3f}  (bar: >= 0.95)")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(result, handle, indent=2)


if __name__ == "__main__":
    main()
