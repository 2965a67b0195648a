"""Slides: the RISE extension is installed, every notebook carries slide metadata (tools/slides.py),
and `make slides` builds reveal.js decks that render with the network off."""

import importlib.metadata
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course.browser import chromium_for_test

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import navigation  # noqa: E402
import slides  # noqa: E402

NOTEBOOKS = slides.notebook_paths()
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}
# As in chapter 05's browser test: root in a container needs --no-sandbox; the rest keep Chromium quiet.


def test_the_slideshow_extension_is_installed():
    """jupyterlab-rise: pinned in requirements.txt (so `make setup` installs it) and present in JupyterLab."""
    assert re.search(r"^jupyterlab-rise==", (ROOT / "requirements.txt").read_text(), re.M)
    assert importlib.metadata.version("jupyterlab_rise")
    extension = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "jupyterlab-rise" / "package.json"
    assert extension.is_file(), "jupyterlab-rise's JupyterLab extension is missing: run `make setup`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.as_posix() for path in NOTEBOOKS])
def test_every_notebook_has_slide_metadata(path):
    notebook = nbformat.read(ROOT / path, as_version=4)
    assert notebook.metadata.get("rise") == slides.RISE_SETTINGS
    for index, cell in enumerate(notebook.cells):
        if slides.is_nav_cell(cell):
            continue
        kind = cell.metadata.get("slideshow", {}).get("slide_type")
        assert kind in SLIDE_TYPES, f"cell {index} has no slide type; run `python tools/slides.py metadata`"
        if index == 0 or (cell.cell_type == "markdown" and slides.first_line(cell).startswith("## ")):
            assert kind == "slide", f"cell {index} ({slides.first_line(cell)!r}) should start a slide"


def test_slide_metadata_is_up_to_date():
    stale = [path.as_posix() for path in slides.stale_metadata()]
    assert not stale, f"stale slide metadata in {stale}: run `python tools/slides.py metadata`"


def test_slide_types_follow_the_notebook_structure():
    markdown, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [
        markdown("# Title\n\nPurpose."),
        markdown(navigation.NAV_MARKER + "\n\n[Contents](../index.ipynb)"),
        markdown("## A section"),
        code("x = 1"),
        markdown("### A subsection"),
        code("\n".join(f"line_{i} = {i}" for i in range(slides.LONG_CODE + 1))),
        markdown("**Exercise 1.** Do it."),
        markdown(navigation.CONTENTS_MARKER + "\n\n## Contents"),
    ]
    notebook = nbformat.v4.new_notebook(cells=cells)
    slides.add_slide_metadata(notebook)
    kinds = [cell.metadata.get("slideshow", {}).get("slide_type") for cell in notebook.cells]
    assert kinds == ["slide", None, "slide", "-", "subslide", "fragment", "subslide", "slide"]


@pytest.fixture
def course_copy(tmp_path):
    """A copy of the notebooks and README that a test may change."""
    for path in [Path("README.md"), *NOTEBOOKS]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, tmp_path / path)
    return tmp_path


def test_metadata_and_navigation_scripts_leave_each_other_alone(course_copy):
    """Running either script, in either order, twice, changes nothing the other one wrote."""
    for path, text in slides.render_metadata(course_copy).items():
        (course_copy / path).write_text(text, encoding="utf-8")
    for path, text in navigation.render(course_copy).items():
        (course_copy / path).write_text(text, encoding="utf-8")
    assert slides.stale_metadata(course_copy) == []
    assert all((course_copy / path).read_text(encoding="utf-8") == text
               for path, text in navigation.render(course_copy).items())


def test_make_slides_builds_every_notebook():
    assert re.search(r"^\.PHONY: slides\nslides:.*## \S", (ROOT / "Makefile").read_text(), re.M)
    command = subprocess.run(["make", "--dry-run", "--no-print-directory", "slides"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
    assert "tools/slides.py build --out build/slides" in command
    for path in NOTEBOOKS:
        assert path.as_posix() in command


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    """Every deck, built into a temporary folder as `make slides` builds them into build/slides/."""
    out = tmp_path_factory.mktemp("slides")
    slides.build(NOTEBOOKS, out)
    return out


def test_a_deck_per_notebook_with_reveal_js_beside_them(decks):
    assert sorted(path.name for path in decks.glob("*.html")) == sorted(
        f"{path.stem}.slides.html" for path in NOTEBOOKS)
    assert len(NOTEBOOKS) == 9  # index and eight chapters
    for name in slides.REVEAL_FILES:
        assert (decks / slides.REVEAL_FOLDER / name).exists()


def test_decks_load_nothing_from_the_network(decks):
    for deck in decks.glob("*.html"):
        html = deck.read_text(encoding="utf-8")
        loaded = re.findall(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=[\"']([^\"']+)", html)
        loaded += re.findall(r"""(?:@import\s+(?:url\()?|\burl\()\s*["']?(https?:[^"')\s]+)""", html)
        loaded += re.findall(r"""\bimport\b[^;'"]*["'](https?:[^"']+)""", html)
        remote = [url for url in loaded if re.match(r"^(https?:)?//", url)]
        assert not remote, f"{deck.name} loads {remote}"


def test_the_contents_deck_links_to_the_chapter_decks(decks):
    html = (decks / "index.slides.html").read_text(encoding="utf-8")
    for path in NOTEBOOKS[1:]:
        assert f'href="{path.stem}.slides.html"' in html


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (skipped with a reason where there is none, except in CI)."""
    with chromium_for_test("the slides' browser test") as browser:
        yield browser


@pytest.mark.parametrize("path", [NOTEBOOKS[0], NOTEBOOKS[1]], ids=lambda path: path.stem)
def test_a_deck_renders_with_the_network_off(decks, browser, path):
    title = nbformat.read(ROOT / path, as_version=4).cells[0].source.splitlines()[0].removeprefix("# ")
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    blocked, problems = [], []

    def offline(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", offline)
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    try:
        page.goto((decks / slides.deck_name(path)).as_uri())
        page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=10_000)
        heading = page.locator(".reveal section.present h1").first
        assert heading.is_visible()
        assert heading.inner_text().casefold() == title.casefold()  # the theme shows headings in capitals
        assert page.evaluate("Reveal.getTotalSlides()") > 3
        page.evaluate("Reveal.next()")
        assert page.evaluate("Reveal.getIndices().h") == 1
    finally:
        context.close()
    assert blocked == [], f"the deck asked the network for {blocked}"
    assert problems == []

