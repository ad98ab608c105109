"""Write what is generated from the repository URL (``make notebooks-setup``): the set-up cell
of every chapter and solution notebook, and the README's badges.

pyproject.toml's ``[project.urls] Repository`` is the one place of the course's URL;
``tests/test_launch.py`` fails when a notebook or the README disagrees with it.

The set-up cell is the first code cell of every notebook, the same everywhere; its text is
built from pyproject.toml's repository URL (``nbtools.setup_cell_source``). A first code cell
that starts with ``# Set-up:`` is rewritten; otherwise the cell is inserted before the first
code cell. Rewriting keeps the record of an execution by ``make course`` valid (the cell
does nothing outside Colab); a newly inserted cell needs ``make course``.

The README's block between ``<!-- badges:start -->`` and ``<!-- badges:end -->`` (a Binder
badge for the course, Colab and Binder badges for each chapter) is rewritten; without those
markers the block is added at the end. The rest of the README is left alone. Student
notebooks whose solution's set-up cell changed are regenerated (``make exercises``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from assignments import write_students
from nbtools import (
    EXECUTED_KEY,
    ROOT,
    SETUP_MARK,
    code_cells,
    code_fingerprint,
    committed_notebooks,
    read,
    readme_badges,
    readme_block,
    recorded_fingerprint,
    rel,
    setup_cell_source,
    student_path,
    write,
)


def write_readme_badges(root=ROOT) -> bool:
    """Rewrite the README's generated block; returns whether the file changed."""
    path = root / "README.md"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = readme_badges(root)
    old = readme_block(text)
    if old is None:
        new = (text.rstrip("\n") + "\n\n" if text.strip() else "") + block + "\n"
    else:
        new = text.replace(old, block)
    if new == text:
        return False
    path.write_text(new, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    """``setup_cell.py [NB…]``: the notebooks named (default: every chapter and solution)."""
    named = [Path(p).resolve() for p in (sys.argv[1:] if argv is None else argv)]
    source = setup_cell_source()
    students = []
    for path in named or committed_notebooks():
        nb = read(path)
        cells = code_cells(nb)
        was_fresh = recorded_fingerprint(nb) == code_fingerprint(nb)
        if cells and cells[0][1].source.lstrip().startswith(SETUP_MARK):
            cell = cells[0][1]
            if cell.source == source:
                continue
            cell.source = source
            if was_fresh:
                nb.metadata[EXECUTED_KEY]["executed_code_sha256"] = code_fingerprint(nb)
            action = "rewrote"
        else:
            at = cells[0][0] if cells else len(nb.cells)
            nb.cells.insert(at, nbformat.v4.new_code_cell(source))
            action = "inserted (run `make course` for it)"
        write(nb, path)
        print(f"notebooks-setup: {action} the set-up cell of {rel(path)}")
        if student_path(path).exists() and path.parent.name == "solutions":
            students.append(path)
    if students:  # their student notebooks carry the same cell: regenerate them
        write_students()
    if write_readme_badges():
        print("notebooks-setup: rewrote the badges in README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
