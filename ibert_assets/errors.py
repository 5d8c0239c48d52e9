"""Errors of the Dagster side that the build treats apart from ordinary failures."""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from ibert_inference.errors import IbertError

# Metadata that marks a source as unreachable (on the observation of a skipped partition, or on
# the step failure when unreachable sources are errors), and what to call such sources.
UNREACHABLE_KEY = "ibert/unreachable"
SOURCE_KIND_KEY = "ibert/source_kind"
STATUS_KEY = "status"
UNREACHABLE_STATUS = "skipped: unreachable"


class SourceUnreachableError(IbertError):
    """An input source (a remote repository) cannot be reached.

    Its partition is skipped, not failed: the step succeeds without a materialization and
    records an observation whose ``status`` is ``skipped: unreachable`` (the UI shows the
    partition as missing, with the reason beside it); ``ibert-build`` says so in one line.
    Where unreachable sources are errors (``--strict``, the weekly re-mining) the step fails.
    ``reason`` is short ("no network", or what the source said) so that many can be grouped.
    """

    kind = ("source", "sources")  # what to call one of them, and several

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message

    def _marks(self) -> dict[str, str]:
        return {UNREACHABLE_KEY: self.reason, SOURCE_KIND_KEY: "/".join(self.kind)}

    def failure(self) -> dg.Failure:
        """The step failure Dagster shows, marked so that the build can tell it apart."""
        return dg.Failure(description=str(self), metadata=self._marks())

    def observations(
        self, assets: Iterable[dg.AssetKey], partition: str | None
    ) -> list[dg.AssetObservation]:
        """What the UI shows of a skipped partition on each asset it would have fed."""
        metadata = {STATUS_KEY: UNREACHABLE_STATUS, "error": str(self), **self._marks()}
        return [
            dg.AssetObservation(
                asset_key=key, partition=partition, description=str(self), metadata=metadata
            )
            for key in assets
        ]


def unreachable_marks(metadata: dict[str, object]) -> tuple[str, str] | None:
    """``(reason, source kind)`` of metadata marked unreachable (an observation's or a
    failure's), else None."""
    if UNREACHABLE_KEY not in metadata:
        return None
    reason, kind = metadata[UNREACHABLE_KEY], metadata.get(SOURCE_KIND_KEY, "")
    return str(getattr(reason, "value", reason)), str(getattr(kind, "value", kind))
