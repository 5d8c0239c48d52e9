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


def flight_example(
    prefix: str, completion: str, instruction: str, example_id: str, template: str | None = None
) -> ExampleCompletion:
    """A verified completion over ``FLIGHTS``, as retrieval finds one."""
    return ExampleCompletion(prefix, completion, FLIGHTS, instruction, example_id, template)


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


def test_an_example_cut_earlier_than_the_request_continues_where_the_request_ends():
    # the example was cut before `.agg(`, the request inside it: the repeated call is dropped
    request = "result = rentals.group_by('customer').agg(total=_.km"
    example = flight_example(
        "result = flights.group_by('carrier')", ".agg(total=_.delay.sum())", "", "e1", "flights"
    )
    [adapted] = adapted_completions(request, RENTALS, "", [example])
    assert adapted.completion == ".sum())"
    # cut a statement earlier: the request's last line, repeated whole, is dropped with it
    request = "x = rentals.filter(_.km > 5)\nresult = x.agg(top=_.rate"
    example = flight_example(
        "x = flights.filter(_.delay > 5)",
        "\nresult = x.agg(top=_.distance.max())",
        "",
        "e2",
        "flights",
    )
    [adapted] = adapted_completions(request, RENTALS, "", [example])
    assert adapted.completion == ".max())"


def test_a_completion_that_continues_the_request_is_never_cut():
    assert module.fitted("t.filter(_.a > 1)", ".count()") == ".count()"
    # nothing cut or closed makes code that parses: left for the checks to refuse
    assert module.fitted("t.filter(_.a >", ".count()") == ".count()"


def test_the_values_the_request_asks_for_replace_those_the_example_asked_for():
    example = flight_example(
        "result = flights.group_by('carrier').agg(n=_.count())",
        ".filter(_.n >= 1).limit(20)",
        "carriers with at least 1 flight, the first 20",
        "e3",
    )
    request = "result = rentals.group_by('customer').agg(n=_.count())"
    [adapted] = adapted_completions(request, RENTALS, "at least 7 rentals, the first 5", [example])
    assert adapted.completion == ".filter(_.n >= 7).limit(5)"
    # a date where the example had a number, or a different count of values: nothing replaced
    assert module.asked_values(".limit(20)", "the first 20", "after 2024-01-01") == ".limit(20)"
    assert module.asked_values(".limit(20)", "the first 20", "5 of the first 9") == ".limit(20)"


def test_the_quoted_values_the_request_asks_for_replace_those_the_example_asked_for():
    example = flight_example(
        "result = flights.filter(_.carrier",
        ".ilike('rent%')).filter(_.carrier != 'status').select('carrier')",
        "carriers that match 'rent%'",
        "e5",
    )
    request = "result = rentals.filter(_.customer"
    instruction = "the player's customers that match 'nick%'"  # an apostrophe quotes nothing
    [adapted] = adapted_completions(request, RENTALS, instruction, [example])
    assert (
        adapted.completion == ".ilike('nick%')).filter(_.customer != 'status').select('customer')"
    )
    # only string literals: a name spelled like the value stays a name
    assert (
        module.asked_values(".filter(_.gold)", "tier 'gold'", "tier 'silver'") == ".filter(_.gold)"
    )
    assert module.asked_values(".filter(_.t == 'gold')", "tier 'gold'", "any tier") == (
        ".filter(_.t == 'gold')"
    )


def test_each_adapted_completion_says_how_many_examples_give_it():
    def example(completion: str, name: str) -> ExampleCompletion:
        return flight_example("result = flights.filter(_.delay > 1)", completion, "", name)

    found = adapted_completions(
        "result = rentals.filter(_.km > 2)", RENTALS, "",
        [example(".limit(3)", "a"), example(".limit(5)", "b"), example(".limit(5)", "c")],
    )  # fmt: skip
    assert [(a.completion, a.example_id, a.support) for a in found] == [
        (".limit(3)", "a", 1), (".limit(5)", "b", 2),
    ]  # fmt: skip


def test_an_example_cut_elsewhere_is_recut_where_the_request_ends():
    # the example was cut before its filter; the request, later, inside the aggregate
    example = flight_example(
        "result = flights",
        ".filter(_.delay > 2).group_by('carrier').agg(total=_.delay.sum()).limit(3)",
        "",
        "e4",
    )
    request = "result = rentals.filter(_.km > 2).group_by('customer').agg(total=_.km"
    completions = [a.completion for a in adapted_completions(request, RENTALS, "", [example])]
    assert completions[0] == ".sum()).limit(3)"
