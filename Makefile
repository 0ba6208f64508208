# edittrail: `make demo` and `make test` work on a fresh clone (Python 3.11 + package registries).
SHELL := /bin/bash
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)

export EDITTRAIL_ROOT := $(ROOT)
export EDITTRAIL_CONFIG ?= $(ROOT)/outlets.toml
export AIRFLOW_HOME ?= $(ROOT)/data/airflow
export AIRFLOW_CONFIG := $(ROOT)/airflow.cfg
export PYTHONDONTWRITEBYTECODE := 1

RUN := $(UV) run --frozen

.PHONY: setup airflow-init browser demo test test-fast lint run bench eval clean

## setup: install uv if missing, then the locked environment
setup: .venv/.synced

.venv/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --compile-bytecode
	@touch $@

## airflow-init: create/upgrade Airflow's metadata DB and the index writer pool
airflow-init: setup
	@mkdir -p $(AIRFLOW_HOME)
	$(RUN) airflow db migrate >$(AIRFLOW_HOME)/db-migrate.log 2>&1 || (tail -40 $(AIRFLOW_HOME)/db-migrate.log; exit 1)
	$(RUN) airflow pools set edittrail_index 1 "single writer of the SQLite index" >/dev/null

## demo: simulated outlet on loopback + the demo outlet's DAG through real Airflow
demo: airflow-init
	$(RUN) edittrail demo

## browser: Debian's chromium for the browser tests, installed when missing (needs root and apt)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests ..."; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/tmp/edittrail-apt.log 2>&1 \
		|| echo "could not install chromium (see /tmp/edittrail-apt.log): the browser tests will be skipped"; }

# axe-core (pinned in package-lock.json) for the browser tests' accessibility check, by npm ci
# when node_modules lacks it or the lock file is newer; without npm those tests are skipped
node_modules/axe-core/axe.min.js: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is not installed: the browser accessibility tests will be skipped"; exit 0; }; \
		npm ci --ignore-scripts --no-audit --no-fund && touch $@

## test: the whole suite (unit + integration), as CI runs it
test: setup browser node_modules/axe-core/axe.min.js
	$(RUN) pytest

## test-fast: unit tests only
test-fast: setup
	$(RUN) pytest -m "not integration"

## lint: ruff and mypy
lint: setup
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy archive spiders dags

## run: Airflow (api-server on 127.0.0.1:$AIRFLOW__API__PORT, default 8080; then scheduler,
## dag-processor, triggerer) with the project's DAGs; secrets made once into $AIRFLOW_HOME
run: airflow-init
	$(RUN) python -m archive.airflow_run

## bench: benchmarks (never part of `make test`); results in bench/results/
bench: setup
	$(RUN) python -m bench

## eval: edit detection against scripted edits under every noise profile (a benchmark, not in `make test`);
## fails when a target is missed; results in bench/results/eval.json and docs/detection.md
eval: setup
	$(RUN) python -m bench.eval

clean:
	rm -rf data .venv node_modules
