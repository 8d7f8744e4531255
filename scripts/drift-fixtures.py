#!/usr/bin/env python3
"""Reference values for `mimeo drift` from Evidently (PyPI `evidently`, pinned in the Makefile).

Makes small reference/current tables from ../shared/datasets (adult, flights) in both of
Evidently's regimes (reference <= 1000 values: KS, chi-square, Z-test; larger: Wasserstein,
Jensen-Shannon), runs Evidently's DataDriftTable on each pair with Evidently's defaults, and PSI per
column, and writes the tables (gzip CSV) and one JSON of the results into the fixture folder.
The Swift test (Tests/MimeoEvalTests/DriftDetectorFixtureTests.swift) reads them; it needs no Python.

    make drift-fixtures        # installs evidently into .build/venv-evidently, then runs this

Columns are passed to Evidently with an explicit ColumnMapping (numerical or categorical, as
Mimeo's schema has them); number columns as float64. Missing values are the cells Mimeo reads as
missing (Schema.defaultMissingValues).
"""
import argparse
import gzip
import io
import json
import math
import os

import numpy as np
import pandas as pd
import evidently
from evidently.legacy.calculations.stattests import get_stattest
from evidently.legacy.core import ColumnType
from evidently.legacy.metrics import DataDriftTable
from evidently.legacy.pipeline.column_mapping import ColumnMapping
from evidently.legacy.report import Report

MISSING = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "?"]

ADULT_NUMBERS = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
ADULT_CATEGORIES = ["workclass", "education", "marital-status", "occupation", "relationship", "race", "sex",
                    "native-country", "income"]
FLIGHTS_NUMBERS = ["year", "month", "day", "dep_time", "sched_dep_time", "dep_delay", "arr_time", "sched_arr_time",
                   "arr_delay", "air_time", "distance", "hour", "minute"]
FLIGHTS_CATEGORIES = ["carrier", "tailnum", "origin", "dest"]


def read(path, numbers, categories):
    frame = pd.read_csv(path, keep_default_na=False, na_values=MISSING, dtype={c: str for c in categories})
    frame = frame[numbers + categories]
    for c in numbers:
        frame[c] = frame[c].astype("float64")
    return frame


def cases(datasets):
    adult_train = read(os.path.join(datasets, "adult/adult-train.csv"), ADULT_NUMBERS, ADULT_CATEGORIES)
    adult_holdout = read(os.path.join(datasets, "adult/adult-holdout.csv"), ADULT_NUMBERS, ADULT_CATEGORIES)
    flights = read(os.path.join(datasets, "flights/flights.csv.gz"), FLIGHTS_NUMBERS, FLIGHTS_CATEGORIES)
    rng = np.random.RandomState(11)

    def pick(frame, n):
        return frame.iloc[np.sort(rng.choice(len(frame), n, replace=False))].reset_index(drop=True)

    winter = flights[flights["month"].isin([1, 2])]
    summer = flights[flights["month"].isin([7, 8])]
    january = flights[flights["month"] == 1]
    older = adult_holdout[adult_holdout["age"] >= 35]
    return [
        ("adult-small-shifted", ADULT_NUMBERS, ADULT_CATEGORIES, pick(adult_train, 600), pick(older, 400)),
        ("adult-small-same", ADULT_NUMBERS, ADULT_CATEGORIES, pick(adult_train, 600), pick(adult_holdout, 400)),
        ("adult-large-shifted", ADULT_NUMBERS, ADULT_CATEGORIES, pick(adult_train, 2000), pick(older, 1500)),
        ("flights-small-seasons", FLIGHTS_NUMBERS, FLIGHTS_CATEGORIES, pick(winter, 800), pick(summer, 500)),
        ("flights-large-seasons", FLIGHTS_NUMBERS, FLIGHTS_CATEGORIES, pick(winter, 2500), pick(summer, 2000)),
        ("flights-large-same", FLIGHTS_NUMBERS, FLIGHTS_CATEGORIES, pick(january, 1500), pick(january, 1200)),
    ]


def write_csv(frame, path):
    text = frame.to_csv(index=False, float_format="%.17g", na_rep="")
    with gzip.GzipFile(path, "wb", mtime=0) as out:
        out.write(text.encode())


def number(x):
    x = float(x)
    return None if math.isnan(x) else x


def concept_reference(numbers, categories, reference, current, target, bins=10, target_bins=5, max_levels=20):
    """Mimeo's concept check, written independently here from its documented rule (docs/lifecycle.md):
    per feature, the target's classes in each feature cell; chi-square test of homogeneity per cell
    (SciPy's chi2_contingency, no continuity correction) summed over cells when the reference has at
    most 1000 rows with a target, else the current-weighted mean Jensen-Shannon distance."""
    from bisect import bisect_left
    from scipy.spatial.distance import jensenshannon
    from scipy.stats import chi2, chi2_contingency

    def cutter(column, n_bins):
        values = reference[column]
        if column in numbers:
            counts = values.dropna().value_counts().sort_index()
            points, weights = list(counts.index), list(counts.values)
            total = sum(weights)
            edges, cumulative, step = [], 0, 1
            for v, c in zip(points, weights):
                cumulative += c
                while step < n_bins and cumulative * n_bins >= step * total:
                    if not edges or edges[-1] != v:
                        edges.append(v)
                    step += 1
            if edges and edges[-1] == points[-1]:
                edges.pop()
            width = len(edges) + 2
            return width, lambda x: len(edges) + 1 if pd.isna(x) else bisect_left(edges, x)
        counts = values.dropna().value_counts()
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:max_levels]
        levels = {value: i for i, (value, _) in enumerate(ranked)}
        return len(levels) + 2, lambda x: len(levels) + 1 if pd.isna(x) else levels.get(x, len(levels))

    target_width, target_index = cutter(target, target_bins)
    classes = target_width - 1
    small = reference[target].notna().sum() <= 1000
    features = []
    drifted = 0
    for column in numbers + categories:
        if column == target:
            continue
        width, index = cutter(column, bins)

        def table(frame):
            t = np.zeros((width, classes))
            for x, y in zip(frame[column], frame[target]):
                k = target_index(y)
                if k != target_width - 1:
                    t[index(x), k] += 1
            return t

        r, c = table(reference), table(current)
        statistic, freedom, weighted, weight = 0.0, 0, 0.0, 0.0
        for cell in range(width):
            if r[cell].sum() == 0 or c[cell].sum() == 0:
                continue
            weighted += c[cell].sum() * jensenshannon(r[cell], c[cell])
            weight += c[cell].sum()
            keep = (r[cell] + c[cell]) > 0
            if keep.sum() > 1:
                result = chi2_contingency(np.vstack([r[cell][keep], c[cell][keep]]), correction=False)
                statistic += result.statistic
                freedom += int(result.dof)
        if weight == 0:
            score, is_drifted = None, False
        elif small:
            score = float(chi2.sf(statistic, freedom)) if freedom > 0 else 1.0
            is_drifted = score < 0.05
        else:
            score = weighted / weight
            is_drifted = score >= 0.1
        drifted += is_drifted
        features.append({"column": column, "test": "chisquare" if small else "jensenshannon", "score": score,
                         "drifted": bool(is_drifted)})
    return {"target": target, "features": features, "drifted": bool(drifted / len(features) >= 0.5)}


def run_case(name, numbers, categories, reference, current, folder):
    write_csv(reference, os.path.join(folder, f"{name}-reference.csv.gz"))
    write_csv(current, os.path.join(folder, f"{name}-current.csv.gz"))
    # Read back what the Swift test reads, so both see the same values.
    reference = read(os.path.join(folder, f"{name}-reference.csv.gz"), numbers, categories)
    current = read(os.path.join(folder, f"{name}-current.csv.gz"), numbers, categories)
    mapping = ColumnMapping(target=None, prediction=None, numerical_features=numbers,
                            categorical_features=categories, datetime_features=[])
    report = Report(metrics=[DataDriftTable()])
    report.run(reference_data=reference, current_data=current, column_mapping=mapping)
    result = report.as_dict()["metrics"][0]["result"]
    columns = []
    for column in numbers + categories:
        kind = ColumnType.Numerical if column in numbers else ColumnType.Categorical
        r = reference[column].replace([np.inf, -np.inf], np.nan).dropna()
        c = current[column].replace([np.inf, -np.inf], np.nan).dropna()
        drift = result["drift_by_columns"][column]
        psi = get_stattest(r, c, kind, "psi")(r, c, kind, None)
        columns.append({
            "column": column,
            "type": "numerical" if column in numbers else "categorical",
            "reference_rows": int(len(r)),
            "current_rows": int(len(c)),
            "stattest": get_stattest(r, c, kind, None).name,
            "drift_score": number(drift["drift_score"]),
            "threshold": drift["stattest_threshold"],
            "drift_detected": bool(drift["drift_detected"]),
            "psi": number(psi.drift_score),
            "psi_detected": bool(psi.drifted),
        })
    target = "income" if name.startswith("adult") else "arr_delay"
    return {
        "concept": concept_reference(numbers, categories, reference, current, target),
        "name": name,
        "reference": f"{name}-reference.csv.gz",
        "current": f"{name}-current.csv.gz",
        "number_of_columns": result["number_of_columns"],
        "number_of_drifted_columns": result["number_of_drifted_columns"],
        "share_of_drifted_columns": result["share_of_drifted_columns"],
        "dataset_drift": bool(result["dataset_drift"]),
        "columns": columns,
    }


def ks_pvalues():
    """SciPy's two-sample KS p-values for statistics d = h / lcm(n1, n2): exact up to 10,000 values a
    side, `kstwo.sf(d, round(n1 n2 / (n1 + n2)))` above (which Mimeo approximates)."""
    from scipy.stats._stats_py import _attempt_exact_2kssamp
    from scipy.stats import kstwo
    out = []
    for n1, n2 in [(600, 400), (800, 800), (1000, 999), (37, 1000), (1000, 10000), (1000, 50000), (300, 200000)]:
        g = math.gcd(n1, n2)
        lcm = (n1 // g) * n2
        for h in sorted({1, lcm // 200, lcm // 60, lcm // 30, lcm // 20, lcm // 12, lcm // 8}):
            d = h / lcm
            exact = False
            if max(n1, n2) <= 10000:
                exact, _, p = _attempt_exact_2kssamp(n1, n2, g, d, "two-sided")
            if not exact:  # as ks_2samp: SciPy falls back to the asymptotic distribution
                m, n = sorted([float(n1), float(n2)], reverse=True)
                p = kstwo.sf(d, np.round(m * n / (m + n)))
            out.append({"n1": n1, "n2": n2, "d": d, "p": float(np.clip(p, 0, 1)), "exact": bool(exact)})
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default=os.path.join(here, "..", "..", "shared", "datasets"))
    parser.add_argument("--out", default=os.path.join(here, "..", "Tests", "MimeoEvalTests", "Fixtures", "drift"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    results = [run_case(*case, args.out) for case in cases(args.datasets)]
    document = {"evidently": evidently.__version__, "cases": results, "ks_pvalues": ks_pvalues()}
    with open(os.path.join(args.out, "evidently-drift.json"), "w") as out:
        json.dump(document, out, indent=1, sort_keys=True)
        out.write("\n")
    for case in results:
        drifted = [c["column"] for c in case["columns"] if c["drift_detected"]]
        print(f"{case['name']}: {case['number_of_drifted_columns']}/{case['number_of_columns']} columns drift "
              f"(dataset drift {case['dataset_drift']}): {', '.join(drifted)}")


if __name__ == "__main__":
    main()
