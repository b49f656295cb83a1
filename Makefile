# Two entry points (see README): `make install` and `make test`.
# Both create .venv on first use.  On a CPU-only machine, put the CPU build of
# torch into .venv first (README, "Install"), or pip pulls the CUDA build.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BIN)/goagent --help

test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,pettingzoo]'
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pytest -q

lint: $(BIN)/python
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
