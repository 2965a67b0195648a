"""Notebook hygiene: every committed notebook reads well on a code host and runs the same anywhere.

nbval (run by `make test`) re-executes each notebook and compares outputs; these checks catch
what nbval cannot: cells run out of order, outputs that only match on one machine, a missing
opening or closing, output comparison switched off.
"""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted([ROOT / "index.ipynb", *ROOT.glob("[0-9][0-9]_*/[0-9][0-9]_*.ipynb")])
CHAPTERS = [path for path in NOTEBOOKS if path.name != "index.ipynb"]

MACHINE_PATH = re.compile(r"(/root/|/home/\w+|/Users/\w+|/tmp/\w|site-packages|dist-packages|[A-Z]:\\\\Users)")
MEMORY_ADDRESS = re.compile(r"\bat 0x[0-9a-f]{6,}\b")
LOOPBACK_PORT = re.compile(r"(127\.0\.0\.1|localhost):\d{2,5}")
OPT_OUTS = ("NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP", "nbval-ignore-output", "nbval-skip", "--nbval-lax")


def ids(paths):
    return [path.relative_to(ROOT).as_posix() for path in paths]


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def output_text(output) -> str:
    if output.output_type == "stream":
        return output.text
    if output.output_type == "error":
        return "\n".join(output.traceback)
    data = output.get("data", {})
    return "\n".join(str(data[key]) for key in ("text/plain", "text/html", "text/markdown") if key in data)


@pytest.fixture(params=NOTEBOOKS, ids=ids(NOTEBOOKS))
def notebook(request):
    return nbformat.read(request.param, as_version=4)


@pytest.fixture(params=CHAPTERS, ids=ids(CHAPTERS))
def chapter(request):
    return nbformat.read(request.param, as_version=4)


def test_there_is_a_notebook_per_chapter():
    assert [path.parent.name for path in CHAPTERS] == [
        "01_api_basics",
        "02_rest_and_http_verbs",
        "03_pickle_model",
        "04_flask_app",
        "05_testing",
        "06_docker",
        "07_heroku",
        "08_monitoring",
    ]


def test_is_valid_nbformat(notebook):
    nbformat.validate(notebook)


def test_kernel_is_python3(notebook):
    assert notebook.metadata.kernelspec.name == "python3"


def test_executed_top_to_bottom_in_one_go(notebook):
    counts = [cell.execution_count for cell in code_cells(notebook) if cell.source.strip()]
    assert counts == list(range(1, len(counts) + 1)), "run Kernel > Restart and Run All (or `make execute`)"


def test_no_empty_code_cells(notebook):
    assert all(cell.source.strip() for cell in code_cells(notebook))


def test_no_error_outputs(notebook):
    for cell in code_cells(notebook):
        expected = "raises-exception" in cell.metadata.get("tags", [])
        errors = [output for output in cell.outputs if output.output_type == "error"]
        assert expected or not errors, f"error output in cell:\n{cell.source}"


def test_outputs_carry_nothing_machine_specific(notebook):
    for cell in code_cells(notebook):
        for output in cell.outputs:
            text = output_text(output)
            for pattern, what in (
                (MACHINE_PATH, "a machine path"),
                (MEMORY_ADDRESS, "a memory address"),
                (LOOPBACK_PORT, "a port number"),
                (re.escape(str(ROOT)), "this checkout's path"),
            ):
                found = re.search(pattern, text)
                assert not found, f"{what} ({found.group(0)!r}) in the output of:\n{cell.source}"


def test_no_timing_metadata(notebook):
    """nbclient's per-cell timestamps change every run; `make execute` does not record them."""
    assert not [cell for cell in notebook.cells if "execution" in cell.metadata]


def test_output_comparison_is_never_switched_off_without_a_reason(notebook):
    """A cell that opts out of nbval's comparison must say why in a comment of its own."""
    for cell in code_cells(notebook):
        tags = cell.metadata.get("tags", [])
        if any(marker in cell.source or marker in tags for marker in OPT_OUTS):
            assert re.search(r"#.*\bbecause\b", cell.source), f"opt-out without a '# ... because ...':\n{cell.source}"


def test_chapter_opens_the_common_way(chapter):
    first, nav, setup_heading, setup = chapter.cells[:4]
    assert first.cell_type == "markdown"
    assert first.source.startswith("# ")
    assert "**You will learn**" in first.source
    assert nav.source.startswith("<!-- NAVIGATION")
    assert setup_heading.source.strip() == "## Setup"
    assert setup.cell_type == "code"
    assert "as exercises" in setup.source, (
        "Setup imports the chapter's exercise checks: import exercises_NN as exercises"
    )


def test_chapter_closes_the_common_way(chapter):
    headings = [cell.source.splitlines()[0] for cell in chapter.cells if cell.cell_type == "markdown" and cell.source]
    sections = [heading for heading in headings if heading.startswith("## ")]
    assert sections[-3:] == ["## Summary", "## Exercises", "## Solutions"]
    assert chapter.cells[-1].source.startswith("<!-- NAVIGATION")


def test_every_exercise_has_a_check_and_a_solution(chapter):
    sources = [cell.source for cell in chapter.cells]
    exercises = next(i for i, s in enumerate(sources) if s.startswith("## Exercises"))
    solutions = next(i for i, s in enumerate(sources) if s.startswith("## Solutions"))
    asked = re.findall(r"^\*\*Exercise (\d+)\.\*\*", "\n".join(sources[exercises:solutions]), re.M)
    answered = re.findall(r"^\*\*Exercise (\d+)\.\*\*", "\n".join(sources[solutions:]), re.M)
    assert asked, "a chapter ends with at least one exercise"
    assert asked == answered
    for number in asked:
        checks = [s for s in sources[exercises:] if f"exercises.check_{number}(" in s]
        assert len(checks) >= 2, f"exercise {number} needs a check cell and a checked solution"


def test_committed_solutions_pass_their_checks(chapter):
    """The committed run shows every solution accepted (nbval then proves it still is)."""
    after_solutions = False
    for cell in chapter.cells:
        after_solutions = after_solutions or (cell.cell_type == "markdown" and cell.source.startswith("## Solutions"))
        if after_solutions and cell.cell_type == "code" and "exercises.check_" in cell.source:
            printed = "".join(output.get("text", "") for output in cell.outputs)
            assert "correct. Well done!" in printed, cell.source
