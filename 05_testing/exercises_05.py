"""Checks for the exercises of chapter 05. The notebook calls ``exercises.check_1(answer)`` and so on.

``SAMPLES`` holds right and wrong answers: the course's tests prove that each check tells them apart.
"""

import course


def check_1(family):
    course.check("Exercise 1", family, lambda a: type(a) is int and a == 5,
                 hint="a bad request is the client's fault (4xx); which family would blame the server?")


def check_2(status):
    def hint(answer):
        if answer == 400:
            return "400 means the JSON was read and found wrong; 415 is about the Content-Type header"
        return "send a body that is not labelled as JSON: data='...' with no json= and no JSON Content-Type"

    course.check("Exercise 2", status, lambda a: a == 415, hint)


def check_3(error_rate):
    def hint(answer):
        if isinstance(answer, (int, float)) and answer > 1:
            return "a rate is a fraction between 0 and 1: errors / requests"
        return "result.errors / result.requests"

    course.check("Exercise 3", error_rate, lambda a: isinstance(a, (int, float)) and a == 0, hint)


SAMPLES = {
    check_1: {"right": [5], "wrong": [4, "5", 500]},
    check_2: {"right": [415], "wrong": [400, "415", 200]},
    check_3: {"right": [0.0, 0], "wrong": [0.5, 300, None]},
}
