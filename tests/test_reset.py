"""`make reset` restores the committed notebooks and backs up the changed ones first (tools/reset.py).

Each test works in a fresh clone of this repository, never in the checkout itself.
"""

import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import reset  # noqa: E402

NOW = datetime(2026, 11, 27, 8, 15)
EDITED = "01_api_basics/01_api_basics.ipynb"
STAGED = "02_rest_and_http_verbs/02_rest_and_http_verbs.ipynb"
DELETED = "03_pickle_model/03_pickle_model.ipynb"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def clone(tmp_path) -> Path:
    """A clone of the last commit, with this checkout's Makefile and reset tool (they may not be committed yet)."""
    repo = tmp_path / "course"
    git(tmp_path, "clone", "--quiet", str(ROOT), str(repo))
    for name in ("Makefile", "tools/reset.py"):
        shutil.copy(ROOT / name, repo / name)
    return repo


@pytest.fixture
def learner_changes(clone) -> dict[str, bytes]:
    """A class's worth of changes: one notebook edited, one edited and staged, one deleted, one new."""
    edited = {}
    for name in (EDITED, STAGED):
        path = clone / name
        path.write_bytes(path.read_bytes().replace(b'"execution_count": 1', b'"execution_count": 41', 1))
        edited[name] = path.read_bytes()
    git(clone, "add", STAGED)
    (clone / DELETED).unlink()
    (clone / "01_api_basics" / "Untitled.ipynb").write_text("{}")
    return edited


def notebook_changes(repo: Path) -> str:
    return git(repo, "status", "--porcelain", "--", "*.ipynb")


def test_make_reset_is_a_documented_command():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^\.PHONY: reset\nreset:.*## \S", makefile, re.M)
    assert "tools/reset.py" in subprocess.run(["make", "--dry-run", "--no-print-directory", "reset"], cwd=ROOT,
                                              capture_output=True, text=True, check=True).stdout


def test_make_reset_backs_up_then_restores(clone, learner_changes):
    result = subprocess.run(["make", "--no-print-directory", "reset", f"PYTHON={sys.executable}"], cwd=clone,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    (folder,) = [path for path in (clone / "backups").iterdir() if path.is_dir()]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d{4}", folder.name)

    # Nothing lost: each changed notebook is in the backup exactly as the learner left it.
    for name, content in learner_changes.items():
        assert (folder / name).read_bytes() == content
        assert f"saved    {name} -> backups/{folder.name}/{name}" in result.stdout
    assert f"(deleted {DELETED}: nothing to save)" in result.stdout
    assert "restored 3 notebooks to the last commit" in result.stdout

    # Every tracked notebook is as committed again (staged changes included); the new one is left alone.
    assert notebook_changes(clone) == "?? 01_api_basics/Untitled.ipynb\n"
    # The backups never show up in git, so they cannot be committed by accident.
    assert "backups" not in git(clone, "status", "--porcelain", "--untracked-files=all")


def test_a_second_reset_has_nothing_to_do(clone, learner_changes):
    reset.reset(clone, now=NOW)
    assert reset.reset(clone, now=NOW) == ["Nothing to reset: every notebook is as committed."]


def test_two_resets_in_one_minute_keep_both_backups(clone):
    path, saved = clone / EDITED, []
    for edit in ("first edit", "second edit"):
        path.write_text(path.read_text() + edit)
        saved.append(path.read_bytes())
        reset.reset(clone, now=NOW)
    assert (clone / "backups" / "2026-11-27T0815" / EDITED).read_bytes() == saved[0]
    assert (clone / "backups" / "2026-11-27T0815-2" / EDITED).read_bytes() == saved[1]


def test_a_dry_run_changes_nothing(clone, learner_changes):
    before = notebook_changes(clone)
    said = reset.reset(clone, dry_run=True, now=NOW)
    assert said[0] == "Dry run: nothing is changed. A reset would do this:"
    assert notebook_changes(clone) == before
    assert not (clone / "backups").exists()


def test_outside_a_git_checkout_nothing_happens(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(reset, "ROOT", tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert reset.main([]) == 1
    assert "nothing was changed" in capsys.readouterr().err
