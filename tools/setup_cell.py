"""Write the set-up cell into every chapter and solution notebook (``make notebooks-setup``).

The set-up cell is the first code cell of every notebook, the same everywhere; its text is
built from pyproject.toml's repository URL (``nbtools.setup_cell_source``). A first code cell
that starts with ``# Set-up:`` is rewritten; otherwise the cell is inserted before the first
code cell. Rewriting keeps the record of an execution by ``make course`` valid (the cell
does nothing outside Colab); a newly inserted cell needs ``make course``.
"""

from __future__ import annotations

import sys

import nbformat
from nbtools import (
    EXECUTED_KEY,
    SETUP_MARK,
    code_cells,
    code_fingerprint,
    committed_notebooks,
    read,
    recorded_fingerprint,
    rel,
    setup_cell_source,
    write,
)


def main() -> int:
    source = setup_cell_source()
    for path in committed_notebooks():
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
