"""schemathesis as a testing layer (05_testing/fuzz.py): it finds the bug planted in the split-the-bill API
from its description alone, and finds nothing once the bug is fixed. The run against the fraud app itself,
with every phase, is tests/test_openapi_schemathesis.py."""

import logging

import pytest

import course
import fuzz
import split_api


@pytest.fixture(params=[False, True], ids=["planted bug", "fixed"])
def split_server(request):
    logging.getLogger("split_api").disabled = True  # the planted bug's traceback: expected, and not news
    with course.serve_app(split_api.create_app(fixed=request.param), name="split", announce=False) as server:
        yield request.param, server
    logging.getLogger("split_api").disabled = False


def test_schemathesis_finds_the_planted_bug_and_passes_the_fix(split_server):
    fixed, server = split_server
    result = fuzz.run(server.url + "/openapi.json", server.url, examples=10, phases=("coverage",))
    if fixed:
        assert result.passed, fuzz.summary(result)
        return
    assert not result.passed
    assert {failure["code"] for failure in result.failures} >= {"ST101"}  # Server error: the 500
    assert result.requests_that_failed() == ['{"people": 0, "total": 0.0}']
    assert "FAILED ST101 Server error: POST /split" in fuzz.summary(result)


def test_the_description_says_what_the_fixed_app_does():
    """The planted bug is in the app, not in the description: people is 1 to 100 in both."""
    people = split_api.DESCRIPTION["paths"]["/split"]["post"]["requestBody"]["content"]["application/json"]
    assert people["schema"]["properties"]["people"] == {"type": "integer", "minimum": 1, "maximum": 100}
    client = split_api.create_app(fixed=True).test_client()
    assert client.post("/split", json={"total": 10, "people": 0}).status_code == 400
    assert client.post("/split", json={"total": 10, "people": 1}).get_json() == {"each": 10}
