"""The navigation bars, index.ipynb's contents and the README's chapter table are generated
from the notebooks' titles by tools/navigation.py; these tests fail when they are stale."""

import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import navigation  # noqa: E402


def test_generated_navigation_is_up_to_date():
    stale = [path.as_posix() for path, text in navigation.render().items()
             if (ROOT / path).read_text(encoding="utf-8") != text]
    assert not stale, f"stale navigation in {stale}: run `make nav`"


@pytest.fixture
def course_copy(tmp_path):
    """A copy of the notebooks and README that a test may change."""
    for path in [ROOT / "README.md", ROOT / "index.ipynb", *navigation.chapter_paths(ROOT)]:
        source = path if path.is_absolute() else ROOT / path
        target = tmp_path / source.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    return tmp_path


def test_rendering_twice_changes_nothing(course_copy):
    for path, text in navigation.render(course_copy).items():
        (course_copy / path).write_text(text, encoding="utf-8")
    assert all((course_copy / path).read_text(encoding="utf-8") == text
               for path, text in navigation.render(course_copy).items())


def test_a_renamed_chapter_makes_every_neighbour_stale(course_copy):
    path = course_copy / "03_pickle_model" / "03_pickle_model.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[0].source = notebook.cells[0].source.replace("# ", "# Renamed: ", 1)
    nbformat.write(notebook, path)
    changed = {p.as_posix() for p, text in navigation.render(course_copy).items()
               if (course_copy / p).read_text(encoding="utf-8") != text}
    # 03's own bars name only its neighbours, but the five-steps map names every chapter: every notebook
    # with the map changes too, 03 included.
    with_map = set(_steps_cells())
    assert changed == {"02_rest_and_http_verbs/02_rest_and_http_verbs.ipynb", "04_flask_app/04_flask_app.ipynb",
                       "index.ipynb", "README.md"} | with_map


def test_bars_link_to_the_neighbours():
    chapters = [navigation.read_chapter(ROOT, path) for path in navigation.chapter_paths()]
    first, middle, last = (navigation.nav_bar(chapters, i) for i in (0, 1, len(chapters) - 1))
    assert "Contents](../index.ipynb)" in first
    assert "←" not in first
    assert "(../01_api_basics/01_api_basics.ipynb)" in middle
    assert "(../03_pickle_model/03_pickle_model.ipynb)" in middle
    assert "→" not in last


def test_links_in_the_bars_point_at_existing_notebooks():
    chapters = [navigation.read_chapter(ROOT, path) for path in navigation.chapter_paths()]
    for index, chapter in enumerate(chapters):
        bar = navigation.nav_bar(chapters, index)
        for target in [part.split("](")[1].rstrip(")") for part in bar.split(" | ")]:
            assert (ROOT / chapter.path.parent / target).resolve().is_file(), target


def _steps_cells():
    """Every notebook's five-steps map (a markdown cell starting with the marker), keyed by path."""
    found = {}
    for path in [Path("index.ipynb"), *navigation.chapter_paths()]:
        for cell in nbformat.read(ROOT / path, as_version=4).cells:
            if cell.cell_type == "markdown" and cell.source.startswith(navigation.STEPS_MARKER):
                found[path.as_posix()] = cell.source
    return found


def test_the_five_steps_map_is_in_the_contents_and_the_first_chapters():
    assert {"index.ipynb", "01_api_basics/01_api_basics.ipynb",
            "02_rest_and_http_verbs/02_rest_and_http_verbs.ipynb"} <= set(_steps_cells())


def test_the_five_steps_map_reads_the_same_everywhere_but_for_you_are_here():
    def plain(path, text):
        text = text.replace("../", "") if path != "index.ipynb" else text
        return re.sub(r"\*\*(\[[^]]+\]\([^)]+\)) \(you are here\)\*\*", r"\1", text)

    maps = _steps_cells()
    assert len({plain(path, text) for path, text in maps.items()}) == 1
    assert "(you are here)" not in maps["index.ipynb"]
    for path, text in maps.items():
        if path != "index.ipynb":
            assert text.count("(you are here)") >= 1, path
            assert f"[{Path(path).parent.name[:2]} · " in text.split("(you are here)")[0].rsplit("**", 1)[-1], path


def test_the_map_lists_the_five_steps_in_order_each_with_a_chapter():
    text = _steps_cells()["index.ipynb"]
    rows = [line for line in text.splitlines() if re.match(r"\| \d \|", line)]
    assert [row.split(" | ")[1] for row in rows] == [
        "Package the model", "Build the application's skeleton", "Test the application",
        "Package the application", "Design the user interface"]
    assert all("ipynb)" in row for row in rows)
