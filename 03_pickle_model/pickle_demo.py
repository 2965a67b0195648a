"""Load pickles the way a server would: in another, fresh Python process.

The notebook of chapter 03 uses these helpers to show that pickle stores functions and classes by
*name*: an object whose function or class is defined in the notebook pickles fine, but a fresh
process (a server, say) cannot load it, because the name means nothing there.

    load_in_fresh_python(StandardScaler())
        # Outcome(loaded=True, message='loaded StandardScaler')
    load_each_in_fresh_python({"a": StandardScaler(), "b": FunctionTransformer(np.log1p)})
        # {'a': Outcome(loaded=True, ...), 'b': Outcome(loaded=True, ...)}, from one process
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

#: The program the fresh process runs: load each pickle file it is given, print one line for each,
#: never a traceback: the exception's type and what it means, never the interpreter's own message.
LOADER = """
import contextlib, pickle, sys

# In the course's words, not the interpreter's: its messages change wording from one Python to the next.
MEANING = {
    "AttributeError": "the pickle names a function or class that this Python does not have",
    "ImportError": "the pickle names a module that this Python cannot import",
}
MEANING["ModuleNotFoundError"] = MEANING["ImportError"]
for path in sys.argv[1:]:
    try:
        # Whatever unpickling itself prints goes to stderr: stdout carries one line per file, nothing else.
        with open(path, "rb") as file, contextlib.redirect_stdout(sys.stderr):
            obj = pickle.load(file)
    except Exception as error:
        name = type(error).__name__
        meaning = MEANING.get(name, "loading it failed")
        if isinstance(error, ImportError) and error.name:  # the module's name is data, not wording
            meaning = f"No module named {error.name!r}: {meaning}"
        print(f"{name}: {meaning}")
    else:
        print(f"loaded {type(obj).__name__}")
"""


class Outcome(NamedTuple):
    """What the fresh process said about one pickle: whether it loaded it, and its line of output."""

    loaded: bool
    message: str


def load_each_in_fresh_python(objects: dict[str, Any], timeout: float = 120) -> dict[str, Outcome]:
    """Pickle each of ``objects`` to its own file, load the files in one new Python process, and say how each went.

    The new process is this same Python (``sys.executable``, so the same installed libraries) with
    none of this process's variables, functions or classes: like a server that loads a model. It
    runs in a temporary folder, so it cannot import what sits next to the notebook either. One
    process for all the objects, because each new Python must import scikit-learn again (a second
    or two).
    """
    names = list(objects)
    with tempfile.TemporaryDirectory() as folder:
        files = [f"object-{number}.pkl" for number in range(len(names))]
        for file, name in zip(files, names, strict=True):
            (Path(folder) / file).write_bytes(pickle.dumps(objects[name]))
        result = subprocess.run([sys.executable, "-c", LOADER, *files], cwd=folder,
                                capture_output=True, text=True, timeout=timeout, check=False)
    lines = result.stdout.splitlines()
    if result.returncode != 0 or len(lines) != len(names):  # the process itself failed: say how
        last = (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[-1]
        return {name: Outcome(False, f"the process failed: {last}") for name in names}
    return {name: Outcome(line.startswith("loaded "), line) for name, line in zip(names, lines, strict=True)}


def load_in_fresh_python(obj: Any, timeout: float = 120) -> Outcome:
    """Pickle ``obj`` to a temporary file, load it in a new Python process, and say how it went.

    See :func:`load_each_in_fresh_python`, which does the same for several objects at once.
    """
    return load_each_in_fresh_python({"obj": obj}, timeout)["obj"]
