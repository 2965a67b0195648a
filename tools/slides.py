"""Slides from the notebooks: slide metadata in every notebook, and reveal.js decks that work offline.

Every notebook is a slideshow too. Live, in JupyterLab, with the RISE extension (jupyterlab-rise:
View > Render as slideshow, or Alt-R); or as a static reveal.js deck made by `make slides`.
Both read each cell's ``slideshow.slide_type``, which this script sets from the notebook's own
structure, behind no marker, so that running it again changes nothing:

* the title cell, and each ``## Section``, starts a new slide;
* each ``### Subsection`` and each ``**Exercise N.**`` starts a sub-slide (reveal.js: below);
* a code cell of more than ``LONG_CODE`` lines is a fragment: it appears on the next key press,
  after the words that introduce it;
* every other cell continues the slide it is on ("-").

The navigation bars (tools/navigation.py owns those cells) keep no metadata: they stay on the
slide before them live, and are left out of the decks, where their links would lead nowhere.

    python tools/slides.py metadata           # write the slide metadata where it is stale
    python tools/slides.py metadata --check   # exit 1 if any notebook's is stale (the tests use it)
    python tools/slides.py build --out build/slides index.ipynb 01_api_basics/01_api_basics.ipynb ...

The decks are built from the notebooks as committed (with their outputs, nothing is run) and
need no internet access: reveal.js is copied beside them from the sphinx-revealjs package, and
the template in tools/reveal_template/ leaves out what nbconvert would fetch from CDNs.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from navigation import NAV_MARKER, chapter_paths  # noqa: E402

LONG_CODE = 10  # lines; a longer code cell comes in as a fragment
# RISE's settings for every notebook: a slide taller than the screen scrolls instead of being cut off.
RISE_SETTINGS = {"scroll": True}
TEMPLATE_DIR = Path(__file__).resolve().parent / "reveal_template"
TEMPLATE_NAME = "course-reveal"
REVEAL_FOLDER = "reveal.js"  # beside the decks
# The parts of reveal.js a deck uses (the rest of its 5 MB is left behind).
REVEAL_FILES = [
    "LICENSE",
    "dist/reveal.css",
    "dist/reveal.js",
    "dist/theme/white.css",
    "dist/theme/fonts/source-sans-pro",
    "plugin/notes/notes.js",
]
EXERCISE = re.compile(r"\*\*Exercise \d+\.\*\*")
LINK = re.compile(r"(\]\()([^)\s]+)(\))")


def notebook_paths(root: Path = ROOT) -> list[Path]:
    """index.ipynb and every chapter notebook, relative to ``root``, in course order."""
    return [Path("index.ipynb"), *chapter_paths(root)]


def is_nav_cell(cell) -> bool:
    return cell.cell_type == "markdown" and cell.source.startswith(NAV_MARKER)


def first_line(cell) -> str:
    """The first line that says something (generated cells open with an HTML comment)."""
    for line in cell.source.splitlines():
        if line.strip() and not line.lstrip().startswith("<!--"):
            return line.strip()
    return ""


def slide_type(cell, index: int) -> str:
    """The slide type of the ``index``-th cell, from its place and its content alone."""
    if index == 0:
        return "slide"
    if cell.cell_type == "markdown":
        line = first_line(cell)
        if line.startswith("## "):
            return "slide"
        if line.startswith("### ") or EXERCISE.match(line):
            return "subslide"
    if cell.cell_type == "code" and len(cell.source.splitlines()) > LONG_CODE:
        return "fragment"
    return "-"


def add_slide_metadata(notebook) -> None:
    """Set every cell's ``slideshow.slide_type`` (navigation bars excepted) and RISE's settings."""
    for index, cell in enumerate(notebook.cells):
        if is_nav_cell(cell):
            continue
        cell.metadata["slideshow"] = {"slide_type": slide_type(cell, index)}
    notebook.metadata["rise"] = dict(RISE_SETTINGS)


def render_metadata(root: Path = ROOT) -> dict[Path, str]:
    """The text of every notebook with its slide metadata in place, keyed by path."""
    files = {}
    for path in notebook_paths(root):
        notebook = nbformat.read(root / path, as_version=4)
        add_slide_metadata(notebook)
        files[path] = nbformat.writes(notebook) + "\n"
    return files


def stale_metadata(root: Path = ROOT) -> list[Path]:
    return [path for path, text in render_metadata(root).items()
            if (root / path).read_text(encoding="utf-8") != text]


def write_metadata(root: Path = ROOT, check: bool = False) -> int:
    stale = []
    for path, text in render_metadata(root).items():
        if (root / path).read_text(encoding="utf-8") != text:
            stale.append(path)
            if not check:
                (root / path).write_text(text, encoding="utf-8")
    verb = "stale slide metadata" if check else "slide metadata updated"
    for path in stale:
        print(f"{verb}: {path.as_posix()}")
    if check and stale:
        print("Run `python tools/slides.py metadata` to set it.")
    if not stale:
        print(f"slide metadata up to date in {len(notebook_paths(root))} notebooks")
    return 1 if check and stale else 0


# --- Decks ---------------------------------------------------------------------------------------


def reveal_source() -> Path:
    """reveal.js as the sphinx-revealjs package ships it (no Node.js, no download)."""
    import sphinx_revealjs

    return Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs"


def copy_reveal(out: Path) -> None:
    source, target = reveal_source(), out / REVEAL_FOLDER
    for name in REVEAL_FILES:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name, dirs_exist_ok=True)
        else:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, target / name)


def deck_name(path: Path) -> str:
    return f"{path.stem}.slides.html"


def relink(source: str, notebook_dir: Path, out: Path, root: Path) -> str:
    """Point a markdown cell's relative links at what they mean from the deck's folder.

    A link to another notebook leads to that notebook's deck; any other relative link to the
    file in the repository. Web addresses and in-page anchors stay as they are.
    """
    def replace(match: re.Match) -> str:
        target = match.group(2)
        if re.match(r"^([a-z][a-z0-9+.-]*:|#|/)", target, re.I):
            return match.group(0)
        path, _, anchor = target.partition("#")
        if path.endswith(".ipynb"):
            new = deck_name(Path(path))
        else:
            new = Path(os.path.relpath((root / notebook_dir / path).resolve(), out.resolve())).as_posix()
        return match.group(1) + new + (f"#{anchor}" if anchor else "") + match.group(3)

    return LINK.sub(replace, source)


def deck_notebook(path: Path, out: Path, root: Path):
    """The notebook as its deck shows it: slide metadata set, navigation bars out, links fixed."""
    notebook = nbformat.read(root / path, as_version=4)
    add_slide_metadata(notebook)
    notebook.cells = [cell for cell in notebook.cells if not is_nav_cell(cell)]
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = relink(cell.source, path.parent, out, root)
    return notebook


def exporter():
    from nbconvert import SlidesExporter

    return SlidesExporter(
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        template_name=TEMPLATE_NAME,
        reveal_url_prefix=REVEAL_FOLDER,  # relative: the decks work from any folder, and from file://
        reveal_theme="white",  # its fonts ship with reveal.js; other themes load Google Fonts
        reveal_scroll=True,
        reveal_number="c/t",
        embed_images=True,  # images in markdown cells go inside the deck
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        # Not used by the template above, set anyway so that nothing points at a CDN.
        require_js_url="",
        jquery_url="",
        mathjax_url="",
        mermaid_js_url="",
        font_awesome_url="",
    )


def build(paths: list[Path], out: Path, root: Path = ROOT) -> list[Path]:
    """Write one deck per notebook into ``out``, with reveal.js beside them."""
    out.mkdir(parents=True, exist_ok=True)
    copy_reveal(out)
    slides = exporter()
    written = []
    for path in paths:
        notebook = deck_notebook(path, out, root)
        html, _ = slides.from_notebook_node(notebook, resources={"metadata": {"name": path.stem}})
        target = out / deck_name(path)
        target.write_text(html, encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    metadata = commands.add_parser("metadata", help="set the slide metadata of every notebook")
    metadata.add_argument("--check", action="store_true", help="only report stale notebooks; exit 1 if any")
    decks = commands.add_parser("build", help="build a reveal.js deck per notebook")
    decks.add_argument("--out", type=Path, default=ROOT / "build" / "slides")
    decks.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook of the course")
    args = parser.parse_args(argv)

    if args.command == "metadata":
        return write_metadata(check=args.check)
    started = time.perf_counter()
    paths = [Path(os.path.relpath(p.resolve(), ROOT)) for p in args.notebooks] or notebook_paths()
    written = build(paths, args.out)
    for deck in written:
        print(f"wrote {os.path.relpath(deck)}")
    print(f"{len(written)} decks in {os.path.relpath(args.out)}/ ({time.perf_counter() - started:.1f} s); "
          f"open one in a browser, no internet needed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
