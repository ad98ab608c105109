"""Latent-space interpolation, directions and the interactive explorer."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from ganlib.checks import ch03
from ganlib.latent import class_directions, latent_explorer, lerp, slerp, walk


def _angle(a, b):
    return math.acos(float((a @ b) / (a.norm() * b.norm())).__round__(12))


def test_lerp_endpoints_midpoint_and_shapes():
    g = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(5, generator=g), torch.randn(5, generator=g)
    torch.testing.assert_close(lerp(z0, z1, 0.0), z0)
    torch.testing.assert_close(lerp(z0, z1, 1.0), z1)
    torch.testing.assert_close(lerp(z0, z1, 0.5), (z0 + z1) / 2)
    path = lerp(z0, z1, torch.linspace(0, 1, 7))
    assert path.shape == (7, 5)
    assert lerp(torch.zeros(3, 5), torch.ones(3, 5), [0.0, 0.5]).shape == (2, 3, 5)


def test_slerp_follows_the_great_circle():
    g = torch.Generator().manual_seed(1)
    z0, z1 = torch.randn(100, generator=g, dtype=torch.float64), \
        torch.randn(100, generator=g, dtype=torch.float64)
    torch.testing.assert_close(slerp(z0, z1, 0.0), z0)
    torch.testing.assert_close(slerp(z0, z1, 1.0), z1)
    z1_eq = z1 * z0.norm() / z1.norm()
    omega = _angle(z0, z1_eq)
    for t in (0.1, 0.3, 0.5, 0.9):
        zt = slerp(z0, z1_eq, t)
        assert _angle(z0, zt) == pytest.approx(t * omega, abs=1e-9)  # constant angular speed
        assert _angle(zt, z1_eq) == pytest.approx((1 - t) * omega, abs=1e-9)
    norms = slerp(z0, z1_eq, torch.linspace(0, 1, 11)).norm(dim=-1)
    torch.testing.assert_close(norms, torch.full((11,), float(z0.norm()), dtype=torch.float64))
    # lerp's midpoint cuts inside the sphere
    assert lerp(z0, z1_eq, 0.5).norm() < 0.8 * z0.norm()


def test_slerp_batches_degenerate_pairs_and_errors():
    g = torch.Generator().manual_seed(2)
    Z0, Z1 = torch.randn(4, 16, generator=g), torch.randn(4, 16, generator=g)
    out = slerp(Z0, Z1, torch.tensor([0.25, 0.75]))
    assert out.shape == (2, 4, 16)
    for i in range(4):
        torch.testing.assert_close(out[0, i], slerp(Z0[i], Z1[i], 0.25))
    z = torch.full((16,), 2.0)
    torch.testing.assert_close(slerp(z, z.clone(), 0.5), z)  # Ω = 0: no NaN
    anti = slerp(z, -z, 0.5)  # antiparallel: no unique great circle → lerp
    assert bool(torch.isfinite(anti).all())
    with pytest.raises(ValueError, match="same shape"):
        slerp(torch.zeros(3), torch.zeros(4), 0.5)
    with pytest.raises(ValueError, match="1-D"):
        slerp(z, z, torch.zeros(2, 2))
    with pytest.raises(TypeError, match="tensors"):
        lerp([1.0], [2.0], 0.5)


def test_library_slerp_passes_the_exercise_check():
    assert ch03.check_slerp(slerp, print_result=False)


def test_class_directions_are_unit_class_mean_offsets():
    g = torch.Generator().manual_seed(3)
    z = torch.randn(300, 8, generator=g)
    labels = (z[:, 0] > 0).long()  # class 1 lies along +e0
    dirs = class_directions(z, labels, 3)
    assert dirs.shape == (3, 8)
    torch.testing.assert_close(dirs[:2].norm(dim=1), torch.ones(2))
    assert float(dirs[1, 0]) > 0.9 and float(dirs[0, 0]) < -0.9
    assert torch.equal(dirs[2], torch.zeros(8))  # no sample of class 2
    with pytest.raises(ValueError, match=r"\(N, d\)"):
        class_directions(z, labels[:10], 3)


class _TinyG(nn.Module):
    def __init__(self):
        super().__init__()
        self.latent_dim = 4
        self.net = nn.Sequential(nn.Linear(4, 36), nn.BatchNorm1d(36), nn.Tanh())

    def forward(self, z):
        return self.net(z).view(-1, 1, 6, 6)


def test_walk_grid_and_mode_restored():
    G = _TinyG().train()
    z = torch.zeros(4)
    dirs = torch.eye(4)[:2]
    out = walk(G, z, dirs, [-1.0, 0.0, 1.0])
    assert out.shape == (6, 1, 6, 6) and G.training
    torch.testing.assert_close(out[1], out[4])  # amount 0 is z itself in every row
    with pytest.raises(ValueError, match="directions"):
        walk(G, torch.zeros(4), torch.zeros(2, 5), [0.0])


def test_latent_explorer_redraws_on_slider_moves():
    widgets = pytest.importorskip("ipywidgets")
    G = _TinyG()
    dirs = torch.eye(4)[:2]
    box = latent_explorer(G, torch.zeros(4), dirs, ["a", "b"], max_amount=2.0)
    assert isinstance(box, widgets.VBox)
    sliders = [c for c in box.children if isinstance(c, widgets.FloatSlider)]
    assert [s.description for s in sliders] == ["a", "b"] and sliders[0].max == 2.0
    img = box.render([1.0, 0.0])
    expected = walk(G, torch.zeros(4), dirs, [1.0])[0]
    torch.testing.assert_close(img, expected)
    sliders[1].value = 0.5  # triggers a redraw without error
    reset = next(c for c in box.children if isinstance(c, widgets.Button))
    reset.click()
    assert all(s.value == 0.0 for s in sliders)
    with pytest.raises(ValueError, match="names"):
        latent_explorer(G, torch.zeros(4), dirs, ["only one"])
