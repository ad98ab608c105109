"""Endless batches of real samples for a training loop, with a position that can be saved."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import TensorDataset

__all__ = ["Batches"]


class Batches:
    """Endless real batches from a tensor, a sampler or any iterable of batches.

    Tensors are shuffled epoch by epoch with the trainer's own generator; ``perm`` and
    ``pos`` (the data position) belong to the checkpoint, so a resumed run draws exactly
    the batches the uninterrupted run would. A loader's own order is not restored.
    """

    def __init__(self, rng: torch.Generator) -> None:
        self.rng = rng
        self.batch_size = 0
        self.perm = torch.empty(0, dtype=torch.long)
        self.pos = 0
        self.tensor: Tensor | None = None
        self.labels: Tensor | None = None
        self.labelled = False
        self.sampler = None
        self.loader: Iterable | None = None
        self._iter: Iterator | None = None
        self.checked = False

    def bind(self, data: Any, batch_size: int, labelled: bool = False) -> None:
        self.batch_size, self.labelled = batch_size, labelled
        self.tensor = self.labels = self.sampler = self.loader = self._iter = None
        self.checked = False  # the first batch against the generator's samples
        if isinstance(data, TensorDataset):
            if labelled:
                if len(data.tensors) < 2:
                    raise ValueError("a conditional GAN needs labelled data: a TensorDataset of "
                                     "(samples, labels), got one with a single tensor")
                self.labels = data.tensors[1]
            data = data.tensors[0]
        elif labelled and (isinstance(data, Tensor | np.ndarray)
                           or callable(getattr(data, "sample", None))):
            raise TypeError("a conditional GAN needs labelled data: a TensorDataset of (samples, "
                            "labels), e.g. ganlib.data.load_mnist(), or a loader yielding "
                            f"(samples, labels) batches; got {type(data).__name__}")
        if isinstance(data, np.ndarray):
            data = torch.from_numpy(data)
        if isinstance(data, Tensor):
            if data.ndim < 2:
                raise ValueError(f"expected data of shape (N, ...), got {tuple(data.shape)}")
            if len(data) < batch_size:
                raise ValueError(
                    f"batch_size {batch_size} is larger than the data set ({len(data)} samples)")
            self.tensor = data
            if len(self.perm) not in (0, len(data)):  # other data than before: a new epoch
                self.perm, self.pos = torch.empty(0, dtype=torch.long), 0
        elif callable(getattr(data, "sample", None)):
            self.sampler = data
        elif isinstance(data, Iterable) and not isinstance(data, str | bytes | dict):
            own = getattr(data, "batch_size", None)  # a DataLoader's; None with a batch sampler
            if own is not None and own != batch_size:
                raise ValueError(f"the DataLoader yields batches of {own} but fit's batch_size is "
                                 f"{batch_size}: pass the same number to both")
            self.loader = data
        else:
            raise TypeError(
                "data must be a tensor or NumPy array (N, ...), a TensorDataset, an object with "
                f".sample(n, generator) or an iterable of batches, got {type(data).__name__}")

    def next(self, prepare: Callable[[Tensor], Tensor]) -> Tensor:
        """The next batch, passed through ``prepare`` (e.g. the trainer's move to its device).

        ``prepare`` is an argument, not an attribute: a trainer's bound method kept here would
        make a reference cycle, and every trainer would then outlive its last reference until
        Python's cycle collector ran (with its data, models and optimizers)."""
        return prepare(self._draw()[0])

    def next_labelled(self, prepare: Callable[[Tensor], Tensor]) -> tuple[Tensor, Tensor]:
        """The next batch through ``prepare`` and its labels (as stored), for ``labelled``."""
        x, y = self._draw()
        if y is None:
            raise ValueError("a conditional GAN needs labelled batches: the data loader yielded "
                             "samples without labels (expected (samples, labels) pairs)")
        return prepare(x), y

    def _draw(self) -> tuple[Tensor, Tensor | None]:
        if self.tensor is not None:
            if self.pos + self.batch_size > len(self.perm):
                self.perm = torch.randperm(len(self.tensor), generator=self.rng)
                self.pos = 0
            idx = self.perm[self.pos : self.pos + self.batch_size]
            self.pos += self.batch_size
            x = self.tensor[idx.to(self.tensor.device)]
            return x, None if self.labels is None else self.labels[idx.to(self.labels.device)]
        if self.sampler is not None:
            return self.sampler.sample(self.batch_size, generator=self.rng), None
        for _ in range(2):
            if self._iter is None:
                self._iter = iter(self.loader)
            try:
                batch = next(self._iter)
            except StopIteration:
                self._iter = None
                continue
            if isinstance(batch, list | tuple):
                return batch[0], (batch[1] if self.labelled and len(batch) > 1 else None)
            return batch, None
        raise ValueError("the data loader yielded no batch")
