"""Chapter 08's code: the simulated weeks, the monitoring helpers, the alert rules and the saved Prometheus run."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "08_monitoring"
sys.path.insert(0, str(CHAPTER))

import alerts  # noqa: E402
import monitor  # noqa: E402
import simulate  # noqa: E402
from course import prometheus  # noqa: E402

BUILD = ROOT / "build" / "prometheus"


def test_the_weeks_are_the_same_every_time():
    assert simulate.week(3).transactions == simulate.week(3).transactions
    assert simulate.week(3).transactions != simulate.week(4).transactions


def test_amounts_rise_from_the_price_week_on():
    before = simulate.transactions(simulate.PRICE_WEEK - 1)["amount"].median()
    after = simulate.transactions(simulate.PRICE_WEEK)["amount"].median()
    assert after / before == pytest.approx(simulate.PRICE_RISE, rel=0.15)


def test_the_fraud_ring_appears_in_its_week_and_not_before():
    def ring(df):
        return df[(df.merchant_category == "fuel") & df.is_foreign & (df.hour >= 9) & (df.hour < 19)]

    expected = simulate.RING_SHARE * simulate.PER_WEEK * simulate.RING_FRAUD
    assert ring(simulate.transactions(simulate.RING_WEEK)).is_fraud.sum() >= 0.9 * expected
    assert ring(simulate.transactions(simulate.RING_WEEK - 1)).is_fraud.sum() <= 2


def test_label_delays_follow_their_distribution():
    delays = simulate.label_delays(20_000, week=1)
    for delay, share in enumerate(simulate.LABEL_DELAY):
        assert delays.count(delay) / len(delays) == pytest.approx(share, abs=0.015)
    assert delays.count(None) / len(delays) == pytest.approx(1 - sum(simulate.LABEL_DELAY), abs=0.015)


def test_a_weeks_performance_is_the_difference_of_two_windows():
    def answer(tp, fp, fn, tn):
        return {"performance": {"true_positives": tp, "false_positives": fp, "false_negatives": fn,
                                "true_negatives": tn, "precision": None, "recall": None}}

    week = monitor.week_performance(answer(10, 30, 5, 900), answer(6, 10, 4, 500))
    assert week == {"precision": 0.1667, "recall": 0.8, "true_positives": 4, "false_positives": 20,
                    "false_negatives": 1, "true_negatives": 400}
    assert monitor.week_performance({"performance": None}, None)["precision"] is None


def test_python_reads_the_thresholds_of_the_rule_file():
    assert alerts.FLAGGED_SHARE_LIMIT == 0.05
    assert alerts.threshold("FraudServerErrors") == 0.01


def test_alerts_fire_on_the_signals_they_watch():
    quiet = {"counts": {"predictions": 1000, "flagged": 40}, "drift": {"drifted": False}, "performance": None}
    assert alerts.firing(quiet) == []
    assert alerts.firing({**quiet, "counts": {"predictions": 1000, "flagged": 51}}) == ["FraudFlaggedShareHigh"]
    assert alerts.firing({**quiet, "counts": {"predictions": 1000, "flagged": 51}}, flagged_limit=0.08) == [], \
        "a new model ships with its own limit"
    assert alerts.firing({**quiet, "drift": {"drifted": True}}) == ["drift"]
    low = {"recall": 0.3, "true_positives": 3, "false_negatives": 7}
    assert alerts.firing(quiet, low) == ["recall"]
    assert alerts.firing(quiet, {**low, "true_positives": 2}) == [], "9 labelled fraud cases are too few to judge"


def test_the_rule_file_is_valid():
    """promtool (Prometheus's own checker) where it is installed; otherwise its structure, parsed as YAML."""
    promtool = shutil.which("promtool")
    if promtool:
        result = subprocess.run([promtool, "check", "rules", str(alerts.RULES)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "SUCCESS: 2 rules found" in result.stdout
    document = yaml.safe_load(alerts.RULES.read_text())
    for group in document["groups"]:
        for rule in group["rules"]:
            assert {"alert", "expr", "for", "labels", "annotations"} <= set(rule), rule
            assert rule["labels"]["severity"] in ("page", "ticket")


def test_a_broken_rule_file_is_refused(tmp_path):
    broken = tmp_path / "alerts.yml"
    broken.write_text(alerts.RULES.read_text().replace("> 0.05", "> "))
    with pytest.raises(ValueError, match="does not end with"):
        alerts.threshold("FraudFlaggedShareHigh", broken)
    promtool = shutil.which("promtool")
    if promtool:
        assert subprocess.run([promtool, "check", "rules", str(broken)], capture_output=True).returncode != 0


def notebook_run(model_path, folder) -> dict:
    """What the chapter shows from Prometheus: the same requests, through gunicorn with two workers."""
    token, scrape = "monitoring-test-token", "monitoring-scrape-token"
    app = prometheus.serve_gunicorn(model_path, token, folder, metrics_token=scrape)
    try:
        scraper = monitor.start_prometheus(app.url, scrape)
        try:
            launch = simulate.week(0, rows=monitor.LAUNCH_BATCH + monitor.LAUNCH_STORED)
            auth = {"Authorization": f"Bearer {token}"}
            posted = requests.post(app.url + "/api/v1/predictions", json=launch.transactions[0], headers=auth,
                                   timeout=5)
            requests.put(f"{app.url}/api/v1/predictions/{posted.json()['id']}/label", json={"is_fraud": False},
                         headers=auth, timeout=5).raise_for_status()
            outcomes = monitor.send_launch_traffic(app.url, token, launch)
            return monitor.record_run(scraper, expected=len(outcomes) + 1)
        finally:
            scraper.stop()
    finally:
        app.stop()


@pytest.mark.skipif(prometheus.find_prometheus() is None and not __import__("os").environ.get("CI"),
                    reason="no Prometheus found (sudo apt install prometheus); chapter 08 shows the saved run")
def test_the_saved_prometheus_run_is_what_prometheus_answers_now(model_path, tmp_path):
    """The notebook shows the saved run where Prometheus is missing: it must be what a live run gives.

    After a change to the app's metrics, the model or the chapter's traffic this fails: copy
    build/prometheus/prometheus-run.json (written here) to 08_monitoring/saved/.
    """
    run = notebook_run(model_path, tmp_path)
    BUILD.mkdir(parents=True, exist_ok=True)
    prometheus.save_run(run, BUILD / "prometheus-run.json")
    assert run["queries"][monitor.QUERIES[0]] == [{"metric": {}, "value": 206.0}]
    assert prometheus.load_run(monitor.SAVED_RUN) == run, (
        "the saved run is stale: copy build/prometheus/prometheus-run.json to 08_monitoring/saved/")


def test_the_saved_run_holds_what_the_notebook_prints():
    run = prometheus.load_run(monitor.SAVED_RUN)
    assert set(run) == {"queries", "rules"}
    assert set(run["queries"]) == set(monitor.QUERIES)
    assert run["rules"] == sorted(alerts.rules())


def test_exercise_hints_name_the_slip_and_no_warning_reaches_the_learners_cell(capsys):
    import warnings

    import exercises_08

    def skeleton(expected, actual): ...

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy RuntimeWarning in the learner's cell would show a machine path
        exercises_08.check_2(exercises_08._psi_numpy_no_epsilon)
        exercises_08.check_2(exercises_08._psi_math_no_epsilon)
    exercises_08.check_3(exercises_08._perf_swapped)
    exercises_08.check_3(exercises_08._perf_divides_by_zero)
    exercises_08.check_2(skeleton)
    exercises_08.check_3(skeleton)
    printed = capsys.readouterr().out.splitlines()
    assert all("count its share as 0.0001" in line for line in printed[:2]), printed
    assert "the other way round" in printed[2], printed
    assert "1.0000" in printed[2], printed
    assert "divided by zero" in printed[3], printed
    assert "0/0" in printed[3], printed
    assert all("not answered yet" in line for line in printed[4:]), printed


def test_the_notebooks_plumbing_masks_what_changes_from_run_to_run():
    digest = "ab" * 32
    page = (f'fraud_model_info{{digest="{digest}",version="1"}} 1.0\n# TYPE fraud_model_info gauge\n'
            '# HELP fraud_model_info Which model\nother_total 3.0\n')
    assert monitor.metric_lines(page, ("fraud_model_info",)) == [
        "# TYPE fraud_model_info gauge", "# HELP fraud_model_info Which model",
        'fraud_model_info{digest="<artefact_sha256>",version="1"} 1.0']
    error = ValueError(f"/tmp/x/fraud_model.pkl: artefact_sha256 is {digest[:12]}…, but the pin is {'cd' * 6}…")
    assert monitor.refusal_reason(error, {digest: "<new>", "cd" * 32: "<old>"}) == (
        "artefact_sha256 is <new>…, but the pin is <old>…")

    class Log:
        def log(self):
            return "2025-01-06 10:00:00,123 INFO [abc] fraud_app: POST /x 201 12ms done\nunrelated line\n"

    assert monitor.request_log_lines(Log(), "abc", expected=1) == [
        "INFO [<request id>] fraud_app: POST /x 201 <ms>ms done"]
