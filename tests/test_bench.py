"""`make bench` (tools/bench.py): it measures what it says, writes its table and chart, stays on this machine
and within its bounds, and stops what it starts. No timings are asserted: a tiny run checks the machinery,
and the full benchmark is not part of `make test`."""

import json
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

import course

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import bench  # noqa: E402

COMMITTED = ROOT / "07_heroku" / "bench"
SECTIONS = ["## Targets", "## In-process, no HTTP (the floor)", "## Single-row requests over HTTP",
            "## Batches: many rows in one request (fraud app, gunicorn, one request at a time)"]


@pytest.fixture(scope="session")
def model(model_path) -> Path:
    """The session's model (conftest.py at the top of the repository trains it once)."""
    return model_path


@pytest.fixture(scope="module")
def tiny(model, tmp_path_factory):
    """A tiny run (the three apps under gunicorn, a handful of requests) and every server it started."""
    started = []
    original = bench.start_servers

    def recording(*args, **kwargs):
        servers = original(*args, **kwargs)
        started.extend(servers.values())
        return servers

    out = tmp_path_factory.mktemp("bench")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bench, "start_servers", recording)
        results = bench.run(model, out, repeats=1, requests=6, concurrency=(1, 2), batch_sizes=(1, 10),
                            servers=("gunicorn", "bare", "floor"), budget_seconds=60, in_process_seconds=0.01,
                            profile_requests=4, log=lambda message: None)
    return results, out, started


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", data[16:24])


def table(markdown: str, heading: str) -> list[list[str]]:
    """The rows of the first table after ``heading`` (header row first), as lists of cells."""
    section = markdown[markdown.index(heading):]
    rows = []
    for line in section.splitlines()[2:]:
        if not line.startswith("|"):
            break
        if not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_a_run_writes_the_table_the_chart_the_numbers_and_the_profile(tiny):
    results, out, _ = tiny
    assert sorted(path.name for path in out.iterdir()) == sorted(bench.OUTPUTS)
    width, height = png_size(out / "results.png")
    assert width > height > 300
    assert json.loads((out / "results.json").read_text()) == json.loads(json.dumps(results))
    profile = (out / "profile.txt").read_text()
    assert "the bare tutorial app (tools/bare_app.py), POST /api/v1/predict with one transaction" in profile
    assert "the fraud app, POST /api/v1/predict with one transaction" in profile
    before, app = profile.split("the fraud app, POST /api/v1/predict with one transaction")[:2]
    bare, pipeline = before.split("the pickled pipeline's predict_proba on the app's one-row array")
    assert "bare_app.py" in bare  # each profile is of its own app
    assert "bare_app.py" not in app
    assert "FraudModel.score" in app
    # the pipeline's own call spends most of its time in the ColumnTransformer; the app no longer calls it
    assert "ColumnTransformer.transform" in pipeline
    assert "ColumnTransformer" not in app


def test_the_table_has_a_row_for_every_measurement(tiny):
    results, out, _ = tiny
    text = (out / "results.md").read_text()
    assert [line for line in text.splitlines() if line.startswith("## ")] == SECTIONS
    targets = table(text, "## Targets")
    assert targets[0] == ["target", "goal", "measured", "met"]
    assert [row[1] for row in targets[1:]] == ["≥ 2", "≥ 0.5", "≥ 300"]
    assert [row[0].split(" (median")[0] for row in targets[1:]] == [
        "single-row requests/s under gunicorn (2 workers): fraud app ÷ bare tutorial app",
        "single-row requests/s under gunicorn (2 workers): fraud app ÷ floor app",
        "cost per row: 1,000 single requests ÷ one request with a batch of 1,000, one request at a time"]
    assert all(re.fullmatch(r"[\d,.]+", row[2]) and row[3] in ("yes", "**no**") for row in targets[1:])
    floor = table(text, "## In-process")
    assert floor[0] == ["what", "ms per call", "calls/s (one core)"]
    # test client, FraudModel.score, the tutorial's DataFrame call, the floor's classifier, predict_proba on 1 and 10
    assert len(floor) == 1 + 6  # the header, then six rows
    http = table(text, "## Single-row requests over HTTP")
    assert http[0] == ["server", "concurrency", "requests/s", "p50 ms", "p99 ms", "not 200"]
    servers = [(row[0], row[1]) for row in http[1:]]
    for label in ("fraud app, gunicorn (2 workers)", "bare tutorial app (DataFrame + pipeline), gunicorn (2 workers)",
                  "floor app (JSON + classifier on a prepared row), gunicorn (2 workers)"):
        assert (label, "1") in servers
        assert (label, "2") in servers
    assert all(row[5] == "0" for row in http[1:]), "every request of the tiny run is answered with 200"
    batches = table(text, "## Batches")
    assert batches[0] == ["rows per request", "ms per request", "ms per row", "rows/s", "the model alone, ms per row"]
    assert [row[0] for row in batches[1:]] == ["1", "10"]


def test_the_table_says_which_machine_and_libraries(tiny):
    results, out, _ = tiny
    text = (out / "results.md").read_text()
    machine = results["machine"]
    assert f"**{machine['cpu']}, {machine['cores']} cores**" in text
    for name in ("Flask", "gunicorn", "waitress", "scikit-learn", "pandas"):
        assert f"{name} {machine['packages'][name]}" in text
    assert str(ROOT) not in text  # no paths, no host names
    assert "/tmp/" not in text
    assert not re.search(r"127\.0\.0\.1:\d+", text)


def test_it_talks_only_to_this_machine_and_stops_what_it_started(tiny):
    results, _, started = tiny
    assert results["settings"]["host"] == "127.0.0.1"
    assert {server.url.split(":")[1] for server in started} == {"//127.0.0.1"}
    assert len(started) == 3
    assert all(not server.running and server.returncode is not None for server in started)
    assert not [server for server in course.running_servers() if server.name.startswith("bench-")]
    with pytest.raises(ValueError, match="may only target this machine"):
        bench.measure("http://example.com", bench.get("/health"), 1, 1, bench.Budget(10), time_limit=1)


def test_when_the_time_budget_is_spent_it_skips_the_rest_and_says_so(model, tmp_path):
    results = bench.run(model, tmp_path, repeats=2, requests=4, concurrency=(1,), batch_sizes=(1,),
                        servers=("gunicorn",), budget_seconds=0, in_process_seconds=0.01, profile_requests=2,
                        log=lambda message: None)
    assert results["skipped"] > 0
    assert all(cell["requests"] == 0 for cell in results["http"] + results["batches"])
    text = (tmp_path / "results.md").read_text()
    assert "**Stopped early**" in text
    assert "| n/a | n/a |" in text  # no ratio without measurements, and no claim either
    assert png_size(tmp_path / "results.png")


@pytest.mark.parametrize("argv", [["--repeats", "50"], ["--concurrency", "100"], ["--batch-sizes", "5000"],
                                  ["--servers", "nginx"]])
def test_the_command_line_keeps_a_run_small(argv, capsys):
    with pytest.raises(SystemExit):
        bench.main(argv)
    assert "error" in capsys.readouterr().err


def test_the_bare_endpoint_scores_like_the_app(model, monkeypatch, tmp_path):
    from fraud_app import create_app

    monkeypatch.setenv("FRAUD_MODEL_PATH", str(model))
    monkeypatch.syspath_prepend(str(ROOT / "tools"))
    sys.modules.pop("bare_app", None)
    import bare_app

    transaction = bench.transactions(1)[0]
    bare = bare_app.app.test_client().post("/api/v1/predict", json=transaction).get_json()
    app = create_app({"MODEL_PATH": str(model), "DATABASE": str(tmp_path / "db.sqlite3"), "DATABASE_URL": None,
                      **bench.OPEN})
    answer = app.test_client().post("/api/v1/predict", json=transaction).get_json()
    assert answer["fraud_probability"] == round(bare["fraud_probability"], 6)
    sys.modules.pop("bare_app", None)


def test_the_floor_app_parses_the_body_and_answers_the_prepared_rows_probability(model, monkeypatch, tmp_path):
    """The floor answers the model's probability of the schema's default transaction, prepared once."""
    from fraud_app import create_app

    monkeypatch.setenv("FRAUD_MODEL_PATH", str(model))
    monkeypatch.syspath_prepend(str(ROOT / "tools"))
    sys.modules.pop("floor_app", None)
    import floor_app

    client = floor_app.app.test_client()
    answers = [client.post("/api/v1/predict", json=row).get_json() for row in bench.transactions(3)]
    app = create_app({"MODEL_PATH": str(model), "DATABASE": str(tmp_path / "db.sqlite3"), "DATABASE_URL": None,
                      **bench.OPEN})
    defaults = {feature["name"]: feature["default"] for feature in app.extensions["fraud_model"].schema.features}
    expected = app.test_client().post("/api/v1/predict", json=defaults).get_json()["fraud_probability"]
    assert all(round(answer["fraud_probability"], 6) == expected for answer in answers)
    assert client.post("/api/v1/predict", data="{not json", content_type="application/json").status_code == 400
    sys.modules.pop("floor_app", None)


def test_make_bench_runs_the_benchmark_into_build_bench():
    makefile = (ROOT / "Makefile").read_text()
    assert ".PHONY: bench\nbench:" in makefile
    assert re.search(r"^bench:.*## \S", makefile, re.M)
    dry = subprocess.run(["make", "--no-print-directory", "--dry-run", "bench"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert "tools/bench.py --model models/fraud_model.pkl --out build/bench" in dry
    assert "make bench" in (ROOT / "README.md").read_text()


def test_the_course_shows_a_complete_committed_run():
    """Chapter 07 shows 07_heroku/bench/: the files of one full `make bench` run, untouched by hand."""
    results = json.loads((COMMITTED / "results.json").read_text())
    assert (COMMITTED / "results.md").read_text() == bench.markdown(results)
    targets = table((COMMITTED / "results.md").read_text(), "## Targets")
    assert [row[1] for row in targets[1:]] == ["≥ 2", "≥ 0.5", "≥ 300"]  # the three ratios, each measured
    assert all(re.fullmatch(r"[\d,.]+", row[2]) for row in targets[1:])
    assert png_size(COMMITTED / "results.png")
    assert results["skipped"] == 0
    assert results["settings"]["servers"] == list(bench.DEFAULT_SERVERS)
    assert results["settings"]["batch_sizes"] == [1, 10, 100, 1000]
    assert results["seconds"] < 120
    assert {target: results["ratios"][target]["goal"] for target in bench.GOALS} == bench.GOALS
    for target in bench.GOALS:
        assert results["ratios"][target]["value"] >= results["ratios"][target]["goal"], target
    # What the metrics (chapter 08) and the access log cost: measured in the same run, pair by pair.
    assert results["ratios"]["metrics"]["value"] is not None
    assert "FRAUD_METRICS=off" in (COMMITTED / "results.md").read_text()


def test_the_bench_measures_each_server_as_a_learner_starts_it():
    """No thread variable forced on the servers (nor on the bench's own process, which they inherit)."""
    assert not set(bench.THREAD_VARIABLES) & set(bench.SERVER_ENV)
    source = (ROOT / "tools" / "bench.py").read_text()
    assert "setdefault" not in source


def test_servers_never_inherit_a_thread_variable(monkeypatch, tmp_path, model):
    """A learner's OMP_NUM_THREADS=1 would hide a broken thread limit in the app: the bench drops it."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    seen = []
    monkeypatch.setattr(bench.course, "serve_command", lambda *args, **kwargs: seen.append(dict(os.environ)))
    bench.start_servers(["gunicorn"], model, tmp_path)
    assert seen
    assert "OMP_NUM_THREADS" not in seen[0]
