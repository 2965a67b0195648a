"""Run pytest from a notebook and report outcomes that read the same on every run.

pytest's own summary ends with a duration ("12 passed in 3.21s") that changes every run, and
its failure reports contain machine paths. This helper runs pytest in a separate process (a
notebook's kernel is no place for a test session: Playwright, for one, refuses to run inside
it), reads the outcome of every test from pytest's JUnit XML report, and returns them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_pytest(*args: str, cwd: str | Path = ROOT, timeout: float = 300, env: dict | None = None,
               in_process: bool = False) -> dict[str, str]:
    """Run ``pytest *args`` and return ``{test id: "passed" | "failed" | "skipped" | "error"}``.

    Test ids are ``file::name`` (parameters included), relative to ``cwd``. By default pytest runs
    in a new process; ``in_process=True`` runs it in this one, which is quicker when the code under
    test is imported already (not for tests that need their own event loop, such as Playwright's).
    Raises RuntimeError when pytest itself could not run (a usage error, a missing file).
    """
    if in_process:
        return _run_in_process(args, Path(cwd), env or {})
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.xml"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *args]
        child_env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", **(env or {})}
        result = subprocess.run(
            command, cwd=cwd, env=child_env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if not report.exists() or result.returncode in (2, 3, 4):
            raise RuntimeError(
                f"pytest could not run (exit status {result.returncode}):\n{result.stdout}{result.stderr}"
            )
        return outcomes(ET.parse(report))


def _run_in_process(args, cwd: Path, env: dict) -> dict[str, str]:
    import contextlib
    import io

    import pytest

    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.xml"
        try:
            os.environ.update(env)
            os.chdir(cwd)
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
                status = pytest.main(["-q", "-p", "no:cacheprovider", f"--junitxml={report}", *args])
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
        if not report.exists() or status in (2, 3, 4):
            raise RuntimeError(f"pytest could not run (exit status {int(status)}):\n{printed.getvalue()}")
        return outcomes(ET.parse(report))


def outcomes(tree: ET.ElementTree) -> dict[str, str]:
    """Each testcase of a JUnit XML report and its outcome."""
    found = {}
    for case in tree.iter("testcase"):
        path = case.get("classname", "").replace(".", "/")
        name = f"{path}.py::{case.get('name')}"
        kinds = {child.tag for child in case}
        found[name] = next((k for k in ("failure", "error", "skipped") if k in kinds), "passed").replace(
            "failure", "failed"
        )
    return found


def summary(results: dict[str, str]) -> str:
    """``"12 passed, 1 skipped"``: how many tests ended which way, without a duration."""
    counts = Counter(results.values())
    order = ("passed", "failed", "error", "skipped")
    return ", ".join(f"{counts[kind]} {kind}" for kind in order if counts[kind]) or "no tests ran"


def source_of(path: str | Path, name: str) -> str:
    """The source of function ``name`` in the file ``path`` (relative to the repository), decorators
    included, read without importing the file (importing a test module could run its set-up)."""
    import ast

    text = (ROOT / path).read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            return "\n".join(text.splitlines()[first - 1:node.end_lineno]) + "\n"
    raise LookupError(f"no function {name!r} in {path}")
