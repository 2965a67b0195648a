"""Write the deploy bundle: one folder that is the whole fraud app, ready for a platform or Docker.

    python tools/bundle.py                                   # build/fraud-app/ from models/fraud_model.pkl
    python tools/bundle.py --model m/fraud_model.pkl --out /tmp/fraud-app

`make bundle` runs it (after `make model`). The bundle holds copies, never originals; each file has
one home in the course, and this is where it comes from:

| in the bundle | copied from | what it is for |
|---|---|---|
| fraud_app/ | 04_flask_app/fraud_app/ | the app package |
| artefact.py | 03_pickle_model/artefact.py | checks the model's hash before unpickling it (a top-level module) |
| gunicorn.conf.py | 04_flask_app/gunicorn.conf.py | gunicorn's settings: workers, logs, the port from $PORT |
| models/fraud_model.pkl, .json | --model (`make model`) | the model and its metadata |
| requirements.txt | requirements-app.txt | what the served app imports, pinned with hashes (PostgreSQL's driver too) |
| Procfile, .python-version, app.json | 07_heroku/ | how Heroku (Render, Railway...) start, build, describe it |
| Dockerfile, .dockerignore | 06_docker/ | the container image, for Fly.io, Cloud Run, Hugging Face Spaces... |
| README.md | 07_heroku/DEPLOY.md | the deploy steps |
| .gitignore | written here | keeps the local database out of a deploy repository |

The deployed Python is the Python the model was trained with (major.minor, from its metadata): the
bundle's .python-version says it, and the default of the Dockerfile's BASE_IMAGE names its image.

Before writing anything it checks that the model's pickle still has the SHA-256 in its metadata, and
that the model was trained with the scikit-learn and numpy that requirements.txt pins (a pickled
model is only guaranteed to behave the same with those; pandas, used for training, is not deployed).
Writing happens in a temporary folder beside the bundle, renamed into place at the end: a failed build
leaves the previous bundle as it was.

Rebuilding replaces only what the bundle owns (the entries in the table above) and keeps everything
else: the deploy repository a learner made with `git init` there (.git/), the local database
(instance/), a .venv or an .env. A file the bundle no longer writes is removed (the list of what the
last build wrote is kept in .bundle-files).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import check_python  # the Pythons the course runs on, which Heroku's buildpack runs too

from course.environment import pinned

ROOT = Path(__file__).resolve().parent.parent
MODEL = Path("models/fraud_model.pkl")
OUT = Path("build/fraud-app")

#: (source in the course, destination in the bundle); a folder is copied whole, without caches.
SOURCES = [
    ("04_flask_app/fraud_app", "fraud_app"),
    ("03_pickle_model/artefact.py", "artefact.py"),
    ("04_flask_app/gunicorn.conf.py", "gunicorn.conf.py"),
    ("07_heroku/Procfile", "Procfile"),
    ("07_heroku/.python-version", ".python-version"),
    ("07_heroku/app.json", "app.json"),
    ("07_heroku/DEPLOY.md", "README.md"),
    ("06_docker/Dockerfile", "Dockerfile"),
    ("06_docker/.dockerignore", ".dockerignore"),
]
REQUIREMENTS = "requirements-app.txt"
REQUIREMENTS_HEADER = """\
# The fraud app's runtime packages: what the served app imports, no more (no pandas, no Jupyter, no test
# tools). Copied by `make bundle` from the course's requirements-app.txt (uv pip compile --generate-hashes):
# every package pinned with the SHA-256 of each of its files. Install it the way the bundle's Dockerfile
# does: `pip install --require-hashes --no-cache-dir -r requirements.txt`, so pip refuses any file whose
# hash is not listed here. scikit-learn and numpy are the versions the model was trained with; psycopg
# (a binary wheel, nothing to compile) is the PostgreSQL driver, used when DATABASE_URL names a database.
"""
GITIGNORE = """\
# A local virtual environment, the local database and caches are not part of a deploy.
.venv/
instance/
__pycache__/
*.py[co]
.env
"""
#: The libraries whose versions must match between training (the metadata) and requirements.txt.
PINNED_LIBRARIES = ("scikit-learn", "numpy")  # pandas trains the model; the served app never imports it
MANIFEST = ".bundle-files"  # what the last build wrote, so that a rebuild removes what it no longer writes
#: The Dockerfile's base image, whose Python version the bundle sets (group 1: the version to replace).
BASE_IMAGE = re.compile(r"^ARG BASE_IMAGE=python:(\d+\.\d+)-slim-bookworm$", re.M)
CACHES = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".ipynb_checkpoints")


class BundleError(Exception):
    """The bundle cannot be written; the message says why and what to do."""


def pins(requirements: Path) -> dict[str, str]:
    """``{name: version}`` of the ``name==version`` lines of a pip-compile file."""
    return pinned(requirements)


def check_model(model: Path, requirements: Path) -> dict:
    """The model's metadata, after checking its hash and its library versions; raises BundleError."""
    json_path = model.with_suffix(".json")
    try:
        metadata = json.loads(json_path.read_text(encoding="utf-8"))
        expected = metadata["artefact"]["sha256"]
        payload = model.read_bytes()
    except FileNotFoundError as error:
        raise BundleError(f"{error.filename}: not found; train the model first (`make model`)") from None
    except (ValueError, KeyError, TypeError) as error:
        raise BundleError(f"{json_path}: not the metadata of a model artefact ({error!r}); `make model`") from None
    if hashlib.sha256(payload).hexdigest() != expected:
        raise BundleError(f"{model}: its SHA-256 differs from {json_path.name}'s; the file was changed after "
                          "training: retrain it (`make model`) rather than ship it")
    from artefact import artefact_digest  # the app's own check: pickle and metadata together

    if artefact_digest(payload, metadata) != metadata.get("artefact_sha256"):
        raise BundleError(f"{json_path}: its artefact_sha256 does not cover these files (the metadata was "
                          "edited after training): retrain (`make model`) rather than ship it")
    pinned = pins(requirements)
    trained = metadata.get("versions", {})
    differences = [f"{name}: trained with {trained.get(name)}, {requirements.name} pins {pinned.get(name)}"
                   for name in PINNED_LIBRARIES if trained.get(name) != pinned.get(name)]
    if differences:
        raise BundleError(f"{model} was trained with other library versions than the bundle would install:\n  "
                          + "\n  ".join(differences)
                          + "\nRun `make setup` (the pinned versions), then `make model`, then `make bundle` again.")
    return metadata


def training_python(metadata: dict) -> str:
    """The Python the model was trained with, as major.minor ("3.13"): the one the bundle deploys.

    Raises BundleError when the metadata does not say, or names a Python the course (and Heroku's
    buildpack) does not run: a pickle is only known to load on the Python that made it.
    """
    version = str(metadata.get("versions", {}).get("python", ""))
    match = re.fullmatch(r"(\d+)\.(\d+)(\.\S*)?", version)
    if not match or (int(match[1]), int(match[2])) not in check_python.SUPPORTED:
        raise BundleError(f"the model's metadata names Python {version or '(none)'}, not "
                          f"{check_python.names()}: train it with one of those (`make model`)")
    return f"{match[1]}.{match[2]}"


def deploy_python(into: Path, python: str) -> None:
    """Make the bundle in ``into`` deploy Python ``python``: its .python-version and its Docker base image."""
    (into / ".python-version").write_text(python + "\n", encoding="utf-8")
    dockerfile = into / "Dockerfile"
    text, count = BASE_IMAGE.subn(lambda match: match[0].replace(match[1], python), dockerfile.read_text())
    if count != 1:
        raise BundleError(f"06_docker/Dockerfile: expected one line `ARG BASE_IMAGE=python:X.Y-slim-bookworm`, "
                          f"found {count}")
    dockerfile.write_text(text, encoding="utf-8")


def safe_to_replace(out: Path) -> None:
    """Refuse to delete a folder that is not a bundle (a mistyped --out must never erase anything else)."""
    if out.exists() and any(out.iterdir()) and not (out / "Procfile").is_file():
        raise BundleError(f"{out} exists and is not a bundle (it has no Procfile): choose another --out")


def write(model: Path, into: Path, root: Path = ROOT, *, python: str) -> None:
    """Copy everything into the empty folder ``into``; ``python`` (major.minor) is the Python it deploys."""
    for source, destination in SOURCES:
        source, destination = root / source, into / destination
        if source.is_dir():
            shutil.copytree(source, destination, ignore=CACHES)
        else:
            shutil.copy2(source, destination)
    requirements = (root / REQUIREMENTS).read_text(encoding="utf-8")
    (into / "requirements.txt").write_text(REQUIREMENTS_HEADER + requirements, encoding="utf-8")
    (into / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    deploy_python(into, python)
    (into / "models").mkdir()
    for path in (model, model.with_suffix(".json")):
        shutil.copy2(path, into / "models" / MODEL.with_suffix(path.suffix).name)


def current_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def files(folder: Path) -> list[str]:
    """Every file under ``folder``, as sorted relative paths with forward slashes."""
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())


def build(model: str | os.PathLike = MODEL, out: str | os.PathLike = OUT, root: Path = ROOT) -> list[str]:
    """Write the bundle for ``model`` into ``out`` (replacing an earlier bundle there).

    Returns the relative paths of the files written. Raises BundleError when the model cannot be
    shipped or ``out`` is not a bundle.
    """
    model, out = Path(model), Path(out)
    python = training_python(check_model(model, root / REQUIREMENTS))
    safe_to_replace(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        staging.chmod(0o777 & ~current_umask())  # mkdtemp makes it private; a bundle is an ordinary folder
        write(model, staging, root, python=python)
        written = files(staging)
        (staging / MANIFEST).write_text("\n".join(written) + "\n", encoding="utf-8")
        if out.exists():
            replace_owned(staging, out)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return written


def replace_owned(staging: Path, out: Path) -> None:
    """Move the new bundle's entries into ``out``, replacing its old ones; leave everything else alone."""
    old = out / MANIFEST
    previous = old.read_text(encoding="utf-8").split() if old.is_file() else []
    new_tops = {entry.name for entry in staging.iterdir()}
    for stale in {path.split("/")[0] for path in previous} - new_tops:  # written before, not any more
        target = out / stale
        shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
    for entry in sorted(staging.iterdir()):
        target = out / entry.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        entry.rename(target)
    staging.rmdir()


def summary(written: list[str]) -> list[str]:
    """The top-level entries of the bundle, folders with a trailing slash."""
    return sorted({path.split("/")[0] + ("/" if "/" in path else "") for path in written}, key=str.lower)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=MODEL, help=f"the model to ship (default {MODEL})")
    parser.add_argument("--out", type=Path, default=OUT, help=f"the bundle's folder (default {OUT})")
    args = parser.parse_args(argv)
    try:
        written = build(args.model, args.out)
    except BundleError as error:
        print(f"cannot write the bundle: {error}", file=sys.stderr)
        return 1
    metadata = json.loads((args.out / "models" / "fraud_model.json").read_text(encoding="utf-8"))
    print(f"Wrote {args.out.as_posix()}/ with model {metadata['model_version']}:")
    for line in summary(written):
        print(f"  {line}")
    print(f"Pin it on the platform: FRAUD_MODEL_SHA256={metadata['artefact_sha256']}")
    print(f"Serve it as Heroku would: cd {args.out.as_posix()} && PORT=8000 honcho start web")
    return 0


if __name__ == "__main__":
    sys.exit(main())
