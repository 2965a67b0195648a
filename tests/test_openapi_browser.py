"""The docs page in a real browser: Chromium (driven by Playwright, see course/browser.py) opens /api/docs
with no network but loopback, served by gunicorn, at the root and behind a Binder-style /proxy/<port>/
prefix, and sees every operation of the description; "Try it out" reaches the app.

Every request the page makes is watched: one to any other host fails the test (a CDN, a validator
badge, a font), and so does any Content-Security-Policy violation Chromium reports. The screenshot goes
to $BROWSER_RESULTS (default build/browser/api-docs.png), for chapter 04.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_proxy_prefix import plain_proxy

import course
from course.browser import chromium_for_test
from course.fraud_server import gunicorn_fraud_app

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(os.environ.get("BROWSER_RESULTS", ROOT / "build" / "browser"))
TOKEN = "docs-browser-token"


@pytest.fixture(scope="module")
def served(model_path, tmp_path_factory):
    database = tmp_path_factory.mktemp("docs") / "predictions.sqlite3"
    with gunicorn_fraud_app(model_path, TOKEN, {"FRAUD_DATABASE": str(database), "DATABASE_URL": ""},
                            name="gunicorn (docs page)") as server:
        yield server


@pytest.fixture(scope="module")
def proxy():
    """A proxy that serves every app under /proxy/<port>/ and strips that prefix, as jupyter-server-proxy does."""
    with course.serve_app(plain_proxy, name="prefix proxy", announce=False) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    with chromium_for_test("the docs page's browser test") as browser:
        yield browser


class Watched:
    """A page whose requests to anything but 127.0.0.1 are refused and recorded, as are CSP violations."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1200, "height": 1400})
        self.elsewhere, self.violations, self.errors = [], [], []
        self.context.route("**/*", self.only_loopback)
        self.page = self.context.new_page()
        self.page.on("console", self.console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def only_loopback(self, route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.elsewhere.append(route.request.url)
            route.abort()

    def console(self, message):
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.violations.append(message.text)


@pytest.fixture
def watched(browser):
    watched = Watched(browser)
    yield watched
    watched.context.close()


def operations_shown(page) -> set[tuple[str, str]]:
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    shown = page.locator(".opblock").evaluate_all(
        "blocks => blocks.map(b => [b.querySelector('.opblock-summary-method').textContent.toLowerCase(),"
        " b.querySelector('.opblock-summary-path').getAttribute('data-path')])")
    return {tuple(pair) for pair in shown}


def try_health(page) -> str:
    """Open GET /health, press "Try it out" then "Execute"; the status code the page shows."""
    block = page.locator(".opblock", has=page.locator("[data-path='/health']"))
    block.locator(".opblock-summary").click()
    block.get_by_role("button", name="Try it out").click()
    block.get_by_role("button", name="Execute").click()
    status = block.locator(".live-responses-table td.response-col_status:not(.col_header)")
    status.wait_for(timeout=10_000)
    return status.inner_text().strip()


def expected_operations(served) -> set[tuple[str, str]]:
    import requests

    description = requests.get(served.url + "/api/v1/openapi.json", timeout=10).json()
    return {(method, path) for path, item in description["paths"].items() for method in item if method != "parameters"}


def check_docs_page(watched, url, served):
    page = watched.page
    answer = page.goto(url)
    assert answer.status == 200
    assert operations_shown(page) == expected_operations(served)
    assert page.locator(".info .title").inner_text().startswith("Fraud detection API")
    assert try_health(page) == "200"
    assert watched.elsewhere == [], "the page tried to reach another host"
    assert watched.violations == [], "the Content-Security-Policy refused something the page needs"
    assert watched.errors == []


def test_the_docs_page_shows_every_operation_with_no_network(served, watched):
    check_docs_page(watched, served.url + "/api/docs", served)
    RESULTS.mkdir(parents=True, exist_ok=True)
    watched.page.screenshot(path=RESULTS / "api-docs.png")


def test_the_docs_page_works_behind_a_path_prefix(served, proxy, watched):
    prefix = f"{proxy.url}/proxy/{served.port}/"
    check_docs_page(watched, prefix + "api/docs", served)
    # Every request the page made stayed under the prefix: the assets, the description, "Try it out".
    made = []
    watched.page.on("request", lambda request: made.append(request.url))
    watched.page.reload()
    operations_shown(watched.page)
    assert made
    assert all(url.startswith(prefix) for url in made), made


def test_the_watch_would_see_a_request_to_another_host(browser):
    """The no-network check can fail: a page that asks a CDN is caught."""
    watched = Watched(browser)
    try:
        watched.page.set_content('<img src="https://cdn.example.invalid/x.png">')
        watched.page.wait_for_timeout(200)
        assert watched.elsewhere == ["https://cdn.example.invalid/x.png"]
    finally:
        watched.context.close()
