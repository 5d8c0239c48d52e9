"""One door: code from outside is evaluated in a sandbox worker, never in the calling process.

The evaluator refuses to run outside a worker, and an AST scan of both packages fails when a new
call site evaluates anywhere but inside an ``@isolated`` function (which runs in a worker) or a
``@worker_only`` helper (which refuses to run anywhere else).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ibert_assets
import ibert_inference
from ibert_inference.errors import SandboxRequiredError
from ibert_inference.safe_eval import evaluate_ibis, evaluates, output_schema

PACKAGES = [Path(ibert_inference.__file__).parent, Path(ibert_assets.__file__).parent]
EVALUATOR = Path(ibert_inference.__file__).parent / "safe_eval" / "evaluator.py"
# what reaches Python's own evaluation of text, or lets the evaluator run in the caller
IN_PROCESS = {"evaluate_ibis", "evaluating_in_process", "exec", "eval"}


def _decorated_isolated(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in {"isolated", "worker_only"}:
            return True
    return False


def in_process_call_sites(source: str, filename: str) -> list[str]:
    """``file:line name`` of every call of an in-process evaluator outside an isolated function."""
    found: list[str] = []

    def walk(node: ast.AST, isolated: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = isolated
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inside = isolated or _decorated_isolated(child)
            if isinstance(child, ast.Call) and not inside:
                func = child.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                builtin = name in {"exec", "eval"}  # a method named eval (torch's) is not it
                if name in IN_PROCESS and (isinstance(func, ast.Name) or not builtin):
                    found.append(f"{filename}:{child.lineno} {name}")
            walk(child, inside)

    walk(ast.parse(source), False)
    return found


def test_no_package_module_evaluates_outside_a_worker():
    offenders = []
    for package in PACKAGES:
        for path in sorted(package.rglob("*.py")):
            if path == EVALUATOR:  # the evaluator itself (its exec runs what it checked)
                continue
            offenders += in_process_call_sites(path.read_text(), str(path))
    assert offenders == [], "evaluate code from outside through an @isolated entry point"


def test_the_scan_sees_a_call_in_the_caller_and_accepts_one_in_a_worker():
    bad = "def build(code):\n    return evaluate_ibis(code)\n"
    hidden = "import x\ndef f(code):\n    with x.evaluating_in_process():\n        pass\n"
    good = "@isolated(returns=X)\ndef build(code):\n    return evaluate_ibis(code)\n"
    nested = "@isolated()\ndef outer(code):\n    def inner():\n        return evaluate_ibis(code)\n"
    assert in_process_call_sites(bad, "bad.py") == ["bad.py:2 evaluate_ibis"]
    assert in_process_call_sites(hidden, "h.py") == ["h.py:3 evaluating_in_process"]
    assert in_process_call_sites(good, "good.py") == []
    assert in_process_call_sites(nested, "nested.py") == []


def test_the_evaluator_refuses_to_run_in_the_caller():
    with pytest.raises(SandboxRequiredError, match="only in a sandbox worker"):
        evaluate_ibis("t.select('a')", {"t": {"a": "int64"}})


def test_the_isolated_entry_points_evaluate():
    assert evaluates("t.select('a')", {"t": {"a": "int64"}}) is None
    assert output_schema("t.select('a')", {"t": {"a": "int64", "b": "string"}}) == {"a": "int64"}


def test_a_doc_example_is_evaluated_in_a_worker(monkeypatch: pytest.MonkeyPatch):
    """The route of the escape through ``ibert doc``: the function body ran in the caller."""
    import ibert_inference.sandbox.pool as pool
    from ibert_inference.tasks.documentation import document_function

    calls: list[bool] = []
    real = pool.run_in_worker

    def counted(*args, **kwargs):
        calls.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(pool, "run_in_worker", counted)
    code = "def top(t):\n    return t.filter(t.a > 1).select('a')\n"
    result = document_function(code)
    assert calls, "the doc example must be evaluated through a worker"
    assert ">>> top(t).columns" in result.output
