#!/usr/bin/env python3
"""Reads a Parquet file Mimeo wrote with pyarrow and with DuckDB, and compares every value, null and type with
the source cells (Tests/MimeoParquetTests/InteropTests.swift; docs/parquet.md).

    parquet_check.py FILE.parquet SOURCE.json

SOURCE.json: {"schema": <a Mimeo schema as `mimeo schema` writes it>, "columns": {name: [cell text or null]}}.
The expected values come from the cell text and the Mimeo column kinds alone (not from Mimeo's writer):
integer -> int64, decimal -> decimal(18, decimals) (double when decimals is absent), boolean -> bool,
datetime -> date32 (no time of day in the format) or timestamp (ms/us/ns from the fraction digits, UTC when the
format has %z), categorical/identifier/text -> string. Prints one line per mismatch; exits 1 if any.
"""
import datetime as dt
import decimal
import json
import re
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq


def expected_type(column):
    kind = column["kind"]
    if kind == "integer":
        return pa.int64(), "BIGINT"
    if kind == "decimal":
        places = column.get("decimals")
        if places is None or places >= 18:
            return pa.float64(), "DOUBLE"
        return pa.decimal128(18, places), f"DECIMAL(18,{places})"
    if kind == "boolean":
        return pa.bool_(), "BOOLEAN"
    if kind == "datetime":
        fmt = column["format"]
        if "%H" not in fmt and "%-H" not in fmt:
            return pa.date32(), "DATE"
        digits = 0
        match = re.search(r"%(\d)?f", fmt)
        if match:
            digits = int(match.group(1) or 6)
        unit = "ms" if digits <= 3 else "us" if digits <= 6 else "ns"
        utc = "%z" in fmt
        # DuckDB holds millisecond and microsecond timestamps alike as TIMESTAMP (microseconds).
        duck = "TIMESTAMP WITH TIME ZONE" if utc else {"ms": "TIMESTAMP", "us": "TIMESTAMP", "ns": "TIMESTAMP_NS"}[unit]
        return pa.timestamp(unit, tz="UTC" if utc else None), duck
    return pa.string(), "VARCHAR"


def python_format(fmt):
    """A Mimeo date-time pattern as a strptime pattern (fractions to %f, -m/-d/-H to m/d/H)."""
    fmt = re.sub(r"%\d?f", "%f", fmt)
    return fmt.replace("%-m", "%m").replace("%-d", "%d").replace("%-H", "%H")


def expected_value(column, text):
    if text is None:
        return None
    kind = column["kind"]
    if kind == "integer":
        return int(text)
    if kind == "decimal":
        places = column.get("decimals")
        if places is None or places >= 18:
            return float(text)
        return decimal.Decimal(text).quantize(decimal.Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_UP)
    if kind == "boolean":
        false, true = column.get("booleanValues") or ["false", "true"]
        assert text in (false, true), text
        return text == true
    if kind == "datetime":
        fmt = column["format"]
        value = dt.datetime.strptime(text.replace("Z", "+0000") if "%z" in fmt else text, python_format(fmt))
        if "%H" not in fmt and "%-H" not in fmt:
            return value.date()
        if value.tzinfo is not None:
            return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value
    return text


def normalise(value):
    """Compares timestamps as naive UTC and pandas-free values as they are."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def main():
    path, source_path = sys.argv[1], sys.argv[2]
    with open(source_path) as f:
        source = json.load(f)
    columns = source["schema"]["columns"]
    cells = source["columns"]
    problems = []

    table = pq.read_table(path)
    if table.column_names != [c["name"] for c in columns]:
        problems.append(f"pyarrow: columns {table.column_names}")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    described = {row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()}
    duck_rows = con.execute(f"SELECT * FROM read_parquet('{path}')").fetchall()

    for index, column in enumerate(columns):
        name = column["name"]
        arrow_type, duck_type = expected_type(column)
        if table.schema.field(name).type != arrow_type:
            problems.append(f"pyarrow: column {name} has type {table.schema.field(name).type}, expected {arrow_type}")
        if described.get(name) != duck_type:
            problems.append(f"duckdb: column {name} has type {described.get(name)}, expected {duck_type}")
        expected = [expected_value(column, text) for text in cells[name]]
        arrow_values = [normalise(v) for v in table.column(name).to_pylist()]
        duck_values = [normalise(row[index]) for row in duck_rows]
        for reader, values in (("pyarrow", arrow_values), ("duckdb", duck_values)):
            if len(values) != len(expected):
                problems.append(f"{reader}: column {name} has {len(values)} rows, expected {len(expected)}")
                continue
            for row, (got, want) in enumerate(zip(values, expected)):
                if got != want or (got is None) != (want is None):
                    problems.append(f"{reader}: column {name} row {row}: {got!r}, expected {want!r} (cell {cells[name][row]!r})")
                    break
    for line in problems:
        print(line)
    print(f"checked {len(columns)} columns x {len(next(iter(cells.values()), []))} rows with pyarrow "
          f"{pa.__version__} and duckdb {duckdb.__version__}: {len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
