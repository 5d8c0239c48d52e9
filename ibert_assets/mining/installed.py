"""An installed Python package as a source to mine: always there, even with no network.

A ``repos.txt`` line ``installed:ibis|ibis-installed`` names the package by its import name (or
its distribution name, ``installed:ibis-framework``). Its files are those the distribution
installed (its ``RECORD``, the equivalent of ``git ls-files``), read from ``site-packages``; its
"commit" is ``<distribution>==<version>``, so provenance says which release every record came
from, and a re-mining of an unchanged version re-reads nothing.

>>> is_installed_url("installed:ibis"), is_installed_url("https://github.com/ibis-project/ibis")
(True, False)
"""

from __future__ import annotations

import importlib.metadata as metadata
from collections import Counter
from pathlib import Path

from ibert_assets.mining.repos import RepoSpec
from ibert_inference.errors import IbertError

INSTALLED_PREFIX = "installed:"
# Compiled files are not text; the rest is filtered by suffix when the files are read.
_NEVER_READ = (".pyc", ".pyo", ".so", ".pyd")


class PackageNotInstalledError(IbertError):
    """An ``installed:`` line names a package this Python environment does not have."""


def is_installed_url(url: str) -> bool:
    """True for the ``installed:<package>`` form of a repositories-file line."""
    return url.startswith(INSTALLED_PREFIX)


def distribution_for(package: str) -> metadata.Distribution:
    """The installed distribution of ``package`` (import name such as ``ibis``, or dist name)."""
    try:
        return metadata.distribution(package)
    except metadata.PackageNotFoundError:
        pass
    owners = metadata.packages_distributions().get(package, [])
    if owners:
        return metadata.distribution(owners[0])
    raise PackageNotInstalledError(
        f"repositories file names {INSTALLED_PREFIX}{package}, but no installed distribution "
        f"provides {package!r}: install it (pip install ...) or remove the line"
    )


def installed_files(distribution: metadata.Distribution, dirs: tuple[str, ...] = ()) -> list[str]:
    """Files the distribution installed under ``site-packages``, relative to it, sorted.

    Limited to ``dirs`` (folders or files relative to ``site-packages``) when given. Scripts
    installed outside ``site-packages`` (``../../../bin/...``) are not part of the package.
    """
    paths = [
        str(file)
        for file in distribution.files or ()
        if not str(file).startswith("..") and not str(file).endswith(_NEVER_READ)
    ]
    if dirs:
        prefixes = tuple(d.rstrip("/") + "/" for d in dirs)
        paths = [p for p in paths if p.startswith(prefixes) or p in dirs]
    return sorted(paths)


def site_root(distribution: metadata.Distribution) -> Path:
    """The ``site-packages`` folder the distribution's files are relative to."""
    return Path(str(distribution.locate_file(""))).resolve()


def package_license(distribution: metadata.Distribution) -> str:
    """The SPDX id the package declares (License-Expression, else License), else NOASSERTION."""
    for field in ("License-Expression", "License"):
        value = (distribution.metadata[field] or "").strip()
        # some packages put the whole license text in License: only a short id is an id
        if value and "\n" not in value and len(value) <= 40:
            return value
    return "NOASSERTION"


def package_commit(distribution: metadata.Distribution) -> str:
    """What stands for a commit: ``<distribution>==<version>``."""
    return f"{distribution.metadata['Name']}=={distribution.version}"


def package_url(distribution: metadata.Distribution) -> str:
    """The release's page on PyPI: where the installed files came from."""
    return f"https://pypi.org/project/{distribution.metadata['Name']}/{distribution.version}/"


def count_installed_files(paths: list[str]) -> dict[str, int]:
    counts = Counter(Path(p).suffix.lower() or "(none)" for p in paths)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def package_name(spec: RepoSpec) -> str:
    """The package an ``installed:`` spec names."""
    return spec.url.removeprefix(INSTALLED_PREFIX).strip()
