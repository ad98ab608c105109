"""One training loop for every chapter.

A :class:`Trainer` owns a generator, a discriminator (or critic), their optimizers, its
own random generators and a :class:`History`. :meth:`Trainer.fit` alternates
``n_critic`` discriminator updates with one generator update per *step*:

1. draw a real batch and a noise batch; the discriminator learns on the real batch and
   on the generator's output **detached** from the generator's graph;
2. the generator learns from the discriminator's verdict on the same fakes.

It covers the course's variants — minimax, non-saturating, least-squares, Wasserstein and
hinge losses, ``n_critic``, weight clipping (WGAN) and the gradient penalty (WGAN-GP) —
and keeps everything a long run needs: a progress bar, snapshots from fixed noise,
callbacks, atomic checkpoints, exact resumption, and graceful stops on Ctrl-C or on a
loss that stops being finite.
"""

from __future__ import annotations

import inspect
import math
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, TensorDataset

from .losses import LOSSES, gradient_penalty, r1_penalty
from .utils import get_device

__all__ = ["History", "Trainer", "train", "StopTraining", "NonFiniteLossError"]

COLUMNS = (
    "step", "time", "d_loss", "g_loss", "d_real", "d_fake",
    "gp", "gp_grad_norm", "r1", "d_grad_norm", "g_grad_norm",
)


class StopTraining(Exception):
    """Raise from a callback to end :meth:`Trainer.fit` early, keeping everything."""


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite; no update was made with it."""

    def __init__(self, which: str, value: float, step: int) -> None:
        super().__init__(
            f"the {which} loss became {value} at step {step}; no update was made with it. "
            f"The models and the history hold the last good step ({step - 1}). "
            "Lower the learning rate, check the data range, or use a numerically stable loss."
        )
        self.step = step


class History:
    """Training statistics, one row per logged step; use it as a table.

    Columns: ``step`` (generator updates so far), ``time`` (seconds of training),
    ``d_loss``/``g_loss``, ``d_real``/``d_fake`` (mean D(x) and D(G(z)) as probabilities
    for the minimax and non-saturating losses, mean raw outputs for the others), ``gp``
    and ``gp_grad_norm`` (penalty and mean gradient norm at the interpolates, NaN without
    a penalty), ``r1`` (R1 penalty, the mean ‖∇ₓD(x)‖² on real data, NaN without it),
    ``d_grad_norm``/``g_grad_norm`` (total L2 norm of each network's gradient).
    """

    def __init__(self, rows: Iterable[dict[str, float]] = ()) -> None:
        self.rows: list[dict[str, float]] = [dict(r) for r in rows]

    def append(self, row: dict[str, float]) -> None:
        self.rows.append(dict(row))

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, column: str) -> np.ndarray:
        if column not in COLUMNS:
            raise KeyError(f"no column {column!r}; columns are {COLUMNS}")
        return np.array([r[column] for r in self.rows], dtype=float)

    @property
    def columns(self) -> tuple[str, ...]:
        return COLUMNS

    def last(self) -> dict[str, float]:
        if not self.rows:
            raise IndexError("the history is empty: no step has been logged yet")
        return dict(self.rows[-1])

    def to_pandas(self):
        """The history as a ``pandas.DataFrame`` indexed by step."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(COLUMNS)).set_index("step")

    def __repr__(self) -> str:
        if not self.rows:
            return "History(empty)"
        last = self.rows[-1]
        return (f"History({len(self)} rows, last step {int(last['step'])}: "
                f"d_loss={last['d_loss']:.4f}, g_loss={last['g_loss']:.4f})")


def _grad_norm(params: Iterable[nn.Parameter]) -> float:
    grads = [p.grad.detach() for p in params if p.grad is not None]
    if not grads:
        return 0.0
    norms = torch.stack([torch.linalg.vector_norm(g) for g in grads])
    return float(torch.linalg.vector_norm(norms))


class _Batches:
    """Endless real batches from a tensor, a TensorDataset, a sampler or any loader.

    Tensors are shuffled epoch by epoch with the trainer's own generator, so a resumed
    run draws exactly the batches the uninterrupted run would.
    """

    def __init__(self, data: Any, batch_size: int, rng: torch.Generator) -> None:
        self.rng = rng
        self.batch_size = batch_size
        self.tensor: Tensor | None = None
        self.sampler = None
        self.loader: Iterable | None = None
        self._iter: Iterator | None = None
        if isinstance(data, TensorDataset):
            data = data.tensors[0]
        if isinstance(data, Tensor):
            if data.ndim < 2:
                raise ValueError(f"expected data of shape (N, ...), got {tuple(data.shape)}")
            if len(data) < batch_size:
                raise ValueError(
                    f"batch_size {batch_size} is larger than the data set ({len(data)} samples)"
                )
            self.tensor = data
        elif callable(getattr(data, "sample", None)):
            self.sampler = data
        elif isinstance(data, DataLoader | Iterable):
            own = getattr(data, "batch_size", None)  # a DataLoader's; None with a batch sampler
            if own is not None and own != batch_size:
                raise ValueError(f"the DataLoader yields batches of {own} but fit's batch_size is "
                                 f"{batch_size}: pass the same number to both")
            self.loader = data
        else:
            raise TypeError(
                "data must be a tensor (N, ...), a TensorDataset, an object with "
                f".sample(n, generator) or an iterable of batches, got {type(data).__name__}"
            )
        self.perm = torch.empty(0, dtype=torch.long)
        self.pos = 0
        self.shapes_checked = False  # against the generator's samples, on the first batch

    def next(self) -> Tensor:
        if self.tensor is not None:
            if self.pos + self.batch_size > len(self.perm):
                self.perm = torch.randperm(len(self.tensor), generator=self.rng)
                self.pos = 0
            idx = self.perm[self.pos : self.pos + self.batch_size]
            self.pos += self.batch_size
            return self.tensor[idx.to(self.tensor.device)]
        if self.sampler is not None:
            return self.sampler.sample(self.batch_size, generator=self.rng)
        for _ in range(2):
            if self._iter is None:
                self._iter = iter(self.loader)
            try:
                batch = next(self._iter)
            except StopIteration:
                self._iter = None
                continue
            return batch[0] if isinstance(batch, list | tuple) else batch
        raise ValueError("the data loader yielded no batch")


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
        lr, betas: Adam settings for both networks (DCGAN: 2e-4, (0.5, 0.999); WGAN-GP:
            1e-4, (0.0, 0.9)). ``lr_d`` overrides the discriminator's learning rate.
        g_optimizer, d_optimizer: functions ``params -> torch.optim.Optimizer`` to use
            instead of Adam, e.g. ``lambda p: torch.optim.RMSprop(p, lr=5e-5)``.
        device: ``"auto"``, ``"cpu"``, ``"cuda"``…; the networks are moved there.
        bf16: run forward passes under bfloat16 autocast (for GPUs with bf16 support).
        channels_last: store image networks and batches in channels-last memory format.
        n_fixed: size of the fixed noise batch used for progress snapshots.
        seed: seed of the trainer's own generators (data order, noise, α of the penalty).
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
        lr: float = 2e-4,
        betas: tuple[float, float] = (0.5, 0.999),
        lr_d: float | None = None,
        g_optimizer: Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer] | None = None,
        d_optimizer: Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer] | None = None,
        device: str | torch.device = "auto",
        bf16: bool = False,
        channels_last: bool = False,
        n_fixed: int = 64,
        seed: int = 0,
    ) -> None:
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {loss!r}")
        if not isinstance(n_critic, int) or n_critic < 1:
            raise ValueError(f"n_critic must be a positive int, got {n_critic!r}")
        if gp_weight < 0:
            raise ValueError(f"gp_weight must be >= 0, got {gp_weight!r}")
        if r1_weight < 0:
            raise ValueError(f"r1_weight must be >= 0, got {r1_weight!r}")
        if r1_weight > 0 and any(isinstance(m, nn.modules.batchnorm._BatchNorm)
                                 for m in discriminator.modules()):
            warnings.warn(
                "r1_weight > 0 with a discriminator that uses batch norm: each sample's logit "
                "then depends on the whole batch, so the R1 penalty no longer measures each "
                "sample's own gradient; use a discriminator without batch norm (e.g. "
                "DCGANDiscriminator(..., norm='none'))", stacklevel=2)
        if clip_value is not None and clip_value <= 0:
            raise ValueError(f"clip_value must be positive or None, got {clip_value!r}")
        if latent_dim is None:
            latent_dim = getattr(generator, "latent_dim", None)
        if not isinstance(latent_dim, int) or latent_dim < 1:
            raise ValueError(
                "latent_dim must be a positive int (pass latent_dim= or give the generator a "
                f"latent_dim attribute), got {latent_dim!r}"
            )
        self.device = get_device(device)
        self.loss = loss
        self.latent_dim = latent_dim
        self.n_critic = n_critic
        self.gp_weight = float(gp_weight)
        self.r1_weight = float(r1_weight)
        self.clip_value = clip_value
        self.bf16 = bf16
        self.channels_last = channels_last
        self.seed = seed
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        self.generator = generator.to(self.device, memory_format=fmt)
        self.discriminator = discriminator.to(self.device, memory_format=fmt)
        fused = self.device.type in ("cpu", "cuda")  # fused Adam: fewer kernel launches
        self.g_optimizer = (g_optimizer or (
            lambda p: torch.optim.Adam(p, lr=lr, betas=betas, fused=fused)
        ))(self.generator.parameters())
        self.d_optimizer = (d_optimizer or (
            lambda p: torch.optim.Adam(p, lr=lr if lr_d is None else lr_d, betas=betas, fused=fused)
        ))(self.discriminator.parameters())
        self.data_rng = torch.Generator().manual_seed(seed)
        self.noise_rng = torch.Generator(device=self.device).manual_seed(seed + 1)
        self.fixed_noise = torch.randn(
            n_fixed, latent_dim, generator=torch.Generator().manual_seed(seed + 2)
        ).to(self.device)
        self.history = History()
        self.snapshots: list[tuple[int, Tensor]] = []
        self.step = 0
        self.elapsed = 0.0
        self.interrupted = False
        self._batches: _Batches | None = None
        self._d_loss, self._g_loss = LOSSES[loss]
        self._probabilities = loss in ("minimax", "nonsaturating")

    # ------------------------------------------------------------------ sampling
    def noise(self, n: int) -> Tensor:
        """Noise ``(n, latent_dim)`` from the trainer's generator, on its device."""
        return torch.randn(n, self.latent_dim, generator=self.noise_rng, device=self.device)

    @torch.no_grad()
    def sample(self, n: int | None = None, z: Tensor | None = None) -> Tensor:
        """Generated samples on the CPU: from ``z``, or from ``n`` fresh noise vectors.

        The generator runs in eval mode (batch norm uses its running statistics) and
        returns to its previous mode afterwards.
        """
        if z is None:
            if n is None:
                raise ValueError("give either n (a number of samples) or z (a noise batch)")
            z = torch.randn(n, self.latent_dim, generator=torch.Generator().manual_seed(
                self.seed + 3 + self.step)).to(self.device)
        was_training = self.generator.training
        self.generator.eval()
        try:
            with self._autocast():
                out = self.generator(z.to(self.device))
        finally:
            self.generator.train(was_training)
        return out.float().cpu()

    def _autocast(self):
        if not self.bf16:
            return nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)

    def _to_device(self, x: Tensor) -> Tensor:
        x = x.to(self.device, non_blocking=True)
        if self.channels_last and x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def _check_shapes(self, real: Tensor) -> None:
        with torch.no_grad():
            was = self.generator.training
            self.generator.eval()
            try:
                fake = self.generator(self.fixed_noise[:2])
            finally:
                self.generator.train(was)
        if tuple(fake.shape[1:]) != tuple(real.shape[1:]):
            raise ValueError(
                f"the generator makes samples of shape {tuple(fake.shape[1:])} but the data has "
                f"samples of shape {tuple(real.shape[1:])}"
            )

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
        checkpoint: str | os.PathLike | None = None,
        checkpoint_every: int = 0,
    ) -> History:
        """Run ``steps`` more generator updates; returns the (growing) history.

        Args:
            data: real samples: a tensor ``(N, ...)``, a ``TensorDataset`` (its first
                tensor), a distribution with ``.sample(n, generator)``, or an iterable of
                batches (a ``DataLoader``; its order is not restored on resume).
            steps: generator updates to run now (added to those already run).
            batch_size: samples per batch (with a ``DataLoader``, the same as its own).
            log_every: add a history row (and call the callbacks) every this many steps.
            snapshot_every: keep ``G(fixed_noise)`` every this many steps in
                ``self.snapshots`` (0 = never).
            callbacks: functions ``(trainer, row)`` called after each logged row; raise
                :class:`StopTraining` to end early.
            progress: show a ``tqdm`` progress bar (a widget in Jupyter).
            checkpoint: file to save to every ``checkpoint_every`` steps, at the end,
                and on Ctrl-C.

        Ctrl-C stops cleanly and returns the history; a NaN or infinite loss raises
        :class:`NonFiniteLossError` with no update made from it.
        """
        from tqdm.auto import tqdm

        for name, value in (("steps", steps), ("batch_size", batch_size), ("log_every", log_every)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if self._batches is None or self._batches.batch_size != batch_size:
            state = (self._batches.perm, self._batches.pos) if self._batches else None
            self._batches = _Batches(data, batch_size, self.data_rng)
            if state is not None and self._batches.tensor is not None:
                self._batches.perm, self._batches.pos = state
        else:
            pos, perm = self._batches.pos, self._batches.perm
            self._batches = _Batches(data, batch_size, self.data_rng)
            self._batches.pos, self._batches.perm = pos, perm
        if self._batches.tensor is not None:  # before any work; loaders: on their first batch
            self._check_shapes(self._batches.tensor[:2])
            self._batches.shapes_checked = True
        if snapshot_every and not self.snapshots:
            self.snapshots.append((self.step, self.sample(z=self.fixed_noise)))
        self.interrupted = False
        end = self.step + steps
        bar = tqdm(total=steps, disable=not progress, desc="training", unit="step",
                   dynamic_ncols=True)
        started = time.perf_counter() - self.elapsed
        try:
            while self.step < end:
                log = (self.step + 1) % log_every == 0 or self.step + 1 == end
                row = self._train_step(log)
                self.step += 1
                self.elapsed = time.perf_counter() - started
                bar.update(1)
                if snapshot_every and self.step % snapshot_every == 0:
                    self.snapshots.append((self.step, self.sample(z=self.fixed_noise)))
                if checkpoint is not None and checkpoint_every and (
                    self.step % checkpoint_every == 0
                ):
                    self.save(checkpoint)
                if row is not None:
                    row["step"], row["time"] = float(self.step), self.elapsed
                    self.history.append(row)
                    bar.set_postfix(d_loss=f"{row['d_loss']:.3f}", g_loss=f"{row['g_loss']:.3f}",
                                    refresh=False)
                    for callback in callbacks:
                        callback(self, row)
        except StopTraining:
            pass
        except KeyboardInterrupt:
            self.interrupted = True
            print(f"Interrupted at step {self.step}: the models and history are kept "
                  "(call fit again to continue).")
        finally:
            bar.close()
        if checkpoint is not None:
            self.save(checkpoint)
        return self.history

    def _discriminator_step(self, real: Tensor, fake: Tensor, log: bool) -> dict[str, float]:
        D = self.discriminator
        self.d_optimizer.zero_grad(set_to_none=True)
        if self.r1_weight > 0:
            real = real.detach().requires_grad_(True)  # R1 differentiates D(x) in x
        with self._autocast():
            real_logits = D(real).float()
            fake_logits = D(fake.detach()).float()
            loss = self._d_loss(real_logits, fake_logits)
        total = loss
        gp = norms = r1 = None
        if self.gp_weight > 0:
            with self._autocast():
                gp, norms = gradient_penalty(D, real, fake, self.noise_rng, return_norms=True)
            total = total + self.gp_weight * gp.float()
        if self.r1_weight > 0:
            r1 = r1_penalty(real_logits, real)
            total = total + self.r1_weight / 2 * r1
        value = float(total.detach())
        if not math.isfinite(value):
            raise NonFiniteLossError("discriminator", value, self.step + 1)
        total.backward()
        stats = {}
        if log:
            squash = torch.sigmoid if self._probabilities else (lambda t: t)
            stats = {
                "d_loss": float(loss.detach()),
                "d_real": float(squash(real_logits.detach()).mean()),
                "d_fake": float(squash(fake_logits.detach()).mean()),
                "gp": float(gp.detach()) if gp is not None else math.nan,
                "gp_grad_norm": float(norms.mean()) if norms is not None else math.nan,
                "r1": float(r1.detach()) if r1 is not None else math.nan,
                "d_grad_norm": _grad_norm(D.parameters()),
            }
        self.d_optimizer.step()
        if self.clip_value is not None:
            with torch.no_grad():
                for p in D.parameters():
                    p.clamp_(-self.clip_value, self.clip_value)
        return stats

    def _train_step(self, log: bool) -> dict[str, float] | None:
        G, D = self.generator, self.discriminator
        stats: dict[str, float] = {}
        for i in range(self.n_critic):
            real = self._to_device(self._batches.next())
            if not self._batches.shapes_checked:
                self._check_shapes(real)
                self._batches.shapes_checked = True
            z = self.noise(real.shape[0])
            last = i == self.n_critic - 1
            with self._autocast(), (nullcontext() if last else torch.no_grad()):
                fake = G(z)  # the last one keeps its graph for the generator's update
            stats = self._discriminator_step(real, fake, log and last)
        # Generator update: D's weights need no gradient here.
        D.requires_grad_(False)
        try:
            self.g_optimizer.zero_grad(set_to_none=True)
            with self._autocast():
                loss = self._g_loss(D(fake).float())
            value = float(loss.detach())
            if not math.isfinite(value):
                raise NonFiniteLossError("generator", value, self.step + 1)
            loss.backward()
        finally:
            D.requires_grad_(True)
        if log:
            stats["g_loss"] = value
            stats["g_grad_norm"] = _grad_norm(G.parameters())
        self.g_optimizer.step()
        return stats if log else None

    # ---------------------------------------------------------------- checkpoints
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly where training stands (CPU tensors)."""
        b = self._batches
        return {
            "format": 1,
            "step": self.step,
            "elapsed": self.elapsed,
            "loss": self.loss,
            "latent_dim": self.latent_dim,
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
            "data_perm": b.perm if b is not None else torch.empty(0, dtype=torch.long),
            "data_pos": b.pos if b is not None else 0,
            "batch_size": b.batch_size if b is not None else 0,
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Write a checkpoint atomically: to a temporary file, then renamed over ``path``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            torch.save(self.state_dict(), tmp)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def load(self, path: str | os.PathLike) -> Trainer:
        """Restore a checkpoint written by :meth:`save` (loaded with ``weights_only=True``).

        The trainer must hold networks of the same architecture; otherwise a
        ``ValueError`` lists the missing, unexpected and mismatched parameters.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no checkpoint at {path}")
        state = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(state, dict) or state.get("format") != 1:
            raise ValueError(f"{path} is not a ganlib checkpoint (format 1)")
        if state["latent_dim"] != self.latent_dim:
            raise ValueError(
                f"checkpoint has latent_dim {state['latent_dim']}, this trainer {self.latent_dim}"
            )
        _load_module(self.generator, state["generator"], "generator")
        _load_module(self.discriminator, state["discriminator"], "discriminator")
        self.g_optimizer.load_state_dict(state["g_optimizer"])
        self.d_optimizer.load_state_dict(state["d_optimizer"])
        self.data_rng.set_state(state["data_rng"])
        self.noise_rng.set_state(state["noise_rng"])
        self.fixed_noise = state["fixed_noise"].to(self.device)
        self.history = History(state["history"])
        self.snapshots = list(zip(state["snapshot_steps"], state["snapshot_images"], strict=True))
        self.step = int(state["step"])
        self.elapsed = float(state["elapsed"])
        if state["batch_size"]:
            self._batches = _Batches(torch.empty(state["batch_size"], 1), state["batch_size"],
                                     self.data_rng)
            self._batches.perm, self._batches.pos = state["data_perm"], int(state["data_pos"])
        return self


def _load_module(module: nn.Module, state: dict[str, Tensor], name: str) -> None:
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    mismatched = [
        f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
        for k in own
        if k in state and tuple(own[k].shape) != tuple(state[k].shape)
    ]
    if missing or unexpected or mismatched:
        parts = []
        if missing:
            parts.append(f"missing from the checkpoint: {missing[:5]}")
        if unexpected:
            parts.append(f"not in the model: {unexpected[:5]}")
        if mismatched:
            parts.append("shape mismatch: " + "; ".join(mismatched[:5]))
        raise ValueError(
            f"the checkpoint's {name} does not match this {name}'s architecture — "
            + " | ".join(parts)
        )
    module.load_state_dict(state)


def train(
    generator: nn.Module, discriminator: nn.Module, data: Any, steps: int, **kwargs: Any
) -> Trainer:
    """Build a :class:`Trainer` and run :meth:`Trainer.fit`; returns the trainer.

    Keyword arguments go to the constructor or to ``fit``, whichever takes them, e.g.
    ``train(G, D, ring.sample(100_000), 2000, loss="wasserstein", gp_weight=10,
    n_critic=5, lr=1e-4, betas=(0.0, 0.9), batch_size=256)``.
    """
    init_names = set(inspect.signature(Trainer.__init__).parameters)
    fit_names = set(inspect.signature(Trainer.fit).parameters)
    unknown = set(kwargs) - init_names - fit_names
    if unknown:
        raise TypeError(f"train() got unknown keyword arguments {sorted(unknown)}")
    trainer = Trainer(generator, discriminator,
                      **{k: v for k, v in kwargs.items() if k in init_names})
    trainer.fit(data, steps, **{k: v for k, v in kwargs.items() if k in fit_names})
    return trainer
