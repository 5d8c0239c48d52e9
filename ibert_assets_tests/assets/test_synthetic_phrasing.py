"""Synthetic questions say dates as a person would: "due on or after 2023-01-01", "the date
listed", "for each year of the sale date"; never the column's spelling ("due on on or after",
"the listed on of", "for each year of date")."""

import re

import pytest

from ibert_assets.synthetic.phrasing import part_of, when, words
from ibert_assets.synthetic.queries import generate_queries
from ibert_assets.synthetic.worlds import Column, iter_worlds


def _date(name: str, role: str = "date") -> Column:
    return Column(name, name, role, role)


@pytest.mark.parametrize(
    ("name", "noun", "condition", "year"),
    [
        ("due_on", "date due", "due on or after 2023-01-01", "year due"),
        ("listed_on", "date listed", "listed on or after 2023-01-01", "year listed"),
        ("created_at", "time created", "created on or after 2023-01-01", "year created"),
        ("date", "date", "dated on or after 2023-01-01", "year of the sale date"),
        ("order_date", "order date", "with order date on or after 2023-01-01",
         "year of the order date"),
        ("check_in", "check in date", "with check in date on or after 2023-01-01",
         "year of the check in date"),
    ],
)  # fmt: skip
def test_a_date_is_said_as_a_date_and_filtered_by_its_event(name, noun, condition, year):
    column = _date(name, "timestamp" if name.endswith("_at") else "date")
    assert words(column) == noun
    assert when(column, "on or after 2023-01-01") == condition
    assert part_of("year", column, "sale") == year


def test_only_dates_are_renamed():
    assert words(Column("held_on", "held_on", "dimension", "string")) == "held on"
    assert words(Column("is_active", "is_active", "flag", "boolean")) == "active flag"


def test_no_generated_question_says_a_date_by_its_spelling():
    clumsy = []
    for world in iter_worlds(40):
        events = {
            c.words.replace("_", " ")
            for t in world.tables
            for c in t.columns
            if c.role in ("date", "timestamp") and c.words.endswith(("_on", "_at"))
        }
        # "due on" may only open "due on or after"; "year of date" names no date
        spelled = [rf"\b{re.escape(e)}\b(?! or after)" for e in events]
        for query in generate_queries(world, 15):
            for pattern in [*spelled, r"\b(on|at) on or after\b", r"\bof date\b"]:
                if re.search(pattern, query.question):
                    clumsy.append(query.question)
    assert clumsy == []


def test_an_ordering_by_a_largest_or_smallest_value_names_its_end_once():
    # "the 5 with the highest largest applicants" -> "the 5 with the largest applicants"
    doubled = [
        query.question
        for world in iter_worlds(40)
        for query in generate_queries(world, 15)
        if re.search(r"\b(highest largest|lowest smallest)\b", query.question)
    ]
    assert doubled == []
