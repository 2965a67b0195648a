"""Refuse, with a clear message, a Python that the pinned requirements do not support.

Run by `make setup` before it creates the virtual environment, and again with the
environment's own Python. Standard library only.
"""

import sys

SUPPORTED = ((3, 11), (3, 12), (3, 13))


def problem(version=sys.version_info[:2], executable=sys.executable):
    """The message to show for an unsupported Python, or None when it is supported."""
    if tuple(version) in SUPPORTED:
        return None
    names = ", ".join(f"{major}.{minor}" for major, minor in SUPPORTED)
    return (
        f"This course needs Python {names}; `{executable}` is Python {version[0]}.{version[1]}.\n"
        "Install a supported Python and point make at it, for example:\n"
        "    make distclean setup PYTHON=python3.12\n"
    )


if __name__ == "__main__":
    message = problem()
    if message:
        sys.stderr.write(message)
        sys.exit(1)
