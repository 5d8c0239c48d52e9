from collections import Counter
from pathlib import Path

import git

from ibert_assets.mining.files import read_source_files
from ibert_assets.mining.snapshots import tracked_files
from ibert_assets_tests.mining_repo import make_mining_repo


def test_unsafe_and_unreadable_files_are_skipped_and_counted(tmp_path: Path):
    repo = make_mining_repo(tmp_path / "repo", marker=tmp_path / "ran")
    skipped: Counter[str] = Counter()
    read = {f.path for f in read_source_files(repo.working_dir, tracked_files(repo), skipped)}
    assert "analytics.py" in read and "docs/filtering.qmd" in read
    assert {"escape.sql", "data.sql", "huge.sql", "logo.png"}.isdisjoint(read)
    assert skipped == Counter(
        symlink_outside_repo=1,
        binary=1,
        too_large=1,
        unsupported_type=2,  # logo.png, LICENSE
    )


def test_dirs_limit_what_is_listed(tmp_path: Path):
    repo = make_mining_repo(tmp_path / "repo", marker=tmp_path / "ran")
    assert tracked_files(git.Repo(repo.working_dir), ("docs",)) == ["docs/filtering.qmd"]
