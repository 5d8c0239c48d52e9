"""The docstring checks: gaps, restated names, sentences that say nothing, unknowns."""

from __future__ import annotations

import ast

import pytest

from ibert_inference.tasks.docstring_checks import (
    UNKNOWN,
    docstring_problems,
    says_nothing_new,
    undescribed,
)

FUNCTION = ast.parse("def conversion_rate(events, days=7):\n    return events.count()\n").body[0]


@pytest.mark.parametrize(
    ("text", "name", "restates"),
    [
        ("Conversion rate.", "conversion_rate", True),
        ("The conversion rates.", "conversionRate", True),
        ("Slugify.", "slugify", True),
        ("Days. Defaults to 7.", "days", True),
        ("Used by the function.", "days", True),
        ("What the function returns.", "conversion_rate", True),
        ("", "days", True),
        ("Number of days back from today to keep.", "days", False),
        ("Share of visits that end in a purchase.", "conversion_rate", False),
        ("Not used by the function.", "days", False),
    ],
)
def test_a_sentence_that_restates_a_name_or_says_nothing_is_found(text, name, restates):
    assert says_nothing_new(text, name) is restates


def test_problems_name_each_part_and_unknowns_are_told_apart():
    docstring = (
        f"Conversion rate.\n\nArgs:\n    events: Table of sessions with purchases.\n"
        f"    days: {UNKNOWN}\n\nReturns:\n    Share of sessions with a purchase."
    )
    assert undescribed(FUNCTION, docstring, "google") == (["summary"], ["days"])
    assert docstring_problems(FUNCTION, docstring, "google") == [
        "summary: the description only restates the name",
        "days: the description is unknown",
    ]


def test_a_missing_parameter_is_reported_before_anything_else():
    docstring = "Share of visits.\n\nArgs:\n    events: Sessions.\n\nReturns:\n    A share."
    assert docstring_problems(FUNCTION, docstring, "google") == ["missing days"]
