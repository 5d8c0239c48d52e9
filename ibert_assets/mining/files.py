"""Which files of a snapshot are read, and why the others are skipped (every skip counted)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_FILE_BYTES = 1_000_000
MINED_SUFFIXES = frozenset({".py", ".ipynb", ".sql", ".md", ".qmd", ".rst"})


@dataclass(frozen=True)
class SourceFile:
    """A text file of the repository, read and decoded, never executed."""

    path: str
    suffix: str
    text: str


def read_source_files(
    root: str | os.PathLike[str],
    paths: Iterable[str],
    skipped: Counter[str],
    *,
    max_bytes: int = MAX_FILE_BYTES,
) -> Iterator[SourceFile]:
    """Yield the minable files among ``paths`` (relative to ``root``), counting each skip by reason.

    Reasons: ``unsupported_type``, ``symlink_outside_repo``, ``too_large``, ``binary``, ``missing``.
    """
    root_path = Path(root).resolve()
    for relative in paths:
        suffix = Path(relative).suffix.lower()
        if suffix not in MINED_SUFFIXES:
            skipped["unsupported_type"] += 1
            continue
        full = root_path / relative
        if full.is_symlink():
            resolved = full.resolve()
            if not resolved.is_relative_to(root_path):
                skipped["symlink_outside_repo"] += 1
                continue
        if not full.is_file():
            skipped["missing"] += 1
            continue
        if full.stat().st_size > max_bytes:
            skipped["too_large"] += 1
            continue
        data = full.read_bytes()
        if b"\0" in data[:8192]:
            skipped["binary"] += 1
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            skipped["binary"] += 1
            continue
        yield SourceFile(path=relative, suffix=suffix, text=text)
