"""Refuse, with a clear message, a Python that the pinned requirements do not support.

Run by `make setup` before it creates the virtual environment, and again with the
environment's own Python. Standard library only.

A Python is supported when every pin in requirements.txt publishes a wheel for it
(nothing to compile on a learner's laptop) and Heroku's Python buildpack can run it,
because the bundle deploys the Python the model was trained with. Python 3.15 is not
supported yet: the pinned numpy 2.4.6, scipy 1.17.1, contourpy 1.3.3 and pyinstrument
5.1.3 publish no cp315 wheels, and Heroku's buildpack offers 3.11 to 3.14.
"""

import sys

SUPPORTED = ((3, 11), (3, 12), (3, 13), (3, 14))


def names() -> str:
    """The supported versions as a README would write them: "3.11, 3.12, 3.13 or 3.14"."""
    versions = [f"{major}.{minor}" for major, minor in SUPPORTED]
    return ", ".join(versions[:-1]) + " or " + versions[-1]


def problem(version=sys.version_info[:2], executable=sys.executable):
    """The message to show for an unsupported Python, or None when it is supported."""
    if tuple(version) in SUPPORTED:
        return None
    return (
        f"This course needs Python {names()}; `{executable}` is Python {version[0]}.{version[1]}.\n"
        "Install a supported Python and point make at it, for example:\n"
        "    make distclean setup PYTHON=python3.12\n"
    )


if __name__ == "__main__":
    message = problem()
    if message:
        sys.stderr.write(message)
        sys.exit(1)
