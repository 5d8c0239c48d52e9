"""The dataset store: one JSON Lines file per asset partition, ``<base>/<asset>/<partition>.jsonl``.

Built on Dagster's ``UPathIOManager``, so the base may be any fsspec URL (``s3://bucket/ibert``,
``memory://``, a local folder). Rejected examples go beside the records, in
``<partition>.rejects.jsonl``, where a person can read them. Records are written with
:meth:`Record.to_json` and read back as :class:`Record` (validated: a line that is not a record
is an error naming the file, the line and the field); other rows (snapshots, evaluation
scores) are plain JSON objects. Writes are atomic: the whole file is
serialized first, then put in place in one step (a rename on local disks, a single upload on
object stores), so a failed or killed run never leaves a truncated file where a good one was.
"""

from __future__ import annotations

import json
import os
import time
import typing
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import dagster as dg
from pydantic import Field

from ibert_assets.outcome import Outcome
from ibert_inference.dataset.layout import DEFAULT_BASE, StoreLayout
from ibert_inference.dataset.record import Record, records_from_lines
from ibert_inference.errors import DataStoreError

if TYPE_CHECKING:
    from upath import UPath


class MissingPartitionError(DataStoreError, FileNotFoundError):
    """A stored partition does not exist (a FileNotFoundError, so Dagster's
    ``allow_missing_partitions`` skips it where an input allows that)."""


@dataclass
class SplitDataset:
    """What an asset cut into named splits returns; stored as ``<base>/<asset>/<split>.jsonl``.

    One value for all splits, so they are cut from the same data by construction. A downstream
    asset reads one split with ``AssetIn(metadata={"split": "test"})``, or all of them as a dict.
    """

    splits: dict[str, Outcome]  # each split's records (and no rejects)

    @property
    def records(self) -> int:
        return sum(len(split.records) for split in self.splits.values())


def upath(location: str) -> UPath:
    from upath import UPath

    return UPath(location)


def partition_path(base: str, asset: str, partition: str, suffix: str = ".jsonl") -> UPath:
    return StoreLayout(base).partition(asset, partition, suffix)


def split_path(path: UPath, split: str) -> UPath:
    """``<base>/<asset>.jsonl`` -> ``<base>/<asset>/<split>.jsonl``."""
    return path.with_name(path.name.removesuffix(".jsonl")) / f"{split}.jsonl"


def rejects_path(path: UPath) -> UPath:
    return path.with_name(path.name.removesuffix(".jsonl") + ".rejects.jsonl")


def to_jsonl(rows: typing.Iterable[Record | dict[str, Any]]) -> str:
    return "".join(
        (row.to_json() if isinstance(row, Record) else json.dumps(row, default=str)) + "\n"
        for row in rows
    )


def write_atomic(path: UPath, text: str) -> None:
    """Put ``text`` at ``path`` in one step; the old file stays intact if anything fails first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.protocol in ("", "file", "local"):
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            with open(temporary.path, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary.path, path.path)
        finally:
            if os.path.exists(temporary.path):
                os.unlink(temporary.path)
    else:
        path.write_text(text, encoding="utf-8")  # a single put: object stores make it atomic


def read_jsonl(path: UPath) -> list[dict[str, Any]]:
    """Every row of a JSON Lines file; a broken line is an error naming the file and line."""
    if not path.exists():
        raise MissingPartitionError(
            f"{path} does not exist: materialize that partition first "
            "(ibert-build, or dagster asset materialize --select <asset> --partition <key>)"
        )
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise DataStoreError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
    return rows


def read_records(path: UPath) -> list[Record]:
    """Every record of a stored file; a line that is not a valid record is an error naming the
    file, the line and the field."""
    if not path.exists():
        raise MissingPartitionError(
            f"{path} does not exist: materialize that partition first "
            "(ibert-build, or dagster asset materialize --select <asset> --partition <key>)"
        )
    return records_from_lines(path.read_text(encoding="utf-8").splitlines(), f"{path}:{{}}")


def read_partition(base: str, asset: str, partition: str) -> list[Record]:
    return read_records(partition_path(base, asset, partition))


def read_rejects(base: str, asset: str, partition: str) -> list[dict[str, Any]]:
    path = rejects_path(partition_path(base, asset, partition))
    return read_jsonl(path) if path.exists() else []


def holds_records(annotation: Any) -> bool:
    """Whether an input annotation asks for records (``list[Record]``,
    ``dict[str, list[Record]]``) rather than plain rows (``list[dict]``)."""
    if annotation is Record:
        return True
    return any(holds_records(argument) for argument in typing.get_args(annotation))


class JsonlIOManager(dg.UPathIOManager):
    """Stores an :class:`Outcome` (records and rejects), a :class:`SplitDataset` or a list of
    rows as JSON Lines; reads records back as :class:`Record` where the input is annotated so."""

    extension = ".jsonl"

    def dump_to_path(self, context: dg.OutputContext, obj: Any, path: UPath) -> None:
        start = time.perf_counter()
        written = self._dump(obj, path)
        # read back by get_metadata, which handle_output calls next for the same output
        self._written = (written, time.perf_counter() - start)

    def _dump(self, obj: Any, path: UPath) -> dict[str, UPath]:
        """Write ``obj``; the files written, by what the metadata calls them."""
        if isinstance(obj, SplitDataset):
            # serialize every split before touching any: a bad record fails the run, not the store
            texts = {
                split_path(path, name): (to_jsonl(part.records), to_jsonl(part.rejects))
                for name, part in obj.splits.items()
            }
        elif isinstance(obj, Outcome):
            texts = {path: (to_jsonl(obj.records), to_jsonl(obj.rejects))}
        else:  # plain rows: a snapshot, evaluation scores
            texts = {path: (to_jsonl(obj), "")}
        for target, (records_text, rejects_text) in texts.items():
            write_atomic(target, records_text)
            write_atomic(rejects_path(target), rejects_text)
        if isinstance(obj, SplitDataset):  # a folder of splits, not the asset's own file
            return {"path": split_path(path, "").parent} | {
                f"path_{name}": split_path(path, name) for name in obj.splits
            }
        if isinstance(obj, Outcome):
            return {"path": path, "rejects_path": rejects_path(path)}
        return {"path": path}

    def load_from_path(self, context: dg.InputContext, path: UPath) -> Any:
        read = read_records if holds_records(context.dagster_type.typing_type) else read_jsonl
        split = (context.definition_metadata or {}).get("split")
        if split is not None:
            return read(split_path(path, split))
        if not path.exists() and split_path(path, "").parent.is_dir():
            folder = split_path(path, "").parent
            return {
                file.name.removesuffix(".jsonl"): read(file)
                for file in sorted(folder.glob("*.jsonl"))
                if not file.name.endswith(".rejects.jsonl")
            }
        return read(path)

    def load_input(self, context: dg.InputContext) -> Any:
        # An upstream asset with no partitions at all (an empty repositories file) reads as
        # nothing, not as None: the downstream asset builds from what the others hold.
        if (
            context.has_asset_key
            and context.has_asset_partitions
            and not context.asset_partition_keys
        ):
            return {} if typing.get_origin(context.dagster_type.typing_type) is dict else []
        return super().load_input(context)

    def load_partitions(self, context: dg.InputContext) -> Any:
        # Dagster hands a single partition over bare; an input that maps every upstream
        # partition (annotated as a dict) must get a dict even when there is only one.
        keys = context.asset_partition_keys
        if len(keys) == 1 and typing.get_origin(context.dagster_type.typing_type) is dict:
            path = self._get_paths_for_partitions(context)[keys[0]]
            if not path.exists():
                return {}
            return {keys[0]: self.load_from_path(context, path)}
        return super().load_partitions(context)

    def get_metadata(self, context: dg.OutputContext, obj: Any) -> dict[str, Any]:
        metadata: dict[str, Any] = {}
        written, writing = getattr(self, "_written", ({}, 0.0))
        for name, target in written.items():  # where it is, in full: a link that opens
            metadata[name] = dg.MetadataValue.path(shown_path(target))
        if isinstance(obj, Outcome | SplitDataset):
            metadata["seconds_writing"] = dg.MetadataValue.float(round(writing, 2))
            seconds = step_seconds(context)
            if seconds is not None:
                metadata["seconds"] = dg.MetadataValue.float(round(seconds, 2))
        if isinstance(obj, Outcome):
            return metadata | {"records": len(obj.records), "rejects": len(obj.rejects)}
        if isinstance(obj, SplitDataset):
            return metadata | {"records": obj.records, "rejects": 0}
        if isinstance(obj, list):
            return metadata | {"records": len(obj), "rejects": 0}
        return metadata


def shown_path(path: UPath) -> str:
    """A local path made absolute (it opens from anywhere), a URL as it is."""
    if path.protocol in ("", "file", "local"):
        return os.path.abspath(path.path)
    return str(path)


def step_seconds(context: dg.OutputContext) -> float | None:
    """Seconds since the step writing this output started (its last attempt), as Dagster's
    event log records it: the time the run's log shows for the step, reading inputs, building
    and writing included. None outside a run."""
    try:
        step = context.step_context
    except Exception:  # an output context built by hand (tests): there is no run
        return None
    records = step.instance.get_records_for_run(
        context.run_id,
        of_type={dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_RESTARTED},
    ).records
    starts = [r.event_log_entry.timestamp for r in records
              if r.event_log_entry.step_key == context.step_key]  # fmt: skip
    return time.time() - max(starts) if starts else None


class DatasetStore(dg.ConfigurableResource):
    """Where datasets live: the one store that the I/O manager and every side file use."""

    base_dir: str | None = Field(
        default=None,
        description=f"Store base (any fsspec URL); the definitions set it from IBERT_DATA_DIR "
        f"or ibert-build's --data-dir; unset: {DEFAULT_BASE}/",
    )

    @property
    def base(self) -> str:
        return self.base_dir or DEFAULT_BASE

    @property
    def layout(self) -> StoreLayout:
        """Where the store keeps what other code reads by path (splits, models, docs)."""
        return StoreLayout(self.base)

    def path(self, *parts: str) -> UPath:
        return self.layout.path(*parts)


class JsonlIOManagerFactory(dg.ConfigurableIOManagerFactory):
    """The ``io_manager`` resource: JSON Lines in the dataset store."""

    store: DatasetStore

    def create_io_manager(self, context: dg.InitResourceContext) -> JsonlIOManager:
        return JsonlIOManager(base_path=upath(self.store.base))
