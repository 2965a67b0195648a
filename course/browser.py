"""A headless Chromium for the tests that need a real browser (chapter 05's form test, the slides).

Where the browser lives: $CHROMIUM (default /usr/bin/chromium, Debian's package), else a Chromium
that Playwright installed itself (`playwright install chromium`). Without either, a test is skipped
with a visible reason, except when CI=true: there it must run, so it fails instead.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

# As root in a container Chromium needs --no-sandbox; the rest keep it from calling home
# (this machine, like many CI runners, has no network beyond the package registries).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]
WHERE = "$CHROMIUM, /usr/bin/chromium or `playwright install chromium`"


def find_chromium() -> str | None:
    """The Chromium to drive: $CHROMIUM or /usr/bin/chromium, else Playwright's own, else None."""
    configured = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if Path(configured).is_file():
        return configured
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        own = playwright.chromium.executable_path
    return own if Path(own).is_file() else None


@contextlib.contextmanager
def chromium_for_test(purpose: str) -> Iterator:
    """A launched headless Chromium (Playwright's Browser) for a pytest fixture to yield.

    Skips the test when there is no Chromium, and fails it instead when CI=true.
    """
    import pytest
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    if executable is None:
        reason = f"no Chromium found ({WHERE})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{purpose} is mandatory in CI, but {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
