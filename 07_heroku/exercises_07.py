"""Checks for the exercises of chapter 07. The notebook calls ``exercises.check_1(answer)`` and so on.

``SAMPLES`` holds right and wrong answers: the course's tests prove that each check tells them apart.
"""

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from honcho.environ import parse as parse_env
from honcho.environ import parse_procfile

import course
from course.exercises import NOT_ANSWERED, describe
from course.servers import HOST, find_program, free_port

#: The port part of a bind: the platform's port, however the shell is asked for it.
PLATFORM_PORT = r"(\$PORT|\$\{PORT\})"
#: Hosts that mean "every interface": IPv4's 0.0.0.0, IPv6's :: (which takes IPv4 too on Linux and
#: macOS), and an empty host, which gunicorn reads as 0.0.0.0.
EVERY_INTERFACE = ("0.0.0.0", "[::]", "")
BIND = re.compile(r"^(?:tcp://)?(?P<host>\[[^\]]*\]|[^:]*):(?P<port>.*)$")


def check_1(variable):
    course.check("Exercise 1", variable, lambda a: a.strip() == "PORT",
                 hint="four capital letters; the platform sets it, the Procfile uses it as $PORT")


def bind_problem(bind: str) -> str | None:
    """What is wrong with one ``--bind`` value for a platform's web process, or None."""
    match = BIND.match(bind)
    if match is None:
        return f"--bind {bind} names no port: write HOST:PORT, such as 0.0.0.0:$PORT"
    if not re.fullmatch(PLATFORM_PORT, match["port"]):
        return (f"--bind {bind} listens at port {match['port'] or '(none)'}: the platform chooses the port and "
                f"passes it in $PORT, so the line must say $PORT")
    if match["host"] not in EVERY_INTERFACE:
        return (f"--bind {bind} listens on {match['host']} only, where the platform's router cannot reach it: "
                f"listen on every interface, 0.0.0.0 (or [::])")
    return None


def procfile_problem(line: str) -> str | None:
    """What is wrong with a Procfile line for the fraud app's web process, or None."""
    kind, _, command = line.strip().partition(":")
    if kind.strip() != "web" or not command.strip():
        return "a Procfile line is `<process type>: <command>`, and the type that gets HTTP traffic is `web`"
    words = shlex.split(command)
    if not words or words[0] != "gunicorn":
        return "the command starts with gunicorn, the production server"
    binds = [words[i + 1] for i, word in enumerate(words[:-1]) if word in ("--bind", "-b")]
    binds += [word.split("=", 1)[1] for word in words if word.startswith("--bind=")]
    binds += [word[2:] for word in words if word.startswith("-b") and len(word) > 2]
    config = re.search(r"(--config|-c)[ =]gunicorn\.conf\.py", command)
    if "fraud_app.wsgi:app" not in words and not config:
        return "name the app (fraud_app.wsgi:app) or the configuration file (--config gunicorn.conf.py)"
    if not binds:
        return ("in the bundle, gunicorn reads gunicorn.conf.py (even without --config), and its bind, 127.0.0.1 "
                "unless HOST says otherwise, replaces gunicorn's own 0.0.0.0:$PORT: add --bind 0.0.0.0:$PORT, "
                "which overrides the file")
    problems = [bind_problem(bind) for bind in binds]
    return next((problem for problem in problems if problem), None)


def check_2(line):
    course.check("Exercise 2", line, lambda a: procfile_problem(a) is None, hint=lambda a: procfile_problem(a))


#: The web dyno type that the course's app.json asks for: exercise 3 starts from it.
APP_JSON_SIZE = json.loads(Path(__file__).with_name("app.json").read_text())["formation"]["web"]["size"].lower()
#: Dyno types that run several dynos of one process type (Eco and Basic run one at most).
SCALABLE_SIZES = re.compile(r"^(standard-[12]x|performance-(m|l|l-ram|xl|2xl))$")
FORMATION = re.compile(r"^web=(?P<quantity>\d+)(:(?P<size>[\w-]+))?$")
TYPE = re.compile(r"^web=(?P<size>[\w-]+)$")


def _first_match(pattern: re.Pattern, words: list[str]) -> re.Match | None:
    return next((match for match in map(pattern.match, (word.lower() for word in words)) if match), None)


def scaling_problem(commands) -> str | None:
    """What is wrong with Heroku CLI commands that should leave three web dynos on a Basic app, or None."""
    if isinstance(commands, str):
        commands = [part for part in re.split(r"\s*(?:&&|;|\n)\s*", commands) if part.strip()]
    if not isinstance(commands, list | tuple) or not all(isinstance(command, str) for command in commands):
        return f"answer with the commands as a string, or a list of strings, not {describe(commands)}"
    size, quantity = APP_JSON_SIZE, 1  # where the app starts: what app.json asks for
    for command in commands:
        words = command.split()
        if words[:1] != ["heroku"] or len(words) < 3:
            return "each command starts with heroku, then the command (ps:scale or ps:type) and web=..."
        if words[1] == "ps:scale":
            formation = _first_match(FORMATION, words[2:])
            if formation is None:
                return "heroku ps:scale <process type>=<number of dynos>; the process type is web"
            quantity, size = int(formation["quantity"]), formation["size"] or size
        elif words[1] in ("ps:type", "ps:resize"):
            new = _first_match(TYPE, words[2:])
            if new is None:
                return "heroku ps:type web=<dyno type>, such as web=standard-1x"
            size = new["size"]
        else:
            return f"heroku {words[1]} does not change the dynos: ps:scale sets how many, ps:type which kind"
    if quantity != 3:
        return f"that leaves {quantity} web dyno(s); the exercise asks for three"
    if not SCALABLE_SIZES.match(size):
        return (f"that asks for three {size} dynos, but Eco and Basic dynos run one dyno per process type: "
                f"change the web dynos to Standard (standard-1x or standard-2x) first, or in the same command")
    return None


def check_3(commands):
    course.check("Exercise 3", commands, lambda a: scaling_problem(a) is None, hint=lambda a: scaling_problem(a))


# --- Exercise 4: a Procfile and config vars for tiny_app.py, run with honcho ---------------------

TINY_APP = Path(__file__).with_name("tiny_app.py")
WORKERS = 3
SKELETON_4 = {
    "Procfile": "web: ...\n",
    ".env": "...\n",
}
LISTENING = re.compile(r"Listening at: http://(?P<host>\[[^\]]*\]|[^:\s]*):(?P<port>\d+)")
DEVELOPMENT = re.compile(r"Running on http://(?P<host>[^:\s]+):(?P<port>\d+)")
OTHER_SERVER = re.compile(r"Serving on http://(?P<host>\[[^\]]*\]|[^:\s]+):(?P<port>\d+)")  # waitress


class _Honcho:
    """``honcho start`` in ``folder``, with only PORT and a dyno's PATH from outside (plus the .env)."""

    def __init__(self, folder: Path, port: int) -> None:
        self.port = port
        self.env_file = (folder / ".env").read_text()
        self.log_path = folder.parent / "honcho.log"
        bin_folder = str(Path(sys.executable).parent)  # the course's gunicorn and honcho come first
        env = {"PATH": os.pathsep.join([bin_folder, os.environ.get("PATH", "")]), "PORT": str(port),
               "HOME": os.environ.get("HOME", str(folder)), "LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1"}
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen([find_program("honcho"), "start"], cwd=folder, env=env,
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def running(self) -> bool:
        return self.process.poll() is None

    def wait_for(self, found, timeout: float):
        """Wait until ``found(log)`` is true or the process ends; return the last value of ``found``."""
        deadline = time.monotonic() + timeout
        while True:
            value = found(self.log())
            if value or not self.running() or time.monotonic() > deadline:
                return value
            time.sleep(0.05)

    def stop(self) -> None:
        if self.running():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        # honcho may end before gunicorn's workers do: wait until the whole process group is gone.
        deadline = time.monotonic() + 10
        while _group_alive(self.process.pid):
            if time.monotonic() > deadline:
                os.killpg(self.process.pid, signal.SIGKILL)
                break
            time.sleep(0.05)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def _env_note(env_file: str) -> str:
    """A note on the .env lines that honcho cannot read (so sets nothing from), or ''."""
    unread = [line.strip() for line in env_file.splitlines()
              if line.strip() and not line.lstrip().startswith("#") and not parse_env(line)]
    if not unread:
        return ""
    return f" (honcho reads no variable from the .env line {unread[0]!r}: write NAME=value, without export)"


def _why_it_stopped(log: str, env_file: str = "") -> str:
    """Why the web process ended, in plain words, from what honcho and gunicorn printed."""
    if "cannot start:" in log:
        return "the app refused to start: " + re.findall(r"cannot start: (.+)", log)[-1].strip() + _env_note(env_file)
    if "not found" in log and "rc=127" in log:
        return "the shell found no such program: is the first word of the command gunicorn?"
    if "No module named" in log or "Failed to find attribute" in log:
        return "gunicorn could not find the app: name it tiny_app:app (the module tiny_app, its object app)"
    error = re.search(r"Error: (.+)", log)
    if error and "Worker failed to boot" not in error[1]:
        return f"gunicorn said: {error[1].strip()}"
    return "it stopped before it answered a request; run `honcho start` in a terminal to read its log"


def _procfile_files(files) -> tuple[str, str] | str:
    """(Procfile, .env) from the answer, or what is wrong with its shape."""
    wanted = "a dict with two keys, 'Procfile' and '.env', each the text of that file"
    if not isinstance(files, dict):
        return f"the answer is {wanted}, not {describe(files)}"
    if set(files) != {"Procfile", ".env"}:
        keys = ", ".join(repr(key) for key in files) or "none"
        return f"the answer is {wanted}; yours has the keys {keys}"
    if not all(isinstance(text, str) for text in files.values()):
        return "the text of each file is a string (in triple quotes, one line per entry)"
    return files["Procfile"], files[".env"]


def run_procfile(procfile: str, env_file: str) -> list[tuple[str, str | None]]:
    """Run ``honcho start`` on tiny_app.py with this Procfile and .env; return (expectation, problem) pairs.

    A problem of None means the expectation is met. Expectations that cannot be judged once an
    earlier one failed (nothing listens, say) are left out.
    """
    results: list[tuple[str, str | None]] = []
    web = parse_procfile(procfile).processes.get("web")
    results.append(("the Procfile declares a web process, the one that gets HTTP traffic",
                    None if web else "no line reads `web: <command>` (honcho and Heroku read `type: command`)"))
    if not web:
        return results
    with tempfile.TemporaryDirectory(prefix="course-procfile-") as parent:
        folder = Path(parent) / "app"
        folder.mkdir()
        (folder / "tiny_app.py").write_text(TINY_APP.read_text())
        (folder / "Procfile").write_text(procfile)
        (folder / ".env").write_text(env_file)
        honcho = _Honcho(folder, free_port())
        try:
            results += _judge(honcho)
        finally:
            honcho.stop()
    return results


def _judge(honcho: _Honcho) -> list[tuple[str, str | None]]:
    results: list[tuple[str, str | None]] = []

    def listening(log):
        return LISTENING.search(log) or DEVELOPMENT.search(log) or OTHER_SERVER.search(log)

    def answered(log):
        if "Worker failed to boot" in log or "cannot start:" in log:
            return "failed"
        return "answered" if _health(honcho.port) else None

    where = honcho.wait_for(listening, timeout=15)
    health = None
    if where and int(where["port"]) == honcho.port:
        health = honcho.wait_for(answered, timeout=10)
    started = "honcho starts it, and it keeps running"
    if not where or health == "failed" or not honcho.running():
        results.append((started, _why_it_stopped(honcho.log(), honcho.env_file)))
        return results
    results.append((started, None))
    log = honcho.log()
    development = "development server" in log or DEVELOPMENT.search(log) and not LISTENING.search(log)
    results.append(("gunicorn serves it, not Flask's development server",
                    "that is Flask's development server, for your laptop only: serve it with gunicorn"
                    if development else None if "Starting gunicorn" in log else "the command does not start gunicorn"))
    port = int(where["port"])
    results.append(("it listens at the port the platform passes in $PORT",
                    None if port == honcho.port else f"it listens at port {port}, a number written in the command: "
                    f"the platform chooses the port, so the command says $PORT"))
    host = "0.0.0.0" if "Running on all addresses" in log else where["host"]
    results.append(("it listens on every interface (0.0.0.0 or [::]), where the platform's router reaches it",
                    None if host in EVERY_INTERFACE else f"it listens on {host} only: that works on your laptop, "
                    f"but the router connects from outside the dyno; bind 0.0.0.0:$PORT"))
    if port != honcho.port:
        return results
    results.append(("GET /health answers 200 {'status': 'ok'}",
                    None if health == "answered" else "it did not answer /health: " + _why_it_stopped(honcho.log())))
    if health == "answered" and "Starting gunicorn" in log:
        booted = honcho.wait_for(lambda log: log.count("Booting worker") >= WORKERS, timeout=1.5)
        count = honcho.log().count("Booting worker")
        results.append((f"{WORKERS} gunicorn workers, as the config var WEB_CONCURRENCY says",
                        None if booted and count == WORKERS else f"{count} worker(s) started: gunicorn reads the "
                        f"number of workers from WEB_CONCURRENCY; set it in .env: WEB_CONCURRENCY={WORKERS}"
                        + _env_note(honcho.env_file)))
    return results


def _health(port: int) -> bool:
    try:
        response = requests.get(f"http://{HOST}:{port}/health", timeout=2)
    except requests.RequestException:
        return False
    try:
        return response.status_code == 200 and response.json() == {"status": "ok"}
    except ValueError:
        return False


def check_4(files):
    """Write the answer's Procfile and .env beside tiny_app.py, run ``honcho start``, say what works."""
    exercise = "Exercise 4"
    if files is NOT_ANSWERED or files == SKELETON_4:
        print(f"{exercise}: not answered yet. Fill in the ... in the cell above, run it, then run this check.")
        return
    shape = _procfile_files(files)
    if isinstance(shape, str):
        print(f"{exercise}: not quite. Hint: {shape}")
        return
    print(f"{exercise}: your Procfile and .env, beside tiny_app.py in a fresh folder; `honcho start` there, "
          f"with PORT set as a platform sets it:")
    results = run_procfile(*shape)
    for says, problem in results:
        print(f"  ✓ {says}" if problem is None else f"  ✗ {says}: {problem}")
    unmet = [says for says, problem in results if problem is not None]
    if unmet:
        print(f"{exercise}: not quite. Hint: {len(unmet)} expectation(s) not met yet (marked ✗); "
              f"start with the first, change your cell, run it and this check again.")
        return
    print(f"{exercise}: correct. Well done!")


ENV_4 = "APP_TOKEN=a-long-random-secret\nWEB_CONCURRENCY=3\n"
RIGHT_4 = {"Procfile": "web: gunicorn tiny_app:app --bind 0.0.0.0:$PORT\n", ".env": ENV_4}
# gunicorn binds 0.0.0.0:$PORT by itself when PORT is set (and no configuration file says otherwise).
RIGHT_4_NO_BIND = {"Procfile": "web: gunicorn tiny_app:app\n", ".env": ENV_4}
RIGHT_4_OTHERS = [
    {"Procfile": "web: gunicorn --bind :${PORT} --workers 3 tiny_app:app\n", ".env": 'APP_TOKEN="s3cr3t"\n'},
    {"Procfile": "# the web process\nweb:gunicorn --bind=0.0.0.0:$PORT tiny_app:app\n",
     ".env": "# config vars, as `heroku config:set` would set them\nAPP_TOKEN = s3cr3t\nWEB_CONCURRENCY=3\n"},
]
if socket.has_ipv6:  # [::] needs IPv6 in the kernel; a machine without it cannot even bind it
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::", 0))
        RIGHT_4_OTHERS.append({"Procfile": "web: gunicorn --bind [::]:$PORT tiny_app:app\n", ".env": ENV_4})
    except OSError:
        pass

SAMPLES = {
    check_1: {"right": ["PORT", " PORT"], "wrong": ["port", "HOST", 8000]},
    check_2: {
        "right": ["web: gunicorn --config gunicorn.conf.py --bind 0.0.0.0:$PORT",
                  "web: gunicorn fraud_app.wsgi:app --bind 0.0.0.0:$PORT --workers 2",
                  "web: gunicorn -b 0.0.0.0:${PORT} fraud_app.wsgi:app",
                  "web:gunicorn --bind=0.0.0.0:$PORT -c gunicorn.conf.py",
                  "web: gunicorn --config gunicorn.conf.py --bind [::]:$PORT",
                  "web: gunicorn --config gunicorn.conf.py --bind :$PORT"],
        "wrong": ["gunicorn --config gunicorn.conf.py --bind 0.0.0.0:$PORT",
                  "worker: gunicorn --config gunicorn.conf.py --bind 0.0.0.0:$PORT",
                  "web: flask run --host 0.0.0.0 --port $PORT",
                  "web: gunicorn --config gunicorn.conf.py --bind 127.0.0.1:$PORT",
                  "web: gunicorn --config gunicorn.conf.py --bind 0.0.0.0:8000",
                  "web: gunicorn --config gunicorn.conf.py --bind localhost:$PORT",
                  "web: gunicorn --config gunicorn.conf.py",
                  # gunicorn reads ./gunicorn.conf.py by itself, whose bind replaces the 0.0.0.0:$PORT default
                  "web: gunicorn fraud_app.wsgi:app",
                  "web: gunicorn --bind 0.0.0.0:$PORT",
                  "web: gunicorn 'unclosed", None],
    },
    check_3: {"right": [["heroku ps:type web=standard-1x", "heroku ps:scale web=3"],
                        "heroku ps:scale web=3:standard-2x",
                        "heroku ps:type web=Standard-1X && heroku ps:scale web=3 --app my-fraud-app",
                        ["heroku ps:scale web=3:performance-m"]],
              "wrong": ["heroku ps:scale web=3", ["heroku ps:scale web=3", "heroku ps:type web=basic"],
                        "heroku ps:scale web=3:eco", ["heroku ps:type web=standard-1x", "heroku ps:scale web=1"],
                        "heroku scale web=3", ["heroku ps:type web=standard-1x", "heroku ps:scale worker=3"], 3]},
    check_4: {
        "right": [RIGHT_4, RIGHT_4_NO_BIND, *RIGHT_4_OTHERS],
        "wrong": [
            # loopback only: it works on the laptop, but a dyno's router cannot reach it
            {"Procfile": "web: gunicorn tiny_app:app --bind 127.0.0.1:$PORT\n", ".env": ENV_4},
            # the secret forgotten: the app refuses to start
            {"Procfile": "web: gunicorn tiny_app:app --bind 0.0.0.0:$PORT\n", ".env": "WEB_CONCURRENCY=3\n"},
            # the dollar sign forgotten
            {"Procfile": "web: gunicorn tiny_app:app --bind 0.0.0.0:PORT\n", ".env": ENV_4},
            # the development server
            {"Procfile": "web: flask --app tiny_app run --host 0.0.0.0 --port $PORT\n", ".env": ENV_4},
            # no process type
            {"Procfile": "gunicorn tiny_app:app --bind 0.0.0.0:$PORT\n", ".env": ENV_4},
            # the number of workers forgotten: gunicorn starts one
            {"Procfile": "web: gunicorn tiny_app:app --bind 0.0.0.0:$PORT\n", ".env": "APP_TOKEN=s3cr3t\n"},
            # a shell's export, which a .env file does not take
            {"Procfile": "web: gunicorn tiny_app:app\n", ".env": "export APP_TOKEN=s3cr3t\nexport WEB_CONCURRENCY=3\n"},
            {"Procfile": "web: gunicorn tiny_app:app\n"},
        ],
    },
}
