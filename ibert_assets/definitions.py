"""The Dagster definitions of the environment's settings, for Dagster's CLI and UI
(``dagster dev``, ``dagster asset materialize -m ibert_assets.definitions``).

The one place where importing a module reads settings: everything else is given them
(``ibert_assets.assembly.build_definitions``).
"""

from ibert_assets.assembly import build_definitions
from ibert_assets.settings import Settings

defs = build_definitions(Settings.from_environment())
