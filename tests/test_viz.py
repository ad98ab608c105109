"""Figures: artists, sizes, the critic's background, animations, bad input."""

from __future__ import annotations

import math

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.animation import FuncAnimation
from matplotlib.axes import Axes
from matplotlib.backend_bases import MouseEvent
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from matplotlib.image import AxesImage
from torch import nn

from ganlib import viz
from ganlib.train import COLUMNS, History

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _images(n: int, c: int = 1, size: int = 8) -> torch.Tensor:
    return torch.linspace(-1, 1, n * c * size * size).reshape(n, c, size, size)


def _history(n: int = 5) -> History:
    rows = []
    for i in range(1, n + 1):
        row = dict.fromkeys(COLUMNS, math.nan)
        row.update(step=float(i), time=0.1 * i, d_loss=1.0 / i, g_loss=2.0 / i,
                   d_real=0.6, d_fake=0.4)
        rows.append(row)
    return History(rows)


# ------------------------------------------------------------------------------ images
@pytest.mark.parametrize("n, nrow, rows, cols", [(16, 8, 2, 8), (10, 4, 3, 4), (3, 8, 1, 3)])
def test_show_images_grid_has_make_grid_pixel_size(n, nrow, rows, cols):
    ax = viz.show_images(_images(n, size=8), nrow=nrow, title="samples")
    assert isinstance(ax, Axes)
    (image,) = ax.images
    assert isinstance(image, AxesImage)
    # 2 px of padding around and between the 8×8 images; grey → 2-D array
    assert image.get_array().shape == (rows * 10 + 2, cols * 10 + 2)
    assert image.get_cmap().name == "gray"
    assert ax.get_title() == "samples"
    assert not ax.axison


def test_show_images_maps_minus_one_to_black_and_one_to_white_rgb():
    x = torch.stack([-torch.ones(3, 4, 4), torch.ones(3, 4, 4), 5 * torch.ones(3, 4, 4)])
    _, ax = plt.subplots()
    assert viz.show_images(x, nrow=3, ax=ax) is ax
    grid = np.asarray(ax.images[0].get_array())
    assert grid.shape == (4 + 4, 3 * 6 + 2, 3)
    assert np.allclose(grid[2:6, 2:6], 0.0)
    assert np.allclose(grid[2:6, 8:12], 1.0)
    assert np.allclose(grid[2:6, 14:18], 1.0)  # out of range: clipped
    assert grid.min() >= 0 and grid.max() <= 1


@pytest.mark.parametrize(
    "images, expected",
    [
        (torch.zeros(4, 28, 28), r"\(N, C, H, W\).*\(4, 28, 28\)"),
        (torch.zeros(4, 2, 8, 8), r"C = 1 or 3.*\(4, 2, 8, 8\)"),
        (torch.zeros(0, 1, 8, 8), r"N >= 1.*\(0, 1, 8, 8\)"),
        ([[0.0]], r"tensor or a NumPy array"),
    ],
)
def test_show_images_rejects_bad_shapes(images, expected):
    with pytest.raises(ValueError, match=expected):
        viz.show_images(images)


def test_show_images_rejects_bad_nrow():
    with pytest.raises(ValueError, match="nrow"):
        viz.show_images(_images(4), nrow=0)


# ----------------------------------------------------------------------------- history
def test_plot_history_one_panel_per_tuple_with_labels_and_legend():
    axes = viz.plot_history(_history())
    assert len(axes) == 2 and all(isinstance(a, Axes) for a in axes)
    loss, d_out = axes
    assert [line.get_label() for line in loss.lines] == ["discriminator loss", "generator loss"]
    assert np.array_equal(loss.lines[0].get_xdata(), [1, 2, 3, 4, 5])
    assert np.allclose(loss.lines[1].get_ydata(), [2.0 / i for i in range(1, 6)])
    assert loss.get_xlabel() == "generator step" and loss.get_ylabel() == "loss"
    assert loss.get_legend() is not None
    assert to_hex(d_out.lines[0].get_color()) == viz.REAL_COLOR
    assert to_hex(d_out.lines[1].get_color()) == viz.FAKE_COLOR


def test_plot_history_skips_all_nan_columns_and_reads_dataframes():
    frame = _history().to_pandas()  # indexed by step
    axes = viz.plot_history(frame, panels=(("d_loss", "gp"), ("gp",), "g_loss"))
    assert len(axes) == 3
    assert [line.get_label() for line in axes[0].lines] == ["discriminator loss"]
    assert len(axes[1].lines) == 0 and len(axes[1].texts) == 1  # says "no data"
    assert np.array_equal(axes[2].lines[0].get_xdata(), [1, 2, 3, 4, 5])
    with_column = pd.DataFrame({"step": [10, 20], "d_loss": [0.5, 0.4]})
    (ax,) = viz.plot_history(with_column, panels=(("d_loss",),))
    assert np.array_equal(ax.lines[0].get_xdata(), [10, 20])


def test_plot_history_draws_on_given_axes():
    _, given = plt.subplots(1, 2)
    axes = viz.plot_history(_history(), axes=given)
    assert axes[0] is given[0] and axes[1] is given[1]


@pytest.mark.parametrize(
    "history, kwargs, expected",
    [
        (History(), {}, "empty"),
        ([1, 2], {}, "History or a pandas DataFrame"),
        (None, {"panels": (("d_loss", "nope"),)}, r"unknown columns \['nope'\]"),
        (None, {"panels": ((),)}, "non-empty"),
        (None, {"axes": "one"}, r"expected 2 axes.*got 1"),
    ],
)
def test_plot_history_rejects_bad_input(history, kwargs, expected):
    if kwargs.get("axes") == "one":
        kwargs["axes"] = [plt.subplots()[1]]
    with pytest.raises(ValueError, match=expected):
        viz.plot_history(_history() if history is None else history, **kwargs)


# ----------------------------------------------------------------------------- 2-D points
def _linear_critic(w=(2.0, -1.0), b=0.5) -> nn.Linear:
    critic = nn.Sequential(nn.Linear(2, 1), nn.Flatten(0))
    with torch.no_grad():
        critic[0].weight.copy_(torch.tensor([w]))
        critic[0].bias.fill_(b)
    return critic


def test_plot_samples_2d_scatters_fake_over_real_in_the_course_colours():
    real = torch.randn(100, 2)
    fake = torch.randn(50, 2) + 3
    ax = viz.plot_samples_2d(fake, real, title="ring")
    real_pc, fake_pc = ax.collections
    assert isinstance(real_pc, PathCollection) and isinstance(fake_pc, PathCollection)
    assert to_hex(real_pc.get_facecolor()[0], keep_alpha=False) == viz.REAL_COLOR
    assert to_hex(fake_pc.get_facecolor()[0], keep_alpha=False) == viz.FAKE_COLOR
    assert len(real_pc.get_offsets()) == 100 and len(fake_pc.get_offsets()) == 50
    assert len(ax.images) == 0 and ax.get_title() == "ring"
    x0, x1 = ax.get_xlim()
    pts = torch.cat([real, fake])
    assert x0 < pts[:, 0].min() and x1 > pts[:, 0].max()


def test_critic_background_extent_and_values_for_a_linear_critic():
    critic = _linear_critic()
    critic.train()
    res = 20
    ax = viz.plot_samples_2d(torch.zeros(5, 2), critic=critic, lim=((-1.0, 3.0), (-2.0, 2.0)),
                             resolution=res)
    assert critic.training  # mode restored
    (image,) = ax.images
    assert image.get_extent() == [-1.0, 3.0, -2.0, 2.0]
    values = np.asarray(image.get_array())
    assert values.shape == (res, res)
    xs = -1.0 + (np.arange(res) + 0.5) * 4.0 / res  # pixel centres
    ys = -2.0 + (np.arange(res) + 0.5) * 4.0 / res
    expected = 2.0 * xs[None, :] - 1.0 * ys[:, None] + 0.5  # row i ↔ y_i (origin lower)
    assert np.allclose(values, expected, atol=1e-5)
    # What the reader sees under the mouse at (x, y) is f(x, y): the image is not flipped.
    ax.figure.canvas.draw()
    for x, y in [(-0.9, -1.9), (2.9, -1.9), (-0.9, 1.9), (1.0, 0.5)]:
        px, py = ax.transData.transform((x, y))
        event = MouseEvent("motion_notify_event", ax.figure.canvas, px, py)
        assert image.get_cursor_data(event) == pytest.approx(2 * x - y + 0.5, abs=0.31)  # ± half a pixel
    assert image.colorbar is not None and image.colorbar.ax.get_ylabel() == "critic f(x)"


def test_critic_background_as_probabilities_and_square_lim():
    critic = _linear_critic(w=(1.0, 0.0), b=0.0)
    critic.eval()
    ax = viz.plot_samples_2d(torch.zeros(5, 2), critic=critic, probabilities=True, lim=2.0,
                             resolution=10)
    image = ax.images[0]
    assert not critic.training
    assert image.get_extent() == [-2.0, 2.0, -2.0, 2.0]
    xs = -2.0 + (np.arange(10) + 0.5) * 0.4
    assert np.allclose(np.asarray(image.get_array()), 1 / (1 + np.exp(-xs))[None, :].repeat(10, 0),
                       atol=1e-6)
    assert image.colorbar.ax.get_ylabel() == "D(x)"
    assert image.get_clim() == (0.0, 1.0)


def test_critic_is_evaluated_without_gradients():
    seen = []

    def critic(x: torch.Tensor) -> torch.Tensor:
        seen.append(torch.is_grad_enabled())
        return x.sum(1)

    viz.plot_samples_2d(torch.zeros(3, 2), critic=critic, resolution=4)
    assert seen == [False]


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"samples": torch.zeros(5, 3)}, r"samples of shape \(N, 2\), got \(5, 3\)"),
        ({"real": torch.zeros(5)}, r"real of shape \(N, 2\), got \(5,\)"),
        ({"lim": -1.0}, "lim must be positive"),
        ({"lim": ((1.0, 0.0), (0.0, 1.0))}, "min < max"),
        ({"lim": "wide"}, "lim must be"),
        ({"resolution": 1}, "resolution"),
        ({"critic": lambda x: x}, r"outputs \(n,\).*got \(2500, 2\)"),
    ],
)
def test_plot_samples_2d_rejects_bad_input(kwargs, expected):
    args = {"samples": torch.zeros(5, 2), "resolution": 50} | kwargs
    with pytest.raises(ValueError, match=expected):
        viz.plot_samples_2d(**args)


# ---------------------------------------------------------------------------- animation
def test_animate_image_snapshots_one_frame_per_snapshot():
    snapshots = [(step, _images(6, c=3, size=4) * (step / 20)) for step in (0, 10, 20)]
    anim = viz.animate_snapshots(snapshots, nrow=3, interval=50)
    assert isinstance(anim, FuncAnimation)
    assert len(list(anim.new_frame_seq())) == 3
    html = anim.to_jshtml(default_mode="once")
    assert html.count("data:image/png;base64") == 3
    ax = anim._fig.axes[0]
    assert ax.get_title() == "step 20"  # the last frame drawn
    assert np.asarray(ax.images[0].get_array()).shape == (2 * 6 + 2, 3 * 6 + 2, 3)


def test_animate_point_snapshots_keeps_limits_fixed_and_real_underneath():
    gen = torch.Generator().manual_seed(0)
    snapshots = [(s, torch.randn(32, 2, generator=gen) * (1 + s)) for s in (0, 5)]
    real = torch.randn(64, 2, generator=gen)
    anim = viz.animate_snapshots(snapshots, kind="points", real=real)
    assert len(list(anim.new_frame_seq())) == 2
    anim.to_jshtml()
    ax = anim._fig.axes[0]
    real_pc, fake_pc = ax.collections
    assert np.allclose(fake_pc.get_offsets(), snapshots[-1][1].numpy())
    assert len(real_pc.get_offsets()) == 64
    assert ax.get_title() == "step 5"
    x0, x1 = ax.get_xlim()
    assert x0 < snapshots[-1][1][:, 0].min() and x1 > snapshots[-1][1][:, 0].max()


@pytest.mark.parametrize(
    "snapshots, kwargs, expected",
    [
        ([], {}, "empty"),
        ([(0, torch.zeros(4, 1, 8, 8))], {"kind": "video"}, "kind"),
        ([(0, torch.zeros(4, 2)), (1, torch.zeros(5, 2))], {"kind": "points"},
         r"\(4, 2\); step 1 has \(5, 2\)"),
        ([(0, torch.zeros(4, 2))], {"kind": "images"}, r"\(N, C, H, W\).*\(4, 2\)"),
        ([(0, torch.zeros(4, 1, 8, 8))], {"kind": "points"}, r"\(N, 2\).*\(4, 1, 8, 8\)"),
        ([(0, torch.zeros(4, 1, 8, 8))], {"real": torch.zeros(3, 2)}, "kind='points'"),
        ([torch.zeros(4, 2)], {"kind": "points"}, "list of \\(step, tensor\\) pairs"),
    ],
)
def test_animate_snapshots_rejects_bad_input(snapshots, kwargs, expected):
    with pytest.raises(ValueError, match=expected):
        viz.animate_snapshots(snapshots, **kwargs)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_critic_on_cuda_is_evaluated_there():
    critic = _linear_critic().cuda()
    ax = viz.plot_samples_2d(torch.zeros(5, 2, device="cuda"), critic=critic, lim=1.0,
                             resolution=8)
    assert ax.images[0].get_array().shape == (8, 8)
    assert next(critic.parameters()).device.type == "cuda"
