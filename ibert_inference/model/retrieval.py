"""A small BM25 index over passages about Ibis: the shipped corpus plus mined documentation.

Passages come from JSONL files of two shapes: corpus passages ``{id, title, text, source}`` and
dataset records of task ``qa`` (``input.question``, ``target.answer``, ``provenance``), as the
``docs_examples`` asset writes them in the dataset store (``StoreLayout.docs_examples()``).

>>> index = PassageIndex([Passage("a", "Filtering rows", "Use filter to keep rows.", "x"),
...                       Passage("b", "Joins", "Join two tables on a key.", "y")])
>>> [hit.passage.id for hit in index.search("how do I keep only some rows?", k=1)]
['a']
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ibert_inference.dataset.layout import StoreLayout
from ibert_inference.errors import DataStoreError

CORPUS_DIR = Path(__file__).parent / "corpus"
TITLE_WEIGHT = 2
"""Title words count this many times: a title says what the passage is about."""

_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from",
        "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "of", "on", "or", "so",
        "that", "the", "their", "them", "then", "there", "these", "this", "to", "use", "used",
        "using", "what", "when", "where", "which", "with", "without", "you", "your", "want",
        "get", "way",
    }
)  # fmt: skip
# Everyday words a question uses for what Ibis calls by its own name.
_SYNONYMS = {
    "keep": "filter",
    "remove": "filter drop",
    "rows": "row filter",
    "where": "filter",
    "sort": "order_by order",
    "sorted": "order_by order",
    "order": "order_by",
    "group": "group_by aggregate",
    "grouped": "group_by",
    "per": "group_by",
    "each": "group_by",
    "every": "group_by",
    "category": "group_by",
    "name": "rename",
    "count": "count aggregate",
    "total": "sum aggregate",
    "sum": "aggregate",
    "average": "mean aggregate",
    "avg": "mean",
    "combine": "join union",
    "merge": "join",
    "rename": "rename",
    "sql": "sql to_sql compile",
    "compile": "to_sql",
    "null": "null missing",
    "missing": "null",
    "nan": "null",
    "dates": "date timestamp",
    "time": "timestamp",
    "connect": "connect backend",
    "database": "backend connect",
    "top": "limit order_by",
    "first": "limit head",
    "unique": "distinct",
    "duplicates": "distinct",
    "running": "window cumulative",
    "rank": "rank window",
    "pivot": "pivot_wider",
    "column": "column select",
    "columns": "column select",
    "new": "mutate",
    "add": "mutate",
    "derived": "mutate",
    "lazy": "deferred execute",
    "run": "execute",
}


@dataclass(frozen=True)
class Passage:
    """One retrievable passage and where it came from."""

    id: str
    title: str
    text: str
    source: str


@dataclass(frozen=True)
class Hit:
    """A passage with its BM25 score for one query."""

    passage: Passage
    score: float


def tokenize(text: str) -> list[str]:
    """Lower-case, lightly stemmed words without stopwords; ``group_by`` also yields its parts.

    >>> tokenize("How do I use group_by on orders?")
    ['group_by', 'group', 'order']
    """
    tokens = []
    for raw in re.findall(r"[A-Za-z0-9_]+", text.lower()):
        parts = [part for part in raw.split("_") if part]
        if len(parts) > 1:
            tokens.append(raw.strip("_"))
        for part in parts:
            for word in _WORD.findall(part):
                if word not in _STOPWORDS:
                    tokens.append(_stem(word))
    return tokens


def _stem(word: str) -> str:
    """A light suffix strip so that 'joins', 'joined' and 'joining' meet 'join'."""
    for suffix in ("ing", "ed", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _query_terms(question: str) -> list[str]:
    terms = tokenize(question)
    for word in re.findall(r"[a-z]+", question.lower()):
        if word in _SYNONYMS:
            terms.extend(tokenize(_SYNONYMS[word]))
    return terms


class PassageIndex:
    """Okapi BM25 (k1=1.5, b=0.75) over passage titles and texts."""

    def __init__(self, passages: Sequence[Passage], *, k1: float = 1.5, b: float = 0.75):
        self.passages = list(passages)
        self.k1, self.b = k1, b
        self._frequencies: list[Counter[str]] = []
        for passage in self.passages:
            terms = tokenize(passage.title) * TITLE_WEIGHT + tokenize(passage.text)
            self._frequencies.append(Counter(terms))
        self._lengths = [sum(counts.values()) for counts in self._frequencies]
        self._average_length = (sum(self._lengths) / len(self._lengths)) if self._lengths else 0.0
        document_frequency: Counter[str] = Counter()
        for counts in self._frequencies:
            document_frequency.update(counts.keys())
        count = len(self.passages)
        self._idf = {
            term: math.log(1 + (count - df + 0.5) / (df + 0.5))
            for term, df in document_frequency.items()
        }

    def search(self, question: str, *, k: int = 3) -> list[Hit]:
        """The ``k`` best passages with a positive score, best first."""
        terms = Counter(_query_terms(question))
        scored = []
        for position, counts in enumerate(self._frequencies):
            score = 0.0
            norm = self.k1 * (1 - self.b + self.b * self._lengths[position] / self._average_length)
            for term, query_count in terms.items():
                frequency = counts.get(term, 0)
                if frequency:
                    weight = self._idf[term] * frequency * (self.k1 + 1) / (frequency + norm)
                    score += weight * (1 + math.log(query_count))
            if score > 0:
                scored.append(Hit(self.passages[position], score))
        scored.sort(key=lambda hit: (-hit.score, hit.passage.id))
        return scored[:k]


def default_corpus(store: StoreLayout | None = None) -> list[Path]:
    """The shipped corpus, plus the ``docs_examples`` of ``store`` (default: ``data/``) when
    that is a folder on this machine."""
    paths = sorted(CORPUS_DIR.glob("*.jsonl"))
    store = store or StoreLayout()
    docs = store.on_disk(store.docs_examples())
    if docs is not None and docs.is_dir():
        paths.append(docs)
    return paths


def load_passages(paths: Iterable[Path | str]) -> list[Passage]:
    """Passages from JSONL files or folders of them (searched recursively), deduplicated by id."""
    passages: dict[str, Passage] = {}
    for path in map(Path, paths):
        files = sorted(path.rglob("*.jsonl")) if path.is_dir() else [path]
        # rejected records sit beside the kept ones and must not answer questions
        files = [file for file in files if not file.name.endswith(".rejects.jsonl")]
        for file in files:
            for passage in _passages_of(file):
                passages.setdefault(passage.id, passage)
    return list(passages.values())


def _passages_of(file: Path) -> Iterator[Passage]:
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DataStoreError(f"{file}: cannot read passages ({exc.strerror})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataStoreError(f"{file}:{number}: invalid JSON ({exc.msg})") from None
        passage = passage_from_json(data)
        if passage is not None:
            yield passage


def passage_from_json(data: dict[str, Any]) -> Passage | None:
    """A passage from a corpus line or a ``qa`` dataset record; None for other records."""
    if "text" in data and "title" in data:
        return Passage(str(data["id"]), data["title"], data["text"], str(data.get("source", "")))
    if data.get("task") != "qa":
        return None
    question = (data.get("input") or {}).get("question")
    answer = (data.get("target") or {}).get("answer")
    if not question or not answer:
        return None
    source = _source_of(data.get("provenance") or {})
    return Passage(str(data.get("id", question)), question, answer, source)


def _source_of(provenance: dict[str, Any]) -> str:
    """A link to the lines a record was mined from, as far as the provenance tells."""
    url = str(provenance.get("url") or provenance.get("repo") or "").removesuffix(".git")
    path = provenance.get("path")
    if not path:
        return url
    lines = ""
    if provenance.get("line_start"):
        lines = (
            f"#L{provenance['line_start']}-L{provenance.get('line_end', provenance['line_start'])}"
        )
    if url.startswith("https://") and provenance.get("commit"):
        return f"{url}/blob/{provenance['commit']}/{path}{lines}"
    return f"{url}/{path}{lines}".lstrip("/")


@lru_cache(maxsize=8)
def _cached_index(key: tuple[tuple[str, float], ...]) -> PassageIndex:
    return PassageIndex(load_passages(path for path, _ in key))


def passage_index(paths: Iterable[Path | str]) -> PassageIndex:
    """The index over ``paths``, rebuilt only when a file or folder changed."""
    key = tuple(
        (str(path), Path(path).stat().st_mtime if Path(path).exists() else 0.0) for path in paths
    )
    missing = [path for path, mtime in key if not Path(path).exists()]
    if missing:
        raise DataStoreError(f"corpus path not found: {missing[0]}")
    return _cached_index(key)
