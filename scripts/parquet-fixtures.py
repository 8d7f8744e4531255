#!/usr/bin/env python3
"""Writes the Parquet fixtures that Mimeo's reader is tested on (Tests/MimeoParquetTests/Fixtures).

One small table (ints, doubles, decimals, low- and high-cardinality strings, booleans, dates, timestamps,
with nulls) is written by pyarrow and by DuckDB in every encoding and codec the reader supports, and once
as a nested table the reader must refuse. `expected.json` holds the values in a plain form:
int, float, decimal as text, string, bool, date as YYYY-MM-DD, timestamps as integers in microseconds
since the epoch (UTC). Run with the venv of `make parquet-venv`:

    .build/venv-parquet/bin/python scripts/parquet-fixtures.py Tests/MimeoParquetTests/Fixtures
"""
import datetime as dt
import decimal
import json
import os
import random
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

ROWS = 300


def make_table():
    rng = random.Random(9)

    def maybe(value, share=0.1):
        return None if rng.random() < share else value

    words = ["alpha", "beta", "gamma", "delta", "épsilon", "東京", "a,b", 'say "hi"']
    base = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    columns = {
        "i64": [maybe(rng.randint(-10**12, 10**12)) for _ in range(ROWS)],
        "i32": [rng.randint(-1000, 1000) for _ in range(ROWS)],
        "f64": [maybe(rng.choice([0.5, -2.25, 1e-7, 123456.789, rng.uniform(-1e6, 1e6)])) for _ in range(ROWS)],
        "dec": [maybe(decimal.Decimal(rng.randint(-10**9, 10**9)).scaleb(-2)) for _ in range(ROWS)],
        "s_low": [maybe(rng.choice(words)) for _ in range(ROWS)],
        "s_high": [maybe(f"customer-{rng.randint(0, 10**9):010d}-{i}") for i in range(ROWS)],
        "b": [maybe(rng.random() < 0.5, 0.2) for _ in range(ROWS)],
        "d": [maybe(dt.date(1960, 1, 1) + dt.timedelta(days=rng.randint(0, 30000))) for _ in range(ROWS)],
        "ts": [maybe(base + dt.timedelta(microseconds=rng.randint(-10**15, 10**15))) for _ in range(ROWS)],
        "ts_naive": [maybe(dt.datetime(2001, 2, 3) + dt.timedelta(milliseconds=rng.randint(0, 10**12))) for _ in range(ROWS)],
    }
    schema = pa.schema([
        ("i64", pa.int64()), ("i32", pa.int32()), ("f64", pa.float64()), ("dec", pa.decimal128(10, 2)),
        ("s_low", pa.string()), ("s_high", pa.string()), ("b", pa.bool_()), ("d", pa.date32()),
        ("ts", pa.timestamp("us", tz="UTC")), ("ts_naive", pa.timestamp("ms")),
    ])
    return pa.table(columns, schema=schema), columns


def plain(column, value):
    if value is None:
        return None
    if column == "dec":
        return str(value)
    if column == "d":
        return value.isoformat()
    if column in ("ts", "ts_naive"):
        naive = value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        delta = naive - dt.datetime(1970, 1, 1)
        return (delta.days * 86400 + delta.seconds) * 10**6 + delta.microseconds
    return value


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    table, columns = make_table()
    expected = {
        "rows": ROWS,
        "columns": [{"name": name, "values": [plain(name, v) for v in values]} for name, values in columns.items()],
    }
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, ensure_ascii=False, indent=0)

    def pyarrow_file(name, **options):
        pq.write_table(table, os.path.join(out, name), **options)

    delta = {"i64": "DELTA_BINARY_PACKED", "i32": "DELTA_BINARY_PACKED", "s_high": "DELTA_BYTE_ARRAY",
             "s_low": "DELTA_LENGTH_BYTE_ARRAY", "f64": "BYTE_STREAM_SPLIT", "ts": "DELTA_BINARY_PACKED"}
    pyarrow_file("pyarrow-dictionary-zstd.parquet", compression="zstd", row_group_size=100, data_page_size=512)
    pyarrow_file("pyarrow-plain-snappy.parquet", compression="snappy", use_dictionary=False)
    pyarrow_file("pyarrow-gzip.parquet", compression="gzip")
    pyarrow_file("pyarrow-none.parquet", compression="none")
    pyarrow_file("pyarrow-delta-zstd.parquet", compression="zstd", use_dictionary=False, column_encoding=delta)
    pyarrow_file("pyarrow-page-v2-snappy.parquet", compression="snappy", data_page_version="2.0")
    pyarrow_file("pyarrow-page-v2-delta.parquet", compression="zstd", data_page_version="2.0", use_dictionary=False,
                 column_encoding=delta)

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("fixture", table)
    for codec in ["zstd", "snappy", "gzip", "uncompressed"]:
        path = os.path.join(out, f"duckdb-{codec}.parquet")
        con.execute(f"COPY (SELECT * FROM fixture) TO '{path}' (FORMAT parquet, COMPRESSION '{codec}')")
    path = os.path.join(out, "duckdb-v2.parquet")
    con.execute(f"COPY (SELECT * FROM fixture) TO '{path}' (FORMAT parquet, COMPRESSION 'zstd', PARQUET_VERSION V2, "
                "DICTIONARY_SIZE_LIMIT 1)")

    nested = pa.table({"id": [1, 2], "tags": [["a"], ["b", "c"]]})
    pq.write_table(nested, os.path.join(out, "pyarrow-nested.parquet"))
    print(f"wrote fixtures to {out}")


if __name__ == "__main__":
    main()
