"""Deterministic repairs for Ibis code that fails: each a small pure function.

Every repair takes the code, the error it raised and the schema (or None) and returns a
:class:`Repair` (new code plus what changed) or None when it does not apply. Repairs never run
code; the caller keeps a repair only if the repaired code evaluates and keeps the meaning of the
code (:mod:`.meaning`). One module per family: :mod:`.suggestions` (what the error suggests),
:mod:`.syntax` (code that does not parse), :mod:`.operators`, :mod:`.names`, :mod:`.methods`.

>>> fix_boolean_operators("t.filter(_.a > 1 and _.b < 2)", ErrorInfo("TypeError: ..."), None).code
't.filter((_.a > 1) & (_.b < 2))'
"""

from __future__ import annotations

from ibert_inference.repairs.edits import ErrorInfo, Repair, RepairFunction
from ibert_inference.repairs.meaning import meaning_changes
from ibert_inference.repairs.methods import (
    fix_sort_keywords,
    fix_uncalled_method,
    fix_unquoted_dtype,
)
from ibert_inference.repairs.names import (
    fix_aggregate_of_other_table,
    fix_join_key,
    fix_misspelled_method,
    fix_unknown_column,
)
from ibert_inference.repairs.operators import fix_boolean_operators, fix_string_literal_comparison
from ibert_inference.repairs.suggestions import fix_suggested_comma, fix_suggested_name
from ibert_inference.repairs.syntax import fix_assignment_in_comparison, fix_missing_parenthesis

REPAIRS: dict[str, RepairFunction] = {
    "suggested_name": fix_suggested_name,
    "suggested_comma": fix_suggested_comma,
    "missing_parenthesis": fix_missing_parenthesis,
    "assignment_in_comparison": fix_assignment_in_comparison,
    "boolean_operators": fix_boolean_operators,
    "unknown_column": fix_unknown_column,
    "join_key": fix_join_key,
    "misspelled_method": fix_misspelled_method,
    "uncalled_method": fix_uncalled_method,
    "sort_keywords": fix_sort_keywords,
    "unquoted_dtype": fix_unquoted_dtype,
    "string_literal_comparison": fix_string_literal_comparison,
    "aggregate_of_other_table": fix_aggregate_of_other_table,
}
"""Every deterministic repair, in the order the fixer tries them: first what the error itself
suggests (Ibis's, Python's, DuckDB's hints), then the repairs of common mistakes."""

__all__ = [
    "REPAIRS",
    "ErrorInfo",
    "Repair",
    "RepairFunction",
    "fix_aggregate_of_other_table",
    "fix_assignment_in_comparison",
    "fix_boolean_operators",
    "fix_join_key",
    "fix_missing_parenthesis",
    "fix_misspelled_method",
    "fix_sort_keywords",
    "fix_string_literal_comparison",
    "fix_suggested_comma",
    "fix_suggested_name",
    "fix_uncalled_method",
    "fix_unknown_column",
    "fix_unquoted_dtype",
    "meaning_changes",
]
