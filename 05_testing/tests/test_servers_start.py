"""Starting the app the ways the course documents: `make app` (gunicorn), waitress, and refusing a bad model."""

import subprocess
import sys
from pathlib import Path

import pytest
import requests

import course

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "04_flask_app" / "gunicorn.conf.py")]


def test_make_app_serves_the_app_with_gunicorn(model_path, tmp_path):
    # MODEL= points make at the test's model, so it neither trains nor needs models/.
    env = {"FRAUD_MODEL_PATH": str(model_path), "FRAUD_DATABASE": str(tmp_path / "db.sqlite3")}
    command = f"make --no-print-directory app MODEL={model_path}"
    with course.serve_command(command, name="make app", env=env, cwd=ROOT, ready_path="/health",
                              announce=False) as server:
        assert requests.get(server.url + "/health", timeout=5).json()["status"] == "ok"
        assert f"Serving the fraud app on http://127.0.0.1:{server.port}/" in server.log()


def test_waitress_serves_the_same_app(model_path, tmp_path):
    env = {"FRAUD_MODEL_PATH": str(model_path), "FRAUD_DATABASE": str(tmp_path / "db.sqlite3")}
    command = [sys.executable, "-m", "waitress", "--host=127.0.0.1", "--port={port}", "fraud_app.wsgi:app"]
    with course.serve_command(command, name="waitress", env=env, ready_path="/health", announce=False) as server:
        assert requests.get(server.url + "/health", timeout=5).json()["status"] == "ok"


@pytest.fixture
def tampered(model_path, tmp_path):
    """A copy of the model with one byte changed, and the original metadata beside it."""
    data = bytearray(model_path.read_bytes())
    data[100] ^= 0x01
    path = tmp_path / "fraud_model.pkl"
    path.write_bytes(bytes(data))
    path.with_suffix(".json").write_text(model_path.with_suffix(".json").read_text())
    return path


def test_gunicorn_refuses_to_start_with_a_tampered_model(tampered, tmp_path):
    env = {"FRAUD_MODEL_PATH": str(tampered), "FRAUD_DATABASE": str(tmp_path / "db.sqlite3"), "PORT": "0",
           "PATH": str(Path(sys.executable).parent)}
    result = subprocess.run(GUNICORN, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"fraud_app cannot start: {tampered}: SHA-256" in output
    assert "Traceback" not in output
