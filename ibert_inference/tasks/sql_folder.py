"""``from-sql`` over a folder of ``.sql`` files (a dbt project's ``target/compiled/`` output).

Each file is one model: translated with no schema (or the one given), verified, and written as an
Ibis module beside the others; the outcome of each is one line, and the folder's a summary table
of verified / unverified (with the reason) / refused (with the construct or what stopped it).

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "paid.sql").write_text("select id, amount from orders where amount > 10")
>>> [outcome] = translate_folder(folder, out_dir=folder / "ibis")
>>> outcome.line()
'paid.sql: verified (ibis/paid.py)'
>>> print((folder / "ibis" / "paid.py").read_text().splitlines()[-1])
result = orders.filter(_.amount > 10).select("id", "amount")
"""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ibert_inference.errors import IbertError, SQLParseError, UnsupportedSQLError
from ibert_inference.schema.tables import Schema

Status = Literal["verified", "unverified", "refused", "failed"]
STATUSES: tuple[Status, ...] = ("verified", "unverified", "refused", "failed")
MAX_MODEL_BYTES = 1_000_000
"""A model file above this size is refused unread: no query of a dbt project is that long."""


@dataclass(frozen=True)
class ModelOutcome:
    """What became of one ``.sql`` file: its status, why, and the Ibis module written for it.

    ``cause`` is the short, countable part of ``reason`` (the construct refused, the verdict's
    status, the step that failed) that summary tables group by.
    """

    path: str
    status: Status
    reason: str = ""
    cause: str = ""
    module: str | None = None
    inferred_schema: Schema | None = None

    def line(self) -> str:
        """``path: status (module)`` or ``path: status: reason``, one line."""
        if self.status == "verified":
            return f"{self.path}: verified ({self.module})"
        where = f" ({self.module})" if self.module else ""
        return f"{self.path}: {self.status}{where}: {_one_line(self.reason)}"


def sql_files(folder: Path) -> list[Path]:
    """The ``.sql`` files under ``folder``, sorted, hidden folders and dbt's ``run/`` skipped."""
    if not folder.is_dir():
        raise IbertError(f"{folder}: not a folder; give a folder of .sql files")
    found = [
        path
        for path in folder.rglob("*.sql")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    ]
    return sorted(found)


def translate_folder(
    folder: Path,
    *,
    out_dir: Path,
    dialect: str = "duckdb",
    schema: Schema | None = None,
    model: Any = None,
    on_outcome: Callable[[ModelOutcome], None] | None = None,
) -> list[ModelOutcome]:
    """Translate every ``.sql`` file of ``folder``; one Ibis module per translated model.

    A module is written (atomically, beside nothing else) only for a model that translated;
    a model that failed leaves any module an earlier run wrote for it in place.
    """
    outcomes = []
    for path in sql_files(folder):
        outcome = translate_model(
            path, folder, out_dir, dialect=dialect, schema=schema, model=model
        )
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return outcomes


def translate_model(
    path: Path,
    folder: Path,
    out_dir: Path,
    *,
    dialect: str = "duckdb",
    schema: Schema | None = None,
    model: Any = None,
) -> ModelOutcome:
    """One file's outcome; never raises for what is wrong with the file or its SQL."""
    from ibert_inference.schema.infer_sql import SchemaInferenceError
    from ibert_inference.tasks.sql_to_ibis import from_sql

    name = path.relative_to(folder).as_posix()
    try:
        sql = _read_model(path)
        result = from_sql(sql, schema=schema, dialect=dialect, model=model)
    except SchemaInferenceError as exc:
        return ModelOutcome(name, "refused", f"schema inference: {exc}", _inference_cause(exc))
    except UnsupportedSQLError as exc:
        return ModelOutcome(name, "refused", str(exc), refused_construct(str(exc)))
    except SQLParseError as exc:
        return ModelOutcome(name, "refused", str(exc), "invalid SQL")
    except IbertError as exc:  # an unreadable file
        return ModelOutcome(name, "refused", str(exc), type(exc).__name__)
    except Exception as exc:  # a bug, not the model's fault: counted, never hidden
        return ModelOutcome(name, "failed", f"{type(exc).__name__}: {exc}", type(exc).__name__)
    inferred = result.details.get("inferred_schema")
    module = None
    if result.output:
        target = out_dir / Path(name).with_suffix(".py")
        _write_atomically(target, ibis_module(result.output, inferred or schema, name, result))
        module = _shortest(target, out_dir)
    if result.verified:
        return ModelOutcome(name, "verified", "", "verified", module, inferred)
    reason = str(result.details.get("reason") or result.details.get("unsupported") or "")
    if not result.output:
        return ModelOutcome(name, "refused", reason, refused_construct(reason), None, inferred)
    verification = result.details.get("verification") or {}
    cause = str(verification.get("status") or "unverified")
    return ModelOutcome(name, "unverified", reason, cause, module, inferred)


def _shortest(target: Path, out_dir: Path) -> str:
    """The module's path as the user named the output folder (``ibis/orders.py``)."""
    return (Path(out_dir.name) / target.relative_to(out_dir)).as_posix()


def _read_model(path: Path) -> str:
    size = path.stat().st_size
    if size > MAX_MODEL_BYTES:
        raise IbertError(f"the file is {size:,} bytes; the limit is {MAX_MODEL_BYTES:,}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IbertError(f"not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise IbertError("the file is empty")
    return text


def ibis_module(code: str, schema: Schema | None, name: str, result: Any) -> str:
    """A Python module that defines the model's tables (unbound) and assigns ``result``."""
    status = "verified" if result.verified else "NOT verified"
    lines = [
        f'"""{name} in Ibis ({status} against the SQL on generated databases)."""',
        "",
        "import ibis",
        "from ibis import _",
        "",
    ]
    for table, columns in (schema or {}).items():
        fields = ", ".join(f"{column!r}: {dtype!r}" for column, dtype in columns.items())
        variable = table if table.isidentifier() else re.sub(r"\W", "_", table)
        lines.append(f"{variable} = ibis.table({{{fields}}}, name={table!r})")
    lines += ["", code.rstrip("\n"), ""]
    return "\n".join(lines)


def _write_atomically(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


_CONSTRUCT = re.compile(r"cannot translate (.+?) at (?:line \d+, column \d+|unknown position)")


def refused_construct(reason: str) -> str:
    """The construct a refusal names (``cannot translate X at line ...``), else its first words.

    >>> refused_construct("cannot translate WITH RECURSIVE at line 1, column 6: x")
    'WITH RECURSIVE'
    """
    match = _CONSTRUCT.search(reason)
    if match:
        return re.sub(r" \(Ibis: .*", "", match.group(1))[:60]
    return " ".join(reason.split()[:6])[:60]


def _inference_cause(exc: Exception) -> str:
    """``schema inference: no column of table '…' is named in the query``: names left out, so
    that models that failed alike count together."""
    text = str(exc)
    inner = re.search(r"inferred from the query \((.*)\): pass", text)
    text = re.sub(r"'[^']*'", "'…'", inner.group(1) if inner else text)
    return "schema inference: " + " ".join(text.split(":")[0].split()[:12])


def summary_table(outcomes: list[ModelOutcome], *, causes: int = 8) -> str:
    """Counts and shares per status, then the most common causes of each non-verified status."""
    total = len(outcomes) or 1
    counts = Counter(outcome.status for outcome in outcomes)
    rows = [("status", "models", "share")]
    rows += [(s, str(counts[s]), f"{100 * counts[s] / total:.1f} %") for s in STATUSES]
    rows.append(("total", str(len(outcomes)), ""))
    lines = _table(rows)
    for status in STATUSES[1:]:
        by_cause = Counter(o.cause for o in outcomes if o.status == status)
        if not by_cause:
            continue
        lines += ["", f"{status}, by cause:"]
        lines += _table([(cause, str(n)) for cause, n in by_cause.most_common(causes)])
        if len(by_cause) > causes:
            rest = sum(n for _, n in by_cause.most_common()[causes:])
            lines.append(f"  ... {len(by_cause) - causes} more causes, {rest} models")
    return "\n".join(lines)


def _table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def _one_line(text: str) -> str:
    return " ".join(text.split())
