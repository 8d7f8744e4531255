#!/usr/bin/env python3
"""Reference fidelity scores from SDMetrics 0.32, for MimeoEval's tests (run by hand).

Mimeo's `FidelityEvaluator` re-implements SDMetrics' single-table QualityReport (Column Shapes,
Column Pair Trends, overall). This script computes the same report with SDMetrics itself, typed
exactly as the referee (`../shared/tools`) types columns, and writes JSON fixtures that
`Tests/MimeoEvalTests/FidelityEvaluatorFixtureTests.swift` compares against.

Run it with the referee's venv (created by `../shared/tools/referee` on its first run):

    ~/.cache/mimeo-referee/bin/python scripts/sdmetrics_reference.py fixtures
        # regenerates Tests/MimeoEvalTests/Fixtures/* from ../shared/datasets
    ~/.cache/mimeo-referee/bin/python scripts/sdmetrics_reference.py score \\
        --train T.csv --synthetic S.csv [--target COL] [--damage JSON] --out result.json
        # one ad-hoc comparison, same JSON shape (one case)

Fixtures (all deterministic; no random sampling anywhere):
  <dataset>-train-sample.csv.gz, <dataset>-holdout-sample.csv.gz
      every k-th data row of the shared train / holdout file (k in DATASETS), text copied as is,
      gzip with mtime 0. Committed, so the tests run without ../shared.
  <dataset>-sample.json   cases on the committed samples (always tested).
  <dataset>-full.json     cases on the full shared files (flights: every 6th train row and every
                          2nd holdout row, so that both sides stay <= 50,000 rows). Tested only when
                          ../shared/datasets exists and MIMEO_EVAL_FULL=1.

Each case scores `real` (the train rows) against a `synthetic` table: the holdout rows, or the
holdout rows with one deterministic damage applied to the cell text (the Swift tests apply the
same damage; see `apply_damage`):
  shuffle   every column permuted independently: column j uses a SplitMix64 stream seeded with
            seed + j and a Fisher-Yates pass (i = n-1 down to 1, swap i with next() % (i + 1)).
  swap      two categories of one column exchange their labels.
  scale     an integer column becomes `factor * x + offset` (widens the range past the real one).
  missing   every `every`-th row (row % every == 0) of one column becomes empty.

Tables never exceed 50,000 rows, so SDMetrics' ContingencySimilarity never subsamples (its
random subsampling would make the reference irreproducible).
"""
from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import math
import os
import sys
import tempfile
import warnings

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TOOLS = os.environ.get("MIMEO_REFEREE_TOOLS", os.path.join(REPO, "..", "shared", "tools"))
DATASETS_DIR = os.environ.get("MIMEO_DATASETS", os.path.join(REPO, "..", "shared", "datasets"))
FIXTURES = os.path.join(REPO, "Tests", "MimeoEvalTests", "Fixtures")
sys.path.insert(0, TOOLS)

warnings.filterwarnings("ignore")
MASK64 = (1 << 64) - 1
MAX_ROWS = 50_000  # SDMetrics' num_rows_subsample: stay at or below it

# Which rows, which target, which damages. `sample` = (train every, holdout every) for the committed
# samples; `full` = the same for the full-size cases.
DATASETS = {
    "adult": {
        "train": "adult/adult-train.csv", "holdout": "adult/adult-holdout.csv", "target": "income",
        "sample": (8, 4), "full": (1, 1),
        "damages": [
            {"kind": "shuffle", "seed": 1},
            {"kind": "swap", "column": "marital-status", "a": "Married-civ-spouse", "b": "Never-married"},
            {"kind": "scale", "column": "hours-per-week", "factor": 2, "offset": 0},
            {"kind": "missing", "column": "age", "every": 4},
        ],
    },
    "bank_marketing": {
        "train": "bank_marketing/bank_marketing-train.csv",
        "holdout": "bank_marketing/bank_marketing-holdout.csv", "target": "y",
        "sample": (8, 4), "full": (1, 1),
        "damages": [
            {"kind": "shuffle", "seed": 2},
            {"kind": "swap", "column": "poutcome", "a": "unknown", "b": "failure"},
            {"kind": "scale", "column": "age", "factor": 1, "offset": 30},
        ],
    },
    "flights": {
        "train": "flights/flights-train.csv.gz", "holdout": "flights/flights-holdout.csv.gz",
        "target": "arr_delay",
        "sample": (48, 12), "full": (6, 2),
        "damages": [
            {"kind": "shuffle", "seed": 3},
            {"kind": "swap", "column": "origin", "a": "EWR", "b": "JFK"},
            {"kind": "scale", "column": "distance", "factor": 3, "offset": -100},
            {"kind": "missing", "column": "carrier", "every": 5},
        ],
    },
}


# ---------------------------------------------------------------- text-level tables
def read_text_table(path: str, every: int = 1) -> tuple[list[str], list[list[str]]]:
    """Header and every `every`-th data row (rows 0, every, 2*every, ...) as cell text."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [r for i, r in enumerate(reader) if i % every == 0]
    return header, rows


def write_text_table(path: str, header: list[str], rows: list[list[str]]):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    data = buf.getvalue().encode("utf-8")
    if path.endswith(".gz"):
        with open(path, "wb") as f:
            f.write(gzip.compress(data, compresslevel=9, mtime=0))
    else:
        with open(path, "wb") as f:
            f.write(data)


class SplitMix64:
    """Steele, Lea & Flood's SplitMix64 (as in java.util.SplittableRandom); Swift twin in the tests."""

    def __init__(self, seed: int):
        self.state = seed & MASK64

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)


def apply_damage(header: list[str], rows: list[list[str]], damage: dict | None) -> list[list[str]]:
    """The damaged copy of `rows` (cell text). Mirrors `Damage.apply` in the Swift tests."""
    if not damage:
        return rows
    rows = [list(r) for r in rows]
    kind = damage["kind"]
    if kind == "shuffle":
        n = len(rows)
        for j in range(len(header)):
            col = [r[j] for r in rows]
            rng = SplitMix64(damage["seed"] + j)
            for i in range(n - 1, 0, -1):
                k = rng.next() % (i + 1)
                col[i], col[k] = col[k], col[i]
            for r, v in zip(rows, col):
                r[j] = v
    elif kind == "swap":
        j = header.index(damage["column"])
        a, b = damage["a"], damage["b"]
        for r in rows:
            r[j] = b if r[j] == a else a if r[j] == b else r[j]
    elif kind == "scale":
        j = header.index(damage["column"])
        for r in rows:
            if r[j] != "":
                r[j] = str(damage["factor"] * int(r[j]) + damage["offset"])
    elif kind == "missing":
        j = header.index(damage["column"])
        for i, r in enumerate(rows):
            if i % damage["every"] == 0:
                r[j] = ""
    else:
        raise ValueError(f"unknown damage {kind}")
    return rows


def damage_name(damage: dict | None) -> str:
    if not damage:
        return "holdout"
    extra = damage.get("column", damage.get("seed"))
    return f"{damage['kind']}-{extra}"


# ---------------------------------------------------------------- SDMetrics
def _num(v):
    """JSON number (full float64 precision) or None for NaN/None."""
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def score_tables(train_path: str, syn_path: str, target: str | None) -> dict:
    """SDMetrics 0.32 QualityReport of syn vs train, typed as the referee types columns."""
    from common import column_schema, normalise_pair, read_csv
    from sdmetrics.reports.single_table import QualityReport

    train, syn = read_csv(train_path), read_csv(syn_path)
    if len(train) > MAX_ROWS or len(syn) > MAX_ROWS:
        raise SystemExit(f"tables must have <= {MAX_ROWS} rows (SDMetrics would subsample at random)")
    types, datetimes = column_schema(train, target)
    train, syn = normalise_pair(train, syn, types, datetimes)
    meta = {"columns": {c: {"sdtype": t} for c, t in types.items()}}
    for c, spec in datetimes.items():
        meta["columns"][c]["datetime_format"] = spec["datetime_format"]
    rep = QualityReport()
    rep.generate(train, syn, meta, verbose=False)
    props = rep.get_properties()
    props = dict(zip(props["Property"], props["Score"]))
    shapes = rep.get_details("Column Shapes")
    pairs = rep.get_details("Column Pair Trends")
    return {
        "real_rows": len(train),
        "synthetic_rows": len(syn),
        "overall": _num(rep.get_score()),
        "column_shapes": _num(props.get("Column Shapes")),
        "column_pair_trends": _num(props.get("Column Pair Trends")),
        "columns": [
            {"column": r["Column"], "metric": r["Metric"], "score": _num(r["Score"])}
            for _, r in shapes.iterrows()
        ],
        "pairs": [
            {
                "column_1": r["Column 1"], "column_2": r["Column 2"], "metric": r["Metric"],
                "score": _num(r["Score"]),
                "real_correlation": _num(r["Real Correlation"]),
                "synthetic_correlation": _num(r["Synthetic Correlation"]),
                "real_association": _num(r["Real Association"]),
                "meets_threshold": bool(r["Meets Threshold?"]) if not _isna(r["Meets Threshold?"]) else False,
                "error": (r["Error"] if "Error" in pairs.columns and isinstance(r["Error"], str) else None),
            }
            for _, r in pairs.iterrows()
        ],
    }, types, datetimes


def _isna(v) -> bool:
    import pandas as pd

    return bool(pd.isna(v))


def env_versions() -> dict:
    import numpy, pandas, scipy, sdmetrics

    return {"sdmetrics": sdmetrics.__version__, "pandas": pandas.__version__,
            "numpy": numpy.__version__, "scipy": scipy.__version__}


# ---------------------------------------------------------------- fixtures
def make_cases(name: str, spec: dict, tier: str, tmp: str) -> dict:
    every_train, every_holdout = spec[tier]
    if tier == "sample":
        train_src = os.path.join(FIXTURES, f"{name}-train-sample.csv.gz")
        holdout_src = os.path.join(FIXTURES, f"{name}-holdout-sample.csv.gz")
        h, rows = read_text_table(os.path.join(DATASETS_DIR, spec["train"]), every_train)
        write_text_table(train_src, h, rows)
        h, rows = read_text_table(os.path.join(DATASETS_DIR, spec["holdout"]), every_holdout)
        write_text_table(holdout_src, h, rows)
        real = {"file": os.path.basename(train_src), "every": 1}
        synthetic = {"file": os.path.basename(holdout_src), "every": 1}
        train_path, (header, holdout_rows) = train_src, read_text_table(holdout_src)
    else:
        train_path = os.path.join(tmp, f"{name}-train.csv")
        h, rows = read_text_table(os.path.join(DATASETS_DIR, spec["train"]), every_train)
        write_text_table(train_path, h, rows)
        header, holdout_rows = read_text_table(os.path.join(DATASETS_DIR, spec["holdout"]), every_holdout)
        real = {"file": spec["train"], "every": every_train}
        synthetic = {"file": spec["holdout"], "every": every_holdout}

    out = {"dataset": name, "tier": tier, "target": spec["target"], "real": real,
           "synthetic": synthetic, "versions": env_versions(), "cases": []}
    for damage in [None, *spec["damages"]]:
        syn_path = os.path.join(tmp, f"{name}-{tier}-{damage_name(damage)}.csv")
        write_text_table(syn_path, header, apply_damage(header, holdout_rows, damage))
        result, types, datetimes = score_tables(train_path, syn_path, spec["target"])
        out["columns"] = [
            {"name": c, "sdtype": t, **({"datetime_format": datetimes[c]["datetime_format"]}
                                        if c in datetimes else {})}
            for c, t in types.items()
        ]
        out["cases"].append({"name": damage_name(damage), "damage": damage, **result})
        print(f"{name} {tier} {damage_name(damage)}: overall {result['overall']:.6f} "
              f"shapes {result['column_shapes']:.6f} pairs {result['column_pair_trends']}",
              file=sys.stderr)
    return out


def _compact(record: dict) -> str:
    """One record on one line, without null fields."""
    return json.dumps({k: v for k, v in record.items() if v is not None}, separators=(",", ":"))


def write_json(path: str, obj: dict):
    """Indented JSON whose column and pair records take one line each (small, diffable)."""
    lines = ["{"]
    top = [(k, v) for k, v in obj.items() if k != "cases"]
    for k, v in top:
        if k == "columns":
            lines.append(f' "columns": [\n  ' + ",\n  ".join(_compact(c) for c in v) + "\n ],")
        else:
            lines.append(f" {json.dumps(k)}: {json.dumps(v)},")
    cases = []
    for case in obj["cases"]:
        head = {k: v for k, v in case.items() if k not in ("columns", "pairs")}
        body = [f'  {{{json.dumps(head, separators=(",", ":"))[1:-1]},']
        body.append('   "columns": [\n    ' + ",\n    ".join(_compact(c) for c in case["columns"]) + "\n   ],")
        body.append('   "pairs": [\n    ' + ",\n    ".join(_compact(p) for p in case["pairs"]) + "\n   ]}")
        cases.append("\n".join(body))
    lines.append(' "cases": [\n' + ",\n".join(cases) + "\n ]")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    json.loads(text)  # well-formed
    with open(path, "w") as f:
        f.write(text)


def cmd_fixtures(args):
    os.makedirs(FIXTURES, exist_ok=True)
    names = args.datasets or list(DATASETS)
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            for tier in args.tiers:
                obj = make_cases(name, DATASETS[name], tier, tmp)
                write_json(os.path.join(FIXTURES, f"{name}-{tier}.json"), obj)


def cmd_score(args):
    damage = json.loads(args.damage) if args.damage else None
    with tempfile.TemporaryDirectory() as tmp:
        header, rows = read_text_table(args.synthetic)
        syn_path = os.path.join(tmp, "synthetic.csv")
        write_text_table(syn_path, header, apply_damage(header, rows, damage))
        result, types, datetimes = score_tables(args.train, syn_path, args.target)
    obj = {"dataset": os.path.basename(args.train), "tier": "adhoc", "target": args.target,
           "real": {"file": args.train, "every": 1}, "synthetic": {"file": args.synthetic, "every": 1},
           "versions": env_versions(),
           "columns": [{"name": c, "sdtype": t, **({"datetime_format": datetimes[c]["datetime_format"]}
                                                   if c in datetimes else {})}
                       for c, t in types.items()],
           "cases": [{"name": damage_name(damage), "damage": damage, **result}]}
    write_json(args.out, obj)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fixtures", help="regenerate Tests/MimeoEvalTests/Fixtures")
    f.add_argument("--datasets", nargs="*", choices=list(DATASETS))
    f.add_argument("--tiers", nargs="*", default=["sample", "full"], choices=["sample", "full"])
    f.set_defaults(func=cmd_fixtures)
    s = sub.add_parser("score", help="score one synthetic CSV against a train CSV")
    s.add_argument("--train", required=True)
    s.add_argument("--synthetic", required=True)
    s.add_argument("--target")
    s.add_argument("--damage", help='JSON damage spec, e.g. {"kind": "shuffle", "seed": 1}')
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_score)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
