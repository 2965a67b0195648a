"""Chapter 06's container image: the Dockerfile passes hadolint, lets in only what it copies, and (where a
Docker engine answers) builds an image that serves the app."""

import json
import os
import re
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

import course
import course.docker as course_docker
import image
from course.slowclients import SlowClients, health_seconds

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
    assert instructions("RUN")[1] == "pip install --require-hashes --no-cache-dir -r requirements.txt"
    assert instructions("ARG") == ["BASE_IMAGE=python:3.11-slim-bookworm"]  # the only build argument
    assert instructions("USER") == ["1000"]
    assert json.loads(instructions("CMD")[0]) == ["gunicorn", "--config", "gunicorn.conf.py"]  # exec form
    assert "HOST=0.0.0.0" in " ".join(instructions("ENV"))
    assert "FRAUD_API_TOKEN" not in " ".join(instructions("ENV") + instructions("ARG"))  # no secret baked in
    assert "PIP_CERT" not in DOCKERFILE
    assert "ca-certificates" not in DOCKERFILE


def test_dockerignore_lets_in_exactly_what_the_dockerfile_copies(tmp_path):
    allowed = {line[1:].rstrip("/") for line in DOCKERIGNORE.splitlines() if line.startswith("!")}
    assert DOCKERIGNORE.splitlines()[[line.startswith("#") for line in DOCKERIGNORE.splitlines()].index(False)] == "*"
    copied = {source.rstrip("/") for arguments in instructions("COPY") for source in arguments.split()[:-1]}
    covered = {path for path in allowed if any(path == source or path.startswith(source + "/") for source in copied)}
    assert covered == allowed, f"let in but never copied: {allowed - covered}"
    for source in copied:
        assert any(path == source or path.startswith(source + "/") for path in allowed), f"{source} is ignored"


SAVED = ROOT / "06_docker" / "saved" / "docker-run.json"
RECORD = ROOT / "build" / "docker" / "docker-run.json"  # this run's transcript; copy it to SAVED to update


@pytest.fixture
def engine():
    """A Docker engine, or a skip saying why; with CI=true a missing engine fails (.ci/run starts one)."""
    problem = image.engine_problem()
    if problem:
        message = f"no Docker engine here ({problem}): image not built"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI must run the Docker test (.ci/run starts an engine)")
        pytest.skip(message)


def saved_is_current() -> bool:
    return json.loads(SAVED.read_text()).get("fingerprint") == image.fingerprint()


def test_the_image_builds_and_runs_as_a_platform_runs_it(engine, model_path, tmp_path, capsys):
    context = tmp_path / "fraud-app"
    bundle.build(model_path, context)
    # The bundle's Dockerfile: its BASE_IMAGE names the Python the model was trained with.
    try:
        base = course_docker.base_image((context / "Dockerfile").read_text())
    except course_docker.BaseImageError as error:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"no base image here: {error}")
    print(f"Base image: {base.name}: {base.reason}")
    tag = f"fraud-app-test:{uuid.uuid4().hex[:12]}"
    # When the saved transcript is out of date, this run's record is the one to save (see below): its first
    # build then starts from an empty cache (--no-cache), as on a machine that never built the image.
    cold = not saved_is_current()
    try:
        record = image.try_the_image(context, tag, base.build_args, TOKEN, TRANSACTION, cold=cold)
        strict = read_only_and_slow_clients(tag)
    finally:
        image.docker("rmi", "--force", tag, check=False)
    # docker run --read-only --tmpfs /tmp, no volume: nothing to write but /tmp, and still it serves.
    assert strict["stored"] == 201, strict["log"]
    assert "Traceback" not in strict["log"], strict["log"]
    assert "stored predictions go to /tmp/fraud-app/predictions.sqlite3" in strict["log"]
    # 30 stalled and 20 trickling clients through Docker's port forwarding: /health answers at once,
    # the stalled ones are hung up on after GUNICORN_READ_TIMEOUT (3 s here).
    assert max(strict["health_seconds"]) < 1, strict
    assert strict["stalled_closed"] == 30, strict
    assert record["health"]["status"] == "ok"
    assert record["prediction"]["is_fraud"] is False
    assert record["create_without_token"] == 401
    assert record["create_status"] == 201
    assert record["read_status"] == 200
    assert record["read"]["is_fraud"] is False
    assert set(record["served"].values()) == {200}, record["served"]
    assert record["user"] == "1000"
    assert record["id"].startswith("uid=1000(app)")
    assert "Read-only file system" in record["write_outside_instance"]
    assert "(healthy)" in record["ps"]
    assert "127.0.0.1:" in record["ps"]
    assert record["exit_code"] == 0, record["stop_log"]  # SIGTERM reached gunicorn (process 1), not SIGKILL
    assert record["stop_seconds"] < image.STOP_TIMEOUT
    assert "Shutting down: Master" in record["stop_log"]
    assert record["left_behind"] == []  # neither the stopped container nor its volume outlives the run
    if cold:
        assert "Using cache" not in record["build"]
    assert "pip install" in record["history"]
    pip_step = record["rebuild"].split("RUN pip install", 1)[1].split("Step ", 1)[0]
    assert "Using cache" in pip_step, "the dependency layer was rebuilt after a code-only change"
    assert "Using cache" not in record["rebuild"].split("COPY fraud_app/", 1)[1].split("Step ", 1)[0]
    print(f"Image {record['size'] / 1e6:.0f} MB; first build {record['build_seconds']:.1f} s, "
          f"after a code change {record['rebuild_seconds']:.1f} s; docker stop {record['stop_seconds']:.1f} s")
    print(record["history"])
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps({"base": base.name, "base_reason": base.reason, "fingerprint": image.fingerprint(),
                                  **record}, indent=1, sort_keys=True) + "\n")
    with capsys.disabled():
        print(f"\n[docker] base {base.name} ({base.reason}); image {record['size'] / 1e6:.0f} MB; build "
              f"{record['build_seconds']:.1f} s, rebuild {record['rebuild_seconds']:.1f} s; transcript in {RECORD}")


def read_only_and_slow_clients(tag: str) -> dict:
    """Run the image with a read-only file system and only /tmp writable (no volume); store a prediction; then
    open 30 stalled and 20 trickling connections and time /health meanwhile. Its log, and what happened."""
    name, port = f"fraud-app-ro-{uuid.uuid4().hex[:12]}", course.free_port()
    url = f"http://127.0.0.1:{port}"
    result: dict = {}
    try:
        image.docker("run", "--detach", "--name", name, "--read-only", "--tmpfs", "/tmp", "--env", "FRAUD_API_TOKEN",
                     "--env", "GUNICORN_READ_TIMEOUT=3", "--publish", f"127.0.0.1:{port}:{image.CONTAINER_PORT}", tag,
                     env={"FRAUD_API_TOKEN": TOKEN})
        try:
            image.wait(lambda: requests.get(url + "/health", timeout=5).status_code == 200, 90, "/health")
            result["stored"] = requests.post(url + "/api/v1/predictions", json=TRANSACTION, timeout=10,
                                             headers={"Authorization": f"Bearer {TOKEN}"}).status_code
            with SlowClients(port, stalled=30, trickling=20) as attack:
                time.sleep(1)
                result["health_seconds"] = health_seconds(url, times=6)
                deadline = time.monotonic() + 10
                while attack.closed_by_server() < 30 and time.monotonic() < deadline:
                    time.sleep(0.5)
                result["stalled_closed"] = attack.closed_by_server()
        finally:
            logs = image.docker("logs", name, check=False)
            result["log"] = logs.stdout + logs.stderr
    finally:
        image.docker("rm", "--force", name, check=False)
    return result


def test_the_saved_transcript_matches_the_current_dockerfile_and_bundle():
    """Chapter 06 shows CI's saved run where no engine answers: it must be the run of the current files."""
    saved = json.loads(SAVED.read_text())
    assert saved["fingerprint"] == image.fingerprint(), (
        "06_docker/saved/docker-run.json was recorded with another Dockerfile, .dockerignore, requirements or "
        f"gunicorn.conf.py: run tests/test_docker.py where an engine answers, then copy {RECORD.relative_to(ROOT)} "
        "to 06_docker/saved/")
    assert f"ARG BASE_IMAGE={course_docker.default_base(DOCKERFILE)}" in saved["build"]
    pip_step = saved["build"].split("RUN pip install", 1)[1].split("Step ", 1)[0]
    cold = "the saved first build did not install the packages: record it from a cold build"
    assert "Using cache" not in pip_step, cold
    assert "Successfully installed" in pip_step, cold
    assert "Using cache" in saved["rebuild"].split("RUN pip install", 1)[1].split("Step ", 1)[0]
    assert saved["exit_code"] == 0


def test_exercise_4_builds_and_runs_the_learners_dockerfile(engine):
    """Where an engine has the base, exercise 4's check really builds and runs the answer: a Dockerfile that
    reads well but starts a file that does not exist is refused, the solution is not."""
    import exercises_06  # noqa: PLC0415 (chapter 06 imports it too; only this test needs it here)

    if course_docker.available_base(DOCKERFILE) is None:
        pytest.skip("this engine has no base image yet (the image test above makes it)")
    assert exercises_06.run_small_app(exercises_06.SOLUTION) is None
    slip = exercises_06.SOLUTION.replace('"app.py"]', '"server.py"]')
    assert exercises_06.problems_4(slip) == []  # nothing a reading of the file could find
    assert "did not answer /health" in exercises_06.run_small_app(slip)
