"""Checks for the exercises of chapter 01. The notebook calls ``exercises.check_1(answer)`` and so on.

Each check prints whether the answer is right and, if not, a hint about this particular answer.
``SAMPLES`` holds right and wrong answers: the course's tests prove that each check tells them apart.
"""

import course

STATUS_FAMILIES = {200: "success", 201: "success", 204: "success", 301: "other", 100: "other",
                   400: "client error", 404: "client error", 415: "client error",
                   500: "server error", 503: "server error"}  # fmt: skip


def check_1(status):
    def hint(answer):
        if type(answer) is not int:
            return f"answer with an int, such as 404, not {type(answer).__name__} {answer!r}"
        return "the client forgot a parameter: the family is 4xx, and the code is 'Bad Request'"

    course.check("Exercise 1", status, lambda a: type(a) is int and a == 400, hint)


def check_2(family):
    def first_wrong(f):
        return next((code, want, f(code)) for code, want in STATUS_FAMILIES.items() if f(code) != want)

    def hint(f):
        code, want, got = first_wrong(f)
        return f"family({code}) returned {got!r}, but should return {want!r}; 404 // 100 == 4 gives the family"

    course.check("Exercise 2", family, lambda f: all(f(c) == w for c, w in STATUS_FAMILIES.items()), hint)


def hello_api_running():
    return any(server.name == "hello_api" for server in course.running_servers())


def check_3(greeting):
    def hint(answer):
        if hello_api_running():
            return "the server is still running: stop it (or use a `with` block); course.stop_all() stops them all"
        if isinstance(answer, dict):
            return "store the greeting text, not the whole JSON body: .json()['greeting']"
        return "call /greet with params={'name': 'Grace'} and take .json()['greeting']"

    course.check("Exercise 3", greeting, lambda a: a == "Hello, Grace!" and not hello_api_running(), hint)


def _family(code):
    return {2: "success", 4: "client error", 5: "server error"}.get(code // 100, "other")


SAMPLES = {
    check_1: {"right": [400], "wrong": [404, 400.0, "400", 200]},
    check_2: {"right": [_family], "wrong": [lambda code: "success", lambda code: "Success", str]},
    check_3: {"right": ["Hello, Grace!"], "wrong": ["Hello, world!", {"greeting": "Hello, Grace!"}, None]},
}
