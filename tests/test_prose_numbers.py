"""tools/prose_numbers.py: the numbers of a notebook's prose that its outputs do not hold."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

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


def test_every_chapter_and_solution_notebook_is_read(capsys):
    assert prose_numbers.main([]) == 0
    out = capsys.readouterr().out
    assert out.count("number(s) of the prose not found") == len(
        list((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))) + len(
        list((ROOT / "exercises" / "solutions").glob("[0-9][0-9]_*.ipynb")))


def test_section_numbers_and_arxiv_identifiers_are_not_quantities():
    text = "Goodfellow (2016, §5.1.1), section 5.1 and arXiv:1701.00160 say 0.25"
    assert prose_numbers.numbers(text) == ["0.25"]


def test_check_fails_on_an_unreviewed_number_and_on_a_stale_entry(tmp_path):
    path = _notebook(tmp_path)
    assert prose_numbers.problems(path, {"3.14": "typed on purpose"}) == []
    unreviewed = prose_numbers.problems(path, {})
    assert len(unreviewed) == 1 and "3.14" in unreviewed[0] and "typed by hand" in unreviewed[0]
    stale = prose_numbers.problems(path, {"3.14": "typed on purpose", "80.9": "no longer needed"})
    assert len(stale) == 1 and stale[0].startswith("80.9 is listed as reviewed")


def test_a_quote_from_another_notebook_is_checked_against_that_notebooks_outputs(
        tmp_path, monkeypatch):
    monkeypatch.setattr(prose_numbers.nbtools, "ROOT", tmp_path)
    path = _notebook(tmp_path)
    other = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("print(pi)")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="3.1416\n")]
    other.cells = [code]
    nbformat.write(other, tmp_path / "other.ipynb")
    assert prose_numbers.problems(path, {"3.14": "from other.ipynb (its pi)"}) == []
    code.outputs[0].text = "2.7183\n"  # the other notebook re-executed: the quote is stale
    nbformat.write(other, tmp_path / "other.ipynb")
    stale = prose_numbers.problems(path, {"3.14": "from other.ipynb (its pi)"})
    assert len(stale) == 1 and "no longer hold it" in stale[0]
    missing = prose_numbers.problems(path, {"3.14": "from gone.ipynb"})
    assert len(missing) == 1 and "does not exist" in missing[0]


def test_a_reviewed_number_needs_a_reason(tmp_path):
    table = tmp_path / "reviewed.json"
    table.write_text('{"notebooks/x.ipynb": {"3.14": " "}}', encoding="utf-8")
    with pytest.raises(ValueError, match="needs a reason"):
        prose_numbers.load_reviewed(table)


def test_every_number_of_every_committed_notebook_is_computed_or_reviewed(capsys):
    """A re-executed chapter whose new outputs no longer hold a number of its prose fails
    here, with the number and its context: quote the new value (docs/AUTHORING.md)."""
    code = prose_numbers.main(["--check"])
    assert code == 0, capsys.readouterr().out
