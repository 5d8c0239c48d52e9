from ibert_assets.mining.slicing import slice_allowed
from ibert_assets_tests.in_process import evaluate_ibis


def test_foreign_statements_and_their_dependents_are_dropped():
    code = (
        "import ibis\n"
        "import pandas as pd\n"
        "t = ibis.table({'a': 'int64', 'b': 'string'}, name='t')\n"
        "frame = pd.read_csv('x.csv')\n"
        "other = ibis.memtable(frame)\n"
        "expr = t.filter(t.a > 1).select('b')\n"
        "expr.to_pandas()\n"
    )
    sliced = slice_allowed(code)
    assert sliced == (
        "import ibis\nt = ibis.table({'a': 'int64', 'b': 'string'}, name='t')\n"
        "expr = t.filter(t.a > 1).select('b')"
    )
    assert evaluate_ibis(sliced).columns == ("b",)


def test_a_name_redefined_by_allowed_code_is_usable_again():
    code = "x = open('f')\nx = ibis.table({'a': 'int64'}, name='x')\nx.select('a')"
    assert slice_allowed(code).splitlines()[-1] == "x.select('a')"


def test_nothing_allowed_gives_none():
    assert slice_allowed("import os\nos.system('ls')") is None
    assert slice_allowed("def broken(:") is None
