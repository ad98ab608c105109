"""The task cells of a solution notebook, executed as written or as the student gets them."""

from __future__ import annotations

import json
from pathlib import Path

from make_exercises import strip_solutions  # tools/, importable through conftest.py


def notebook_task_functions(notebook: Path, namespace: dict, tasks: int, stubbed: bool) -> dict:
    """Execute the task cells (code cells with a solution block) of ``notebook`` in
    ``namespace`` and return it; with ``stubbed``, exactly what `make exercises` gives the
    student. The notebook must have ``tasks`` task cells."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells
               if c["cell_type"] == "code" and "### BEGIN SOLUTION" in "".join(c["source"])]
    assert len(sources) == tasks
    for source in sources:
        if stubbed:
            source, _ = strip_solutions(source)
        exec(compile(source, str(notebook), "exec"), namespace)
    return namespace
