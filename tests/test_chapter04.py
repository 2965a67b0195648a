"""Chapter 04's demos: the oracle an open scoring endpoint gives, and `flask --app fraud_app run` as shown."""

import os
import shutil
import subprocess

import pytest
import requests

import course
import fraud_app
import oracle
from course.servers import find_program

RISKY = {"amount": 2400.0, "hour": 3, "merchant_category": "electronics", "distance_from_home_km": 800.0,
         "is_online": True, "is_foreign": True, "transactions_last_24h": 9, "account_age_days": 5}


def test_the_oracle_tunes_a_flagged_transaction_below_the_threshold_with_exact_probabilities(model_path, tmp_path):
    # The open demo (FRAUD_OPEN_DEMO=on), as chapter 04 runs it: the probability to anyone, rate limit off
    app = fraud_app.create_app({"MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "db.sqlite3"),
                                "OPEN_DEMO": True, "RATE_LIMIT": "off"})
    client = app.test_client()

    def probability(transaction):
        return client.post("/api/v1/predict", json=transaction).get_json()["fraud_probability"]

    threshold = app.extensions["fraud_model"].threshold
    assert probability(RISKY) >= threshold
    tuned, steps, calls = oracle.tune(probability, RISKY, threshold)
    assert client.post("/api/v1/predict", json=tuned).get_json()["is_fraud"] is False
    assert steps
    assert all(field in oracle.CHOICES for field, _, _ in steps)
    unchanged = ("is_foreign", "account_age_days")  # what a fraudster cannot choose
    assert {key: tuned[key] for key in unchanged} == {key: RISKY[key] for key in unchanged}
    assert calls < 200  # a handful of rounds: cheap enough to be a real threat


def test_the_oracle_stops_when_nothing_lowers_the_score():
    tuned, steps, calls = oracle.tune(lambda transaction: 0.9, RISKY, threshold=0.5)
    assert (tuned, steps) == (RISKY, [])
    assert calls == 1 + sum(len([v for v in values if v != RISKY[field]]) for field, values in oracle.CHOICES.items())


def test_the_oracle_follows_the_steepest_step_and_counts_every_request():
    def score(transaction):  # only the amount matters, and smaller is safer
        return transaction["amount"] / 2400.0

    tuned, steps, _ = oracle.tune(score, RISKY, threshold=0.05)
    assert steps[0] == ("amount", 80.0, 80.0 / 2400.0)
    assert tuned["amount"] == 80.0


@pytest.fixture
def top_folder(tmp_path, model_path):
    """A folder laid out like the repository's top after `make model`: models/ holds the model."""
    (tmp_path / "models").mkdir()
    for suffix in (".pkl", ".json"):
        shutil.copy(model_path.with_suffix(suffix), tmp_path / "models" / f"fraud_model{suffix}")
    (tmp_path / "04_flask_app").mkdir()
    return tmp_path


def _flask_run(cwd, env):
    return course.serve_command("flask --app fraud_app run --port {port}", name="flask run (test)", cwd=cwd,
                                env={"FRAUD_MODEL_PATH": "", **env}, ready_path="/health", announce=False)


@pytest.mark.parametrize(("where", "env"), [
    (".", {}),                                                       # from the top folder, as the chapter says
    ("04_flask_app", {"FRAUD_MODEL_PATH": "../models/fraud_model.pkl"}),  # from the chapter's folder, with the path
])
def test_flask_run_works_as_the_chapter_shows(top_folder, where, env):
    server = _flask_run(top_folder / where, {"FRAUD_DATABASE": "", **env})
    try:
        assert requests.get(server.url + "/health", timeout=5).json()["status"] == "ok"
    finally:
        server.stop()


def test_flask_run_from_the_chapter_folder_without_the_path_stops_at_start_up(top_folder):
    crashed = subprocess.run([find_program("flask"), "--app", "fraud_app", "run"], cwd=top_folder / "04_flask_app",
                             env={**os.environ, "FRAUD_MODEL_PATH": ""},
                             capture_output=True, text=True, timeout=60)
    assert crashed.returncode == 1
    last = crashed.stderr.strip().splitlines()[-1]
    assert last.startswith("artefact.ArtefactError: models/fraud_model.json: not found")
