"""Checks for the exercises of chapter 06. The notebook calls ``exercises.check_1(answer)`` and so on.

``SAMPLES`` holds right and wrong answers: the course's tests prove that each check tells them apart.
"""

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
    course.check("Exercise 1", address, lambda a: a.strip() == "0.0.0.0",
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
        return ("FROM python:3.11-slim-bookworm" in text and "-r requirements.txt" in text
                and "fraud_app/" in text and "gunicorn" in text)

    def hint(answer):
        if not still_the_app(answer):
            return "keep what the Dockerfile does (base image, install from requirements.txt, copy, gunicorn)"
        return "hadolint still says: " + image.lint(answer).splitlines()[0]

    course.check("Exercise 3", dockerfile, lambda a: still_the_app(a) and image.lint(a) == "", hint)


SAMPLES = {
    check_1: {"right": ["0.0.0.0"], "wrong": ["127.0.0.1", "localhost", 0]},
    check_2: {"right": [[FROM, COPY_REQUIREMENTS, INSTALL, COPY_CODE], (FROM, COPY_REQUIREMENTS, INSTALL, COPY_CODE)],
              "wrong": [[FROM, COPY_CODE, COPY_REQUIREMENTS, INSTALL], [FROM, INSTALL, COPY_REQUIREMENTS, COPY_CODE],
                        [COPY_REQUIREMENTS, FROM, INSTALL, COPY_CODE], ["FROM python"], 42]},
    check_3: {"right": [FIXED],
              "wrong": [BROKEN, FIXED.replace("WORKDIR /app\n", ""), FIXED.replace(" --no-cache-dir", ""),
                        "FROM python:3.11-slim-bookworm\n", None]},
}
