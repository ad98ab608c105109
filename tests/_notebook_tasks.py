"""The task cells of a solution notebook, executed as written or as the student gets them."""

from __future__ import annotations

import json
from pathlib import Path

from nbtools import student_path  # tools/, importable through conftest.py


def _task_sources(notebook: Path) -> list[str]:
    """The code cells nbgrader marks as answers (``solution: true``), in order."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"
            and c.get("metadata", {}).get("nbgrader", {}).get("solution")]


def notebook_task_functions(notebook: Path, namespace: dict, tasks: int, stubbed: bool) -> dict:
    """Execute the task cells of the solution ``notebook`` in ``namespace`` and return it;
    with ``stubbed``, those of its student notebook (the nbgrader release of the solution),
    exactly what the student gets. The notebook must have ``tasks`` task cells."""
    sources = _task_sources(student_path(notebook) if stubbed else notebook)
    assert len(sources) == tasks
    for source in sources:
        exec(compile(source, str(notebook), "exec"), namespace)
    return namespace
