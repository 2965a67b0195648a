"""Checks for the exercises of chapter 04. The notebook calls ``exercises.check_1(answer)`` and so on.

``SAMPLES`` holds right and wrong answers: the course's tests prove that each check tells them apart.
"""

import course


def check_1(server):
    course.check("Exercise 1", server, lambda a: a.strip().lower() == "gunicorn",
                 hint="a green unicorn; the development server (app.run) is not for production")


SAMPLES = {check_1: {"right": ["gunicorn", "Gunicorn "], "wrong": ["flask", "app.run", 8000]}}
