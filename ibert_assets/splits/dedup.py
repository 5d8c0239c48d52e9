"""Exact and near-duplicate detection over records.

Exact duplicates (same task and normalized input + target) are dropped. Near duplicates (MinHash
over token shingles, estimated Jaccard >= threshold) are kept but clustered, so that the split
assignment puts a whole cluster in one split: a variant never leaks its twin into another split.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from scipy.cluster.hierarchy import DisjointSet

from ibert_inference.dataset.record import Record

_TOKEN = re.compile(r"\w+|[^\w\s]")


def _fold(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(value.lower().split())
    if isinstance(value, dict):
        return {k: _fold(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_fold(v) for v in value]
    return value


def normalized_text(record: Record) -> str:
    """Task, input and target as one string, every text lowercased and whitespace-folded."""
    fields = [record.task, record.input.to_dict(), record.target.to_dict()]
    return json.dumps(_fold(fields), sort_keys=True)


def normalized_input(record: Record) -> str:
    return json.dumps(_fold(record.input.to_dict()), sort_keys=True)


def shingles(text: str, size: int = 5) -> set[str]:
    """Overlapping runs of ``size`` tokens; short texts give one shingle of all their tokens."""
    tokens = _TOKEN.findall(text)
    if len(tokens) <= size:
        return {" ".join(tokens)}
    # zipped shifted token lists (the shorter ones end it): two thirds of the time of slicing
    # out each run
    return set(map(" ".join, zip(*(tokens[i:] for i in range(size)), strict=False)))


@dataclass
class DedupResult:
    """Unique records, the near-duplicate cluster of each (by record id), and counters."""

    records: list[Record]
    cluster_of: dict[str, str]
    counts: Counter[str] = field(default_factory=Counter)


def deduplicate(
    records: Iterable[Record],
    *,
    threshold: float = 0.8,
    num_perm: int = 128,
    shingle_size: int = 5,
) -> DedupResult:
    """Drop exact duplicates; cluster near duplicates (deterministic: records are taken by id)."""
    from datasketch import MinHash, MinHashLSH

    ordered = sorted(records, key=lambda r: r.id)
    counts: Counter[str] = Counter(input=len(ordered))
    seen_exact: set[str] = set()
    unique: list[Record] = []
    texts: list[str] = []
    for record in ordered:
        text = normalized_text(record)
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest in seen_exact:
            counts["exact_duplicates"] += 1
            continue
        seen_exact.add(digest)
        unique.append(record)
        texts.append(text)

    # LSH only proposes candidates (it needs a threshold below ~0.9 to have bands); the exact
    # estimated Jaccard of each candidate is compared with ``threshold`` below.
    lsh = MinHashLSH(threshold=min(max(threshold - 0.1, 0.1), 0.85), num_perm=num_perm)
    signatures: dict[str, Any] = {}
    clusters: DisjointSet[str] = DisjointSet()

    # in bulk: one set of permutations for every signature (a fresh MinHash draws its own), and
    # CRC-32 for the shingles, a third of the time of datasketch's default SHA-1 and as good here
    batches = ([shingle.encode() for shingle in shingles(text, shingle_size)] for text in texts)
    signatures_in_order = MinHash.bulk(batches, num_perm=num_perm, hashfunc=zlib.crc32)
    for record, signature in zip(unique, signatures_in_order, strict=True):
        key = record.id
        clusters.add(key)
        for other in lsh.query(signature):
            if signatures[other].jaccard(signature) >= threshold:
                clusters.merge(key, other)
                counts["near_duplicate_links"] += 1
        lsh.insert(key, signature)
        signatures[key] = signature
    cluster_of = {key: clusters[key] for key in clusters}
    counts["clusters"] = len(set(cluster_of.values()))
    counts["output"] = len(unique)
    return DedupResult(records=unique, cluster_of=cluster_of, counts=counts)
