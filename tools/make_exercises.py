"""Generate the student exercise notebooks from the solution notebooks (``make exercises``).

``exercises/solutions/NN_topic.ipynb`` (the source of truth) → ``exercises/NN_topic.ipynb``:

- in a code cell, each block from a ``### BEGIN SOLUTION`` line to its ``### END SOLUTION``
  line (nbgrader's markers) becomes the single line
  ``raise NotImplementedError("replace this line with your code")``, indented like the
  ``BEGIN`` line; the lines before and after the block stay;
- in a markdown cell (an answer to a question), the block becomes ``_Write your answer here._``;
- outputs are stripped, execution counts reset, and run metadata dropped.

Usage::

    python tools/make_exercises.py            # write every student notebook
    python tools/make_exercises.py --check    # exit 1 if one is missing or out of date
    python tools/make_exercises.py exercises/solutions/02_training_loop.ipynb
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat
from nbtools import (
    BEGIN_SOLUTION,
    END_SOLUTION,
    EXECUTED_KEY,
    MARKDOWN_STUB,
    ROOT,
    STUB,
    dumps,
    read,
    rel,
    solution_notebooks,
    strip_run_metadata,
    student_notebooks,
    student_path,
)


class SolutionMarkerError(ValueError):
    """A solution block is not closed, nested, or a marker is misspelt."""


def strip_solutions(source: str, markdown: bool = False, where: str = "") -> tuple[str, int]:
    """Replace every solution block of one cell's source; returns ``(source, blocks)``."""
    out: list[str] = []
    inside = False
    blocks = 0
    for lineno, line in enumerate(source.split("\n"), start=1):
        text = line.strip()
        here = f"{where}line {lineno}"
        if text == BEGIN_SOLUTION:
            if inside:
                raise SolutionMarkerError(f"{here}: {BEGIN_SOLUTION} inside another block")
            inside = True
            blocks += 1
            indent = line[: len(line) - len(line.lstrip())]
            out.append(indent + (MARKDOWN_STUB if markdown else STUB))
        elif text == END_SOLUTION:
            if not inside:
                raise SolutionMarkerError(f"{here}: {END_SOLUTION} without {BEGIN_SOLUTION}")
            inside = False
        elif "BEGIN SOLUTION" in text or "END SOLUTION" in text:
            # A misspelt marker would leak the solution into the student notebook.
            raise SolutionMarkerError(
                f"{here}: {text!r} is not a marker; write exactly {BEGIN_SOLUTION!r} or "
                f"{END_SOLUTION!r} on a line of its own"
            )
        elif not inside:
            out.append(line)
    if inside:
        raise SolutionMarkerError(f"{where}{BEGIN_SOLUTION} is never closed by {END_SOLUTION}")
    return "\n".join(out), blocks


def make_student(solution: nbformat.NotebookNode, name: str = "") -> nbformat.NotebookNode:
    """The student version of a solution notebook (a new notebook; the input is untouched)."""
    student = copy.deepcopy(solution)
    strip_run_metadata(student)
    student.metadata.pop(EXECUTED_KEY, None)
    blocks = 0
    for index, cell in enumerate(student.cells):
        where = f"{name} cell {index}, " if name else f"cell {index}, "
        if cell.cell_type == "code":
            cell.source, n = strip_solutions(cell.source, where=where)
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            cell.source, n = strip_solutions(cell.source, markdown=True, where=where)
        else:
            n = 0
        blocks += n
    if blocks == 0:
        raise SolutionMarkerError(
            f"{name or 'the notebook'} has no {BEGIN_SOLUTION} … {END_SOLUTION} block: "
            "an exercise notebook needs at least one task"
        )
    return student


def expected_students(root: Path = ROOT) -> dict[Path, str]:
    """Each student notebook's path → the text it should have."""
    return {
        student_path(path): dumps(make_student(read(path), rel(path, root)))
        for path in solution_notebooks(root)
    }


def stale_students(root: Path = ROOT) -> list[str]:
    """Problems with the committed student notebooks: missing, out of date, orphaned."""
    expected = expected_students(root)
    problems = []
    for path, text in expected.items():
        if not path.exists():
            problems.append(f"{rel(path, root)} is missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{rel(path, root)} is out of date with its solution notebook")
    for path in student_notebooks(root):
        if path not in expected:
            problems.append(f"{rel(path, root)} has no exercises/solutions/{path.name}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a student notebook is out of date")
    parser.add_argument("solutions", nargs="*", type=Path,
                        help="solution notebooks (default: all)")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale_students()
        for problem in problems:
            print(f"make_exercises: {problem}")
        if problems:
            print("make_exercises: run `make exercises` and commit the student notebooks")
        return 1 if problems else 0
    write_students([p.resolve() for p in args.solutions])
    return 0


def write_students(solutions: list[Path] | None = None, root: Path = ROOT) -> None:
    """Write the student version of ``solutions`` (default: all, removing orphans)."""
    paths = solutions or solution_notebooks(root)
    for path in paths:
        target = student_path(path)
        text = dumps(make_student(read(path), rel(path, root)))
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            print(f"make_exercises: wrote {rel(target, root)}")
    if not solutions:
        for orphan in sorted(set(student_notebooks(root)) - {student_path(p) for p in paths}):
            orphan.unlink()
            print(f"make_exercises: removed {rel(orphan, root)} (no solution notebook)")


if __name__ == "__main__":
    sys.exit(main())
