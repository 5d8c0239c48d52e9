import doctest

from ibert_inference.model import adapted_completions as module
from ibert_inference.model.adapted_completions import (
    ExampleCompletion,
    adapt_completion,
    adapted_completions,
    aligned_names,
)

FLIGHTS = {"flights": {"carrier": "string", "delay": "int64", "distance": "float64"}}
RENTALS = {"rentals": {"customer": "string", "km": "int64", "rate": "float64"}}


def test_names_paired_by_the_prefixes_are_written_for_the_request():
    completion = adapt_completion(
        "result = flights.filter(_.delay > 10).group_by('carrier')",
        ".agg(total=_.delay.sum()).order_by(ibis.desc('total'))",
        FLIGHTS,
        "result = rentals.filter(_.km > 5).group_by('customer')",
        RENTALS,
    )
    # the alias made in the completion is kept; the column the prefix paired is carried over
    assert completion == ".agg(total=_.km.sum()).order_by(ibis.desc('total'))"


def test_an_unpaired_column_becomes_one_of_the_same_type_the_instruction_mentions():
    completion = adapt_completion(
        "result = flights", ".select('carrier', avg=_.distance.mean())", FLIGHTS,
        "result = rentals", RENTALS, instruction="average rate per customer",
    )  # fmt: skip
    assert completion == ".select('customer', avg=_.rate.mean())"


def test_a_column_with_no_counterpart_of_its_type_gives_no_candidate():
    schema = {"rentals": {"customer": "string"}}
    assert adapt_completion("result = flights", ".select(_.delay)", FLIGHTS, "result = rentals",
                            schema) is None  # fmt: skip


def test_method_names_and_literal_values_are_never_renamed():
    mapping = aligned_names(
        "result = flights.filter(_.carrier == 'delay')", FLIGHTS,
        "result = rentals.filter(_.customer == 'km')", RENTALS,
    )  # fmt: skip
    # 'delay' is a string value in the example's filter, a column name elsewhere: the value
    # position pairs with the request's value, and no method name appears in the mapping
    assert "filter" not in mapping and mapping["carrier"] == "customer"
    written = adapt_completion(
        "result = flights",
        ".filter(_.carrier == 'x').count()",
        FLIGHTS,
        "result = rentals",
        RENTALS,
    )
    assert written == ".filter(_.customer == 'x').count()"


def test_candidates_are_distinct_and_the_closest_instruction_comes_first():
    examples = [
        ExampleCompletion("result = flights", ".limit(3)", FLIGHTS, "first three flights", "a"),
        ExampleCompletion("result = flights", ".count()", FLIGHTS, "how many flights", "b", "f"),
        ExampleCompletion("result = flights", ".count()", FLIGHTS, "count of flights", "c"),
    ]
    found = adapted_completions("result = rentals", RENTALS, "how many rentals", examples)
    assert [(a.completion, a.example_id) for a in found] == [(".count()", "b"), (".limit(3)", "a")]
    assert found[0].template == "f"


def test_the_examples_in_the_module_hold():
    assert doctest.testmod(module).failed == 0
