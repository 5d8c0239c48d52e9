"""The sensor that turns new lines of ``repos.txt`` into partitions, with dynamic partitions."""

from __future__ import annotations

import dagster as dg

from ibert_assets.mining.repos import repo_names


def repositories_file_sensor(
    repos_file: str,
    partitions: dg.DynamicPartitionsDefinition,
    job: dg.UnresolvedAssetJobDefinition,
) -> dg.SensorDefinition:
    """Every 30 s, register the repositories ``repos_file`` names and the instance does not
    know yet, and request their first mining: adding a repository is adding a line."""

    @dg.sensor(
        name="repositories_file",
        job=job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Watches repos.txt: a new line becomes a partition of the mining assets and is "
            "mined at once, with no reload of the definitions. A removed line keeps its data."
        ),
    )
    def repositories_file(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        assert partitions.name is not None
        known = set(context.instance.get_dynamic_partitions(partitions.name))
        new = [name for name in repo_names(repos_file) if name not in known]
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(run_key=f"added:{name}", partition_key=name) for name in new
            ],
            dynamic_partitions_requests=[partitions.build_add_request(new)] if new else [],
        )

    return repositories_file
