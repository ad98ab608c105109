"""What the course's notebook tools share: where notebooks live and what their cells must hold.

Used by ``tools/run_notebooks.py``, ``tools/make_exercises.py``, ``tools/setup_cell.py`` and
``tests/test_notebooks.py``; docs/AUTHORING.md describes the conventions in prose.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import nbformat

ROOT = Path(__file__).resolve().parents[1]
KERNEL = "python3"
CI_PARAMETERS = "notebooks/ci_parameters.json"
SANITIZE = ".ci/nbval_sanitize.cfg"
BUILD = "build"

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
STUB_MESSAGE = "replace this line with your code"
STUB = f'raise NotImplementedError("{STUB_MESSAGE}")'
MARKDOWN_STUB = "_Write your answer here._"

# Where `make course` records which code it executed: a hash of the code cells' sources.
EXECUTED_KEY = "course"
SETUP_MARK = "# Set-up:"


# ------------------------------------------------------------------------------ files
def chapter_notebooks(root: Path = ROOT) -> list[Path]:
    """``notebooks/NN_slug.ipynb``, in chapter order."""
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def solution_notebooks(root: Path = ROOT) -> list[Path]:
    """``exercises/solutions/NN_slug.ipynb``: the source of truth of every exercise."""
    return sorted((root / "exercises" / "solutions").glob("[0-9][0-9]_*.ipynb"))


def student_notebooks(root: Path = ROOT) -> list[Path]:
    """``exercises/NN_slug.ipynb``: generated from the solutions by ``make exercises``."""
    return sorted((root / "exercises").glob("[0-9][0-9]_*.ipynb"))


def committed_notebooks(root: Path = ROOT) -> list[Path]:
    """The notebooks committed executed: chapters, then solution notebooks."""
    return chapter_notebooks(root) + solution_notebooks(root)


def student_path(solution: Path) -> Path:
    """``exercises/solutions/X.ipynb`` → ``exercises/X.ipynb``."""
    return solution.parent.parent / solution.name


def rel(path: Path, root: Path = ROOT) -> str:
    """The repository-relative POSIX path: the key used in ci_parameters.json."""
    return Path(path).resolve().relative_to(root.resolve()).as_posix()


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def dumps(nb: nbformat.NotebookNode) -> str:
    """The notebook as the course stores it (nbformat's layout, one final newline)."""
    return nbformat.writes(nb, version=4).rstrip("\n") + "\n"


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(nb), encoding="utf-8")


# ------------------------------------------------------------------------------ cells
def code_cells(nb: nbformat.NotebookNode) -> list[tuple[int, Any]]:
    """``(index, cell)`` of every code cell."""
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def parameters_cells(nb: nbformat.NotebookNode) -> list[tuple[int, Any]]:
    """``(index, cell)`` of every code cell tagged ``parameters``."""
    return [(i, c) for i, c in code_cells(nb) if "parameters" in c.metadata.get("tags", [])]


def parameter_defaults(source: str) -> dict[str, Any]:
    """``NAME = value`` assignments at the top level of a parameters cell.

    Values that are not Python literals come back as ``...`` (the name still counts).
    """
    names: dict[str, Any] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                try:
                    names[target.id] = ast.literal_eval(value)
                except ValueError:
                    names[target.id] = ...
    return names


def setup_cell_source(root: Path = ROOT) -> str:
    """The set-up cell every notebook starts with, built from pyproject.toml's repository URL."""
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(r'^Repository\s*=\s*"([^"]+)"', text, flags=re.MULTILINE)
    if found is None:
        raise ValueError("pyproject.toml has no [project.urls] Repository = \"...\" line")
    url = found.group(1)
    return (
        f"{SETUP_MARK} on Colab, install ganlib from the course repository (Colab's torch is "
        "kept).\n"
        "import sys\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install -q "ganlib @ git+{url}"'
    )


def has_stub(source: str) -> bool:
    return any(line.strip() == STUB for line in source.splitlines())


# ---------------------------------------------------------------------- executed state
def code_fingerprint(nb: nbformat.NotebookNode) -> str:
    """SHA-256 of the code cells' sources, in order: what an execution ran."""
    sources = [c.source for _, c in code_cells(nb)]
    return hashlib.sha256(json.dumps(sources).encode("utf-8")).hexdigest()


def recorded_fingerprint(nb: nbformat.NotebookNode) -> str | None:
    return nb.metadata.get(EXECUTED_KEY, {}).get("executed_code_sha256")


def strip_run_metadata(nb: nbformat.NotebookNode) -> None:
    """Drop what an execution adds that honestly varies: timestamps, durations, widget state."""
    for key in ("papermill", "widgets"):
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        for key in ("papermill", "execution", "ExecuteTime"):
            cell.metadata.pop(key, None)
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]


# -------------------------------------------------------------------- small settings
def load_ci_parameters(root: Path = ROOT) -> dict[str, dict[str, Any]]:
    path = root / CI_PARAMETERS
    if not path.exists():
        return {}
    table = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
        raise ValueError(f"{CI_PARAMETERS} must be a JSON object: notebook path → {{param: value}}")
    return table


def ci_parameters_for(path: Path, table: dict[str, dict[str, Any]], root: Path = ROOT) -> dict:
    """The small settings of one notebook; a student notebook uses its solution's entry."""
    key = rel(path, root)
    if key in table:
        return dict(table[key])
    if key.startswith("exercises/") and not key.startswith("exercises/solutions/"):
        return dict(table.get("exercises/solutions/" + key.removeprefix("exercises/"), {}))
    return {}
