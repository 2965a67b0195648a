"""Check a *build* exercise: run the learner's own web app and call it over real HTTP.

In a build exercise the learner writes a small app in one notebook cell, as a factory function::

    from flask import Flask

    def create_app():
        app = Flask(__name__)

        @app.get("/ping")
        def ping():
            return {"pong": True}

        return app

and the check cell passes that function: ``exercises.check_4(create_app)``. :func:`check_app` then

1. takes the source of the cell that defined ``create_app`` (IPython keeps every cell's text),
2. runs it alone, in a fresh Python process, as if it were a file of its own: its imports,
   definitions and constants; bare calls such as a check or a ``print`` are left out,
3. serves ``create_app()`` there on a free port of 127.0.0.1 (with :func:`course.serve_command`): a Flask
   (WSGI) app with Werkzeug's server, a FastAPI (ASGI) app with uvicorn,
4. calls it with real HTTP requests, one per expectation, and prints each expectation as met (✓)
   or not (✗, with what happened instead), then the verdict, the same way :func:`course.check` does.

A fresh process is what makes the verdict trustworthy: the app works on its own (nothing borrowed
from other cells of the notebook), a crash or an endless loop in it cannot hurt the kernel, and the
process is stopped when the check ends. Errors in the learner's code are reported with the line of
their cell, never with a traceback or a path of this machine.

An answer may also be a string of source code (the tests' samples are), and ``...`` means "not
answered yet", as in every other exercise.
"""

from __future__ import annotations

import ast
import inspect
import json
import linecache
import math
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import requests

from course.exercises import NOT_ANSWERED, describe
from course.servers import serve_command

#: Where the learner's code lives in messages: their cell, not a temporary file.
CELL = "your cell"
#: Lines the child process writes to its log so that the check can say what went wrong.
MARK = "@@course.build@@"
TIMEOUT = 5
#: How long the learner's app may take to start answering: a second on a quiet laptop, several on a busy one.
START_TIMEOUT = 30


class Unmet(Exception):  # noqa: N818 - it reads as what it means: an expectation not met
    """Raised by an expectation that is not met; its message says, in plain words, what happened."""


class LearnerApp:
    """The learner's app, running in its own process: call it with ``app.get("/path")`` and so on."""

    def __init__(self, server) -> None:
        self.server = server
        self.url = server.url

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send one request; a connection that fails or hangs becomes an :class:`Unmet` in plain words."""
        kwargs.setdefault("timeout", TIMEOUT)
        try:
            return requests.request(method, self.url + path, **kwargs)
        except requests.exceptions.Timeout:
            raise Unmet(f"{method} {path} got no answer within {TIMEOUT} s: is your code stuck?") from None
        except requests.exceptions.ConnectionError:
            raise Unmet(f"{method} {path} could not connect: your app stopped answering") from None

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def last_error(self) -> str | None:
        """What the learner's code raised most recently while answering a request, if anything."""
        return next(reversed(_marks(self.server.log(), "request")), None)


def expect_status(response: requests.Response, *statuses: int, app: LearnerApp | None = None) -> None:
    """Raise :class:`Unmet` unless ``response`` has one of ``statuses``, saying what it had instead."""
    if response.status_code in statuses:
        return
    wanted = " or ".join(str(status) for status in statuses)
    said = f"it answered {response.status_code} where {wanted} was expected"
    if response.status_code == 404 and 404 not in statuses:
        said += " (is there a route for this path? check its spelling in @app.get(...) or @app.put(...))"
    elif response.status_code == 405 and 405 not in statuses:
        method = response.request.method
        said += f" (no route accepts {method} here: add one, e.g. @app.{method.lower()}(...))"
    error = app.last_error() if app is not None and response.status_code >= 500 else None
    raise Unmet(f"{said} (your code raised {error})" if error else said)


def json_body(response: requests.Response) -> Any:
    """The JSON body of ``response``, or :class:`Unmet` saying that it is not JSON."""
    content_type = response.headers.get("Content-Type", "nothing")
    if "json" not in content_type:
        raise Unmet(f"the body is not JSON (its Content-Type is {content_type}): return a dict, and Flask sends "
                    f"it as JSON; for an error, the dict and the status: return {{'error': '...'}}, 400")
    try:
        return response.json()
    except ValueError:
        raise Unmet("the body is labelled JSON but is not valid JSON") from None


def same_number(value: Any, expected: float) -> bool:
    """True when ``value`` is a JSON number equal to ``expected`` (2 and 2.0 alike; True is not 1)."""
    return type(value) in (int, float) and math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-9)


#: An expectation: what it promises, in words, and a function that raises Unmet when it is not met.
Expectation = tuple[str, Callable[[LearnerApp], None]]


def check_app(
    exercise: str,
    answer: Any,
    expectations: Sequence[Expectation],
    *,
    factory: str = "create_app",
    skeleton: str | None = None,
) -> bool | None:
    """Serve ``answer`` (a factory function, or source code) in a fresh process and check it over HTTP.

    Prints one line per expectation and then the verdict; returns True, False, or None when the
    exercise is not answered yet (``...``, or the skeleton cell unchanged).
    """
    source, problem = source_of(answer, factory)
    if source is None and problem is None or (source is not None and _same_text(source, skeleton)):
        print(f"{exercise}: not answered yet. Fill in the ... in the cell above, run it, then run this check.")
        return None
    if problem is None:
        problem = _syntax_problem(source)
    if problem is not None:
        print(f"{exercise}: not quite. Hint: {problem}")
        return False
    with tempfile.TemporaryDirectory(prefix="course-build-") as folder:
        path = Path(folder) / "learner_app.py"
        path.write_text(source, encoding="utf-8")
        try:
            server = serve_command(
                [sys.executable, "-m", "course.build", str(path), factory],
                name=f"{exercise}: your app", cwd=os.getcwd(), timeout=START_TIMEOUT, announce=False,
            )
        except RuntimeError as error:
            print(f"{exercise}: not quite. Hint: {_start_problem(str(error), factory)}")
            return False
        try:
            print(f"{exercise}: your {factory}() runs on its own, in a fresh Python process; calling it over HTTP:")
            unmet = _run(LearnerApp(server), expectations)
        finally:
            server.stop()
    if unmet:
        print(f"{exercise}: not quite. Hint: {len(unmet)} of {len(expectations)} expectations not met yet "
              f"(marked ✗); start with the first, change your cell, run it and this check again.")
        return False
    print(f"{exercise}: correct. Well done!")
    return True


def _run(app: LearnerApp, expectations: Sequence[Expectation]) -> list[str]:
    """Check every expectation in order (they may build on each other); return what was not met."""
    unmet = []
    for says, test in expectations:
        try:
            test(app)
        except Unmet as reason:
            unmet.append(f"{says}: {reason}")
            print(f"  ✗ {says}: {reason}")
        except Exception:  # noqa: BLE001 - an answer of a shape the test did not foresee is "not met"
            unmet.append(f"{says}: the answer had a shape this check did not expect")
            print(f"  ✗ {says}: the answer had a shape this check did not expect")
        else:
            print(f"  ✓ {says}")
    return unmet


def source_of(answer: Any, factory: str = "create_app") -> tuple[str | None, str | None]:
    """``(source, None)`` for an answer the check can run, ``(None, why not)`` for one it cannot.

    ``(None, None)`` means "not answered yet".
    """
    if answer is NOT_ANSWERED:
        return None, None
    if isinstance(answer, str):
        return answer, None
    if hasattr(answer, "wsgi_app") or (callable(answer) and hasattr(answer, "url_map")):
        return None, f"pass the function {factory} itself, without (): the check calls it in a fresh process"
    code = getattr(answer, "__code__", None)
    if code is None:
        return None, f"pass the function {factory} that you defined with def in the cell above, not {describe(answer)}"
    lines = linecache.getlines(code.co_filename)
    if not lines:
        return None, f"define {factory} with def in a notebook cell (or a .py file), then pass it here"
    return "".join(lines), None


def _same_text(source: str, skeleton: str | None) -> bool:
    def normal(text: str) -> list[str]:
        return [line.rstrip() for line in text.strip().splitlines() if line.strip()]

    return skeleton is not None and normal(source) == normal(skeleton)


def _syntax_problem(source: str) -> str | None:
    try:
        ast.parse(source, CELL)
    except SyntaxError as error:
        return f"line {error.lineno} of your cell is not valid Python ({error.msg}); run the cell to see where"
    return None


def _start_problem(error_text: str, factory: str) -> str:
    """Why the learner's app did not start, in plain words, from what its process wrote."""
    said = _marks(error_text, "start")
    if said:
        return said[-1]
    if "did not answer within" in error_text:
        return (f"your app did not start answering within {START_TIMEOUT} s: does the cell wait for something, "
                f"or call app.run() inside {factory}()?")
    return "your app stopped before it answered a request; run your cell and call create_app() to see why"


def _marks(log: str, kind: str) -> list[str]:
    found = []
    for line in log.splitlines():
        if line.startswith(MARK):
            record = json.loads(line[len(MARK):])
            if record["kind"] == kind:
                found.append(record["message"])
    return found


# --- In the child process: run the cell alone and serve its app. ------------------------------

def _learner_error(error: BaseException) -> str:
    """``NameError: name 'Flask' is not defined (line 3 of your cell)``: the learner's own error."""
    if isinstance(error, SyntaxError):
        return f"line {error.lineno} of your cell is not valid Python ({error.msg})"
    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if frame.filename == CELL]
    where = f" (line {lines[-1]} of your cell)" if lines else ""
    return f"{type(error).__name__}: {error}{where}"


def _report(kind: str, message: str) -> None:
    print(MARK + json.dumps({"kind": kind, "message": message}), flush=True)


def _start_advice(error: BaseException, factory: str) -> str:
    said = _learner_error(error)
    if isinstance(error, NameError):
        if getattr(error, "name", "") == "get_ipython":
            return f"{said}: the cell uses notebook magics (% or !); the check runs it as plain Python"
        return (f"{said}. The check runs the cell that defines {factory} alone, in a fresh Python, "
                f"so that cell needs every import and helper it uses")
    if isinstance(error, ImportError):
        return f"{said}: is the module's name spelt right, and is it installed?"
    return f"your code raised {said} when it was run on its own"


def _load_app(source: str, factory: str):
    """Run the cell's imports, definitions and constants (not its bare calls); return factory()."""
    tree = ast.parse(source, CELL)
    tree.body = [node for node in tree.body if not isinstance(node, ast.Expr)]
    namespace = {"__name__": "learner_app"}
    # dont_inherit: the cell is compiled as the learner wrote it, without this module's `from __future__ import
    # annotations` (postponed annotations would hide the types FastAPI reads from a route's parameters).
    exec(compile(tree, CELL, "exec", dont_inherit=True), namespace)  # noqa: S102 - running the learner's code is the point
    make = namespace.get(factory)
    if not callable(make):
        raise LookupError(f"your cell defines no function {factory}; the check calls {factory}() to get your app")
    app = make()
    if not callable(app):
        raise LookupError(f"{factory}() returned {describe(app)}, not an app: end it with `return app`")
    return app


def _serve(path: str, factory: str) -> int:
    from werkzeug.serving import make_server

    from course.servers import HOST, _QuietRequestHandler

    sys.path.insert(0, os.getcwd())  # the chapter's own modules stay importable, as in the notebook
    try:
        app = _load_app(Path(path).read_text(encoding="utf-8"), factory)
    except LookupError as error:
        _report("start", str(error))
        return 3
    except BaseException as error:  # noqa: BLE001 - whatever the cell raised, say it in its words
        _report("start", _start_advice(error, factory))
        return 3
    if inspect.iscoroutinefunction(type(app).__call__):  # an ASGI app (FastAPI, Starlette): uvicorn serves it
        _serve_asgi(app, int(os.environ["PORT"]))
        return 0
    try:
        from flask import Flask, got_request_exception

        if isinstance(app, Flask):
            got_request_exception.connect(lambda sender, exception, **extra: _report(
                "request", _learner_error(exception)), weak=False)
    except ImportError:
        pass
    make_server(HOST, int(os.environ["PORT"]), app, threaded=True,
                request_handler=_QuietRequestHandler).serve_forever()
    return 0


def _serve_asgi(app, port: int) -> None:
    import uvicorn
    from starlette.responses import PlainTextResponse

    if hasattr(app, "add_exception_handler"):  # what the learner's code raised, for the check to say
        async def report(request, exception):
            _report("request", _learner_error(exception))
            return PlainTextResponse("Internal Server Error", status_code=500)

        app.add_exception_handler(Exception, report)
    from course.servers import HOST

    uvicorn.run(app, host=HOST, port=port, log_level="warning")


if __name__ == "__main__":
    sys.exit(_serve(sys.argv[1], sys.argv[2]))
