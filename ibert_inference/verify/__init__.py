"""Differential execution: is a piece of Ibis the same query as a piece of SQL?

Both sides run on several DuckDB databases generated from the schema and seeded with the query's
own literals (:mod:`.databases`, :mod:`.table_rows`, :mod:`.boundary_values`,
:mod:`.query_literals`); their rows are compared as multisets with type-aware tolerance
(:mod:`.compare`). :mod:`.pair` is the entry point; :mod:`.semantic_mutations` measures how many
wrong answers the verifier rejects.
"""

from ibert_inference.verify.pair import (
    Verdict,
    verification_details,
    verify_expr,
    verify_pair,
    verify_runs,
)

__all__ = ["Verdict", "verification_details", "verify_expr", "verify_pair", "verify_runs"]
