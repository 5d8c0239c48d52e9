"""Export TPC-DS and TPC-H query texts and generated data for ``benchmarks/tpc_queries.py``.

DuckDB's ``tpcds`` and ``tpch`` extensions hold the official query texts and the data generators
(``dsdgen``, ``dbgen``). The extensions are built for one DuckDB release and the project runs
another, so this script runs in a throwaway environment of its own, never in the project's::

    python3 -m venv /tmp/tpc-venv
    /tmp/tpc-venv/bin/pip install duckdb==1.5.2 duckdb-extension-tpcds==1.5.2 \\
        duckdb-extension-tpch==1.5.2
    /tmp/tpc-venv/bin/python benchmarks/tpc_export.py --out /tmp/tpc --scale 0.1

It writes ``<out>/<benchmark>/<table>.parquet``, ``<out>/<benchmark>/schema.json`` (table ->
column -> DuckDB type) and ``<out>/<benchmark>/queries/<nn>.sql``. Nothing it writes belongs in
git.
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
from pathlib import Path

import duckdb

BENCHMARKS = {"tpcds": ("dsdgen", "tpcds_queries"), "tpch": ("dbgen", "tpch_queries")}


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Load the extension the ``duckdb-extension-<name>`` package ships (no download)."""
    pattern = (
        f"{sys.prefix}/lib/python3*/site-packages/duckdb_extension_{name}/**/*.duckdb_extension"
    )
    found = glob.glob(pattern, recursive=True)
    if not found:
        sys.exit(
            f"tpc_export: no {name} extension under {sys.prefix}: "
            f"pip install duckdb-extension-{name}"
        )
    con.execute(f"LOAD '{found[0]}'")


def export(name: str, out: Path, scale: float) -> None:
    generator, queries = BENCHMARKS[name]
    target = out / name
    (target / "queries").mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET autoinstall_known_extensions = false")
    load_extension(con, name)
    con.execute(f"CALL {generator}(sf = {scale})")
    schema: dict[str, dict[str, str]] = {}
    for (table,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall():
        columns = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? "
            "ORDER BY column_index",
            [table],
        ).fetchall()
        schema[table] = dict(columns)
        con.execute(f"COPY {table} TO '{target / table}.parquet' (FORMAT parquet)")
    (target / "schema.json").write_text(json.dumps(schema, indent=1))
    for number, text in con.execute(f"SELECT query_nr, query FROM {queries}()").fetchall():
        (target / "queries" / f"{number:02d}.sql").write_text(text)
    print(f"{name}: {len(schema)} tables, scale {scale}, queries in {target / 'queries'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--only", choices=sorted(BENCHMARKS))
    args = parser.parse_args()
    for name in [args.only] if args.only else sorted(BENCHMARKS):
        export(name, args.out, args.scale)


if __name__ == "__main__":
    main()
