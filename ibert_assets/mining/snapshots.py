"""Repository snapshots: clone once into a cache, fetch later, record head, license and files.

A snapshot is also taken of an installed package (``installed:ibis`` in the repositories file):
its files as installed, its version standing for the commit (see ``installed.py``).
"""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from ibert_assets.errors import SourceUnreachableError
from ibert_assets.mining import installed
from ibert_assets.mining.repos import RepoSpec
from ibert_inference.errors import IbertError

# Ordered: the first family whose every marker appears in the license text wins.
_LICENSE_MARKERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Apache-2.0", ("apache license", "version 2.0")),
    ("AGPL-3.0", ("gnu affero general public license", "version 3")),
    ("LGPL-3.0", ("gnu lesser general public license", "version 3")),
    ("GPL-3.0", ("gnu general public license", "version 3")),
    ("GPL-2.0", ("gnu general public license", "version 2")),
    ("MPL-2.0", ("mozilla public license", "2.0")),
    ("BSD-3-Clause", ("redistribution and use", "neither the name")),
    ("BSD-2-Clause", ("redistribution and use", "this list of conditions")),
    ("MIT", ("permission is hereby granted, free of charge",)),
    ("ISC", ("permission to use, copy, modify, and/or distribute",)),
    ("Unlicense", ("this is free and unencumbered software",)),
)
_LICENSE_FILES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "COPYING", "COPYING.txt")


class RepositoryError(IbertError):
    """A repository cannot be read."""


class RepositoryUnreachableError(RepositoryError, SourceUnreachableError):
    """A repository cannot be cloned or fetched (no network, a wrong URL, a removed repository)."""

    kind = ("repository", "repositories")


@dataclass(frozen=True)
class Snapshot:
    """A repository at one commit, checked out in the cache."""

    repo: str
    url: str
    path: str
    commit: str
    license: str
    dirs: tuple[str, ...] = ()
    file_counts: dict[str, int] = field(default_factory=dict)
    previous_commit: str | None = None
    kind: str = "git"
    """``git`` (a clone in the cache) or ``installed`` (a package in site-packages)."""

    def to_json(self) -> dict[str, object]:
        return {
            "repo": self.repo,
            "url": self.url,
            "path": self.path,
            "commit": self.commit,
            "license": self.license,
            "dirs": list(self.dirs),
            "file_counts": dict(self.file_counts),
            "previous_commit": self.previous_commit,
            "kind": self.kind,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Snapshot:
        return cls(
            repo=str(data["repo"]),
            url=str(data["url"]),
            path=str(data["path"]),
            commit=str(data["commit"]),
            license=str(data.get("license", "NOASSERTION")),
            dirs=tuple(data.get("dirs") or ()),  # type: ignore[arg-type]
            file_counts=dict(cast("dict[str, int]", data.get("file_counts") or {})),
            previous_commit=data.get("previous_commit"),  # type: ignore[arg-type]
            kind=str(data.get("kind") or "git"),
        )


def snapshot_source(spec: RepoSpec, cache_dir: Path | None = None) -> Snapshot:
    """A snapshot of whatever the line names: an installed package, else a git repository
    cloned into ``cache_dir`` (the settings' ``clone_cache``)."""
    if installed.is_installed_url(spec.url):
        return snapshot_installed(spec)
    if cache_dir is None:
        raise ValueError(f"{spec.name}: a git repository needs a folder to be cloned into")
    return snapshot_repo(spec, cache_dir)


def snapshot_installed(spec: RepoSpec) -> Snapshot:
    """The installed package ``spec`` names, as it is in this environment (no network)."""
    distribution = installed.distribution_for(installed.package_name(spec))
    return Snapshot(
        repo=spec.name,
        url=installed.package_url(distribution),
        path=str(installed.site_root(distribution)),
        commit=installed.package_commit(distribution),
        license=installed.package_license(distribution),
        dirs=spec.dirs,
        file_counts=installed.count_installed_files(
            installed.installed_files(distribution, spec.dirs)
        ),
        kind="installed",
    )


def snapshot_files(snapshot: Snapshot) -> list[str]:
    """The snapshot's files (relative to its path), limited to its folders."""
    if snapshot.kind == "installed":
        name = snapshot.commit.split("==", 1)[0]
        return installed.installed_files(installed.distribution_for(name), snapshot.dirs)
    import git

    return tracked_files(git.Repo(snapshot.path), snapshot.dirs)


NO_NETWORK = "no network"  # the reason of a source unreachable for want of a network

# What git says when the machine cannot reach the host at all, as opposed to a wrong URL.
_NO_NETWORK = (
    "could not resolve host",
    "failed to connect",
    "connection refused",
    "connection timed out",
    "network is unreachable",
    "temporary failure in name resolution",
)


def snapshot_repo(spec: RepoSpec, cache_dir: Path) -> Snapshot:
    """Clone ``spec`` into the cache (or fetch it when already there) and describe its head.

    One attempt: the asset retries with Dagster's ``RetryPolicy``. A repository that cannot be
    cloned or fetched raises :class:`RepositoryUnreachableError`, which says which repository,
    what git said, and what to check.
    """
    import git

    target = cache_dir / spec.name
    previous = None
    try:
        if (target / ".git").exists():
            repo = git.Repo(target)
            previous = repo.head.commit.hexsha
            repo.remotes.origin.fetch(prune=True)
            remote_head = _remote_head(repo)
            repo.git.checkout("--force", "--detach", remote_head)
        else:
            if target.exists():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            repo = git.Repo.clone_from(spec.url, target, no_checkout=False)
    except (
        git.GitCommandError,
        git.InvalidGitRepositoryError,
        git.NoSuchPathError,
        ValueError,
    ) as exc:
        message = " ".join((getattr(exc, "stderr", "") or str(exc)).split())
        reason = NO_NETWORK if any(m in message.lower() for m in _NO_NETWORK) else message
        raise RepositoryUnreachableError(
            f"repository {spec.name!r} ({spec.url}) could not be cloned or fetched: {message} "
            "— check the URL in the repositories file and that the machine can reach it",
            reason=reason[:200],
        ) from None
    commit = repo.head.commit.hexsha
    return Snapshot(
        repo=spec.name,
        url=spec.url,
        path=str(target),
        commit=commit,
        license=detect_license(target),
        dirs=spec.dirs,
        file_counts=count_files(repo, spec.dirs),
        previous_commit=previous,
    )


def _remote_head(repo) -> str:
    origin = repo.remotes.origin
    try:
        return origin.refs.HEAD.reference.name
    except (TypeError, AttributeError, IndexError, ValueError):
        names = [ref.name for ref in origin.refs if not ref.name.endswith("/HEAD")]
        for preferred in ("origin/main", "origin/master"):
            if preferred in names:
                return preferred
        if not names:
            raise ValueError("the remote has no branches") from None
        return names[0]


def detect_license(root: Path) -> str:
    """SPDX id of the repository's license file, ``NOASSERTION`` when unknown or absent."""
    for name in _LICENSE_FILES:
        candidate = root / name
        if candidate.is_file():
            text = " ".join(candidate.read_text(encoding="utf-8", errors="replace").lower().split())
            for spdx, markers in _LICENSE_MARKERS:
                if all(marker in text for marker in markers):
                    return spdx
            return "NOASSERTION"
    return "NOASSERTION"


def tracked_files(repo, dirs: tuple[str, ...] = ()) -> list[str]:
    """Paths git tracks at the checked-out commit, limited to ``dirs`` when given."""
    paths = repo.git.ls_files("-z").split("\0")
    paths = [p for p in paths if p]
    if dirs:
        prefixes = tuple(d.rstrip("/") + "/" for d in dirs)
        paths = [p for p in paths if p.startswith(prefixes) or p in dirs]
    return sorted(paths)


def count_files(repo, dirs: tuple[str, ...] = ()) -> dict[str, int]:
    counts = Counter(Path(p).suffix.lower() or "(none)" for p in tracked_files(repo, dirs))
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def changed_files(repo_path: str, old: str, new: str) -> set[str] | None:
    """Files that differ between two commits; None when ``old`` is not in the history.

    Installed packages have no history: another version is None (everything is re-read).
    """
    import git

    if "==" in old or "==" in new:
        return None

    repo = git.Repo(repo_path)
    try:
        output = repo.git.diff("--name-only", "-z", old, new)
    except git.GitCommandError:
        return None
    return {p for p in output.split("\0") if p}
