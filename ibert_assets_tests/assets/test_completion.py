from ibert_assets.tasks.completion import completion_cuts
from ibert_assets_tests.in_process import evaluate_ibis

CODE = (
    "recent = orders.filter(_.year > 2020)\n"
    "result = recent.group_by('status').agg(n=_.count()).order_by('status')"
)


def test_cuts_fall_on_statement_and_method_boundaries():
    cuts = completion_cuts(CODE)
    assert {c.boundary for c in cuts} == {"statement", "method_call"}
    for cut in cuts:
        assert cut.prefix + cut.completion == CODE
        assert cut.completion.startswith((".", "\n"))
    assert any(c.completion == ".order_by('status')" for c in cuts)


def test_reassembled_code_still_evaluates():
    schema = {"orders": {"year": "int64", "status": "string"}}
    for cut in completion_cuts(CODE):
        evaluate_ibis(cut.prefix + cut.completion, schema)


def test_invalid_code_has_no_cuts():
    assert completion_cuts("orders.filter(") == []


def test_no_prefix_ends_on_a_bare_table_name():
    code = "j = orders.join(users, 'id')\nresult = j.filter(_.a > 1).select('a')"
    prefixes = [c.prefix for c in completion_cuts(code)]
    assert prefixes and all(not p.rstrip().endswith(("= orders", "= j")) for p in prefixes)
    assert completion_cuts("result = orders.select('a')") == []
