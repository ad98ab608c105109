# The course's commands. `make lab` and `make test` set everything up on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export GANLIB_OFFLINE ?= $(if $(CI),1,)
export MPLBACKEND ?= Agg
# `make course NB=notebooks/02_training_loop.ipynb` re-executes only the notebooks named.
NB ?=
# `make lab`: serve the whole course (chapters and exercises), open it at the chapter list.
# tests/test_browser.py starts JupyterLab with these options too.
LAB_OPTIONS := --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks
# Jupyter refuses to run as root unless told (containers, CI).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

.PHONY: setup test unit lint notebooks students lab course check-course exercises \
	assignments gpu-check gpu-report notebooks-setup zh clean

# Create the virtual environment and install ganlib with its dev tools, once
# (again only when pyproject.toml changes). The `python3` Jupyter kernel is installed into
# the environment, so notebooks run with this environment's interpreter.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 \
		--display-name "Python 3 (ipykernel)" >/dev/null
	touch $(STAMP)

setup: $(STAMP)

lint: setup
	$(BIN)/ruff check ganlib tests tools

unit: setup
	$(BIN)/python -m pytest -q --cov=ganlib --cov-report=term-missing:skip-covered tests

# The notebook stage: papermill runs every chapter and solution notebook with the small
# settings of notebooks/ci_parameters.json into build/, nbval re-executes and compares
# them, and every student notebook must run up to its first unfinished task.
notebooks: setup
	$(BIN)/python tools/run_notebooks.py ci

# Only the student-notebook check of the notebook stage.
students: setup
	$(BIN)/python tools/run_notebooks.py students

test: lint unit notebooks

lab: setup
	MPLBACKEND= $(BIN)/jupyter lab $(LAB_OPTIONS) $(ALLOW_ROOT)

# Re-execute the committed chapter and solution notebooks in place, top to bottom, at
# their default settings (slow: the real teaching runs). NB=... for some of them.
course: setup
	$(BIN)/python tools/run_notebooks.py course $(NB)

# Slow check of the committed notebooks: re-execute them at their default settings and
# compare the cells marked NBVAL_CHECK_OUTPUT (before a release, or on a GPU machine).
check-course: setup
	$(BIN)/python tools/run_notebooks.py check-course $(NB)

# Generate the student notebooks exercises/NN_*.ipynb from exercises/solutions/: each is
# the release that nbgrader's generate_assignment makes of its solution notebook.
exercises: setup
	$(BIN)/python tools/assignments.py

# The Chinese edition (docs/TRANSLATING.md): merge the English prose into the catalogues
# locale/zh/ (changed text is marked fuzzy), then write notebooks/zh/, exercises/zh/,
# README.zh.md and ganlib's compiled check messages from them.
zh: setup
	$(BIN)/python tools/i18n.py build

# For teachers: an nbgrader course in $(COURSE) (default course/), one assignment per
# chapter generated into its release/ folder; nbgrader's commands then run there.
COURSE ?= course
assignments: setup
	$(BIN)/python tools/assignments.py --course $(COURSE)

# The GPU run-book (docs/GPU.md): on a CUDA machine, the cuda tests, the speed benchmark
# and every chapter on the GPU in one call, into $(GPU_OUT); GPU_ARGS=--dry-run on a CPU.
# GPU_PYTHON=python3 uses a Python that already has the packages (a machine without
# network) instead of setting up .venv.
GPU_OUT ?= build/gpu-check
ifdef GPU_PYTHON
GPU_DEPS :=
else
GPU_PYTHON := $(BIN)/python
GPU_DEPS := setup
endif
gpu-check: $(GPU_DEPS)
	$(GPU_PYTHON) tools/gpu_check.py --out $(GPU_OUT) $(GPU_ARGS)

# Write the GPU check's figures into the README's GPU column and bench/README.md.
gpu-report: $(GPU_DEPS)
	$(GPU_PYTHON) tools/gpu_report.py $(GPU_OUT)

# Write the set-up cell (built from pyproject.toml's repository URL) into every notebook.
notebooks-setup: setup
	$(BIN)/python tools/setup_cell.py

clean:
	rm -rf build .pytest_cache .ruff_cache .coverage
