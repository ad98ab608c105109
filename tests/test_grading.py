"""The exercises as an nbgrader course, graded by nbgrader's own commands on a scratch course.

For every chapter: ``nbgrader generate_assignment``; six submissions — the solution, the
untouched release, three with a catalogued mistake, and one whose code raises in one task
and never returns in another — go through ``nbgrader autograde``; the gradebook must show
full points, zero, and partial points with exactly the expected test cells failing; then
``nbgrader generate_feedback`` must write HTML that names each failed check's diagnosis.
The notebooks run with CI's small settings (notebooks/ci_parameters.json).
"""

from __future__ import annotations

import html
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import assignments
import nbformat
import pytest
from nbtools import (
    BEGIN_SOLUTION,
    END_SOLUTION,
    ROOT,
    ci_parameters_for,
    load_ci_parameters,
    read,
    solution_notebooks,
    write,
)

SOLUTIONS = solution_notebooks()
CHECK_TIME_LIMIT = 3  # seconds: GANLIB_CHECK_TIME_LIMIT, so a hanging task costs little
CELL_TIMEOUT = 15  # seconds nbgrader gives a cell here (the course's: 300); CI's cells take ≤ 3 s

# Per chapter: three submissions, each the solution with one mistake of the catalogues in
# tests/test_checks_chNN.py (answer cell, text of the solution, what the learner wrote
# instead, test cells that must fail: the mistaken function's check and the checks of tasks
# that call it), then the function that raises and the one that never returns in the sixth.
MISTAKES = {
    "01_minimax": [
        ("task2", "torch.where(total > 0, p_data / total, torch.full_like(total, 0.5))",
         "p_data / total", ("check_optimal_discriminator",)),
        ("task3", "return -F.softplus(fake_logits).mean()", "return F.softplus(fake_logits).mean()",
         ("check_saturating_g_loss",)),
        ("task4", "return F.softplus(-fake_logits).mean()", "return -F.softplus(fake_logits).mean()",
         ("check_nonsaturating_g_loss",)),
    ],
    "02_training_loop": [
        ("task1", "G.parameters(), lr=2e-4", "G.parameters(), lr=1e-3", ("check_make_optimizers",)),
        ("task2", "fake_logits = D(fake.detach())", "fake_logits = D(fake)",
         ("check_discriminator_step", "check_train_step")),
        ("task3", "    g_optimizer.zero_grad()\n    logits = D(fake)", "    logits = D(fake)",
         ("check_generator_step", "check_train_step")),
    ],
    "03_dcgan": [
        ("task1", "nn.BatchNorm2d(c_out),", "nn.BatchNorm2d(c_in),",
         ("check_generator_block", "check_build_generator")),
        ("task4", "nn.init.normal_(m.weight, 0.0, 0.02)", "nn.init.normal_(m.weight, 0.02)",
         ("check_init_weights",)),
        ("task5", "torch.acos((a * b)", "torch.acos((z0 * z1)", ("check_slerp",)),
    ],
    "04_mode_collapse": [
        ("task1", "nearest_dist / std < 3", "nearest_dist / std <= 3", ("check_mode_coverage",)),
        ("task2", "return x.reshape(x.shape[0] // k, -1)",
         "return x.reshape(x.shape[0], -1).T.reshape(x.shape[0] // k, -1)", ("check_pack",)),
        ("task3", "h.var(dim=0, unbiased=False)", "h.var(dim=0)", ("check_minibatch_stddev",)),
    ],
    "05_wgan_gp": [
        ("task1", "return fake_scores.mean() - real_scores.mean()",
         "return real_scores.mean() - fake_scores.mean()", ("check_critic_loss",)),
        ("task3", "norms = grad.reshape(grad.shape[0], -1).norm(2, dim=1)", "norms = grad.norm(2)",
         ("check_gradient_penalty",)),
        ("task5", "v = W.T @ u", "v = W.reshape(W.shape[1], W.shape[0]) @ u",
         ("check_spectral_norm",)),
    ],
    "06_conditional": [
        ("task1", "return F.one_hot(labels, n_classes).float()",
         "return F.one_hot(labels, n_classes)", ("check_one_hot",)),
        ("task3", "return (F.softplus(-fake_logits).mean()", "return (-F.softplus(fake_logits).mean()",
         ("check_acgan_g_loss",)),
        ("task4", "fake_logits = D(fake.detach(), fake_labels)",
         "fake_logits = D(fake.detach(), real_labels)",
         ("check_discriminator_loss_with_labels",)),
    ],
    "07_evaluation": [
        ("task1", "- 2 * cross)", "- cross)", ("check_frechet_distance",)),
        ("task2", "(k_aa.sum() - k_aa.diagonal().sum()) / (m * (m - 1))", "k_aa.mean()",
         ("check_mmd2_unbiased",)),
        ("task3", "kthvalue(k + 1, dim=1)", "kthvalue(k, dim=1)",
         ("check_knn_radii", "check_precision_recall")),
    ],
}
BROKEN = {  # (task whose function raises, task whose function never returns)
    "01_minimax": ("task1", "task4"),
    "02_training_loop": ("task1", "task7"),
    "03_dcgan": ("task4", "task5"),
    "04_mode_collapse": ("task2", "task3"),
    "05_wgan_gp": ("task2", "task5"),
    "06_conditional": ("task2", "task6"),
    "07_evaluation": ("task1", "task2"),
}


def _grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _answer(source: str) -> str:
    """A solution cell as a learner who solved it would leave it: no markers."""
    return "\n".join(line for line in source.split("\n")
                     if line.strip() not in (BEGIN_SOLUTION, END_SOLUTION))


def _solved(release: nbformat.NotebookNode, source: nbformat.NotebookNode
            ) -> nbformat.NotebookNode:
    """The release notebook with every answer cell filled in from the source notebook."""
    answers = {_grade_id(c): _answer(c.source) for c in source.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        if _grade_id(cell) in answers:
            cell.source = answers[_grade_id(cell)]
    return nb


def _edit(nb: nbformat.NotebookNode, grade_id: str, old: str, new: str) -> None:
    (cell,) = [c for c in nb.cells if _grade_id(c) == grade_id]
    assert cell.source.count(old) == 1, f"{grade_id}: {old!r} is not in the solution once"
    cell.source = cell.source.replace(old, new)


def _redefine(nb: nbformat.NotebookNode, grade_id: str, body: str) -> str:
    """Append to an answer cell a new version of its (first) function; returns its name."""
    (cell,) = [c for c in nb.cells if _grade_id(c) == grade_id]
    name = re.search(r"^def (\w+)\(", cell.source, re.M).group(1)
    cell.source += f"\n\n\ndef {name}(*args, **kwargs):\n    {body}\n"
    return name


def _checks_of(nb: nbformat.NotebookNode, function: str) -> set[str]:
    """The test cells that call ``function``'s check (``chNN.check_x(function)``)."""
    return {_grade_id(c) for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade")
            and re.search(rf"\.check_\w+\({function}\)", c.source)}


def _scores(course: Path, aid: str) -> dict[str, dict[str, tuple[float, float, bool]]]:
    """student → grade id → (score, max score, needs a manual grade)."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in ("solution", "untouched", "mistake1", "mistake2", "mistake3", "broken"):
            notebook = gb.find_submission_notebook(aid, aid, student)
            out[student] = {g.name: (g.score, g.max_score, g.needs_manual_grade)
                            for g in notebook.grades}
    return out


def _grade_answers_in_full(course: Path, aid: str, student: str) -> None:
    """What the teacher does in formgrader: full marks for the written answers."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for grade in gb.find_submission_notebook(aid, aid, student).grades:
            if grade.needs_manual_grade:
                grade.manual_score = grade.max_score
        gb.db.commit()


def _diagnoses(nb: nbformat.NotebookNode, grade_id: str) -> list[str]:
    """The ❌ lines a test cell printed."""
    (cell,) = [c for c in nb.cells if _grade_id(c) == grade_id]
    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    return [line for line in text.splitlines() if line.startswith("❌")]


def grade_chapter(solution: Path, course: Path) -> dict:
    """Run nbgrader's whole cycle on one chapter; returns what the test asserts on."""
    aid = assignments.assignment_id(solution)
    assignments.write_course(course, [solution],
                             {aid: ci_parameters_for(solution, load_ci_parameters())})
    (course / "nbgrader_config.py").write_text(
        (course / "nbgrader_config.py").read_text() + f"\nc.Execute.timeout = {CELL_TIMEOUT}\n")
    assignments.generate(course, [aid])
    source = read(course / "source" / aid / f"{aid}.ipynb")
    release = read(assignments.released(course, aid))

    submissions = {"solution": _solved(release, source), "untouched": release}
    expected_fail = {"solution": set(), "untouched": None}
    for k, (task, old, new, failing) in enumerate(MISTAKES[aid], start=1):
        nb = _solved(release, source)
        _edit(nb, task, old, new)
        submissions[f"mistake{k}"], expected_fail[f"mistake{k}"] = nb, set(failing)
    nb = _solved(release, source)
    raising = _redefine(nb, BROKEN[aid][0], "return 1 / 0  # a slip that raises")
    hanging = _redefine(nb, BROKEN[aid][1], "while True:  # never returns\n        pass")
    submissions["broken"] = nb
    expected_fail["broken"] = _checks_of(nb, raising) | _checks_of(nb, hanging)
    for student, nb in submissions.items():
        write(nb, course / "submitted" / student / aid / f"{aid}.ipynb")

    env = {"GANLIB_OFFLINE": "1", "MPLBACKEND": "Agg",
           "GANLIB_CHECK_TIME_LIMIT": str(CHECK_TIME_LIMIT)}
    assignments.nbgrader(course, "autograde", aid, "--create", env=env)
    _grade_answers_in_full(course, aid, "solution")
    assignments.nbgrader(course, "generate_feedback", aid, env=env)
    autograded = {s: read(course / "autograded" / s / aid / f"{aid}.ipynb") for s in submissions}
    feedback = {s: html.unescape((course / "feedback" / s / aid / f"{aid}.html").read_text())
                for s in submissions}
    return {"aid": aid, "scores": _scores(course, aid), "expected_fail": expected_fail,
            "autograded": autograded, "feedback": feedback}


def points_table(graded: dict[str, dict]) -> str:
    """Markdown: each submission's autograded points per chapter (written answers apart)."""
    students = ("solution", "untouched", "mistake1", "mistake2", "mistake3", "broken")
    lines = ["| exercise | " + " | ".join(students) + " | written answers |",
             "|---" * (len(students) + 2) + "|"]
    for aid, result in graded.items():
        cells = [c.metadata.get("nbgrader", {}) for c in result["autograded"]["solution"].cells]
        tests = {m["grade_id"] for m in cells if m.get("grade") and not m.get("solution")}
        row = []
        for student in students:
            scores = result["scores"][student]
            got = sum(scores[g][0] for g in tests)
            row.append(f"{got:g} / {sum(scores[g][1] for g in tests):g}")
        written = sum(top for g, (_, top, _) in result["scores"]["solution"].items()
                      if g not in tests)
        words = "—" if not written else f"{written:g} point{'s' if written != 1 else ''}"
        lines.append(f"| {aid} | " + " | ".join(row) + f" | {words} |")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, dict]:
    """Every chapter graded, two at a time (each in its own scratch course); the points
    table goes to build/grading.md."""
    root = tmp_path_factory.mktemp("courses")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {assignments.assignment_id(s): pool.submit(
            grade_chapter, s, root / assignments.assignment_id(s)) for s in SOLUTIONS}
        results = {aid: future.result() for aid, future in futures.items()}
    table = points_table(results)
    (ROOT / "build").mkdir(exist_ok=True)
    (ROOT / "build" / "grading.md").write_text(table, encoding="utf-8")
    print("\n" + table)
    return results


def test_every_chapter_has_its_graded_submissions():
    assert set(MISTAKES) == set(BROKEN) == {assignments.assignment_id(s) for s in SOLUTIONS}


@pytest.mark.slow
@pytest.mark.parametrize("aid", [assignments.assignment_id(s) for s in SOLUTIONS])
def test_nbgrader_grades_each_submission(graded, aid):
    result = graded[aid]
    scores, expected_fail = result["scores"], result["expected_fail"]
    cells = [c.metadata.get("nbgrader", {}) for c in result["autograded"]["solution"].cells]
    tests = {m["grade_id"] for m in cells if m.get("grade") and not m.get("solution")}
    written = {m["grade_id"] for m in cells if m.get("grade") and m.get("solution")}
    assert tests and set(scores["solution"]) == tests | written

    # (a) the solution: every test cell passes; with the written answers graded, full points
    assert all(score == top for score, top, _ in scores["solution"].values()), scores["solution"]
    # (b) the untouched release: zero, written answers included, and graded without a crash
    assert all(score == 0 and not manual for score, _, manual in scores["untouched"].values())
    # (c, d) partial points: exactly the expected test cells fail
    for student in ("mistake1", "mistake2", "mistake3", "broken"):
        failed = {g for g in tests if scores[student][g][0] < scores[student][g][1]}
        assert failed == expected_fail[student], (student, failed)
        assert all(scores[student][g][2] for g in written)  # answers await the teacher
    # the feedback names each failed check's diagnosis, as the check printed it
    for student in ("mistake1", "mistake2", "mistake3", "broken"):
        for grade_id in expected_fail[student]:
            lines = _diagnoses(result["autograded"][student], grade_id)
            assert lines, (student, grade_id)
            for line in lines:
                assert line in result["feedback"][student], (student, line)
    for k, (_, _, _, (own, *_)) in enumerate(MISTAKES[aid], start=1):
        for line in _diagnoses(result["autograded"][f"mistake{k}"], own):
            # the mistaken function's own check names the mistake: a hint, not an error
            assert " — hint: " in line and " raised " not in line, line
    broken = result["autograded"]["broken"]
    said = " ".join(" ".join(_diagnoses(broken, g)) for g in expected_fail["broken"])
    assert "raised ZeroDivisionError" in said and "did not finish within" in said, said
