"""Few-shot demonstrations: the k verified training examples of a task nearest to a request.

Nearness is structural. SQL is parsed with sqlglot and described by its syntax-tree node types
and parent->child edges (names and literal values left out, so ``WHERE amount > 10`` and
``WHERE age > 30`` look alike); Ibis code by the methods it calls, their chaining order and its
Python syntax-tree edges. Identifiers count too, at a low weight, so that among queries of the
same shape those over the same tables come first. Scores are TF-IDF cosine similarities over
those features, through an inverted index.

>>> from ibert_inference.dataset.record import make_id
>>> def pair(sql: str) -> Record:
...     given, wanted = {"sql": sql}, {"ibis": "result = t"}
...     return Record(id=make_id("sql_to_ibis", given, wanted), task="sql_to_ibis",
...                   input=given, target=wanted, meta={"source": "template"})
>>> grouped = pair("SELECT k, COUNT(*) AS n FROM t GROUP BY k")
>>> index = ExampleIndex("sql_to_ibis", [pair("SELECT x FROM t WHERE y > 1"), grouped])
>>> index.nearest("SELECT dept, COUNT(*) AS c FROM emp GROUP BY dept", k=1) == [grouped]
True
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import json
import math
import os
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ibert_inference.dataset.layout import StoreLayout
from ibert_inference.dataset.record import Record, records_from_lines
from ibert_inference.schema.tables import Schema

if TYPE_CHECKING:
    from ibert_inference.model.prompts import Demonstration

Features = defaultdict[str, float]
"""Feature -> weight (a count, or a fraction of one for names)."""
FEATURES_VERSION = 1
"""Raise when the features change: cached indexes of older versions are then not read."""
NAME_WEIGHT = 0.3
"""Identifiers and words weigh this much beside one structural feature."""
QUERY_FIELD = {
    "sql_to_ibis": "sql",
    "ibis_to_sql": "ibis",
    "code_completion": "prefix",
    "error_resolution": "code",
    "documentation": "code",
    "qa": "question",
}
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LOWER_WORD = re.compile(r"[a-z]+")
_CALL = re.compile(r"\.\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_ERROR_TYPE = re.compile(r"\b([A-Z][A-Za-z]*(?:Error|Exception))\b")


def sql_features(sql: str) -> Features:
    """Node types and parent->child edges of the SQL's syntax tree, plus its identifiers.

    >>> sorted(f for f in sql_features("SELECT a FROM t WHERE a > 1") if f.startswith("edge:"))[:3]
    ['edge:From>Table', 'edge:GT>Column', 'edge:GT>Number']
    """
    import sqlglot
    from sqlglot import exp

    features: Features = defaultdict(float)
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.SqlglotError:
        return _words(sql)  # unparseable: words are all there is
    for node in tree.walk():
        if isinstance(node, exp.Identifier):
            features[f"name:{node.name.lower()}"] += NAME_WEIGHT
            continue
        kind = type(node).__name__
        if isinstance(node, exp.Literal):
            kind = "String" if node.is_string else "Number"
        features[f"node:{kind}"] += 1
        parent = node.parent
        if parent is not None:
            features[f"edge:{type(parent).__name__}>{kind}"] += 1
            if parent.parent is not None:
                grand = type(parent.parent).__name__
                features[f"path:{grand}>{type(parent).__name__}>{kind}"] += 1
    return features


def ibis_features(code: str) -> Features:
    """Methods called, consecutive calls of a chain, syntax-tree edges, names (Python source).

    Code that does not parse (a completion prefix cut mid-chain) is described by the method
    calls found in its text.

    >>> feats = ibis_features("result = t.filter(_.a > 1).group_by('k').agg(n=_.count())")
    >>> feats["call:group_by"], feats["chain:filter>group_by"], feats["chain:group_by>agg"]
    (1.0, 1.0, 1.0)
    """
    features: Features = defaultdict(float)
    try:
        tree = ast.parse(code)
    except SyntaxError:
        calls = _CALL.findall(code)
        for name in calls:
            features[f"call:{name}"] += 1
        for first, second in itertools.pairwise(calls):
            features[f"chain:{first}>{second}"] += 1
        return _merged(features, _words(code, NAME_WEIGHT))
    for node in ast.walk(tree):
        kind = type(node).__name__
        features[f"node:{kind}"] += 1
        for child in ast.iter_child_nodes(node):
            features[f"edge:{kind}>{type(child).__name__}"] += 1
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            features[f"call:{method}"] += 1
            inner = node.func.value
            if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute):
                features[f"chain:{inner.func.attr}>{method}"] += 1
        elif isinstance(node, ast.Attribute):
            features[f"name:{node.attr.lower()}"] += NAME_WEIGHT
        elif isinstance(node, ast.Name):
            features[f"name:{node.id.lower()}"] += NAME_WEIGHT
        elif isinstance(node, ast.keyword) and node.arg:
            features[f"name:{node.arg.lower()}"] += NAME_WEIGHT
    return features


def error_features(code: str, error: str | None = None) -> Features:
    """The code's features and the kind of error it raises."""
    features = ibis_features(code)
    for kind in _ERROR_TYPE.findall(error or ""):
        features[f"error:{kind}"] += 2
    return features


def _merged(features: Features, more: Features) -> Features:
    for feature, weight in more.items():
        features[feature] += weight
    return features


def _words(text: str, weight: float = 1.0) -> Features:
    features: Features = defaultdict(float)
    for word in _WORD.findall(text):
        features[f"word:{word.lower()}"] += weight
    return features


def query_features(task: str, given: dict[str, Any]) -> Features:
    """The features of a task's input: what the request and the training records share."""
    if task == "sql_to_ibis":
        return sql_features(given.get("sql", ""))
    if task == "error_resolution":
        return error_features(given.get("code", ""), given.get("error"))
    if task == "qa":
        return _words(given.get("question", ""))
    return ibis_features(given.get(QUERY_FIELD.get(task, "code"), ""))


class ExampleIndex:
    """One task's training records, searchable by TF-IDF cosine over structural features."""

    def __init__(
        self,
        task: str,
        records: Iterable[Record],
        vectors: list[dict[str, float]] | None = None,
    ):
        """``vectors``: the records' features when already computed (one per record, in order)."""
        self.task = task
        self.records = [r for r in records if r.task == task]
        if vectors is None:
            vectors = [query_features(task, r.input.to_dict()) for r in self.records]
        self.vectors = vectors
        frequency: Counter[str] = Counter()
        for vector in vectors:
            frequency.update(vector.keys())
        count = max(len(vectors), 1)
        self._idf = {f: math.log((1 + count) / (1 + df)) + 1 for f, df in frequency.items()}
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._inputs = [_canonical(r.input.to_dict()) for r in self.records]
        self._instruction_words: list[frozenset[str]] | None = None
        for position, vector in enumerate(vectors):
            weights = self._weigh(vector)
            for feature, weight in weights.items():
                self._postings[feature].append((position, weight))

    def _weigh(self, vector: dict[str, float]) -> dict[str, float]:
        weights = {
            f: (1 + math.log(c) if c >= 1 else c) * self._idf.get(f, 0.0)
            for f, c in vector.items()
            if c > 0
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {f: w / norm for f, w in weights.items() if w}

    def nearest(self, query: str | dict[str, Any], *, k: int = 3) -> list[Record]:
        """The ``k`` most similar records, best first; a record with the very same input is
        never its own demonstration."""
        given = query if isinstance(query, dict) else {QUERY_FIELD.get(self.task, "code"): query}
        scores: dict[int, float] = defaultdict(float)
        for feature, weight in self._weigh(query_features(self.task, given)).items():
            for position, other in self._postings.get(feature, ()):
                scores[position] += weight * other
        same = _canonical(given)
        ranked = sorted(
            (p for p, s in scores.items() if s > 0 and self._inputs[p] != same),
            key=lambda p: (-scores[p], self.records[p].id),
        )
        return [self.records[p] for p in ranked[:k]]

    def nearest_instructions(self, instruction: str, schema: Schema, *, k: int) -> list[Record]:
        """The ``k`` records whose instructions ask for the most similar thing: the largest share
        of shared words, the words that name a table or column of the record's own schema (or
        of ``schema``, the request's) left out, so that the intent is compared, not the domain."""
        if self._instruction_words is None:
            self._instruction_words = [
                instruction_words(getattr(r.input, "instruction", None) or "", r.table_schemas)
                for r in self.records
            ]
        wanted = instruction_words(instruction, schema)
        if not wanted:
            return []
        scores = [
            (len(wanted & words) / len(wanted | words), position)
            for position, words in enumerate(self._instruction_words)
            if wanted & words
        ]
        scores.sort(key=lambda pair: (-pair[0], self.records[pair[1]].id))
        return [self.records[position] for _, position in scores[:k]]


def instruction_words(instruction: str, schema: Schema) -> frozenset[str]:
    """The words of an instruction that say what to compute, without the schema's names.

    >>> sorted(instruction_words("Total km per car, rentals with damage", {"rentals": {"km": "i"}}))
    ['car', 'damage', 'per', 'total', 'with']
    """
    known = {name.lower() for name in schema}
    known |= {part for table in schema.values() for c in table for part in c.lower().split("_")}
    return frozenset(w for w in _LOWER_WORD.findall(instruction.lower()) if w not in known)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


_INDEXES: dict[tuple[str, float, str], ExampleIndex] = {}
_INDEX_LOCK = threading.Lock()


def example_index(task: str, path: Path, cache: Path | None = None) -> ExampleIndex | None:
    """The index over a JSON Lines file of records, rebuilt when the file changes and kept in
    ``cache`` (iBERT's cache folder) between processes; None when there is no such file."""
    if not path.is_file():
        return None
    key = (str(path), path.stat().st_mtime, task)
    with _INDEX_LOCK:
        if key not in _INDEXES:
            _INDEXES[key] = _cached_on_disk(task, path, cache)
        return _INDEXES[key]


def _cached_on_disk(task: str, path: Path, cache: Path | None) -> ExampleIndex:
    """Parsing every training example's SQL or code takes milliseconds each, minutes for a full
    split: the task's records and their features are kept in the cache directory, per version
    of the file, so that a command-line request reads them instead."""
    if cache is None:
        return ExampleIndex(task, _read_records(path))
    stat = path.stat()
    version = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{task}|{FEATURES_VERSION}"
    name = hashlib.sha256(version.encode()).hexdigest()[:20]
    cached = cache / "demonstrations" / f"{task}-{name}.json"
    if cached.is_file():
        try:
            data = json.loads(cached.read_text(encoding="utf-8"))
            records = [Record.model_validate(record) for record in data["records"]]
            return ExampleIndex(task, records, data["vectors"])
        except (OSError, ValueError, KeyError, TypeError):
            pass  # a damaged cache file is rebuilt below
    index = ExampleIndex(task, _read_records(path))
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_name(f".{cached.name}.{os.getpid()}")
        stored = [record.to_dict() for record in index.records]
        temporary.write_text(json.dumps({"records": stored, "vectors": index.vectors}))
        os.replace(temporary, cached)
    except OSError:
        pass  # a read-only cache only costs time
    return index


def _read_records(path: Path) -> list[Record]:
    """The stored records of ``path``; a line that is not one is named (``path:line``)."""
    return records_from_lines(path.read_text(encoding="utf-8").splitlines(), f"{path}:{{}}")


def nearest_demonstrations(
    task: str,
    given: dict[str, Any],
    *,
    k: int,
    examples: Path,
    cache: Path | None = None,
    store: StoreLayout | None = None,
) -> list[Demonstration]:
    """The ``k`` verified records of ``task`` in the file ``examples`` nearest to ``given``, as
    demonstrations (a ``qa`` record's prompt cites passages of ``store``'s corpus, as serving
    does). No such file means none."""
    from ibert_inference.model.prompts import demonstration

    index = example_index(task, examples, cache) if k > 0 else None
    if index is None:
        return []
    return [demonstration(record, store=store) for record in index.nearest(given, k=k)]
