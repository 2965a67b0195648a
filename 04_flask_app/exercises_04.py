"""Checks for the exercises of chapter 04. The notebook calls ``exercises.check_1(answer)`` and so on.

``SAMPLES`` holds right and wrong answers: the course's tests prove that each check tells them apart.
"""

import course


def check_1(status):
    def hint(answer):
        if answer == 201:
            return "that request carried a token: send it without the headers=... argument"
        if answer == 403:
            return "403 means 'I know who you are and you may not'; here the server does not know who you are"
        return "which status code says 'send credentials first'? Look at the POST without a token above"

    course.check("Exercise 1", status, lambda a: type(a) is int and a == 401, hint)


def check_2(decisions):
    def hint(answer):
        if isinstance(answer, dict):
            return "take the is_fraud of each item of answer['predictions'], in order"
        if isinstance(answer, list) and len(answer) != 3:
            return f"one decision per transaction: 3 expected, got {len(answer)}"
        return "send {'transactions': [ordinary, risky, ordinary]} to /api/v1/predict in one request"

    course.check("Exercise 2", decisions, lambda a: list(a) == [False, True, False], hint)


def check_3(message):
    expected = "field 'hour' must be between 0 and 23, got -1"

    def hint(answer):
        if isinstance(answer, dict):
            return "take the 'message' inside response.get_json()['error']"
        return "post {**ordinary, 'hour': -1} to /api/v1/predict and read error.message"

    course.check("Exercise 3", message, lambda a: a == expected, hint)


SAMPLES = {
    check_1: {"right": [401], "wrong": [201, 403, "401"]},
    check_2: {"right": [[False, True, False]], "wrong": [[False, True], [True, True, True], {"predictions": []}]},
    check_3: {"right": ["field 'hour' must be between 0 and 23, got -1"],
              "wrong": ["bad request", {"message": "x"}, None]},
}
