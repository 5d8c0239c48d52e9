"""The ``ibert`` command and its aliases (:mod:`.main`), and its settings file (:mod:`.config`)."""

from ibert_inference.cli.main import (
    complete_main,
    doc_main,
    fix_main,
    from_sql_main,
    main,
    qa_main,
    to_sql_main,
)

__all__ = [
    "complete_main",
    "doc_main",
    "fix_main",
    "from_sql_main",
    "main",
    "qa_main",
    "to_sql_main",
]
