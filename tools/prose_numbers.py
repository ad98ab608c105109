"""List the numbers in a notebook's prose that none of its outputs supports.

A number typed into Markdown goes stale when the code is re-executed and its output changes.
This tool finds, in each Markdown cell, every decimal number (``0.114``, ``38.8``) and every
number with thousands separators (``3,576,704``), and looks for it in what the notebook
computed: its code cells' text outputs and sources, and the Markdown reports it links to
(``bench/*.md``). A number is supported when some number there, rounded to the prose's
decimals, equals it (``0.66`` is supported by an output ``0.6612``). ArXiv identifiers are
skipped. A number derived in the prose (a ratio of two outputs), a setting or a paper's
figure is legitimately absent from the outputs: such numbers, once reviewed, are listed with
the reason in ``notebooks/prose_numbers.json``. ``--check`` (run by the tests) fails on a
number that is neither computed nor reviewed, e.g. a quote left stale by a re-execution, and
on a reviewed entry the prose no longer needs.

    python tools/prose_numbers.py                     # chapters and solutions: the list
    python tools/prose_numbers.py notebooks/05_wgan_gp.ipynb
    python tools/prose_numbers.py --check             # fail on unreviewed or stale entries
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import nbtools  # noqa: E402

NUMBER = re.compile(r"(?<![\w.^{\\])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+)(?![\w}]|\.\d)")
# Not quantities: arXiv identifiers (1701.00160) and section numbers (§5.1.1, section 5.1).
NOT_A_QUANTITY = re.compile(r"\b\d{4}\.\d{4,5}\b|(?:§\s*|\b[Ss]ections? )\d+(?:\.\d+)+")
QUOTE = re.compile(r"^from (\S+\.ipynb)\b")
LINK = re.compile(r"\]\(([^)#\s]+\.md)\)")
REVIEWED = nbtools.ROOT / "notebooks" / "prose_numbers.json"


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


def _blank(text: str) -> str:
    """``text`` with arXiv identifiers and section numbers blanked (same length)."""
    return NOT_A_QUANTITY.sub(lambda m: " " * len(m.group()), text)


def numbers(text: str) -> list[str]:
    """The numbers of a text, as written, arXiv identifiers and section numbers left out."""
    return NUMBER.findall(_blank(text))


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


def computed(path: Path) -> list[tuple[float, str]]:
    """Every number the notebook computed or links to, as (value, text)."""
    source = sources(nbtools.read(path), path)
    return [(_value(text)[0], text)
            for text in numbers(source) + re.findall(r"\d+(?:\.\d+)?", source)]


def unsupported(path: Path) -> list[Unsupported]:
    """Every number of ``path``'s Markdown cells that its outputs and reports do not hold."""
    nb = nbtools.read(path)
    found = computed(path)
    result = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for match in NUMBER.finditer(_blank(cell.source)):
            text = match.group(1)
            if not supported(text, found):
                start, end = max(0, match.start() - 40), match.end() + 40
                context = " ".join(cell.source[start:end].split())
                result.append(Unsupported(index, text, context))
    return result


def load_reviewed(path: Path = REVIEWED) -> dict[str, dict[str, str]]:
    """``{notebook: {number as written: why no output holds it}}``, every reason non-empty.

    A reason ``"from notebooks/NN_x.ipynb …"`` marks a quote from another chapter: ``--check``
    then verifies that chapter's outputs still hold the number."""
    table = json.loads(path.read_text(encoding="utf-8"))
    for notebook, entries in table.items():
        for number, why in entries.items():
            if not isinstance(why, str) or not why.strip():
                raise ValueError(f"{path.name}: {notebook}: {number!r} needs a reason, "
                                 f"got {why!r}")
    return table


def problems(path: Path, reviewed: dict[str, str]) -> list[str]:
    """What ``--check`` reports for one notebook: numbers neither computed nor reviewed, and
    reviewed numbers that the prose no longer has (or that an output now holds)."""
    items = unsupported(path)
    found = {item.text for item in items}
    out = [f"cell {item.cell}: {item.text} is in no output, code cell or linked report "
           f"(… {item.context} …): quote it from an output, or list it with the reason in "
           f"{nbtools.rel(REVIEWED)}" for item in items if item.text not in reviewed]
    out += [f"{number} is listed as reviewed but no longer needs to be (the prose has no "
            f"such number, or an output now holds it): remove it from {nbtools.rel(REVIEWED)}"
            for number in reviewed if number not in found]
    for number, why in reviewed.items():
        quote = QUOTE.match(why)
        if quote and number in found:
            other = nbtools.ROOT / quote.group(1)
            if not other.is_file():
                out.append(f"{number} is quoted from {quote.group(1)}, which does not exist")
            elif not supported(number, computed(other)):
                out.append(f"{number} is quoted from {quote.group(1)}, whose outputs no longer "
                           "hold it: quote the new value")
    return out


def check(paths: list[Path], table: dict[str, dict[str, str]]) -> list[str]:
    """Every problem of ``paths``, each prefixed with its notebook."""
    return [f"{nbtools.rel(path.resolve())}: {problem}" for path in paths
            for problem in problems(path, table.get(nbtools.rel(path.resolve()), {}))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--check", action="store_true",
                        help=f"fail on numbers neither computed nor in {nbtools.rel(REVIEWED)}")
    args = parser.parse_args(argv)
    paths = args.notebooks or nbtools.committed_notebooks()
    if args.check:
        found = check(paths, load_reviewed())
        print("\n".join(found) or f"every number of the prose of {len(paths)} notebook(s) is "
              "computed or reviewed")
        return 1 if found else 0
    for path in paths:
        items = unsupported(path)
        print(f"{nbtools.rel(path.resolve())}: {len(items)} number(s) of the prose not found "
              "in its outputs")
        for item in items:
            print(f"  cell {item.cell}: {item.text:<10} … {item.context} …")
    return 0


if __name__ == "__main__":
    sys.exit(main())
