"""The GPU run-book: every GPU figure of the course in one call (``make gpu-check``).

On a CUDA machine, within ``--budget`` seconds of wall time (default 480: a borrowed GPU
visit is short), it

1. runs the tests marked ``cuda``;
2. runs ``bench/speed.py`` on the GPU — the canonical PyTorch DCGAN loop against ganlib's
   ``Trainer`` with torch's Adam, with its defaults (fp32, fused Adam), with bf16 autocast
   and channels-last, and with ``torch.compile`` as well — at 64 px with 3 channels and
   batch 128 (the PyTorch example's shape) and at 28 px, alternately in one process;
3. executes every chapter notebook at its default settings on the GPU (papermill, a time
   limit per notebook) and compares the cells marked ``NBVAL_CHECK_OUTPUT`` with the
   committed outputs (after ``.ci/nbval_sanitize.cfg``'s substitutions);
4. writes ``report.md`` and ``results.json`` to ``--out`` and prints a short summary.

``--dry-run`` takes the same code paths on the CPU with tiny settings (CI runs it, so the
script cannot rot while no GPU is at hand): the ``cuda`` tests (they skip), ``speed.py
--tiny`` in each configuration but ``torch.compile`` (whose CPU compile alone takes
minutes), and two chapters at CI's small settings. ``tools/gpu_report.py`` (``make
gpu-report``) turns the folder into the README's GPU column and bench/README.md's GPU
section; docs/GPU.md is the run-book for a borrowed machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

if sys.version_info < (3, 10):  # noqa: UP036 - the course's floor, said clearly
    print(f"gpu-check: {sys.executable} is Python {sys.version.split()[0]}; 3.10 or newer "
          "is needed")
    sys.exit(3)
try:
    import nbformat  # noqa: F401 - nbtools needs it
except ImportError:
    print(f"gpu-check: {sys.executable} lacks nbformat: install the course's packages "
          "(make setup) or name a Python that has them (GPU_PYTHON=...)")
    sys.exit(3)

from nbtools import (
    KERNEL,
    ROOT,
    SANITIZE,
    chapter_notebooks,
    ci_parameters_for,
    code_cells,
    load_ci_parameters,
    read,
    rel,
)

# The speed benchmark's configurations: (name, extra arguments of bench/speed.py).
SPEED_CONFIGS = [  # peak memory (a child process per loop and shape) in two of them
    ("torch Adam (unfused), fp32", ["--no-fused-adam", "--no-memory"]),
    ("Trainer defaults: fp32, fused Adam", []),
    ("bf16 autocast + channels-last", ["--fast"]),
    ("bf16 + channels-last + torch.compile", ["--fast", "--compile", "--no-memory"]),
]
# The shapes: the PyTorch DCGAN example's (64 px, 3 channels, batch 128) and the course's.
SPEED_SHAPES = ["--sizes", "64", "28", "--batch-sizes", "128", "--data", "random",
                "--channels64", "3", "--rounds", "3", "--round-seconds", "0.5",
                "--log-every", "50"]
DRY_RUN_NOTEBOOKS = ["notebooks/00_setup.ipynb", "notebooks/01_minimax.ipynb"]
CHECK_MARK = "# NBVAL_CHECK_OUTPUT"
STEPS = ("tests", "speed", "notebooks")


def _machine(dry_run: bool) -> dict:
    import torch

    info = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "torch": torch.__version__, "python": sys.version.split()[0],
            "dry_run": dry_run, "cuda": torch.cuda.is_available()}
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        info.update(gpu=props.name, gpu_memory_gib=round(props.total_memory / 2**30, 1),
                    cuda_version=torch.version.cuda, gpus=torch.cuda.device_count())
    else:
        info["gpu"] = "none (CPU dry run)" if dry_run else "none"
    return info


def _env() -> dict[str, str]:
    """Environment of every child: ganlib importable from this tree, figures off-screen."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "MPLBACKEND": "Agg"}


def _run(cmd: list[str], timeout: float, env: dict[str, str] | None = None
         ) -> tuple[int, str, float]:
    """(exit status, output, seconds); 124 when the time limit stopped it. The command runs
    in a session of its own, killed whole at the limit."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env or _env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    _children.append(proc)
    try:
        out, _ = proc.communicate(timeout=max(timeout, 1))
        return proc.returncode, out, time.perf_counter() - start
    except subprocess.TimeoutExpired:
        _kill(proc)
        out, _ = proc.communicate()
        return 124, out, time.perf_counter() - start
    finally:
        _children.remove(proc)


_children: list[subprocess.Popen] = []


def _kill(proc: subprocess.Popen) -> None:
    """Kill a child's whole session (a notebook's kernel exits with papermill: ipykernel
    watches its parent)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:  # it ended meanwhile
        pass


# ---------------------------------------------------------------------------- steps
def cuda_tests(timeout: float) -> dict:
    rc, out, seconds = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "--no-cov", "-m", "cuda", "tests"], timeout)
    counts = {word.rstrip("s"): int(n) for n, word in re.findall(
        r"(\d+) (passed|failed|skipped|errors?)", out.splitlines()[-1] if out else "")}
    return {"rc": rc, "seconds": round(seconds, 1), "tail": out[-2000:], **counts}


def speed(out: Path, dry_run: bool, budget: float) -> list[dict]:
    """One bench/speed.py run per configuration, in one process each, within ``budget``."""
    results = []
    deadline = time.perf_counter() + budget
    for name, extra in SPEED_CONFIGS:
        if dry_run and "--compile" in extra:  # inductor's CPU compile alone takes minutes
            results.append({"config": name, "status": "not run (dry run)"})
            continue
        left = deadline - time.perf_counter()
        if left < 10:
            results.append({"config": name, "status": "not run (budget)"})
            continue
        # an equal share of what is left, the last configuration (compile) all of it
        todo = len(SPEED_CONFIGS) - len(results)
        left = left if todo == 1 else left / todo
        path = out / f"speed_{len(results)}.json"
        shape = ["--tiny", "--threads", "1"] if dry_run else ["--device", "cuda", *SPEED_SHAPES]
        cmd = [sys.executable, "bench/speed.py", *shape, *extra, "--json", str(path)]
        rc, text, seconds = _run(cmd, left)
        entry = {"config": name, "argv": cmd[2:], "rc": rc, "seconds": round(seconds, 1)}
        if rc == 0 and path.exists():
            data = json.loads(path.read_text())
            entry.update(status="ok", machine=data["machine"], results=data["results"])
        else:
            entry.update(status="timeout" if rc == 124 else "error", tail=text[-2000:])
        results.append(entry)
    return results


def _checked_outputs(nb) -> list[tuple[int, str]]:
    """(cell index, sanitized text of its outputs) of every NBVAL_CHECK_OUTPUT cell."""
    from nbval.plugin import get_sanitize_patterns

    patterns = get_sanitize_patterns((ROOT / SANITIZE).read_text(encoding="utf-8"))
    cells = []
    for index, cell in code_cells(nb):
        if not cell.source.startswith(CHECK_MARK):
            continue
        text = "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "")
                       for o in cell.outputs)
        for regex, replacement in patterns:
            text = re.sub(regex, replacement, text)
        cells.append((index, text))
    return cells


def notebooks(out: Path, paths: list[Path], dry_run: bool, per_notebook: float,
              budget: float) -> list[dict]:
    """Each chapter at its defaults (dry run: CI's settings), timed, its checked cells
    compared with the committed ones. The offline digits, as for the README's CPU column and
    the committed outputs (and a lent machine has no network)."""
    table = load_ci_parameters()
    env = {**_env(), "MPLBACKEND": "", "GANLIB_OFFLINE": "1"}  # MPLBACKEND: inline
    results = []
    deadline = time.perf_counter() + budget
    for path in paths:
        left = deadline - time.perf_counter()
        entry = {"path": rel(path)}
        if left < 20:
            results.append({**entry, "status": "not run (budget)"})
            continue
        limit = min(per_notebook, left)
        cut = limit < per_notebook  # the budget, not the chapter's own limit, stops it
        params = ci_parameters_for(path, table) if dry_run else {}
        dst = out / "notebooks" / path.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "papermill", str(path), str(dst), "-k", KERNEL,
               "--cwd", str(path.parent), "-y", json.dumps(params), "--no-progress-bar"]
        rc, text, seconds = _run(cmd, limit, env)
        entry.update(seconds=round(seconds, 1), limit_s=round(limit))
        if rc == 0:
            committed, ran = _checked_outputs(read(path)), _checked_outputs(read(dst))
            differing = [i for (i, a), (_, b) in zip(committed, ran, strict=True) if a != b]
            entry.update(status="ok", checked_cells=len(committed), differing=differing)
        else:
            status = "error" if rc != 124 else "not finished (budget)" if cut else "timeout"
            entry.update(status=status, error=text[-1500:])
        results.append(entry)
    return results


# ---------------------------------------------------------------------------- report
def report(results: dict) -> str:
    m = results["machine"]
    lines = [f"# GPU check — {m['gpu']}", "",
             f"{m['date']}; torch {m['torch']}, Python {m['python']}"
             + (f", CUDA {m.get('cuda_version')}" if m.get("cuda") else "")
             + (" — **dry run on the CPU with tiny settings: no GPU figures**"
                if m["dry_run"] else ""), "",
             f"Wall time {results['wall_s']:.0f} s of a {results['budget_s']:.0f} s budget.", ""]
    t = results["cuda_tests"]
    lines += ["## Tests marked `cuda`", "",
              f"{t.get('passed', 0)} passed, {t.get('failed', 0)} failed, "
              f"{t.get('skipped', 0)} skipped, {t.get('error', 0)} errors (exit {t['rc']}, "
              f"{t['seconds']} s)", ""]
    lines += ["## Training speed (bench/speed.py)", "",
              "| configuration | images | batch | reference img/s | ganlib img/s | ratio | "
              "ref peak MiB | ganlib peak MiB |", "|---|---|---|---|---|---|---|---|"]
    for entry in results["speed"]:
        if entry.get("status") != "ok":
            lines.append(f"| {entry['config']} | {entry.get('status')} | | | | | | |")
            continue
        for r in entry["results"]:
            mem = r.get("memory") or {}
            lines.append(
                f"| {entry['config']} | {r['size']}×{r['size']}×{r['channels']} | "
                f"{r['batch_size']} | {r['reference_ips']['median']:.0f} | "
                f"{r['ganlib_ips']['median']:.0f} | {r['ratio']['median']:.2f} | "
                f"{mem.get('reference', {}).get('peak_mib', float('nan')):.0f} | "
                f"{mem.get('ganlib', {}).get('peak_mib', float('nan')):.0f} |")
    settings = "CI's small settings" if m["dry_run"] else "their default settings"
    lines += ["", f"## Chapters at {settings}", "",
              "| notebook | status | wall time | NBVAL_CHECK_OUTPUT cells matching |",
              "|---|---|---|---|"]
    for nb in results["notebooks"]:
        if nb["status"] == "ok":
            same = nb["checked_cells"] - len(nb["differing"])
            match = f"{same} of {nb['checked_cells']}" + (
                f" (differ: cells {', '.join(map(str, nb['differing']))})" if nb["differing"]
                else "")
        else:
            match = "—"
        wall = f"{nb['seconds']:.0f} s" if "seconds" in nb else "—"
        lines.append(f"| {nb['path']} | {nb['status']} | {wall} | {match} |")
    return "\n".join(lines) + "\n"


NEEDED = ("torch", "torchvision", "papermill", "nbformat", "nbval", "pytest", "pytest_cov",
          "ipykernel", "matplotlib", "mlxtend", "torchmetrics", "pandas", "ipywidgets", "tqdm")


def missing_modules() -> list[str]:
    """What this Python lacks of the course's packages (a lent machine has no network)."""
    import importlib.util

    return [name for name in NEEDED if importlib.util.find_spec(name) is None]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "gpu-check")
    parser.add_argument("--dry-run", action="store_true",
                        help="the same steps on the CPU with tiny settings (CI)")
    parser.add_argument("--budget", type=float, default=480.0, help="seconds in all")
    parser.add_argument("--per-notebook", type=float, default=120.0,
                        help="seconds one chapter may run")
    parser.add_argument("--notebooks", type=Path, nargs="*",
                        help="chapters to time (default: all; dry run: chapters 0 and 1)")
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS),
                        help="which steps to run (a retry: the ones still missing)")
    parser.add_argument("--fresh", action="store_true",
                        help="start a new results.json instead of adding to the folder's")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    missing = missing_modules()
    if missing:
        print(f"gpu-check: {sys.executable} lacks {', '.join(missing)}: install the course's "
              "packages (make setup) or name a Python that has them (GPU_PYTHON=...)")
        return 3
    import torch

    if not args.dry_run and not torch.cuda.is_available():
        print("gpu-check: no CUDA device here; use --dry-run on a CPU machine")
        return 2
    if "notebooks" in args.steps:
        from run_notebooks import kernel_problem

        problem = kernel_problem()  # the python3 kernel must run this Python
        if problem:
            print(f"gpu-check: {problem}")
            return 3
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    paths = [p.resolve() for p in args.notebooks] if args.notebooks else (
        [ROOT / p for p in DRY_RUN_NOTEBOOKS] if args.dry_run else chapter_notebooks())
    # A folder that already holds results (an earlier call of this visit) is added to:
    # the steps run now replace theirs, chapters are merged by path.
    earlier = out / "results.json"
    results: dict = {"cuda_tests": {"rc": None, "seconds": 0}, "speed": [], "notebooks": []}
    if earlier.exists() and not args.fresh:
        results.update(json.loads(earlier.read_text()))
    results.update(machine=_machine(args.dry_run), budget_s=args.budget)

    def left(reserve: float = 15.0) -> float:
        return args.budget - (time.perf_counter() - start) - reserve

    def save() -> None:  # after every step: a visit cut short keeps what it measured
        results["wall_s"] = round(time.perf_counter() - start, 1)
        (out / "results.json").write_text(json.dumps(results, indent=1, default=str))

    def stop(signum, frame):  # `timeout` or a Ctrl-C: stop the child, keep what is done
        for child in list(_children):
            _kill(child)
        save()
        print(f"gpu-check: stopped by signal {signum}; results so far in {out}", flush=True)
        sys.exit(124)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if "tests" in args.steps:
        print("gpu-check: tests marked cuda …", flush=True)
        results["cuda_tests"] = cuda_tests(min(90.0, left()))
        save()
    if "speed" in args.steps:
        print("gpu-check: bench/speed.py …", flush=True)
        share = 0.4 if "notebooks" in args.steps else 1.0
        results["speed"] = speed(out, args.dry_run, min(share * args.budget, left()))
        save()
    if "notebooks" in args.steps:
        print("gpu-check: chapters …", flush=True)
        ran = notebooks(out, paths, args.dry_run, args.per_notebook, left())
        merged = {nb["path"]: nb for nb in results["notebooks"]}
        merged.update({nb["path"]: nb for nb in ran if not nb["status"].startswith("not ")
                       or nb["path"] not in merged})
        results["notebooks"] = sorted(merged.values(), key=lambda nb: nb["path"])
        save()
    text = report(results)
    (out / "report.md").write_text(text, encoding="utf-8")
    print("\n" + text)
    print(f"gpu-check: report and results in {out}")
    failed = (results["cuda_tests"]["rc"] not in (0, 5, 124, None)  # 5: none collected
              or any(e.get("status") == "error" for e in results["speed"])
              or any(n["status"] == "error" for n in results["notebooks"]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
