"""The course's 2-D mode-collapse benchmark: PacGAN's ring and grid, method by method.

Chapter 4 and ``bench/mode_collapse.py`` train the same small GANs on the 2-D ring
(8 modes) and grid (25 modes) of the PacGAN protocol and score each run with
:func:`ganlib.metrics.mode_stats`. This module holds that harness:

- the methods: :class:`ToyGANSettings` (how one method is trained), the registries
  :data:`TOY_METHODS` and :data:`LONG_TOY_METHODS`, and :func:`toy_settings`;
- training one: :func:`build_toy_gan`, :func:`train_toy_gan` and the learning-rate
  schedule :func:`linear_lr_decay`;
- running many: :func:`run_toy_method` (train and score one run of :data:`EVAL_SAMPLES`
  samples on one of :data:`TOY_DATASETS`) and :func:`run_toy_benchmark` (every method,
  data set and seed, in a pool of single-threaded processes);
- reporting: :func:`mean_se` (mean ± standard error over seeds) and PacGAN's published
  numbers, :data:`PACGAN_TABLE_1` with its :data:`PACGAN_COLUMNS`.

The remedies it compares (the minibatch standard deviation, packing) are in
:mod:`ganlib.remedies` and :mod:`ganlib.models`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .models import MLPDiscriminator, MLPGenerator
from .remedies import MinibatchStdDevDiscriminator
from .train import Trainer

__all__ = [
    "ToyGANSettings",
    "TOY_METHODS",
    "LONG_TOY_METHODS",
    "toy_settings",
    "build_toy_gan",
    "linear_lr_decay",
    "train_toy_gan",
    "TOY_DATASETS",
    "EVAL_SAMPLES",
    "run_toy_method",
    "run_toy_benchmark",
    "PACGAN_TABLE_1",
    "PACGAN_COLUMNS",
    "mean_se",
]


@dataclass(frozen=True)
class ToyGANSettings:
    """How one method of the course's 2-D mode-collapse benchmark is trained.

    The networks: an MLP generator from ``latent_dim``-d noise (``g_hidden`` ReLU layers,
    batch norm when ``g_batch_norm``) and an MLP discriminator (``d_hidden`` LeakyReLU
    layers), packed ``pack`` samples at a time, with a minibatch-stddev feature when
    ``minibatch_std``. Adam (``lr``, ``betas``) for both, the learning rate decayed
    linearly to 0 over ``steps`` when ``lr_decay``. ``batch_size`` counts samples per
    discriminator input kind (real or generated); with packing, the discriminator sees
    ``batch_size // pack`` packs of each. ``reuse_fakes``: the generator's update reuses
    the discriminator's last fakes instead of a fresh batch of noise (the Trainer's option;
    the benchmark tables made before the Trainer drew fresh noise used it).
    """

    loss: str = "nonsaturating"
    pack: int = 1
    minibatch_std: bool = False
    n_critic: int = 1
    gp_weight: float = 0.0
    lr: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    batch_size: int = 100
    steps: int = 3000
    lr_decay: bool = True
    latent_dim: int = 2
    g_hidden: tuple[int, ...] = (128, 128, 128, 128)
    g_batch_norm: bool = False
    d_hidden: tuple[int, ...] = (128, 128, 128)
    reuse_fakes: bool = False

    def replace(self, **changes: Any) -> ToyGANSettings:
        """A copy with some fields changed, e.g. ``settings.replace(steps=500)``."""
        return dataclasses.replace(self, **changes)


TOY_METHODS: dict[str, ToyGANSettings] = {
    "GAN": ToyGANSettings(),
    "GAN + MBSD": ToyGANSettings(minibatch_std=True),
    "PacGAN2": ToyGANSettings(pack=2, batch_size=200),
    "PacGAN3": ToyGANSettings(pack=3, batch_size=300),
    "PacGAN4": ToyGANSettings(pack=4, batch_size=400),
    "GAN, batch 400": ToyGANSettings(batch_size=400),
    "GAN, G with BN": ToyGANSettings(g_batch_norm=True),
    "WGAN-GP": ToyGANSettings(loss="wasserstein", n_critic=5, gp_weight=0.1, lr=5e-4,
                              betas=(0.5, 0.9), g_hidden=(256, 256, 256),
                              d_hidden=(256, 256, 256)),
}
"""The methods of the benchmark (``bench/mode_collapse.py``) and of chapter 4, by name.

PacGAN2/3/4 draw ``100 · pack`` samples per batch, so that their discriminator sees 100 packs
of each kind, as in PacGAN; ``"GAN, batch 400"`` is the control that sees as many samples per
step as PacGAN4 without packing them. The generators have no batch norm, except in
``"GAN, G with BN"`` (PacGAN's generator has it): batch norm standardises each batch of
hidden units, which by itself keeps a short run's samples apart (chapter 4, sections 2 and 4).
"""

LONG_TOY_METHODS: dict[str, ToyGANSettings] = {
    "WGAN-GP, 12k steps": TOY_METHODS["WGAN-GP"].replace(steps=12_000),
    "GAN + MBSD, G with BN, batch 200, 20k steps": ToyGANSettings(
        minibatch_std=True, g_batch_norm=True, batch_size=200, steps=20_000),
}
"""Longer runs of the benchmark (``bench/mode_collapse.py --long``), for the course's aims.

A few minutes of one CPU core each instead of seconds: the WGAN-GP row four times longer,
and the minibatch standard deviation combined with batch norm in the generator (the two
best short-run remedies) on batches of 200.
"""


def toy_settings(method: str) -> ToyGANSettings:
    """The settings of a method of :data:`TOY_METHODS` or :data:`LONG_TOY_METHODS`, by name."""
    for registry in (TOY_METHODS, LONG_TOY_METHODS):
        if method in registry:
            return registry[method]
    raise ValueError(f"unknown method {method!r}; expected one of "
                     f"{list(TOY_METHODS) + list(LONG_TOY_METHODS)}")


def build_toy_gan(
    method: str | ToyGANSettings, seed: int = 0, device: str | torch.device = "cpu",
    **changes: Any,
) -> tuple[Trainer, ToyGANSettings]:
    """A :class:`~ganlib.train.Trainer` for 2-D points, set up as ``TOY_METHODS[method]``.

    Args:
        method: a name of :data:`TOY_METHODS` or :data:`LONG_TOY_METHODS`, or a
            :class:`ToyGANSettings`.
        seed: seeds the networks' initial weights (torch's global generator is forked,
            not disturbed) and the trainer's own generators.
        device: where to train.
        **changes: fields of the settings to override, e.g. ``steps=500``.

    Returns:
        ``(trainer, settings)``; train with :func:`train_toy_gan` (which applies the
        learning-rate decay) or ``trainer.fit(data, settings.steps, settings.batch_size)``.
    """
    if isinstance(method, str):
        settings = toy_settings(method)
    elif isinstance(method, ToyGANSettings):
        settings = method
    else:
        raise ValueError(f"method must be a name or a ToyGANSettings, got {type(method).__name__}")
    settings = settings.replace(**changes) if changes else settings
    if settings.batch_size % settings.pack:
        raise ValueError(f"batch_size {settings.batch_size} must be a multiple of pack "
                         f"{settings.pack}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        G = MLPGenerator(settings.latent_dim, (2,), hidden=settings.g_hidden,
                         batch_norm=settings.g_batch_norm)
        if settings.minibatch_std:
            D: nn.Module = MinibatchStdDevDiscriminator((2,), hidden=settings.d_hidden)
        else:
            D = MLPDiscriminator((2,), hidden=settings.d_hidden, pack=settings.pack)
    trainer = Trainer(G, D, loss=settings.loss, n_critic=settings.n_critic,
                      gp_weight=settings.gp_weight, lr=settings.lr, betas=settings.betas,
                      reuse_fakes=settings.reuse_fakes, device=device, seed=seed, n_fixed=1000)
    return trainer, settings


def linear_lr_decay(total_steps: int) -> Callable[[Trainer, dict], None]:
    """A ``Trainer.fit`` callback (log every step) that decays both learning rates linearly.

    After step ``s`` every parameter group's learning rate is ``lr₀ · (1 − s / total_steps)``
    (0 from ``total_steps`` on), with ``lr₀`` read at the first call.
    """
    if not isinstance(total_steps, int) or total_steps < 1:
        raise ValueError(f"total_steps must be a positive int, got {total_steps!r}")
    base: dict[int, float] = {}

    def decay(trainer: Trainer, row: dict) -> None:
        factor = max(0.0, 1.0 - trainer.step / total_steps)
        for opt in (trainer.g_optimizer, trainer.d_optimizer):
            for group in opt.param_groups:
                lr0 = base.setdefault(id(group), group["lr"])
                group["lr"] = lr0 * factor

    return decay


def train_toy_gan(
    method: str | ToyGANSettings,
    data: Any,
    seed: int = 0,
    device: str | torch.device = "cpu",
    snapshot_every: int = 0,
    **changes: Any,
) -> Trainer:
    """Build with :func:`build_toy_gan` and train on ``data`` for ``settings.steps`` steps.

    Args:
        method, seed, device, **changes: as for :func:`build_toy_gan`.
        data: the real distribution, e.g. :func:`ganlib.data.ring2d` ``()``.
        snapshot_every: keep ``G(fixed noise)`` (1,000 points) every this many steps.

    Returns the trained :class:`~ganlib.train.Trainer` (its ``history`` has one row per
    step, its ``elapsed`` the training time in seconds). Score it with
    ``mode_stats(trainer.sample(2500), data)``.
    """
    trainer, settings = build_toy_gan(method, seed, device, **changes)
    callbacks = [linear_lr_decay(settings.steps)] if settings.lr_decay else []
    trainer.fit(data, settings.steps, batch_size=settings.batch_size, callbacks=callbacks,
                snapshot_every=snapshot_every, progress=False)
    return trainer


TOY_DATASETS = ("ring", "grid")
EVAL_SAMPLES = 2500  # generated samples scored per run (PacGAN/VEEGAN protocol)

PACGAN_COLUMNS = ("ring modes", "ring % HQ", "ring rev. KL",
                  "grid modes", "grid % HQ", "grid rev. KL")
"""The columns of :data:`PACGAN_TABLE_1`."""

PACGAN_TABLE_1: dict[str, tuple[str, ...]] = {
    "GAN": ("6.3 ± 0.5", "98.2 ± 0.2", "0.45 ± 0.09", "17.3 ± 0.8", "94.8 ± 0.7", "0.70 ± 0.07"),
    "ALI": ("6.6 ± 0.3", "97.6 ± 0.4", "0.36 ± 0.04", "24.1 ± 0.4", "95.7 ± 0.6", "0.14 ± 0.03"),
    "PacGAN2": ("7.9 ± 0.1", "95.6 ± 2.0", "0.07 ± 0.03", "23.8 ± 0.7", "91.3 ± 0.8",
                "0.13 ± 0.04"),
    "PacGAN3": ("7.8 ± 0.1", "97.7 ± 0.3", "0.10 ± 0.02", "24.6 ± 0.4", "94.2 ± 0.4",
                "0.06 ± 0.02"),
    "PacGAN4": ("7.8 ± 0.1", "95.9 ± 1.4", "0.07 ± 0.02", "24.8 ± 0.2", "93.6 ± 0.6",
                "0.04 ± 0.01"),
}
"""PacGAN's Table 1 (Lin et al. 2018): mean ± standard error over 10 runs of 400 epochs on
100,000 points, one tuple of :data:`PACGAN_COLUMNS` per method."""


def mean_se(values: Sequence[float]) -> tuple[float, float]:
    """Mean and standard error (sample standard deviation / √n; 0 for a single value)."""
    values = [float(v) for v in values]
    n = len(values)
    if n == 0:
        raise ValueError("mean_se needs at least one value, got none")
    mean = sum(values) / n
    if n < 2:
        return mean, 0.0
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, math.sqrt(var / n)


def _toy_data(name: str):
    from .data import grid2d, ring2d

    if name not in TOY_DATASETS:
        raise ValueError(f"dataset must be one of {TOY_DATASETS}, got {name!r}")
    return ring2d() if name == "ring" else grid2d()


def run_toy_method(method: str, dataset: str, seed: int = 0, **changes: Any
                   ) -> dict[str, Any]:
    """Train one method on ``"ring"`` or ``"grid"`` and score :data:`EVAL_SAMPLES` samples.

    Trains on the CPU (with torch's current number of threads; one is fastest for these
    small networks). Returns a dict: ``method``, ``dataset``, ``seed``, ``steps``, the fields of
    :class:`~ganlib.metrics.ModeStats` (``captured``, ``n_modes``, ``high_quality``,
    ``reverse_kl``, ``counts``), ``samples`` (the scored ``(2500, 2)`` tensor),
    ``seconds`` (wall time of the training) and ``cpu_seconds`` (CPU time of this
    process during it: about the wall time on an idle core).
    """
    import time

    from .metrics import mode_stats

    data = _toy_data(dataset)
    wall, cpu = time.perf_counter(), time.process_time()
    trainer = train_toy_gan(method, data, seed=seed, device="cpu", **changes)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    samples = trainer.sample(EVAL_SAMPLES)
    stats = mode_stats(samples, data)
    return {"method": method if isinstance(method, str) else "custom", "dataset": dataset,
            "seed": seed, "steps": trainer.step, "reuse_fakes": trainer.reuse_fakes,
            **stats.as_dict(), "samples": samples,
            "seconds": wall, "cpu_seconds": cpu}


def _run_job(job: tuple[str, str, int, dict[str, Any]]) -> dict[str, Any]:
    """One run in a worker process, on one CPU thread."""
    torch.set_num_threads(1)
    method, dataset, seed, changes = job
    return run_toy_method(method, dataset, seed, **changes)


def run_toy_benchmark(
    methods: Sequence[str] = tuple(TOY_METHODS),
    datasets: Sequence[str] = TOY_DATASETS,
    seeds: Sequence[int] = (0, 1),
    workers: int = 1,
    on_result: Callable[[int, int, dict[str, Any]], None] | None = None,
    skip: Container[tuple[str, str, int]] = (),
    **changes: Any,
) -> list[dict[str, Any]]:
    """Every (method, dataset, seed) of :func:`run_toy_method`, ``workers`` at a time.

    With ``workers > 1`` the runs go to separate processes with one CPU thread each;
    with ``workers=1`` they run here, with torch's current number of threads. Every run
    is seeded: after ``torch.set_num_threads(1)`` the numbers do not depend on
    ``workers``. ``on_result(i, total, result)`` is called as each run finishes. Runs
    whose ``(method, dataset, seed)`` is in ``skip`` are left out (e.g. done already).
    Returns the results sorted by method, dataset and seed.
    """
    costs = {m: toy_settings(m).n_critic * (changes.get("steps") or toy_settings(m).steps)
             for m in methods}
    for d in datasets:
        _toy_data(d)
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive int, got {workers!r}")
    # Slow methods first, so that the end is not one long run on one core.
    order = sorted(methods, key=lambda m: -costs[m])
    jobs = [(m, d, s, changes) for m in order for d in datasets for s in seeds
            if (m, d, s) not in skip]
    results: list[dict[str, Any]] = []

    def collect(result: dict[str, Any]) -> None:
        results.append(result)
        if on_result is not None:
            on_result(len(results), len(jobs), result)

    if workers == 1:
        for m, d, s, ch in jobs:
            collect(run_toy_method(m, d, s, **ch))
    else:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(workers) as pool:
            for result in pool.imap_unordered(_run_job, jobs):
                collect(result)
            pool.close()
            pool.join()
    rank = {m: i for i, m in enumerate(methods)}
    return sorted(results, key=lambda r: (rank[r["method"]], list(datasets).index(r["dataset"]),
                                          r["seed"]))
