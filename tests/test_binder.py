"""What Binder reads: environment.yml gives it the pinned set, jupyter-server-proxy and the slideshow
included, and the README's badge and launch link agree. (Servers behind the proxy: test_proxy_prefix.py.)"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import binder_link  # noqa: E402


def pip_lines() -> list[str]:
    text = (ROOT / "environment.yml").read_text()
    block = text[text.index("- pip:"):]
    return [line.split("#")[0].strip()[2:].strip() for line in block.splitlines()[1:] if line.strip().startswith("- ")]


def test_binder_installs_the_pinned_requirements_and_the_course_after_copying_the_repository():
    # A local reference (-r FILE) makes repo2docker install the pip section once the repository is copied into
    # the image, rather than from environment.yml alone. The course's helpers come after, from postBuild: pip's
    # hash-checking mode (requirements.txt has hashes) refuses an editable install in the same command.
    assert pip_lines() == ["-r requirements.txt"]
    post_build = (ROOT / "postBuild").read_text()
    assert post_build.startswith("#!/bin/bash\n")
    assert post_build.rstrip().endswith("\npip install --no-deps -e .")
    assert (ROOT / "postBuild").stat().st_mode & 0o111


def test_the_pinned_requirements_hold_the_proxy_and_the_slideshow():
    pins = (ROOT / "requirements.txt").read_text()
    for package in ("jupyter-server-proxy", "jupyterlab-rise", "jupyterlab"):
        assert re.search(rf"^{package}==\S+", pins, re.M), f"{package} is not pinned in requirements.txt"


def test_the_readme_shows_no_placeholder_link_and_says_how_to_make_the_real_one():
    readme = (ROOT / "README.md").read_text()
    assert "<owner>" not in readme  # no badge that leads nowhere
    assert "mybinder.org/v2/gh/OWNER/REPOSITORY/" in readme  # the form of the link
    binder = readme[readme.index("## Binder"):]
    assert "`make binder-link`" in binder[:binder.index("\n## ", 3)]


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("https://github.com/someone/deploy-ml-course.git", "someone/deploy-ml-course"),
        ("https://github.com/someone/deploy-ml-course", "someone/deploy-ml-course"),
        ("git@github.com:some-one/course.v2.git\n", "some-one/course.v2"),
        ("ssh://git@github.com/someone/course.git", "someone/course"),
    ],
)
def test_binder_link_is_derived_from_the_github_remote(remote, expected):
    assert binder_link.launch_link(remote) == f"https://mybinder.org/v2/gh/{expected}/HEAD?urlpath=lab/tree/index.ipynb"


@pytest.mark.parametrize("remote", ["https://gitlab.com/someone/course.git", "/work/main", ""])
def test_a_remote_binder_cannot_launch_is_refused_with_a_reason(remote):
    with pytest.raises(ValueError, match="not a GitHub repository"):
        binder_link.launch_link(remote)


def test_make_binder_link_prints_the_link_and_a_badge():
    result = subprocess.run(["make", "--no-print-directory", "binder-link", "REMOTE=https://github.com/a/b.git"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    link = "https://mybinder.org/v2/gh/a/b/HEAD?urlpath=lab/tree/index.ipynb"
    assert result.stdout.splitlines() == [link, f"Badge for the README: [![Launch on Binder](https://mybinder.org/badge_logo.svg)]({link})"]
