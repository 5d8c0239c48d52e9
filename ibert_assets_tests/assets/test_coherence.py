"""Renamed pairs read as one database and one question; the ``coherent_records`` check fails a
record that does not (a mixed-domain schema, a negative count, "at least or above")."""

from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest

from ibert_assets.templates.augment import Pair, change_literals, flip_comparison, variants
from ibert_assets.templates.augment import rename_identifiers as rename
from ibert_assets.templates.checks import coherence_check
from ibert_assets.templates.coherence import (
    foreign_words,
    literal_words,
    negative_comparisons,
    placeholder_values,
    record_problems,
    schema_domain,
    schema_words,
    vacuous_bounds,
)
from ibert_assets.templates.loader import expand_template, load_template
from ibert_assets.templates.vocabulary import DOMAINS, POOLS, entity_columns, entity_keys
from ibert_assets_tests.conftest import make_record
from ibert_inference.verify.pair import verify_pair

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def template_pairs(stem: str) -> list[Pair]:
    return [
        Pair(e.sql, e.ibis, e.schema, description=e.description)
        for e in expand_template(load_template(TEMPLATES / f"{stem}.yaml"))
    ]


def renamed_record(schema: dict, sql: str, code: str, description: str, **meta):
    return make_record(
        "sql_to_ibis",
        {"sql": sql, "dialect": "duckdb"},
        {"ibis": code},
        tables=schema,
        source="augmented",
        augmentation="rename",
        template="flights",
        description=description,
        **meta,
    )


@pytest.mark.parametrize("stem", ["retail_orders", "car_rentals", "product_catalog", "bank_ledger"])
def test_a_renamed_template_is_one_domains_schema_and_its_question_follows(stem):
    renamed = 0
    for index, pair in enumerate(template_pairs(stem)[::5]):
        variant = rename(pair, index)
        if variant is None:
            continue  # not renamed at all: nothing of it could be incoherent
        renamed += 1
        domain = schema_domain(variant.schema)
        assert domain is not None, variant.schema
        for table, columns in variant.schema.items():
            assert set(columns) <= set(entity_columns(domain, table)) | entity_keys(domain, table)
        allowed = schema_words(variant.schema) | literal_words(variant.sql)
        assert foreign_words(variant.description, allowed) == [], variant.description
        types = sorted(d for cols in variant.schema.values() for d in cols.values())
        assert types == sorted(d for cols in pair.schema.values() for d in cols.values())
    assert renamed > 0


def test_a_question_the_new_schema_cannot_mean_is_not_renamed():
    # "delayed by more than 45 minutes" names delay_min by a word no other column has
    delayed = next(
        p for p in template_pairs("flights") if "delayed by more than 45" in p.description
    )
    for seed in range(30):
        variant = rename(delayed, seed)
        assert variant is None or "delayed" not in variant.description


def test_a_word_naming_a_table_and_a_column_is_not_guessed():
    # "per venue" groups by venue_id; venues also has a column called venue
    (first_show, *_) = [
        p for p in template_pairs("event_tickets") if p.description.startswith("First show date")
    ]
    assert all(rename(first_show, seed) is None for seed in range(20))


def test_a_value_of_the_old_schema_is_not_carried_over():
    pair = Pair(
        "SELECT id, COALESCE(insurer, 'self-pay') AS insurer FROM patients",
        "result = patients.select('id', insurer=_.insurer.fill_null('self-pay'))",
        {"patients": {"id": "int64", "insurer": "string"}},
        description="Patients and their insurer, 'self-pay' when missing",
    )
    assert all(rename(pair, seed) is None for seed in range(20))
    carried = renamed_record(
        {"restaurants": {"id": "int64", "cuisine": "string"}},
        "SELECT id, COALESCE(cuisine, 'self-pay') AS cuisine FROM restaurants",
        "result = restaurants.select('id', cuisine=_.cuisine.fill_null('self-pay'))",
        "",
    )
    assert any("self-pay" in p for p in record_problems(carried, None))


def test_aliases_and_output_names_follow_the_rename():
    pair = Pair(
        "SELECT city, AVG(amount) AS avg_amount, COUNT(*) AS orders FROM orders "
        "GROUP BY city ORDER BY avg_amount DESC",
        "result = orders.group_by('city').agg(avg_amount=_.amount.mean(), orders=_.count())"
        ".order_by(ibis.desc('avg_amount'))",
        {"orders": {"id": "int64", "city": "string", "amount": "float64"}},
        description="Average amount and number of orders per city, highest first",
    )
    variants_seen = [v for v in (rename(pair, seed) for seed in range(12)) if v is not None]
    assert variants_seen
    for variant in variants_seen:
        ((table, columns),) = variant.schema.items()
        money = next(c for c, dtype in columns.items() if dtype == "float64")
        assert f"AS avg_{money}" in variant.sql and f"avg_{money}=" in variant.ibis
        assert f"AS {table}" in variant.sql and "avg_amount" not in variant.ibis
        assert verify_pair(variant.sql, variant.ibis, variant.schema).ok, variant


def test_string_literals_take_a_value_of_the_new_column():
    pair = Pair(
        "SELECT id FROM orders WHERE city = 'Oslo'",
        "result = orders.filter(_.city == 'Oslo').select('id')",
        {"orders": {"id": "int64", "city": "string"}},
        description="Orders in 'Oslo'",
    )
    for seed in range(6):
        variant = rename(pair, seed)
        ((column,),) = [[c for c in cols if c != "id"] for cols in variant.schema.values()]
        value = variant.sql.split("'")[1]
        assert value in POOLS[column] and f"'{value}'" in variant.description


def test_renaming_is_deterministic():
    pairs = template_pairs("retail_orders")[::7]
    first = [list(variants(p, seed=i, renames=2)) for i, p in enumerate(pairs)]
    again = [list(variants(p, seed=i, renames=2)) for i, p in enumerate(pairs)]
    assert first == again


def test_a_mixed_domain_renamed_schema_fails_the_check():
    # the rename this replaced: columns of every domain in one table
    salad = renamed_record(
        {
            "players": {"id": "int64", "channel": "string", "stock_level": "int32"},
            "vendors": {"tier": "string", "label": "string"},
        },
        "SELECT id FROM players WHERE channel = 'mobile' AND stock_level >= 45",
        "result = players.filter((_.channel == 'mobile') & (_.stock_level >= 45)).select('id')",
        "Players of channel 'mobile' delayed by at least 45 minutes",
    )
    problems = record_problems(salad, None)
    assert any("mixes domains" in p for p in problems)
    assert any("delayed" in p for p in problems)
    assert not coherence_check([salad], TEMPLATES).passed


def test_a_reference_against_its_direction_is_no_domains_schema():
    orders = {"id": "int64", "customer_id": "int64", "order_total": "float64"}
    assert schema_domain({"orders": orders, "customers": {"id": "int64"}}) == "retail"
    backwards = {"id": "int64", "order_id": "int64", "full_name": "string"}
    assert schema_domain({"customers": backwards, "orders": {"id": "int64"}}) is None


def test_a_coherent_renamed_record_passes():
    record = renamed_record(
        {"shipments": {"id": "int64", "carrier": "string", "transit_minutes": "int32"}},
        "SELECT id FROM shipments WHERE carrier = 'DHL' AND transit_minutes > 45",
        "result = shipments.filter((_.carrier == 'DHL') & (_.transit_minutes > 45)).select('id')",
        "Shipments of carrier 'DHL' with transit minutes more than 45",
    )
    assert record_problems(record, None) == []
    assert coherence_check([record], TEMPLATES).passed


def test_a_negative_threshold_of_a_never_negative_column_fails():
    assert negative_comparisons("SELECT id FROM venues WHERE capacity > -5") == ["capacity > -5"]
    assert negative_comparisons("SELECT id FROM t WHERE temp_min > -5") == []
    assert negative_comparisons("SELECT a, COUNT(*) AS n FROM t GROUP BY a HAVING COUNT(*) >= -1")
    original = make_record(
        "sql_to_ibis",
        {"sql": "SELECT id FROM venues WHERE capacity > -5", "dialect": "duckdb"},
        {"ibis": "result = venues.filter(_.capacity > -5).select('id')"},
        tables={"venues": {"id": "int64", "capacity": "int32"}},
        source="augmented",
        template="event_tickets",
        description="Venues with capacity above -5",
    )
    outcome = coherence_check([original], TEMPLATES)
    assert not outcome.passed and "capacity > -5" in outcome.metadata["examples"][0]


def test_no_question_says_at_least_or_above():
    pair = Pair(
        "SELECT id FROM venues WHERE capacity > 50",
        "result = venues.filter(_.capacity > 50).select('id')",
        {"venues": {"id": "int64", "capacity": "int32"}},
        description="Venues with capacity above 50",
    )
    assert flip_comparison(pair, 0).description == "Venues with capacity at or above 50"
    worded = make_record(
        "sql_to_ibis",
        {"sql": "SELECT id FROM venues WHERE capacity >= 50", "dialect": "duckdb"},
        {"ibis": "result = venues.filter(_.capacity >= 50).select('id')"},
        tables={"venues": {"id": "int64", "capacity": "int32"}},
        source="augmented",
        template="event_tickets",
        description="Venues with capacity at least or above 50",
    )
    assert not coherence_check([worded], TEMPLATES).passed


def test_a_placeholder_value_fails_the_check():
    assert placeholder_values("SELECT id FROM t WHERE p IN ('low', 'Alpha', ' x  y ')", {"p"}) == [
        "Alpha",
        " x  y ",
    ]
    assert placeholder_values("SELECT id FROM t WHERE p = 'p_3' OR q = 'gate_2'", {"p"}) == ["p_3"]
    assert placeholder_values("SELECT id FROM t WHERE p = '' OR p = 'beta blocker'", {"p"}) == []
    asking = make_record(
        "sql_to_ibis",
        {"sql": "SELECT id FROM tickets WHERE priority IN ('alpha', 'beta')"},
        {"ibis": "result = tickets.filter(_.priority.isin(['alpha', 'beta'])).select('id')"},
        tables={"tickets": {"id": "int64", "priority": "string"}},
        template="support_tickets",
        description="Tickets with priority alpha or beta",
    )
    outcome = coherence_check([asking], TEMPLATES)
    assert (
        not outcome.passed and "placeholder values: alpha, beta" in outcome.metadata["examples"][0]
    )


def test_a_bound_every_row_passes_fails_the_check():
    assert vacuous_bounds("SELECT id FROM cars WHERE seats >= 0 OR 0 <= capacity") == [
        "seats >= 0",
        "0 <= capacity",
    ]
    assert vacuous_bounds("SELECT id FROM t WHERE temp_min >= 0 AND seats >= 1") == []
    assert vacuous_bounds("SELECT a FROM t GROUP BY a HAVING COUNT(*) >= 0")
    cars = make_record(
        "sql_to_ibis",
        {"sql": "SELECT id FROM cars WHERE seats >= 0"},
        {"ibis": "result = cars.filter(_.seats >= 0).select('id')"},
        tables={"cars": {"id": "int64", "seats": "int32"}},
        template="car_rentals",
        description="Cars with at least 0 seats",
    )
    outcome = coherence_check([cars], TEMPLATES)
    assert (
        not outcome.passed and "filters nothing out: seats >= 0" in outcome.metadata["examples"][0]
    )


def test_flipping_a_positive_bound_does_not_make_one_that_keeps_every_row():
    pair = Pair(
        "SELECT id FROM rentals WHERE km_driven > 0",
        "result = rentals.filter(_.km_driven > 0).select('id')",
        {"rentals": {"id": "int64", "km_driven": "int64"}},
        description="Rentals with km above 0",
    )
    assert flip_comparison(pair, 0) is None
    five = replace(pair, sql=pair.sql.replace("> 0", "> 5"), ibis=pair.ibis.replace("> 0", "> 5"))
    assert flip_comparison(five, 0) is not None


@pytest.mark.parametrize(
    "stem", ["bank_ledger", "clinical_trials", "streaming_video", "tax_invoices"]
)
def test_no_variant_filters_nothing(stem):
    # found in a default build: 'balance >= 0' flipped from '> 0', then renamed 'freight_cost'
    for pair in template_pairs(stem):
        for seed in range(3):
            for variant in variants(pair, seed=seed):
                assert vacuous_bounds(variant.sql) == [], (variant.operator, variant.sql)


def test_no_template_asks_for_a_placeholder_value_or_filters_nothing():
    for path in sorted(TEMPLATES.glob("*.yaml")):
        for example in expand_template(load_template(path)):
            columns = {c for table in example.schema.values() for c in table}
            assert placeholder_values(example.sql, columns) == [], (path.name, example.sql)
            assert vacuous_bounds(example.sql) == [], (path.name, example.sql)


def test_a_changed_year_stays_a_year():
    pair = Pair(
        "SELECT id FROM vehicles WHERE model_year > 2015",
        "result = vehicles.filter(_.model_year > 2015).select('id')",
        {"vehicles": {"id": "int64", "model_year": "int32"}},
        description="Vehicles built after 2015",
    )
    for seed in range(10):
        changed = change_literals(pair, seed)
        year = int(changed.sql.rsplit(" ", 1)[1])
        assert 2012 <= year <= 2018 and year != 2015
        assert changed.description == f"Vehicles built after {year}"


def test_every_template_and_its_variants_pass_the_check():
    for stem in ("flights", "vehicle_telemetry", "event_tickets"):
        tables = load_template(TEMPLATES / f"{stem}.yaml").tables
        for example in expand_template(load_template(TEMPLATES / f"{stem}.yaml")):
            record = make_record(
                "sql_to_ibis",
                {"sql": example.sql, "dialect": "duckdb"},
                {"ibis": example.ibis},
                tables=example.schema,
                template=stem,
                description=example.description,
            )
            assert record_problems(record, tables) == [], example.description


def test_vocabulary_names_are_usable_columns():
    import ibis

    table = ibis.table({"x": "int64", "y": "string"}, name="t")
    members = set(dir(table)) | set(dir(table.x)) | set(dir(table.y))
    for domain, entities in DOMAINS.items():
        for entity in entities:
            names = set(entity_columns(domain, entity))
            assert not names & members, (domain, entity, names & members)
            assert not names & set(entities), (domain, entity)
            strings = [
                c.name
                for c in entity_columns(domain, entity).values()
                if c.role in ("name", "category", "code", "text")
            ]
            assert [n for n in strings if not POOLS.get(n)] == [], entity


def test_the_check_reads_the_stored_partition_through_dagster(tmp_path: Path):
    import dagster as dg

    from ibert_assets.checks import record_check
    from ibert_assets.resources import default_resources
    from ibert_assets.settings import Settings
    from ibert_assets.store import partition_path, to_jsonl, write_atomic

    coherent = renamed_record(
        {"shipments": {"id": "int64", "carrier": "string", "transit_minutes": "int32"}},
        "SELECT id FROM shipments WHERE carrier = 'UPS' AND transit_minutes > 30",
        "result = shipments.filter((_.carrier == 'UPS') & (_.transit_minutes > 30)).select('id')",
        "Shipments of carrier 'UPS' with transit minutes more than 30",
    )
    salad = renamed_record(
        {"players": {"id": "int64", "channel": "string", "stock_level": "int32"}},
        "SELECT id FROM players WHERE stock_level > -4",
        "result = players.filter(_.stock_level > -4).select('id')",
        "Players with stock level more than -4",
    )
    partitions = dg.StaticPartitionsDefinition(["flights"])

    @dg.asset(name="augmented_examples", partitions_def=partitions)
    def stored() -> dg.MaterializeResult:
        return dg.MaterializeResult()  # the partition is already on disk

    check = record_check(
        stored,
        "coherent_records",
        partial(coherence_check, templates_dir=TEMPLATES),
        "coherence",
        partitions,
    )
    outcomes = []
    for records in ([coherent], [coherent, salad]):
        write_atomic(
            partition_path(str(tmp_path), "augmented_examples", "flights"), to_jsonl(records)
        )
        result = dg.materialize(
            [stored, check],
            partition_key="flights",
            resources=default_resources(Settings(data_dir=str(tmp_path))),
            raise_on_error=False,
        )
        (evaluation,) = result.get_asset_check_evaluations()
        outcomes.append(evaluation.passed)
    assert outcomes == [True, False]


def test_a_records_sql_is_parsed_once_for_all_its_problems(monkeypatch: pytest.MonkeyPatch):
    import sqlglot

    parsed: list[str] = []
    parse_one = sqlglot.parse_one
    monkeypatch.setattr(
        sqlglot, "parse_one", lambda sql, **kw: parsed.append(sql) or parse_one(sql, **kw)
    )
    record = renamed_record(
        {"venues": {"id": "int64", "capacity": "int64", "city": "string"}},
        "SELECT id FROM venues WHERE capacity > -5 AND city = 'word_1' AND capacity >= 0",
        "result = venues.filter((_.capacity > -5) & (_.city == 'word_1')).select('id')",
        "Venues with a capacity above -5 in city word_1",
    )
    problems = record_problems(record, None)
    assert any("negative" in p for p in problems) and any("filters nothing" in p for p in problems)
    assert parsed.count(record.input.sql) == 1  # type: ignore[union-attr]
