"""The deploy bundle (`make bundle`, tools/bundle.py): a standalone app that its Procfile serves, the way
Heroku does, from nothing but its own requirements.txt, and that refuses a tampered model."""

import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

import course
from course.slowclients import SlowClients, health_seconds

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import bundle  # noqa: E402

from artefact import artefact_digest  # noqa: E402

TOKEN = "bundle-test-token-0123456789"
HONCHO = str(Path(sys.executable).parent / "honcho")  # the course's honcho; the app comes from the bundle's venv
TRANSACTION = {"amount": 2400.0, "hour": 3, "merchant_category": "electronics", "distance_from_home_km": 800.0,
               "is_online": True, "is_foreign": True, "transactions_last_24h": 9, "account_age_days": 5}
PACKAGE = ROOT / "04_flask_app" / "fraud_app"
EXPECTED = {
    ".dockerignore", ".gitignore", ".python-version", "Dockerfile", "Procfile", "README.md", "app.json",
    "artefact.py", "gunicorn.conf.py", "requirements.txt", "models/fraud_model.pkl", "models/fraud_model.json",
    *(f"fraud_app/{path.relative_to(PACKAGE).as_posix()}"
      for path in PACKAGE.rglob("*") if path.is_file() and "__pycache__" not in path.parts),
}


@pytest.fixture(scope="session")
def model(model_path) -> Path:
    """The session's model (conftest.py at the top of the repository trains it once)."""
    return model_path


@pytest.fixture(scope="session")
def made(model, tmp_path_factory):
    """`make bundle` into a temporary folder (MODEL= the session's model, so that make does not train)."""
    out = tmp_path_factory.mktemp("bundle") / "fraud-app"
    result = subprocess.run(["make", "--no-print-directory", "bundle", f"MODEL={model}", f"BUNDLE={out}"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return out, result.stdout


@pytest.fixture(scope="session")
def app_dir(made) -> Path:
    return made[0]


@pytest.fixture(scope="session")
def runtime(app_dir, tmp_path_factory) -> Path:
    """A fresh virtual environment holding only what the bundle's requirements.txt installs: what a
    platform's build makes, every file checked against its hash as the Dockerfile does. (No pip inside it:
    the course's pip installs into it, quicker.)"""
    venv = tmp_path_factory.mktemp("runtime") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet",
         "--no-compile", "--disable-pip-version-check", "--require-hashes", "--no-cache-dir",
         "-r", str(app_dir / "requirements.txt")],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stderr
    return venv


def platform_env(venv: Path, **extra: str) -> dict[str, str]:
    """The environment a platform gives the Procfile's command: its app's Python first on PATH."""
    return {"PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", "VIRTUAL_ENV": str(venv),
            "PYTHONPATH": "", **extra}


def test_make_bundle_is_a_documented_command():
    makefile = (ROOT / "Makefile").read_text()
    assert ".PHONY: bundle\nbundle:" in makefile
    listed = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, check=True).stdout
    assert re.search(r"^  make bundle +write build/fraud-app/", listed, re.M)


def test_make_bundle_writes_a_standalone_app_and_says_what(made, model):
    out, printed = made
    assert set(bundle.files(out)) == {*EXPECTED, bundle.MANIFEST}
    pin = json.loads((out / "models" / "fraud_model.json").read_text())["artefact_sha256"]
    assert f"Pin it on the platform: FRAUD_MODEL_SHA256={pin}\n" in printed
    for line in bundle.summary(sorted(EXPECTED)):
        assert f"\n  {line}\n" in printed
    assert f"Wrote {out.as_posix()}/ with model " in printed
    assert (out / "models" / "fraud_model.pkl").read_bytes() == model.read_bytes()
    assert (out / "Procfile").read_text() == (
        "release: python -m fraud_app.release\nweb: gunicorn --config gunicorn.conf.py --bind 0.0.0.0:$PORT\n"
    )
    assert "note:" not in printed


def test_the_bundle_deploys_the_python_the_model_was_trained_with(made):
    out, _ = made
    trained = json.loads((out / "models" / "fraud_model.json").read_text())["versions"]["python"]
    python = "{}.{}".format(*sys.version_info[:2])  # the session trains with this Python, so it deploys it
    assert trained.startswith(python + ".")
    assert (out / ".python-version").read_text() == python + "\n"  # major.minor: Heroku takes its latest patch
    dockerfile = (out / "Dockerfile").read_text()
    assert f"\nARG BASE_IMAGE=python:{python}-slim-bookworm\nFROM ${{BASE_IMAGE}}\n" in dockerfile
    # The course's own templates are left as they are: the bundle changes its copies only.
    assert (ROOT / "06_docker" / "Dockerfile").read_text().count("ARG BASE_IMAGE=python:3.11-slim-bookworm\n") == 1
    assert (ROOT / "07_heroku" / ".python-version").read_text() == "3.11\n"


@pytest.mark.parametrize("python", ["3.11", "3.12", "3.13", "3.14"])
def test_a_model_trained_with_any_supported_python_deploys_that_python(model, tmp_path, python):
    other = tmp_path / "fraud_model.pkl"
    shutil.copy(model, other)
    metadata = json.loads(model.with_suffix(".json").read_text())
    metadata["versions"]["python"] = python + ".2"
    metadata["artefact_sha256"] = artefact_digest(model.read_bytes(), metadata)  # still self-consistent
    other.with_suffix(".json").write_text(json.dumps(metadata))
    bundle.build(other, tmp_path / "out")
    assert (tmp_path / "out" / ".python-version").read_text() == python + "\n"
    dockerfile = (tmp_path / "out" / "Dockerfile").read_text().splitlines()
    base = [line for line in dockerfile if line.startswith(("ARG BASE_IMAGE", "FROM"))]
    assert base == [f"ARG BASE_IMAGE=python:{python}-slim-bookworm", "FROM ${BASE_IMAGE}"]


@pytest.mark.parametrize("python", ["3.10.14", "3.15.0", "", "three"])
def test_bundle_refuses_a_model_trained_with_a_python_no_platform_runs(model, tmp_path, python):
    other = tmp_path / "fraud_model.pkl"
    shutil.copy(model, other)
    metadata = json.loads(model.with_suffix(".json").read_text())
    metadata["versions"]["python"] = python
    metadata["artefact_sha256"] = artefact_digest(model.read_bytes(), metadata)  # still self-consistent
    other.with_suffix(".json").write_text(json.dumps(metadata))
    named = re.escape(python or "(none)")
    with pytest.raises(bundle.BundleError, match=rf"names Python {named}, not 3\.11, 3\.12, 3\.13 or 3\.14: "):
        bundle.build(other, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_bundle_requires_the_runtime_pins_only(app_dir):
    pinned = bundle.pins(app_dir / "requirements.txt")
    assert pinned == bundle.pins(ROOT / "requirements-app.txt")
    assert not {"jupyterlab", "notebook", "ipykernel", "pytest", "nbval", "honcho"} & set(pinned)
    metadata = json.loads((app_dir / "models" / "fraud_model.json").read_text())
    for name in bundle.PINNED_LIBRARIES:
        assert pinned[name] == metadata["versions"][name]


def test_the_bundle_installs_only_what_the_served_app_imports_each_file_with_its_hashes(app_dir, runtime):
    text = (app_dir / "requirements.txt").read_text()
    pinned = bundle.pins(app_dir / "requirements.txt")
    assert not {"pandas", "waitress", "python-dateutil"} & set(pinned)  # training and Windows only
    entries = re.split(r"\n(?=[a-z0-9])", text.split("\n\n", 1)[-1].strip(), flags=re.I)
    entries = [entry for entry in entries if not entry.startswith("#")]
    assert {entry.split("==", 1)[0].lower() for entry in entries} >= set(pinned)  # every pin is an entry
    for entry in entries:  # pip --require-hashes refuses a requirement without one
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", entry), entry
    probe = "import importlib.util; print([m for m in ('pandas', 'waitress') if importlib.util.find_spec(m)])"
    result = subprocess.run([str(runtime / "bin" / "python"), "-c", probe], cwd=app_dir, env=platform_env(runtime),
                            capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_app_json_declares_a_generated_token_and_a_web_dyno(app_dir):
    manifest = json.loads((app_dir / "app.json").read_text())
    assert manifest["env"]["FRAUD_API_TOKEN"]["generator"] == "secret"
    assert "artefact_sha256" in manifest["env"]["FRAUD_MODEL_SHA256"]["description"]  # how to pin the model
    assert "FRAUD_MODEL_SHA256=" in (app_dir / "README.md").read_text()
    assert manifest["formation"]["web"]["quantity"] == 1
    assert manifest["buildpacks"] == [{"url": "heroku/python"}]


def test_rebuilding_keeps_the_deploy_repository_and_the_local_data(model, tmp_path):
    out = tmp_path / "fraud-app"
    first = bundle.build(model, out)
    (out / "instance").mkdir()
    (out / "instance" / "predictions.sqlite3").write_text("old data")
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / "fraud_app" / "leftover.py").write_text("# a file the bundle does not write")
    (out / "old-owned.txt").write_text("written by an earlier bundle")
    manifest = out / bundle.MANIFEST
    manifest.write_text(manifest.read_text() + "old-owned.txt\n")
    assert bundle.build(model, out) == first
    assert (out / "instance" / "predictions.sqlite3").read_text() == "old data"  # the learner's data is kept
    assert (out / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"  # and their deploy repository
    assert not (out / "fraud_app" / "leftover.py").exists()  # what the bundle owns is replaced whole
    assert not (out / "old-owned.txt").exists()  # what it wrote before and no longer writes is gone
    assert set(bundle.files(out)) == {*first, bundle.MANIFEST, "instance/predictions.sqlite3", ".git/HEAD"}
    assert [path.name for path in tmp_path.iterdir()] == ["fraud-app"]  # no staging folder left behind


def test_bundle_never_replaces_a_folder_that_is_not_a_bundle(model, tmp_path):
    (tmp_path / "notes.txt").write_text("precious")
    with pytest.raises(bundle.BundleError, match="is not a bundle"):
        bundle.build(model, tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "precious"


def test_bundle_refuses_a_model_changed_after_training(model, tmp_path):
    changed = tmp_path / "fraud_model.pkl"
    changed.write_bytes(model.read_bytes() + b"\0")
    shutil.copy(model.with_suffix(".json"), changed.with_suffix(".json"))
    with pytest.raises(bundle.BundleError, match="SHA-256 differs"):
        bundle.build(changed, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_bundle_refuses_a_model_trained_with_other_library_versions(model, tmp_path):
    other = tmp_path / "fraud_model.pkl"
    shutil.copy(model, other)
    metadata = json.loads(model.with_suffix(".json").read_text())
    metadata["versions"]["scikit-learn"] = "0.24.2"
    metadata["artefact_sha256"] = artefact_digest(other.read_bytes(), metadata)  # as that trainer wrote it
    other.with_suffix(".json").write_text(json.dumps(metadata))
    with pytest.raises(bundle.BundleError, match="scikit-learn: trained with 0.24.2"):
        bundle.build(other, tmp_path / "out")


def test_bundle_refuses_metadata_edited_after_training(model, tmp_path):
    other = tmp_path / "fraud_model.pkl"
    shutil.copy(model, other)
    metadata = json.loads(model.with_suffix(".json").read_text())
    other.with_suffix(".json").write_text(json.dumps({**metadata, "threshold": 0.999}))
    with pytest.raises(bundle.BundleError, match="artefact_sha256 does not cover these files"):
        bundle.build(other, tmp_path / "out")


def test_make_bundle_explains_a_missing_model(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "bundle.py"), "--model", "nowhere/fraud_model.pkl",
                             "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert "not found; train the model first (`make model`)" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_runtime_environment_holds_the_bundle_and_its_requirements_only(app_dir, runtime):
    probe = ("import importlib.util, fraud_app, artefact; "
             "print(fraud_app.__file__); print(artefact.__file__); "
             "print([m for m in ('course', 'train', 'pytest', 'jupyterlab', 'honcho') if importlib.util.find_spec(m)])")
    result = subprocess.run([str(runtime / "bin" / "python"), "-c", probe], cwd=app_dir, env=platform_env(runtime),
                            capture_output=True, text=True, timeout=60, check=True)
    package, module, found = result.stdout.splitlines()
    assert Path(package).resolve() == (app_dir / "fraud_app" / "__init__.py").resolve()
    assert Path(module).resolve() == (app_dir / "artefact.py").resolve()
    assert found == "[]"


def test_the_bundle_brings_the_postgresql_driver_and_its_deploy_steps(app_dir, runtime):
    assert {"sqlalchemy", "psycopg", "psycopg-binary"} <= set(bundle.pins(app_dir / "requirements.txt"))
    probe = "import psycopg; print(psycopg.pq.__impl__, psycopg.pq.version() >= 140000)"
    result = subprocess.run([str(runtime / "bin" / "python"), "-c", probe], cwd=app_dir, env=platform_env(runtime),
                            capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.split() == ["binary", "True"]  # the wheel's own libpq: nothing to compile on a platform
    readme = (app_dir / "README.md").read_text()
    assert "heroku addons:create heroku-postgresql" in readme
    for alternative in ("fromDatabase:", "fly mpg attach", "/cloudsql/"):  # Render, Fly.io, Cloud Run
        assert alternative in readme
    assert json.loads((app_dir / "app.json").read_text())["addons"] == [{"plan": "heroku-postgresql:essential-0"}]


def test_the_procfile_serves_the_bundle_as_heroku_would(app_dir, runtime):
    env = platform_env(runtime, FRAUD_API_TOKEN=TOKEN, WEB_CONCURRENCY="2", GUNICORN_READ_TIMEOUT="3")
    with course.serve_command([HONCHO, "start", "web"], name="bundle (honcho)", env=env, cwd=app_dir,
                              ready_path="/health", timeout=60, announce=False) as server:
        health = requests.get(server.url + "/health", timeout=10)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        answer = requests.post(server.url + "/api/v1/predict", json=TRANSACTION, timeout=10)
        assert answer.status_code == 200
        assert answer.json()["is_fraud"] is True
        stored = requests.post(server.url + "/api/v1/predictions", json=TRANSACTION, timeout=10,
                               headers={"Authorization": f"Bearer {TOKEN}"})
        assert stored.status_code == 201
        # The docs page and its files, from the bundle's own fraud_app/static and swagger-ui-bundle package.
        for path in ("/api/v1/openapi.json", "/api/docs", "/static/docs.js", "/api/docs/assets/swagger-ui-bundle.js"):
            assert requests.get(server.url + path, timeout=10).status_code == 200, path
        # 30 clients that stall in their headers, 20 that trickle them: /health answers at once throughout,
        # and the stalled ones are hung up on after GUNICORN_READ_TIMEOUT.
        with SlowClients(server.port, stalled=30, trickling=20) as attack:
            time.sleep(1)
            assert max(health_seconds(server.url, times=6)) < 1
            deadline = time.monotonic() + 8
            while attack.closed_by_server() < 30 and time.monotonic() < deadline:
                time.sleep(0.5)
            assert attack.closed_by_server() == 30
        log = server.log()
    assert f"Listening at: http://0.0.0.0:{server.port} " in log  # the Procfile binds every interface
    assert "other versions" not in log  # no pandas deployed, and no version warning for it
    assert len(re.findall(r"Booting worker with pid", log)) == 2  # WEB_CONCURRENCY workers
    assert (app_dir / "instance" / "predictions.sqlite3").is_file()  # on the dyno's own (ephemeral) disk


def trap(marker: Path) -> bytes:
    """A pickle that creates ``marker`` when it is loaded: what a malicious model could do (and worse)."""

    class Trap:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    return pickle.dumps(Trap())


def test_a_tampered_model_in_the_bundle_is_refused_and_never_runs(app_dir, runtime, tmp_path):
    control = tmp_path / "control"
    pickle.loads(trap(control)).close()
    assert control.exists(), "the trap must work, or this test proves nothing"

    tampered = tmp_path / "fraud-app"
    shutil.copytree(app_dir, tampered, ignore=shutil.ignore_patterns("instance"))
    marker = tmp_path / "the-pickle-ran"
    (tampered / "models" / "fraud_model.pkl").write_bytes(trap(marker))  # the metadata stays the original one
    env = {**os.environ, **platform_env(runtime, PORT=str(course.free_port()))}
    result = subprocess.run([HONCHO, "start", "web"], cwd=tampered, env=env, capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode != 0
    assert "fraud_app cannot start: models/fraud_model.pkl: SHA-256 is " in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert not marker.exists()


def test_the_procfile_release_phase_migrates_the_database(app_dir, runtime, tmp_path):
    """What Heroku runs before each release: the Procfile's release: line, in the bundle's own environment."""
    release = next(line for line in (app_dir / "Procfile").read_text().splitlines() if line.startswith("release:"))
    database = tmp_path / "release" / "predictions.sqlite3"
    env = platform_env(runtime, FRAUD_DATABASE=str(database))
    result = subprocess.run([HONCHO, "run", *release.split(":", 1)[1].split()], cwd=app_dir, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is at schema revision 0002" in result.stdout  # the head: fraud_app/migrations/versions
    assert database.is_file()
