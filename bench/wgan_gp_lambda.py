"""Why does WGAN-GP's λ = 10 fail on chapter 5's ring? Two explanations, measured over seeds.

Chapter 5 trains WGAN-GP on PacGAN's ring (8 Gaussians, std 0.01, radius 1) with the paper's
settings (λ = 10, 5 critic steps per generator step, Adam 1e-4, β = (0, 0.9)) and chapter 4's
MLPs, and sees λ = 10 fail where λ = 0.1 works. Two explanations compete:

- **the critic is under-trained**: the authors' toy script says a smaller λ "makes things
  faster for toy tasks, but isn't necessary if you increase CRITIC_ITERS enough" — so λ = 10
  with many more critic steps per generator step should work too;
- **λ is too large for the data's scale**: the value gap the critic can win is a distance in
  data units (at most W1), the penalty a pure number; on data 100 times larger, λ = 10 weighs
  as λ = 0.1 does here (Adam ignores the overall factor of the loss).

This script trains, for each seed, the chapter's two runs and one test of each explanation:

==========================  ===============================================================
run                         what changes from the paper's settings
==========================  ===============================================================
λ = 10 (paper)              nothing
λ = 0.1                     λ (the toy script's value, as in the chapter)
λ = 10, 25 critic steps     n_critic = 25: five times the critic's training per generator step
λ = 10, data × 100          the data and the generator's output (a fixed factor 100 after
                            its last layer) multiplied by 100; scored after dividing by 100
==========================  ===============================================================

and scores 2,500 samples of each run with ``ganlib.metrics.mode_stats`` (modes captured,
% high quality, reverse KL), as chapter 5 does. It writes a Markdown report with every run,
the mean ± standard error over seeds, the run times, the command, the machine and the date.

    python bench/wgan_gp_lambda.py                    # the committed report (5 seeds)
    python bench/wgan_gp_lambda.py --tiny --out /tmp/smoke.md     # 1 seed, 4 steps

Runs are independent single-threaded processes (``--workers`` at a time).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/_common.py

from _common import machine_info  # noqa: E402

from ganlib.data import ring2d  # noqa: E402
from ganlib.metrics import mode_stats  # noqa: E402
from ganlib.models import MLPDiscriminator, MLPGenerator  # noqa: E402
from ganlib.toy_benchmark import mean_se  # noqa: E402
from ganlib.train import Trainer  # noqa: E402
from ganlib.utils import seed_everything  # noqa: E402

PAPER = {"loss": "wasserstein", "gp_weight": 10.0, "n_critic": 5, "lr": 1e-4,
         "betas": (0.0, 0.9)}
RUNS = {
    "λ = 10 (paper)": ({}, 1.0),
    "λ = 0.1": ({"gp_weight": 0.1}, 1.0),
    "λ = 10, 25 critic steps": ({"n_critic": 25}, 1.0),
    "λ = 10, data × 100": ({}, 100.0),
}
BATCH_SIZE = 256      # chapter 5's TOY_BATCH_SIZE
EVAL_SAMPLES = 2500


class Scaled(nn.Module):
    """A generator whose output is multiplied by a fixed factor (the data's new units)."""

    def __init__(self, generator: nn.Module, factor: float) -> None:
        super().__init__()
        self.generator, self.factor = generator, factor
        self.latent_dim = generator.latent_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z) * self.factor


def run_one(job: tuple[str, int, int]) -> dict:
    """Train one run as chapter 5's ``train_2d`` does and score it; single-threaded."""
    name, seed, steps = job
    torch.set_num_threads(1)
    changes, scale = RUNS[name]
    ring = ring2d()
    data = ring.sample(100_000, generator=torch.Generator().manual_seed(seed)) * scale
    seed_everything(seed)
    G, D = MLPGenerator(2, 2, hidden=(128,) * 3), MLPDiscriminator(2, hidden=(128,) * 3)
    if scale != 1.0:
        G = Scaled(G, scale)
    trainer = Trainer(G, D, seed=seed, device="cpu", **{**PAPER, **changes})
    start = time.perf_counter()
    trainer.fit(data, steps, batch_size=BATCH_SIZE, progress=False)
    seconds = time.perf_counter() - start
    stats = mode_stats(trainer.sample(EVAL_SAMPLES) / scale, ring)
    return {"run": name, "seed": seed, "steps": steps, "modes": stats.captured,
            "high_quality": stats.high_quality, "reverse_kl": stats.reverse_kl,
            "seconds": round(seconds, 1)}


def report(results: list[dict], seeds: list[int], steps: int, command: str) -> str:
    lines = [
        "# WGAN-GP's λ on chapter 5's ring: under-trained critic or data scale?",
        "",
        "Made by `bench/wgan_gp_lambda.py` (its docstring says what each run changes). "
        f"Ring of 8 Gaussians (std 0.01, radius 1), chapter 4's MLPs (128 × 3), batch "
        f"{BATCH_SIZE}, {steps:,} generator steps, Adam 1e-4, β = (0, 0.9), the generator's "
        "update on a fresh batch of noise (Algorithm 1); "
        f"{EVAL_SAMPLES:,} samples scored per run. Seeds: {', '.join(map(str, seeds))}. "
        "Mean ± standard error over the seeds.",
        "",
        "| run | modes (of 8) | high quality % | reverse KL | runs with 8/8 | s per run |",
        "|---|---|---|---|---|---|",
    ]
    for name in RUNS:
        rows = [r for r in results if r["run"] == name]
        if not rows:
            continue
        cells = []
        for key, factor, digits in (("modes", 1, 1), ("high_quality", 100, 1),
                                    ("reverse_kl", 1, 3)):
            m, se = mean_se([r[key] * factor for r in rows])
            cells.append(f"{m:.{digits}f} ± {se:.{digits}f}")
        full = sum(r["modes"] == 8 for r in rows)
        secs = sum(r["seconds"] for r in rows) / len(rows)
        lines.append(f"| {name} | {' | '.join(cells)} | {full}/{len(rows)} | {secs:.0f} |")
    lines += ["", "Every run:", "", "| run | seed | modes | high quality % | reverse KL |",
              "|---|---|---|---|---|"]
    for r in sorted(results, key=lambda r: (list(RUNS).index(r["run"]), r["seed"])):
        lines.append(f"| {r['run']} | {r['seed']} | {r['modes']} | "
                     f"{100 * r['high_quality']:.1f} | {r['reverse_kl']:.3f} |")
    info = machine_info()
    lines += ["", f"Command: `{command}`", "",
              "Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=2000, help="chapter 5's RING_STEPS")
    parser.add_argument("--runs", nargs="+", choices=list(RUNS), default=list(RUNS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tiny", action="store_true", help="1 seed, 4 steps: a smoke run")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "wgan_gp_lambda.md")
    parser.add_argument("--json", type=Path, default=None, help="also write every run here")
    args = parser.parse_args(argv)
    seeds = [0] if args.tiny else list(range(args.seeds))
    steps = 4 if args.tiny else args.steps
    # the slowest runs first, so that the pool does not end on one long run
    jobs = sorted(((name, seed, steps) for name in args.runs for seed in seeds),
                  key=lambda job: -RUNS[job[0]][0].get("n_critic", PAPER["n_critic"]))
    results = []
    with ProcessPoolExecutor(max_workers=max(1, args.workers)) as pool:
        for k, result in enumerate(pool.map(run_one, jobs), 1):
            results.append(result)
            print(f"[{k:>3}/{len(jobs)}] {result['run']}, seed {result['seed']}: "
                  f"{result['modes']}/8 modes, {100 * result['high_quality']:.1f} % high "
                  f"quality, KL {result['reverse_kl']:.3f} ({result['seconds']} s)", flush=True)
    command = "python bench/wgan_gp_lambda.py " + shlex.join(sys.argv[1:] if argv is None
                                                             else argv)
    args.out.write_text(report(results, seeds, steps, command.strip()), encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({"runs": results}, indent=1), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
