#!/usr/bin/env python3
"""pyarrow's read speed of a Parquet file, the reference for `mimeo benchmark`'s Parquet read figure
(docs/parquet.md). Run with the venv of `make parquet-venv`:

    .build/venv-parquet/bin/python scripts/parquet-read-bench.py FILE.parquet [--threads 1]

Prints MB/s (file bytes per second) and rows/s of `pyarrow.parquet.read_table`, best of 5 runs, and of
the same read converted to Python objects (`to_pylist`, closer to what Mimeo does: cells as text).
"""
import argparse
import os
import time

import pyarrow as pa
import pyarrow.parquet as pq


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    pa.set_cpu_count(args.threads)
    pa.set_io_thread_count(max(1, args.threads))
    size = os.path.getsize(args.path) / 1e6
    best = float("inf")
    rows = 0
    for _ in range(5):
        start = time.perf_counter()
        table = pq.read_table(args.path, use_threads=args.threads > 1)
        best = min(best, time.perf_counter() - start)
        rows = table.num_rows
    print(f"pyarrow read_table ({args.threads} thread): {size:.1f} MB ({rows} rows) in {best:.3f} s = "
          f"{size / best:.1f} MB/s, {rows / best:,.0f} rows/s")
    start = time.perf_counter()
    table = pq.read_table(args.path, use_threads=args.threads > 1)
    for column in table.columns:
        column.to_pylist()
    seconds = time.perf_counter() - start
    print(f"pyarrow read_table + to_pylist: {seconds:.3f} s = {size / seconds:.1f} MB/s, {rows / seconds:,.0f} rows/s")


if __name__ == "__main__":
    main()
