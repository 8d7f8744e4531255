#!/usr/bin/env bash
# Conditional fidelity (issue 11): are rows drawn with `generate --where col=value` as faithful to the
# real col=value rows as unconditional rows filtered to col=value?
#
# For each case (model, column, value): generate COND_ROWS rows with --where col=value, and (once per
# model) UNCOND_ROWS unconditional rows filtered to col=value; score both with the referee's SDMetrics
# quality report (quality only) against the real col=value rows of the model's training table. The
# conditional rows are also scored cut to as many rows as the filtered unconditional ones, so sample
# size is not what differs.
#
# Usage: scripts/conditional-fidelity.sh [WORK_DIR]      (default .build/conditional-fidelity)
# Environment: MIMEO (binary, default .build/release/mimeo), MIMEO_DATASETS (../shared/datasets),
#   REFEREE (../shared/tools/referee), MAX_TIME (mimeo train --max-time, default 900), THREADS (2),
#   COND_ROWS (20000), UNCOND_ROWS (60000), RARE_MODEL (optional: a model trained on
#   bank_marketing-rare.csv by scripts/compare-augmentation.py, to add its y=yes and job=student cases).
# Prints one markdown table (stdout) and writes WORK_DIR/results.tsv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
work="${1:-$root/.build/conditional-fidelity}"
mimeo="${MIMEO:-$root/.build/release/mimeo}"
datasets="${MIMEO_DATASETS:-$root/../shared/datasets}"
referee="${REFEREE:-$root/../shared/tools/referee}"
max_time="${MAX_TIME:-900}"
threads="${THREADS:-2}"
cond_rows="${COND_ROWS:-20000}"
uncond_rows="${UNCOND_ROWS:-60000}"
[ -x "$mimeo" ] || { echo "error: $mimeo is not executable (make build, or set MIMEO)" >&2; exit 2; }
[ -x "$referee" ] || { echo "error: referee not found at $referee (set REFEREE)" >&2; exit 2; }
[ -f "$datasets/adult/adult-train.csv" ] || { echo "error: $datasets/adult/adult-train.csv not found (set MIMEO_DATASETS)" >&2; exit 2; }
mkdir -p "$work"

# filter IN OUT COLUMN VALUE [LIMIT]: the rows of IN whose COLUMN equals VALUE (at most LIMIT), written to OUT via a temp file
filter() {
  python3 - "$@" <<'EOF'
import csv, os, sys
src, dst, col, val = sys.argv[1:5]
limit = int(sys.argv[5]) if len(sys.argv) > 5 else None
with open(src, newline="", encoding="utf-8") as f, open(dst + ".tmp", "w", newline="", encoding="utf-8") as g:
    r, w = csv.reader(f), csv.writer(g, lineterminator="\n")
    header = next(r)
    if col not in header:
        sys.exit(f"error: {src} has no column {col!r}")
    i, n = header.index(col), 0
    w.writerow(header)
    for row in r:
        if row[i] == val and (limit is None or n < limit):
            w.writerow(row)
            n += 1
os.replace(dst + ".tmp", dst)
print(n)
EOF
}

# quality SYNTHETIC REAL TARGET: the referee's SDMetrics overall quality of SYNTHETIC against REAL
quality() {
  local out="$1.referee.json"
  "$referee" --train "$2" --holdout "$2" --synthetic "$1" --target "$3" --out "$out" \
    --skip utility,structure,privacy >"$1.referee.log" 2>&1 || { cat "$1.referee.log" >&2; exit 1; }
  python3 -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["quality"]["overall"])' "$out"
}

# train NAME CSV: a model of CSV (seed 1), reused when it exists
train() {
  local model="$work/$1.mimeo"
  if [ ! -f "$model" ]; then
    echo "training $model (--max-time $max_time)" >&2
    "$mimeo" train "$2" -o "$model" --seed 1 --threads "$threads" --max-time "$max_time" >"$work/$1.train.log" 2>&1
  fi
  echo "$model"
}

# unconditional MODEL NAME: UNCOND_ROWS unconditional rows of MODEL, reused when they exist
unconditional() {
  local out="$work/$2-unconditional.csv"
  [ -f "$out" ] || "$mimeo" generate "$1" -n "$uncond_rows" --seed 7 --threads "$threads" -o "$out" --quiet
  echo "$out"
}

results="$work/results.tsv"
printf 'model\tcondition\treal_rows\tconditional_rows\tconditional_quality\tfiltered_rows\tfiltered_quality\tconditional_cut_quality\n' >"$results.tmp"

# case MODEL NAME TRAIN_CSV TARGET COLUMN VALUE
case_() {
  local model="$1" name="$2" train_csv="$3" target="$4" col="$5" val="$6"
  local tag; tag="$name-$(printf '%s=%s' "$col" "$val" | tr -c 'A-Za-z0-9=_-' '_')"
  local real="$work/$tag-real.csv" cond="$work/$tag-conditional.csv" filt="$work/$tag-filtered.csv" cut="$work/$tag-conditional-cut.csv"
  local n_real n_filt q_cond q_filt q_cut
  n_real=$(filter "$train_csv" "$real" "$col" "$val")
  "$mimeo" generate "$model" -n "$cond_rows" --where "$col=$val" --seed 7 --threads "$threads" -o "$cond" --quiet
  n_filt=$(filter "$(unconditional "$model" "$name")" "$filt" "$col" "$val")
  filter "$cond" "$cut" "$col" "$val" "$n_filt" >/dev/null
  q_cond=$(quality "$cond" "$real" "$target")
  q_filt=$(quality "$filt" "$real" "$target")
  q_cut=$(quality "$cut" "$real" "$target")
  printf '%s\t%s=%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$col" "$val" "$n_real" "$cond_rows" "$q_cond" "$n_filt" "$q_filt" "$q_cut" >>"$results.tmp"
  echo "$name $col=$val: conditional $q_cond ($cond_rows rows), filtered unconditional $q_filt ($n_filt of $uncond_rows rows), conditional cut to $n_filt rows $q_cut" >&2
}

adult_model=$(train adult "$datasets/adult/adult-train.csv")
case_ "$adult_model" adult "$datasets/adult/adult-train.csv" income income '>50K'
case_ "$adult_model" adult "$datasets/adult/adult-train.csv" income native-country Mexico
if [ -n "${RARE_MODEL:-}" ]; then
  rare_csv="${RARE_CSV:-$(dirname "$RARE_MODEL")/../rare-0.03/bank_marketing-rare.csv}"
  case_ "$RARE_MODEL" bank_marketing-rare "$rare_csv" y y yes
  case_ "$RARE_MODEL" bank_marketing-rare "$rare_csv" y job student
fi
mv "$results.tmp" "$results"

echo "| model | condition | real rows | conditional (${cond_rows} rows) | filtered unconditional | rows kept of ${uncond_rows} | conditional cut to the same rows | gap (filtered - conditional cut) |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
tail -n +2 "$results" | while IFS=$'\t' read -r m c nr nc qc nf qf qk; do
  gap=$(python3 -c "print('%+.4f' % ($qf - $qk))")
  echo "| $m | $c | $nr | $qc | $qf | $nf | $qk | $gap |"
done
