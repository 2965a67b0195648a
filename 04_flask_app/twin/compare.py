"""The Flask app and its FastAPI twin side by side: the same bad inputs, lines of code, requests per second.

Chapter 04's notebook and tests/test_twin*.py use these; every comparison talks to real servers over HTTP.
"""

import ast
import inspect
import io
import json
import sys
import textwrap
import tokenize
from collections.abc import Callable, Iterable
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "05_testing"))  # loadtest.py: chapter 05's bounded load generator, also make bench's

import loadtest  # noqa: E402

#: The twin under uvicorn, two worker processes like the Flask app's gunicorn (run from 04_flask_app/), through
#: twin.serve: uvicorn's command line with its fix for --workers (see there).
#: With --workers, uvicorn's supervisor restarts a worker that does not answer its health check in time; the
#: default 5 s is shorter than loading scikit-learn takes on a busy machine, where the workers would be killed
#: and restarted for ever. 60 s: only a worker that is really stuck is replaced.
UVICORN = [sys.executable, "-m", "twin.serve", "--factory", "twin:create_app", "--host", "127.0.0.1",
           "--port", "{port}", "--workers", "2", "--timeout-worker-healthcheck", "60"]

ORDINARY = {"amount": 42.5, "hour": 14, "merchant_category": "grocery", "distance_from_home_km": 3.2,
            "is_online": False, "is_foreign": False, "transactions_last_24h": 2, "account_age_days": 900}
JSON = {"Content-Type": "application/json"}

#: (what is wrong, the keyword arguments of requests.request for POST /api/v1/predict)
BAD_INPUTS: list[tuple[str, dict]] = [
    ("form-encoded, not JSON", {"data": {"amount": "3"}}),
    ("malformed JSON", {"data": b'{"amount": ', "headers": JSON}),
    ("an array, not an object", {"json": [ORDINARY]}),
    ("a field missing", {"json": {k: v for k, v in ORDINARY.items() if k != "hour"}}),
    ("an unknown field", {"json": {**ORDINARY, "card_number": "4111"}}),
    ('"42.5", a string, for a number', {"json": {**ORDINARY, "amount": "42.5"}}),
    ("true for an integer", {"json": {**ORDINARY, "hour": True}}),
    ("hour 24, out of range", {"json": {**ORDINARY, "hour": 24}}),
    ("an unknown category", {"json": {**ORDINARY, "merchant_category": "casino"}}),
    ("NaN for a number", {"data": json.dumps({**ORDINARY, "amount": float("nan")}), "headers": JSON}),
    ("a number of 5,000 digits", {"data": json.dumps(ORDINARY).replace("42.5", "9" * 5000), "headers": JSON}),
    ("an empty batch", {"json": {"transactions": []}}),
    ("1,001 transactions in a batch", {"json": {"transactions": [ORDINARY] * 1001}}),
    ("a body of 2 MB", {"data": b" " * 2_000_000, "headers": JSON}),
]


def answer_of(response: requests.Response) -> str:
    """A response in a few words: its status, then the error's code (the Flask app's shape), the first
    error's type (FastAPI's 422 shape), or what the body is."""
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} {response.headers.get('Content-Type', 'no body').split(';')[0]}: " \
               f"{response.text[:40]!r}"
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return f"{response.status_code} {body['error'].get('code')}"
    if isinstance(body, dict) and isinstance(body.get("detail"), list) and body["detail"]:
        first = body["detail"][0]
        more = f" (+{len(body['detail']) - 1})" if len(body["detail"]) > 1 else ""
        return f"{response.status_code} {first.get('type')}{more}"
    if isinstance(body, dict) and "detail" in body:
        return f"{response.status_code} detail: {body['detail']!r}"
    return f"{response.status_code} {json.dumps(body)[:40]}"


def post(url: str, request: dict) -> requests.Response:
    return requests.post(url + "/api/v1/predict", timeout=10, **request)


def side_by_side(servers: dict[str, str], inputs: Iterable[tuple[str, dict]] = BAD_INPUTS):
    """A table (pandas DataFrame): one row per bad input, one column per server (name: base URL)."""
    import pandas as pd

    rows = {label: {name: answer_of(post(url, request)) for name, url in servers.items()} for label, request in inputs}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("POST /api/v1/predict with")


# --- Lines of code ------------------------------------------------------------------------------------------

def code_lines(objects: Iterable[object]) -> int:
    """Lines of code in the source of ``objects`` (functions, classes, modules): no blank lines,
    no comments, no docstrings."""
    return sum(_code_lines(textwrap.dedent(inspect.getsource(item))) for item in objects)


def _code_lines(source: str) -> int:
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(
                first.value.value, str
            ):
                docstrings.update(range(first.lineno, first.end_lineno + 1))
    lines = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                              tokenize.ENDMARKER):
            lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines - docstrings)


# --- Requests per second, from the same bench -----------------------------------------------------------------

def bodies(count: int = 50) -> list[bytes]:
    """``count`` different transactions of the course's data, each encoded once, in advance."""
    import pandas as pd

    from train import FEATURES

    frame = pd.read_csv(ROOT / "data" / "transactions.csv", nrows=count)
    convert = {"float": float, "int": int, "bool": bool, "category": str}
    return [json.dumps({f["name"]: convert[f["type"]](row[f["name"]]) for f in FEATURES}).encode()
            for row in frame.to_dict("records")]


def sender(encoded: list[bytes]) -> Callable:
    """A ``send(session, url)`` for loadtest.run: the bodies in turn, one transaction per request."""
    turn = iter(range(sys.maxsize))

    def send(session, url):
        return session.post(url + "/api/v1/predict", data=encoded[next(turn) % len(encoded)], headers=JSON,
                            timeout=30)

    return send


def requests_per_second(servers: dict[str, str], rounds: int = 2, requests_each: int = 200, concurrency: int = 4,
                        seconds_each: float = 1.0) -> dict[str, dict]:
    """The same bounded load test on each server, in interleaved rounds (a busy moment of the machine hits
    both alike): for each server, every round's requests per second and the answers that were not 200."""
    encoded = bodies()
    results = {name: {"per_second": [], "not_ok": 0, "requests": 0} for name in servers}
    for url in servers.values():  # warm-up: every worker has answered before anything is timed
        loadtest.run(url, sender(encoded), total=10, concurrency=concurrency, time_limit=5)
    for _ in range(rounds):
        for name, url in servers.items():
            result = loadtest.run(url, sender(encoded), total=requests_each, concurrency=concurrency,
                                  time_limit=seconds_each)
            results[name]["per_second"].append(result.requests / result.seconds)
            results[name]["requests"] += result.requests
            results[name]["not_ok"] += result.failures + sum(
                n for status, n in result.statuses.items() if status != 200)
    return results


def plot(results: dict[str, dict], title: str = "POST /api/v1/predict, one transaction per request"):
    """A bar chart of the median requests per second of each server; returns the matplotlib figure."""
    import statistics

    import matplotlib.pyplot as plt

    names = list(results)
    medians = [statistics.median(results[name]["per_second"]) for name in names]
    figure, axis = plt.subplots(figsize=(7, 2.2))
    bars = axis.barh(names, medians, color=["#2457a6", "#b3261e", "#6b6b6b"][: len(names)])
    axis.bar_label(bars, labels=[f"{value:.0f} requests/s" for value in medians], padding=4)
    axis.invert_yaxis()
    axis.set(title=title, xlabel="requests per second (median of the rounds; higher is better)",
             xlim=(0, max(medians) * 1.35))
    figure.tight_layout()
    return figure
