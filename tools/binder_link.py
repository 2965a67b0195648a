"""Print the Binder launch link of this repository, derived from its GitHub remote (`make binder-link`).

    python tools/binder_link.py              # from `git remote get-url origin`
    python tools/binder_link.py --remote git@github.com:someone/deploy-ml-course.git

Binder builds public GitHub repositories only; for any other remote this says so and exits with status 1.
Standard library only.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys

PAGE = "lab/tree/index.ipynb"  # where the course opens
#: https://github.com/OWNER/REPO(.git), git@github.com:OWNER/REPO(.git), ssh://git@github.com/OWNER/REPO(.git)
GITHUB = re.compile(r"^(?:https://|ssh://git@|git@)github\.com[/:]([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")


def launch_link(remote: str) -> str:
    """The mybinder.org link that opens the course from ``remote``; ValueError for a remote that is not GitHub."""
    found = GITHUB.match(remote.strip())
    if not found:
        raise ValueError(f"{remote.strip()!r} is not a GitHub repository: Binder launches public GitHub repositories")
    owner, repository = found.groups()
    return f"https://mybinder.org/v2/gh/{owner}/{repository}/HEAD?urlpath={PAGE}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--remote", help="a git remote URL (default: this repository's origin)")
    args = parser.parse_args()
    remote = args.remote
    if remote is None:
        found = subprocess.run(["git", "remote", "get-url", "origin"], capture_output=True, text=True, check=False)
        if found.returncode != 0:
            print("This repository has no remote called origin: push it to GitHub first "
                  "(or pass --remote URL).", file=sys.stderr)
            return 1
        remote = found.stdout
    try:
        link = launch_link(remote)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    print(link)
    print(f"Badge for the README: [![Launch on Binder](https://mybinder.org/badge_logo.svg)]({link})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
