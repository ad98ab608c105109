# The course's commands. `make lab` and `make test` set everything up on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export GANLIB_OFFLINE ?= $(if $(CI),1,)
export MPLBACKEND ?= Agg

.PHONY: setup test unit lint lab course exercises clean

# Create the virtual environment and install ganlib with its dev tools, once
# (again only when pyproject.toml changes).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

lint: setup
	$(BIN)/ruff check ganlib tests

unit: setup
	$(BIN)/python -m pytest -q --cov=ganlib --cov-report=term-missing:skip-covered tests

test: lint unit

lab: setup
	MPLBACKEND= $(BIN)/jupyter lab --notebook-dir=. notebooks/

clean:
	rm -rf build .pytest_cache .ruff_cache .coverage
