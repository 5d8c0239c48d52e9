"""Metadata helpers: totals over every stored partition, per-partition figures not plotted."""

from collections import Counter
from pathlib import Path

import dagster as dg

from ibert_assets.metadata import dataset_metadata, per_partition_figures, stored_total
from ibert_assets.outcome import Outcome
from ibert_assets_tests.conftest import make_record


def store(base: Path, asset: str, partition: str, records: int, rejects: int = 0) -> None:
    folder = base / asset
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{partition}.jsonl").write_text('{"id": "x"}\n' * records)
    (folder / f"{partition}.rejects.jsonl").write_text('{"status": "bad"}\n' * rejects)


def test_the_total_sums_every_stored_partition_but_not_rejects(tmp_path: Path):
    store(tmp_path, "mined_examples", "a", 3, rejects=5)
    store(tmp_path, "mined_examples", "b", 4)
    store(tmp_path, "docs_examples", "a", 100)
    assert stored_total(str(tmp_path), "mined_examples") == 7


def test_the_partition_being_written_counts_as_it_will_be(tmp_path: Path):
    store(tmp_path, "mined_examples", "a", 3)
    store(tmp_path, "mined_examples", "b", 4)
    assert stored_total(str(tmp_path), "mined_examples", replacing="a", count=10) == 14
    assert stored_total(str(tmp_path), "mined_examples", replacing="new", count=2) == 9
    assert stored_total(str(tmp_path / "nothing"), "mined_examples", replacing="a", count=2) == 2


def test_a_total_is_named_as_one_beside_the_partition_count():
    records = [make_record("qa", {"question": q}, {"answer": q}) for q in ("1", "2")]
    outcome = Outcome(records, counts=Counter(kept=2), seconds=0.5)
    metadata = dataset_metadata(outcome, total=72_063)
    assert metadata["records"] == dg.MetadataValue.int(2)
    assert metadata["dagster/row_count"] == dg.MetadataValue.int(2)
    assert metadata["records_all_partitions"] == dg.MetadataValue.int(72_063)
    assert "records_all_partitions" not in dataset_metadata(Outcome())


def test_one_partitions_numbers_become_text_and_the_rest_stays():
    figures = per_partition_figures(
        {"records": 2955, "rate": 0.25, "ok": True, "examples": ["a"], "note": "x"}
    )
    assert figures["records"] == dg.MetadataValue.text("2,955")
    assert figures["rate"] == dg.MetadataValue.text("0.25")
    assert (figures["ok"], figures["examples"], figures["note"]) == (True, ["a"], "x")
