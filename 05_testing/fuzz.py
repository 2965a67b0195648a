"""Schema-driven testing with schemathesis: the API's own description writes the test cases.

A test you write checks the cases you thought of. schemathesis (https://schemathesis.readthedocs.io)
reads an OpenAPI description and generates the requests itself: values at and beyond every edge the
description names (its *coverage* phase), random valid and invalid ones (*fuzzing*), and sequences
that follow the description's links, such as create, then read, label and delete (*stateful*). On every
answer it runs its checks: no 5xx; a status code, content type, headers and body that the description
allows; invalid data refused (4xx) and valid data accepted; a private operation refusing a request
without its token; a deleted resource gone, a created one there.

:func:`run` runs its command line (``schemathesis run``) as a child process, as you would in a terminal
or in CI, with every check on, a fixed seed and a bounded number of cases, and reads its JSON report.
:func:`summary` says what it found in lines that do not change from run to run (no port, no timing).
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from course.servers import find_program

PHASES = ("examples", "coverage", "fuzzing", "stateful")


@dataclass(frozen=True)
class Result:
    """What one schemathesis run found."""

    exit_code: int
    report: dict
    output: str

    @property
    def failures(self) -> list[dict]:
        return self.report["failures"]

    @property
    def passed(self) -> bool:
        return self.exit_code == 0 and not self.failures and not self.report["errors"]

    def requests_that_failed(self) -> list[str]:
        """The bodies of the requests that reproduce each failure (the curl lines, without the address)."""
        return re.findall(r"curl -X \w+ .*?-d '(.*?)' http", self.output)

    def links_covered(self) -> str | None:
        """The stateful phase's "API Links: n covered / m selected / t total" line, if it ran."""
        found = re.search(r"API Links:\s+(.*)", self.output)
        return found.group(1).strip() if found else None


def run(description_url: str, base_url: str, *, token: str | None = None, examples: int = 10, seed: int = 42,
        phases: tuple[str, ...] = PHASES, timeout: float = 120) -> Result:
    """``schemathesis run`` against ``base_url`` with the description at ``description_url``, every check on."""
    with tempfile.TemporaryDirectory(prefix="schemathesis-") as folder:
        report = Path(folder) / "report.json"
        command = [
            find_program("schemathesis"), "--no-color", "run", description_url, "--url", base_url,
            "--checks", "all", "--seed", str(seed), "--max-examples", str(examples),
            "--phases", ",".join(phases), "--report", "json", "--report-json-path", str(report),
        ]
        if token:
            command += ["--header", f"Authorization: Bearer {token}"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=folder, check=False)
        if not report.exists():
            raise RuntimeError(f"schemathesis wrote no report (exit status {done.returncode}):\n"
                               f"{done.stdout}\n{done.stderr}")
        return Result(done.returncode, json.loads(report.read_text()), done.stdout + done.stderr)


def summary(result: Result) -> str:
    """What a run found, in lines that read the same every run: the phases, the checks that failed, where."""
    cases = result.report["test_cases"]
    phases = ", ".join(f"{name} {state['status']}" for name, state in result.report["phases"].items()
                       if state["status"] != "skip")
    lines = [f"phases: {phases}", f"test cases: {cases['generated']} generated, {cases['with_failures']} failed"]
    for failure in result.failures:
        lines.append(f"FAILED {failure['code']} {failure['title']}: {', '.join(failure['operations'])}")
    for body in dict.fromkeys(result.requests_that_failed()):
        lines.append(f"  reproduced by the body {body}")
    lines.append("no failures" if result.passed else f"{len(result.failures)} kinds of failure")
    return "\n".join(lines)


def report(result: Result) -> str:
    """A run over a whole API in lines that do not change between runs with the same seed and description:
    the operations, each phase's outcome, the links the stateful phase followed, the failures.
    (The number of generated cases is left out: the stateful phase's depends on what the server answers.)"""
    operations = result.report["operations"]
    lines = [f"operations tested: {operations['tested']} of {operations['total']}"]
    lines += [f"phase {name}: {state['status']}" for name, state in result.report["phases"].items()]
    lines.append(f"API links followed: {result.links_covered()}")
    failures = [f"{f['code']} {f['title']}: {', '.join(f['operations'])}" for f in result.failures]
    lines.append("failures: " + ("; ".join(failures) if failures else "none"))
    return "\n".join(lines)
