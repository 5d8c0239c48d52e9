"""The task registry: one spec per task, and every place that differs by task reads it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from ibert_inference.cli.main import alias_main, build_parser
from ibert_inference.dataset.record import INPUT_TYPES, TARGET_TYPES, TASKS
from ibert_inference.errors import IbertError
from ibert_inference.model.prompts import RECORD_CONVERSATIONS
from ibert_inference.tasks.registry import ALIASES, SPECS, VERBS, by_alias, by_verb, spec

PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"


def test_every_task_of_the_record_has_one_spec_and_one_conversation():
    assert sorted(s.name for s in SPECS) == sorted(TASKS)
    assert set(RECORD_CONVERSATIONS) == set(INPUT_TYPES.values())
    assert set(INPUT_TYPES) == set(TARGET_TYPES) == set(TASKS)
    assert len(set(VERBS)) == len(set(ALIASES)) == len(SPECS)  # no name serves two tasks


def test_names_lead_from_one_to_the_others():
    for task in TASKS:
        found = spec(task)
        assert by_verb(found.verb) is found and by_alias(found.alias) is found
        assert callable(found.served()) and found.metrics


@pytest.mark.parametrize("lookup", [spec, by_verb, by_alias])
def test_an_unknown_name_is_refused_naming_the_known_ones(lookup):
    with pytest.raises(IbertError, match=r"unknown (task|command) 'translate': expected one of"):
        lookup("translate")


def test_the_command_has_a_subcommand_per_task_with_the_registrys_help():
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    assert tuple(commands.choices) == VERBS  # type: ignore[attr-defined]
    assert commands.choices["fix"].description == spec("error_resolution").summary  # type: ignore[attr-defined]


def test_every_seed_command_is_an_entry_point_of_the_one_alias_main():
    scripts = tomllib.loads(PYPROJECT.read_text())["project"]["scripts"]
    aliases = {name for name, target in scripts.items() if target.endswith(":alias_main")}
    assert aliases == set(ALIASES)


def test_an_alias_runs_its_tasks_subcommand(capsys):
    assert alias_main(["-", "--dialect", "postgres"], alias="ibert-to-sql") != 0  # empty stdin
    assert "ibert to-sql: error" in capsys.readouterr().err
    assert alias_main(["--help"], alias="ibert-nothing") == 2
    assert "unknown command 'ibert-nothing'" in capsys.readouterr().err


def test_every_verb_has_a_handler():
    from ibert_inference.cli.main import HANDLERS

    assert tuple(HANDLERS) == VERBS


def test_the_examples_in_the_docstrings_hold():
    import doctest

    from ibert_inference.model import demonstrations, prompts, retrieval
    from ibert_inference.tasks import registry

    for module in (registry, prompts, demonstrations, retrieval):
        assert doctest.testmod(module).failed == 0, module.__name__
