#!/usr/bin/env python3
"""Measure `mimeo augment` against raw training, SMOTE-NC and random oversampling.

For each rare-minority table (made by scripts/make-rare-minority.py from the shared adult and
bank_marketing training splits; the holdouts stay untouched):

1. train a Mimeo model on the rare-minority table (`mimeo train ... --seed 1`),
2. `mimeo augment` it to each --shares minority share,
3. train the same LightGBM classifier on: the raw table, the table with class weights
   (`class_weight="balanced"`, for context), the mimeo-augmented table, optionally
   (--unconditional-rows) the raw table plus as many minority rows taken from unconditional
   `mimeo generate` rows (a diagnostic of the conditional path), SMOTE-NC
   (imbalanced-learn `SMOTENC`) and `RandomOverSampler`, the last two to the same minority share,
4. score each on the untouched holdout: balanced accuracy, minority recall, minority F1 (both at
   the 0.5 probability threshold) and ROC AUC.

Prints a markdown table and writes every number to --json. Run it through
`make compare-augmentation` (which creates the venv with the pinned packages). Not part of
`make test`.

Preprocessing, the same for every method: a column is numeric when every non-empty value of the
raw training table parses as a number, else categorical. Missing categorical cells become the
category "(missing)" (SMOTE-NC accepts no missing value; the shared tables have no missing
numeric cell, and any would be filled with the raw table's median). The classifier sees
categorical columns as pandas categories with the vocabulary of the raw training table (a value
it lacks reads as missing), so LightGBM splits on them natively; no one-hot encoding. SMOTE-NC
one-hot encodes internally for its distances (imbalanced-learn's default).
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np
import pandas as pd

import imblearn
import lightgbm
import sklearn
from imblearn.over_sampling import SMOTENC, RandomOverSampler
from lightgbm import LGBMClassifier
from sklearn.metrics import balanced_accuracy_score, f1_score, recall_score, roc_auc_score

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# name -> (holdout path relative to the datasets folder, target, minority value)
TABLES = {
    "adult": ("adult/adult-holdout.csv", "income", ">50K"),
    "bank_marketing": ("bank_marketing/bank_marketing-holdout.csv", "y", "yes"),
}
MISSING = "(missing)"


def lgbm(seed, threads, class_weight=None):
    """The one classifier every method is scored with (fixed hyperparameters, no tuning)."""
    return LGBMClassifier(n_estimators=300, learning_rate=0.05, num_leaves=31, min_child_samples=20,
                          class_weight=class_weight, random_state=seed, deterministic=True,
                          force_row_wise=True, n_jobs=threads, verbose=-1)


def run(cmd, log):
    print("$ " + " ".join(cmd), file=sys.stderr, flush=True)
    t0 = time.time()
    with open(log, "w") as f:
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        sys.exit(f"error: command failed with status {r.returncode} (log: {log}):\n  " + " ".join(cmd))
    return time.time() - t0


def read_csv(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


class Schema:
    """Column kinds and categorical vocabularies, taken from the raw training table."""

    def __init__(self, raw: pd.DataFrame, target: str):
        self.target = target
        self.features = [c for c in raw.columns if c != target]
        self.numeric, self.categorical, self.vocab, self.median = [], [], {}, {}
        for c in self.features:
            values = raw[c].dropna()
            parsed = pd.to_numeric(values, errors="coerce")
            if len(values) and parsed.notna().all():
                self.numeric.append(c)
                self.median[c] = float(parsed.median())
            else:
                self.categorical.append(c)
                self.vocab[c] = sorted(raw[c].fillna(MISSING).unique())

    def clean(self, df: pd.DataFrame) -> pd.DataFrame:
        """Strings in, typed columns out: numbers as float (median for missing), categories as str."""
        out = pd.DataFrame(index=df.index)
        for c in self.features:
            if c in self.numeric:
                out[c] = pd.to_numeric(df[c], errors="coerce").fillna(self.median[c]).astype(float)
            else:
                out[c] = df[c].fillna(MISSING).astype(str)
        return out

    def for_model(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.copy()
        for c in self.categorical:
            known = X[c].where(X[c].isin(self.vocab[c]))  # a value the raw table lacks reads as missing
            X[c] = pd.Categorical(known, categories=self.vocab[c])
        return X


def metrics(y_true, proba, positive):
    pred = (proba >= 0.5).astype(int)
    return {
        "balanced_accuracy": float(balanced_accuracy_score(y_true, pred)),
        "minority_recall": float(recall_score(y_true, pred, pos_label=1)),
        "minority_f1": float(f1_score(y_true, pred, pos_label=1)),
        "roc_auc": float(roc_auc_score(y_true, proba)),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mimeo", default=os.environ.get("MIMEO", os.path.join(ROOT, ".build/release/mimeo")),
                   help="the mimeo binary (default .build/release/mimeo or $MIMEO)")
    p.add_argument("--datasets", default=os.environ.get("MIMEO_DATASETS", os.path.join(ROOT, "..", "shared", "datasets")))
    p.add_argument("--work", default=os.path.join(ROOT, ".build", "augment-compare"),
                   help="folder for the rare tables, models and augmented tables (default .build/augment-compare)")
    p.add_argument("--tables", default="adult,bank_marketing")
    p.add_argument("--rare-share", type=float, default=0.03, help="minority share of the rare tables (default 0.03)")
    p.add_argument("--shares", default="0.3", help="comma-separated target minority shares (default 0.3)")
    p.add_argument("--seeds", default="1", help="comma-separated seeds of augment/SMOTE-NC/oversampling and the classifier (default 1)")
    p.add_argument("--max-time", type=int, default=900, help="mimeo train --max-time in seconds (default 900)")
    p.add_argument("--train-threads", type=int, default=2, help="mimeo train --threads (default 2)")
    p.add_argument("--threads", type=int, default=2, help="threads for mimeo augment and LightGBM (default 2)")
    p.add_argument("--unconditional-rows", type=int, default=0,
                   help="also score 'mimeo filtered': this many unconditional `mimeo generate` rows, their minority rows "
                        "added to the raw table in place of augment's conditional ones (a diagnostic of the conditional "
                        "path; skipped where too few minority rows come out; default 0 = off)")
    p.add_argument("--retrain", action="store_true", help="train the mimeo models even if they exist in --work")
    p.add_argument("--json", default=os.path.join(ROOT, ".build", "augment-compare", "results.json"))
    a = p.parse_args()

    shares = [float(s) for s in a.shares.split(",") if s.strip()]
    seeds = [int(s) for s in a.seeds.split(",") if s.strip()]
    names = [n.strip() for n in a.tables.split(",") if n.strip()]
    for n in names:
        if n not in TABLES:
            sys.exit(f"error: unknown table {n!r} (known: {', '.join(TABLES)})")
    for s in shares:
        if not (0 < s <= 0.5):
            sys.exit(f"error: share {s} must be above 0 and at most 0.5")
    if not os.access(a.mimeo, os.X_OK):
        sys.exit(f"error: {a.mimeo} is not an executable mimeo binary (build it with `make build` or pass --mimeo)")

    rare_dir = os.path.join(a.work, f"rare-{a.rare_share}")
    model_dir = os.path.join(a.work, "models")
    aug_dir = os.path.join(a.work, "augmented")
    for d in (rare_dir, model_dir, aug_dir):
        os.makedirs(d, exist_ok=True)

    results = {
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpus": os.cpu_count(),
                    "python": platform.python_version()},
        "versions": {"lightgbm": lightgbm.__version__, "imbalanced-learn": imblearn.__version__,
                     "scikit-learn": sklearn.__version__, "pandas": pd.__version__, "numpy": np.__version__},
        "settings": {"rare_share": a.rare_share, "shares": shares, "seeds": seeds, "max_time": a.max_time,
                     "train_threads": a.train_threads, "mimeo": a.mimeo, "unconditional_rows": a.unconditional_rows},
        "tables": {},
    }
    rows = []
    for name in names:
        holdout_rel, target, minority = TABLES[name]
        rare = os.path.join(rare_dir, f"{name}-rare.csv")
        if not os.path.exists(rare):
            run([sys.executable, os.path.join(HERE, "make-rare-minority.py"), rare_dir, "--share", str(a.rare_share),
                 "--seed", "1", "--datasets", a.datasets, "--tables", name], os.path.join(rare_dir, f"{name}.log"))
        model = os.path.join(model_dir, f"{name}-rare.mimeo")
        train_seconds = None
        if a.retrain or not os.path.exists(model):
            train_seconds = run([a.mimeo, "train", rare, "-o", model, "--seed", "1", "--threads", str(a.train_threads),
                                 "--max-time", str(a.max_time)], model + ".train.log")

        raw = read_csv(rare)
        holdout = read_csv(os.path.join(a.datasets, holdout_rel))
        schema = Schema(raw, target)
        X_raw, y_raw = schema.clean(raw), (raw[target] == minority).astype(int).to_numpy()
        X_test, y_test = schema.for_model(schema.clean(holdout)), (holdout[target] == minority).astype(int).to_numpy()
        cat_idx = [schema.features.index(c) for c in schema.categorical]
        table = {"target": target, "minority": minority, "train_rows": len(raw), "train_minority": int(y_raw.sum()),
                 "holdout_rows": len(holdout), "holdout_minority": int(y_test.sum()),
                 "numeric": schema.numeric, "categorical": schema.categorical, "mimeo_train_seconds": train_seconds,
                 "runs": []}
        results["tables"][name] = table

        def score(method, share, seed, X, y, seconds, class_weight=None):
            clf = lgbm(seed, a.threads, class_weight)
            clf.fit(schema.for_model(X), y)
            m = metrics(y_test, clf.predict_proba(X_test)[:, 1], 1)
            r = {"table": name, "method": method, "share": share, "seed": seed, "rows": int(len(y)),
                 "minority_share": float(np.mean(y)), "resample_seconds": seconds, **m}
            table["runs"].append(r)
            rows.append(r)
            print(f"  {name:15s} {method:22s} share {share if share is not None else '-':>4} seed {seed}: "
                  f"bal.acc {m['balanced_accuracy']:.4f} recall {m['minority_recall']:.4f} "
                  f"F1 {m['minority_f1']:.4f} AUC {m['roc_auc']:.4f}", file=sys.stderr, flush=True)

        for seed in seeds:
            score("raw", None, seed, X_raw, y_raw, 0.0)
            score("raw + class weights", None, seed, X_raw, y_raw, 0.0, class_weight="balanced")
            for share in shares:
                ratio = share / (1.0 - share)  # minority / majority after resampling (binary target)
                out = os.path.join(aug_dir, f"{name}-s{share}-seed{seed}.csv")
                t = run([a.mimeo, "augment", rare, "--model", model, "--target", target, "--minority-share", str(share),
                         "-o", out, "--seed", str(seed), "--threads", str(a.threads)], out + ".log")
                aug = read_csv(out)
                if list(aug.columns) != list(raw.columns) and sorted(aug.columns) != sorted(raw.columns):
                    sys.exit(f"error: {out} has columns {list(aug.columns)}, expected those of {rare}")
                aug = aug[raw.columns]
                score("mimeo augment", share, seed, schema.clean(aug), (aug[target] == minority).astype(int).to_numpy(), t)

                if a.unconditional_rows > 0:
                    # the same number of synthetic minority rows, taken from unconditional rows instead of --where ones
                    need = len(aug) - len(raw)
                    uncond = os.path.join(aug_dir, f"{name}-unconditional-{a.unconditional_rows}-seed{seed}.csv")
                    t = 0.0
                    if not os.path.exists(uncond):
                        t = run([a.mimeo, "generate", model, "-n", str(a.unconditional_rows), "--seed", str(seed),
                                 "--threads", str(a.threads), "-o", uncond], uncond + ".log")
                    gen = read_csv(uncond)[raw.columns]
                    kept = gen[gen[target] == minority]
                    if len(kept) < need:
                        print(f"  {name}: 'mimeo filtered' skipped at share {share}: {len(kept)} minority rows in "
                              f"{a.unconditional_rows} unconditional rows, {need} needed", file=sys.stderr)
                    else:
                        filt = pd.concat([raw, kept.iloc[:need]], ignore_index=True)
                        score("mimeo filtered", share, seed, schema.clean(filt),
                              (filt[target] == minority).astype(int).to_numpy(), t)

                t0 = time.time()
                smote = SMOTENC(categorical_features=cat_idx, sampling_strategy=ratio, k_neighbors=5, random_state=seed)
                X_s, y_s = smote.fit_resample(X_raw, y_raw)
                score("SMOTE-NC", share, seed, X_s, np.asarray(y_s), time.time() - t0)

                t0 = time.time()
                ros = RandomOverSampler(sampling_strategy=ratio, random_state=seed)
                X_r, y_r = ros.fit_resample(X_raw, y_raw)
                score("random oversampling", share, seed, X_r, np.asarray(y_r), time.time() - t0)

    # the table: mean over seeds (and the spread when there are several)
    keys = ["balanced_accuracy", "minority_recall", "minority_f1", "roc_auc"]
    groups = {}
    for r in rows:
        groups.setdefault((r["table"], r["method"], r["share"]), []).append(r)
    summary = []
    lines = ["| table | method | minority share | training rows | balanced accuracy | minority recall | minority F1 | ROC AUC |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for (tname, method, share), rs in groups.items():
        means = {k: float(np.mean([r[k] for r in rs])) for k in keys}
        sds = {k: float(np.std([r[k] for r in rs], ddof=1)) if len(rs) > 1 else None for k in keys}
        summary.append({"table": tname, "method": method, "share": share, "seeds": [r["seed"] for r in rs],
                        "mean": means, "sd": sds, "rows": rs[0]["rows"], "minority_share": rs[0]["minority_share"]})
        cells = [f"{means[k]:.4f}" + (f" ± {sds[k]:.4f}" if sds[k] is not None else "") for k in keys]
        lines.append(f"| {tname} | {method} | {rs[0]['minority_share']:.3f} | {rs[0]['rows']:,} | " + " | ".join(cells) + " |")
    results["summary"] = summary
    print("\n".join(lines))
    if len(seeds) > 1:
        print(f"\n(mean ± standard deviation over seeds {', '.join(map(str, seeds))})")

    os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    tmp = a.json + ".tmp"
    with open(tmp, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    os.replace(tmp, a.json)
    print(f"\nwrote {a.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
