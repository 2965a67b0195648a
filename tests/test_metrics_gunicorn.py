"""GET /metrics under gunicorn with two workers (the course's gunicorn.conf.py): every worker's counts are summed,
they outlive a worker that dies, and the metrics folder is set up fresh and cleaned up. No Prometheus needed:
tests/test_prometheus.py has a real one scrape the same server."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from course.prometheus import counts_by_process, serve_gunicorn, spread_predictions

GUNICORN_CONF = Path(__file__).resolve().parent.parent / "04_flask_app" / "gunicorn.conf.py"
TOKEN = "gunicorn-metrics-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ORDINARY = {"amount": 42.5, "hour": 14, "merchant_category": "grocery", "distance_from_home_km": 3.2,
            "is_online": False, "is_foreign": False, "transactions_last_24h": 2, "account_age_days": 900}
RISKY = {"amount": 2400.0, "hour": 3, "merchant_category": "electronics", "distance_from_home_km": 800.0,
         "is_online": True, "is_foreign": True, "transactions_last_24h": 9, "account_age_days": 5}
TRAFFIC = [ORDINARY, RISKY, ORDINARY, ORDINARY, ORDINARY]


def scraped(url: str) -> dict:
    """fraud_predictions_total by decision, as /metrics answers it."""
    answer = requests.get(url + "/metrics", headers=AUTH, timeout=10)
    assert answer.status_code == 200, answer.text
    return {sample.labels["decision"]: sample.value
            for family in text_string_to_metric_families(answer.text)
            for sample in family.samples if sample.name == "fraud_predictions_total"}


def worker_pids(server) -> set[int]:
    """The worker processes of a gunicorn master (Linux: the kernel lists a process's children)."""
    master = server._process.pid
    return {int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()}


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux's /proc to find gunicorn's workers")
def test_counts_are_summed_over_the_workers_and_outlive_a_worker_that_dies(model_path, tmp_path):
    with serve_gunicorn(model_path, TOKEN, tmp_path) as server:
        sent = spread_predictions(server.url, TOKEN, TRAFFIC, tmp_path / "metrics")
        by_process = counts_by_process(tmp_path / "metrics")
        workers = worker_pids(server)
        assert len(workers) == 2
        assert {pid for pid, count in by_process.items() if count} == workers, "both workers scored some"
        assert sum(by_process.values()) == sent
        assert scraped(server.url) == {"fraud": sent / 5, "legit": sent * 4 / 5}  # RISKY is 1 in 5

        victim = sorted(workers)[0]
        os.kill(victim, signal.SIGKILL)  # a worker crashes; gunicorn starts another
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (victim in worker_pids(server) or len(worker_pids(server)) < 2):
            time.sleep(0.1)
        assert victim not in worker_pids(server)
        assert len(worker_pids(server)) == 2
        assert scraped(server.url) == {"fraud": sent / 5, "legit": sent * 4 / 5}, "the dead worker's counts stay"
        requests.post(server.url + "/api/v1/predict", json={"transactions": TRAFFIC}, timeout=10).raise_for_status()
        assert scraped(server.url) == {"fraud": sent / 5 + 1, "legit": sent * 4 / 5 + 4}
    assert server.returncode == 0, server.log()


def test_without_a_folder_given_gunicorn_makes_one_and_removes_it(model_path, tmp_path):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": "", "TMPDIR": str(temporary)}
    with serve_gunicorn(model_path, TOKEN, tmp_path, env=env) as server:
        requests.post(server.url + "/api/v1/predict", json=ORDINARY, timeout=10).raise_for_status()
        # A booting worker's heartbeat file (gunicorn's wgunicorn-*, in the same temporary folder) lives for an
        # instant: gunicorn removes its name at once. A worker may still be booting while the other answers.
        made = [path.name for path in temporary.iterdir() if not path.name.startswith("wgunicorn-")]
        assert len(made) == 1
        assert made[0].startswith("fraud-metrics-")
        assert scraped(server.url) == {"fraud": 0, "legit": 1}
    assert server.returncode == 0, server.log()
    assert list(temporary.iterdir()) == [], "the folder goes when the server stops"


def test_a_restarted_server_counts_from_zero_in_the_folder_it_is_given(model_path, tmp_path):
    with serve_gunicorn(model_path, TOKEN, tmp_path) as server:
        requests.post(server.url + "/api/v1/predict", json={"transactions": TRAFFIC}, timeout=10).raise_for_status()
        assert scraped(server.url) == {"fraud": 1, "legit": 4}
    assert list((tmp_path / "metrics").glob("counter_*.db")), "the files of the first run are left behind"
    with serve_gunicorn(model_path, TOKEN, tmp_path) as server:
        assert scraped(server.url) == {"fraud": 0, "legit": 0}, "numbers of an earlier run are not added"


def test_with_metrics_off_gunicorn_makes_no_folder_and_serves_no_metrics(model_path, tmp_path):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": "", "TMPDIR": str(temporary), "FRAUD_METRICS": "off"}
    with serve_gunicorn(model_path, TOKEN, tmp_path, env=env) as server:
        requests.post(server.url + "/api/v1/predict", json=ORDINARY, timeout=10).raise_for_status()
        assert requests.get(server.url + "/metrics", headers=AUTH, timeout=10).status_code == 404
        assert list(temporary.iterdir()) == []


def test_a_server_that_cannot_start_leaves_no_metrics_folder(model_path, tmp_path):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "FRAUD_MODEL_PATH": str(model_path), "FRAUD_MAX_BATCH": "lots", "TMPDIR": str(temporary),
           "HOST": "127.0.0.1", "PORT": "0", "FRAUD_DATABASE": str(tmp_path / "db.sqlite3")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    result = subprocess.run([sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF)], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "fraud_app cannot start: FRAUD_MAX_BATCH='lots' is not valid" in result.stdout + result.stderr
    assert list(temporary.iterdir()) == []
