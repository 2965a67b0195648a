"""Checks for the exercises of chapter 07. The notebook calls ``exercises.check_1(answer)`` and so on.

``SAMPLES`` holds right and wrong answers: the course's tests prove that each check tells them apart.
"""

import re
import shlex

import course

PORT = re.compile(r"^0\.0\.0\.0:(\$PORT|\$\{PORT\})$")


def check_1(variable):
    course.check("Exercise 1", variable, lambda a: a.strip() == "PORT",
                 hint="four capital letters; the platform sets it, the Procfile uses it as $PORT")


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
    if not any(PORT.match(bind) for bind in binds):
        return "bind to every interface at the platform's port: --bind 0.0.0.0:$PORT"
    if "fraud_app.wsgi:app" not in words and not re.search(r"(--config|-c)[ =]gunicorn\.conf\.py", command):
        return "name the app (fraud_app.wsgi:app) or the configuration file (--config gunicorn.conf.py)"
    return None


def check_2(line):
    course.check("Exercise 2", line, lambda a: procfile_problem(a) is None, hint=lambda a: procfile_problem(a))


def check_3(command):
    def right(answer):
        words = answer.split()
        return words[:2] == ["heroku", "ps:scale"] and "web=3" in words[2:]

    course.check("Exercise 3", command, right,
                 hint="heroku ps:scale <process type>=<number of dynos>; the process type is web")


SAMPLES = {
    check_1: {"right": ["PORT", " PORT"], "wrong": ["port", "HOST", 8000]},
    check_2: {
        "right": ["web: gunicorn --config gunicorn.conf.py --bind 0.0.0.0:$PORT",
                  "web: gunicorn fraud_app.wsgi:app --bind 0.0.0.0:$PORT --workers 2",
                  "web: gunicorn -b 0.0.0.0:${PORT} fraud_app.wsgi:app",
                  "web:gunicorn --bind=0.0.0.0:$PORT -c gunicorn.conf.py"],
        "wrong": ["gunicorn --config gunicorn.conf.py --bind 0.0.0.0:$PORT",
                  "worker: gunicorn --config gunicorn.conf.py --bind 0.0.0.0:$PORT",
                  "web: flask run --host 0.0.0.0 --port $PORT",
                  "web: gunicorn --config gunicorn.conf.py --bind 127.0.0.1:$PORT",
                  "web: gunicorn --config gunicorn.conf.py --bind 0.0.0.0:8000",
                  "web: gunicorn --bind 0.0.0.0:$PORT",
                  "web: gunicorn 'unclosed", None],
    },
    check_3: {"right": ["heroku ps:scale web=3", "heroku ps:scale web=3 --app my-fraud-app"],
              "wrong": ["heroku ps:scale web=1", "heroku scale web=3", "heroku ps:scale worker=3", 3]},
}
