"""Figures for the course, with the same colours in every chapter.

Real data is drawn in :data:`REAL_COLOR` (blue), generated data in :data:`FAKE_COLOR`
(orange). Every function draws on a matplotlib ``Axes`` (a new figure when none is
given) and returns what it drew on; none calls ``plt.show()``. Tensors may live on any
device: they are copied to the CPU for drawing, never modified.

- :func:`show_images` — a grid of images ``(N, C, H, W)`` in [-1, 1];
- :func:`plot_history` — training curves from a :class:`~ganlib.train.History`;
- :func:`plot_samples_2d` — 2-D samples over real data, optionally over the
  discriminator's (or critic's) landscape;
- :func:`animate_snapshots` — the Trainer's snapshots as an animation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.animation import FuncAnimation
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from torch import Tensor, nn
from torchvision.utils import make_grid

__all__ = [
    "REAL_COLOR",
    "FAKE_COLOR",
    "show_images",
    "plot_history",
    "plot_samples_2d",
    "animate_snapshots",
]

REAL_COLOR = "#1f77b4"
"""Colour of real data in every figure (matplotlib's blue)."""
FAKE_COLOR = "#ff7f0e"
"""Colour of generated data in every figure (matplotlib's orange)."""

_LABELS = {
    "d_loss": "discriminator loss",
    "g_loss": "generator loss",
    "d_real": "D on real",
    "d_fake": "D on generated",
    "gp": "gradient penalty",
    "gp_grad_norm": "‖∇D‖ at interpolates",
    "r1": "R1 penalty",
    "d_grad_norm": "D gradient norm",
    "g_grad_norm": "G gradient norm",
}
_COLORS = {"d_real": REAL_COLOR, "d_fake": FAKE_COLOR}

Limits = tuple[tuple[float, float], tuple[float, float]]


# ----------------------------------------------------------------------------- images
def _to_cpu(x: Any, name: str) -> Tensor:
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, Tensor):
        raise ValueError(f"{name} must be a tensor or a NumPy array, got {type(x).__name__}")
    return x.detach().float().cpu()


def _image_grid(images: Any, nrow: int) -> np.ndarray:
    """``(N, C, H, W)`` in [-1, 1] → a grid in [0, 1]: ``(H', W')`` grey or ``(H', W', 3)``."""
    x = _to_cpu(images, "images")
    if x.ndim != 4 or x.shape[1] not in (1, 3) or x.shape[0] == 0:
        raise ValueError(f"expected images of shape (N, C, H, W) with C = 1 or 3 and N >= 1, "
                         f"got {tuple(x.shape)}")
    if not isinstance(nrow, int) or nrow < 1:
        raise ValueError(f"nrow must be a positive int, got {nrow!r}")
    grid = make_grid(x, nrow=nrow, padding=2, normalize=True, value_range=(-1.0, 1.0))
    grid = grid.permute(1, 2, 0).numpy()  # (H', W', 3); make_grid repeats a grey channel
    return grid[..., 0] if x.shape[1] == 1 else grid


def show_images(
    images: Tensor | np.ndarray, nrow: int = 8, title: str | None = None, ax: Axes | None = None
) -> Axes:
    """Show images as one grid (torchvision's ``make_grid``, 2 px of black between images).

    Args:
        images: ``(N, C, H, W)`` with C = 1 (shown in grey) or 3, values in [-1, 1]
            (a generator's tanh output); values outside are clipped.
        nrow: images per row of the grid.
        title: the axes' title.
        ax: axes to draw on; a new figure when omitted.

    Returns:
        the Axes; its one ``AxesImage`` holds the grid, ``(H', W')`` or ``(H', W', 3)``
        in [0, 1], with ``H' = rows·(H + 2) + 2`` and ``W' = min(N, nrow)·(W + 2) + 2``.
    """
    grid = _image_grid(images, nrow)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    ax.imshow(grid, cmap="gray" if grid.ndim == 2 else None, vmin=0.0, vmax=1.0,
              interpolation="nearest")
    ax.set_axis_off()
    if title is not None:
        ax.set_title(title)
    return ax


# ---------------------------------------------------------------------------- history
def _history_columns(history: Any) -> tuple[np.ndarray, Callable[[str], np.ndarray], list[str]]:
    """(steps, column getter, column names) of a History or a pandas DataFrame."""
    from .train import History

    if isinstance(history, History):
        if len(history) == 0:
            raise ValueError("the history is empty: train for at least one logged step first")
        return history["step"], history.__getitem__, list(history.columns)
    import pandas as pd

    if isinstance(history, pd.DataFrame):
        if len(history) == 0:
            raise ValueError("the history is empty: the DataFrame has no rows")
        steps = history["step"] if "step" in history.columns else history.index
        return (np.asarray(steps, dtype=float),
                lambda c: np.asarray(history[c], dtype=float), list(history.columns))
    raise ValueError(f"history must be a ganlib.train.History or a pandas DataFrame, "
                     f"got {type(history).__name__}")


def _panel_label(panel: tuple[str, ...]) -> str:
    """The y label of a panel: the column's name, or what its columns have in common."""
    if len(panel) == 1:
        return _LABELS.get(panel[0], panel[0])
    if all(c.endswith("_loss") for c in panel):
        return "loss"
    if set(panel) <= {"d_real", "d_fake"}:
        return "mean D output"
    if all(c.endswith("grad_norm") for c in panel):
        return "gradient norm"
    return "value"


def plot_history(
    history: Any,
    panels: Sequence[Sequence[str]] = (("d_loss", "g_loss"), ("d_real", "d_fake")),
    axes: Sequence[Axes] | None = None,
) -> list[Axes]:
    """Training curves, one panel per group of columns, against the generator step.

    Args:
        history: a :class:`~ganlib.train.History` (``trainer.history``) or a pandas
            DataFrame with those columns (``step`` a column or the index).
        panels: column names drawn together, one tuple per panel, e.g.
            ``(("d_loss", "g_loss"), ("gp",))``. Columns that are all NaN (e.g. ``gp``
            without a penalty) are skipped.
        axes: one Axes per panel; a new row of panels when omitted.

    Returns:
        the list of Axes, one per panel.
    """
    steps, column, names = _history_columns(history)
    panels = [(p,) if isinstance(p, str) else tuple(p) for p in panels]
    if not panels or any(len(p) == 0 for p in panels):
        raise ValueError(f"panels must be non-empty tuples of column names, got {panels!r}")
    unknown = sorted({c for p in panels for c in p} - set(names))
    if unknown:
        raise ValueError(f"unknown columns {unknown}; expected some of {names}")
    if axes is None:
        _, grid = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.5), squeeze=False)
        axes = list(grid[0])
    axes = list(np.ravel(np.asarray(axes, dtype=object)))
    if len(axes) != len(panels):
        raise ValueError(f"expected {len(panels)} axes (one per panel), got {len(axes)}")
    for ax, panel in zip(axes, panels, strict=True):
        for name in panel:
            values = column(name)
            if np.isnan(values).all():
                continue
            ax.plot(steps, values, label=_LABELS.get(name, name), color=_COLORS.get(name))
        ax.set_xlabel("generator step")
        ax.set_ylabel(_panel_label(panel))
        if ax.lines:
            ax.legend()
        else:
            ax.text(0.5, 0.5, "no data (all NaN)", ha="center", va="center",
                    transform=ax.transAxes)
    return axes


# --------------------------------------------------------------------------- 2-D data
def _points(x: Any, name: str) -> np.ndarray:
    t = _to_cpu(x, name)
    if t.ndim != 2 or t.shape[1] != 2:
        raise ValueError(f"expected {name} of shape (N, 2), got {tuple(t.shape)}")
    return t.numpy()


def _limits(lim: float | Limits | None, *clouds: np.ndarray) -> Limits:
    """Plot limits: ``[-lim, lim]²``, the given pair of ranges, or the data's box + 10 %."""
    if lim is not None:
        if isinstance(lim, int | float):
            if not lim > 0:
                raise ValueError(f"lim must be positive, got {lim!r}")
            return (-float(lim), float(lim)), (-float(lim), float(lim))
        try:
            (x0, x1), (y0, y1) = lim
        except (TypeError, ValueError):
            raise ValueError("lim must be a float or ((xmin, xmax), (ymin, ymax)), "
                             f"got {lim!r}") from None
        if not (x0 < x1 and y0 < y1):
            raise ValueError(f"lim must have min < max on both axes, got {lim!r}")
        return (float(x0), float(x1)), (float(y0), float(y1))
    pts = np.concatenate([c for c in clouds if c is not None] or [np.zeros((0, 2))])
    pts = pts[np.isfinite(pts).all(axis=1)]
    if len(pts) == 0:
        return (-1.0, 1.0), (-1.0, 1.0)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = np.maximum(0.1 * (hi - lo).max(), 0.1)
    return (float(lo[0] - pad), float(hi[0] + pad)), (float(lo[1] - pad), float(hi[1] + pad))


@torch.no_grad()
def _critic_grid(critic: Callable[[Tensor], Tensor], lim: Limits, resolution: int,
                 probabilities: bool) -> np.ndarray:
    """The critic's outputs at the pixel centres of a ``resolution²`` grid over ``lim``.

    Row ``i``, column ``j`` holds the value at ``(x_j, y_i)`` (row 0 at the bottom).
    """
    (x0, x1), (y0, y1) = lim
    xs = x0 + (torch.arange(resolution, dtype=torch.float64) + 0.5) * (x1 - x0) / resolution
    ys = y0 + (torch.arange(resolution, dtype=torch.float64) + 0.5) * (y1 - y0) / resolution
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    param = next(critic.parameters(), None) if isinstance(critic, nn.Module) else None
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
    pts = torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1).to(device, dtype)
    was_training = isinstance(critic, nn.Module) and critic.training
    if isinstance(critic, nn.Module):
        critic.eval()
    try:
        out = critic(pts)
    finally:
        if was_training:
            critic.train()
    if not isinstance(out, Tensor) or out.numel() != resolution**2:
        shape = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
        raise ValueError(f"the critic must map points (n, 2) to outputs (n,) with "
                         f"n = {resolution**2}, got {shape}")
    out = out.reshape(resolution, resolution).float()
    if probabilities:
        out = torch.sigmoid(out)
    return out.cpu().numpy()


def _draw_samples_2d(
    samples: Any, real: Any = None, critic: Any = None, *, probabilities: bool = False,
    lim: float | Limits | None = None, resolution: int = 150, ax: Axes | None = None,
    title: str | None = None,
) -> tuple[Axes, PathCollection]:
    """:func:`plot_samples_2d`, also returning the generated points' scatter."""
    fake_pts = _points(samples, "samples")
    real_pts = None if real is None else _points(real, "real")
    if not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2, got {resolution!r}")
    box = _limits(lim, fake_pts, real_pts)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5 if critic is not None else 5, 5))
    if critic is not None:
        values = _critic_grid(critic, box, resolution, probabilities)
        image = ax.imshow(values, origin="lower", extent=(*box[0], *box[1]), cmap="Greys",
                          aspect="auto", interpolation="bilinear",
                          vmin=0.0 if probabilities else None, vmax=1.0 if probabilities else None)
        ax.figure.colorbar(image, ax=ax, label="D(x)" if probabilities else "critic f(x)")
    if real_pts is not None:
        ax.scatter(real_pts[:, 0], real_pts[:, 1], s=4, alpha=0.5, color=REAL_COLOR,
                   label="real", linewidths=0)
    fake = ax.scatter(fake_pts[:, 0], fake_pts[:, 1], s=4, alpha=0.7, color=FAKE_COLOR,
                      label="generated", linewidths=0)
    ax.set_xlim(*box[0])
    ax.set_ylim(*box[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="upper right", markerscale=3)
    if title is not None:
        ax.set_title(title)
    return ax, fake


def plot_samples_2d(
    samples: Tensor | np.ndarray,
    real: Tensor | np.ndarray | None = None,
    critic: Callable[[Tensor], Tensor] | None = None,
    *,
    probabilities: bool = False,
    lim: float | Limits | None = None,
    resolution: int = 150,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Generated 2-D points (orange) over real ones (blue), optionally over a critic.

    Args:
        samples: ``(N, 2)`` generated points.
        real: ``(M, 2)`` real points, drawn underneath.
        critic: a discriminator or critic mapping ``(n, 2)`` to ``(n,)`` logits. It is
            evaluated without gradients at the centres of a ``resolution × resolution``
            grid of pixels covering the plot, on the device of its parameters, in eval
            mode (its previous mode is restored), and drawn as a grey background with a
            colour bar.
        probabilities: show ``D(x) = σ(logit)`` in [0, 1] (for the minimax and
            non-saturating losses) instead of the raw output ``f(x)`` (Wasserstein, hinge).
        lim: ``L`` for the square ``[-L, L]²``, or ``((xmin, xmax), (ymin, ymax))``;
            by default the points' bounding box plus a 10 % margin.
        resolution: pixels per side of the critic's background.
        ax: axes to draw on; a new figure when omitted.
        title: the axes' title.

    Returns:
        the Axes. With a critic its first ``AxesImage`` holds the ``(resolution,
        resolution)`` values, row 0 at the bottom, spanning exactly ``lim``.
    """
    ax, _ = _draw_samples_2d(samples, real, critic, probabilities=probabilities, lim=lim,
                             resolution=resolution, ax=ax, title=title)
    return ax


# ----------------------------------------------------------------------------- frames
def animate_snapshots(
    snapshots: Sequence[tuple[int, Tensor]],
    kind: str = "images",
    real: Tensor | np.ndarray | None = None,
    interval: int = 200,
    **kw: Any,
) -> FuncAnimation:
    """Animate the Trainer's snapshots (samples of its fixed noise), one frame each.

    Args:
        snapshots: ``trainer.snapshots``, a list of ``(step, samples)``; all frames have
            the same shape, ``(N, C, H, W)`` in [-1, 1] for ``kind="images"`` and
            ``(N, 2)`` for ``kind="points"``.
        kind: ``"images"`` (a grid per frame) or ``"points"`` (a 2-D scatter per frame).
        real: ``(M, 2)`` real points drawn under every frame (``kind="points"`` only).
        interval: milliseconds between frames.
        **kw: passed on to :func:`show_images` (e.g. ``nrow``) or :func:`plot_samples_2d`
            (e.g. ``lim``; by default the limits cover every frame, so they stay fixed).

    Returns:
        a ``FuncAnimation`` whose frames are titled ``step N``. Its own figure is
        closed (released by pyplot, so a notebook does not also show a stray still; a
        figure you passed as ``ax=`` is left open). Show it in a notebook with
        ``IPython.display.HTML(anim.to_jshtml())`` — ``anim.to_jshtml()`` is that HTML
        as a string — or set ``plt.rcParams["animation.html"] = "jshtml"`` once and end
        the cell with ``anim``. ``anim.save("run.gif", writer="pillow")`` writes a GIF.
    """
    if kind not in ("images", "points"):
        raise ValueError(f"kind must be 'images' or 'points', got {kind!r}")
    frames = list(snapshots)
    if not frames:
        raise ValueError("snapshots is empty: pass snapshot_every=... to Trainer.fit")
    try:
        steps = [int(s) for s, _ in frames]
        data = [_to_cpu(x, "snapshot samples") for _, x in frames]
    except (TypeError, ValueError) as err:
        raise ValueError(f"expected snapshots as a list of (step, tensor) pairs: {err}") from None
    for s, x in zip(steps, data, strict=True):
        if x.shape != data[0].shape:
            raise ValueError(f"every snapshot must have the shape of the first, "
                             f"{tuple(data[0].shape)}; step {s} has {tuple(x.shape)}")
    if real is not None and kind == "images":
        raise ValueError("real is only used with kind='points'")

    if kind == "images":
        ax = show_images(data[0], **kw)
        artist = ax.images[-1]  # the grid just drawn
        nrow = kw.get("nrow", 8)

        def draw(i: int) -> None:
            artist.set_data(_image_grid(data[i], nrow))
            ax.set_title(f"step {steps[i]}")
    else:
        if kw.get("lim") is None:
            real_pts = None if real is None else _points(real, "real")
            kw["lim"] = _limits(None, *(_points(x, "snapshot samples") for x in data), real_pts)
        ax, scatter = _draw_samples_2d(data[0], real, **kw)

        def draw(i: int) -> None:
            scatter.set_offsets(data[i].numpy())
            ax.set_title(f"step {steps[i]}")

    draw(0)
    fig = ax.figure
    anim = FuncAnimation(fig, draw, frames=len(frames), interval=interval, repeat=True)
    if kw.get("ax") is None:  # our own figure: release it from pyplot
        plt.close(fig)
    return anim
