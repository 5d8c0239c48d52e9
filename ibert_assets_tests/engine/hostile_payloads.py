"""A hostile corpus: Ibis code and SQL written as an attacker would, each with its way out.

Every payload names ``{marker}``, a path it would create if it ever acted, and ``{python}`` where
it wants a program to run. The kinds say which layer must stop it:

- ``escape``: the object-level allow-list refuses it before it acts, in any process;
- ``dos``: code whose evaluation or compilation would run away; the worker's limits stop it;
- ``sql``: SQL given to the verifier; the worker's DuckDB limits and wall clock stop it;
- ``protocol``: an expression or callable handed to something that runs it (``memtable``'s
  ``__arrow_c_stream__``, a builtin's ``key=``), an annotation or a default: argument checks;
- ``rebind``: names the rewritten program calls, rebound by an import, an assignment or a
  parameter: reserved names;
- ``runaway``: code or SQL that is small but runs long in DuckDB or grows exponentially: the
  statement time limit and the expression size bound end it with a reason, inside the job limit;
- ``output``: code whose compiled SQL is huge: the output cap.

:data:`CLI_INPUTS` holds the classes that reach the ``ibert`` command only (flags, settings files,
``doc`` files); ``benchmarks/hostile_corpus.py`` times every class through each surface.

The routes from an expression to a non-expression object were found by reading Ibis 12's
``ibis/expr/types``, ``ibis/selectors.py``, ``ibis/expr/builders.py`` and ``ibis/__init__.py``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Payload:
    name: str
    kind: str  # escape | dos | sql
    code: str

    def render(self, marker: str) -> str:
        return self.code.replace("{marker}", marker)


MEMTABLE = "ibis.memtable({'a': ['any text']})"
FRAME = f"{MEMTABLE}.op().data.to_frame()"

# Ibis's own executing and exporting methods, each on a table, a column and a scalar
IBIS_WRITERS = [
    "to_csv('{marker}')", "to_parquet('{marker}')", "to_json('{marker}')",
    "to_delta('{marker}')", "to_xlsx('{marker}')", "to_parquet_dir('{marker}')",
    "to_csv_dir('{marker}')", "to_pandas()", "to_pyarrow()", "to_polars()", "to_torch()",
    "to_pyarrow_batches()", "to_pandas_batches()", "execute()", "cache()", "preview()",
    "visualize()", "compile()", "to_sql()", "get_backend()",
]  # fmt: skip
RECEIVERS = {"table": "t", "memtable": MEMTABLE, "column": "t.a", "scalar": "t.a.sum()"}
# the writers pandas offers once a DataFrame is reached
PANDAS_WRITERS = [
    "to_string(buf='{marker}')", "to_pickle('{marker}')", "to_markdown('{marker}')",
    "to_latex('{marker}')", "to_html('{marker}')", "to_csv('{marker}')", "to_json('{marker}')",
    "to_feather('{marker}')", "to_parquet('{marker}')", "to_xml('{marker}')",
    "plot(backend='os')",
]  # fmt: skip
# ways from an expression (or the ibis module) to an object that is not an expression
ROUTES = {
    "op_of_table": "t.op()",
    "op_of_column": "t.a.op()",
    "op_of_scalar": "t.a.sum().op()",
    "memtable_payload": f"{MEMTABLE}.op().data",
    "memtable_frame": FRAME,
    "deferred_op": "t.mutate(x=_.op())",
    "deferred_op_chain": "t.mutate(x=_.op().data.to_frame().to_csv('{marker}'))",
    "deferred_item_op": "t.mutate(x=_['a'].op())",
    "deferred_pipe": "t.mutate(x=_.pipe(ibis.memtable))",
    "grouping_fields": "t.group_by('a').groupings",
    "grouping_havings": "t.group_by('a').having(t.a.count() > 1).havings",
    "window_fields": "ibis.window(group_by=t.a, order_by=t.a).groupings",
    "case_builder_fields": "t.a.case().when(1, 'x').cases",
    "schema_to_pandas": "t.schema().to_pandas()",
    "schema_to_pyarrow": "t.schema().to_pyarrow()",
    "schema_to_polars": "t.schema().to_polars()",
    "schema_items": "t.schema().items()",
    "schema_sqlglot": "t.schema().to_sqlglot_column_defs('duckdb')",
    "dtype_to_pandas": "t.a.type().to_pandas()",
    "dtype_to_pyarrow": "t.a.type().to_pyarrow()",
    "dtype_to_numpy": "t.a.type().to_numpy()",
    "column_to_list": "t.a.to_list()",
    "table_sql": "t.sql(\"COPY (SELECT 1) TO '{marker}'\")",
    "table_alias_sql": "t.alias('v').sql(\"SELECT * FROM read_csv('/etc/passwd')\")",
    "pipe_function": "t.pipe(ibis.memtable)",
    "pipe_method": "t.pipe(t.filter, _.a > 1)",
    "lambda_op": "t.mutate(x=lambda r: r.op())",
    "selector_predicate": "t.select(s.where(lambda c: c.op().to_frame() is None))",
    "across_lambda": "t.select(s.across(s.numeric(), lambda c: c.op()))",
    "ibis_duckdb": "ibis.duckdb",
    "import_duckdb": "from ibis import duckdb\nduckdb.connect('{marker}')",
    "import_connect": "from ibis import connect\nconnect('duckdb://{marker}')",
    "ibis_connect": "ibis.connect('duckdb://{marker}')",
    "get_backend": "ibis.get_backend()",
    "set_backend": "ibis.set_backend('duckdb')",
    "read_csv": "ibis.read_csv('/etc/passwd')",
    "read_parquet": "ibis.read_parquet('{marker}')",
    "read_json": "ibis.read_json('{marker}')",
    "options": "ibis.options",
    "util_module": "ibis.util",
    "examples_module": "ibis.examples",
    "api_module": "ibis.api",
    "udf": "ibis.udf",
    "selectors_builtins": "s.builtins",
    "selectors_inspect": "s.inspect",
    "selectors_re": "s.re",
    "selectors_operator": "s.operator",
    "selectors_ops": "s.ops",
    "selectors_index": "s.index",
    "class_table": "ibis.Table",
    "class_backend": "ibis.BaseBackend",
    "class_datatype_call": "import ibis.expr.datatypes as dt\ndt.Int64()",
    "decompile": "ibis.decompile(t)",
    "parse_sql": "ibis.parse_sql('SELECT 1', {})",
    "to_sql_function": "ibis.to_sql(t)",
    "watermark": "ibis.watermark('a', ibis.interval(seconds=1))",
    "format_attribute": "'{0.op}'.format(t)",
    "format_map": "'{x}'.format_map({'x': t})",
    "dunder_class": "t.__class__",
    "dunder_subclasses": "().__class__.__base__.__subclasses__()",
    "getattr_builtin": "getattr(t, 'op')()",
    "import_os": "import os\nos.system('touch {marker}')",
    "dunder_import": "__import__('os').system('touch {marker}')",
    "open_builtin": "open('{marker}', 'w').write('x')",
    "exec_builtin": "exec(\"open('{marker}', 'w')\")",
    "function_def": "def f():\n    open('{marker}', 'w')\nf()",
    "class_def": "class X:\n    y = open('{marker}', 'w')",
    "plot_backend": f"{FRAME}.plot(backend='os')",
    "bound_method_flow": "f = t.op\nf()",
    "bound_method_in_list": "fs = [t.op]\nfs[0]()",
    "builder_between": "ibis.window().between",
}  # fmt: skip
DOS = {
    "doubling_compile": "x = t.a\n" + "x = x + x\n" * 40 + "result = t.select(y=x)",
    "greatest_compile": "x = t.a\n" + "x = ibis.greatest(x, x)\n" * 30 + "t.select(y=x)",
    "predicate_compile": "x = t.a > 0\n" + "x = x & x\n" * 30 + "t.filter(x)",
    "translate_blowup": "x = 'a' * 1000\nx = x * 100\nx.translate({97: x})",
    "extend_doubling": "x = [0] * 1000\n" + "x.extend(x)\n" * 30 + "t",
    "star_width_format": "'%*d' % (2000000000, 1)",
    "deep_nesting": "x = " + "(" * 5000 + "1" + ")" * 5000,
    "huge_code": "x = 1\n" * 60_000,
    "huge_power": "10 ** 10 ** 10",
    "huge_repeat": "'a' * 10 ** 9",
    "nested_lists": "a = [0] * 1000\nb = [a] * 1000\nc = [b] * 1000\nstr(c)",
    "deep_filter_chain": "t.filter(" + "(_.a > 1) & " * 3000 + "(_.a > 0))",
    "center_padding": "'x'.center(10 ** 9)",
}  # fmt: skip
SQL = {
    "endless_range": "SELECT count(*) AS n FROM range(1000000000000)",
    "endless_recursion": (
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
        "SELECT count(*) AS n FROM r"
    ),
    "huge_list": "SELECT len(list(range(3000000000))) AS n",
    "read_file": "SELECT * FROM read_csv('/etc/passwd')",
    "copy_to_file": "COPY (SELECT 1) TO '{marker}'",
    "attach_file": "ATTACH '{marker}' AS pwned",
    "install_extension": "INSTALL httpfs",
    "set_memory": "SET memory_limit = '100GB'",
    "write_via_export": "EXPORT DATABASE '{marker}'",
    "glob_files": "SELECT * FROM glob('/etc/*')",
}  # fmt: skip


GEOMETRY = "ibis.memtable({'a': [1]}).mutate(g=_.a.cast('geometry'))"
PROTOCOL = {
    # the escape through `ibert doc`: DuckDB would auto-install `spatial` in $HOME/.duckdb
    "memtable_of_geometry": f"x = {GEOMETRY}\nibis.memtable(x)",
    "memtable_of_table": f"ibis.memtable({MEMTABLE})",
    "memtable_of_column": f"ibis.memtable({{'a': {GEOMETRY}.g}})",
    "memtable_data_keyword": f"ibis.memtable(data={GEOMETRY})",
    "max_key_memtable": f"max([{GEOMETRY}, {GEOMETRY}], key=ibis.memtable)",
    "sorted_key_memtable": f"sorted([{GEOMETRY}], key=ibis.memtable)",
    "lambda_wrapping_memtable": f"f = lambda e: ibis.memtable(e)\nf({GEOMETRY})",
    "method_given_memtable": "t.mutate(c=ibis.memtable)",
    "annotation_memtable": f"x: ibis.memtable({GEOMETRY}) = 1\nibis.memtable({GEOMETRY})",
    "lambda_default": f"f = lambda e={GEOMETRY}: ibis.memtable(e)\nt",
    "to_bytes_allocation": "(0).to_bytes(1500000000, 'big')",
    "min_default_expression": f"min([], default={GEOMETRY})",
}  # fmt: skip
REBIND = {
    "import_as_attr_guard": "from ibis import _ as __ibert_attr__\nt.select('a')",
    "import_as_builtins": "import ibis as __builtins__\nt.select('a')",
    "import_as_text_guard": "from ibis import memtable as __ibert_text__\nf'{t}'",
    "assign_call_guard": "__ibert_call__ = print\nt",
    "lambda_parameter_guard": "f = lambda __ibert_item__: t\nf(1)",
    "import_as_reserved_prefix": "import ibis as __ibert_anything\nt",
}  # fmt: skip
RUNAWAY = {
    "doubling_30": "x = t.a\n" + "x = x + x\n" * 30 + "t.select(y=x)",
    "deferred_doubling_30": "x = _.a\n" + "x = x + x\n" * 30 + "t.select(y=x)",
    "self_cross_join_8": "x = t\n" + "x = x.cross_join(t.view())\n" * 7 + "x.select(n=x.a.count())",
    "levenshtein_100k": "x = 'a' * 1000\nx = ibis.literal(x * 100)\n"
    "t.select(d=x.levenshtein(x.upper()))",
}  # fmt: skip
OUTPUT = {
    "array_literal_300_copies": "x = ibis.literal([123456] * 1000)\nt.select("
    + ", ".join(f"c{i}=x" for i in range(300)) + ")",
}  # fmt: skip
SQL_RUNAWAY = {
    "sql_self_cross_join_8": "SELECT count(*) AS n FROM t a, t b, t c, t d, t e, t f, t g, t h",
    "sql_950kb_line": "SELECT a FROM t WHERE a = 1" + " OR b = 'x'" * 86_000,
    "sql_levenshtein_100k": "SELECT levenshtein(repeat('a', 100000), repeat('b', 100000)) AS d "
    "FROM t",
}  # fmt: skip
# what reaches the `ibert` command only: its flags, its settings files, and `doc` files
CLI_INPUTS = {
    "schema_20000_columns": ["--schema", ", ".join(f"c{i}: int64" for i in range(20_000))],
    "table_name_attr_guard": ["--schema", "a: int64", "--table-name", "__ibert_attr__"],
    "table_name_builtins": ["--schema", "a: int64", "--table-name", "__builtins__"],
}
HUGE_CONFIG = "max_tokens: [" + "1, " * 1_600_000 + "1]\n"  # 4.9 MB
DOC_FILES = {
    # the function body is evaluated for the example; its defaults give parameter values
    "doc_memtable_geometry": (
        "import ibis\nfrom ibis import _\n\n\ndef spatial(t):\n"
        f"    x = {GEOMETRY}\n    return ibis.memtable(x)\n"
    ),
    "doc_allocating_default": (
        "def big(t, n=(0).to_bytes(1500000000, 'big')):\n    return t.filter(t.a > n)\n"
    ),
    "doc_memtable_default": (
        f"import ibis\nfrom ibis import _\n\n\ndef d(t, e={GEOMETRY}):\n"
        "    return ibis.memtable(e)\n"
    ),
    "doc_doubling": "def grow(t):\n    x = t.a\n" + "    x = x + x\n" * 30
    + "    return t.select(y=x)\n",
}  # fmt: skip


def payloads() -> list[Payload]:
    """Every payload of the corpus."""
    found = [
        Payload(f"{writer.split('(')[0]}_on_{where}", "escape", f"{receiver}.{writer}")
        for where, receiver in RECEIVERS.items()
        for writer in IBIS_WRITERS
    ]
    found += [
        Payload(f"pandas_{writer.split('(')[0]}", "escape", f"{FRAME}.{writer}")
        for writer in PANDAS_WRITERS
    ]
    found += [Payload(name, "escape", code) for name, code in ROUTES.items()]
    found += [Payload(name, "dos", code) for name, code in DOS.items()]
    found += [Payload(name, "sql", code) for name, code in SQL.items()]
    found += [Payload(name, "protocol", code) for name, code in PROTOCOL.items()]
    found += [Payload(name, "rebind", code) for name, code in REBIND.items()]
    found += [Payload(name, "runaway", code) for name, code in RUNAWAY.items()]
    found += [Payload(name, "output", code) for name, code in OUTPUT.items()]
    found += [Payload(name, "sql_runaway", code) for name, code in SQL_RUNAWAY.items()]
    return found


def by_kind(kind: str) -> list[Payload]:
    return [payload for payload in payloads() if payload.kind == kind]


# snippets a hostile repository carries, in .py, .ipynb and Markdown
REPOSITORY_SNIPPETS = [
    "import ibis\nt = ibis.table({'a': 'string'}, name='t')\n"
    "df = ibis.memtable({'a': ['x']}).op().data.to_frame()\n"
    "df.to_string(buf='{marker}', header=False, index=False)\nresult = t.select('a')\n",
    "import ibis\nt = ibis.table({'a': 'int64'}, name='t')\n"
    "result = t.mutate(x=ibis._.op().data.to_frame().to_csv('{marker}'))\n",
    "import ibis\nt = ibis.table({'a': 'int64'}, name='t')\nt.to_csv('{marker}')\n"
    "result = t.filter(t.a > 1)\n",
    # the protocol routes: an expression handed to memtable (spatial would be fetched)
    "import ibis\nfrom ibis import _\nt = ibis.table({'a': 'int64'}, name='t')\n"
    f"x = {GEOMETRY}\nresult = t.filter(t.a > ibis.memtable(x).count())\n",
    "import ibis\nfrom ibis import _ as __ibert_attr__\n"
    "t = ibis.table({'a': 'int64'}, name='t')\nresult = t.filter(t.a > 1)\n",
]
