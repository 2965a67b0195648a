"""Chapter 03's notebook runs with other parameters through papermill, and its results follow them."""

import json
from pathlib import Path

import nbformat
import papermill
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "03_pickle_model" / "03_pickle_model.ipynb"
PARAMETERS = {"SEED": 7, "MODEL": "baseline", "RECALL_TARGET": 0.9}


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[nbformat.NotebookNode, dict]:
    """The notebook run once by papermill with other parameters: the executed notebook and the metadata it wrote."""
    folder = tmp_path_factory.mktemp("papermill")
    output = folder / "03_pickle_model.ipynb"
    papermill.execute_notebook(
        NOTEBOOK, output, parameters={**PARAMETERS, "OUTPUT_DIR": str(folder / "models")},
        cwd=NOTEBOOK.parent, kernel_name="python3", progress_bar=False,
    )
    metadata = json.loads((folder / "models" / "fraud_model.json").read_text(encoding="utf-8"))
    return nbformat.read(output, as_version=4), metadata


def printed(notebook, cell_id: str) -> str:
    cell = next(cell for cell in notebook.cells if cell.get("id") == cell_id)
    return "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")


def test_parameters_cell_is_tagged_for_papermill():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    tagged = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1
    for name in [*PARAMETERS, "OUTPUT_DIR"]:
        assert f"\n{name} = " in "\n" + tagged[0].source


def test_papermill_injects_the_new_values(run):
    notebook, _ = run
    injected = [cell for cell in notebook.cells if "injected-parameters" in cell.metadata.get("tags", [])]
    assert len(injected) == 1
    assert 'MODEL = "baseline"' in injected[0].source


def test_the_artefact_follows_the_parameters(run):
    _, metadata = run
    assert metadata["model"] == "baseline"
    assert metadata["seed"] == 7
    assert metadata["threshold_goal"]["recall_target"] == 0.9
    assert metadata["metrics"]["model"]["validation"]["recall"] >= 0.9


def test_the_printed_summary_follows_the_parameters(run):
    notebook, metadata = run
    summary = printed(notebook, "artefact-save")
    assert summary.startswith("Trained baseline with seed 7 on data/transactions.csv")
    assert "catch at least 90 % of fraud" in summary
    assert f"Threshold {metadata['threshold']:.4f}" in summary
    assert f"{metadata['metrics']['model']['test']['roc_auc']:.4f}" in summary


def test_the_threshold_plot_and_confusion_matrix_use_the_new_threshold(run):
    notebook, metadata = run
    assert f"chosen threshold: {metadata['threshold']:.4f}" in printed(notebook, "threshold-plot")
    counts = metadata["metrics"]["model"]["test"]["confusion_matrix"]
    assert f"missed {counts['false_negatives']}" in printed(notebook, "confusion")


def test_no_cell_failed_or_warned(run):
    notebook, _ = run
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error", cell.source
            assert output.get("name") != "stderr", f"{cell.source}\n{output.get('text')}"


def test_the_baseline_is_compared_once_when_it_is_the_chosen_model(run):
    """With MODEL = "baseline" there is one model to compare: no cell shows it twice."""
    notebook, _ = run
    night = printed(notebook, "straight-line").splitlines()
    assert len(night) == 1
    assert night[0].startswith("baseline ")
    table = next(cell for cell in notebook.cells if cell.get("id") == "fit").outputs[-1]["data"]["text/plain"]
    assert table.count("baseline") == 1
