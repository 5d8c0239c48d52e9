"""What ibert-build says at the end, and where it keeps its runs."""

from pathlib import Path

import pytest

from ibert_assets.runner.cli import (
    build_parser,
    failed_checks_lines,
    instance_home,
    main,
    settings_from,
    summary,
    unreachable_line,
)
from ibert_assets.runner.steps import StepResult


def unreachable(asset: str, repo: str, why: str = "no network") -> StepResult:
    return StepResult(asset, repo, "unreachable", error=why, source_kind="repository/repositories")


def test_unreachable_sources_are_said_once_grouped_by_why():
    results = [
        unreachable("repo_snapshots", "ibis"),
        unreachable("mined_examples", "ibis"),
        unreachable("repo_snapshots", "sqlglot"),
        unreachable("repo_snapshots", "gone", "repository not found"),
        StepResult("repo_snapshots", "demo", "ok"),
    ]
    assert unreachable_line(results, strict=False) == (
        "3 repositories unreachable: no network (ibis, sqlglot); repository not found (gone); "
        "their partitions were skipped; `--strict` makes this an error"
    )
    assert unreachable_line(results, strict=True).endswith("--strict: counted as failures")
    assert unreachable_line(results[-1:], strict=False) == ""


def test_the_summary_counts_every_status_but_ok_as_not_built():
    results = [
        StepResult("template_examples", "a", "ok", records=5, rejects=1),
        StepResult("template_examples", "b", "failed"),
        StepResult("augmented_examples", "b", "skipped"),
    ]
    rows = summary(results, ["template_examples", "augmented_examples"]).splitlines()
    assert rows[1].split()[:5] == ["template_examples", "2", "1", "5", "1"]
    assert rows[2].split()[:3] == ["augmented_examples", "1", "1"]


def test_runs_go_to_the_project_home_unless_dagster_home_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert instance_home() == tmp_path / ".dagster_home"
    assert "telemetry" in (tmp_path / ".dagster_home" / "dagster.yaml").read_text()
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "mine"))
    assert instance_home() == tmp_path / "mine"
    assert not (tmp_path / "mine" / "dagster.yaml").exists()  # a user's home is left as it is


def test_a_bad_setting_is_a_one_line_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("IBERT_MIN_TASK_EXAMPLES", "lots")
    assert main(["--select", "template_examples"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("ibert-build: error: IBERT_MIN_TASK_EXAMPLES='lots'")
    assert len(error.splitlines()) == 1


def test_the_flags_go_over_the_environment_s_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    repos = tmp_path / "repos.txt"
    repos.write_text("installed:ibis|one\n")
    monkeypatch.setenv("IBERT_DATA_DIR", str(tmp_path / "from-env"))
    monkeypatch.setenv("IBERT_MIN_TASK_EXAMPLES", "3")
    settings = settings_from(build_parser().parse_args([]))
    assert settings.data_dir == str(tmp_path / "from-env") and settings.min_task_examples == 3
    flags = ["--data-dir", str(tmp_path / "flag"), "--repos-file", str(repos)]
    settings = settings_from(build_parser().parse_args(flags))
    assert settings.data_dir == str(tmp_path / "flag") and settings.repos_file == str(repos)
    assert settings.min_task_examples == 3
    assert settings.environment == {"min_task_examples"}  # the store is the flag's, not a variable


def test_the_sandbox_has_a_worker_per_build_worker_unless_the_environment_says(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.delenv("IBERT_SANDBOX_WORKERS", raising=False)
    assert settings_from(build_parser().parse_args(["--workers", "3"])).sandbox_workers == 3
    assert settings_from(build_parser().parse_args(["--workers", "0"])).sandbox_workers == 1
    monkeypatch.setenv("IBERT_SANDBOX_WORKERS", "1")
    assert settings_from(build_parser().parse_args(["--workers", "3"])).sandbox_workers == 1


def test_a_missing_repositories_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    assert main(["--repos-file", str(tmp_path / "nowhere.txt")]) == 2
    assert (
        capsys.readouterr().err
        == f"ibert-build: error: {tmp_path / 'nowhere.txt'} does not exist\n"
    )


def test_failed_checks_are_listed_with_their_partitions_and_unreachable_is_not_failed():
    results = [
        StepResult("mined_examples", "ibis", "ok", failed_checks=["rejection_rate"]),
        StepResult("mined_examples", "sqlglot", "ok"),
        unreachable("mined_examples", "gone"),
        StepResult("augmented_examples", "weather", "ok", failed_checks=["rejection_rate"]),
    ]
    assert failed_checks_lines(results) == [
        "check rejection_rate of mined_examples failed on 1 of 2 partitions checked: ibis",
        "check rejection_rate of augmented_examples failed on 1 of 1 partitions checked: weather",
    ]
    assert failed_checks_lines(results[1:3]) == []
    row = summary(results, ["mined_examples"]).splitlines()[1].split()
    assert row[:3] == ["mined_examples", "3", "0"]  # three partitions, none failed


def test_the_build_registers_dynamic_partitions_before_it_plans(tmp_path: Path):
    """With IBERT_PARTITIONS=dynamic, a fresh instance gets repos.txt's repositories from the
    build itself (no daemon, no sensor), and the plan has a step for each."""
    import dagster as dg

    from ibert_assets.assembly import build_definitions
    from ibert_assets.runner.cli import prepare_instance
    from ibert_assets.runner.plan import plan
    from ibert_assets.settings import Settings

    repos = tmp_path / "repos.txt"
    repos.write_text("/srv/a|alpha\n/srv/b|beta\n")
    settings = Settings(repos_file=str(repos), partitions="dynamic")
    defs = build_definitions(settings)
    home = tmp_path / "home"
    home.mkdir()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert plan(defs, ["repo_snapshots"], instance)[0].partitions == ()
    prepare_instance(home, defs, settings)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert sorted(plan(defs, ["repo_snapshots"], instance)[0].partitions) == ["alpha", "beta"]
