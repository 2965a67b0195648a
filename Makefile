# Deploying a machine-learning model as a web service: the course's commands.
# `make` alone lists them. `make lab` and `make test` set everything up themselves.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.course-installed
JUPYTER_PORT ?= 8888
# `make test` runs the suites on this many pytest-xdist workers: one more than the machine has cores, because many
# tests spend much of their time waiting for a server they started (`make test TEST_WORKERS=0`: none).
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print((os.cpu_count() or 1) + 1)')
MODEL := models/fraud_model.pkl
BUNDLE := build/fraud-app
NOTEBOOKS := index.ipynb $(sort $(wildcard [0-9][0-9]_*/[0-9][0-9]_*.ipynb))

# Jupyter's new platform-standard folders; without this jupyter_core warns on every start.
export JUPYTER_PLATFORM_DIRS := 1
# pytest loads only the plugins a run asks for (`-p nbval`): autoloading every plugin
# that Jupyter's dependencies bring along slows its start-up.
export PYTEST_DISABLE_PLUGIN_AUTOLOAD := 1
# JupyterLab refuses to run as root unless told; learners are not root, CI containers are.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: help
help: ## list the commands (this text)
	@echo "Deploying an ML model as a web service: the course's commands"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo
	@echo "Start with 'make lab' (opens the course) or 'make test' (checks everything)."

.PHONY: setup
setup: $(STAMP) ## create or update .venv with uv from the hashed lock, requirements.txt (nothing when up to date)

# uv (https://docs.astral.sh/uv/) installs the lock in seconds where pip takes minutes. The one on the PATH
# is used when there is one; otherwise `make setup` installs this pinned version from PyPI into $(BOOTSTRAP)
# (a small virtual environment of its own, about 60 MB, removed by `make distclean`).
UV_VERSION := 0.13.9
BOOTSTRAP := .bootstrap
UV := $(or $(shell command -v uv 2>/dev/null),$(BOOTSTRAP)/bin/uv)
# uv trusts the operating system's certificate store, as pip and browsers do: behind a company proxy that
# inspects TLS, the proxy's certificate is there, not in uv's own bundle.
export UV_NATIVE_TLS ?= 1

$(BOOTSTRAP)/bin/uv:
	@$(PYTHON) tools/check_python.py
	@echo "Installing uv $(UV_VERSION) into $(BOOTSTRAP) (once; a few seconds)"
	$(PYTHON) -m venv $(BOOTSTRAP)
	$(BOOTSTRAP)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Rebuilt only when the lock or the course package change. `uv pip sync` makes .venv hold exactly the
# locked set (it removes anything else), checking every download against its hash in requirements.txt.
$(STAMP): requirements.txt pyproject.toml | $(UV)
	@if [ ! -x $(BIN)/python ]; then \
	  $(PYTHON) tools/check_python.py && \
	  echo "Creating the virtual environment in $(VENV) with $$($(PYTHON) --version)" && \
	  $(UV) venv --quiet --python $(PYTHON) $(VENV); \
	fi
	@$(BIN)/python tools/check_python.py
	@echo "Installing the locked requirements into $(VENV) with uv (the first time takes under a minute)"
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes requirements.txt
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@
	@echo "$(VENV) is ready."

.PHONY: lab
lab: setup ## open the course in JupyterLab on index.ipynb (port: JUPYTER_PORT, default 8888)
	@echo "Starting JupyterLab on port $(JUPYTER_PORT); stop it with Ctrl-C (twice)."
	$(BIN)/jupyter lab index.ipynb --ServerApp.port=$(JUPYTER_PORT) --ServerApp.port_retries=0 $(ROOT_FLAG) $(LAB_ARGS)

.PHONY: test
test: setup ## run every check: lint, unit and API tests, every notebook under strict nbval
	@echo "== ruff: lint the Python code and the notebooks"
	$(BIN)/ruff check .
	@echo "== actionlint: lint the GitHub Actions workflow"
	$(BIN)/actionlint .github/workflows/*.yml
	@echo "== hadolint: lint the Dockerfile of chapter 06"
	$(BIN)/hadolint 06_docker/Dockerfile
	@echo "== pytest: repository checks, tests of every chapter's code, and every notebook (strict nbval)"
	$(BIN)/python -m pytest -p nbval -p xdist -n $(TEST_WORKERS) --dist loadfile tests 05_testing/tests $(NOTEBOOKS) \
	  --nbval --nbval-current-env --nbval-cell-timeout=120 --nbval-sanitize-with nbval-sanitize.cfg --durations=10

.PHONY: app
app: setup $(MODEL) ## serve the fraud app with gunicorn on http://127.0.0.1:8000 (PORT and HOST honoured)
	@echo "Serving the fraud app on http://$${HOST:-127.0.0.1}:$${PORT:-8000}/ (Ctrl-C stops it)."
	@echo "Writes to the API need FRAUD_API_TOKEN set in the environment."
	FRAUD_MODEL_PATH=$${FRAUD_MODEL_PATH:-$(MODEL)} $(BIN)/gunicorn --config 04_flask_app/gunicorn.conf.py

.PHONY: lint
lint: setup ## only the static checks (ruff, actionlint, hadolint, notebook hygiene and navigation)
	$(BIN)/ruff check .
	$(BIN)/actionlint .github/workflows/*.yml
	$(BIN)/hadolint 06_docker/Dockerfile
	$(BIN)/python -m pytest -q tests/test_notebooks.py tests/test_navigation.py

.PHONY: data
data: setup ## regenerate data/transactions.csv (byte for byte the committed one)
	$(BIN)/python data/generate.py

.PHONY: model
model: $(MODEL) ## train the fraud model and pickle it into models/ (nothing when up to date)

$(MODEL): data/transactions.csv 03_pickle_model/train.py 03_pickle_model/artefact.py 03_pickle_model/reference.py $(STAMP)
	$(BIN)/python 03_pickle_model/train.py --out $(MODEL)

.PHONY: bundle
bundle: setup $(MODEL) ## write build/fraud-app/: the app, its model, Procfile, Dockerfile (deployable on its own)
	$(BIN)/python tools/bundle.py --model $(MODEL) --out $(BUNDLE)

.PHONY: bench
bench: setup $(MODEL) ## the serving benchmark (127.0.0.1 only, under 2 minutes): table and chart in build/bench/
	$(BIN)/python tools/bench.py --model $(MODEL) --out build/bench $(BENCH_ARGS)

.PHONY: binder-link
binder-link: ## print the Binder launch link (and its badge) of this repository, from its GitHub remote
	@$(PYTHON) tools/binder_link.py $(if $(REMOTE),--remote $(REMOTE),)

.PHONY: nav
nav: setup ## regenerate the navigation bars, index.ipynb's contents and the README's chapter table
	$(BIN)/python tools/navigation.py

.PHONY: execute
execute: setup ## re-run every notebook in place, refreshing the committed outputs
	$(BIN)/python tools/execute_notebooks.py $(NOTEBOOKS)

.PHONY: requirements
requirements: $(UV) ## update the hashed locks requirements*.txt from requirements*.in with uv (keeps pins that still fit)
	$(UV) pip compile --quiet --universal --python-version 3.11 --generate-hashes --strip-extras \
	  --output-file requirements-app.txt requirements-app.in
	$(UV) pip compile --quiet --universal --python-version 3.11 --generate-hashes --strip-extras \
	  --output-file requirements.txt requirements.in

.PHONY: slides
slides: setup ## build a reveal.js slide deck per notebook into build/slides/ (works offline)
	$(BIN)/python tools/slides.py build --out build/slides $(NOTEBOOKS)

.PHONY: reset
reset: ## restore the notebooks to their committed state, saving changed ones to backups/ first
	$(PYTHON) tools/reset.py

.PHONY: clean
clean: ## remove what the commands built (models/, build/, caches); keeps .venv
	rm -rf build models .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -print0 | xargs -0 rm -rf

.PHONY: distclean
distclean: clean ## also remove the virtual environment and the bootstrap uv
	rm -rf $(VENV) $(BOOTSTRAP)
