"""The repositories file: one repository per line, ``url|name|dir1,dir2``, ``#`` comments.

>>> spec = parse_repo_line("https://github.com/ibis-project/ibis|ibis|docs,ibis", line=1)
>>> spec.name, spec.dirs
('ibis', ('docs', 'ibis'))
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from ibert_inference.errors import IbertError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class RepoSpecError(IbertError):
    """A line of the repositories file is malformed."""


@dataclass(frozen=True)
class RepoSpec:
    """One repository to mine: where to clone it from, its partition name, which folders to read."""

    url: str
    name: str
    dirs: tuple[str, ...] = ()


def parse_repo_line(text: str, *, line: int, source: str = "repos.txt") -> RepoSpec | None:
    """Parse one line; None for blank lines and comments."""
    text = text.split("#", 1)[0].strip() if not text.lstrip().startswith("#") else ""
    if not text:
        return None
    parts = [part.strip() for part in text.split("|")]
    if len(parts) > 3 or not parts[0]:
        raise RepoSpecError(
            f"{source}:{line}: expected 'url|name|dir1,dir2' (name and dirs optional), got {text!r}"
        )
    url = parts[0]
    name = parts[1] if len(parts) > 1 and parts[1] else _name_from_url(url)
    if not _NAME.match(name):
        raise RepoSpecError(
            f"{source}:{line}: repository name {name!r} must be letters, digits, '.', '_' or '-'"
        )
    dirs = (
        tuple(d.strip().strip("/") for d in parts[2].split(",") if d.strip())
        if len(parts) > 2
        else ()
    )
    return RepoSpec(url=url, name=name, dirs=dirs)


def load_repo_specs(path: str | os.PathLike[str]) -> list[RepoSpec]:
    """Every repository of the file, in file order; duplicate names are an error (no file: none)."""
    path = Path(path)
    if not path.exists():
        return []
    specs: list[RepoSpec] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        spec = parse_repo_line(raw, line=number, source=str(path))
        if spec is None:
            continue
        if spec.name in seen:
            raise RepoSpecError(
                f"{path}:{number}: repository name {spec.name!r} already used on line "
                f"{seen[spec.name]}; give one of them another name with 'url|name'"
            )
        seen[spec.name] = number
        specs.append(spec)
    return specs


def _name_from_url(url: str) -> str:
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    tail = tail.removesuffix(".git")
    return re.sub(r"[^A-Za-z0-9_.-]", "-", tail) or "repo"


def repo_names(path: str | os.PathLike[str]) -> list[str]:
    """One partition per repository of the repositories file."""
    return [spec.name for spec in load_repo_specs(path)]


REPO_PARTITIONS = "repositories"  # the dynamic partitions' name in the instance


def repo_partitions(path: str | os.PathLike[str]) -> dg.StaticPartitionsDefinition:
    """Static, computed when the definitions are built (see ibert_assets.partitions for why)."""
    return dg.StaticPartitionsDefinition(repo_names(path))
