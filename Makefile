# `make run` and `make test` are all a fresh machine needs (see README).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-slow lint bench demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(PY) -m casebook.gui --demo-if-new

test: $(STAMP)
	$(PY) -m ruff check casebook sync plugins tests benchmarks
	$(PY) -m ruff format --check casebook sync plugins tests benchmarks
	$(PY) tests/run_suite.py

test-slow: $(STAMP)
	$(PY) tests/run_suite.py -m slow

lint: $(STAMP)
	$(PY) -m ruff check casebook sync plugins tests benchmarks
	$(PY) -m ruff format --check casebook sync plugins tests benchmarks

bench: $(STAMP)
	$(PY) benchmarks/bench_core.py
	$(PY) benchmarks/bench_sync.py
	$(PY) benchmarks/bench_gui.py

clean:
	rm -rf $(VENV) build *.egg-info
