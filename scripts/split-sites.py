#!/usr/bin/env python3
"""Split one CSV table into skewed site tables for federated-training tests.

Every value of the split column (default `relationship`) has a home site. A row goes to its
value's home site with probability --home (default 0.8) and otherwise to one of the other sites,
chosen uniformly. Draws come from SplitMix64 seeded with --seed and the row's index, so a split
is reproducible byte for byte and does not depend on Python's hash seed or random module.

Home sites are assigned greedily: values in descending row count go to the site that holds the
fewest rows so far (ties: lowest site index, then value text), so the sites stay comparable in
size while each sees a very different mix of the split column.

    python3 scripts/split-sites.py ../shared/datasets/adult/adult-train.csv --out-dir /tmp/sites
    # writes /tmp/sites/site-a.csv, site-b.csv, site-c.csv and prints a summary

Only the standard library is used. Outputs are written to a temporary name then renamed.
"""

import argparse
import csv
import os
import sys
import tempfile

MASK = (1 << 64) - 1


def splitmix64(x):
    """One SplitMix64 output for state x (Steele, Lea and Flood 2014)."""
    x = (x + 0x9E3779B97F4A7C15) & MASK
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def unit(seed, row, stream):
    """A uniform draw in [0, 1) for one row and one stream."""
    return splitmix64((seed * 0x100000001B3 + row * 4 + stream) & MASK) / float(1 << 64)


def site_names(count):
    if not 1 <= count <= 26:
        raise ValueError("--sites must be between 1 and 26, got %d" % count)
    return ["site-" + chr(ord("a") + i) for i in range(count)]


def assign_homes(counts, sites):
    """Maps each value to a site index, largest values first onto the emptiest site."""
    load = [0] * sites
    homes = {}
    for value, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        target = min(range(sites), key=lambda s: (load[s], s))
        homes[value] = target
        load[target] += n
    return homes


def write_atomic(path, header, rows):
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=".split-", suffix=".csv", dir=directory)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("table", help="input CSV with a header row")
    parser.add_argument("--out-dir", required=True, help="directory for site-a.csv, site-b.csv, ...")
    parser.add_argument("--column", default="relationship", help="column whose values pick the home site")
    parser.add_argument("--sites", type=int, default=3, help="number of sites (default 3)")
    parser.add_argument("--home", type=float, default=0.8, help="probability a row stays on its home site")
    parser.add_argument("--seed", type=int, default=8, help="SplitMix64 seed (default 8)")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N data rows (0: all)")
    args = parser.parse_args(argv)

    try:
        names = site_names(args.sites)
    except ValueError as error:
        parser.error(str(error))
    if not 0.0 <= args.home <= 1.0:
        parser.error("--home must be in [0, 1], got %r" % args.home)
    if args.limit < 0:
        parser.error("--limit must be >= 0")

    try:
        with open(args.table, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                parser.error("%s is empty" % args.table)
            rows = []
            for row in reader:
                if args.limit and len(rows) >= args.limit:
                    break
                if len(row) != len(header):
                    parser.error("%s line %d has %d fields, the header has %d"
                                 % (args.table, reader.line_num, len(row), len(header)))
                rows.append(row)
    except OSError as error:
        parser.error("cannot read %s: %s" % (args.table, error.strerror))
    if args.column not in header:
        parser.error("column %r not in header (%s)" % (args.column, ", ".join(header)))
    if not rows:
        parser.error("%s has no data rows" % args.table)

    column = header.index(args.column)
    counts = {}
    for row in rows:
        counts[row[column]] = counts.get(row[column], 0) + 1
    homes = assign_homes(counts, args.sites)

    parts = [[] for _ in names]
    for index, row in enumerate(rows):
        home = homes[row[column]]
        if args.sites == 1 or unit(args.seed, index, 0) < args.home:
            site = home
        else:
            other = int(unit(args.seed, index, 1) * (args.sites - 1))
            site = other if other < home else other + 1
        parts[site].append(row)

    os.makedirs(args.out_dir, exist_ok=True)
    for name, part in zip(names, parts):
        write_atomic(os.path.join(args.out_dir, name + ".csv"), header, part)

    print("split %d rows of %s by %s (home %.2f, seed %d)"
          % (len(rows), args.table, args.column, args.home, args.seed))
    for site, (name, part) in enumerate(zip(names, parts)):
        mix = {}
        for row in part:
            mix[row[column]] = mix.get(row[column], 0) + 1
        home_values = sorted(v for v, s in homes.items() if s == site)
        print("  %s: %d rows, home values %s, mix %s"
              % (name, len(part), home_values,
                 ", ".join("%s=%d" % kv for kv in sorted(mix.items(), key=lambda kv: -kv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
