import duckdb
import pytest

from ibert_inference.compiler import NotAQueryError, UnknownDialectError, compile_expr, ibis_to_sql
from ibert_inference.errors import EvaluationError, UnsafeCodeError
from ibert_inference.tasks.ibis_to_sql import to_sql

SCHEMA = {"orders": {"id": "int64", "amount": "decimal(10, 2)", "status": "string"}}
CODE = "result = orders.filter(_.status == 'paid').group_by('status').agg(total=_.amount.sum())"


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "snowflake", "bigquery", "sqlite"])
def test_compiles_for_each_dialect(dialect: str):
    sql = ibis_to_sql(CODE, SCHEMA, dialect=dialect)
    assert "SUM" in sql.upper() and "paid" in sql


def test_duckdb_sql_runs_and_filters():
    con = duckdb.connect()
    con.execute("CREATE TABLE orders (id BIGINT, amount DECIMAL(10, 2), status VARCHAR)")
    con.execute("INSERT INTO orders VALUES (1, 10.5, 'paid'), (2, 3, 'open'), (3, 1.5, 'paid')")
    assert con.execute(ibis_to_sql(CODE, SCHEMA)).fetchall() == [("paid", 12)]


UNNEST = "t = ibis.table({'b': 'array<int64>'}, name='t')\nresult = t.unnest('b', offset='i')"


def test_names_the_compiler_makes_up_are_the_same_every_time_and_still_run():
    # Ibis names an unnested column after a fresh uuid on every compile
    first, second = ibis_to_sql(UNNEST), ibis_to_sql(UNNEST)
    assert first == second
    assert '"ibis_table_unnest_column_1"' in first and '"ibis_table_unnest_2"' in first
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT [10, 20] AS b")
    assert sorted(con.execute(first).fetchall()) == [(10, 0), (20, 1)]
    bigquery = (
        "t = ibis.table({'a': 'string', 'b': 'array<string>'}, name='t')\nresult = t.a.isin(t.b)"
    )
    assert ibis_to_sql(bigquery, dialect="bigquery") == ibis_to_sql(bigquery, dialect="bigquery")


def test_tables_declared_in_the_code_need_no_schema():
    sql = ibis_to_sql("t = ibis.table({'x': 'int64'}, name='t')\nresult = t.select('x')")
    assert '"t"' in sql


def test_aliases_and_unknown_dialects():
    assert ibis_to_sql(CODE, SCHEMA, dialect="postgresql") == ibis_to_sql(CODE, SCHEMA, "postgres")
    with pytest.raises(UnknownDialectError, match=r"Ibis compiles to .*duckdb"):
        ibis_to_sql(CODE, SCHEMA, dialect="cobol")


def test_unknown_column_is_named():
    with pytest.raises(EvaluationError, match="amout"):
        ibis_to_sql("orders.select('amout')", SCHEMA)


def test_hostile_code_is_refused(tmp_path):
    target = tmp_path / "ran"
    with pytest.raises(UnsafeCodeError):
        ibis_to_sql(f"__import__('os').system('touch {target}')", SCHEMA)
    assert not target.exists()


def test_task_result_is_deterministic_and_verified():
    result = to_sql(CODE, schema=SCHEMA, dialect="snowflake")
    assert result.verified is True and result.source == "deterministic"
    assert result.details["dialect"] == "snowflake"


@pytest.mark.parametrize(
    ("code", "start"),
    [
        ("orders.amount.sum()", "SELECT"),
        ("orders.status", "SELECT"),
        ("ibis.literal(1) + 2", "SELECT"),
    ],
)
def test_columns_and_scalars_compile(code: str, start: str):
    assert ibis_to_sql(code, SCHEMA).lstrip().startswith(start)


def test_sort_key_is_not_a_query():
    with pytest.raises(NotAQueryError, match="order_by"):
        ibis_to_sql("orders.amount.desc()", SCHEMA)


def test_compile_expr_refuses_non_expressions():
    with pytest.raises(NotAQueryError, match="not a query"):
        compile_expr(SCHEMA, "duckdb")


def test_wrong_compiled_sql_is_not_called_verified(monkeypatch):
    # a compiler bug at the boundary: the SQL returned drops the filter's boundary row
    import ibert_inference.tasks.ibis_to_sql as task
    from ibert_inference.sandbox import pool

    monkeypatch.setattr(pool, "IN_WORKER", True)  # the job runs here, where the bug is planted
    monkeypatch.setattr(
        task, "compile_expr", lambda expr, dialect: "SELECT id FROM orders WHERE amount > 11"
    )
    result = task.to_sql("orders.filter(_.amount > 10).select('id')", schema=SCHEMA)
    assert result.verified is False and not result.ok
    assert result.details["verification"]["status"] == "mismatch"


def test_to_sql_compiles_and_verifies_in_one_sandbox_job(monkeypatch):
    from ibert_inference.sandbox import pool

    jobs = []
    run_in_worker = pool.run_in_worker
    monkeypatch.setattr(
        pool, "run_in_worker", lambda f, *a: jobs.append(f.__name__) or run_in_worker(f, *a)
    )
    result = to_sql(CODE, schema=SCHEMA, dialect="postgres")
    assert result.verified is True and jobs == ["compile_and_verify"]


def test_when_the_one_job_runs_out_of_time_each_step_runs_alone(monkeypatch):
    import ibert_inference.tasks.ibis_to_sql as task

    monkeypatch.setattr(task, "compile_and_verify", lambda code, schema, dialect: None)
    result = task.to_sql(CODE, schema=SCHEMA, dialect="postgres")
    assert result.verified is True
    assert result.output == ibis_to_sql(CODE, SCHEMA, dialect="postgres")


def test_without_a_schema_nothing_is_checked_so_nothing_is_verified():
    result = to_sql("ibis.literal(1) + 2")
    assert result.verified is None and "verification" not in result.details


_COMPILES_EVERY_DIALECT = """
import json, sys
import ibis
from ibert_inference import compiler
if sys.argv[1] == "eager":
    import ibis.backends.sql.compilers  # what `ibis.to_sql` imports: every compiler at once
t = ibis.table({"a": "int64", "s": "string", "d": "date"}, name="t")
expressions = [
    t.filter(t.a > 1).select("a", "s"),
    t.group_by("s").agg(n=t.count(), m=t.a.max()).order_by("s"),
    t.mutate(y=t.d.year(), r=ibis.rank().over(group_by="s", order_by="a")),
]
sql = {d: [compiler.bounded_to_sql(e, d) for e in expressions] for d in compiler.DIALECTS}
loaded = sorted(m for m in sys.modules if m.startswith("ibis.backends.sql.compilers."))
print(json.dumps({"sql": sql, "loaded": loaded}))
"""


def _compiled_in_a_fresh_process(mode: str) -> dict:
    import json
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", _COMPILES_EVERY_DIALECT, mode],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


def _run_python(script: str):
    """``script`` run by this Python in a fresh process (its output; an error fails the test)."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )


def test_compilers_imported_on_demand_compile_every_dialect_as_ibis_does():
    lazy, eager = _compiled_in_a_fresh_process("lazy"), _compiled_in_a_fresh_process("eager")
    assert lazy["sql"] == eager["sql"]
    assert lazy["loaded"] == eager["loaded"]  # every dialect asked for: every compiler


def test_a_compile_imports_the_compiler_of_its_dialect_only():
    script = (
        "import sys, ibis\n"
        "from ibert_inference.compiler import bounded_to_sql\n"
        "t = ibis.table({'a': 'int64'}, name='t')\n"
        "print(bounded_to_sql(t.filter(t.a > 1), 'postgres'))\n"
        "import ibis.backends.sql.compilers as sc\n"
        "print(sc.SnowflakeCompiler.__name__, sc.trino.compiler.dialect.__name__)\n"
        "print(' '.join(m.rsplit('.', 1)[1] for m in sys.modules\n"
        "               if m.startswith('ibis.backends.sql.compilers.')))\n"
    )
    result = _run_python(script)
    sql, names, loaded = result.stdout.strip().rsplit("\n", 2)
    assert '"t0"."a" > 1' in sql
    assert names == "SnowflakeCompiler Trino"  # the package's names, each imported when asked
    assert {"postgres", "snowflake", "trino"} <= set(loaded.split())
    assert not {"bigquery", "clickhouse", "mssql", "oracle"} & set(loaded.split())


def test_a_name_the_compilers_package_lacks_is_an_attribute_error():
    import ibis.backends.sql.compilers as sc

    with pytest.raises(AttributeError):
        sc.NoSuchCompiler  # noqa: B018


def test_compile_dialects_checks_the_size_of_the_expression_once(monkeypatch):
    from ibert_inference import compiler
    from ibert_inference.safe_eval import expression_size
    from ibert_inference.sandbox import pool

    monkeypatch.setattr(pool, "IN_WORKER", True)  # the job runs here, where calls are counted
    compiled_sizes = []
    check = expression_size.check_expression_size

    def counted(value, memo=None):
        if memo is None:  # the evaluator checks each value it builds with its own memo
            compiled_sizes.append(value)
        return check(value, memo)

    monkeypatch.setattr(expression_size, "check_expression_size", counted)
    dialects = ["postgres", "snowflake", "bigquery", "trino"]
    compiled = compiler.compile_dialects(CODE, SCHEMA, dialects)
    assert all("sql" in compiled[d] for d in dialects)
    assert len(compiled_sizes) == 1


def test_sql_written_before_ibis_compiles_does_not_change_what_ibis_compiles():
    # sqlglot keeps a generator's dispatch table from the first SQL it writes: a sandbox worker
    # that had written Postgres SQL before compiled Ibis's dates to Snowflake's DATE_FROM_PARTS
    # in its Postgres SQL (about one in two Postgres records with a date, in one worker of two)
    script = (
        "import sqlglot\n"
        "sqlglot.transpile('SELECT 1', read='duckdb', write='postgres')\n"
        "from ibert_inference.compiler import ibis_to_sql\n"
        "for dialect in ('postgres', 'snowflake', 'trino'):\n"
        "    print(ibis_to_sql(\"t.filter(_.d > ibis.date('2024-01-02'))\",\n"
        "                      {'t': {'d': 'date'}}, dialect).splitlines()[-1])\n"
    )
    result = _run_python(script)
    postgres, snowflake, trino = result.stdout.strip().splitlines()
    assert postgres.endswith("MAKE_DATE(2024, 1, 2)")
    assert snowflake.endswith("DATE_FROM_PARTS(2024, 1, 2)")
    assert "2024-01-02" in trino


def test_the_build_writes_sql_with_ibis_dialects_whatever_ran_first():
    # an augmented pair's SQL is transpiled by sqlglot in the build's processes: the same
    # words whether or not that process had compiled Ibis for the dialect yet
    script = (
        "import sqlglot\n"
        "q = 'SELECT DATE_FROM_PARTS(2024, 1, 2)'\n"
        "before = sqlglot.transpile(q, read='snowflake', write='postgres')[0]\n"
        "from ibert_assets.assembly import build_definitions\n"
        "from ibert_assets.settings import Settings\n"
        "build_definitions(Settings())\n"
        "print(before)\n"
        "print(sqlglot.transpile(q, read='snowflake', write='postgres')[0])\n"
    )
    result = _run_python(script)
    before, after = result.stdout.strip().splitlines()[-2:]
    assert before == "SELECT DATE_FROM_PARTS(2024, 1, 2)"  # sqlglot's own Postgres
    assert after == "SELECT MAKE_DATE(2024, 1, 2)"
