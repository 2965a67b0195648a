"""Chapter 04's look at the docs page (04_flask_app/docs_page.py): live in Chromium, and the copy saved for
machines without one, which must still match the app's description."""

import asyncio
import json

import pytest
import requests

import course
import docs_page
from course.browser import find_chromium


@pytest.fixture(scope="module")
def served(model_path, tmp_path_factory):
    """The Flask app under gunicorn, as chapter 04 serves it."""
    folder = tmp_path_factory.mktemp("docs-page")
    server = course.serve_command("gunicorn --config gunicorn.conf.py", name="fraud app (docs page)",
                                  cwd=docs_page.HERE, ready_path="/health", announce=False,
                                  env={"FRAUD_MODEL_PATH": str(model_path),
                                       "FRAUD_DATABASE": str(folder / "predictions.sqlite3")})
    yield server
    server.stop()


def operations(served) -> list[str]:
    description = requests.get(served.url + "/api/v1/openapi.json", timeout=10).json()
    return sorted(f"{method.upper()} {path}" for path, item in description["paths"].items()
                  for method in item if method != "parameters")


def test_the_saved_copy_shows_the_operations_of_todays_description(served):
    """Stale when an operation is added or removed: refresh it with `python docs_page.py URL` (see docs_page.py)."""
    saved = json.loads((docs_page.SAVED / "api-docs.json").read_text())
    assert sorted(saved["operations"]) == operations(served)
    assert saved["other_hosts_asked"] == []
    assert saved["address_shown"] is False  # no port of the machine that made it
    assert (docs_page.SAVED / "api-docs.png").read_bytes().startswith(b"\x89PNG")


def test_chromium_draws_every_operation_with_no_network(served, tmp_path):
    if find_chromium() is None:
        pytest.skip("no Chromium found (see course/browser.py)")
    seen = asyncio.run(docs_page.look(served.url, tmp_path))
    assert seen["title"] == "Fraud detection API"
    assert sorted(seen["operations"]) == operations(served)
    assert seen["other_hosts_asked"] == []
    assert seen["address_shown"] is False
    assert (tmp_path / "api-docs.png").read_bytes().startswith(b"\x89PNG")
    assert json.loads((tmp_path / "api-docs.json").read_text()) == seen


def test_without_chromium_the_saved_copy_is_shown(served, monkeypatch):
    async def no_chromium(playwright):
        return None

    monkeypatch.setattr(docs_page, "find_chromium", no_chromium)
    seen, folder, live = docs_page.in_background(served.url).result(timeout=60)
    assert (folder, live) == (docs_page.SAVED, False)
    assert seen == json.loads((docs_page.SAVED / "api-docs.json").read_text())
