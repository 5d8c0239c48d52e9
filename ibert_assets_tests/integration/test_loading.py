"""Verifying a pair in a fresh process imports neither pandas, pyarrow nor NumPy (a cold start's
cost)."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
from ibert_inference.verify.databases import random_databases
schema = {"t": {"a": "int64", "b": "decimal(10, 2)", "c": "array<string>", "d": "date"}}
for database in random_databases(schema, seed=1):
    database.execute("SELECT a, SUM(b), COUNT(c) FROM t GROUP BY a").fetchall()
print(sorted({"pandas", "pyarrow", "numpy"} & set(sys.modules)))
"""


def test_generated_databases_load_without_pandas_pyarrow_or_numpy() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


SWITCH = """
import sys
import duckdb
from ibert_inference.schema.tables import parse_dtype
from ibert_inference.verify import loading
loading.PARAMETER_LOADS = 3
con = duckdb.connect()
dtypes = {"a": parse_dtype("int64")}
seen = []
for i in range(5):
    loading.load_table(con, f"t{i}", dtypes, [{"a": i}])
    seen.append("pyarrow" in sys.modules)
print(seen)
"""


def test_a_process_that_loads_many_tables_switches_to_arrow() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SWITCH], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[False, False, False, True, True]", result.stderr
