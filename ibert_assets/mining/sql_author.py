"""Who wrote a mined SQL query: a person, or Ibis compiling an expression (test snapshots).

SQL that Ibis compiled itself (``SELECT "t0"."a" FROM "t" AS "t0"``) teaches a model to read
Ibis's output, not the SQL people write; it is kept, marked, and given a lower sample weight.

>>> sql_author('SELECT "t0"."a" FROM "orders" AS "t0"', "tests/snapshots/test_x/out.sql")
'ibis'
>>> sql_author("SELECT a FROM orders o WHERE o.b > 1", "reports/daily.sql")
'person'
"""

from __future__ import annotations

import re

# a training sampler draws an Ibis-compiled query this much as often as a hand-written one
SAMPLE_WEIGHT = {"person": 1.0, "ibis": 0.25}
_IBIS_ALIAS = re.compile(r'\bAS\s+"?t\d+"?(?:\s|$|\))|"t\d+"\.', re.IGNORECASE)
_SNAPSHOT_PATH = re.compile(r"(^|/)snapshots?/")


def sql_author(sql: str, path: str = "") -> str:
    """``ibis`` when the SQL carries Ibis's compiler aliases (``t0``, ``t1``) or sits in a
    test-snapshot folder, else ``person``."""
    if _SNAPSHOT_PATH.search(path) or _IBIS_ALIAS.search(sql):
        return "ibis"
    return "person"
