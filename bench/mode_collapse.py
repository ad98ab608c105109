"""The course's mode-collapse benchmark: PacGAN's 2-D ring and grid, several seeds.

Trains every method of ``ganlib.toy_benchmark.TOY_METHODS`` (a plain GAN, the minibatch
standard deviation, PacGAN2/3/4, WGAN-GP) on the 2-D ring (8 modes, std 0.01) and the
2-D grid (25 modes, std 0.05) of the PacGAN protocol, scores 2,500 samples of each run
with ``ganlib.metrics.mode_stats`` (modes captured, % high quality, reverse KL), and
writes a Markdown table — mean ± standard error over the seeds, beside PacGAN's Table 1 —
with the seeds, the run time of each run, the command, the machine and the date.

    python bench/mode_collapse.py                       # the committed table (5 seeds)
    python bench/mode_collapse.py --seeds 2 --steps 500 --out /tmp/quick.md   # a smoke run
    python bench/mode_collapse.py --methods GAN WGAN-GP --datasets ring
    python bench/mode_collapse.py --tiny --out /tmp/smoke.md       # 1 seed, 4 steps
    python bench/mode_collapse.py --long   # LONG_TOY_METHODS → bench/mode_collapse_long.md

Runs are independent single-threaded processes (``--workers`` at a time): on a
2-core machine two workers use both cores. Chapter 4 (notebooks/04_mode_collapse.ipynb)
shows a smaller version and links here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/_common.py

from ganlib.toy_benchmark import PACGAN_TABLE_1, mean_se  # noqa: E402

DATASETS = ("ring", "grid")


def _cell(values: list[float], scale: float = 1.0, digits: int = 1) -> str:
    m, se = mean_se([v * scale for v in values])
    return f"{m:.{digits}f} ± {se:.{digits}f}"


def summarise(results: list[dict], methods: list[str], datasets: list[str]) -> dict:
    """``(method, dataset)`` → the three table cells and the mean run time."""
    table = {}
    for method in methods:
        for dataset in datasets:
            rows = [r for r in results if r["method"] == method and r["dataset"] == dataset]
            if not rows:
                continue
            table[method, dataset] = {
                "modes": _cell([r["captured"] for r in rows]),
                "hq": _cell([r["high_quality"] for r in rows], 100.0),
                "kl": _cell([r["reverse_kl"] for r in rows], digits=2),
                "seconds": sum(r["seconds"] for r in rows) / len(rows),
                "cpu_seconds": sum(r["cpu_seconds"] for r in rows) / len(rows),
                "n": len(rows),
            }
    return table


def markdown(results: list[dict], methods: list[str], datasets: list[str], args,
             wall: float) -> str:
    from ganlib.toy_benchmark import toy_settings

    table = summarise(results, methods, datasets)
    step_counts = sorted({r["steps"] for r in results})
    seeds = sorted({r["seed"] for r in results})
    head = ["method"]
    for d in datasets:
        k = 8 if d == "ring" else 25
        head += [f"{d} modes (/{k})", f"{d} % HQ", f"{d} rev. KL"]
    lines = [
        "# Mode-collapse benchmark: PacGAN's 2-D ring and grid",
        "",
        "Written by `bench/mode_collapse.py`; do not edit by hand. Chapter 4 "
        "(`notebooks/04_mode_collapse.ipynb`) explains the protocol and the methods.",
        "",
        f"- **Command:** `{args.command}`",
        f"- **Date:** {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- **Machine:** {args.machine or machine()}",
        f"- **Seeds:** {', '.join(map(str, seeds))} ({len(seeds)} per method and data set)",
        "- **Generator's update:** " + (
            "on the fakes of the discriminator's last update (`--reuse-fakes`, the "
            "economy of PyTorch's DCGAN example)" if args.reuse_fakes else
            "on a fresh batch of noise (Algorithm 1 of Goodfellow et al. 2014; the Trainer's "
            "default)"),
        f"- **Wall time:** {wall / 60:.1f} min for {len(results)} runs, {args.workers} at a "
        "time, one CPU thread each",
        "",
        "Protocol (PacGAN, Lin et al. 2018; metric of VEEGAN, Srivastava et al. 2017): ring = "
        "8 Gaussians of std 0.01 on the unit circle, grid = 25 Gaussians of std 0.05 at "
        "(i, j), i, j ∈ {−4, −2, 0, 2, 4}. Each run is scored on "
        "2,500 generated samples: a sample is *high quality* (HQ) when it lies "
        "within 3 std of its nearest mode centre; a mode is *captured* when it receives at "
        "least one HQ sample; *reverse KL* is KL(p̂ ‖ uniform) of the HQ samples' histogram "
        "over the modes (0 for even coverage, log 8 = 2.08 / log 25 = 3.22 for one mode). "
        "Cells are mean ± standard error over the seeds. *Time per run* is the CPU time of "
        "the run's training (one thread: about its wall time on an idle core), then in "
        "brackets its wall time on this machine, which also depends on the machine's load.",
        "",
        "## The course's runs (CPU)",
        "",
        "| " + " | ".join(head + ["time per run"]) + " |",
        "|" + "---|" * (len(head) + 1),
    ]
    for method in methods:
        cells = [method]
        times = []
        for d in datasets:
            row = table.get((method, d))
            if row is None:
                cells += ["—"] * 3
                continue
            cells += [row["modes"], row["hq"], row["kl"]]
            times.append(f"{d} {row['cpu_seconds']:.0f} s ({row['seconds']:.0f} s)")
        lines.append("| " + " | ".join(cells + [", ".join(times)]) + " |")
    lines += ["", "## The course's aims, method by method", "",
              "Aims of the course (mean over the seeds): ring 8/8 modes, ≥ 97 % HQ, reverse "
              "KL ≤ 0.05; grid 25/25 modes, ≥ 95 % HQ, reverse KL ≤ 0.05.", "",
              "| method | data | modes: aim / measured | % HQ: aim / measured "
              "| rev. KL: aim / measured | all met |",
              "|---|---|---|---|---|---|"]
    for method in methods:
        for d in datasets:
            rows = [r for r in results if r["method"] == method and r["dataset"] == d]
            if not rows:
                continue
            k = rows[0]["n_modes"]
            modes = mean_se([r["captured"] for r in rows])[0]
            hq = mean_se([100 * r["high_quality"] for r in rows])[0]
            kl = mean_se([r["reverse_kl"] for r in rows])[0]
            hq_aim = 97.0 if d == "ring" else 95.0
            met = [modes == k, hq >= hq_aim, kl <= 0.05]
            marks = ["yes" if m else "no" for m in met]
            lines.append(f"| {method} | {d} | {k}/{k} / {modes:.1f} ({marks[0]}) | "
                         f"≥ {hq_aim:.0f} / {hq:.1f} ({marks[1]}) | "
                         f"≤ 0.05 / {kl:.3f} ({marks[2]}) | {'yes' if all(met) else 'no'} |")
    lines += [
        "",
        "## PacGAN's Table 1 (Lin et al. 2018; 10 runs, 400 epochs of 100,000 points)",
        "",
        "| method | ring modes (/8) | ring % HQ | ring rev. KL | grid modes (/25) | grid % HQ "
        "| grid rev. KL |",
        "|---|---|---|---|---|---|---|",
    ]
    for method, cells in PACGAN_TABLE_1.items():
        lines.append("| " + " | ".join((method, *cells)) + " |")
    lines += [
        "",
        "## How the course's runs differ from PacGAN's",
        "",
        "Same data, evaluation (2,500 samples, 3σ, KL of the HQ histogram) and metric code "
        "for every row. Different, so that a run takes seconds to minutes on one CPU core:",
        "",
        f"- **training length:** {' or '.join(f'{n:,}' for n in step_counts)} generator "
        "steps per run (PacGAN: 400 epochs of 100,000 points, 400,000 steps of batch 100);",
        "- **networks and optimiser:** smaller networks, a larger learning rate decayed "
        "linearly to 0, each method's in the settings table below (PacGAN: G 4×400 ReLU + "
        "batch norm, D 3×200 maxout with 5 pieces, Adam 1e-4, β1 = 0.8, constant);",
        f"- **seeds:** {len(seeds)} (PacGAN: 10 runs); cells are mean ± standard error, as in "
        "PacGAN;",
    ]
    if "GAN, batch 400" in methods and "GAN, G with BN" in methods:
        lines.append("- **controls PacGAN does not have:** \"GAN, batch 400\" sees as many "
                     "samples per step as PacGAN4 without packing them; \"GAN, G with BN\" is "
                     "the plain GAN with PacGAN's batch norm in the generator.")
    lines += ["", "## Settings of each method", "",
              "| method | loss | D input | n_critic | λ (GP) | Adam lr, betas | batch | steps "
              "| lr decay | G | D |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for method in methods:
        s = toy_settings(method)
        if args.steps:
            s = s.replace(steps=args.steps)
        d_input = (f"packs of {s.pack}" if s.pack > 1
                   else "one sample + minibatch std" if s.minibatch_std else "one sample")
        g = f"{len(s.g_hidden)}×{s.g_hidden[0]} ReLU" + (" + BN" if s.g_batch_norm else "")
        d = f"{len(s.d_hidden)}×{s.d_hidden[0]} LeakyReLU"
        lines.append(f"| {method} | {s.loss} | {d_input} | {s.n_critic} | {s.gp_weight:g} | "
                     f"{s.lr:g}, {s.betas} | {s.batch_size} | {s.steps} | "
                     f"{'linear to 0' if s.lr_decay else 'none'} | {g} | {d} |")
    lines += ["", "## Every run", "",
              "| method | data | seed | modes | % HQ | rev. KL | CPU time | wall time |",
              "|---|---|---|---|---|---|---|---|"]
    for r in sorted(results, key=lambda r: (methods.index(r["method"]),
                                            datasets.index(r["dataset"]), r["seed"])):
        lines.append(f"| {r['method']} | {r['dataset']} | {r['seed']} | "
                     f"{r['captured']}/{r['n_modes']} | {100 * r['high_quality']:.1f} | "
                     f"{r['reverse_kl']:.3f} | {r['cpu_seconds']:.0f} s | {r['seconds']:.0f} s |")
    return "\n".join(lines) + "\n"


def machine() -> str:
    import torch
    from _common import loadavg

    from ganlib.utils import cpu_name

    load = loadavg()
    load = f", load average at the end {load[0]:.1f}" if load else ""
    return (f"{cpu_name()}, {os.cpu_count()} logical CPUs{load}; Python "
            f"{platform.python_version()}, torch {torch.__version__}, {platform.system()}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from ganlib.toy_benchmark import LONG_TOY_METHODS, TOY_METHODS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0 … N−1 (default 5)")
    parser.add_argument("--first-seed", type=int, default=0, help="first seed (default 0)")
    parser.add_argument("--steps", type=int, default=0,
                        help="generator steps per run (default: each method's own)")
    parser.add_argument("--methods", nargs="+", default=None,
                        choices=list(TOY_METHODS) + list(LONG_TOY_METHODS), metavar="METHOD",
                        help=f"methods to run (default all of TOY_METHODS: "
                             f"{', '.join(TOY_METHODS)})")
    parser.add_argument("--long", action="store_true",
                        help="run LONG_TOY_METHODS instead (minutes per run: "
                             f"{', '.join(LONG_TOY_METHODS)}), by default to "
                             "bench/mode_collapse_long.md")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--workers", type=int, default=2,
                        help="runs at a time, one CPU thread each (default 2)")
    parser.add_argument("--out", type=Path, default=None,
                        help="Markdown file to write (default bench/mode_collapse.md, with "
                             "--long bench/mode_collapse_long.md)")
    parser.add_argument("--json", type=Path, default=None,
                        help="also write every run's numbers to this JSON file")
    parser.add_argument("--resume", type=Path, default=None,
                        help="a --json file of an earlier, interrupted run with the same "
                             "settings: its runs are kept, only the missing ones are trained")
    parser.add_argument("--reuse-fakes", action="store_true",
                        help="the generator's update reuses the discriminator's last fakes "
                             "(the Trainer's default before it drew fresh noise)")
    parser.add_argument("--tiny", action="store_true",
                        help="a smoke run: 1 seed, 4 steps, to --out (give a scratch path)")
    args = parser.parse_args(argv)
    if args.methods is None:
        args.methods = list(LONG_TOY_METHODS if args.long else TOY_METHODS)
    if args.out is None:
        args.out = ROOT / "bench" / ("mode_collapse_long.md" if args.long else "mode_collapse.md")
    if args.tiny:
        args.seeds, args.steps = 1, 4
    if args.seeds < 1 or args.workers < 1 or args.steps < 0:
        parser.error("--seeds and --workers must be positive, --steps non-negative")
    args.machine = None
    args.command = "python bench/mode_collapse.py " + " ".join(
        shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    return args


def main(argv: list[str] | None = None) -> int:
    from ganlib.toy_benchmark import run_toy_benchmark, toy_settings

    args = parse_args(argv)
    changes = {"steps": args.steps} if args.steps else {}
    if args.reuse_fakes:
        changes["reuse_fakes"] = True
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    total = len(args.methods) * len(args.datasets) * len(seeds)
    print(f"{total} runs ({', '.join(args.methods)} × {', '.join(args.datasets)} × "
          f"{len(seeds)} seeds), {args.workers} at a time, one CPU thread each", flush=True)

    done: list[dict] = []
    if args.resume is not None and args.resume.exists():
        steps = {m: args.steps or toy_settings(m).steps for m in args.methods}
        done = [r for r in json.loads(args.resume.read_text(encoding="utf-8"))["runs"]
                if r["method"] in args.methods and r["dataset"] in args.datasets
                and r["seed"] in seeds and r["steps"] == steps[r["method"]]
                and r.get("reuse_fakes", True) == args.reuse_fakes]
        print(f"resuming: {len(done)} runs read from {args.resume}", flush=True)
        earlier_run = json.loads(args.resume.read_text(encoding="utf-8"))
        if earlier_run["command"] != args.command:
            args.command = f"{earlier_run['command']}`; runs kept from its JSON by `{args.command}"
        if len(done) == total:  # nothing left to train: describe the machine that ran them
            args.machine = earlier_run["machine"]
    results = list(done)

    def save(wall: float) -> None:
        if args.json is not None:
            plain = [{k: v for k, v in r.items() if k != "samples"} for r in results]
            args.json.write_text(json.dumps({"command": args.command,
                                             "machine": args.machine or machine(),
                                             "wall_seconds": wall, "runs": plain}, indent=1),
                                 encoding="utf-8")

    def progress(i: int, n: int, r: dict) -> None:
        results.append(r)
        save(time.perf_counter() - start + earlier)
        print(f"[{i:>3}/{n}] {r['method']:<14} {r['dataset']:<4} seed {r['seed']}: "
              f"{r['captured']:>2}/{r['n_modes']} modes, {100 * r['high_quality']:5.1f}% HQ, "
              f"reverse KL {r['reverse_kl']:.3f}  ({r['seconds']:.0f} s, CPU "
              f"{r['cpu_seconds']:.0f} s)", flush=True)

    earlier = 0.0
    if done and args.resume is not None:
        earlier = float(json.loads(args.resume.read_text(encoding="utf-8"))["wall_seconds"])
    start = time.perf_counter()
    run_toy_benchmark(args.methods, args.datasets, seeds, workers=args.workers,
                      on_result=progress, skip={(r["method"], r["dataset"], r["seed"])
                                                for r in done}, **changes)
    wall = time.perf_counter() - start + earlier
    save(wall)
    text = markdown(results, args.methods, args.datasets, args, wall)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print()
    print(text.split("## PacGAN's Table 1")[0].split("## The course's runs (CPU)")[1].strip())
    print(f"\nwrote {args.out} ({wall / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
