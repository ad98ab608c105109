"""The exercises as an nbgrader course: ``make exercises`` and ``make assignments``.

The solution notebooks ``exercises/solutions/NN_topic.ipynb`` are nbgrader *source*
notebooks: answer cells are marked as autograded answers (their solution between
``### BEGIN SOLUTION`` / ``### END SOLUTION``), written answers as manually graded answers,
and each check cell as a locked autograder test worth points, with a
``### BEGIN HIDDEN TESTS`` block that runs the check again on inputs the learner never sees.
nbgrader's own ``generate_assignment`` turns each into its release notebook, and the
self-study notebook ``exercises/NN_topic.ipynb`` *is* that release notebook, stored in the
course's JSON layout: one chapter = one assignment = one notebook.

Usage::

    python tools/assignments.py                # regenerate exercises/NN_*.ipynb
    python tools/assignments.py --check        # exit 1 if one is missing or out of date
    python tools/assignments.py --course DIR   # lay out an nbgrader course in DIR and
                                               # generate every assignment (for teachers)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import nbformat
from nbtools import (
    BEGIN_SOLUTION,
    END_SOLUTION,
    ROOT,
    dumps,
    parameters_cells,
    read,
    rel,
    solution_notebooks,
    student_notebooks,
    student_path,
    write,
)

CONFIG = ROOT / "tools" / "nbgrader_config.py"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"


class SolutionMarkerError(ValueError):
    """A solution block is not closed, nested, or a marker is misspelt."""


def check_markers(source: str, where: str = "") -> int:
    """The number of solution blocks in one cell's source, or a :class:`SolutionMarkerError`.

    nbgrader finds its markers by substring, so a misspelt one (``## BEGIN SOLUTON``) would
    silently leak the solution into the student notebook: every line that looks like a marker
    must be one, on a line of its own, and blocks must close and not nest.
    """
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
        elif text == END_SOLUTION:
            if not inside:
                raise SolutionMarkerError(f"{here}: {END_SOLUTION} without {BEGIN_SOLUTION}")
            inside = False
        elif re.search(r"(BEGIN|END)\s*SOLU", text, re.IGNORECASE):
            raise SolutionMarkerError(
                f"{here}: {text!r} is not a marker; write exactly {BEGIN_SOLUTION!r} or "
                f"{END_SOLUTION!r} on a line of its own"
            )
    if inside:
        raise SolutionMarkerError(f"{where}{BEGIN_SOLUTION} is never closed by {END_SOLUTION}")
    return blocks


# ------------------------------------------------------------------------ the course
def assignment_id(solution: Path) -> str:
    """``exercises/solutions/03_dcgan.ipynb`` → ``03_dcgan`` (assignment and notebook)."""
    return solution.stem


def with_parameters(nb: nbformat.NotebookNode, parameters: dict[str, Any]
                    ) -> nbformat.NotebookNode:
    """The notebook with ``NAME = value`` lines of its parameters cell set to ``parameters``
    (for a course run with CI's small settings; nbgrader executes notebooks as they are)."""
    if not parameters:
        return nb
    (_, cell), = parameters_cells(nb)
    lines = cell.source.split("\n")
    for name, value in parameters.items():
        pattern = re.compile(rf"^{re.escape(name)}\s*(:[^=]*)?=")
        hits = [i for i, line in enumerate(lines) if pattern.match(line)]
        if len(hits) != 1:
            raise ValueError(f"{name} is assigned {len(hits)} times in the parameters cell")
        lines[hits[0]] = f"{name} = {value!r}"
    cell.source = "\n".join(lines)
    return nb


def write_course(course: Path, solutions: Iterable[Path] | None = None,
                 parameters: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """Lay out an nbgrader course in ``course``: ``source/<id>/<id>.ipynb`` from each
    solution notebook (replaced on every call: exercises/solutions/ is the source of truth)
    and ``nbgrader_config.py`` (copied once: a teacher's edits there are kept).
    ``parameters``: per assignment id, parameters-cell values to set. Returns the ids."""
    course.mkdir(parents=True, exist_ok=True)
    if not (course / "nbgrader_config.py").exists():
        shutil.copyfile(CONFIG, course / "nbgrader_config.py")
    ids = []
    for path in solutions or solution_notebooks():
        aid = assignment_id(path)
        nb = with_parameters(read(path), (parameters or {}).get(aid, {}))
        write(nb, course / "source" / aid / f"{aid}.ipynb")
        ids.append(aid)
    return ids


def nbgrader(course: Path, *args: str, env: dict[str, str] | None = None,
             timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run ``nbgrader *args`` in ``course`` with this environment's nbgrader; its output
    comes back as text, and a failure raises with that output."""
    bindir = str(Path(sys.executable).parent)  # nbgrader calls alembic from PATH
    run_env = {**os.environ, **(env or {}), "PATH": bindir + os.pathsep + os.environ["PATH"]}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=run_env,
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0 or "Exception while loading config file" in done.stderr:
        # nbgrader goes on without a config file it cannot read: the release would then
        # have nbgrader's default stubs, so that counts as a failure too.
        raise RuntimeError(f"nbgrader {' '.join(args)} failed in {course} "
                           f"(exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def generate(course: Path, ids: Iterable[str]) -> None:
    """``nbgrader generate_assignment <id> --force`` for each assignment."""
    for aid in ids:
        nbgrader(course, "generate_assignment", aid, "--force")


def released(course: Path, aid: str) -> Path:
    return course / "release" / aid / f"{aid}.ipynb"


# --------------------------------------------------------- the self-study notebooks
def expected_students(root: Path = ROOT) -> dict[Path, str]:
    """Each student notebook's path → its text: the nbgrader release of its solution."""
    solutions = solution_notebooks(root)
    with tempfile.TemporaryDirectory(prefix="gan-course-") as tmp:
        course = Path(tmp)
        ids = write_course(course, solutions)
        generate(course, ids)
        return {student_path(path): dumps(read(released(course, aid)))
                for path, aid in zip(solutions, ids, strict=True)}


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


def write_students(root: Path = ROOT) -> None:
    """Write every student notebook, and remove those without a solution notebook."""
    expected = expected_students(root)
    for path, text in expected.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"assignments: wrote {rel(path, root)}")
    for orphan in sorted(set(student_notebooks(root)) - set(expected)):
        orphan.unlink()
        print(f"assignments: removed {rel(orphan, root)} (no solution notebook)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a student notebook is out of date")
    parser.add_argument("--course", type=Path,
                        help="lay out an nbgrader course here and generate every assignment")
    args = parser.parse_args(argv)
    if args.course:
        course = args.course.resolve()
        ids = write_course(course)
        generate(course, ids)
        print(f"assignments: {len(ids)} assignments generated in {course}/release "
              f"({', '.join(ids)}); nbgrader's commands run there (docs/TEACHING.md)")
        return 0
    if args.check:
        problems = stale_students()
        for problem in problems:
            print(f"assignments: {problem}")
        if problems:
            print("assignments: run `make exercises` and commit the student notebooks")
        return 1 if problems else 0
    write_students()
    return 0


if __name__ == "__main__":
    sys.exit(main())
