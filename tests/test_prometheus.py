"""A real Prometheus (Debian's `prometheus` package, which .ci/run installs) scrapes the app served by gunicorn
with two workers, with the bearer token, and counts exactly the predictions that were made."""

import os
from pathlib import Path

import pytest
import requests

from course.prometheus import (
    QUERY,
    config_text,
    counts_by_process,
    find_prometheus,
    load_run,
    save_run,
    serve_gunicorn,
    spread_predictions,
    start_prometheus,
)

TOKEN = "prometheus-test-token"
SCRAPE = "prometheus-scrape-token"  # the app's FRAUD_METRICS_TOKEN: what Prometheus holds
ORDINARY = {"amount": 42.5, "hour": 14, "merchant_category": "grocery", "distance_from_home_km": 3.2,
            "is_online": False, "is_foreign": False, "transactions_last_24h": 2, "account_age_days": 900}
RISKY = {"amount": 2400.0, "hour": 3, "merchant_category": "electronics", "distance_from_home_km": 800.0,
         "is_online": True, "is_foreign": True, "transactions_last_24h": 9, "account_age_days": 5}
TRAFFIC = [ORDINARY, RISKY, ORDINARY, ORDINARY, ORDINARY]


@pytest.fixture(scope="module")
def installed():
    if find_prometheus() is None:
        reason = "no Prometheus installed (apt-get install prometheus, or set PROMETHEUS_BIN)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true needs it (.ci/run installs it)", pytrace=False)
        pytest.skip(reason)


def test_prometheus_reads_back_every_prediction_made_across_both_workers(installed, model_path, tmp_path):
    with serve_gunicorn(model_path, TOKEN, tmp_path, metrics_token=SCRAPE) as app, \
            start_prometheus(app.url, SCRAPE) as prometheus:
        assert prometheus.targets() == [{"job": "fraud_app", "health": "up", "error": ""}]
        assert prometheus.value(QUERY) == 0, "scraped before any prediction: both decisions at 0"

        sent = spread_predictions(app.url, TOKEN, TRAFFIC, tmp_path / "metrics")
        assert len([count for count in counts_by_process(tmp_path / "metrics").values() if count]) == 2

        assert prometheus.wait_for(QUERY, sent, timeout=30) == sent
        by_decision = prometheus.query("sum by (decision) (fraud_predictions_total)")
        assert by_decision == [{"metric": {"decision": "fraud"}, "value": sent / 5},
                               {"metric": {"decision": "legit"}, "value": sent * 4 / 5}]
        card = requests.get(app.url + "/api/v1/model", timeout=10).json()
        assert prometheus.query("fraud_model_info") == [{
            "metric": {"__name__": "fraud_model_info", "digest": card["artefact_sha256"], "instance": "app",
                       "job": "fraud_app", "version": card["model_version"]},
            "value": 1.0,
        }]
        assert prometheus.value('sum(fraud_request_duration_seconds_count{endpoint="api.predict",status="200"})') > 0

        scrape = {"Authorization": f"Bearer {SCRAPE}"}
        assert requests.get(app.url + "/api/v1/predictions", headers=scrape, timeout=10).status_code == 401
        folder = prometheus.folder
    assert not folder.exists(), "Prometheus's folder (configuration, token, data) is removed when it stops"
    assert app.returncode == 0, app.log()


def test_a_saved_run_reads_back_the_same_and_is_the_same_bytes_each_time(tmp_path):
    run = {"queries": {QUERY: [{"metric": {}, "value": 15.0}]}, "rules": ["B", "A"]}
    save_run(run, tmp_path / "one.json")
    save_run(dict(reversed(list(run.items()))), tmp_path / "two.json")  # the same run, its keys in another order
    assert load_run(tmp_path / "one.json") == run
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()


def test_without_the_token_prometheus_reports_the_target_down(installed, model_path, tmp_path):
    with serve_gunicorn(model_path, TOKEN, tmp_path, metrics_token=SCRAPE) as app, \
            pytest.raises(RuntimeError, match="HTTP status 401"):
        start_prometheus(app.url, "not-the-token-0123456789")


def test_the_configuration_names_the_token_file_never_the_token():
    text = config_text("127.0.0.1:8000")
    assert "credentials_file: \"token\"" in text
    assert "type: Bearer" in text
    assert 'targets: ["127.0.0.1:8000"]' in text


def test_an_absent_prometheus_is_reported_clearly(monkeypatch, tmp_path):
    from course.prometheus import PrometheusNotFound

    monkeypatch.setenv("PROMETHEUS_BIN", str(tmp_path / "no-prometheus"))
    assert find_prometheus() is None
    with pytest.raises(PrometheusNotFound, match="no Prometheus found at PROMETHEUS_BIN="):
        start_prometheus("http://127.0.0.1:1", "token")
    assert not list(Path(tmp_path).iterdir())
