"""List the numbers in a notebook's prose that none of its outputs supports.

A number typed into Markdown goes stale when the code is re-executed and its output changes.
This tool finds, in each Markdown cell, every decimal number (``0.114``, ``38.8``) and every
number with thousands separators (``3,576,704``), and looks for it in what the notebook
computed: its code cells' text outputs and sources, and the Markdown reports it links to
(``bench/*.md``). A number is supported when some number there, rounded to the prose's
decimals, equals it (``0.66`` is supported by an output ``0.6612``). ArXiv identifiers are
skipped. What it prints is a list to review, not a verdict: a number derived in the prose (a
ratio of two outputs), a setting or a paper's figure is legitimately absent from the outputs.

    python tools/prose_numbers.py                     # every chapter
    python tools/prose_numbers.py notebooks/05_wgan_gp.ipynb
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import nbtools  # noqa: E402

NUMBER = re.compile(r"(?<![\w.^{\\])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+)(?![\w}])")
ARXIV = re.compile(r"\b\d{4}\.\d{4,5}\b")
LINK = re.compile(r"\]\(([^)#\s]+\.md)\)")


@dataclass(frozen=True)
class Unsupported:
    """A number of the prose that no output supports: where, what, and its context."""

    cell: int
    text: str
    context: str


def _value(text: str) -> tuple[float, int]:
    """The number written as ``text`` and its count of decimals."""
    plain = text.replace(",", "")
    decimals = len(plain.split(".")[1]) if "." in plain else 0
    return float(plain), decimals


def numbers(text: str) -> list[str]:
    """The numbers of a text, as written, arXiv identifiers left out."""
    text = ARXIV.sub(" ", text)
    return NUMBER.findall(text)


def sources(nb, path: Path) -> str:
    """What the notebook computed or links to: code, text outputs, linked Markdown reports."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            parts.append(cell.source)
            for out in cell.get("outputs", []):
                if "text" in out:
                    parts.append(out["text"])
                for key in ("text/plain", "text/markdown"):
                    if key in out.get("data", {}):
                        parts.append(out["data"][key])
        else:
            for link in LINK.findall(cell.source):
                target = (path.parent / link).resolve()
                if target.is_file():
                    parts.append(target.read_text(encoding="utf-8"))
    return "\n".join(parts)


def supported(text: str, found: list[tuple[float, str]]) -> bool:
    value, decimals = _value(text)
    return any(round(number, decimals) == value for number, _ in found)


def unsupported(path: Path) -> list[Unsupported]:
    """Every number of ``path``'s Markdown cells that its outputs and reports do not hold."""
    nb = nbtools.read(path)
    source = sources(nb, path)
    found = [(_value(text)[0], text)
             for text in numbers(source) + re.findall(r"\d+(?:\.\d+)?", source)]
    result = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for match in NUMBER.finditer(ARXIV.sub(lambda m: " " * len(m.group()), cell.source)):
            text = match.group(1)
            if not supported(text, found):
                start, end = max(0, match.start() - 40), match.end() + 40
                context = " ".join(cell.source[start:end].split())
                result.append(Unsupported(index, text, context))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.notebooks or nbtools.chapter_notebooks()
    for path in paths:
        items = unsupported(path)
        print(f"{nbtools.rel(path.resolve())}: {len(items)} number(s) of the prose not found "
              "in its outputs")
        for item in items:
            print(f"  cell {item.cell}: {item.text:<10} … {item.context} …")
    return 0


if __name__ == "__main__":
    sys.exit(main())
