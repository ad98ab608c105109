"""Walking a generator's latent space: interpolation, directions and an interactive explorer.

A DCGAN's noise ``z ~ N(0, I_d)`` lives, in high dimension, close to the sphere of radius
√d: its squared norm has mean d and standard deviation √(2d). The straight line between
two such points cuts inside the sphere (the midpoint of two independent draws has norm
about √(d/2)), where the generator saw almost no training noise. Spherical interpolation
(:func:`slerp`) follows the great circle instead and keeps the norm.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

__all__ = ["lerp", "slerp", "class_directions", "walk", "latent_explorer"]


def _check_pair(z0: Tensor, z1: Tensor) -> None:
    if not isinstance(z0, Tensor) or not isinstance(z1, Tensor):
        raise TypeError(f"z0 and z1 must be tensors, got {type(z0).__name__} and "
                        f"{type(z1).__name__}")
    if z0.shape != z1.shape or z0.ndim == 0:
        raise ValueError(f"z0 and z1 must have the same shape (..., d), got {tuple(z0.shape)} "
                         f"and {tuple(z1.shape)}")


def _as_t(t: float | Sequence[float] | Tensor, like: Tensor) -> tuple[Tensor, bool]:
    """``t`` as a tensor shaped to broadcast against ``(T, ..., d)``; and whether T exists."""
    tt = torch.as_tensor(t, dtype=like.dtype, device=like.device)
    if tt.ndim > 1:
        raise ValueError(f"t must be a number or a 1-D sequence, got shape {tuple(tt.shape)}")
    if tt.ndim == 0:
        return tt, False
    return tt.reshape(-1, *([1] * like.ndim)), True


def lerp(z0: Tensor, z1: Tensor, t: float | Sequence[float] | Tensor) -> Tensor:
    """Linear interpolation ``(1 − t)·z0 + t·z1``.

    Args:
        z0, z1: latent vectors of the same shape ``(..., d)``, e.g. ``(d,)`` or ``(N, d)``.
        t: a number (returns ``(..., d)``) or T numbers (returns ``(T, ..., d)``);
            0 gives ``z0`` and 1 gives ``z1``.
    """
    _check_pair(z0, z1)
    tt, _ = _as_t(t, z0)
    return (1 - tt) * z0 + tt * z1


def slerp(
    z0: Tensor, z1: Tensor, t: float | Sequence[float] | Tensor, eps: float = 1e-7
) -> Tensor:
    """Spherical linear interpolation along the great circle from ``z0`` to ``z1``.

    ``sin((1 − t)Ω)/sin Ω · z0 + sin(tΩ)/sin Ω · z1``, where Ω is the angle between the
    two vectors, ``cos Ω = z0·z1 / (‖z0‖ ‖z1‖)`` — computed on the *normalised* vectors
    and clipped to [-1, 1], since ``arccos`` is undefined outside it. When the vectors
    are (anti)parallel (``sin Ω < eps``) the formula is 0/0 and :func:`lerp` is used.
    Vectors of equal norm keep that norm all along the path.

    Args:
        z0, z1: latent vectors of the same shape ``(..., d)``; each row is its own pair.
        t: a number (returns ``(..., d)``) or T numbers (returns ``(T, ..., d)``).
    """
    _check_pair(z0, z1)
    tt, _ = _as_t(t, z0)
    a = z0 / z0.norm(dim=-1, keepdim=True).clamp_min(eps)
    b = z1 / z1.norm(dim=-1, keepdim=True).clamp_min(eps)
    omega = (a * b).sum(-1, keepdim=True).clamp(-1.0, 1.0).acos()  # (..., 1)
    sin = omega.sin()
    small = sin < eps
    safe = torch.where(small, torch.ones_like(sin), sin)
    w0 = torch.sin((1 - tt) * omega) / safe
    w1 = torch.sin(tt * omega) / safe
    return torch.where(small, (1 - tt) * z0 + tt * z1, w0 * z0 + w1 * z1)


def class_directions(z: Tensor, labels: Tensor, n_classes: int) -> Tensor:
    """One latent direction per class: mean z of that class minus the mean of all z.

    Radford et al. (2015) did "vector arithmetic" with averages of a few z vectors; here
    the labels come from a classifier applied to ``G(z)``.

    Args:
        z: noise ``(N, d)``; labels: ``(N,)`` integers in ``[0, n_classes)``.

    Returns:
        ``(n_classes, d)`` unit vectors (a class with no sample gets a row of zeros).
    """
    if z.ndim != 2 or labels.shape != (len(z),):
        raise ValueError(f"expected z (N, d) and labels (N,), got {tuple(z.shape)} and "
                         f"{tuple(labels.shape)}")
    mean = z.mean(0)
    out = torch.zeros(n_classes, z.shape[1], dtype=z.dtype)
    for c in range(n_classes):
        members = z[labels == c]
        if len(members):
            d = members.mean(0) - mean
            out[c] = d / d.norm().clamp_min(1e-12)
    return out


@torch.no_grad()
def walk(
    generator: nn.Module, z: Tensor, directions: Tensor, amounts: Sequence[float] | Tensor,
    label: int | None = None,
) -> Tensor:
    """Images along ``z + a·u`` for each direction ``u`` and each amount ``a``.

    Args:
        generator: maps ``(N, d)`` noise to images ``(N, C, H, W)``; run in eval mode
            (and put back in its previous mode).
        z: one latent vector ``(d,)``.
        directions: ``(K, d)`` directions.
        amounts: A step sizes.
        label: for a conditional generator ``G(z, y)``, the class of every image.

    Returns:
        ``(K·A, C, H, W)`` images on the CPU, row k holding direction k.
    """
    if z.ndim != 1 or directions.ndim != 2 or directions.shape[1] != z.shape[0]:
        raise ValueError(f"expected z (d,) and directions (K, d), got {tuple(z.shape)} and "
                         f"{tuple(directions.shape)}")
    a = torch.as_tensor(amounts, dtype=z.dtype).reshape(1, -1, 1)
    zs = (z + a * directions[:, None, :]).reshape(-1, z.shape[0])
    device = next(generator.parameters()).device
    was_training = generator.training
    generator.eval()
    try:
        if label is None:
            return generator(zs.to(device)).float().cpu()
        labels = torch.full((len(zs),), int(label), dtype=torch.long, device=device)
        return generator(zs.to(device), labels).float().cpu()
    finally:
        generator.train(was_training)


def latent_explorer(
    generator: nn.Module,
    z: Tensor,
    directions: Tensor,
    names: Sequence[str],
    max_amount: float = 3.0,
    classes: Sequence[str] | None = None,
):
    """An ipywidgets explorer: one slider per direction, the sample redrawn on each move.

    Args:
        generator: maps ``(1, d)`` noise to an image ``(1, C, H, W)`` in [-1, 1] (or, with
            ``classes``, noise and labels ``G(z, y)``).
        z: the starting latent vector ``(d,)``.
        directions: ``(K, d)``; names: K slider labels.
        max_amount: sliders run from ``-max_amount`` to ``max_amount``.
        classes: for a conditional generator, the class names: a drop-down chooses the class
            (the sliders then move the style within it).

    Returns:
        an ``ipywidgets.VBox`` (a class drop-down with ``classes``, sliders, a "reset"
        button and the image, drawn for all sliders at 0 and the first class to begin with).
        Its ``render`` attribute draws the image for given slider values (and class index)
        and returns the ``(C, H, W)`` image, e.g. ``explorer.render([1.0, 0.0])`` or
        ``explorer.render([1.0, 0.0], label=7)``.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    if len(names) != len(directions):
        raise ValueError(f"expected {len(directions)} names (one per direction), "
                         f"got {len(names)}")
    sliders = [
        widgets.FloatSlider(value=0.0, min=-max_amount, max=max_amount, step=0.1,
                            description=str(n), continuous_update=False)
        for n in names
    ]
    reset = widgets.Button(description="reset")
    out = widgets.Output()
    chooser = (None if classes is None else
               widgets.Dropdown(options=[(str(c), i) for i, c in enumerate(classes)], value=0,
                                description="class"))

    def render(amounts: Sequence[float], label: int | None = None) -> Tensor:
        a = torch.as_tensor(list(amounts), dtype=z.dtype)
        if label is None and chooser is not None:
            label = chooser.value
        image = walk(generator, z + a @ directions, directions[:1], [0.0], label)[0]
        out.clear_output(wait=True)
        with out:
            fig, ax = plt.subplots(figsize=(2.5, 2.5))
            shown = (image.clamp(-1, 1) + 1) / 2
            ax.imshow(shown.permute(1, 2, 0).squeeze(-1).numpy(),
                      cmap="gray" if image.shape[0] == 1 else None, vmin=0, vmax=1)
            ax.set_axis_off()
            plt.show()
            plt.close(fig)
        return image

    def on_change(_=None) -> None:
        render([s.value for s in sliders])

    def on_reset(_=None) -> None:
        for s in sliders:
            s.unobserve(on_change, names="value")
            s.value = 0.0
            s.observe(on_change, names="value")
        on_change()

    for s in sliders:
        s.observe(on_change, names="value")
    reset.on_click(on_reset)
    if chooser is not None:
        chooser.observe(on_change, names="value")
    box = widgets.VBox([*([chooser] if chooser is not None else []), *sliders, reset, out])
    box.render = render
    on_change()  # the starting sample, before any slider moves
    return box
