"""Chapter 04's look at the docs page, /api/docs, through a real headless Chromium.

``await look(url)`` opens the page in Chromium (driven by Playwright's *async* API, because a notebook's
kernel already runs an asyncio event loop, where Playwright's sync API refuses to start), lets it reach
127.0.0.1 only (the page must work with no network: its assets come from the swagger-ui-bundle package),
reads the operations Swagger UI drew, and saves a screenshot. Where no Chromium is installed it returns
the copy saved in ``saved/`` instead, and says so. ``python docs_page.py URL`` refreshes that copy from
a running app.
"""

import asyncio
import json
import os
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from course.browser import FLAGS

HERE = Path(__file__).resolve().parent
SAVED = HERE / "saved"
LIVE = HERE.parent / "build" / "docs"
VIEWPORT = {"width": 1000, "height": 1100}
#: Swagger UI (4.15) shows the description's address under the title: the machine's port, different at every
#: run. The screenshot hides that link (from script: the app's Content-Security-Policy forbids inline styles).
ADDRESS_LINK = ".info hgroup.main > a.link"


async def find_chromium(playwright) -> str | None:
    """$CHROMIUM or /usr/bin/chromium, else the one `playwright install chromium` downloaded, else None."""
    configured = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if Path(configured).is_file():
        return configured
    own = playwright.chromium.executable_path
    return own if Path(own).is_file() else None


async def look(url: str, folder: Path = LIVE) -> dict | None:
    """What Chromium shows at ``url + "/api/docs"``: title, operations, hosts it was refused; None without Chromium.

    The screenshot, of the page down to its schemas (every operation), is written to ``folder / "api-docs.png"``,
    the rest to ``folder / "api-docs.json"``; ``address_shown`` says whether the server's address (its port) is
    visible.
    """
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        executable = await find_chromium(playwright)
        if executable is None:
            return None
        browser = await playwright.chromium.launch(executable_path=executable, args=FLAGS, headless=True)
        try:
            context = await browser.new_context(viewport=VIEWPORT)
            elsewhere = []

            async def only_loopback(route):
                if urlsplit(route.request.url).hostname == "127.0.0.1":
                    await route.continue_()
                else:
                    elsewhere.append(route.request.url)
                    await route.abort()

            await context.route("**/*", only_loopback)
            page = await context.new_page()
            await page.goto(url + "/api/docs")
            await page.wait_for_selector(".opblock-summary-path", timeout=15_000)
            operations = await page.locator(".opblock").evaluate_all(
                "blocks => blocks.map(b => b.querySelector('.opblock-summary-method').textContent + ' ' +"
                " b.querySelector('.opblock-summary-path').getAttribute('data-path'))")
            title = (await page.locator(".info .title").inner_text()).splitlines()[0].strip()
            await page.locator(ADDRESS_LINK).evaluate_all("links => links.forEach(l => l.style.display = 'none')")
            address_shown = urlsplit(url).netloc in await page.locator("body").inner_text()
            folder.mkdir(parents=True, exist_ok=True)
            # the whole page down to the list of schemas: every operation, however many there are
            end = await page.evaluate("() => { const s = document.querySelector('section.models');"
                                      " return s ? s.getBoundingClientRect().top + window.scrollY :"
                                      " document.documentElement.scrollHeight; }")
            await page.screenshot(path=folder / "api-docs.png", full_page=True,
                                  clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": end})
        finally:
            await browser.close()
    seen = {"title": title, "operations": operations, "other_hosts_asked": elsewhere, "address_shown": address_shown}
    (folder / "api-docs.json").write_text(json.dumps(seen, indent=2) + "\n")
    return seen


async def look_or_saved(url: str) -> tuple[dict, Path, bool]:
    """(what was seen, the folder with its screenshot, live?): a live look, else the copy saved in saved/."""
    seen = await look(url)
    if seen is not None:
        return seen, LIVE, True
    return json.loads((SAVED / "api-docs.json").read_text()), SAVED, False


def in_background(url: str) -> Future:
    """Start :func:`look_or_saved` in a thread with its own event loop; ``.result()`` waits for it.

    Chromium then starts and draws the page while the notebook goes on; the kernel's own event loop is
    left alone.
    """
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="docs-page").submit(
        asyncio.run, look_or_saved(url))


if __name__ == "__main__":
    print(asyncio.run(look(sys.argv[1], SAVED)))
