import time

import pytest

from ibert_inference.bounded_yaml import MAX_YAML_BYTES, YamlInputError, load_yaml

BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)


def test_plain_yaml_loads():
    assert load_yaml("a: [1, 2]\nb: {c: d}\n", "x.yaml") == {"a": [1, 2], "b": {"c": "d"}}


def test_an_alias_bomb_is_refused_at_once_naming_file_and_line():
    started = time.monotonic()
    with pytest.raises(YamlInputError, match=r"^bomb\.yaml:2: YAML aliases \(\*a\)"):
        load_yaml(BILLION_LAUGHS, "bomb.yaml")
    assert time.monotonic() - started < 1


def test_a_single_alias_is_refused_too():
    with pytest.raises(YamlInputError, match="aliases"):
        load_yaml("a: &x 1\nb: *x\n", "x.yaml")


def test_size_is_bounded_before_parsing():
    with pytest.raises(YamlInputError, match="at most"):
        load_yaml("a: 1\n" * (MAX_YAML_BYTES // 5 + 1), "big.yaml")


def test_malformed_yaml_names_the_line():
    with pytest.raises(YamlInputError, match=r"^x\.yaml:2:"):
        load_yaml("a: [1\n", "x.yaml")
