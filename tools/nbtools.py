"""What the course's notebook tools share: where notebooks live and what their cells must hold.

Used by ``tools/run_notebooks.py``, ``tools/assignments.py``, ``tools/setup_cell.py`` and
``tests/test_notebooks.py``; docs/AUTHORING.md describes the conventions in prose.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import nbformat

ROOT = Path(__file__).resolve().parents[1]
KERNEL = "python3"
CI_PARAMETERS = "notebooks/ci_parameters.json"
SANITIZE = ".ci/nbval_sanitize.cfg"
BUILD = "build"

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
STUB_MESSAGE = "replace this line with your code"
STUB = f'raise NotImplementedError("{STUB_MESSAGE}")'
MARKDOWN_STUB = "_Write your answer here._"

# Where `make course` records which code it executed: a hash of the code cells' sources.
EXECUTED_KEY = "course"
SETUP_MARK = "# Set-up:"


# ------------------------------------------------------------------------------ files
def chapter_notebooks(root: Path = ROOT) -> list[Path]:
    """``notebooks/NN_slug.ipynb``, in chapter order."""
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def solution_notebooks(root: Path = ROOT) -> list[Path]:
    """``exercises/solutions/NN_slug.ipynb``: the source of truth of every exercise."""
    return sorted((root / "exercises" / "solutions").glob("[0-9][0-9]_*.ipynb"))


def student_notebooks(root: Path = ROOT) -> list[Path]:
    """``exercises/NN_slug.ipynb``: generated from the solutions by ``make exercises``."""
    return sorted((root / "exercises").glob("[0-9][0-9]_*.ipynb"))


def zh_student_notebooks(root: Path = ROOT) -> list[Path]:
    """The Chinese student notebooks, exercises/zh/NN_*.ipynb (``make zh``)."""
    return sorted((root / "exercises" / "zh").glob("[0-9][0-9]_*.ipynb"))


def committed_notebooks(root: Path = ROOT) -> list[Path]:
    """The notebooks committed executed: chapters, then solution notebooks."""
    return chapter_notebooks(root) + solution_notebooks(root)


def student_path(solution: Path) -> Path:
    """``exercises/solutions/X.ipynb`` → ``exercises/X.ipynb``."""
    return solution.parent.parent / solution.name


def rel(path: Path, root: Path = ROOT) -> str:
    """The repository-relative POSIX path: the key used in ci_parameters.json."""
    return Path(path).resolve().relative_to(root.resolve()).as_posix()


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def dumps(nb: nbformat.NotebookNode) -> str:
    """The notebook as the course stores it (nbformat's layout, one final newline)."""
    return nbformat.writes(nb, version=4).rstrip("\n") + "\n"


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(nb), encoding="utf-8")


# ------------------------------------------------------------------------------ cells
def code_cells(nb: nbformat.NotebookNode) -> list[tuple[int, Any]]:
    """``(index, cell)`` of every code cell."""
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def parameters_cells(nb: nbformat.NotebookNode) -> list[tuple[int, Any]]:
    """``(index, cell)`` of every code cell tagged ``parameters``."""
    return [(i, c) for i, c in code_cells(nb) if "parameters" in c.metadata.get("tags", [])]


def parameter_defaults(source: str) -> dict[str, Any]:
    """``NAME = value`` assignments at the top level of a parameters cell.

    Values that are not Python literals come back as ``...`` (the name still counts).
    """
    names: dict[str, Any] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                try:
                    names[target.id] = ast.literal_eval(value)
                except ValueError:
                    names[target.id] = ...
    return names


# ------------------------------------------------------------------ the repository URL
# pyproject.toml's [project.urls] Repository is the one place of the course's public URL:
# the set-up cells and the README's badges are generated from it (`make notebooks-setup`).
BRANCH = "main"  # the branch Colab opens notebooks from
README_START = "<!-- badges:start -->"
README_END = "<!-- badges:end -->"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"


def repository_url(root: Path = ROOT) -> str:
    """``[project.urls] Repository`` of pyproject.toml, e.g. ``https://github.com/o/r``."""
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib
    except ImportError:  # Python 3.10: the one line, read by hand
        found = re.search(r'^Repository\s*=\s*"([^"]+)"', text, flags=re.MULTILINE)
        url = found.group(1) if found else None
    else:
        url = tomllib.loads(text).get("project", {}).get("urls", {}).get("Repository")
    if not url:
        raise ValueError('pyproject.toml has no [project.urls] Repository = "..." line')
    return url.rstrip("/")


def github_repository(root: Path = ROOT) -> str:
    """``owner/name`` of the GitHub repository URL (Colab and Binder need GitHub)."""
    url = repository_url(root)
    found = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?", url)
    if found is None:
        raise ValueError(f"the repository URL {url!r} is not https://github.com/OWNER/NAME")
    return f"{found.group(1)}/{found.group(2)}"


def colab_url(path: str, root: Path = ROOT) -> str:
    """Open a repository notebook (``notebooks/01_minimax.ipynb``) in Colab."""
    return f"https://colab.research.google.com/github/{github_repository(root)}/blob/{BRANCH}/{path}"


def binder_url(path: str | None = None, root: Path = ROOT) -> str:
    """Launch the repository on Binder, in JupyterLab, at ``path`` (default: the chapters)."""
    base = f"https://mybinder.org/v2/gh/{github_repository(root)}/HEAD"
    if path is None:
        return base + "?urlpath=lab/tree/notebooks"
    return base + "?labpath=" + path.replace("/", "%2F")


def setup_cell_source(root: Path = ROOT) -> str:
    """The set-up cell every notebook starts with, built from pyproject.toml's repository URL.

    ``--no-deps``: Colab already has every package ganlib needs, and must keep its own torch
    (built for its GPU) and its ipywidgets 7 (Colab does not render ipywidgets 8, which
    pip would otherwise install to satisfy ganlib's ``ipywidgets>=8``).
    """
    return (
        f"{SETUP_MARK} on Colab, install ganlib from the course repository; --no-deps keeps\n"
        "# Colab's own torch and widgets (it has every other package ganlib needs).\n"
        "import sys\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install -q --no-deps "ganlib @ git+{repository_url(root)}"'
    )


def chapter_title(path: Path) -> str:
    """The first ``# `` heading of a notebook (its title), else its file name (also for a
    notebook not written yet)."""
    if not path.exists():
        return path.stem
    for cell in read(path).cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


BADGE_WORDS = {  # the README's generated block in English (tools/i18n.py has the Chinese)
    "note": "<!-- Written by `make notebooks-setup` from pyproject.toml's [project.urls]; "
            "edit there, not here. -->",
    "course": "Launch the course on Binder",
    "header": "| chapter | Colab | Binder |",
    "colab": "Open in Colab",
    "binder": "Launch on Binder",
}


def readme_badges(root: Path = ROOT, notebooks: list[Path] | None = None,
                  words: dict[str, str] = BADGE_WORDS) -> str:
    """The README's generated block: Binder for the course (opened at the folder of
    ``notebooks``, default the chapters), Colab and Binder per chapter."""
    notebooks = chapter_notebooks(root) if notebooks is None else notebooks
    folder = rel(notebooks[0].parent, root) if notebooks else "notebooks"
    lines = [
        README_START,
        words["note"],
        f"[![{words['course']}]({BINDER_BADGE})]"
        f"({binder_url(root=root).replace('tree/notebooks', 'tree/' + folder)})",
        "",
        words["header"],
        "|---|---|---|",
    ]
    for path in notebooks:
        key = rel(path, root)
        lines.append(
            f"| [{chapter_title(path)}]({key}) "
            f"| [![{words['colab']}]({COLAB_BADGE})]({colab_url(key, root)}) "
            f"| [![{words['binder']}]({BINDER_BADGE})]({binder_url(key, root)}) |"
        )
    lines.append(README_END)
    return "\n".join(lines)


def readme_block(text: str) -> str | None:
    """The generated block of a README's text (markers included), or None."""
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        return None
    return text[start:end + len(README_END)]


def has_stub(source: str) -> bool:
    return any(line.strip() == STUB for line in source.splitlines())


# ---------------------------------------------------------------------- executed state
def code_fingerprint(nb: nbformat.NotebookNode) -> str:
    """SHA-256 of the code cells' sources, in order: what an execution ran."""
    sources = [c.source for _, c in code_cells(nb)]
    return hashlib.sha256(json.dumps(sources).encode("utf-8")).hexdigest()


def recorded_fingerprint(nb: nbformat.NotebookNode) -> str | None:
    return nb.metadata.get(EXECUTED_KEY, {}).get("executed_code_sha256")


def strip_run_metadata(nb: nbformat.NotebookNode) -> None:
    """Drop what an execution adds that honestly varies: timestamps, durations, widget state."""
    for key in ("papermill", "widgets"):
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        for key in ("papermill", "execution", "ExecuteTime"):
            cell.metadata.pop(key, None)
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]


# -------------------------------------------------------------------- small settings
def load_ci_parameters(root: Path = ROOT) -> dict[str, dict[str, Any]]:
    path = root / CI_PARAMETERS
    if not path.exists():
        return {}
    table = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
        raise ValueError(f"{CI_PARAMETERS} must be a JSON object: notebook path → {{param: value}}")
    return table


def ci_parameters_for(path: Path, table: dict[str, dict[str, Any]], root: Path = ROOT) -> dict:
    """The small settings of one notebook; a student notebook uses its solution's entry."""
    key = rel(path, root)
    if key in table:
        return dict(table[key])
    key = key.replace("/zh/", "/", 1)  # a Chinese notebook: its English one's settings
    if key in table:
        return dict(table[key])
    if key.startswith("exercises/") and not key.startswith("exercises/solutions/"):
        return dict(table.get("exercises/solutions/" + key.removeprefix("exercises/"), {}))
    return {}
