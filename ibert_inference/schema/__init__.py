"""Schemas (table -> column -> Ibis dtype string) and their inference from SQL or Ibis code.

:mod:`.tables` parses and validates schemas; :mod:`.infer_sql` reads the tables and column types a
SQL query implies, :mod:`.infer_ibis` those a piece of Ibis code implies.
"""

from ibert_inference.schema.tables import Schema, parse_dtype, parse_schema_text, validate_schema

__all__ = ["Schema", "parse_dtype", "parse_schema_text", "validate_schema"]
