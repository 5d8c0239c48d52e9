import datetime as dt
import decimal
import math

from ibert_inference.verify.compare import compare_results, values_equal


def test_multisets_ignore_order_but_not_multiplicity():
    assert (
        compare_results((["a"], [(1,), (2,), (2,)]), (["a"], [(2,), (1,), (2,)]), ordered=False)
        is None
    )
    assert "row count" in compare_results((["a"], [(1,), (2,)]), (["a"], [(2,)]), ordered=False)
    assert compare_results((["a"], [(1,), (1,)]), (["a"], [(1,), (2,)]), ordered=False)


def test_order_counts_only_when_ordered():
    expected, actual = (["a"], [(1,), (2,)]), (["a"], [(2,), (1,)])
    assert compare_results(expected, actual, ordered=False) is None
    assert compare_results(expected, actual, ordered=True) == (
        "row 1 differs: the SQL returned (1,) / the Ibis code returned (2,)"
    )


def test_rows_may_swap_within_ties_of_the_sort_key():
    expected = (["k", "v"], [(1, "a"), (1, "b"), (2, "c")])
    actual = (["k", "v"], [(1, "b"), (1, "a"), (2, "c")])
    assert compare_results(expected, actual, ordered=True, sort_key_columns=[0]) is None
    swapped = (["k", "v"], [(2, "c"), (1, "a"), (1, "b")])
    assert "sort key" in compare_results(expected, swapped, ordered=True, sort_key_columns=[0])


def test_limit_ties_at_the_cut():
    expected = (["k", "v"], [(1, "a"), (2, "b")])
    actual = (["k", "v"], [(1, "a"), (2, "z")])
    assert (
        compare_results(expected, actual, ordered=True, sort_key_columns=[0], limited=True) is None
    )
    assert compare_results(expected, actual, ordered=True, sort_key_columns=[0]) is not None


def test_limit_ties_within_tolerance_are_ties_and_never_crash():
    """Sort keys equal only within tolerance (a DECIMAL average against a double) tie at the cut
    like exact ones; the comparison answers, it does not raise."""
    expected = (["k", "v"], [(1.0, "a"), (3.3333333333, "b"), (3.3333333333, "c")])
    actual = (["k", "v"], [(1.0, "a"), (3.3333333334, "c"), (decimal.Decimal("3.3333333333"), "z")])
    assert (
        compare_results(expected, actual, ordered=True, sort_key_columns=[0], limited=True) is None
    )
    wrong = (["k", "v"], [(1.0, "x"), (3.3333333334, "c"), (3.3333333333, "z")])
    assert "differs" in compare_results(
        expected, wrong, ordered=True, sort_key_columns=[0], limited=True
    )


def test_column_names_are_case_insensitive_and_positional():
    assert compare_results((["Total"], []), (["total"], []), ordered=False) is None
    assert "named" in compare_results((["a", "b"], []), (["b", "a"], []), ordered=False)
    assert "columns" in compare_results((["a"], []), (["a", "b"], []), ordered=False)


def test_type_aware_numbers():
    assert values_equal(0.1 + 0.2, 0.3)
    assert values_equal(decimal.Decimal("3.3"), 3.33333)  # a decimal keeps its scale
    assert not values_equal(decimal.Decimal("3.30"), 3.33333)
    assert values_equal(3, 3.0)
    assert not values_equal(1.0, 1.001)
    assert values_equal(math.nan, math.nan)
    assert values_equal(None, None) and not values_equal(None, 0)


def test_dates_equal_midnight_timestamps():
    expected = (["d"], [(dt.date(2024, 1, 2),)])
    assert compare_results(expected, (["d"], [(dt.datetime(2024, 1, 2),)]), ordered=False) is None


def test_the_same_rows_in_the_same_order_agree_without_normalizing(monkeypatch):
    import ibert_inference.verify.compare as compare

    def refused(value):
        raise AssertionError("identical results are normalized and sorted for nothing")

    rows = [(1, "a", dt.date(2024, 1, 2), [1, 2], {"k": None}), (None, "b", None, [], {})]
    monkeypatch.setattr(compare, "_normalize", refused)
    assert compare_results((list("abcde"), rows), (list("abcde"), list(rows)), ordered=True) is None
    assert (
        compare_results((["a"], [(True,), (False,)]), (["a"], [(1,), (0,)]), ordered=False) is None
    )


def test_a_value_apart_in_otherwise_equal_rows_is_still_caught():
    four_fifty, four_sixty = decimal.Decimal("4.50"), decimal.Decimal("4.60")
    expected = (["k", "v"], [(1, 2.0), (2, 3.0), (3, four_fifty)])
    one_float_apart = [(1, 2.0), (2, 3.01), (3, four_fifty)]
    one_decimal_apart = [(1, 2.0), (2, 3.0), (3, four_sixty)]
    for wrong in (one_float_apart, one_decimal_apart):
        actual = (["k", "v"], list(wrong))
        assert "differs" in compare_results(expected, actual, ordered=False)
        assert "differs" in compare_results(expected, actual, ordered=True, sort_key_columns=[0])
    near = (["k", "v"], [(1, 2.0000000001), (2, 3.0), (3, 4.5)])  # within tolerance: agree
    assert compare_results(expected, near, ordered=True) is None
    nan = (["x"], [(math.nan,), (None,)])
    assert compare_results(nan, (["x"], [(math.nan,), (None,)]), ordered=True) is None
    assert compare_results(nan, (["x"], [(math.nan,), (0.0,)]), ordered=True) is not None
