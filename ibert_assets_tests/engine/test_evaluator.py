import threading
from pathlib import Path

import ibis.expr.types as ir
import pytest

from ibert_assets_tests.in_process import evaluate_ibis
from ibert_inference.errors import EvaluationError, EvaluationTimeout, UnsafeCodeError

SCHEMA = {"t": {"a": "int64", "b": "string"}, "u": {"a": "int64", "c": "float64"}}


@pytest.mark.parametrize(
    "code",
    [
        "result = t.filter(_.a > 1).select('a')",
        "import ibis\nfrom ibis import _\nimport ibis.selectors as s\nt.select(s.numeric())",
        "j = t.join(u, t.a == u.a)\nj.group_by('b').agg(n=_.c.sum())",
        "x = ibis.table({'q': 'int64'}, name='x')\nresult = x.filter(x.q > 1)",
        "t.mutate(size=ibis.cases((_.a > 1, 'big'), else_='small'))",
        "t.filter(lambda r: r.a > 1).order_by(ibis.desc('a')).limit(3)",
        "from ibis import desc\nt.order_by(desc('b'))",
    ],
)
def test_idiomatic_ibis_evaluates_to_an_expression(code: str):
    assert isinstance(evaluate_ibis(code, SCHEMA), ir.Expr)


def test_result_wins_over_the_last_statement():
    expr = evaluate_ibis("result = t.select('a')\nother = t.select('b')", SCHEMA)
    assert expr.columns == ("a",)


def marker_code(path: Path) -> list[str]:
    """Hostile code that would create ``path`` if it ever ran."""
    return [
        f"import os\nos.system('touch {path}')",
        f"__import__('os').system('touch {path}')",
        f"open('{path}', 'w')",
        f"ibis.util.os.system('touch {path}')",
        f"[c for c in ().__class__.__base__.__subclasses__()][0]('touch {path}')",
        f"getattr(ibis, 'util').os.system('touch {path}')",
        f"exec(\"open('{path}', 'w')\")",
        f"eval(\"open('{path}', 'w')\")",
        f"def f():\n    open('{path}', 'w')\nf()",
        f"class X:\n    y = open('{path}', 'w')",
        f"'{{0.__init__.__globals__}}'.format(t)\nopen('{path}', 'w')",
        f"f'{{_.__class__}}'\nopen('{path}', 'w')",
        f"ibis.memtable({{'a': [1]}}).to_csv('{path}')",
        f"ibis.duckdb.connect('{path}')",
        f"from ibis import connect\nconnect('duckdb://{path}')",
        f"ibis.get_backend().raw_sql(\"COPY (SELECT 1) TO '{path}'\")",
        f"(lambda x: x.to_parquet('{path}'))(ibis.memtable({{'a': [1]}}))",
        f"ibis.options.default_backend = None\nopen('{path}', 'w')",
    ]


def test_hostile_code_never_runs(tmp_path: Path):
    target = tmp_path / "pwned"
    for code in marker_code(target):
        with pytest.raises((UnsafeCodeError, EvaluationError)):
            evaluate_ibis(code, SCHEMA)
        assert not target.exists(), code


@pytest.mark.parametrize(
    ("code", "construct"),
    [
        ("import os", "import"),
        ("from subprocess import run", "import"),
        ("_.__class__", ".__class__"),
        ("t.a._private", "._private"),
        ("open('/etc/passwd')", "open"),
        ("getattr(ibis, 'x')", "getattr"),
        ("10**100000", "**"),
        ("x = 10_000_000_000_000_000_000", "literal"),
        ("'a' * 10**9", "*"),
        ("[0] * 10**9", "*"),
        ("'a' * 1_000_000_000", "*"),
        ("'" + "a" * 20_000 + "'", "literal"),
        ("while True:\n    pass", "While"),
        ("for row in t:\n    pass", "For"),
        ("[x for x in range(10)]", "ListComp"),
        ("(y := 1)", "NamedExpr"),
        ("'{0.__class__}'.format(t)", ".format"),
        ("t.a.execute()", ".execute"),
        ("from ibis import read_csv", "import"),
        ("t.a = 1", "assignment target"),
        ("ibis.options.interactive = True", "assignment target"),
        ("x, t[0] = 1, 2", "assignment target"),
        ("f'{1:>999999999}'", "format spec"),
        ("f'{1:{10**9}}'", "format spec"),
        ("(1).__class__", ".__class__"),
        ("ibis.memtable({'a': [1]}).sql('SELECT 1')", ".sql"),
    ],
)
def test_disallowed_constructs_are_named(code: str, construct: str):
    with pytest.raises(UnsafeCodeError) as info:
        evaluate_ibis(code, SCHEMA)
    assert info.value.construct == construct
    assert "line 1" in str(info.value)


def test_deep_nesting_is_refused_before_it_runs():
    with pytest.raises((UnsafeCodeError, EvaluationError)):
        evaluate_ibis("(" * 1000 + "1" + ")" * 1000)
    with pytest.raises(UnsafeCodeError, match="nested"):
        evaluate_ibis("+".join(["t.a"] * 10_000), SCHEMA)
    with pytest.raises(UnsafeCodeError, match="characters long"):
        evaluate_ibis("t.a + " * 50_000 + "1", SCHEMA)


def test_ibis_errors_come_back_with_type_and_line():
    with pytest.raises(EvaluationError) as info:
        evaluate_ibis("x = t.filter(_.a > 1)\nresult = x.select('amout')", SCHEMA)
    assert info.value.error_type in {"IbisTypeError", "AttributeError"}
    assert info.value.line == 2
    assert "amout" in str(info.value)


def test_python_and_on_expressions_reports_the_real_error():
    with pytest.raises(EvaluationError, match="truth value") as info:
        evaluate_ibis("t.filter((_.a > 1) and (_.a < 3))", SCHEMA)
    assert info.value.error_type == "TypeError"


def test_syntax_errors_keep_python_message_and_line():
    with pytest.raises(EvaluationError) as info:
        evaluate_ibis("x = t.select('a')\nresult = x.filter(_.a > 1", SCHEMA)
    assert info.value.error_type == "SyntaxError"
    assert info.value.line == 2


@pytest.mark.parametrize("code", ["*t", "x = *t", "t\nresult = *t"])
def test_code_that_parses_but_does_not_compile_is_a_syntax_error(code: str):
    """``ast.parse`` accepts a bare starred expression; only ``compile`` refuses it (a model's
    reply did, and the evaluation stopped with an internal error instead of a failed answer)."""
    with pytest.raises(EvaluationError, match="starred") as info:
        evaluate_ibis(code, SCHEMA)
    assert info.value.error_type == "SyntaxError"


def test_verify_pair_reports_it_as_a_failed_answer():
    from ibert_inference.verify import verify_pair

    result = verify_pair("select a from t", "*t", {"t": {"a": "int64"}})
    assert not result.ok


def test_code_that_defines_no_expression():
    with pytest.raises(EvaluationError, match="not an Ibis expression"):
        evaluate_ibis("x = 1")


def test_self_application_recursion_is_contained():
    with pytest.raises(EvaluationError, match="RecursionError"):
        evaluate_ibis("(lambda f: f(f))(lambda f: f(f))")


def test_time_limit_interrupts_slow_evaluation():
    # deep expression building is slow in Ibis; a tiny limit must stop it with a clear error
    code = "x = t\n" + "x = x.mutate(c=x.a + 1).filter(x.a > 0)\n" * 800 + "result = x"
    with pytest.raises(EvaluationTimeout, match="longer than"):
        evaluate_ibis(code, SCHEMA, timeout_s=0.05)


@pytest.mark.parametrize(
    "code",
    [
        "x = 'a' * 1000\nresult = x * 1000",
        "x = [0] * 1000\nx *= 1000",
        "x = 10**18\n" + "x = x * x\n" * 12,
        "x = 10**18\nx = x**64\nx = x**64",
        "x = 1 << 64\n" + "x = x << 64\n" * 70,
        "'%999999999d' % 1",
        "x = 'a' * 1000\nx.join([x] * 100)",
        "x = 'a' * 1000\nx.replace('a', x)",
        "a = [0] * 1000\nb = [a] * 1000\nc = [b] * 1000\nstr(c)",
        "x = [0] * 1000\n" + "x = x + x\n" * 20,
        "x = 'ab' * 500\n" + "x += x\n" * 20,
        "a = [0] * 1000\na = a * 100\nc = [a] * 1000\nc = c * 10\nlist(zip(*c))",
        "a = [0] * 1000\nb = [a] * 1000\nc = [b] * 1000\nf'{c}'",
        "a = [0] * 1000\nb = [a] * 1000\nc = [b] * 1000\n'%s' % (c,)",
    ],
)
def test_values_built_from_names_stay_bounded(code: str):
    # the literals are all small: only the run-time guards can stop these
    with pytest.raises(EvaluationError, match=r"too|width") as info:
        evaluate_ibis(code, SCHEMA)
    assert info.value.error_type == "MemoryError"


def test_backends_are_out_of_reach():
    with pytest.raises(UnsafeCodeError, match="not allowed"):
        evaluate_ibis("ibis.duckdb", SCHEMA)


def test_unpacking_kwargs_and_fstrings_work():
    code = (
        "low, high = 1, 10\n"
        "opts = {'n': _.count()}\n"
        "name = f'total_{low}'\n"
        "result = t.filter(_.a.between(low, high)).group_by('b').agg(**opts, **{name: _.a.sum()})"
    )
    expr = evaluate_ibis(code, SCHEMA)
    assert expr.columns == ("b", "n", "total_1")


def test_caller_tables_are_used():
    import ibis

    custom = ibis.table({"z": "int64"}, name="custom")
    expr = evaluate_ibis("custom.filter(_.z > 0)", tables={"custom": custom})
    assert expr.columns == ("z",)


def test_time_limit_works_off_the_main_thread():
    code = "x = t\n" + "x = x.mutate(c=x.a + 1).filter(x.a > 0)\n" * 800 + "result = x"
    errors: list[BaseException] = []

    def run() -> None:
        try:
            evaluate_ibis(code, SCHEMA, timeout_s=0.05)
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    assert len(errors) == 1 and isinstance(errors[0], EvaluationTimeout)


def test_exponential_lambda_recursion_times_out():
    code = "(lambda f, n: f(f, n))(lambda f, n: n and f(f, n - 1) + f(f, n - 1), 60)"
    with pytest.raises(EvaluationTimeout):
        evaluate_ibis(code, SCHEMA, timeout_s=0.2)
