"""What Binder reads: environment.yml gives it the pinned set, jupyter-server-proxy and the slideshow
included, and the README's badge and launch link agree. (Servers behind the proxy: test_proxy_prefix.py.)"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAUNCH = "https://mybinder.org/v2/gh/<owner>/<repository>/HEAD?urlpath=lab/tree/index.ipynb"


def pip_lines() -> list[str]:
    text = (ROOT / "environment.yml").read_text()
    block = text[text.index("- pip:"):]
    return [line.split("#")[0].strip()[2:].strip() for line in block.splitlines()[1:] if line.strip().startswith("- ")]


def test_binder_installs_the_pinned_requirements_and_the_course_after_copying_the_repository():
    # Local references (-r FILE, -e .) make repo2docker install the pip section once the repository is
    # copied into the image, rather than from environment.yml alone.
    assert pip_lines() == ["-r requirements.txt", "-e ."]


def test_the_pinned_requirements_hold_the_proxy_and_the_slideshow():
    pins = (ROOT / "requirements.txt").read_text()
    for package in ("jupyter-server-proxy", "jupyterlab-rise", "jupyterlab"):
        assert re.search(rf"^{package}==\S+", pins, re.M), f"{package} is not pinned in requirements.txt"


def test_the_readme_badge_and_the_binder_section_use_one_launch_link():
    readme = (ROOT / "README.md").read_text()
    links = set(re.findall(r"https://mybinder\.org/v2/\S+?(?=[)\s`])", readme))
    assert links == {LAUNCH}
    assert f"[![Launch on Binder](https://mybinder.org/badge_logo.svg)]({LAUNCH})" in readme
    binder = readme[readme.index("## Binder"):]
    assert LAUNCH in binder[:binder.index("\n## ", 3)]
