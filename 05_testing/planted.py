"""Plant a bug in a copy of the fraud app, and run a test file with plain pytest against either app.

A test that passes tells you little until you have seen it fail. The surest way to see that is to
break the code under test on purpose (to *mutate* it) and run the test again: a test worth keeping
goes red. Mutation-testing tools such as mutmut (https://mutmut.readthedocs.io) do this for every
line of a project, one small change at a time; this module plants one bug by hand, to show the idea
in chapter 05 and to check its exercise 4:

* :func:`plant` copies the ``fraud_app`` package into a folder and changes one line of that copy;
* :func:`run` runs ``python -m pytest`` on one test file, once for the app as it is and once per
  planted bug, each in a fresh Python, all at the same time. The copy comes first on ``PYTHONPATH``,
  so ``import fraud_app``, in the test file as everywhere, gets the bug: the test file is the same.

The test file gets the fixtures of :data:`CONFTEST` (the model, an ordinary transaction), as the
app's own suite gets them from its ``conftest.py``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import fraud_app

#: The app as the course ships it: where ``import fraud_app`` finds it without a planted copy.
APP = Path(fraud_app.__file__).resolve().parent
AS_IT_IS = "as it is"


@dataclass(frozen=True)
class Bug:
    """One line of the app, and the slip that a person could make in it."""

    file: str
    line: str
    planted: str
    says: str


#: Slips people make in range checks: each edge of a range is one comparison away from wrong.
BUGS = {
    "upper edge": Bug("contract.py", 'bounds = {"ge": feature["min"], "le": feature["max"]}',
                      'bounds = {"ge": feature["min"], "lt": feature["max"]}',
                      "the largest allowed value is refused (lt, less, where le, less or equal, was meant)"),
    "lower edge": Bug("contract.py", 'bounds = {"ge": feature["min"], "le": feature["max"]}',
                      'bounds = {"gt": feature["min"], "le": feature["max"]}',
                      "the smallest allowed value is refused (gt, greater, where ge, greater or equal, was meant)"),
}

#: The fixtures every test file run here can use; written beside it as conftest.py.
CONFTEST = '''\
"""Fixtures for a test file run on its own, like those the app's suite gets from its conftest.py."""

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def model_path():
    """The model trained once for this run ($FRAUD_TEST_MODEL: the notebook's own)."""
    return Path(os.environ["FRAUD_TEST_MODEL"])


@pytest.fixture
def transaction():
    """An ordinary, valid transaction (a fresh copy for each test, so a test may change it)."""
    return {"amount": 42.5, "hour": 14, "merchant_category": "grocery", "distance_from_home_km": 3.2,
            "is_online": False, "is_foreign": False, "transactions_last_24h": 2, "account_age_days": 900}
'''

#: What every run asks of pytest: short output, no traceback (the failures are listed instead).
PYTEST = ["python", "-m", "pytest", "-q", "--tb=no", "-rfE", "-p", "no:cacheprovider"]


def plant(bug: str, folder: Path) -> Path:
    """Copy the app into ``folder/fraud_app`` with ``BUGS[bug]`` planted; return ``folder``.

    Raises LookupError when the line to change is not in the app exactly once (the app changed:
    the bug must be planted somewhere else).
    """
    chosen = BUGS[bug]
    copy = Path(folder) / "fraud_app"
    shutil.copytree(APP, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / chosen.file
    text = target.read_text(encoding="utf-8")
    if text.count(chosen.line) != 1:
        raise LookupError(f"fraud_app/{chosen.file} no longer holds {chosen.line!r} exactly once")
    target.write_text(text.replace(chosen.line, chosen.planted), encoding="utf-8")
    return Path(folder)


def diff(bug: str) -> str:
    """The planted change, as a diff would show it."""
    chosen = BUGS[bug]
    number = next(n for n, line in enumerate((APP / chosen.file).read_text().splitlines(), 1) if chosen.line in line)
    return (f"fraud_app/{chosen.file}, line {number}: {chosen.says}\n"
            f"-    {chosen.line}\n+    {chosen.planted}")


@dataclass
class Run:
    """One run of pytest on the test file: against which app, with which command, and how it ended."""

    app: str
    command: str
    output: str
    status: int
    outcomes: dict[str, str] = field(default_factory=dict)  # test name: passed, failed, error, skipped
    problems: dict[str, str] = field(default_factory=dict)  # test name (or the file): what went wrong

    @property
    def passed(self) -> bool:
        """True when pytest ran at least one test and every test passed."""
        return self.status == 0

    def counts(self) -> str:
        """``"1 failed, 3 passed"`` (pytest's order), or what stopped pytest from running the tests."""
        if self.status == 5:
            return "no tests ran"
        if self.status not in (0, 1):
            return "pytest could not run the tests"
        found = [f"{sum(o == kind for o in self.outcomes.values())} {kind}"
                 for kind in ("failed", "passed", "error", "skipped") if kind in self.outcomes.values()]
        return ", ".join(found)


def run(test_file: str | Path, bugs: tuple[str, ...] = ("upper edge",), *, model_path: str | Path | None = None,
        timeout: float = 120, folders: tuple[str, ...] | None = None) -> list[Run]:
    """Run ``python -m pytest`` on ``test_file`` against the app as it is and each planted bug, in parallel.

    Each run has its own fresh Python; the file is copied into a temporary folder beside
    :data:`CONFTEST`, and each bug's copy of the app sits in a subfolder named after it, or, where the
    command shown must not give the bug away, after the name at the same place in ``folders``.
    """
    names = dict(zip(bugs, folders or (), strict=False))
    with tempfile.TemporaryDirectory(prefix="planted-") as scratch:
        work = Path(scratch)
        name = Path(test_file).name
        shutil.copyfile(test_file, work / name)
        (work / "conftest.py").write_text(CONFTEST, encoding="utf-8")
        (work / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")  # the root of this run: not the course's
        started = []
        for app in (AS_IT_IS, *bugs):
            pythonpath = {}
            if app != AS_IT_IS:
                folder = names.get(app) or app.replace(" ", "-") + "-copy"
                plant(app, work / folder)
                pythonpath = {"PYTHONPATH": os.pathsep.join([folder, *filter(None, [os.environ.get("PYTHONPATH")])])}
            report = work / f"{app.replace(' ', '-')}.xml"
            command = [*PYTEST, name]
            # pytest writes its summary in full, not cut to one line, where CI or BUILD_NUMBER is set: the run
            # must print the same on a laptop and on a CI machine.
            outside = {key: value for key, value in os.environ.items() if key not in ("CI", "BUILD_NUMBER")}
            env = {**outside, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1",
                   "COLUMNS": "120", "PY_COLORS": "0", **pythonpath}
            if model_path is not None:
                env["FRAUD_TEST_MODEL"] = str(model_path)
            process = subprocess.Popen([sys.executable, *command[1:], f"--junitxml={report}"], cwd=work, env=env,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            shown = " ".join(f"{key}={value}" for key, value in pythonpath.items())
            started.append((app, f"{shown} {' '.join(command)}".strip(), process, report))
        runs = []
        for app, command, process, report in started:
            try:
                output, _ = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                output, _ = process.communicate()
                output += f"\n(stopped: the tests did not finish within {timeout:g} s)\n"
            found = _read_report(report) if report.exists() else ({}, {})
            runs.append(Run(app, command, _without_timing(output), process.returncode, *found))
        return runs


def _without_timing(output: str) -> str:
    """pytest's output without the run's duration ("2 passed in 0.31s" -> "2 passed"), which changes every run."""
    return re.sub(r" in \d+(\.\d+)?s( \(\d+:\d\d:\d\d\))?(?= *=*\n?$)", "", output.rstrip() + "\n", flags=re.M)


def _read_report(report: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Each test's outcome, and for those that did not pass, pytest's own words for what happened."""
    outcomes, problems = {}, {}
    for case in ET.parse(report).iter("testcase"):
        name = case.get("name", "")
        kind = next((child for child in case if child.tag in ("failure", "error", "skipped")), None)
        if kind is None:
            outcomes[name] = "passed"
            continue
        outcomes[name] = {"failure": "failed", "error": "error", "skipped": "skipped"}[kind.tag]
        if kind.tag != "skipped":
            problems[name] = _said(kind)
    return outcomes, problems


def _said(element: ET.Element) -> str:
    """The line that says what went wrong: pytest marks it with ``E`` in its report."""
    text = element.text or element.get("message") or ""
    marked = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    if marked:
        return marked[-1] if "fixture" not in marked[0] else marked[0]
    return (element.get("message") or "").splitlines()[0] if element.get("message") else "it did not pass"
