#!/usr/bin/env python3
"""Build a wide benchmark table from real columns (Python 3 standard library only).

Every output column is a noisy copy of a real column of adult, bank_marketing or flights (from
../shared/datasets): copy c of a dataset takes its own random 20,000 rows of that dataset, so the columns
of one copy keep their joint distribution, and the copies are independent of each other. Noise: numbers
with more than 20 distinct values are jittered (x * (1 + N(0, 0.02)), rounded back to integers in integer
columns); other values (categories, dates, small integer codes) are swapped for another value of the same
column with probability 0.03. Missing values stay missing. The output is the same for the same seed.

    python3 scripts/make-wide-table.py OUT.csv [--columns 500] [--rows 20000] [--seed 0] [--datasets DIR]
"""
import argparse
import csv
import gzip
import os
import random
import sys

SOURCES = [
    ("adult", "adult/adult-train.csv"),
    ("bank", "bank_marketing/bank_marketing-train.csv"),
    ("flights", "flights/flights-train.csv.gz"),
]
SWAP_PROBABILITY = 0.03
JITTER = 0.02
MAX_SOURCE_ROWS = 100_000


def read_table(path, limit):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = []
        for row in reader:
            if len(row) != len(header):
                continue
            rows.append(row)
            if len(rows) >= limit:
                break
    return header, rows


def parse_number(text):
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


class Column:
    """One source column: its values and how to add noise to them."""

    def __init__(self, dataset, name, values):
        self.dataset = dataset
        self.name = name
        present = [v for v in values if v != ""]
        numbers = [parse_number(v) for v in present]
        distinct = sorted(set(present))
        self.numeric = bool(present) and all(n is not None for n in numbers) and len(distinct) > 20
        self.integer = self.numeric and all(float(n).is_integer() and "." not in v for n, v in zip(numbers, present))
        self.choices = distinct

    def noisy(self, value, rng):
        if value == "":
            return value
        if self.numeric:
            jittered = float(value) * (1 + rng.gauss(0, JITTER))
            return str(int(round(jittered))) if self.integer else "%.6g" % jittered
        if len(self.choices) > 1 and rng.random() < SWAP_PROBABILITY:
            return rng.choice(self.choices)
        return value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="where to write the CSV")
    parser.add_argument("--columns", type=int, default=500)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    default_datasets = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "datasets")
    parser.add_argument("--datasets", default=default_datasets, help="the shared datasets folder")
    args = parser.parse_args()
    if args.columns < 1 or args.rows < 1:
        parser.error("--columns and --rows must be at least 1")

    rng = random.Random(args.seed)
    tables = []
    for dataset, relative in SOURCES:
        path = os.path.join(args.datasets, relative)
        if not os.path.exists(path):
            sys.exit("error: %s not found (pass --datasets)" % path)
        header, rows = read_table(path, MAX_SOURCE_ROWS)
        if len(rows) < args.rows:
            sys.exit("error: %s has %d rows, fewer than --rows %d" % (path, len(rows), args.rows))
        columns = [Column(dataset, name, [row[i] for row in rows]) for i, name in enumerate(header)]
        tables.append((dataset, rows, columns))

    # Output column j is source column j mod (all source columns), copy j div (all source columns).
    pool = [(t, i) for t, (_, _, columns) in enumerate(tables) for i in range(len(columns))]
    plan = [(pool[j % len(pool)], j // len(pool)) for j in range(args.columns)]
    copies = {}
    for (t, _), copy in plan:
        if (t, copy) not in copies:
            copies[(t, copy)] = rng.sample(range(len(tables[t][1])), args.rows)
    header = ["%s_%s_%d" % (tables[t][0], tables[t][2][i].name, copy) for (t, i), copy in plan]

    temporary = "%s.tmp-%d" % (args.output, os.getpid())
    with open(temporary, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for r in range(args.rows):
            row = []
            for (t, i), copy in plan:
                _, rows, columns = tables[t]
                row.append(columns[i].noisy(rows[copies[(t, copy)][r]][i], rng))
            writer.writerow(row)
    os.replace(temporary, args.output)
    print("wrote %s: %d rows x %d columns (seed %d)" % (args.output, args.rows, args.columns, args.seed))


if __name__ == "__main__":
    main()
