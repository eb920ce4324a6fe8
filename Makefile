# The commands a newcomer runs. Each target does its own set-up and is safe to run twice.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo
PYTHON ?= python3

.PHONY: setup system demo test check lint bench clean validate-synthetic sql-cache

# Python environment from the lock file (uv when it can be had, plain pip otherwise).
$(STAMP): requirements/lock.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	( $(PY) -m pip install -q uv && $(VENV)/bin/uv pip install -q --python $(PY) -r requirements/lock.txt ) \
	  || $(PY) -m pip install -q -r requirements/lock.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e . 2>/dev/null \
	  || $(PY) -m pip install -q --no-deps -e .
	touch $@

# Debian packages the tests use (Chromium, PostgreSQL, poppler-utils), installed only when missing.
system:
	bash scripts/setup-system.sh

setup: system $(STAMP) sql-cache

# The indicators' SQL compiled for the usual shapes of input and shipped in the package
# (src/cscperf/indicators/shipped/, docs/decisions/0005): a first run whose build answers as
# one of them compiles nothing. Made again only when the code, Ibis, SQLGlot or the shapes
# changed (about a minute); not kept in git, put in the wheel (pyproject.toml, artifacts).
sql-cache: $(STAMP)
	$(PY) -m cscperf.indicators.shipped_sql --ship --if-stale

demo: setup
	bash scripts/demo.sh "$(DEMO_DIR)"

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: setup
	bash scripts/test.sh

# Before a release: a full-size synthetic council (scale 1.0) through the DfE's own SSDA903 and
# CIN Census validators, with the same expected results as the tests (slow: an hour or more).
validate-synthetic: setup
	bash scripts/setup-validators.sh
	CSCPERF_VALIDATE_SCALE=1.0 CI=true $(PY) -m pytest -q -p no:cacheprovider \
	  tests/synth/test_dfe_validator_903.py tests/synth/test_dfe_validator_cin.py

bench: setup
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
