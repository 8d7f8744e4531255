#!/usr/bin/env python3
"""Make rare-minority training tables from the shared adult and bank_marketing splits.

Keeps every majority row of the training split and a seeded random sample of the minority
rows, so that the minority class makes up --share of the result (default 0.03). The rows keep
their original order. The holdout files are not touched: evaluate on
../shared/datasets/<name>/<name>-holdout.csv.

Usage:
  python3 scripts/make-rare-minority.py OUT_DIR [--share 0.03] [--seed 1] [--datasets DIR]

Writes OUT_DIR/adult-rare.csv and OUT_DIR/bank_marketing-rare.csv (each written to a temporary
name in OUT_DIR, then renamed) and prints the counts. Standard library only.
"""
import argparse
import csv
import os
import random
import sys
import tempfile

# name -> (training file relative to the datasets folder, target column, minority value)
TABLES = {
    "adult": ("adult/adult-train.csv", "income", ">50K"),
    "bank_marketing": ("bank_marketing/bank_marketing-train.csv", "y", "yes"),
}


def minority_sample_size(majority: int, share: float) -> int:
    """Minority rows m with m / (majority + m) closest to share: m = share * majority / (1 - share)."""
    return round(share * majority / (1.0 - share))


def make_table(source: str, target: str, minority: str, share: float, seed: int, out_path: str):
    with open(source, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    if target not in header:
        sys.exit(f"error: {source} has no column {target!r} (columns: {', '.join(header)})")
    t = header.index(target)
    minority_idx = [i for i, r in enumerate(rows) if r[t] == minority]
    majority = len(rows) - len(minority_idx)
    if not minority_idx:
        sys.exit(f"error: {source} has no row with {target}={minority!r}")
    m = minority_sample_size(majority, share)
    if m > len(minority_idx):
        sys.exit(f"error: share {share} needs {m} minority rows but {source} has only {len(minority_idx)}")
    keep = set(random.Random(seed).sample(minority_idx, m))
    out_dir = os.path.dirname(os.path.abspath(out_path))
    fd, tmp = tempfile.mkstemp(prefix=".rare-", suffix=".csv.tmp", dir=out_dir)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            for i, r in enumerate(rows):
                if r[t] != minority or i in keep:
                    w.writerow(r)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out_path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return majority, len(minority_idx), m


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_datasets = os.environ.get("MIMEO_DATASETS", os.path.join(here, "..", "..", "shared", "datasets"))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out_dir", help="folder to write <name>-rare.csv into (created if missing)")
    p.add_argument("--share", type=float, default=0.03, help="minority share of the result (0 < share < 0.5; default 0.03)")
    p.add_argument("--seed", type=int, default=1, help="seed of the minority sample (default 1)")
    p.add_argument("--datasets", default=default_datasets, help="the shared datasets folder (default ../shared/datasets or $MIMEO_DATASETS)")
    p.add_argument("--tables", default=",".join(TABLES), help="comma-separated subset of: " + ", ".join(TABLES))
    a = p.parse_args()
    if not (0.0 < a.share < 0.5):
        sys.exit(f"error: --share must be above 0 and below 0.5, got {a.share}")
    names = [n.strip() for n in a.tables.split(",") if n.strip()]
    for n in names:
        if n not in TABLES:
            sys.exit(f"error: unknown table {n!r} (known: {', '.join(TABLES)})")
    os.makedirs(a.out_dir, exist_ok=True)
    for n in names:
        rel, target, minority = TABLES[n]
        src = os.path.join(a.datasets, rel)
        if not os.path.exists(src):
            sys.exit(f"error: {src} not found (set --datasets or $MIMEO_DATASETS)")
        out = os.path.join(a.out_dir, f"{n}-rare.csv")
        majority, had, kept = make_table(src, target, minority, a.share, a.seed, out)
        print(f"{n}: {majority} majority rows kept, {kept} of {had} {target}={minority} rows sampled "
              f"(share {kept / (majority + kept):.4f}) -> {out}")


if __name__ == "__main__":
    main()
