from pathlib import Path

from ibert_inference.tasks.sql_folder import (
    ModelOutcome,
    refused_construct,
    summary_table,
    translate_folder,
)


def _write(folder: Path, name: str, sql: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sql)


def test_each_model_gets_one_outcome_and_verified_ones_a_module(tmp_path):
    models = tmp_path / "models"
    _write(models, "ok.sql", "select id from orders where amount > 10")
    _write(models, "bad.sql", "select from where")
    _write(models, ".hidden/skip.sql", "select 1")
    _write(models, "empty.sql", "   \n")
    seen: list[str] = []
    outcomes = translate_folder(
        models, out_dir=tmp_path / "ibis", on_outcome=lambda o: seen.append(o.path)
    )
    by_path = {o.path: o for o in outcomes}
    assert seen == ["bad.sql", "empty.sql", "ok.sql"]
    assert by_path["ok.sql"].status == "verified" and by_path["ok.sql"].module == "ibis/ok.py"
    assert by_path["bad.sql"].status == "refused" and by_path["bad.sql"].cause == "invalid SQL"
    assert by_path["empty.sql"].reason == "the file is empty"
    assert sorted(p.name for p in (tmp_path / "ibis").iterdir()) == ["ok.py"]


def test_a_failed_model_leaves_the_module_an_earlier_run_wrote(tmp_path):
    models = tmp_path / "models"
    _write(models, "m.sql", "select id from orders")
    translate_folder(models, out_dir=tmp_path / "ibis")
    before = (tmp_path / "ibis" / "m.py").read_text()
    _write(models, "m.sql", "select from where")
    [outcome] = translate_folder(models, out_dir=tmp_path / "ibis")
    assert outcome.status == "refused" and (tmp_path / "ibis" / "m.py").read_text() == before


def test_a_translation_that_does_not_verify_is_written_and_says_not_verified(tmp_path, monkeypatch):
    import ibert_inference.translate as translate

    real = translate.sql_to_ibis

    def wrong(sql, schema, dialect="duckdb"):
        translation = real(sql, schema, dialect)
        return translation.__class__(translation.code.replace("> 10", ">= 10"), translation.expr)

    monkeypatch.setattr(translate, "sql_to_ibis", wrong)
    models = tmp_path / "models"
    _write(models, "m.sql", "select id from orders where amount > 10")
    [outcome] = translate_folder(models, out_dir=tmp_path / "ibis")
    assert outcome.status == "unverified" and outcome.cause == "mismatch"
    assert "NOT verified" in (tmp_path / "ibis" / "m.py").read_text()


def test_refusals_count_by_the_construct_they_name():
    reason = "cannot translate WITH RECURSIVE at line 1, column 6: r AS (...)"
    assert refused_construct(reason) == "WITH RECURSIVE"
    outcomes = [
        ModelOutcome("a.sql", "verified", cause="verified"),
        ModelOutcome("b.sql", "refused", reason, refused_construct(reason)),
        ModelOutcome("c.sql", "refused", reason, refused_construct(reason)),
        ModelOutcome("d.sql", "unverified", "x", "mismatch"),
    ]
    table = summary_table(outcomes)
    assert "verified         1  25.0 %" in table
    assert "refused          2  50.0 %" in table
    assert "WITH RECURSIVE  2" in table and "mismatch  1" in table


CORPUS = Path(__file__).parent.parent / "dbt_corpus"


def test_the_dbt_style_corpus_translates_and_verifies_with_no_schema(tmp_path):
    """Issue 27's corpus: import CTEs over select *, staging -> intermediate -> marts, md5
    surrogate keys, a rendered incremental filter, Snowflake / BigQuery / Postgres spellings."""
    dialects = sorted(folder.name for folder in CORPUS.iterdir() if folder.is_dir())
    assert dialects == ["bigquery", "postgres", "snowflake"]
    outcomes = []
    for dialect in dialects:
        outcomes += translate_folder(CORPUS / dialect, out_dir=tmp_path / dialect, dialect=dialect)
    assert len(outcomes) >= 10
    assert [o.line() for o in outcomes if o.status != "verified"] == []
