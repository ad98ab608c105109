"""Land a GPU check's figures without hand copying (``make gpu-report GPU_OUT=folder``).

Reads ``results.json`` from the folder ``tools/gpu_check.py`` wrote and rewrites

- the GPU column of the README's chapter table (each chapter's wall time at its default
  settings, with the GPU's name; "over N s" for a chapter its time limit stopped), and
- the GPU section of bench/README.md, between ``<!-- gpu:start -->`` and
  ``<!-- gpu:end -->``: the check's whole report.

A dry run's results (CPU, tiny settings) are refused unless ``--allow-dry-run`` (the test of
this script uses it on copies of the two files).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from gpu_check import report
from nbtools import ROOT

GPU_START, GPU_END = "<!-- gpu:start -->", "<!-- gpu:end -->"
CELL = re.compile(r"(?<!\\)\|")  # a table cell boundary (an escaped \| stays in its cell)
GPU_COLUMN = "GPU"


def short_gpu(name: str) -> str:
    """``NVIDIA H100 80GB HBM3`` → ``H100``: the model, as a table cell has room for."""
    found = re.search(r"\b([A-Z]+\d{1,4}[A-Za-z]*)\b", name.replace("NVIDIA", ""))
    return found.group(1) if found else name


def gpu_cell(entry: dict, gpu: str) -> str | None:
    """The README cell for one chapter's run, or None to leave the cell as it is."""
    if entry["status"] == "ok":
        seconds = entry["seconds"]
        took = f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"
        return f"{took} ({gpu})"
    if entry["status"] == "timeout":
        return f"over {entry['limit_s']} s ({gpu})"
    return None


def readme_with_gpu_column(text: str, results: dict) -> tuple[str, int]:
    """The README's text with the GPU column filled in; returns (text, rows changed)."""
    gpu = short_gpu(results["machine"]["gpu"])
    cells = {nb["path"]: gpu_cell(nb, gpu) for nb in results["notebooks"]}
    lines = text.split("\n")
    column = None
    changed = 0
    for i, line in enumerate(lines):
        if not line.startswith("|"):
            column = None
            continue
        parts = CELL.split(line)
        names = [p.strip() for p in parts]
        if GPU_COLUMN in names and column is None:
            column = names.index(GPU_COLUMN)
            continue
        if column is None:
            continue
        link = re.search(r"\]\((notebooks/[^)]+\.ipynb)\)", line)
        if link and cells.get(link.group(1)):
            parts[column] = f" {cells[link.group(1)]} "
            lines[i] = "|".join(parts)
            changed += 1
    return "\n".join(lines), changed


def bench_with_gpu_section(text: str, results: dict) -> str:
    start, end = text.find(GPU_START), text.find(GPU_END)
    if start < 0 or end < start:
        raise ValueError(f"bench/README.md has no {GPU_START} … {GPU_END} block")
    # the report's headings sit under bench/README.md's "### GPU figures"
    body = re.sub(r"^(#+) ", lambda m: "###" + m.group(1) + " ", report(results), flags=re.M)
    return text[:start + len(GPU_START)] + "\n" + body + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="what gpu_check.py wrote (results.json)")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--bench-readme", type=Path, default=ROOT / "bench" / "README.md")
    parser.add_argument("--allow-dry-run", action="store_true")
    args = parser.parse_args(argv)
    results = json.loads((args.folder / "results.json").read_text())
    if results["machine"]["dry_run"] and not args.allow_dry_run:
        print("gpu-report: these are a dry run's CPU figures, not a GPU's: nothing written")
        return 1
    text, changed = readme_with_gpu_column(args.readme.read_text(encoding="utf-8"), results)
    args.readme.write_text(text, encoding="utf-8")
    bench = bench_with_gpu_section(args.bench_readme.read_text(encoding="utf-8"), results)
    args.bench_readme.write_text(bench, encoding="utf-8")
    print(f"gpu-report: {changed} chapter rows of {args.readme.name} and the GPU section of "
          f"{args.bench_readme} written from {args.folder / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
