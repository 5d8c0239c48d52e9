"""Builders for small, real git repositories used by the mining tests."""

from __future__ import annotations

import os
from pathlib import Path

import git

PY_WITH_SQL = '''\
import ibis

QUERY = """
SELECT name, SUM(amount) AS total
FROM orders
WHERE amount > 10
GROUP BY name
"""


def top_customers(con):
    """Customers by spend."""
    return con.sql("SELECT name, amount FROM orders WHERE name LIKE 'A%'")


def spend_report(threshold):
    """Spend per customer above a threshold.

    Args:
        threshold: the smallest amount kept.

    Returns:
        An unbound Ibis expression.
    """
    orders = ibis.table({"name": "string", "amount": "float64"}, name="orders")
    result = orders.filter(orders.amount > 100).group_by("name").agg(total=orders.amount.sum())
    return result
'''

HOSTILE_PY = """\
import os

MARKER = "{marker}"
os.system("touch " + MARKER)
SQL = "SELECT id FROM accounts WHERE balance < 0"
"""

NOTEBOOK_CELLS = [
    ("markdown", "Count flights per carrier, longest delays first."),
    ("code", "%%sql\nSELECT carrier, COUNT(*) AS n FROM flights WHERE delay > 15 GROUP BY carrier"),
    ("code", "t = ibis.table({'x': 'int64'}, name='t')\nresult = t.filter(t.x > 1)"),
]

QUARTO_PAGE = """\
---
title: Filtering
---

# Filtering rows

Filtering keeps the rows for which a predicate holds. In Ibis you write the predicate with
column expressions and pass it to `filter`; several predicates are combined with AND.

Here is a query written as SQL that selects recent, large payments:

```sql
SELECT payment_id, amount FROM payments WHERE amount >= 500 AND paid_on > DATE '2024-01-01'
```

## Install Ibis

Install Ibis with pip together with the DuckDB backend, which runs queries in process and
needs no server at all; this is the quickest way to try the examples on this page.

```{python}
t = ibis.table({"a": "int64", "b": "string"}, name="t")
result = t.filter(t.a > 1).select("b")
```
"""


def commit_all(repo: git.Repo, message: str) -> str:
    repo.git.add(A=True)
    repo.index.commit(message)
    return repo.head.commit.hexsha


def make_mining_repo(root: Path, *, marker: Path) -> git.Repo:
    """A repository with everything the miner must read or skip, committed once."""
    import nbformat

    root.mkdir(parents=True, exist_ok=True)
    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "iBERT tests")
        config.set_value("user", "email", "tests@ibert.invalid")
    (root / "LICENSE").write_text(
        "MIT License\n\nPermission is hereby granted, free of charge, ..."
    )
    (root / "analytics.py").write_text(PY_WITH_SQL)
    (root / "hostile.py").write_text(HOSTILE_PY.format(marker=marker))
    (root / "broken.py").write_text("def oops(:\n    SELECT = 'SELECT a FROM b'\n")
    # compiles, but to a table name that depends on the process: rejected, never stored
    (root / "unnamed.py").write_text(
        "import ibis\nt = ibis.table({'a': 'int64'})\nresult = t.filter(t.a > 1)\n"
    )
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell(text)
        if kind == "markdown"
        else nbformat.v4.new_code_cell(text)
        for kind, text in NOTEBOOK_CELLS
    ]
    (root / "flights.ipynb").write_text(nbformat.writes(notebook))
    (root / "malformed.ipynb").write_text('{"cells": [ this is not json')
    (root / "docs").mkdir()
    (root / "docs" / "filtering.qmd").write_text(QUARTO_PAGE)
    (root / "queries.sql").write_text(
        "SELECT region, AVG(price) AS avg_price FROM sales WHERE price BETWEEN 5 AND 50 "
        "GROUP BY region;\n"
    )
    # the same query again, spelled differently: dropped as a duplicate within the repository
    (root / "queries_copy.sql").write_text(
        "select region, avg(price) as avg_price from sales\nwhere price between 5 and 50 "
        "group by region"
    )
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0binary")
    (root / "data.sql").write_bytes(b"SELECT 1\0\0binary payload")
    (root / "huge.sql").write_text("SELECT a FROM t WHERE a > 1;\n" * 60_000)
    outside = root.parent / f"{root.name}-outside.sql"
    outside.write_text("SELECT secret FROM vault WHERE secret > 1")
    os.symlink(outside, root / "escape.sql")
    commit_all(repo, "initial")
    return repo


def make_hostile_repo(root: Path, *, marker: Path, snippets: list[str]) -> git.Repo:
    """A repository whose Ibis snippets try to act, in .py, .ipynb and Markdown, plus one good
    snippet so that the partition has something to keep."""
    import nbformat

    root.mkdir(parents=True, exist_ok=True)
    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "iBERT tests")
        config.set_value("user", "email", "tests@ibert.invalid")
    (root / "LICENSE").write_text("MIT License\n\nPermission is hereby granted, free of charge")
    rendered = [snippet.replace("{marker}", str(marker)) for snippet in snippets]
    for index, code in enumerate(rendered):
        (root / f"attack_{index}.py").write_text(code)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(code) for code in rendered]
    (root / "attack.ipynb").write_text(nbformat.writes(notebook))
    fences = "\n".join(f"Step {i}:\n\n```python\n{code}```\n" for i, code in enumerate(rendered))
    (root / "README.md").write_text(f"# Attack\n\n{fences}")
    (root / "good.py").write_text(
        "import ibis\nt = ibis.table({'a': 'int64', 'b': 'string'}, name='t')\n"
        "result = t.filter(t.a > 1).select('b')\n"
    )
    commit_all(repo, "initial")
    return repo
