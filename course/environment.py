"""Check that the running Python has the course's pinned packages."""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"


def requirement_lines(requirements: Path = REQUIREMENTS) -> list[str]:
    """The requirement lines of a lock such as requirements.txt, each whole (its ``\\`` continuations joined,
    without ``--hash`` options and comments): ``"pywinpty==3.1.2 ; os_name == 'nt'"``."""
    text = requirements.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = []
    for line in text.splitlines():
        line = re.sub(r"\s--hash=\S+", "", " " + line.split("#", 1)[0]).strip()
        if line and not line.startswith("-"):
            lines.append(line)
    return lines


def pinned(requirements: Path = REQUIREMENTS) -> dict[str, str]:
    """``{name: version}`` for every ``name==version`` line of a lock that applies to this machine (its
    environment marker, if any, holds here: ``pywinpty`` is for Windows only)."""
    pins = {}
    for line in requirement_lines(requirements):
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate():
            pins[canonicalize_name(requirement.name)] = str(requirement.specifier).removeprefix("==")
    return pins


def differences(pins: dict[str, str]) -> list[str]:
    """One line per pinned package that is missing or at another version."""
    problems = []
    for name, version in sorted(pins.items()):
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            problems.append(f"{name}: not installed (the course pins {version})")
            continue
        if installed != version:
            problems.append(f"{name}: {installed} installed, the course pins {version}")
    return problems


def check_environment(requirements: Path = REQUIREMENTS) -> None:
    """Print whether this Python and its packages are the ones the course was written for."""
    ok = sys.version_info >= (3, 11)
    print("Python 3.11 or newer:", "yes" if ok else f"no, this is {sys.version.split()[0]}")
    problems = differences(pinned(requirements))
    if problems:
        print("These packages differ from requirements.txt (run `make setup` to fix):")
        for problem in problems:
            print("  " + problem)
    else:
        print("Every pinned package is installed at its pinned version.")
