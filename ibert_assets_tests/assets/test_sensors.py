"""The repos.txt sensor: a new line becomes a partition and a run, once."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from ibert_assets.assembly import build_definitions
from ibert_assets.mining.repos import REPO_PARTITIONS
from ibert_assets.settings import Settings


def evaluate(defs: dg.Definitions, instance: dg.DagsterInstance) -> dg.SensorResult:
    sensor = defs.resolve_sensor_def("repositories_file")
    result = sensor(dg.build_sensor_context(instance=instance, definitions=defs))
    assert isinstance(result, dg.SensorResult)
    for request in result.dynamic_partitions_requests or ():  # as the daemon applies them
        assert isinstance(request, dg.AddDynamicPartitionsRequest)
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def test_a_line_added_to_the_file_is_registered_and_mined_without_a_reload(tmp_path: Path):
    repos = tmp_path / "repos.txt"
    repos.write_text("/srv/a|alpha\n")
    defs = build_definitions(Settings(repos_file=str(repos), partitions="dynamic"))
    with dg.DagsterInstance.ephemeral() as instance:
        first = evaluate(defs, instance)
        assert [r.partition_key for r in first.run_requests or ()] == ["alpha"]
        assert evaluate(defs, instance).run_requests == []  # nothing new: nothing requested
        with repos.open("a") as file:
            file.write("/srv/b|beta\n")
        added = evaluate(defs, instance)  # the same definitions: no reload
        assert [r.partition_key for r in added.run_requests or ()] == ["beta"]
        assert sorted(instance.get_dynamic_partitions(REPO_PARTITIONS)) == ["alpha", "beta"]


def test_static_partitions_have_no_sensor(tmp_path: Path):
    defs = build_definitions(Settings(repos_file=str(tmp_path / "none.txt")))
    assert [s.name for s in defs.sensors or ()] == []
