"""Bad input costs the client, not the server: short error answers, unknown keys refused before pydantic.

A body of 90,000 unknown keys once got a 34 MB answer after 2.5 s (each problem repeated every field's name),
a batch of 1,000 transactions with 100 unknown keys each a 23 MB one, and sixteen such requests at once took
two gunicorn workers past 1.3 GB. Now: at most 20 problems, each a short message, and how many more were found.
"""

import json
import threading
import time
from pathlib import Path

import pytest
import requests

from course.fraud_server import gunicorn_fraud_app
from fraud_app import contract
from train import FEATURE_NAMES as FIELDS

ERROR_ANSWER_MAX = 8 * 1024  # "a few kilobytes", whatever the request
RSS_MAX_MB = 400


def unknown_keys(count: int) -> dict:
    return {str(i): 0 for i in range(count)}


def hostile_object() -> bytes:
    """An object of 90,000 unknown keys: about 830 KB, under the 1 MiB body limit."""
    return json.dumps(unknown_keys(90_000), separators=(",", ":")).encode()


def hostile_batch(transaction) -> bytes:
    """1,000 transactions, each with 100 unknown keys."""
    row = {**transaction, **{f"x{i}": 0 for i in range(100)}}
    return json.dumps({"transactions": [row] * 1000}, separators=(",", ":")).encode()


def post(client, body: bytes, headers=None):
    return client.post("/api/v1/predict", data=body, content_type="application/json", headers=headers or {})


def test_an_object_of_90000_unknown_keys_gets_an_answer_of_a_few_kilobytes(client, auth):
    body = hostile_object()
    assert 800_000 < len(body) < 1024 * 1024
    response = post(client, body, auth.valid)
    assert response.status_code == 400
    assert len(response.data) < ERROR_ANSWER_MAX, len(response.data)
    error = response.get_json()["error"]
    assert len(error["details"]) == contract.MAX_PROBLEMS
    missing = len(FIELDS)  # none of the transaction's own fields is there either
    assert error["omitted"] == 90_000 + missing - contract.MAX_PROBLEMS
    assert error["message"].endswith(f"and {90_000 - 5} more problems (a transaction's fields are "
                                     f"{', '.join(FIELDS)})")
    unknown = [d for d in error["details"] if d["rule"] == "unknown"]
    assert unknown[0] == {"field": "0", "rule": "unknown", "message": "unknown field '0'"}  # short: no field list


def test_a_batch_of_1000_with_100_unknown_keys_each_gets_an_answer_of_a_few_kilobytes(client, auth, transaction):
    response = post(client, hostile_batch(transaction), auth.valid)
    assert response.status_code == 400
    assert len(response.data) < ERROR_ANSWER_MAX, len(response.data)
    error = response.get_json()["error"]
    assert error["message"] == "1000 of 1000 transactions are invalid"
    assert [(d["index"], d["rule"]) for d in error["details"]] == [(0, "unknown")] * 20
    assert error["omitted"] == 1000 * 100 - 20


def test_every_problem_is_counted_when_not_all_are_listed(client, auth, transaction):
    batch = [{**transaction, "hour": 99, "amount": "x"}] * 30
    error = post(client, json.dumps({"transactions": batch}).encode(), auth.valid).get_json()["error"]
    assert len(error["details"]) == 20
    assert error["omitted"] == 30 * 2 - 20
    assert [d["index"] for d in error["details"]] == [i // 2 for i in range(20)]


def test_a_few_problems_are_all_listed_without_a_count(client, transaction):
    error = client.post("/api/v1/predict", json={**transaction, "hour": 99}).get_json()["error"]
    assert len(error["details"]) == 1
    assert "omitted" not in error


def test_unknown_keys_never_reach_pydantic(app, transaction, monkeypatch):
    """Refused early: pydantic checks at most the schema's own fields, however many keys the object has."""
    schema = app.extensions["fraud_model"].schema
    model = contract.transaction_model(schema)
    seen = []

    class Spy:
        @staticmethod
        def model_validate(data):
            seen.append(len(data))
            return model.model_validate(data)

    monkeypatch.setattr(contract, "transaction_model", lambda _schema: Spy)
    with pytest.raises(contract.ValidationError) as refused:
        contract.validate_transaction(schema, {**transaction, **unknown_keys(50_000)})
    assert seen == [len(schema.names)]
    assert refused.value.omitted == 50_000 - contract.MAX_PROBLEMS
    assert refused.value.problems[0].field == "0"  # the unknown ones by name, the first twenty only


@pytest.mark.parametrize("change", [
    {"merchant_category": "x" * 500_000},  # a category's value is repeated in its message
    {"y" * 500_000: 1},  # so is an unknown key's name
])
def test_a_huge_value_or_name_is_cut_in_the_answer(client, transaction, change):
    response = client.post("/api/v1/predict", json={**transaction, **change})
    assert response.status_code == 400
    assert len(response.data) < ERROR_ANSWER_MAX, len(response.data)
    assert "... (500000 characters)" in response.get_json()["error"]["message"]


def rss_mb(pid: int, field: str = "VmHWM") -> float:
    """A process's resident memory (VmHWM: the most it has held; VmRSS: now) in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)  # pragma: no cover


def children(pid: int, count: int) -> list[int]:
    """The ``count`` child processes of ``pid`` (gunicorn's workers), once they are all there."""
    deadline = time.monotonic() + 30
    while True:
        found = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads memory from Linux's /proc")
def test_sixteen_hostile_requests_at_once_keep_every_gunicorn_process_under_400_mb(model_path, auth, transaction,
                                                                                   tmp_path):
    bodies = [hostile_object(), hostile_batch(transaction)] * 8
    env = {"FRAUD_DATABASE": str(tmp_path / "predictions.sqlite3"), "GUNICORN_THREADS": "8",
           "FRAUD_RATE_LIMIT": "1000/minute"}  # anonymous, as an attacker; the limit is not what is tested here
    with gunicorn_fraud_app(model_path, auth.token, env, name="gunicorn (hostile input)", workers=2) as server:
        master = server._process.pid
        workers = children(master, 2)
        assert len(workers) == 2
        answers: list = [None] * len(bodies)
        start = threading.Barrier(len(bodies))

        def send(index: int) -> None:
            start.wait(timeout=30)
            answers[index] = requests.post(server.url + "/api/v1/predict", data=bodies[index], timeout=120,
                                           headers={"Content-Type": "application/json"})

        threads = [threading.Thread(target=send, args=(index,)) for index in range(len(bodies))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        assert [answer.status_code for answer in answers] == [400] * len(bodies)
        assert max(len(answer.content) for answer in answers) < ERROR_ANSWER_MAX
        peaks = {pid: rss_mb(pid) for pid in [master, *workers]}
        assert max(peaks.values()) < RSS_MAX_MB, peaks
