"""A small BM25 index over passages about Ibis: the shipped corpus plus mined documentation.

Passages come from JSONL files of three shapes: corpus passages ``{id, title, text, source}``,
and the two kinds of record the ``docs_examples`` asset writes in the dataset store
(``StoreLayout.docs_examples()``): ``qa`` records (``input.question``, ``target.answer``) and
``documentation`` records (``input.function``, ``target.docstring``), each with the link to the
lines it was mined from (``provenance``). All of them are ranked together, in one index.

A search may take the asker's context (their code, their situation) besides the question: its
words count, all together, at most :data:`CONTEXT_WEIGHT` of what the question's words count,
so the context steers between passages the question finds and never drowns the question.

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
from ibert_inference.dataset.record import (
    DocumentationInput,
    DocumentationTarget,
    QaInput,
    QaTarget,
    Record,
)
from ibert_inference.errors import DataStoreError

CORPUS_DIR = Path(__file__).parent / "corpus"
TITLE_WEIGHT = 2
"""Title words count this many times: a title says what the passage is about."""
CONTEXT_WEIGHT = 0.3
"""What the context's words weigh, together, next to the question's words (1)."""
MAX_DOCSTRING_CHARS = 2_000
"""A mined docstring longer than this is cut: its beginning says what the function does."""

_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from",
        "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "of", "on", "or", "so",
        "that", "the", "their", "them", "then", "there", "these", "this", "to", "use", "used",
        "using", "what", "when", "where", "which", "with", "without", "you", "your", "want",
        "get", "way", "should", "would", "could", "will", "here", "need", "just",
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

    def search(self, question: str, *, k: int = 3, context: str | None = None) -> list[Hit]:
        """The ``k`` best passages with a positive score, best first.

        ``context`` words weigh :data:`CONTEXT_WEIGHT` of the question's, all together: with
        many distinct words, each weighs less.
        """
        terms = {
            term: 1 + math.log(count) for term, count in Counter(_query_terms(question)).items()
        }
        if context:
            extra = Counter(t for t in _query_terms(context) if t not in terms)
            share = CONTEXT_WEIGHT * (min(1.0, len(terms) / len(extra)) if terms else 1.0)
            terms |= {term: share * (1 + math.log(count)) for term, count in extra.items()}
        scored = []
        for position, counts in enumerate(self._frequencies):
            score = 0.0
            norm = self.k1 * (1 - self.b + self.b * self._lengths[position] / self._average_length)
            for term, query_weight in terms.items():
                frequency = counts.get(term, 0)
                if frequency:
                    weight = self._idf[term] * frequency * (self.k1 + 1) / (frequency + norm)
                    score += weight * query_weight
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
    """Passages from JSONL files or folders of them (searched recursively), deduplicated by id
    and by content (the same docstring mined from several backends is one passage)."""
    passages: dict[str, Passage] = {}
    contents: set[tuple[str, str]] = set()
    for path in map(Path, paths):
        files = sorted(path.rglob("*.jsonl")) if path.is_dir() else [path]
        # rejected records sit beside the kept ones and must not answer questions
        files = [file for file in files if not file.name.endswith(".rejects.jsonl")]
        for file in files:
            for passage in _passages_of(file):
                if passage.id in passages or (passage.title, passage.text) in contents:
                    continue
                passages[passage.id] = passage
                contents.add((passage.title, passage.text))
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
        passage = passage_from_json(data, where=f"{file}:{number}")
        if passage is not None:
            yield passage


def passage_from_json(data: dict[str, Any], *, where: str = "corpus") -> Passage | None:
    """A passage from a corpus line, a ``qa`` or a ``documentation`` record; else None. A
    record is validated first: a malformed one is a :class:`RecordError` naming ``where``.

    >>> passage_from_json({"id": "d1", "title": "t", "text": "x"}).title
    't'
    """
    if "text" in data and "title" in data:
        return Passage(str(data["id"]), data["title"], data["text"], str(data.get("source", "")))
    if data.get("task") not in PASSAGE_TASKS:
        return None
    return passage_of(Record.from_dict(data, where=where))


PASSAGE_TASKS = ("qa", "documentation")
"""The tasks whose records are passages."""


def passage_of(record: Record) -> Passage | None:
    """A ``qa`` record's question and answer, or a documented function's docstring, as a
    passage; None for other records and for ones with nothing to say.

    >>> from ibert_inference.dataset.record import make_id
    >>> given = {"code": "def pivot_wider(self): ...", "function": "pivot_wider"}
    >>> wanted = {"docstring": "Pivot a table to a wider format.\\n\\nMore."}
    >>> passage_of(Record(id=make_id("documentation", given, wanted), task="documentation",
    ...     input=given, target=wanted, meta={"source": "docs"})).title
    'pivot_wider: Pivot a table to a wider format.'
    """
    given, wanted = record.input, record.target
    if isinstance(given, QaInput) and isinstance(wanted, QaTarget):
        title, text = given.question, wanted.answer
    elif isinstance(given, DocumentationInput) and isinstance(wanted, DocumentationTarget):
        docstring = wanted.docstring.strip()
        if not docstring or not given.function:
            return None
        title = f"{given.function}: {docstring.splitlines()[0].strip()}"
        text = docstring[:MAX_DOCSTRING_CHARS]
    else:
        return None
    if not title or not text:
        return None
    provenance = record.provenance.model_dump(exclude_unset=True) if record.provenance else {}
    return Passage(record.id, title, text, _source_of(provenance))


def _source_of(provenance: dict[str, Any]) -> str:
    """A link to the lines a record was mined from, as far as the provenance tells.

    >>> _source_of({"url": "https://github.com/o/r.git", "commit": "abc", "path": "a.py",
    ...             "line_start": 3, "line_end": 9})
    'https://github.com/o/r/blob/abc/a.py#L3-L9'
    >>> _source_of({"package": "ibis-framework", "version": "12.0.0", "path": "ibis/x.py",
    ...             "url": "https://pypi.org/project/ibis-framework/12.0.0/", "line_start": 3,
    ...             "line_end": 9})
    'ibis-framework 12.0.0, ibis/x.py lines 3-9 (https://pypi.org/project/ibis-framework/12.0.0/)'
    """
    url = str(provenance.get("url") or provenance.get("repo") or "").removesuffix(".git")
    path = provenance.get("path")
    if not path:
        return url
    start = provenance.get("line_start")
    end = provenance.get("line_end", start)
    if provenance.get("package") and provenance.get("version"):  # an installed release
        lines = f" lines {start}-{end}" if start else ""
        page = f" ({url})" if url else ""
        return f"{provenance['package']} {provenance['version']}, {path}{lines}{page}"
    anchor = f"#L{start}-L{end}" if start else ""
    if url.startswith("https://") and provenance.get("commit"):
        return f"{url.rstrip('/')}/blob/{provenance['commit']}/{path}{anchor}"
    return f"{url}/{path}{anchor}".lstrip("/")


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
