import doctest

import pytest

from ibert_inference.model import python_prefix
from ibert_inference.model.python_prefix import can_continue, statement_end


@pytest.mark.parametrize(
    "code",
    [
        "result = orders.filter(_.amount > 10).group_by(",
        "result = orders.filter(_.amount > 10).group_by('sta",
        "result = orders.agg(total=",
        "result = orders.select(",
        "result = orders.",
        "result = orders.filter(_.amount > 10)  # big ones",
        'result = orders.filter(_.note == """a\nb',
        "result = orders.mutate(f=lambda",
        "x = orders.filter(_.a > 1)\nresult = x",
        "result = orders.filter(_.a.isin([1, 2",
    ],
)
def test_text_a_program_can_still_grow_from(code: str):
    assert can_continue(code)


@pytest.mark.parametrize(
    "code",
    [
        "result = orders.filter(_.amount > 10))",  # one bracket too many
        "result = orders.group_by(]",  # the wrong bracket
        "result = orders.select('a\n",  # a one-line string over a line end
        "result = orders.\n",  # a dangling attribute at a line end
        "result = orders.limit(3)\n    x = 1",  # an unexpected indent
        "result = orders.limit(3) orders",  # two expressions side by side
        "result = orders.limit(3)\n```",  # a closing fence is not Python
    ],
)
def test_text_no_program_can_grow_from(code: str):
    assert not can_continue(code)


def test_a_statement_ends_at_a_line_end_once_the_code_is_whole_and_binds_result():
    assert statement_end("result = orders", ".limit(3)\nmore") == len(".limit(3)")
    # a line end inside brackets is not the end
    assert statement_end("result = orders.agg(", "\n    n=_.count(),\n)\n") == len(
        "\n    n=_.count(),\n)"
    )
    # a statement that does not yet bind result, where the prefix uses that name: go on
    prefix = "x = orders  # result: x limited\n"
    assert statement_end(prefix, "y = x\nresult = y.limit(3)\n") == len(
        "y = x\nresult = y.limit(3)"
    )
    # without that convention the first whole statement ends it
    assert statement_end("orders.filter(_.a > 1)", ".limit(3)\n") == len(".limit(3)")
    assert statement_end("result = orders", ".limit(3") is None


def test_the_examples_in_the_module_hold():
    assert doctest.testmod(python_prefix).failed == 0
