"""TaskResult: one vocabulary for what was checked, `verified` only against a reference."""

from __future__ import annotations

import pytest

from ibert_inference.tasks.result import TaskResult, describe_checks


def test_verified_is_said_only_for_an_answer_compared_with_a_reference():
    result = TaskResult(
        "sql_to_ibis", "result = t", True, "deterministic", {"verification": {"databases": 7}}
    )
    assert describe_checks(result) == (
        "verified: the Ibis code returns what the SQL returns on 7 generated databases"
    )


def test_an_answer_without_a_reference_says_what_was_checked_instead():
    result = TaskResult(
        "fix", "t", None, "model", checks={"evaluates": True, "runs": True, "keeps_meaning": True}
    )
    line = describe_checks(result)
    assert line == (
        "checked: evaluates, runs on generated databases, keeps the meaning; "
        "not verified: there is no reference answer to compare it with"
    )
    assert "verified:" not in line.replace("not verified:", "")


def test_a_failed_check_makes_the_answer_not_ok():
    passed = TaskResult("code_completion", ".limit(1)", None, "model", checks={"runs": True})
    failed = TaskResult("code_completion", ".limit(1)", None, "model", checks={"runs": False})
    assert passed.ok and not failed.ok
    assert "failed: runs on generated databases" in describe_checks(failed)


def test_a_reference_task_that_could_not_compare_says_why():
    result = TaskResult("ibis_to_sql", "SELECT 1", None, "deterministic", {"reason": "vacuous"})
    assert describe_checks(result) == "not verified: vacuous"


def test_check_names_come_from_one_vocabulary():
    with pytest.raises(ValueError, match="unknown check"):
        TaskResult("fix", "t", None, "model", checks={"verified": True})
