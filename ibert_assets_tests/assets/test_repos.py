from pathlib import Path

import pytest

from ibert_assets.mining.repos import (
    RepoSpec,
    RepoSpecError,
    load_repo_specs,
    parse_repo_line,
    repo_partitions,
)


def test_full_line_gives_url_name_and_dirs():
    spec = parse_repo_line("https://github.com/ibis-project/ibis|ibis|docs, ibis/", line=3)
    assert spec == RepoSpec("https://github.com/ibis-project/ibis", "ibis", ("docs", "ibis"))


def test_name_defaults_to_the_url_tail():
    assert parse_repo_line("file:///srv/git/analytics.git", line=1).name == "analytics"


def test_comments_and_blank_lines_are_ignored(tmp_path: Path):
    repos = tmp_path / "repos.txt"
    repos.write_text("# header\n\n/srv/a|alpha  # trailing comment\n/srv/b\n")
    assert [s.name for s in load_repo_specs(repos)] == ["alpha", "b"]


def test_duplicate_names_name_both_lines(tmp_path: Path):
    repos = tmp_path / "repos.txt"
    repos.write_text("/srv/a|same\n/srv/b|same\n")
    with pytest.raises(RepoSpecError, match=r"repos.txt:2: .*'same' already used on line 1"):
        load_repo_specs(repos)


@pytest.mark.parametrize("line", ["a|b|c|d", "|name", "/srv/x|bad name"])
def test_malformed_lines_say_where(line: str):
    with pytest.raises(RepoSpecError, match=r"repos.txt:7:"):
        parse_repo_line(line, line=7)


def test_the_settings_name_the_file_and_its_lines_are_the_partitions(tmp_path: Path):
    from ibert_assets.settings import Settings

    repos = tmp_path / "mine.txt"
    repos.write_text("/srv/only|only\n")
    settings = Settings.from_environment({"IBERT_REPOS_FILE": str(repos)})
    assert [s.name for s in load_repo_specs(settings.repos_file)] == ["only"]
    assert repo_partitions(settings.repos_file).get_partition_keys() == ["only"]
    assert load_repo_specs(tmp_path / "missing.txt") == []


def test_shipped_repos_file_is_valid():
    specs = load_repo_specs(Path(__file__).resolve().parents[2] / "repos.txt")
    assert len(specs) >= 25
    assert any(spec.name == "ibis" for spec in specs)
