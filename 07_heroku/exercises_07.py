"""Checks for the exercises of chapter 07. The notebook calls ``exercises.check_1(answer)`` and so on.

``SAMPLES`` holds right and wrong answers: the course's tests prove that each check tells them apart.
"""

import course


def check_1(variable):
    course.check("Exercise 1", variable, lambda a: a.strip() == "PORT",
                 hint="four capital letters; the platform sets it, the Procfile uses it as $PORT")


SAMPLES = {check_1: {"right": ["PORT", " PORT"], "wrong": ["port", "HOST", 8000]}}
