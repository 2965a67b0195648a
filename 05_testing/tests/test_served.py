"""The app as production runs it: gunicorn with two worker processes, over real HTTP on 127.0.0.1."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests


def test_gunicorn_serves_the_app(served):
    assert requests.get(served.url + "/health", timeout=5).json()["status"] == "ok"


def malformed_bodies(transaction):
    """Bad requests of every kind a careless or hostile client might send."""
    text = json.dumps(transaction)
    yield "application/json", "{"
    yield "application/json", text.replace("42.5", "NaN")
    yield "application/json", text.replace("42.5", "1e999")
    yield "application/json", "[" * 5000 + "]" * 5000
    yield "application/json", json.dumps({"transactions": [transaction] * 1001})
    yield "application/json", json.dumps({"transactions": [{"amount": "x"}] * 50})
    yield "application/json", '"\\ud800"'
    yield "application/json", b"\xff\xfe\x00garbage"
    yield "text/plain", text
    yield "application/json", json.dumps({**transaction, "amount": 10**400})
    yield "application/json", json.dumps({**transaction, "merchant_category": {"nested": [1, 2]}})
    yield "application/json", "x" * (2 * 1024 * 1024)
    for field in transaction:
        for value in (None, "", [], {}, True, -1, 10**12, "💳"):
            yield "application/json", json.dumps({**transaction, field: value})


def test_no_bad_input_produces_a_server_error(served, auth, transaction):
    statuses = set()
    for content_type, body in malformed_bodies(transaction):
        for path in ("/api/v1/predict", "/api/v1/predictions"):
            response = requests.post(
                served.url + path, data=body, headers={"Content-Type": content_type, **auth.valid}, timeout=10
            )
            assert response.status_code < 500, (path, body[:200], response.text[:300])
            assert response.headers["Content-Type"] == "application/json"
            statuses.add(response.status_code)
    assert statuses <= {200, 201, 400, 413, 415}  # a few of the variations are valid (true for a boolean)
    assert {400, 413, 415} <= statuses
    assert requests.get(served.url + "/health", timeout=5).status_code == 200  # still up


@pytest.mark.parametrize("server", ["served", "served_postgresql"], ids=["sqlite", "postgresql"])
def test_concurrent_writes_across_workers_are_all_stored(request, server, auth, transaction):
    served = request.getfixturevalue(server)

    def create(hour_and_index):
        hour, index = hour_and_index
        body = {**transaction, "hour": hour, "account_age_days": index}
        return requests.post(served.url + "/api/v1/predictions", json=body, headers=auth.valid, timeout=30)

    jobs = [(i % 24, i) for i in range(300)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = list(pool.map(create, jobs))
    assert [r.status_code for r in responses] == [201] * len(jobs)
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == len(jobs)
    stored = {}
    for offset in range(0, 400, 100):
        page = requests.get(served.url + "/api/v1/predictions", params={"limit": 100, "offset": offset}, timeout=10,
                            headers=auth.valid)
        stored.update({item["id"]: item["inputs"]["account_age_days"] for item in page.json()["items"]})
    assert {stored[i] for i in ids} == {index for _, index in jobs}
