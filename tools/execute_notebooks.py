"""Re-run notebooks top to bottom in a fresh kernel and save their outputs in place.

    python tools/execute_notebooks.py 01_api_basics/01_api_basics.ipynb ...

Each notebook runs in its own folder (as in JupyterLab and under nbval), on this
Python's kernel, without the per-cell timing metadata that would change every run.
Stops at the first cell that raises, leaving that notebook unchanged.
"""

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def merge_streams(notebook) -> None:
    """Join consecutive stdout (or stderr) chunks of a cell into one output.

    How a cell's printing is split into chunks depends on timing; merged, a re-run that
    prints the same text leaves the file unchanged (nbval compares the joined text anyway).
    """
    for cell in notebook.cells:
        merged = []
        for output in cell.get("outputs", []):
            previous = merged[-1] if merged else None
            if (output.output_type == "stream" and previous is not None
                    and previous.output_type == "stream" and previous.name == output.name):
                previous.text += output.text
            else:
                merged.append(output)
        if "outputs" in cell:
            cell.outputs = merged


def execute(path: Path) -> float:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
    )
    started = time.perf_counter()
    client.execute()
    merge_streams(notebook)
    nbformat.write(notebook, path)
    return time.perf_counter() - started


def main(paths: list[str]) -> int:
    for name in paths:
        seconds = execute(Path(name))
        print(f"executed {name} in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
