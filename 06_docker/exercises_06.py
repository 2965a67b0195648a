"""Checks for the exercises of chapter 06. The notebook calls ``exercises.check_1(answer)`` and so on.

``SAMPLES`` holds right and wrong answers: the course's tests prove that each check tells them apart.
"""

import functools
import json
import shlex
import shutil
import tempfile
import uuid
from pathlib import Path

import requests

import course
import image

FROM = "FROM python:3.11-slim-bookworm"
COPY_REQUIREMENTS = "COPY requirements.txt ."
INSTALL = "RUN pip install --no-cache-dir -r requirements.txt"
COPY_CODE = "COPY fraud_app/ fraud_app/"

#: Exercise 3's Dockerfile: four things in it make hadolint complain.
BROKEN = """\
FROM python:3.11-slim-bookworm
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY fraud_app/ fraud_app/
CMD gunicorn --config gunicorn.conf.py
"""
FIXED = """\
FROM python:3.11-slim-bookworm
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY fraud_app/ fraud_app/
CMD ["gunicorn", "--config", "gunicorn.conf.py"]
"""


def check_1(address):
    course.check("Exercise 1", address, lambda a: a.strip() in EVERY_INTERFACE,
                 hint="127.0.0.1 is only reachable from inside the container itself")


def check_2(order):
    def hint(answer):
        answer = list(answer)
        if sorted(answer) != sorted([FROM, COPY_REQUIREMENTS, INSTALL, COPY_CODE]):
            return "use the four strings of `steps`, each once, in a list"
        if answer[0] != FROM:
            return "every Dockerfile starts FROM its base image"
        if answer.index(INSTALL) < answer.index(COPY_REQUIREMENTS):
            return "pip can only install from requirements.txt once it has been copied into the image"
        return "a change to the code must not run pip again: copy the code after the install"

    course.check("Exercise 2", order, lambda a: list(a) == [FROM, COPY_REQUIREMENTS, INSTALL, COPY_CODE], hint)


def check_3(dockerfile):
    def still_the_app(text):
        return ("FROM python:3.11-slim-bookworm" in text and "fraud_app/" in text and "gunicorn" in text
                and any(keyword == "RUN" and installs_requirements(arguments)
                        for keyword, arguments in instructions(text)))

    def hint(answer):
        if not still_the_app(answer):
            return "keep what the Dockerfile does (base image, install from requirements.txt, copy, gunicorn)"
        if not runnable_command(answer):
            return ('in the exec form each word is a string of its own, ["gunicorn", "--config", "gunicorn.conf.py"]: '
                    'one string with spaces names a program called "gunicorn --config ...", which does not exist')
        return "hadolint still says: " + image.lint(answer).splitlines()[0]

    course.check("Exercise 3", dockerfile,
                 lambda a: still_the_app(a) and runnable_command(a) and image.lint(a) == "", hint)


def runnable_command(dockerfile: str) -> bool:
    """Is the last CMD one a container can start: in the exec form, a program name without spaces, then its words?"""
    commands = [arguments for keyword, arguments in instructions(dockerfile) if keyword == "CMD"]
    if not commands:
        return False
    try:
        words = json.loads(commands[-1])
    except ValueError:
        return True  # the shell form: hadolint's own rule (DL3025) asks for the exec form
    return (isinstance(words, list) and bool(words) and all(isinstance(word, str) for word in words)
            and " " not in words[0].strip())


SAMPLES = {
    check_1: {"right": ["0.0.0.0", "::", "[::]", " 0.0.0.0 "], "wrong": ["127.0.0.1", "localhost", "::1", 0]},
    check_2: {"right": [[FROM, COPY_REQUIREMENTS, INSTALL, COPY_CODE], (FROM, COPY_REQUIREMENTS, INSTALL, COPY_CODE)],
              "wrong": [[FROM, COPY_CODE, COPY_REQUIREMENTS, INSTALL], [FROM, INSTALL, COPY_REQUIREMENTS, COPY_CODE],
                        [COPY_REQUIREMENTS, FROM, INSTALL, COPY_CODE], ["FROM python"], 42]},
    check_3: {"right": [FIXED, FIXED.replace("-r requirements.txt", "--requirement requirements.txt"),
                        FIXED.replace("COPY requirements.txt .", "COPY requirements.txt /app/")
                             .replace("-r requirements.txt", "-r /app/requirements.txt")],
              "wrong": [BROKEN, FIXED.replace("WORKDIR /app\n", ""), FIXED.replace(" --no-cache-dir", ""),
                        "FROM python:3.11-slim-bookworm\n", None,
                        FIXED.replace('CMD ["gunicorn", "--config", "gunicorn.conf.py"]',
                                      'CMD ["gunicorn --config gunicorn.conf.py"]')]},
}


# --- Exercise 4: a Dockerfile for small_app/ (app.py, requirements.txt), judged by what it does ---

SMALL_APP = image.HERE / "small_app"

#: The skeleton the learner starts from (the notebook prints it).
SKELETON = """\
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}
WORKDIR /app
# 1. copy requirements.txt and install it (before the code)
# 2. copy app.py
# 3. a user that is not root
# 4. app.py listens on $HOST, port $PORT (127.0.0.1 and 8000 unless set): make it reachable from outside
CMD ...
"""
SOLUTION = """\
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY app.py .
RUN useradd --create-home --uid 1000 app
USER 1000
ENV HOST=0.0.0.0 PORT=8000
EXPOSE 8000
CMD ["python", "app.py"]
"""


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) for each instruction, continuation lines joined, comments left out."""
    text = dockerfile.replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def installs_requirements(run: str) -> bool:
    words = shlex.split(run.replace("&&", " && "), posix=True) if run.count('"') % 2 == 0 else run.split()
    if "pip" not in " ".join(words) or "install" not in words:
        return False
    for index, word in enumerate(words):
        if word in ("-r", "--requirement") and index + 1 < len(words) and words[index + 1].endswith("requirements.txt"):
            return True
        if word.startswith(("--requirement=", "-r")) and word.endswith("requirements.txt"):
            return True
    return False


def listening_address(steps: list[tuple[str, str]]) -> str | None:
    """The HOST the Dockerfile's ENV sets last (ENV HOST=x, ENV HOST x, quoted or not)."""
    host = None
    for keyword, arguments in steps:
        if keyword != "ENV":
            continue
        parts = shlex.split(arguments)
        if len(parts) == 2 and "=" not in parts[0]:
            parts = [f"{parts[0]}={parts[1]}"]
        for part in parts:
            name, _, value = part.partition("=")
            if name == "HOST":
                host = value
    return host


EVERY_INTERFACE = {"0.0.0.0", "::", "[::]"}


def problems_4(dockerfile: str) -> list[str]:
    """What the Dockerfile does not do yet, in plain words; [] when it does all of it."""
    steps = instructions(dockerfile)
    keywords = [keyword for keyword, _ in steps]
    problems = []
    copies = [(i, arguments.split()) for i, (keyword, arguments) in enumerate(steps) if keyword in ("COPY", "ADD")]
    def copied(name):
        return [i for i, parts in copies if any(Path(s).name == name or s in (".", "./") for s in parts[:-1])]
    installs = [i for i, (keyword, arguments) in enumerate(steps)
                if keyword == "RUN" and installs_requirements(arguments)]
    if not installs:
        problems.append("nothing installs requirements.txt with pip (pip install -r requirements.txt)")
    elif not copied("requirements.txt") or min(copied("requirements.txt")) > installs[0]:
        problems.append("pip installs requirements.txt before it has been copied into the image")
    if not copied("app.py"):
        problems.append("app.py is never copied into the image")
    elif installs and min(copied("app.py")) < installs[0]:
        problems.append("the code is copied before the install: a change to app.py would run pip again")
    users = [arguments.split(":")[0] for keyword, arguments in steps if keyword == "USER"]
    if not users or users[-1] in ("root", "0"):
        problems.append("the container would run as root: add a user and switch to it with USER")
    commands = [arguments for keyword, arguments in steps if keyword in ("CMD", "ENTRYPOINT")]
    try:
        exec_form = bool(commands) and isinstance(json.loads(commands[-1]), list)
    except ValueError:
        exec_form = False
    if not exec_form:
        problems.append('CMD must be in exec form, a JSON list such as ["python", "app.py"], so that '
                        "docker stop's signal reaches the app")
    if listening_address(steps) not in EVERY_INTERFACE:
        problems.append("app.py listens on 127.0.0.1 unless HOST says otherwise: from outside the container "
                        "nobody could reach it; set HOST to an address meaning every interface")
    if not problems and "CMD" in keywords:
        findings = image.lint(dockerfile)
        if findings:
            problems.append("hadolint says: " + findings.splitlines()[0].split(" ", 1)[1])
    return problems


@functools.lru_cache(maxsize=16)
def run_small_app(dockerfile: str) -> str | None:
    """Build and run the learner's Dockerfile on small_app/ where an engine with the base image answers.

    None when it builds, answers /health from outside and runs as a user other than root; else what failed.
    None too where no engine or no base image is at hand: the static judgement (problems_4) stands alone.
    """
    if image.engine_problem() is not None:
        return None
    base = image.docker_base.available_base(image.DOCKERFILE.read_text())
    if base is None:
        return None
    tag, name, port = f"small-app-check:{uuid.uuid4().hex[:8]}", f"small-app-{uuid.uuid4().hex[:8]}", course.free_port()
    with tempfile.TemporaryDirectory(prefix="small-app-") as folder:
        for source in SMALL_APP.iterdir():
            if source.is_file():
                shutil.copy(source, folder)
        Path(folder, "Dockerfile").write_text(dockerfile, encoding="utf-8")
        args = base.build_args if "ARG BASE_IMAGE=" in dockerfile else []
        built = image.docker("build", *args, "--tag", tag, folder, timeout=600, check=False,
                             env={"DOCKER_BUILDKIT": "0"})
    if built.returncode != 0:
        return "docker build failed: " + (built.stderr.strip().splitlines() or ["?"])[-1]
    try:
        started = image.docker("run", "--detach", "--name", name, "--publish", f"127.0.0.1:{port}:8000",
                               "--sysctl", "net.ipv6.conf.all.disable_ipv6=0", tag, check=False)
        if started.returncode != 0:
            return "docker run failed: " + started.stderr.strip()
        try:
            answer = image.wait(lambda: requests.get(f"http://127.0.0.1:{port}/health", timeout=2).json(),
                                10, "/health")
        except (TimeoutError, ValueError):
            return "the container did not answer /health on port 8000 from outside"
        if answer != {"status": "ok"}:
            return "the container answered /health, but not with the small app's answer"
        if image.docker("exec", name, "id", "-u").stdout.strip() == "0":
            return "the container runs as root"
        return None
    finally:
        image.docker("rm", "--force", name, check=False)
        # The image goes, its layers stay (--no-prune): they are Docker's build cache, so checking the
        # same answer again (or the solution, after the course's tests) rebuilds in a fraction of a second.
        image.docker("rmi", "--force", "--no-prune", tag, check=False)


def check_4(dockerfile):
    def judged(answer):
        return isinstance(answer, str) and not problems_4(answer) and run_small_app(answer) is None

    def hint(answer):
        if not isinstance(answer, str):
            return "write the Dockerfile as a string"
        found = problems_4(answer)
        return found[0] if found else run_small_app(answer)

    course.check("Exercise 4", dockerfile, judged, hint)

#: Right Dockerfiles for exercise 4, in several spellings, and wrong ones, each a real slip.
RIGHT_4 = [
    SOLUTION,
    SOLUTION.replace("pip install --no-cache-dir -r requirements.txt",
                     "pip install --no-cache-dir --requirement requirements.txt"),
    SOLUTION.replace("COPY requirements.txt .", "COPY requirements.txt /app/requirements.txt")
            .replace("-r requirements.txt", "-r /app/requirements.txt"),
    SOLUTION.replace("ENV HOST=0.0.0.0 PORT=8000", 'ENV HOST="::" PORT=8000'),
    SOLUTION.replace("ENV HOST=0.0.0.0 PORT=8000", "ENV HOST=[::]\nENV PORT=8000"),
    SOLUTION.replace("RUN useradd --create-home --uid 1000 app\nUSER 1000",
                     "RUN useradd --no-log-init --uid 10001 worker\nUSER 10001:10001"),
]
WRONG_4 = [
    SKELETON,
    SOLUTION.replace("ENV HOST=0.0.0.0 PORT=8000", "ENV PORT=8000"),  # listens on 127.0.0.1 only
    SOLUTION.replace("ENV HOST=0.0.0.0", "ENV HOST=127.0.0.1"),
    SOLUTION.replace("USER 1000\n", ""),  # runs as root
    SOLUTION.replace('CMD ["python", "app.py"]', "CMD python app.py"),  # shell form
    SOLUTION.replace("COPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY app.py .",
                     "COPY . .\nRUN pip install --no-cache-dir -r requirements.txt"),  # code before install
    SOLUTION.replace(" --no-cache-dir", ""),  # hadolint DL3042
    42,
]
SAMPLES[check_4] = {"right": RIGHT_4, "wrong": WRONG_4}
