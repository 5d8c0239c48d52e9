"""The shipped template files: every file loads, and each family's first examples verify.

The full check of every expanded example is ``python benchmarks/check_templates.py``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from ibert_assets.templates.loader import (
    Template,
    TemplateExample,
    expand_template,
    load_template,
)
from ibert_inference.verify.pair import verify_pair

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
TEMPLATE_PATHS = sorted(TEMPLATES_DIR.glob("*.yaml"))
EXAMPLES_CHECKED_PER_FAMILY = 2


@cache
def loaded(path: Path) -> tuple[Template, list[TemplateExample]]:
    """The template file and its expanded examples, read once for all the tests here."""
    template = load_template(path)
    return template, expand_template(template)


def first_examples(examples: list[TemplateExample]) -> list[TemplateExample]:
    """The first ``EXAMPLES_CHECKED_PER_FAMILY`` examples of every family, in file order."""
    seen: dict[str, int] = {}
    chosen = []
    for example in examples:
        seen[example.family] = seen.get(example.family, 0) + 1
        if seen[example.family] <= EXAMPLES_CHECKED_PER_FAMILY:
            chosen.append(example)
    return chosen


def test_enough_template_files_and_examples() -> None:
    examples = [e for path in TEMPLATE_PATHS for e in loaded(path)[1]]
    assert len(TEMPLATE_PATHS) >= 40
    assert len(examples) >= 1500


@pytest.mark.parametrize("path", TEMPLATE_PATHS, ids=lambda path: path.stem)
def test_template_first_examples_verify(path: Path) -> None:
    template, examples = loaded(path)
    assert template.description and template.families
    failures = []
    for example in first_examples(examples):
        verdict = verify_pair(example.sql, example.ibis, example.schema)
        if not verdict.ok:
            failures.append(
                f"{example.family} {example.variation}: {verdict.status}: {verdict.reason}"
            )
    assert not failures, "\n".join(failures)


def test_every_family_has_a_description_features_and_distinct_examples() -> None:
    for path in TEMPLATE_PATHS:
        examples = loaded(path)[1]
        pairs = [(e.sql, e.ibis) for e in examples]
        assert len(set(pairs)) == len(pairs), f"{path.name}: duplicate examples"
        for example in examples:
            assert example.features, f"{path.name}: {example.family} lists no features"
            assert "{" not in example.description, f"{path.name}: {example.description}"
