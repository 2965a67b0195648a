"""End to end in a real browser: Chromium, driven by Playwright, fills in the app's form.

Where the browser lives, and when these tests are skipped: see course/browser.py.

The result (the probability read from the page, and a screenshot) is written to
$BROWSER_RESULTS (default build/browser/), where chapter 05's notebook shows it.

A person at the form has no token, so the app shows them the decision only (fraud_app.disclosure). The test
that reads the probability from the page runs against the app in its open demo (FRAUD_OPEN_DEMO=on, as
chapter 04 runs it): the one honest way for a browser, which sends no token, to be shown it.
"""

import json
import os
from pathlib import Path

import pytest
import requests

from course.browser import chromium_for_test
from course.fraud_server import gunicorn_fraud_app

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(os.environ.get("BROWSER_RESULTS", ROOT / "build" / "browser"))


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium for this module's tests."""
    with chromium_for_test("the browser test") as browser:
        yield browser


@pytest.fixture(scope="module")
def demo(model_path, auth, tmp_path_factory):
    """The app as `served` runs it (gunicorn, two workers), in its open demo: anyone sees the probability."""
    database = tmp_path_factory.mktemp("demo") / "predictions.sqlite3"
    with gunicorn_fraud_app(model_path, auth.token, {"FRAUD_DATABASE": str(database), "FRAUD_OPEN_DEMO": "on"},
                            name="gunicorn (open demo)") as server:
        yield server


@pytest.fixture
def page(browser):
    """A fresh page (its own cookies and cache) at a desktop size."""
    context = browser.new_context(viewport={"width": 900, "height": 1100})
    yield context.new_page()
    context.close()


def fill(page, transaction):
    """Type each value into its field the way a person would: text boxes and drop-downs."""
    for name, value in transaction.items():
        field = page.locator(f"#{name}")
        if field.evaluate("element => element.tagName") == "SELECT":
            field.select_option(str(value).lower() if isinstance(value, bool) else value)
        else:
            field.fill(str(value))


def test_fill_the_form_submit_and_read_the_probability(demo, page, risky, auth):
    page.goto(demo.url + "/")
    assert page.title() == "Fraud check"
    fill(page, risky)
    page.get_by_role("button", name="Check this transaction").click()
    shown = page.locator("#fraud-probability")
    probability = float(shown.get_attribute("data-probability"))
    expected = requests.post(demo.url + "/api/v1/predict", json=risky, headers=auth.valid,
                             timeout=5).json()["fraud_probability"]
    assert probability == expected
    assert shown.inner_text() == f"{probability * 100:.1f} %"
    assert "flag as fraud" in page.locator("#fraud-decision").inner_text()

    RESULTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=RESULTS / "form-result.png", full_page=True)
    result = {"transaction": risky, "fraud_probability": probability, "shown": shown.inner_text(),
              "decision": page.locator("#fraud-decision").inner_text()}
    (RESULTS / "form-result.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")


def test_without_the_token_the_page_shows_the_decision_only(served, page, risky, auth):
    page.goto(served.url + "/")
    fill(page, risky)
    page.get_by_role("button", name="Check this transaction").click()
    decision = page.locator("#fraud-decision")
    assert decision.get_attribute("data-is-fraud") == "true"
    assert "flag as fraud" in decision.inner_text()
    assert page.locator("#fraud-probability").count() == 0
    assert " %" not in page.locator("main").inner_text()  # no probability, no threshold anywhere on the page
    assert page.title() == "Result: flag as fraud"
    api = requests.post(served.url + "/api/v1/predict", json=risky, headers=auth.valid, timeout=5).json()
    assert api["is_fraud"] is True


def test_a_bad_value_is_refused_beside_its_field_and_kept(served, page, transaction):
    page.goto(served.url + "/")
    fill(page, {**transaction, "hour": 25})
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name="Check this transaction").click()
    assert answer.value.status == 400
    assert page.locator("#hour-error").inner_text() == "Hour of the day must be between 0 and 23; you entered 25"
    assert page.locator("#hour").input_value() == "25"
    assert page.locator("#hour").get_attribute("aria-invalid") == "true"
    assert page.locator("#fraud-probability").count() == 0
    RESULTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=RESULTS / "form-error.png", full_page=True)


def test_the_form_works_from_the_keyboard_alone(served, page):
    page.goto(served.url + "/")
    page.locator("#amount").focus()
    page.keyboard.press("Tab")  # from one field to the next
    page.keyboard.type("7")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Enter in a field submits the form
    assert page.locator("#fraud-decision").count() == 1


def test_the_form_fits_a_phone_screen(served, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(served.url + "/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    assert page.locator("#amount").bounding_box()["width"] > 250  # fields use the width
    context.close()
