"""tools/prose_numbers.py: the numbers of a notebook's prose that its outputs do not hold."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import prose_numbers  # noqa: E402


def _notebook(tmp_path: Path) -> Path:
    (tmp_path / "report.md").write_text("| run | 12,345 steps |\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("print(fid, share)")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="FID 80.92\n0.6612\n")]
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "FID-MNIST 80.9, a share of 0.66, 12,345 steps in [the report](report.md), "
            "arXiv:1701.00160, and 3.14 typed by hand."),
        code,
    ]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def test_only_the_number_that_nothing_computed_is_listed(tmp_path):
    items = prose_numbers.unsupported(_notebook(tmp_path))
    assert [(item.cell, item.text) for item in items] == [(0, "3.14")]
    assert "typed by hand" in items[0].context


def test_a_rounded_output_supports_the_prose_but_a_different_one_does_not():
    found = [(80.92, "80.92")]
    assert prose_numbers.supported("80.9", found)
    assert not prose_numbers.supported("80.8", found)
    assert not prose_numbers.supported("80.90", found)  # more decimals than rounding gives


def test_every_chapter_is_read(capsys):
    assert prose_numbers.main([]) == 0
    out = capsys.readouterr().out
    assert out.count("number(s) of the prose not found") == len(
        list((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))
