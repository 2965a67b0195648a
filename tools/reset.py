"""Bring the course's notebooks back to their committed state, for the next class.

Every notebook that git tracks and that differs from the last commit (edited, run, or deleted)
is restored from that commit. A changed notebook is first copied to a dated backup folder,

    backups/2026-11-27T0815/01_api_basics/01_api_basics.ipynb

so nothing a learner wrote is lost. The backup folder ignores itself (it holds its own
``.gitignore``), so backups are never committed by accident. Notebooks that git does not track
(a learner's ``Untitled.ipynb``) are left alone. Only git and the standard library are needed.

    python tools/reset.py             # back up and restore; says what it did
    python tools/reset.py --dry-run   # only say what it would do
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BACKUPS = "backups"


class ResetError(Exception):
    """Something that stops the reset before it changes anything."""


def git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ResetError(f"`git {' '.join(args)}` failed: {result.stderr.strip()}")
    return result.stdout


def changed_notebooks(root: Path) -> list[str]:
    """Tracked notebooks that differ from the last commit (staged or not, or deleted), repo-relative."""
    if git(root, "rev-parse", "--is-inside-work-tree").strip() != "true":
        raise ResetError(f"{root} is not a git checkout")
    listed = git(root, "diff", "--name-only", "--no-renames", "-z", "HEAD", "--", "*.ipynb")
    return sorted(name for name in listed.split("\0") if name)


def backup_folder(root: Path, now: datetime) -> Path:
    """``backups/<date>T<hour><minute>``, with a suffix if that one already exists (two resets a minute)."""
    base = root / BACKUPS / now.strftime("%Y-%m-%dT%H%M")
    folder, number = base, 1
    while folder.exists():
        number += 1
        folder = base.with_name(f"{base.name}-{number}")
    return folder


def reset(root: Path = ROOT, dry_run: bool = False, now: datetime | None = None) -> list[str]:
    """Back up and restore every changed notebook; return what was said, line by line."""
    changed = changed_notebooks(root)
    if not changed:
        return ["Nothing to reset: every notebook is as committed."]
    folder = backup_folder(root, now or datetime.now())
    said, saved = [], 0
    for name in changed:
        source = root / name
        if not source.exists():
            said.append(f"(deleted {name}: nothing to save)")
            continue
        target = folder / name
        said.append(f"saved    {name} -> {target.relative_to(root).as_posix()}")
        saved += 1
        if not dry_run:
            target.parent.mkdir(parents=True, exist_ok=True)
            (root / BACKUPS / ".gitignore").write_text("# Backups made by `make reset`: never committed.\n*\n")
            shutil.copy2(source, target)
    if not dry_run:
        # Both the staged and the working copy go back to the last commit.
        git(root, "checkout", "HEAD", "--", *changed)
    said.append(f"restored {len(changed)} notebook{'s' if len(changed) > 1 else ''} to the last commit")
    if saved:
        said.append(f"The changed notebooks are kept in {folder.relative_to(root).as_posix()}/ (git ignores backups/).")
    if dry_run:
        said = ["Dry run: nothing is changed. A reset would do this:", *said]
    return said


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="only say what would be done")
    args = parser.parse_args(argv)
    try:
        lines = reset(ROOT, dry_run=args.dry_run)
    except ResetError as error:
        print(f"make reset: {error}; nothing was changed.", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
