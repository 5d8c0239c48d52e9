"""The ``ibert`` command and its seed aliases (:mod:`.main`); its settings file (:mod:`.config`)."""

from ibert_inference.cli.main import alias_main, main

__all__ = ["alias_main", "main"]
