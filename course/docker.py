"""The base image chapter 06's Dockerfile builds on: the official one, or a stand-in made from Debian packages.

The Dockerfile starts ``ARG BASE_IMAGE=python:3.11-slim-bookworm`` then ``FROM ${BASE_IMAGE}``: on a learner's
machine plain ``docker build`` pulls the official Python image from Docker Hub. Where the registry cannot be
reached (the course's CI machine, a classroom behind a firewall), :func:`base_image` makes a stand-in from
Debian's own packages and the build passes ``--build-arg BASE_IMAGE=<stand-in>``:

    debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm <dir> <mirror>
    chroot <dir> python3 -m venv /usr/local        # python and pip in /usr/local/bin, as in the official image
    tar -C <dir> -c . | docker import --change 'ENV ...' - fraud-course-base:<tag>

The stand-in has a name of its own (never the official one, which would shadow the real image), carries
this machine's CA bundle (where TLS is intercepted, pip needs it to reach PyPI; the bundle is in the
stand-in base only, never in the learner's Dockerfile or image recipe), and is cached: in the engine, and as
a tarball under ``~/.cache/fraud-course/`` so that a fresh engine imports it in seconds.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
SUITE = "bookworm"  # the Debian release of python:3.11-slim-bookworm
PACKAGES = "python3,python3-venv,ca-certificates"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
STANDIN = "fraud-course-base"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "fraud-course"
#: Settings the stand-in carries, so that pip, requests and Python's ssl trust the CA bundle copied in.
STANDIN_ENV = {"PIP_CERT": str(CA_BUNDLE), "SSL_CERT_FILE": str(CA_BUNDLE), "REQUESTS_CA_BUNDLE": str(CA_BUNDLE),
               "PATH": "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}


class BaseImageError(Exception):
    """No base image can be had here; the message says why."""


@dataclass(frozen=True)
class Base:
    """The image to build on, and why that one (one line, for the test's and the notebook's output)."""

    name: str
    reason: str

    @property
    def build_args(self) -> list[str]:
        """What ``docker build`` needs to use it: nothing for the Dockerfile's own default."""
        return [] if self.reason.startswith("the official") else ["--build-arg", f"BASE_IMAGE={self.name}"]


def docker(*args: str, timeout: float = 120, check: bool = False, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=check, **kwargs)


def default_base(dockerfile: str) -> str:
    """The default of ``ARG BASE_IMAGE=...`` in a Dockerfile's text."""
    found = re.search(r"^ARG BASE_IMAGE=(\S+)\s*$", dockerfile, re.MULTILINE)
    if not found:
        raise BaseImageError("the Dockerfile has no `ARG BASE_IMAGE=<image>` line")
    return found.group(1)


def python_version(official: str) -> str:
    """``3.11`` from ``python:3.11-slim-bookworm``."""
    found = re.match(r"python:(\d+\.\d+)", official)
    if not found:
        raise BaseImageError(f"cannot tell the Python version of {official}")
    return found.group(1)


def standin_name(official: str) -> str:
    """The stand-in's name: its recipe and the CA bundle in the tag, so a change to either makes a new one."""
    recipe = f"{SUITE} {PACKAGES} {sorted(STANDIN_ENV.items())} {MIRROR}".encode()
    ca = CA_BUNDLE.read_bytes() if CA_BUNDLE.exists() else b""
    digest = hashlib.sha256(recipe + ca).hexdigest()[:12]
    return f"{STANDIN}:python{python_version(official)}-{SUITE}-{digest}"


def exists(image: str) -> bool:
    return docker("image", "inspect", image, timeout=30).returncode == 0


def base_image(dockerfile: str, *, log=print) -> Base:
    """The official base where it is here or can be pulled, else the stand-in (cached, or made now)."""
    official = default_base(dockerfile)
    if exists(official):
        return Base(official, "the official image, already in this engine")
    pulled = docker("pull", "--quiet", official, timeout=300)
    if pulled.returncode == 0:
        return Base(official, "the official image, pulled from the registry")
    why = (pulled.stderr.strip().splitlines() or ["no answer"])[-1]
    why = "the registry cannot be reached" if re.search(r"lookup|dial tcp|timeout|connection", why) else why
    name = standin_name(official)
    if exists(name):
        return Base(name, f"a stand-in made from Debian packages ({why}), cached in this engine")
    tarball = CACHE / (name.replace(":", "_") + ".tar")
    if not tarball.exists():
        log(f"Making the stand-in base {name} from Debian packages ({why}); a few minutes, once")
        make_rootfs_tarball(official, tarball)
        how = "made now"
    else:
        how = "imported from the cached tarball"
    changes = [part for key, value in STANDIN_ENV.items() for part in ("--change", f"ENV {key}={value}")]
    with tarball.open("rb") as stream:
        docker("import", *changes, "--change", 'CMD ["python3"]', "-", name, stdin=stream, timeout=600, check=True)
    return Base(name, f"a stand-in made from Debian packages ({why}), {how}")


def make_rootfs_tarball(official: str, tarball: Path) -> None:
    """debootstrap a minimal bookworm with Python in /usr/local and this machine's CA bundle; write a tarball."""
    if shutil.which("debootstrap") is None:
        raise BaseImageError("the registry cannot be reached and debootstrap is not installed "
                             "(apt-get install debootstrap) to make a stand-in base image")
    tarball.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rootfs-", dir=tarball.parent) as folder:
        root = Path(folder) / "root"
        subprocess.run(["debootstrap", "--variant=minbase", f"--include={PACKAGES}", SUITE, str(root), MIRROR],
                       check=True, capture_output=True, text=True, timeout=1200)
        subprocess.run(["chroot", str(root), "python3", "-m", "venv", "/usr/local"], check=True, timeout=300)
        version = subprocess.run(["chroot", str(root), "/usr/local/bin/python", "-c",
                                  "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"],
                                 check=True, capture_output=True, text=True).stdout.strip()
        if version != python_version(official):
            raise BaseImageError(f"Debian {SUITE} has Python {version}, the Dockerfile wants {official}")
        if CA_BUNDLE.exists():
            shutil.copyfile(CA_BUNDLE, root / CA_BUNDLE.relative_to("/"))
        for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for path in (root / cache).glob("*"):
                if path.is_file():
                    path.unlink()
        partial = tarball.with_suffix(".partial")
        subprocess.run(["tar", "--numeric-owner", "-C", str(root), "-cf", str(partial), "."], check=True)
        partial.rename(tarball)


def available_base(dockerfile: str) -> Base | None:
    """The base image if this engine already has it (official or stand-in), without pulling or making one."""
    official = default_base(dockerfile)
    if exists(official):
        return Base(official, "the official image, already in this engine")
    name = standin_name(official)
    if exists(name):
        return Base(name, "a stand-in made from Debian packages, cached in this engine")
    return None
