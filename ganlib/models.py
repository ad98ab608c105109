"""Generators and discriminators: small MLPs for toy data, DCGAN nets for images.

Conventions:
- A generator maps noise ``z`` of shape ``(N, latent_dim)`` to samples.
- A discriminator (or critic) maps samples to **logits** of shape ``(N,)`` — never
  probabilities; the losses in :mod:`ganlib.losses` apply the sigmoid themselves.
- Wrong input shapes raise a ``ValueError`` that names the expected and received shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrizations

from .utils import check_int

__all__ = [
    "MLPGenerator",
    "MLPDiscriminator",
    "DCGANGenerator",
    "DCGANDiscriminator",
    "DCGANCritic",
    "dcgan_init",
    "count_parameters",
    "check_batch_shape",
    "mlp_discriminator_layers",
]

IMAGE_SIZES = (28, 32, 64)


def count_parameters(module: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters of ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def dcgan_init(module: nn.Module) -> None:
    """DCGAN initialisation, for ``module.apply(dcgan_init)``.

    (Transposed) convolutions and linear layers: weights ~ N(0, 0.02), biases 0.
    Batch norm: weight ~ N(1, 0.02), bias 0. Other layers are left as they are.
    """
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        weight = getattr(module, "parametrizations", None)
        w = weight.weight.original if weight is not None else module.weight
        nn.init.normal_(w, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d | nn.BatchNorm1d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def _check_noise(z: Tensor, latent_dim: int) -> None:
    if z.ndim != 2 or z.shape[1] != latent_dim:
        raise ValueError(
            f"expected noise of shape (N, {latent_dim}), got {tuple(z.shape)}"
        )


def check_batch_shape(x: Tensor, shape: tuple[int, ...], what: str = "input") -> None:
    """Raise a ``ValueError`` unless ``x`` is a batch ``(N, *shape)`` of samples of ``shape``.

    The message names ``what`` was expected and what was received, e.g. ``expected images
    of shape (N, 1, 28, 28), got (2, 3, 28, 28)``. Any ``N`` (0 included) is accepted.
    """
    if x.ndim != len(shape) + 1 or tuple(x.shape[1:]) != shape:
        expected = "(N, " + ", ".join(str(s) for s in shape) + ")"
        raise ValueError(f"expected {what} of shape {expected}, got {tuple(x.shape)}")


def _sizes(name: str, value: object) -> tuple[int, ...]:
    """An int or a sequence of ints, each positive, as a tuple (``hidden`` may be empty)."""
    if isinstance(value, Integral) and not isinstance(value, bool):
        return (check_int(name, value),)
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ValueError(f"{name} must be an int or a sequence of ints, got {value!r}")
    return tuple(check_int(f"every entry of {name}", v) for v in value)


def _maybe_sn(layer: nn.Module, spectral_norm: bool) -> nn.Module:
    return parametrizations.spectral_norm(layer) if spectral_norm else layer


# ------------------------------------------------------------------------------- MLPs
def mlp_discriminator_layers(
    width: int,
    hidden: Sequence[int],
    spectral_norm: bool = False,
    before_last_hidden: nn.Module | None = None,
) -> list[nn.Module]:
    """The layers of an MLP discriminator: ``(N, width)`` → logits ``(N, 1)``.

    ``width`` features → Linear → LeakyReLU(0.2) per width of ``hidden`` → a linear layer
    giving one logit. ``before_last_hidden``, a module that appends one feature per sample
    (e.g. :class:`ganlib.remedies.MinibatchStdDev`), goes in front of the last hidden
    layer, whose input is one wider for it. ``spectral_norm`` wraps every linear layer.
    Returns a list for ``nn.Sequential(*layers)`` (no flattening, no packing: callers
    reshape their input to ``(N, width)`` first).
    """
    layers: list[nn.Module] = []
    for i, h in enumerate(hidden):
        if before_last_hidden is not None and i == len(hidden) - 1:
            layers.append(before_last_hidden)
            width += 1
        layers += [_maybe_sn(nn.Linear(width, h), spectral_norm), nn.LeakyReLU(0.2)]
        width = h
    layers.append(_maybe_sn(nn.Linear(width, 1), spectral_norm))
    return layers


class MLPGenerator(nn.Module):
    """Fully connected generator: ``(N, latent_dim)`` → ``(N, *out_shape)``.

    Args:
        latent_dim: size of the noise vector.
        out_shape: shape of one sample, e.g. ``(2,)`` for 2-D points or ``(1, 28, 28)``.
        hidden: widths of the hidden layers (ReLU after each).
        batch_norm: batch norm before each hidden ReLU (as in PacGAN's generator).
        out_activation: ``"tanh"`` for data in [-1, 1] (images), ``None`` for unbounded data.

    ``MLPGenerator(2, (2,), hidden=(400,) * 4, batch_norm=True)`` is PacGAN's toy generator.
    """

    def __init__(
        self,
        latent_dim: int,
        out_shape: int | Sequence[int],
        hidden: Sequence[int] = (256, 256),
        batch_norm: bool = False,
        out_activation: str | None = None,
    ) -> None:
        super().__init__()
        self.latent_dim = check_int("latent_dim", latent_dim)
        self.out_shape = _sizes("out_shape", out_shape)
        hidden = _sizes("hidden", hidden)
        if not self.out_shape:
            raise ValueError("out_shape must have at least one dimension, got ()")
        if out_activation not in (None, "tanh"):
            raise ValueError(f"out_activation must be None or 'tanh', got {out_activation!r}")
        layers: list[nn.Module] = []
        width = self.latent_dim
        for h in hidden:
            layers.append(nn.Linear(width, h))
            if batch_norm:
                layers.append(nn.BatchNorm1d(h))
            layers.append(nn.ReLU())
            width = h
        layers.append(nn.Linear(width, int(torch.tensor(self.out_shape).prod())))
        if out_activation == "tanh":
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        _check_noise(z, self.latent_dim)
        return self.net(z).view(z.shape[0], *self.out_shape)


class MLPDiscriminator(nn.Module):
    """Fully connected discriminator: ``(N, *in_shape)`` → logits ``(N // pack,)``.

    Args:
        in_shape: shape of one sample, e.g. ``(2,)`` or ``(1, 28, 28)``.
        hidden: widths of the hidden layers (LeakyReLU 0.2 after each).
        spectral_norm: wrap every linear layer in spectral normalisation.
        pack: PacGAN packing degree: ``pack`` consecutive samples are concatenated and
            judged together, so the batch size must be a multiple of ``pack``.
    """

    def __init__(
        self,
        in_shape: int | Sequence[int],
        hidden: Sequence[int] = (256, 256),
        spectral_norm: bool = False,
        pack: int = 1,
    ) -> None:
        super().__init__()
        self.in_shape = _sizes("in_shape", in_shape)
        if not self.in_shape:
            raise ValueError("in_shape must have at least one dimension, got ()")
        self.pack = check_int("pack", pack)
        hidden = _sizes("hidden", hidden)
        width = int(torch.tensor(self.in_shape).prod()) * self.pack
        self.net = nn.Sequential(*mlp_discriminator_layers(width, hidden, spectral_norm))

    def forward(self, x: Tensor) -> Tensor:
        check_batch_shape(x, self.in_shape)
        if x.shape[0] % self.pack:
            raise ValueError(
                f"expected a batch size divisible by pack={self.pack}, got {x.shape[0]}"
            )
        return self.net(x.reshape(x.shape[0] // self.pack, -1)).squeeze(1)


# ------------------------------------------------------------------------------ DCGAN
def _first_size(image_size: int) -> int:
    if image_size not in IMAGE_SIZES:
        raise ValueError(f"image_size must be one of {IMAGE_SIZES}, got {image_size!r}")
    return 7 if image_size == 28 else 4


def _n_doublings(image_size: int) -> int:
    return {28: 2, 32: 3, 64: 4}[image_size]


class DCGANGenerator(nn.Module):
    """DCGAN generator: noise ``(N, latent_dim)`` → images ``(N, C, S, S)`` in [-1, 1].

    A transposed convolution projects the noise to a ``7×7`` (28 px) or ``4×4`` map,
    then stride-2 transposed convolutions (4×4 kernels) double the size, halving the
    channels, each followed by batch norm and ReLU; the last has no batch norm and a tanh.
    No pooling, no fully connected hidden layer; weights initialised N(0, 0.02).

    Channels per stage, with ``width`` = w: 28 px: 2w→w→C; 32 px: 4w→2w→w→C;
    64 px: 8w→4w→2w→w→C (PyTorch's DCGAN example with w = 64).

    Parameter counts (latent 100, w = 64): 28 px, C = 1: 759,680; 32 px, C = 1:
    1,066,880; 64 px, C = 3: 3,576,704.
    """

    def __init__(
        self, latent_dim: int = 100, channels: int = 1, image_size: int = 28, width: int = 64
    ) -> None:
        super().__init__()
        start = _first_size(image_size)
        if channels not in (1, 3) or isinstance(channels, bool):
            raise ValueError(f"channels must be 1 or 3, got {channels!r}")
        self.latent_dim, self.channels, self.image_size = (check_int("latent_dim", latent_dim),
                                                           channels, image_size)
        width = check_int("width", width)
        n = _n_doublings(image_size)
        ch = width * 2 ** (n - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(latent_dim, ch, start, 1, 0, bias=False),
            nn.BatchNorm2d(ch),
            nn.ReLU(True),
        ]
        for _ in range(n - 1):
            layers += [
                nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ch // 2),
                nn.ReLU(True),
            ]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def forward(self, z: Tensor) -> Tensor:
        _check_noise(z, self.latent_dim)
        return self.net(z[:, :, None, None])


class DCGANDiscriminator(nn.Module):
    """DCGAN discriminator: images ``(N, C, S, S)`` → logits ``(N,)``.

    Stride-2 convolutions (4×4 kernels) halve the size and double the channels, each
    followed by a normalisation (none after the first layer) and LeakyReLU 0.2; a last
    convolution over the whole ``7×7`` / ``4×4`` map gives one logit. No sigmoid.

    Args:
        norm: ``"batch"`` (DCGAN), ``"layer"`` (layer norm over C×H×W, for WGAN-GP
            critics) or ``"none"``.
        spectral_norm: wrap every convolution in spectral normalisation.

    Parameter counts (w = 64, batch or layer norm): 28 px, C = 1: 138,624; 32 px, C = 1:
    661,248; 64 px, C = 3: 2,765,568.
    """

    def __init__(
        self,
        channels: int = 1,
        image_size: int = 28,
        width: int = 64,
        norm: str = "batch",
        spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        end = _first_size(image_size)
        if channels not in (1, 3) or isinstance(channels, bool):
            raise ValueError(f"channels must be 1 or 3, got {channels!r}")
        width = check_int("width", width)
        if norm not in ("batch", "layer", "none"):
            raise ValueError(f"norm must be 'batch', 'layer' or 'none', got {norm!r}")
        self.channels, self.image_size, self.norm = channels, image_size, norm
        n = _n_doublings(image_size)
        layers: list[nn.Module] = [
            _maybe_sn(nn.Conv2d(channels, width, 4, 2, 1, bias=False), spectral_norm),
            nn.LeakyReLU(0.2, True),
        ]
        ch = width
        for _ in range(n - 1):
            layers.append(
                _maybe_sn(nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=norm == "none"), spectral_norm)
            )
            if norm == "batch":
                layers.append(nn.BatchNorm2d(ch * 2))
            elif norm == "layer":
                layers.append(nn.GroupNorm(1, ch * 2))  # one group = layer norm over C, H, W
            layers.append(nn.LeakyReLU(0.2, True))
            ch *= 2
        layers.append(_maybe_sn(nn.Conv2d(ch, 1, end, 1, 0, bias=False), spectral_norm))
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def forward(self, x: Tensor) -> Tensor:
        check_batch_shape(x, (self.channels, self.image_size, self.image_size), "images")
        return self.net(x).flatten()


class DCGANCritic(DCGANDiscriminator):
    """A WGAN-GP critic: the DCGAN discriminator with layer norm (or none), never batch norm.

    Batch norm makes each sample's output depend on the rest of the batch, which breaks
    the per-sample gradient penalty; the WGAN-GP paper suggests layer norm instead.
    """

    def __init__(
        self,
        channels: int = 1,
        image_size: int = 28,
        width: int = 64,
        norm: str = "layer",
        spectral_norm: bool = False,
    ) -> None:
        if norm == "batch":
            raise ValueError(
                "a WGAN-GP critic must not use batch norm (it couples the samples of a batch "
                "and breaks the per-sample gradient penalty); use norm='layer' or 'none'"
            )
        super().__init__(channels, image_size, width, norm, spectral_norm)
