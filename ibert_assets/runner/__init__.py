"""``ibert-build``: materialize the asset graph through Dagster, stage by stage.

The asset graph is the only description of the pipeline (:mod:`.plan`): its assets, in
topological order, are grouped into stages of assets that share a partitions definition, and each
(stage, partition) is one ``dagster.materialize`` run with the assets' checks (:mod:`.steps`).
Inside a run Dagster skips what follows a failed step or a failed blocking check; runs of one
level go to a process pool together, and a level starts when the one before it has ended
(:mod:`.cli`). A source that cannot be reached is reported once and skipped unless ``--strict``.
"""

from ibert_assets.runner.cli import main

__all__ = ["main"]
