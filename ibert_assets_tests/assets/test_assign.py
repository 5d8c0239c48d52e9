from ibert_assets.splits.assign import assign_splits
from ibert_assets.splits.dedup import deduplicate
from ibert_assets_tests.assets.test_dedup import LONG_SQL, record
from ibert_assets_tests.conftest import make_record


def test_group_keys_follow_template_examples_and_mined_files():
    assert record("SELECT 1", group="tmpl:joins:3").group_key() == "tmpl:joins:3"
    provenance = {"repo": "ibis", "url": "u", "commit": "c", "path": "a/b.py",
                  "line_start": 1, "line_end": 2, "license": "MIT"}  # fmt: skip
    mined = make_record(source="mined", provenance=provenance)
    assert mined.group_key() == "file:ibis/a/b.py"
    alone = make_record(source="docs")
    assert alone.group_key() == f"record:{alone.id}"


def templated(template: str, family: str, index: int):
    return record(
        f"SELECT {index} FROM {template}_{family}",
        template=template,
        family=family,
        group=f"template:{template}/{family}",
    )


TEMPLATED = [
    templated(f"domain{t}", f"family{f}", i) for t in range(20) for f in range(6) for i in range(8)
]


def test_splits_are_80_10_10_in_size_and_stable():
    splits = assign_splits(TEMPLATED, cluster_of={})
    sizes = {split: len(found) for split, found in splits.items()}
    total = len(TEMPLATED)
    assert abs(sizes["train"] - 0.8 * total) <= 8 and abs(sizes["test"] - 0.1 * total) <= 8
    shuffled = list(reversed(TEMPLATED))
    assert assign_splits(shuffled, cluster_of={}) == splits


def test_whole_templates_are_held_out_in_test_beside_unseen_families():
    splits = assign_splits(TEMPLATED, cluster_of={})
    templates = {split: {r.meta.template for r in found} for split, found in splits.items()}
    held = {r.meta.template for r in splits["test"] if r.meta.extra("held_out") == "template"}
    assert held, "no template held out"
    assert not held & (templates["train"] | templates["validation"])
    unseen_families = [r for r in splits["test"] if r.meta.extra("held_out") == "group"]
    assert unseen_families and {r.meta.template for r in unseen_families} <= templates["train"]
    assert all(r.meta.extra("held_out") is None for r in splits["train"])


def test_a_single_template_is_never_moved_into_test_whole():
    one = [templated("only", f"family{f}", i) for f in range(10) for i in range(10)]
    splits = assign_splits(one, cluster_of={})
    assert splits["train"] and all(r.meta.extra("held_out") == "group" for r in splits["test"])


def test_variants_of_one_group_never_straddle_splits():
    records = [record(f"SELECT {i} FROM t", group=f"g{i % 7}") for i in range(200)]
    splits = assign_splits(records, cluster_of={})
    split_of_group = {}
    for split, members in splits.items():
        for member in members:
            assert split_of_group.setdefault(member.meta.extra("group"), split) == split


def test_planted_near_duplicate_pair_lands_in_one_split():
    near = LONG_SQL.replace("LIMIT 10", "LIMIT 11")
    for attempt in range(20):  # different groups, so only the cluster can join them
        pair = [
            record(LONG_SQL, group=f"first-{attempt}"),
            record(near, group=f"second-{attempt}"),
        ]
        result = deduplicate(pair)
        splits = assign_splits(result.records, result.cluster_of)
        assert [len(v) for v in splits.values()].count(2) == 1


def test_one_input_with_two_targets_stays_in_one_split():
    for attempt in range(20):
        twins = [
            record("SELECT 1", ibis="x = 1", group=f"one-{attempt}"),
            record("SELECT 1", ibis="y = 2", group=f"two-{attempt}"),
        ]
        splits = assign_splits(twins, cluster_of={})
        assert [len(v) for v in splits.values()].count(2) == 1


def test_a_synthetic_world_never_crosses_splits_and_some_are_held_out_whole():
    worlds = [
        record(
            f"SELECT {i} FROM world{w}_t{i % 3}", template=f"synthetic/world-{w:04d}",
            group=f"world:world-{w:04d}", world=f"world-{w:04d}", source="synthetic",
        )
        for w in range(40) for i in range(10)
    ]  # fmt: skip
    splits = assign_splits([*TEMPLATED, *worlds], cluster_of={})
    split_of: dict[str, set[str]] = {}
    for split, found in splits.items():
        for r in found:
            if r.meta.extra("world"):
                split_of.setdefault(r.meta.extra("world"), set()).add(split)
    assert all(len(found) == 1 for found in split_of.values())
    held = {r.meta.extra("world") for r in splits["test"] if r.meta.extra("held_out") == "world"}
    assert held and all(split_of[world] == {"test"} for world in held)
    assert all(r.meta.extra("held_out") != "world" for r in splits["validation"])
