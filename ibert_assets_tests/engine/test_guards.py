"""The run-time guards bound what names defeat in the static checks, in the calling process."""

import pytest

from ibert_assets_tests.in_process import evaluate_ibis
from ibert_inference.errors import EvaluationError

SCHEMA = {"t": {"a": "int64"}}


@pytest.mark.parametrize(
    "code",
    [
        "'%*d' % (2000000000, 1)",
        "'%-*s' % (2000000000, 'x')",
        "'%.*f' % (2000000000, 1.0)",
        "x = [0] * 1000\n" + "x.extend(x)\n" * 30,
        "x = [0] * 1000\nx = x * 60\ny = x + []\nx.extend(y)",
    ],
)
def test_growth_through_names_is_bounded(code: str):
    with pytest.raises(EvaluationError, match=r"^MemoryError: .*(too long|arguments)"):
        evaluate_ibis(code + "\nt", SCHEMA)


def test_bounded_operations_still_work():
    expr = evaluate_ibis(
        "cols = ['a']\ncols.extend(['a'])\nname = '%s_%d' % ('n', 1)\n"
        "t.select(cols[0]).rename({name: 'a'})",
        SCHEMA,
    )
    assert expr.columns == ("n_1",)
