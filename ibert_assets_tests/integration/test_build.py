import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ibert_assets.runner import main
from ibert_assets.store import partition_path, read_jsonl, read_partition
from ibert_assets_tests.integration.test_template_assets import ALL_WRONG, BROKEN, GOOD
from ibert_assets_tests.mining_repo import make_mining_repo

IBERT_BUILD = Path(sys.executable).with_name("ibert-build")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "good.yaml").write_text(GOOD)
    repo = make_mining_repo(tmp_path / "demo", marker=tmp_path / "code-ran")
    (tmp_path / "repos.txt").write_text(f"{repo.working_dir}|demo\n")
    monkeypatch.setenv("IBERT_TEMPLATES_DIR", str(templates))
    monkeypatch.setenv("IBERT_REPO_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("IBERT_MIN_TASK_EXAMPLES", "1")  # a tiny graph: a handful per task
    monkeypatch.setenv("IBERT_SYNTHETIC_WORLDS", "1")  # and one synthetic world
    return tmp_path


UNREACHABLE = "https://127.0.0.1:1/ibis-project/gone.git"  # nothing listens on port 1


def run_build(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(IBERT_BUILD), "--data-dir", str(project / "data"),
         "--repos-file", str(project / "repos.txt"), *args],
        cwd=project, capture_output=True, text=True, timeout=900,
    )  # fmt: skip


def test_the_whole_graph_builds_offline_in_dependency_order_with_a_summary(
    project: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    # a repository that cannot be reached is said once and skipped; everything else builds
    with (project / "repos.txt").open("a") as repos:
        repos.write(f"{UNREACHABLE}|gone\n")
    result = run_build(project, "--workers", "2")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # said once, at the end; no line per partition, nothing from a library on stderr
    assert "[gone]" not in result.stdout
    assert result.stdout.count("no network") == 1
    assert (
        "1 repository unreachable: no network (gone); their partitions were skipped; "
        "`--strict` makes this an error" in result.stdout
    )
    assert result.stderr.strip() == "", result.stderr[-3000:]
    assert "mined_examples[demo] ok" in result.stdout
    assert "multitask_examples[sql_to_ibis] ok" in result.stdout
    assert (
        "Not built by default (they train or run a model): fine_tuned_model,model_evaluation"
        in result.stdout
    )
    lines = result.stdout.splitlines()
    order = [line.split("] ", 1)[1].split("[")[0].split(" ")[0] for line in lines
             if line.startswith("[")]  # fmt: skip
    assert order.index("template_examples") < order.index("augmented_examples")
    assert order.index("mined_examples") < order.index("multitask_examples")
    assert order[-1] == "train_complete"
    assert any(line.startswith("asset ") and "records" in line for line in lines)
    base = str(project / "data")
    splits = {s: read_partition(base, "train_complete", s) for s in ("train", "validation", "test")}
    assert sum(map(len, splits.values())) > 50
    assert (project / "data" / "train_complete" / "train.parquet").exists()
    card = (project / "data" / "train_complete" / "README.md").read_text()
    assert "| sql_to_ibis |" in card
    # the runs are kept in the project's instance, which `dagster dev` opens: what the UI shows
    assert_the_ui_shows_no_failure(project / ".dagster_home", result.stdout)

    # --strict: the same unreachable repository is a failure
    strict = run_build(project, "--select", "repo_snapshots", "--strict")
    assert strict.returncode == 1
    assert "--strict: counted as failures" in strict.stdout

    # then the model evaluation, with the tiny model built at test time
    monkeypatch.setenv("IBERT_MODEL_NAME", str(tiny_model_dir))
    monkeypatch.setenv("IBERT_LOCAL_FILES_ONLY", "true")
    monkeypatch.setenv("IBERT_MAX_NEW_TOKENS", "8")
    evaluated = run_build(project, "--select", "model_evaluation", "--workers", "1")
    assert evaluated.returncode == 0, evaluated.stdout[-3000:] + evaluated.stderr[-3000:]
    assert evaluated.stdout.count("model_evaluation[") == 6
    rows = read_jsonl(partition_path(base, "model_evaluation", "documentation"))
    assert all(0.0 <= row["deterministic"] <= 1.0 for row in rows)


def assert_the_ui_shows_no_failure(home: Path, stdout: str) -> None:
    """Every run succeeded, no step failed (no red badge), the unreachable partition says why,
    every path in the metadata exists, and the seconds shown are the ones the build printed."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        assert len(runs) == 11  # one per (stage, partition)
        assert [r.status for r in runs] == [dg.DagsterRunStatus.SUCCESS] * 11
        failures = instance.get_event_records(
            dg.EventRecordsFilter(dg.DagsterEventType.STEP_FAILURE)
        )
        assert failures == []
        for asset in ("repo_snapshots", "mined_examples", "docs_examples"):
            gone = dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=["gone"])
            (observed,) = instance.fetch_observations(gone, limit=5).records
            assert observed.asset_observation.metadata["status"].value == "skipped: unreachable"
            assert not instance.fetch_materializations(gone, limit=1).records
        for key in instance.get_asset_keys():
            for record in instance.fetch_materializations(key, limit=20).records:
                metadata = record.asset_materialization.metadata
                paths = [v.value for v in metadata.values() if isinstance(v, dg.PathMetadataValue)]
                assert all(Path(p).exists() for p in paths), (key, paths)
        split = instance.get_latest_materialization_event(dg.AssetKey("train_complete"))
        metadata = split.asset_materialization.metadata
    assert Path(metadata["path"].value).is_dir()
    assert Path(metadata["path_test"].value).is_file()
    (line,) = [x for x in stdout.splitlines() if "] train_complete ok:" in x]
    printed = float(line.split("rejects, ")[1].split("s")[0])
    assert abs(printed - metadata["seconds"].value) < 1.0, (line, metadata["seconds"].value)


def test_select_limits_and_a_bad_partition_fails_the_build(
    project: Path, monkeypatch: pytest.MonkeyPatch
):
    """On a fresh DAGSTER_HOME, two workers share one instance and record their runs in it."""
    import dagster as dg

    home = project / "dagster-home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    (project / "templates" / "broken.yaml").write_text(BROKEN)
    result = run_build(project, "--select", "template_examples", "--workers", "2")
    assert result.returncode == 1
    assert "template_examples[good] ok" in result.stdout
    assert "template_examples[broken] FAILED" in result.stdout
    assert "broken.yaml:3" in result.stdout
    # a newcomer who looks for model_evaluation in the UI learns how to build it
    assert (
        "--select fine_tuned_model,model_evaluation` builds them" in result.stdout.splitlines()[-1]
    )
    assert "Traceback" not in result.stderr and "Stack Trace" not in result.stderr
    # Dagster's advice on the missing dagster.yaml, once, not once per worker and partition
    assert (result.stdout + result.stderr).count("No dagster instance configuration file") == 1
    assert not (project / "data" / "augmented_examples").exists()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
    assert sorted(run.tags["dagster/partition"] for run in runs) == ["broken", "good"]


def test_a_failed_blocking_check_skips_what_reads_that_partition(project: Path):
    (project / "templates" / "wrong.yaml").write_text(ALL_WRONG)
    result = run_build(project, "--select", "template_examples,augmented_examples")
    assert result.returncode == 1
    assert "template_examples[wrong] FAILED" in result.stdout
    assert "augmented_examples[wrong] FAILED" in result.stdout
    assert "skipped: template_examples[wrong] failed a blocking check" in result.stdout
    assert "augmented_examples[good] ok" in result.stdout


@pytest.mark.parametrize("to_group", [False, True], ids=["to-the-build", "to-its-group"])
def test_a_terminated_build_leaves_no_process_behind(project: Path, to_group: bool):
    """SIGTERM to the build, or to its whole process group as `timeout` sends it."""
    import psutil

    build = subprocess.Popen(
        [str(IBERT_BUILD), "--data-dir", str(project / "data"),
         "--repos-file", str(project / "repos.txt"), "--workers", "2"],
        cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    started = psutil.Process(build.pid)
    deadline = time.monotonic() + 120
    while len(started.children(recursive=True)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)  # until the pool's workers run
    time.sleep(3)  # and are busy materializing
    children = started.children(recursive=True)
    assert len(children) >= 2, build.communicate()[0][-2000:]
    if to_group:
        os.killpg(build.pid, signal.SIGTERM)
    else:
        build.send_signal(signal.SIGTERM)
    assert build.wait(timeout=30) == 128 + signal.SIGTERM
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == [], [p.cmdline() for p in alive]


def test_a_malformed_repositories_file_is_a_one_line_usage_error(project: Path):
    # a subprocess: the repositories file is read once, when the definitions load
    (project / "repos.txt").write_text("https://example.org/x.git|not a name\n")
    result = run_build(project, "--select", "repo_snapshots")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"ibert-build: error: {project / 'repos.txt'}:1: repository name 'not a name' must be "
        "letters, digits, '.', '_' or '-'"
    ]


def test_unknown_assets_are_usage_errors(capsys: pytest.CaptureFixture[str]):
    assert main(["--select", "everything"]) == 2
    assert "unknown asset 'everything'" in capsys.readouterr().err
