"""Checks for the exercises of chapter 06. The notebook calls ``exercises.check_1(answer)`` and so on.

``SAMPLES`` holds right and wrong answers: the course's tests prove that each check tells them apart.
"""

import course


def check_1(address):
    course.check("Exercise 1", address, lambda a: a.strip() == "0.0.0.0",
                 hint="127.0.0.1 is only reachable from inside the container itself")


SAMPLES = {check_1: {"right": ["0.0.0.0"], "wrong": ["127.0.0.1", "localhost", 0]}}
