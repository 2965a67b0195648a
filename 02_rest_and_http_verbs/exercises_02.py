"""Checks for the exercises of chapter 02. The notebook calls ``exercises.check_1(answer)`` and so on.

Each check prints whether the answer is right and, if not, a hint about this particular answer.
``SAMPLES`` holds right and wrong answers: the course's tests prove that each check tells them apart.
"""

import course

RIGHT_PATH = "/repos/tensorflow/tensorflow/issues"
RIGHT_RATING = {"movie": "Ratatouille", "stars": 4, "review": "Anyone can cook."}


def check_1(path):
    def hint(answer):
        if isinstance(answer, str) and "?" in answer:
            return "the query (after '?') is not part of the path"
        if isinstance(answer, str) and answer.startswith("http"):
            return "the scheme and host are not part of the path: urlsplit(url).path"
        return "urlsplit(url).path: the part after the host and before the '?'"

    course.check("Exercise 1", path, lambda a: a == RIGHT_PATH, hint)


def check_2(idempotent):
    def hint(answer):
        methods = set(answer)
        if {m.upper() for m in methods} == {"GET", "PUT", "DELETE"}:
            return "right methods; write them in capitals, as HTTP does: 'GET'"
        if "POST" in methods:
            return "POST is not idempotent: two identical POSTs may create two resources"
        return "repeat each call in your head: after which one is the server different after the 2nd call?"

    course.check("Exercise 2", idempotent, lambda a: set(a) == {"GET", "PUT", "DELETE"}, hint)


def check_3(replaced):
    def right(answer):
        return type(answer["id"]) is int and {k: answer[k] for k in RIGHT_RATING} == RIGHT_RATING

    def hint(answer):
        if isinstance(answer, dict) and "error" in answer:
            return f"the server refused the request: {answer['error']['message']}"
        return "POST with headers=AUTH, read the Location header, then PUT all three fields to it"

    course.check("Exercise 3", replaced, right, hint)


SAMPLES = {
    check_1: {"right": [RIGHT_PATH], "wrong": ["/repos/tensorflow/tensorflow/issues?state=open",
                                               "https://api.github.com/repos/tensorflow/tensorflow/issues", None]},
    check_2: {"right": [{"GET", "PUT", "DELETE"}, ["DELETE", "GET", "PUT"]],
              "wrong": [{"get", "put", "delete"}, {"GET", "POST", "PUT", "DELETE"}, {"GET"}]},
    check_3: {"right": [{"id": 5, **RIGHT_RATING}],
              "wrong": [{"id": 5, **RIGHT_RATING, "stars": 5}, {"error": {"code": 409, "message": "already rated"}},
                        RIGHT_RATING]},
}
