"""What an instruction asks a completion for: values left to use, values spent, aggregates."""

from __future__ import annotations

import doctest

from ibert_inference.model import instruction_intent
from ibert_inference.model.instruction_intent import (
    aggregate_agreement,
    asked_values,
    covered_share,
    fresh_share,
)

ASKED = "Complete the code so that `result` holds: top 3 cars of make 'Ford' with at least 4 seats."


def test_the_values_of_the_instruction_are_numbers_dates_and_quoted_text_not_the_tables():
    assert asked_values(f"{ASKED} Tables: cars, rentals 2.") == ["3", "4", "Ford"]


def test_a_completion_uses_the_values_the_prefix_left_and_not_those_it_spent():
    prefix = "result = cars.filter((_.make == 'Ford') & (_.seats >= 4))"
    assert covered_share(prefix, ".order_by(ibis.desc('seats')).limit(3)", ASKED) == 1.0
    assert covered_share(prefix, ".select('id', 'seats')", ASKED) == 0.0
    assert fresh_share(prefix, ".limit(4)", ASKED) == 0.0
    assert fresh_share(prefix, ".limit(3)", ASKED) == 1.0
    assert fresh_share(prefix, ".select('id')", ASKED) == 1.0  # nothing asked for is used


def test_an_aggregate_counts_once_per_asking_and_not_when_the_prefix_called_it():
    instruction = "the average fare and the average tip per driver"
    assert (
        aggregate_agreement("r = t.agg(fare=_.fare", ".mean(), tip=_.tip.mean())", instruction) == 2
    )
    assert aggregate_agreement("r = t.agg(f=_.fare.mean(), t=_.tip", ".mean())", instruction) == 1
    assert aggregate_agreement("r = t.agg(n=_.fare", ".count(), s=_.fare.sum())", instruction) == -2


def test_the_examples_in_the_module_hold():
    assert doctest.testmod(instruction_intent).failed == 0
