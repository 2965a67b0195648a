"""The contract the README and CI rely on: the Makefile's commands, pinned requirements,
environment.yml, .ci/run and the workflow."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

import course
import course.environment

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import check_python  # noqa: E402

TARGETS = [
    "help",
    "setup",
    "lab",
    "test",
    "app",
    "data",
    "model",
    "bundle",
    "bench",
    "slides",
    "reset",
    "nav",
    "execute",
    "requirements",
    "binder-link",
    "clean",
    "distclean",
]


def make(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **kwargs,
    )


def test_make_alone_prints_help_for_every_target():
    result = make()
    assert result.returncode == 0, result.stderr
    for target in TARGETS:
        assert re.search(rf"^  make {target} +\S", result.stdout, re.M), f"`make` does not describe {target}"
    assert make("help").stdout == result.stdout


def test_every_target_is_phony_and_documented():
    makefile = (ROOT / "Makefile").read_text()
    for target in TARGETS:
        assert f".PHONY: {target}\n{target}:" in makefile
        assert re.search(rf"^{target}:.*## \S", makefile, re.M)


def test_setup_does_nothing_when_up_to_date():
    assert make("--question", ".venv/.course-installed").returncode == 0, "make setup would reinstall .venv"
    result = make("setup")
    assert result.returncode == 0
    assert "Installing" not in result.stdout


@pytest.mark.parametrize("version", [(3, 9), (3, 10), (3, 15), (2, 7)])
def test_an_unsupported_python_is_refused_with_a_clear_message(version):
    message = check_python.problem(version, "/usr/bin/python3")
    assert f"is Python {version[0]}.{version[1]}" in message
    assert "This course needs Python 3.11, 3.12, 3.13 or 3.14;" in message
    assert "make distclean setup PYTHON=python3.12" in message


@pytest.mark.parametrize("version", [(3, 11), (3, 12), (3, 13), (3, 14)])
def test_supported_pythons_pass(version):
    assert check_python.problem(version, "python3") is None


def test_setup_refuses_to_create_a_venv_with_an_unsupported_python(tmp_path):
    # A stand-in "python3.9": whatever it is asked to run, it answers as check_python.py does on 3.9.
    fake = tmp_path / "python3.9"
    fake.write_text(f"""#!/bin/sh
exec {sys.executable} -c 'import sys, check_python; sys.exit(check_python.problem((3, 9), "python3.9"))'
""")
    fake.chmod(0o755)
    venv = tmp_path / "venv"
    result = make("setup", f"PYTHON={fake}", f"VENV={venv}", env={**os.environ, "PYTHONPATH": str(ROOT / "tools")})
    assert result.returncode != 0
    assert "This course needs Python 3.11, 3.12, 3.13 or 3.14; `python3.9` is Python 3.9." in result.stderr
    assert not venv.exists()


def test_make_lab_serves_jupyterlab_on_jupyter_port():
    lab = course.serve_command(
        "make --no-print-directory lab JUPYTER_PORT={port} LAB_ARGS=--no-browser",
        name="make lab",
        cwd=ROOT,
        ready_path="/api",
        timeout=60,
        announce=False,
    )
    with lab:
        answer = requests.get(lab.url + "/api", timeout=10)
        assert answer.status_code == 200
        assert "version" in answer.json()
        assert requests.get(lab.url + "/lab", timeout=10, allow_redirects=False).status_code in (200, 302)
    assert f"--ServerApp.port={lab.port}" in lab_command_line(lab.port)


def lab_command_line(port: int) -> str:
    return make("--dry-run", "lab", f"JUPYTER_PORT={port}").stdout


def test_make_lab_passes_allow_root_only_to_root():
    line = lab_command_line(8888)
    assert ("--allow-root" in line) == (os.geteuid() == 0)
    assert "index.ipynb" in line


def test_make_data_reproduces_the_committed_csv(tmp_path):
    out = tmp_path / "transactions.csv"
    assert "data/generate.py" in make("--dry-run", "data").stdout
    subprocess.run(
        [sys.executable, "data/generate.py", "--out", str(out)], cwd=ROOT, check=True, capture_output=True, timeout=60
    )
    assert out.read_bytes() == (ROOT / "data" / "transactions.csv").read_bytes()


def requirement_lines(name: str) -> list[str]:
    return course.environment.requirement_lines(ROOT / name)


def source_lines(name: str) -> list[str]:
    lines = (ROOT / name).read_text().splitlines()
    return [line for line in lines if line.strip() and not line.lstrip().startswith(("#", "-c", "-r"))]


@pytest.mark.parametrize("name", ["requirements.in", "requirements-app.in"])
def test_every_direct_requirement_says_which_chapter_needs_it(name):
    for line in source_lines(name):
        assert re.search(r"#\s*(\d\d|all chapters|`make|Binder)", line), f"{name}: no chapter named in {line!r}"


@pytest.mark.parametrize(
    ("source", "compiled"), [("requirements.in", "requirements.txt"), ("requirements-app.in", "requirements-app.txt")]
)
def test_the_locks_pin_every_package_with_its_hashes_and_are_complete(source, compiled):
    lines = requirement_lines(compiled)
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+==[^=\s;]+( ; .+)?", line) for line in lines), lines
    pins = {line.split("==")[0].lower() for line in lines}
    wanted = {re.split(r"[\[<>=~!; ]", line.split("#")[0].strip())[0].lower() for line in source_lines(source)}
    assert wanted <= pins
    # every pin carries at least one sha256, so pip and uv check what they download (hash-checking mode)
    text = (ROOT / compiled).read_text()
    entries = re.findall(r"^[A-Za-z0-9._-]+==.*?(?=^\S|\Z)", text, re.M | re.S)
    assert len(entries) == len(lines)
    assert all("--hash=sha256:" in entry for entry in entries)
    # universal: the lock holds what Windows and macOS need too (uv pip compile --universal), with markers
    if compiled == "requirements.txt":
        assert re.search(r"^pywinpty==\S+ ; os_name == 'nt'", text, re.M)


def test_make_requirements_locks_with_hashes_for_every_platform():
    dry = make("--dry-run", "requirements").stdout
    for option in ("pip compile", "--generate-hashes", "--universal"):
        assert dry.count(option) == 2, option


def test_setup_installs_the_lock_with_uv_checking_every_hash():
    dry = make("--dry-run", "--always-make", "setup").stdout
    assert "pip sync --quiet --python .venv/bin/python --require-hashes requirements.txt" in dry
    assert "pip install --quiet --python .venv/bin/python --no-deps -e ." in dry


def test_app_pins_are_the_course_pins():
    course_pins = course.environment.pinned(ROOT / "requirements.txt")
    app_pins = course.environment.pinned(ROOT / "requirements-app.txt")
    assert app_pins.items() <= course_pins.items()


def test_environment_yml_installs_the_same_pinned_set():
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s+- -r requirements\.txt", text, re.M)
    assert "pip install --no-deps -e ." in text  # said in its header: conda users run it after creating the env
    assert "python=3.11" in text


def test_ci_runs_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text()
    commands = [line.strip() for line in script.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert commands[-1] == "make test"
    workflow = (ROOT / ".github" / "workflows" / "test.yml").read_text()
    assert "bash .ci/run" in workflow


def test_the_readme_and_ci_name_exactly_the_supported_pythons():
    versions = [f"{major}.{minor}" for major, minor in check_python.SUPPORTED]
    assert versions == ["3.11", "3.12", "3.13", "3.14"]
    readme = (ROOT / "README.md").read_text()
    assert f"You need Python {check_python.names()}, `make` and `git`" in readme
    assert f"This course needs Python {check_python.names()}" in readme  # the troubleshooting entry
    workflow = (ROOT / ".github" / "workflows" / "test.yml").read_text()
    matrix = re.search(r"^\s+python: \[(.*)\]", workflow, re.M)
    assert matrix, "the workflow has no Python matrix"
    assert [v.strip().strip('"') for v in matrix[1].split(",")] == versions
    assert "python-version: ${{ matrix.python }}" in workflow


def test_readme_gives_the_two_commands_first_and_the_windows_steps():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme[readme.index("## Quick start") : readme.index("## Chapters")]
    assert "make lab" in quick_start
    assert "make test" in quick_start
    for step in ("-m venv .venv", "pip install -r requirements.txt", "jupyter lab index.ipynb"):
        assert step in readme
    for section in ("## Install", "## Run", "## Test", "## Binder", "## Troubleshooting"):
        assert section in readme


def test_the_parallel_groups_name_files_that_exist():
    """conftest.py's SHARED and FIRST name files of the repository: a renamed one would silently leave its group."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)

    for paths in conftest.SHARED.values():
        for path in paths:
            assert (ROOT / path).is_file(), path
    for scope in conftest.FIRST:
        assert scope in conftest.SHARED or (ROOT / scope).is_file(), scope
    for path in conftest.SPREAD:
        assert (ROOT / path).is_file(), path
        text = (ROOT / path).read_text()
        for shared in ('scope="session"', 'scope="package"'):
            assert shared not in text, f"{path}: a {shared} fixture"


def test_the_readmes_windows_commands_are_powershell():
    """The Windows steps say PowerShell, so they set variables as PowerShell does, not with cmd.exe's `set`."""
    readme = (ROOT / "README.md").read_text()
    assert not re.search(r"`set \w+=", readme), "cmd.exe syntax in a PowerShell instruction"
    assert '$env:FRAUD_MODEL_PATH = "models\\fraud_model.pkl"' in readme


def test_the_readmes_size_of_the_environment_is_what_it_weighs():
    """The README says `.venv` weighs about 1 GB: true of the environment running this test, if it is `.venv`."""
    import sysconfig

    venv = ROOT / ".venv"
    if Path(sys.prefix).resolve() != venv.resolve():
        pytest.skip("this test runs in another environment than the repository's .venv")
    assert "`.venv` weighs about 1 GB" in (ROOT / "README.md").read_text()
    size = sum(path.stat().st_size for path in Path(sysconfig.get_paths()["purelib"]).rglob("*") if path.is_file())
    assert 0.75e9 < size < 1.35e9, f"site-packages holds {size / 1e9:.2f} GB: update the README"
