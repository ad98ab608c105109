"""One training loop for every chapter.

A :class:`Trainer` owns a generator, a discriminator (or critic), their optimizers, its
own random generators and a :class:`History`. Each *step* of :meth:`Trainer.fit` is
Algorithm 1 of Goodfellow et al. (2014) and of Gulrajani et al. (2017):

1. ``n_critic`` times: a real batch and a batch of noise; one
   :func:`~ganlib.steps.discriminator_step` on the real batch and ``G(z)``;
2. a **fresh** batch of noise and one :func:`~ganlib.steps.generator_step` through the
   updated discriminator (``reuse_fakes=True`` reuses the last critic iteration's fakes
   instead, as PyTorch's DCGAN example does).

The two step functions are the GAN update; this module is the bookkeeping around them:
batches, noise, a history table, snapshots from fixed noise, callbacks, a progress bar,
atomic checkpoints and exact resumption. Faults lose nothing: a step either happens
completely or not at all. Ctrl-C stops at the next step boundary (a second Ctrl-C stops at
once and undoes the step in progress); a loss that is not finite undoes its step and
raises :class:`~ganlib.steps.NonFiniteLossError`.
"""

from __future__ import annotations

import gc
import math
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext, suppress
from dataclasses import asdict, dataclass
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from .batches import Batches
from .checkpoint import (
    CheckpointError,
    check_entries,
    check_module_state,
    cloned,
    load_safely,
    save_atomically,
)
from .conditional import check_labels, conditional_discriminator_step, conditional_generator_step
from .history import COLUMNS, History
from .interrupts import CtrlC
from .losses import LOSSES
from .steps import NonFiniteLossError, discriminator_step, generator_step
from .utils import check_int, check_number, get_device

__all__ = ["COLUMNS", "History", "Speed", "Trainer", "StopTraining", "NonFiniteLossError"]

FORMAT = 2  # of the checkpoint files


class StopTraining(Exception):
    """Raise from a callback to end :meth:`Trainer.fit` early, keeping everything."""


@dataclass(frozen=True)
class Speed:
    """How a :class:`Trainer` computes, all in one place; none of it changes the algorithm.

    Attributes:
        bf16: forward passes under bfloat16 autocast (GPUs with bf16 support; on a CPU
            it runs, usually slower). Losses stay in float32.
        channels_last: image networks and batches in channels-last (NHWC) memory format,
            which tensor cores prefer.
        fused_adam: the default Adam optimizers update all weights in one fused kernel
            (CPU and CUDA; ignored elsewhere and for optimizers you pass yourself).
        compile: ``torch.compile`` both networks (a slow first step; needs a C++
            compiler on the CPU).
    """

    bf16: bool = False
    channels_last: bool = False
    fused_adam: bool = True
    compile: bool = False

    @classmethod
    def fast(cls, device: str | torch.device) -> Speed:
        """What helps on ``device``: bf16 and channels-last on a CUDA GPU with bf16."""
        cuda = get_device(device).type == "cuda"
        return cls(bf16=cuda and torch.cuda.is_bf16_supported(), channels_last=cuda)


def _grad_norm(params: Iterable[nn.Parameter]) -> float:
    grads = [p.grad.detach() for p in params if p.grad is not None]
    if not grads:
        return 0.0
    norms = torch.stack([torch.linalg.vector_norm(g) for g in grads])
    return float(torch.linalg.vector_norm(norms))


_CHECKPOINT_TYPES = {
    "config": dict, "step": int, "elapsed": float, "generator": dict, "discriminator": dict,
    "g_optimizer": dict, "d_optimizer": dict, "data_rng": Tensor, "noise_rng": Tensor,
    "fixed_noise": Tensor, "history": list, "snapshot_steps": list, "snapshot_images": list,
    "data_perm": Tensor, "data_pos": int,
}


class Trainer:
    """Trains a generator against a discriminator (or critic).

    Args:
        generator: maps noise ``(N, latent_dim)`` to samples ``(N, ...)``.
        discriminator: maps samples to logits ``(N,)``.
        loss: ``"minimax"``, ``"nonsaturating"`` (default), ``"lsgan"``,
            ``"wasserstein"`` or ``"hinge"`` (see :mod:`ganlib.losses`).
        latent_dim: size of the noise; read from ``generator.latent_dim`` when omitted.
        n_critic: discriminator updates per generator update.
        gp_weight: λ of the WGAN-GP gradient penalty (0 = none; the paper uses 10).
        r1_weight: γ of the R1 penalty on real data, added to D's loss as γ/2 · E‖∇ₓD(x)‖²
            (0 = none; Mescheder et al. 2018 use 10). Meant for a discriminator without
            batch norm, whose per-sample gradients are then truly per sample (a
            ``UserWarning`` otherwise).
        clip_value: clip the discriminator's weights to ``[-c, c]`` after each update (WGAN).
        reuse_fakes: ``False`` (default): the generator's update draws a fresh batch of
            noise, as Algorithm 1 of both Goodfellow et al. (2014) and Gulrajani et al.
            (2017) does. ``True``: it reuses the fakes of the last critic iteration, as
            PyTorch's DCGAN example does (one forward pass of G fewer per step).
        lr, betas: Adam settings for both networks (DCGAN: 2e-4, (0.5, 0.999); WGAN-GP:
            1e-4, (0.0, 0.9)). ``lr_d`` overrides the discriminator's learning rate.
        g_optimizer, d_optimizer: functions ``params -> torch.optim.Optimizer`` to use
            instead of Adam, e.g. ``lambda p: torch.optim.RMSprop(p, lr=5e-5)``.
        device: ``"auto"``, ``"cpu"``, ``"cuda"``…; the networks are moved there.
        speed: bf16 autocast, channels-last, fused Adam, ``torch.compile``: see
            :class:`Speed` (``Speed.fast(device)`` picks what helps on a GPU).
        n_fixed: size of the fixed noise batch used for progress snapshots.
        seed: seed of the trainer's own generators (data order, noise, α of the penalty).
        n_classes: train a **conditional** GAN over this many classes (None: unconditional).
            The data must be labelled (a ``TensorDataset`` of samples and labels, such as
            :func:`ganlib.data.load_mnist`'s, or a loader of ``(samples, labels)``); the
            generator is called ``G(z, y)`` and the discriminator ``D(x, y)``. D's fakes are
            generated for the real batch's labels (both halves of its batch hold the same
            classes; the gradient penalty needs it); G's update asks for labels drawn
            uniformly from the classes. The fixed noise comes with the labels 0, 1, …, K−1
            repeated. See :mod:`ganlib.conditional`.
        aux_weight: AC-GAN (Odena et al. 2017): the discriminator is called ``D(x)`` and
            returns ``(logits, class_logits)``; both losses add ``aux_weight`` × the class
            cross-entropy (the paper's weight is 1). Needs ``n_classes``.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        *,
        loss: str = "nonsaturating",
        latent_dim: int | None = None,
        n_critic: int = 1,
        gp_weight: float = 0.0,
        r1_weight: float = 0.0,
        clip_value: float | None = None,
        reuse_fakes: bool = False,
        lr: float = 2e-4,
        betas: tuple[float, float] = (0.5, 0.999),
        lr_d: float | None = None,
        g_optimizer: Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer] | None = None,
        d_optimizer: Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer] | None = None,
        device: str | torch.device = "auto",
        speed: Speed | None = None,
        n_fixed: int = 64,
        seed: int = 0,
        n_classes: int | None = None,
        aux_weight: float = 0.0,
    ) -> None:
        for name, net in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(net, nn.Module):
                raise TypeError(f"{name} must be a torch.nn.Module, got {type(net).__name__}")
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {loss!r}")
        self.n_critic = check_int("n_critic", n_critic)
        self.gp_weight = check_number("gp_weight", gp_weight)
        self.r1_weight = check_number("r1_weight", r1_weight)
        self.clip_value = None if clip_value is None else check_number("clip_value", clip_value,
                                                                   positive=True)
        lr = check_number("lr", lr, positive=True)
        lr_d = lr if lr_d is None else check_number("lr_d", lr_d, positive=True)
        if (not isinstance(betas, tuple | list) or len(betas) != 2
                or not all(isinstance(b, Real) and not isinstance(b, bool) and 0 <= b < 1
                           for b in betas)):
            raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}")
        if not isinstance(reuse_fakes, bool):
            raise ValueError(f"reuse_fakes must be True or False, got {reuse_fakes!r}")
        speed = Speed() if speed is None else speed
        if not isinstance(speed, Speed):
            raise TypeError(f"speed must be a ganlib.train.Speed, got {type(speed).__name__}")
        self.n_classes = None if n_classes is None else check_int("n_classes", n_classes,
                                                                   minimum=2)
        self.aux_weight = check_number("aux_weight", aux_weight)
        if self.n_classes is None and self.aux_weight > 0:
            raise ValueError(f"aux_weight={aux_weight} (AC-GAN) needs labels: pass n_classes")
        if self.n_classes is not None and (self.r1_weight > 0 or self.clip_value is not None):
            raise ValueError("a conditional Trainer (n_classes given) supports the gradient "
                             "penalty but not r1_weight or clip_value")
        if self.r1_weight > 0 and any(isinstance(m, nn.modules.batchnorm._BatchNorm)
                                      for m in discriminator.modules()):
            warnings.warn(
                "r1_weight > 0 with a discriminator that uses batch norm: each sample's logit "
                "then depends on the whole batch, so the R1 penalty no longer measures each "
                "sample's own gradient; use a discriminator without batch norm (e.g. "
                "DCGANDiscriminator(..., norm='none'))", stacklevel=2)
        if latent_dim is None:
            latent_dim = getattr(generator, "latent_dim", None)
        if not isinstance(latent_dim, Integral) or isinstance(latent_dim, bool) or latent_dim < 1:
            raise ValueError(
                "latent_dim must be a positive int (pass latent_dim= or give the generator a "
                f"latent_dim attribute), got {latent_dim!r}")
        latent_dim = int(latent_dim)
        n_fixed = check_int("n_fixed", n_fixed)
        self.seed = check_int("seed", seed, minimum=0)
        self.device = get_device(device)
        self.loss, self.latent_dim = loss, latent_dim
        self.reuse_fakes, self.speed = reuse_fakes, speed
        fmt = torch.channels_last if speed.channels_last else torch.contiguous_format
        self.generator = generator.to(self.device, memory_format=fmt)
        self.discriminator = discriminator.to(self.device, memory_format=fmt)
        if speed.compile:
            self.generator.compile()
            self.discriminator.compile()
        fused = speed.fused_adam and self.device.type in ("cpu", "cuda")
        self.g_optimizer = (g_optimizer or (
            lambda p: torch.optim.Adam(p, lr=lr, betas=tuple(betas), fused=fused)
        ))(self.generator.parameters())
        self.d_optimizer = (d_optimizer or (
            lambda p: torch.optim.Adam(p, lr=lr_d, betas=tuple(betas), fused=fused)
        ))(self.discriminator.parameters())
        # torch's optimizer constructor leaves a reference cycle of stack frames behind, and
        # those frames reach this __init__'s `self`: without this young-generation collection
        # every trainer (models, optimizer state, data) would outlive its last reference until
        # Python's next full collection, and ten trainers in a row could exhaust Binder's 2 GB.
        gc.collect(1)
        self.data_rng = torch.Generator().manual_seed(seed)
        self.noise_rng = torch.Generator(device=self.device).manual_seed(seed + 1)
        self.fixed_noise = torch.randn(
            n_fixed, latent_dim, generator=torch.Generator().manual_seed(seed + 2)
        ).to(self.device)
        self.fixed_labels = (None if self.n_classes is None else
                             torch.arange(n_fixed, device=self.device) % self.n_classes)
        self.history = History()
        self.snapshots: list[tuple[int, Tensor]] = []
        self.step = 0
        self.elapsed = 0.0
        self.interrupted = False
        self._batches = Batches(self.data_rng)
        self._phase = ""  # which part of the step runs, for error messages

    # ------------------------------------------------------------------ sampling
    def noise(self, n: int) -> Tensor:
        """Noise ``(n, latent_dim)`` from the trainer's generator, on its device."""
        return torch.randn(n, self.latent_dim, generator=self.noise_rng, device=self.device)

    def random_labels(self, n: int) -> Tensor:
        """Labels ``(n,)`` drawn uniformly from the classes with the trainer's generator."""
        return torch.randint(self.n_classes, (n,), generator=self.noise_rng, device=self.device)

    def _generate(self, z: Tensor, labels: Tensor | None) -> Tensor:
        return self.generator(z) if self.n_classes is None else self.generator(z, labels)

    @torch.no_grad()
    def sample(self, n: int | None = None, z: Tensor | None = None,
               labels: Tensor | None = None) -> Tensor:
        """Generated samples on the CPU: from ``z``, or from ``n`` fresh noise vectors.

        A conditional trainer's samples are of classes ``labels`` ``(N,)`` (default: 0, 1,
        …, K−1 repeated). The generator runs in eval mode (batch norm uses its running
        statistics) and returns to its previous mode afterwards. Training's random state
        is not touched.
        """
        if z is None:
            if n is None:
                raise ValueError("give either n (a number of samples) or z (a noise batch)")
            z = torch.randn(n, self.latent_dim, generator=torch.Generator().manual_seed(
                self.seed + 3 + self.step)).to(self.device)
        if self.n_classes is None:
            if labels is not None:
                raise ValueError("labels are for a conditional trainer (n_classes given)")
        else:
            labels = (torch.arange(len(z)) % self.n_classes if labels is None else labels)
            check_labels(labels, len(z), self.n_classes, "labels (one per noise vector)")
            labels = labels.to(self.device)
        was_training = self.generator.training
        self.generator.eval()
        try:
            with self._autocast():
                out = self._generate(z.to(self.device), labels)
        finally:
            self.generator.train(was_training)
        return out.float().cpu()

    def _autocast(self):
        if not self.speed.bf16:
            return nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)

    def _prepare(self, x: Tensor) -> Tensor:
        """A real batch checked once, then moved to the device in the networks' dtype."""
        if not isinstance(x, Tensor):
            raise TypeError(f"a batch of real samples must be a tensor, got {type(x).__name__}")
        if not x.is_floating_point():
            raise ValueError(
                f"the real samples have dtype {x.dtype}; the networks need floating-point "
                "samples: scale images to [-1, 1] float32 (e.g. x.float() / 127.5 - 1 for "
                "uint8 pixels, or ganlib.data.load_mnist, which does it)")
        dtype = next(self.generator.parameters()).dtype
        x = x.to(self.device, dtype, non_blocking=True)
        if self.speed.channels_last and x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def _labels(self, labels: Tensor, n: int) -> Tensor:
        """A real batch's labels, checked, on the device."""
        check_labels(labels, n, self.n_classes, "the data's labels")
        return labels.to(self.device, non_blocking=True)

    def _check_batch(self, real: Tensor) -> None:
        with torch.no_grad():
            was = self.generator.training
            self.generator.eval()
            try:
                fake = self._generate(self.fixed_noise[:2], None if self.fixed_labels is None
                                      else self.fixed_labels[:2])
            finally:
                self.generator.train(was)
        if tuple(fake.shape[1:]) != tuple(real.shape[1:]):
            raise ValueError(
                f"the generator makes samples of shape {tuple(fake.shape[1:])} but the data has "
                f"samples of shape {tuple(real.shape[1:])}")

    # ------------------------------------------------------------------ training
    def fit(
        self,
        data: Any,
        steps: int,
        batch_size: int = 64,
        *,
        log_every: int = 1,
        snapshot_every: int = 0,
        callbacks: Sequence[Callable[[Trainer, dict[str, float]], None]] = (),
        progress: bool = True,
        checkpoint: str | Path | None = None,
        checkpoint_every: int = 0,
    ) -> History:
        """Run ``steps`` more generator updates; returns the (growing) history.

        Args:
            data: real samples: a tensor or NumPy array ``(N, ...)`` (floating point; other
                precisions are converted to the networks' dtype), a ``TensorDataset`` (its
                first tensor), a distribution with ``.sample(n, generator)``, or an
                iterable of batches (a ``DataLoader``; its order is not restored on resume).
            steps: generator updates to run now (added to those already run).
            batch_size: samples per batch (with a ``DataLoader``, the same as its own).
            log_every: add a history row (and call the callbacks) every this many steps,
                and after the last one.
            snapshot_every: keep ``G(fixed_noise)`` every this many steps in
                ``self.snapshots`` (0 = never).
            callbacks: functions ``(trainer, row)`` called after each logged row; raise
                :class:`StopTraining` to end early.
            progress: show a ``tqdm`` progress bar (a widget in Jupyter).
            checkpoint: file to save to every ``checkpoint_every`` steps (0 = only at the
                end), at the end, on Ctrl-C and when a fault stops training.

        Ctrl-C stops after the step in progress and returns the history (``interrupted``
        is then True); a second Ctrl-C stops at once and undoes that step. A loss that is
        not finite undoes its step and raises :class:`NonFiniteLossError`.
        """
        from tqdm.auto import tqdm

        steps = check_int("steps", steps)
        batch_size = check_int("batch_size", batch_size)
        log_every = check_int("log_every", log_every)
        snapshot_every = check_int("snapshot_every", snapshot_every, minimum=0)
        checkpoint_every = check_int("checkpoint_every", checkpoint_every, minimum=0)
        if checkpoint_every and checkpoint is None:
            raise ValueError(f"checkpoint_every={checkpoint_every} needs a file: pass "
                             "checkpoint='run.pt'")
        self._batches.bind(data, batch_size, labelled=self.n_classes is not None)
        if self._batches.labels is not None:  # all of them, once
            self._labels(self._batches.labels, len(self._batches.labels))
        if self._batches.tensor is not None:  # before any work; other sources: first batch
            self._check_batch(self._prepare(self._batches.tensor[:2]))
            self._batches.checked = True
        if snapshot_every and not self.snapshots:
            self.snapshots.append((self.step, self.sample(z=self.fixed_noise)))
        self.interrupted = False
        end = self.step + steps
        bar = tqdm(total=steps, disable=not progress, desc="training", unit="step",
                   dynamic_ncols=True)
        started = time.perf_counter() - self.elapsed
        with CtrlC() as ctrl_c:
            try:
                while self.step < end and not ctrl_c.pressed:
                    log = (self.step + 1) % log_every == 0 or self.step + 1 == end
                    row = self._advance(log, snapshot_every, started, ctrl_c)
                    bar.update(1)
                    if row is not None:
                        bar.set_postfix(d_loss=f"{row['d_loss']:.3f}",
                                        g_loss=f"{row['g_loss']:.3f}", refresh=False)
                        for callback in callbacks:
                            callback(self, row)
                    if checkpoint_every and self.step % checkpoint_every == 0:
                        with ctrl_c.shield():
                            self.save(checkpoint)
            except StopTraining:
                pass
            except KeyboardInterrupt:
                self.interrupted = True
            except BaseException:
                if checkpoint is not None:  # the state is consistent: keep it
                    with suppress(Exception), ctrl_c.shield():
                        self.save(checkpoint)
                raise
            finally:
                bar.close()
            self.interrupted = self.interrupted or bool(ctrl_c.pressed)
            if self.interrupted:
                print(f"Interrupted at step {self.step}: the models, optimizers, random state "
                      "and history are those of that step (call fit again to continue).")
            if checkpoint is not None:
                with ctrl_c.shield():
                    self.save(checkpoint)
        return self.history

    def _advance(self, log: bool, snapshot_every: int, started: float,
                 ctrl_c: CtrlC) -> dict[str, float] | None:
        """One whole step, or none of it: on any error the step is undone.

        Only what the critic's updates change is copied beforehand (D, its optimizer,
        batch-norm buffers, random state): G's weights change in the step's last update,
        and from there on a second Ctrl-C waits for the step to end.
        """
        before = self._capture()
        try:
            with torch.enable_grad():
                d, fake, labels = self._critic_updates()
                with ctrl_c.shield():
                    g_loss = self._generator_update(fake, labels)
                    row = self._row(d, g_loss) if log else None
                    self.step += 1
                    self.elapsed = time.perf_counter() - started
                    if row is not None:
                        row["step"], row["time"] = float(self.step), self.elapsed
                        self.history.append(row)
                    if snapshot_every and self.step % snapshot_every == 0:
                        self.snapshots.append((self.step, self.sample(z=self.fixed_noise)))
        except BaseException as err:
            with ctrl_c.shield():
                self._restore(before)
            if isinstance(err, NonFiniteLossError):
                rewound = ("data position" if self._batches.loader is None
                           else "data position (but not the DataLoader's)")
                raise NonFiniteLossError(err.which, err.value, self.step + 1, detail=(
                    f"It happened in the {self._phase}. The step was undone: the models, "
                    f"optimizers, random generators and {rewound} are those after step "
                    f"{self.step}, and the history ends there. Lower the learning rate, check "
                    "the data range, or use a numerically stable loss.")) from None
            raise
        return row

    def _critic_updates(self) -> tuple[dict[str, Tensor], Tensor, Tensor | None]:
        """Algorithm 1's inner loop: ``n_critic`` updates of D, each on new real and fake
        batches. Returns the last update's statistics and, with ``reuse_fakes``, its fakes
        (and, for a conditional GAN, their labels)."""
        D, labels = self.discriminator, None
        for i in range(self.n_critic):
            self._phase = (f"critic iteration {i + 1} of {self.n_critic}" if self.n_critic > 1
                           else "discriminator's update")
            if self.n_classes is None:
                real = self._batches.next(self._prepare)
            else:
                real, labels = self._batches.next_labelled(self._prepare)
                labels = self._labels(labels, len(real))
            if not self._batches.checked:  # a loader's or sampler's first batch
                self._check_batch(real)
                self._batches.checked = True
            keep_graph = self.reuse_fakes and i == self.n_critic - 1
            with self._autocast(), torch.set_grad_enabled(keep_graph):
                fake = self._generate(self.noise(len(real)), labels)  # for the real labels
            if labels is None:
                d = discriminator_step(
                    D, self.d_optimizer, real, fake, loss=self.loss, gp_weight=self.gp_weight,
                    r1_weight=self.r1_weight, clip_value=self.clip_value, rng=self.noise_rng,
                    autocast=self._autocast)
            else:
                d = conditional_discriminator_step(
                    D, self.d_optimizer, real, labels, fake, labels, loss=self.loss,
                    aux_weight=self.aux_weight, gp_weight=self.gp_weight, rng=self.noise_rng,
                    autocast=self._autocast)
        return d, fake, labels

    def _generator_update(self, fake: Tensor, labels: Tensor | None) -> Tensor:
        """One update of G: on a fresh batch of noise (and, for a conditional GAN, of labels
        drawn uniformly), as in both papers; or on ``fake``, the last critic iteration's
        fakes, with ``reuse_fakes``."""
        self._phase = "generator's update"
        if not self.reuse_fakes:
            if labels is not None:
                labels = self.random_labels(len(fake))
            with self._autocast():
                fake = self._generate(self.noise(len(fake)), labels)
        if labels is None:
            return generator_step(self.discriminator, self.g_optimizer, fake, loss=self.loss,
                                  autocast=self._autocast)
        return conditional_generator_step(self.discriminator, self.g_optimizer, fake, labels,
                                          loss=self.loss, aux_weight=self.aux_weight,
                                          autocast=self._autocast)

    def _row(self, d: dict[str, Tensor], g_loss: Tensor) -> dict[str, float]:
        squash = torch.sigmoid if self.loss in ("minimax", "nonsaturating") else (lambda t: t)
        return {
            "d_loss": float(d["loss"]),
            "g_loss": float(g_loss),
            "d_real": float(squash(d["real_logits"]).mean()),
            "d_fake": float(squash(d["fake_logits"]).mean()),
            "gp": float(d["gp"]) if "gp" in d else math.nan,
            "gp_grad_norm": float(d["gp_norms"].mean()) if "gp_norms" in d else math.nan,
            "r1": float(d["r1"]) if "r1" in d else math.nan,
            "d_grad_norm": _grad_norm(self.discriminator.parameters()),
            "g_grad_norm": _grad_norm(self.generator.parameters()),
        }

    # ---------------------------------------------------------- undoing a step
    def _capture(self, generator: bool = False) -> dict[str, Any]:
        """Copies of what a step changes before G's update (the history only grows);
        with ``generator=True`` also G's weights and optimizer."""
        G = self.generator
        return {
            "generator": cloned(G.state_dict() if generator else dict(G.named_buffers())),
            "discriminator": cloned(self.discriminator.state_dict()),
            "g_optimizer": cloned(self.g_optimizer.state_dict()) if generator else None,
            "d_optimizer": cloned(self.d_optimizer.state_dict()),
            "data_rng": self.data_rng.get_state(),
            "noise_rng": self.noise_rng.get_state(),
            "data_perm": self._batches.perm,  # replaced, never changed in place
            "data_pos": self._batches.pos,
            "step": self.step,
            "elapsed": self.elapsed,
            "n_rows": len(self.history),
            "n_snapshots": len(self.snapshots),
        }

    def _restore(self, saved: dict[str, Any]) -> None:
        self.generator.load_state_dict(saved["generator"],
                                       strict=saved["g_optimizer"] is not None)
        self.discriminator.load_state_dict(saved["discriminator"])
        if saved["g_optimizer"] is not None:
            self.g_optimizer.load_state_dict(saved["g_optimizer"])
        self.d_optimizer.load_state_dict(saved["d_optimizer"])
        self.data_rng.set_state(saved["data_rng"])
        self.noise_rng.set_state(saved["noise_rng"])
        self._batches.perm, self._batches.pos = saved["data_perm"], saved["data_pos"]
        self.step, self.elapsed = saved["step"], saved["elapsed"]
        del self.history.rows[saved["n_rows"]:]
        del self.snapshots[saved["n_snapshots"]:]

    # ---------------------------------------------------------------- checkpoints
    def _config(self) -> dict[str, Any]:
        """The settings a checkpoint must agree with to be resumed by this trainer."""
        return {"loss": self.loss, "latent_dim": self.latent_dim, "n_classes": self.n_classes,
                "g_optimizer": type(self.g_optimizer).__name__,
                "d_optimizer": type(self.d_optimizer).__name__,
                "noise_device": self.noise_rng.device.type}

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly where training stands (CPU tensors)."""
        return {
            "format": FORMAT,
            "config": self._config(),
            "settings": {"n_critic": self.n_critic, "gp_weight": self.gp_weight,
                         "r1_weight": self.r1_weight, "clip_value": self.clip_value,
                         "reuse_fakes": self.reuse_fakes, "aux_weight": self.aux_weight,
                         "speed": asdict(self.speed)},
            "step": self.step,
            "elapsed": self.elapsed,
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "g_optimizer": self.g_optimizer.state_dict(),
            "d_optimizer": self.d_optimizer.state_dict(),
            "data_rng": self.data_rng.get_state(),
            "noise_rng": self.noise_rng.get_state(),
            "fixed_noise": self.fixed_noise.cpu(),
            "history": self.history.rows,
            "snapshot_steps": [s for s, _ in self.snapshots],
            "snapshot_images": [x for _, x in self.snapshots],
            "data_perm": self._batches.perm,
            "data_pos": self._batches.pos,
        }

    def save(self, path: str | Path) -> Path:
        """Write a checkpoint atomically (see :func:`ganlib.checkpoint.save_atomically`)."""
        return save_atomically(self.state_dict(), path)

    def load(self, path: str | Path) -> Trainer:
        """Restore a checkpoint written by :meth:`save` (read with ``weights_only=True``).

        The whole file is checked before anything is assigned: architectures and shapes,
        latent size, loss, optimizer types. Any error leaves the trainer exactly as it was.

        Raises:
            FileNotFoundError: no file at ``path``.
            ganlib.checkpoint.CheckpointError: the file is empty, damaged or not a ganlib
                checkpoint (a ``ValueError``).
            ValueError: the checkpoint does not fit this trainer (the message says how).
            pickle.UnpicklingError: the file holds objects that could run code.
        """
        state = load_safely(path, "ganlib checkpoint")
        check_entries(state, path, FORMAT, _CHECKPOINT_TYPES)
        mismatches = [
            f"{key} {theirs!r} in the checkpoint, {ours!r} in this trainer"
            for key, ours in self._config().items()
            if (theirs := state["config"].get(key)) != ours
        ]
        if mismatches:
            raise ValueError(f"{path} was written by a different set-up: "
                             + "; ".join(mismatches) + ". Make the Trainer as that run did.")
        check_module_state(self.generator, state["generator"], "generator", path)
        check_module_state(self.discriminator, state["discriminator"], "discriminator", path)
        before = self._capture(generator=True)
        history, snapshots, fixed_noise = self.history, self.snapshots, self.fixed_noise
        try:
            self.generator.load_state_dict(state["generator"])
            self.discriminator.load_state_dict(state["discriminator"])
            self.g_optimizer.load_state_dict(state["g_optimizer"])
            self.d_optimizer.load_state_dict(state["d_optimizer"])
            self.data_rng.set_state(state["data_rng"])
            self.noise_rng.set_state(state["noise_rng"])
            self.fixed_noise = state["fixed_noise"].to(self.device)
            self.history = History(state["history"])
            self.snapshots = list(zip(state["snapshot_steps"], state["snapshot_images"],
                                      strict=True))
            self.step, self.elapsed = int(state["step"]), float(state["elapsed"])
            self._batches.perm, self._batches.pos = state["data_perm"], int(state["data_pos"])
        except Exception as err:
            self._restore(before)
            self.history, self.snapshots, self.fixed_noise = history, snapshots, fixed_noise
            raise CheckpointError(f"{path} could not be loaded into this trainer, which is "
                                  f"unchanged: {type(err).__name__}: {err}") from err
        return self


