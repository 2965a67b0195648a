"""Checks for the exercises of chapter 05. The notebook calls ``exercises.check_1(answer)`` and so on.

``SAMPLES`` holds right and wrong answers: the course's tests prove that each check tells them apart.
"""

import course


def check_1(family):
    course.check("Exercise 1", family, lambda a: type(a) is int and a == 5,
                 hint="a bad request is the client's fault (4xx); which family would blame the server?")


SAMPLES = {check_1: {"right": [5], "wrong": [4, "5", 500]}}
