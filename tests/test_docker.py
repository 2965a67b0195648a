"""Chapter 06's container image: the Dockerfile passes hadolint, lets in only what it copies, and (where a
Docker engine answers) builds an image that serves the app."""

import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

import course
import image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import bundle  # noqa: E402

DOCKERFILE = (ROOT / "06_docker" / "Dockerfile").read_text()
DOCKERIGNORE = (ROOT / "06_docker" / ".dockerignore").read_text()
TOKEN = "docker-test-token-0123456789"
TRANSACTION = {"amount": 42.5, "hour": 14, "merchant_category": "grocery", "distance_from_home_km": 3.2,
               "is_online": False, "is_foreign": False, "transactions_last_24h": 2, "account_age_days": 900}


def instructions(name: str) -> list[str]:
    """The arguments of every ``name`` instruction of the Dockerfile, continuation lines joined."""
    text = DOCKERFILE.replace("\\\n", " ")
    return [line.split(None, 1)[1] for line in text.splitlines() if line.startswith(name + " ")]


def test_hadolint_finds_nothing_in_the_dockerfile():
    assert image.lint() == ""
    assert "hadolint ignore" not in DOCKERFILE


def test_hadolint_does_find_mistakes():
    """The linter really runs: a Dockerfile with classic mistakes gets findings."""
    findings = image.lint("FROM python:latest\nRUN pip install flask\nCMD flask run\n")
    assert {"DL3007", "DL3013", "DL3042", "DL3025"} <= set(re.findall(r"DL\d{4}", findings))


def test_the_dockerfile_follows_the_course_rules():
    assert instructions("FROM") == ["${BASE_IMAGE}"]  # the bundle sets the default to the training Python
    assert instructions("ARG")[0] == "BASE_IMAGE=python:3.11-slim-bookworm"
    assert (ROOT / "07_heroku" / ".python-version").read_text().strip() == "3.11"  # the same Python
    copies = instructions("COPY")
    assert copies[0] == "requirements.txt ."  # dependencies before code: their layer stays cached
    assert instructions("RUN")[1] == "pip install --no-cache-dir -r requirements.txt"
    assert instructions("USER") == ["1000"]
    assert json.loads(instructions("CMD")[0]) == ["gunicorn", "--config", "gunicorn.conf.py"]  # exec form
    assert "HOST=0.0.0.0" in " ".join(instructions("ENV"))
    assert "FRAUD_API_TOKEN" not in " ".join(instructions("ENV") + instructions("ARG"))  # no secret baked in


def test_dockerignore_lets_in_exactly_what_the_dockerfile_copies(tmp_path):
    allowed = {line[1:].rstrip("/") for line in DOCKERIGNORE.splitlines() if line.startswith("!")}
    assert DOCKERIGNORE.splitlines()[[line.startswith("#") for line in DOCKERIGNORE.splitlines()].index(False)] == "*"
    copied = {source.rstrip("/") for arguments in instructions("COPY") for source in arguments.split()[:-1]}
    covered = {path for path in allowed if any(path == source or path.startswith(source + "/") for source in copied)}
    assert covered == allowed, f"let in but never copied: {allowed - covered}"
    for source in copied:
        assert any(path == source or path.startswith(source + "/") for path in allowed), f"{source} is ignored"


@pytest.fixture
def engine():
    problem = image.engine_problem()
    if problem:
        pytest.skip(f"no Docker engine here ({problem}): image not built")


def docker(*args: str, timeout: float = 120, check: bool = True, env: dict | None = None):
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=check,
                          env=None if env is None else {**os.environ, **env})


def wait_for_health(url: str, timeout: float = 90) -> requests.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return requests.get(url + "/health", timeout=5)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_the_image_builds_and_serves_the_app(engine, model_path, tmp_path):
    context = tmp_path / "fraud-app"
    bundle.build(model_path, context)
    unique = uuid.uuid4().hex[:12]
    tag, name, port = f"fraud-app-test:{unique}", f"fraud-app-test-{unique}", course.free_port()
    docker(*image.build_command(str(context), tag)[1:], timeout=900)
    try:
        # The token and the port reach the container from this process's environment (--env NAME).
        run = image.run_command(tag, host_port=port, name=name, env=("FRAUD_API_TOKEN", "PORT"))
        docker(*run[1:], env={"FRAUD_API_TOKEN": TOKEN, "PORT": "8000"})
        health = wait_for_health(f"http://127.0.0.1:{port}")
        assert health.json()["status"] == "ok"
        answer = requests.post(f"http://127.0.0.1:{port}/api/v1/predict", json=TRANSACTION, timeout=10)
        assert answer.status_code == 200
        assert answer.json()["is_fraud"] is False
        assert docker("exec", name, "id", "-u").stdout.strip() == "1000"  # not root
        check = json.loads(docker("inspect", "--format", "{{json .Config.Healthcheck.Test}}", tag).stdout)
        assert check[0] == "CMD"
        assert docker("exec", name, *check[1:], check=False).returncode == 0  # the HEALTHCHECK itself passes
    finally:
        docker("rm", "--force", name, check=False)
        docker("rmi", "--force", tag, check=False)
