from collections import Counter

from ibert_assets.splits.assign import assign_splits, group_key, split_for_group
from ibert_assets.splits.dedup import deduplicate
from ibert_assets_tests.assets.test_dedup import LONG_SQL, record


def test_group_keys_follow_template_examples_and_mined_files():
    assert group_key({"id": "x", "meta": {"group": "tmpl:joins:3"}}) == "tmpl:joins:3"
    mined = {"id": "y", "meta": {}, "provenance": {"repo": "ibis", "path": "a/b.py"}}
    assert group_key(mined) == "file:ibis/a/b.py"
    assert group_key({"id": "z", "meta": {}}) == "record:z"


def test_split_is_stable_and_roughly_proportional():
    keys = [f"group-{i}" for i in range(2000)]
    first = [split_for_group(k) for k in keys]
    assert first == [split_for_group(k) for k in keys]
    counts = Counter(first)
    assert 1500 < counts["train"] < 1700
    assert 120 < counts["validation"] < 280 and 120 < counts["test"] < 280


def test_variants_of_one_group_never_straddle_splits():
    records = [
        {**record(f"r{i}", f"SELECT {i} FROM t"), "meta": {"group": f"g{i % 7}"}}
        for i in range(200)
    ]
    splits = assign_splits(records, cluster_of={})
    split_of_group = {}
    for split, members in splits.items():
        for member in members:
            assert split_of_group.setdefault(member["meta"]["group"], split) == split


def test_planted_near_duplicate_pair_lands_in_one_split():
    near = LONG_SQL.replace("LIMIT 10", "LIMIT 11")
    for attempt in range(20):  # different groups, so only the cluster can join them
        pair = [
            {**record("a", LONG_SQL), "meta": {"group": f"first-{attempt}"}},
            {**record("b", near), "meta": {"group": f"second-{attempt}"}},
        ]
        result = deduplicate(pair)
        splits = assign_splits(result.records, result.cluster_of)
        assert [len(v) for v in splits.values()].count(2) == 1


def test_one_input_with_two_targets_stays_in_one_split():
    for attempt in range(20):
        twins = [
            {**record("a", "SELECT 1", ibis="x = 1"), "meta": {"group": f"one-{attempt}"}},
            {**record("b", "SELECT 1", ibis="y = 2"), "meta": {"group": f"two-{attempt}"}},
        ]
        splits = assign_splits(twins, cluster_of={})
        assert [len(v) for v in splits.values()].count(2) == 1
