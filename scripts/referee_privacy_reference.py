#!/usr/bin/env python3
"""Reference values for MimeoEval's privacy metrics, from the referee (../shared/tools/referee).

Writes Tests/MimeoEvalTests/Fixtures/privacy/<dataset>-<tier>.json: the referee's `privacy` and
`utility` (LightGBM TSTR / TRTR) sections for a few synthetic tables built deterministically from the
real split:

  perturbed   the train rows with about 10% of cells replaced (a leak: high fidelity, bad privacy)
  holdout     the holdout itself as the synthetic table
  reference   the referee's --reference run (half the holdout as synthetic, half as holdout)

The perturbation is `perturb()` below; Tests/MimeoEvalTests/Privacy/PrivacyRefereeTests.swift
repeats it on the cell text (SplitMix64 twin), so the Swift tests score the same tables.

  python3 scripts/referee_privacy_reference.py                       # all datasets, sample tier
  python3 scripts/referee_privacy_reference.py --datasets adult --tiers sample,full
  python3 scripts/referee_privacy_reference.py --logistic            # only the numpy logistic fixture

`--logistic` writes Tests/MimeoEvalTests/Fixtures/privacy/logistic-reference.json: a small
deterministic data set and the exact L2 logistic-regression solution (numpy Newton iterations to
convergence; intercept not penalised), for Tests/MimeoEvalTests/Utility/LogisticRegressionTests.swift.

Tiers: `sample` uses the committed Tests/MimeoEvalTests/Fixtures/<dataset>-{train,holdout}-sample.csv.gz
(every k-th row of the shared files); `full` uses ../shared/datasets/<dataset>/ (or $MIMEO_DATASETS).
Each referee run takes about 10-40 s. Nothing here runs at build or test time.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "MimeoEvalTests", "Fixtures")
OUT = os.path.join(FIXTURES, "privacy")
DATASETS = os.environ.get("MIMEO_DATASETS") or os.path.join(os.path.dirname(ROOT), "shared", "datasets")
REFEREE = os.environ.get("MIMEO_REFEREE") or os.path.join(os.path.dirname(ROOT), "shared", "tools", "referee")
TARGETS = {"adult": "income", "bank_marketing": "y", "flights": "arr_delay"}
# Sample tier: keep every k-th row of the committed samples (flights' 5,614-row samples with 340
# features made the debug-build tests too slow; every 3rd row keeps its datetimes, missing numbers and
# tied 200-level cut).
SAMPLE_EVERY = {"flights": 3}
MASK = (1 << 64) - 1
PERTURB_SEED = 7
PERTURB_EVERY = 10  # a cell is replaced when draw % 10 == 0: about 10% of cells


class SplitMix64:
    """SplitMix64 (Steele, Lea & Flood); the Swift test has the twin."""

    def __init__(self, seed: int):
        self.state = seed & MASK

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)


def read_rows(path: str) -> tuple[list[str], list[list[str]]]:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def perturb(rows: list[list[str]], seed: int = PERTURB_SEED, every: int = PERTURB_EVERY) -> list[list[str]]:
    """Row by row, column by column: one draw; when draw % every == 0 the cell takes the value of
    the same column in row (next draw % rows) of the original table."""
    rng = SplitMix64(seed)
    n = len(rows)
    out = [list(r) for r in rows]
    for r in range(n):
        for c in range(len(rows[r])):
            if rng.next() % every == 0:
                out[r][c] = rows[rng.next() % n][c]
    return out


def write_csv(path: str, header: list[str], rows: list[list[str]]):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def referee(train: str, holdout: str, synthetic: str | None, target: str, reference: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        cmd = [REFEREE, "--train", train, "--holdout", holdout, "--target", target, "--out", out,
               "--skip", "quality,structure"]
        cmd += ["--reference"] if reference else ["--synthetic", synthetic]
        print(" ".join(cmd), file=sys.stderr, flush=True)
        subprocess.run(cmd, check=True, stdout=sys.stderr)
        with open(out) as f:
            res = json.load(f)
    return {"rows": res["rows"], "column_types": res["column_types"], "privacy": res["privacy"],
            "utility": res["utility"], "seconds": {k: res["timings_s"].get(k) for k in ("privacy", "utility")}}


def files(dataset: str, tier: str) -> tuple[str, str, str, str]:
    """(train path, holdout path, train as the tests name it, holdout as the tests name it)."""
    if tier == "sample":
        t, h = f"{dataset}-train-sample.csv.gz", f"{dataset}-holdout-sample.csv.gz"
        return os.path.join(FIXTURES, t), os.path.join(FIXTURES, h), t, h
    d = os.path.join(DATASETS, dataset)
    names = sorted(os.listdir(d))
    t = next(n for n in names if n.startswith(f"{dataset}-train.csv"))
    h = next(n for n in names if n.startswith(f"{dataset}-holdout.csv"))
    return os.path.join(d, t), os.path.join(d, h), f"{dataset}/{t}", f"{dataset}/{h}"


def fixture(dataset: str, tier: str) -> dict:
    train, holdout, train_name, holdout_name = files(dataset, tier)
    target = TARGETS[dataset]
    every = SAMPLE_EVERY.get(dataset, 1) if tier == "sample" else 1
    header, rows = read_rows(train)
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        if every > 1:  # every k-th row (0, k, 2k, ...) of both tables
            rows = rows[::every]
            train = os.path.join(tmp, "train.csv")
            write_csv(train, header, rows)
            hheader, hrows = read_rows(holdout)
            holdout = os.path.join(tmp, "holdout.csv")
            write_csv(holdout, hheader, hrows[::every])
        syn = os.path.join(tmp, "perturbed.csv")
        write_csv(syn, header, perturb(rows))
        cases.append({"name": "perturbed", "synthetic": "perturbed-train",
                      "perturb_seed": PERTURB_SEED, "perturb_every": PERTURB_EVERY,
                      **referee(train, holdout, syn, target, False)})
        cases.append({"name": "holdout", "synthetic": "holdout", **referee(train, holdout, holdout, target, False)})
        cases.append({"name": "reference", "synthetic": "reference", **referee(train, holdout, None, target, True)})
    return {"dataset": dataset, "tier": tier, "target": target, "train": train_name, "holdout": holdout_name,
            "every": every, "referee_seed": 0, "cases": cases}


def logistic_fixture() -> dict:
    """X (60 x 4, mixed scales, one binary column), y from a noisy logistic model, and the minimiser of
    sum(log(1 + e^z) - y z) + lam/2 |w|^2 (z = X w + b) for a few lam, by Newton's method."""
    import numpy as np

    rng = SplitMix64(2024)
    u = lambda: (rng.next() >> 11) * 2.0 ** -53
    n, p = 60, 4
    X = np.array([[u() * 4 - 2, u() * 10, 1.0 if u() < 0.3 else 0.0, u() - 0.5] for _ in range(n)])
    w_true = np.array([1.5, -0.3, 2.0, 0.7])
    y = np.array([1.0 if u() < 1 / (1 + np.exp(-(X[i] @ w_true - 0.2))) else 0.0 for i in range(n)])
    solutions = []
    for lam in (1.0, 0.1, 10.0):
        A = np.hstack([X, np.ones((n, 1))])
        theta = np.zeros(p + 1)
        reg = np.r_[np.full(p, lam), 0.0]
        for _ in range(100):
            z = A @ theta
            s = 1 / (1 + np.exp(-z))
            g = A.T @ (s - y) + reg * theta
            H = A.T @ (A * (s * (1 - s))[:, None]) + np.diag(reg)
            step = np.linalg.solve(H, g)
            theta -= step
            if np.max(np.abs(step)) < 1e-14:
                break
        solutions.append({"lambda": lam, "coefficients": theta[:p].tolist(), "intercept": float(theta[p])})
    return {"x": X.tolist(), "y": [bool(v) for v in y], "solutions": solutions,
            "generator": "SplitMix64(2024); see scripts/referee_privacy_reference.py logistic_fixture"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default="adult,bank_marketing,flights")
    ap.add_argument("--tiers", default="sample")
    ap.add_argument("--logistic", action="store_true", help="write only the logistic-regression fixture")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    if args.logistic:
        path = os.path.join(OUT, "logistic-reference.json")
        with open(path, "w") as f:
            json.dump(logistic_fixture(), f, indent=1)
            f.write("\n")
        print(f"wrote {path}", file=sys.stderr)
        return
    for dataset in args.datasets.split(","):
        for tier in args.tiers.split(","):
            fx = fixture(dataset, tier)
            path = os.path.join(OUT, f"{dataset}-{tier}.json")
            with open(path, "w") as f:
                json.dump(fx, f, indent=1, sort_keys=True)
                f.write("\n")
            print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
