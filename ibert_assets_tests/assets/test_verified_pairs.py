"""The template builders return typed records that the store writes and reads back unchanged."""

from pathlib import Path

from ibert_assets.templates.verified_pairs import (
    build_augmented_examples,
    build_template_examples,
)
from ibert_assets_tests.sample_templates import ORDERS_TEMPLATE
from ibert_inference.dataset.record import Record


def test_template_and_augmented_builders_return_records_that_round_trip(tmp_path: Path):
    path = tmp_path / "orders.yaml"
    path.write_text(ORDERS_TEMPLATE)
    templated = build_template_examples(path)
    assert len(templated.records) == 4, templated.rejects  # 3 variations + 1
    augmented = build_augmented_examples(templated.records[:1])
    assert augmented.records, augmented.counts
    for record in [*templated.records, *augmented.records]:
        assert isinstance(record, Record)
        assert record.verification is not None and record.verification.status == "verified"
        line = record.to_json()
        assert Record.from_json(line) == record and Record.from_json(line).to_json() == line
    original = templated.records[0]
    assert original.meta.template == "orders" and original.meta.family == "above"
    assert original.table_schemas == {
        "orders": {"id": "int64", "amount": "decimal(10, 2)", "status": "string"}
    }
    variant = augmented.records[0]
    assert variant.meta.source == "augmented"
    assert variant.meta.extra("derived_from") == original.id


def test_a_variant_kept_already_is_counted_a_duplicate_without_being_verified_again(
    tmp_path: Path, monkeypatch
):
    import ibert_inference

    path = tmp_path / "orders.yaml"
    path.write_text(ORDERS_TEMPLATE)
    original = build_template_examples(path).records[0]
    verified = []
    real = ibert_inference.verify_pair

    def counted(sql, ibis, *args, **kwargs):
        verified.append((sql, ibis))
        return real(sql, ibis, *args, **kwargs)

    monkeypatch.setattr(ibert_inference, "verify_pair", counted)
    # the same pair twice: the second copy (another seed) makes some of the same variants
    built = build_augmented_examples([original, original])
    assert built.counts["duplicates"] > 0, built.counts
    assert len(set(verified)) == len(verified)  # no variant verified twice
    assert len(verified) == built.counts["generated"] - built.counts["duplicates"]
    assert len(built.records) + len(built.rejects) == len(verified)
