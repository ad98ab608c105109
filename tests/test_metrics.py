"""Mode-collapse metrics against closed forms."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from ganlib.data import GaussianMixture, grid2d, ring2d
from ganlib.metrics import ModeStats, class_histogram_stats, kl_to_uniform, mode_stats

P_INSIDE_3SIGMA_2D = 1 - math.exp(-4.5)  # P(‖ε‖ < 3σ) for a 2-D isotropic Gaussian ≈ 0.9889


@pytest.mark.parametrize("mixture", [ring2d(), grid2d()], ids=["ring", "grid"])
def test_samples_at_the_centres_capture_every_mode_evenly(mixture):
    stats = mode_stats(mixture.centers.repeat(3, 1), mixture)
    assert stats.captured == stats.captured == mixture.n_modes
    assert stats.high_quality == 1.0
    assert stats.reverse_kl == pytest.approx(0.0, abs=1e-12)
    assert stats.counts.tolist() == [3] * mixture.n_modes


def test_total_collapse_onto_one_mode_scores_log_k():
    ring = ring2d()
    samples = ring.centers[2].repeat(100, 1) + 0.001 * torch.randn(
        100, 2, generator=torch.Generator().manual_seed(0))
    stats = mode_stats(samples, ring)
    assert stats.captured == 1
    assert stats.high_quality == 1.0
    assert stats.reverse_kl == pytest.approx(math.log(8))
    assert stats.counts.tolist() == [0, 0, 100, 0, 0, 0, 0, 0]


def test_samples_far_from_every_mode_are_not_high_quality():
    stats = mode_stats(torch.full((50, 2), 10.0), ring2d())
    assert stats.high_quality == 0.0
    assert stats.captured == 0
    assert stats.counts.sum() == 0
    assert stats.reverse_kl == pytest.approx(math.log(8))  # documented: no HQ sample = collapse


def test_hand_computed_two_mode_histogram():
    centers = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    samples = torch.tensor([[0.0, 0.0], [0.01, 0.0], [0.0, -0.01], [0.99, 0.0], [5.0, 5.0]])
    stats = mode_stats(samples, centers, std=0.01, threshold=3.0)
    # p̂ = (3/4, 1/4): KL = ¾ log(2·¾) + ¼ log(2·¼)
    expected = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    assert stats.counts.tolist() == [3, 1]
    assert stats.captured == 2
    assert stats.high_quality == pytest.approx(4 / 5)
    assert stats.reverse_kl == pytest.approx(expected, rel=1e-12)
    assert stats.reverse_kl == pytest.approx(math.log(2) - (-(0.75 * math.log(0.75)
                                                            + 0.25 * math.log(0.25))))


def test_three_sigma_boundary_uses_euclidean_distance():
    centre = torch.zeros(1, 2)
    std = 0.5  # 3σ = 1.5, exactly representable
    inside = [[1.5 * (1 - 1e-4), 0.0], [0.0, -1.5 * (1 - 1e-4)],
              [1.5 / math.sqrt(2) * (1 - 1e-4)] * 2]
    outside = [[1.5 * (1 + 1e-4), 0.0], [1.5 / math.sqrt(2) * (1 + 1e-4)] * 2,
               [1.1, 1.1]]  # each coordinate < 3σ, but the distance is 1.556 > 1.5
    exactly = [[1.5, 0.0]]  # distance / std = 3 exactly: not strictly below 3
    for points, hq in ((inside, 1.0), (outside, 0.0), (exactly, 0.0)):
        stats = mode_stats(torch.tensor(points), centre, std=std)
        assert stats.high_quality == hq, points


def test_threshold_is_a_parameter():
    stats = mode_stats(torch.tensor([[0.2, 0.0]]), torch.zeros(1, 2), std=0.1, threshold=1.5)
    assert stats.high_quality == 0.0
    stats = mode_stats(torch.tensor([[0.2, 0.0]]), torch.zeros(1, 2), std=0.1, threshold=2.5)
    assert stats.high_quality == 1.0


@pytest.mark.parametrize("mixture", [ring2d(), grid2d()], ids=["ring", "grid"])
def test_true_distribution_captures_all_modes_with_the_2d_gaussian_rate(mixture):
    n = 20_000
    samples = mixture.sample(n, generator=torch.Generator().manual_seed(1))
    stats = mode_stats(samples, mixture)
    assert stats.captured == mixture.n_modes
    sd = math.sqrt(P_INSIDE_3SIGMA_2D * (1 - P_INSIDE_3SIGMA_2D) / n)
    assert abs(stats.high_quality - P_INSIDE_3SIGMA_2D) < 4 * sd
    # An even multinomial histogram has KL ≈ (K − 1) / (2 n_HQ) ≈ 0.0006 for K = 25.
    assert 0.0 <= stats.reverse_kl < 0.005


def test_samples_nearest_a_mode_are_assigned_to_it():
    ring = ring2d()
    idx = torch.tensor([0, 0, 1, 5, 5, 5, 7])
    offsets = torch.tensor([[0.01, 0.0], [0.0, 0.02], [-0.02, 0.0], [0.0, 0.0], [0.01, 0.01],
                            [-0.015, 0.015], [0.0, -0.025]])
    stats = mode_stats(ring.centers[idx] + offsets, ring)
    assert stats.counts.tolist() == [2, 1, 0, 0, 0, 3, 0, 1]
    assert stats.captured == 4


def test_std_argument_and_mixture_std():
    ring = ring2d(std=0.01)
    x = ring.centers[:1] + torch.tensor([[0.05, 0.0]])  # 5σ away
    assert mode_stats(x, ring).high_quality == 0.0
    assert mode_stats(x, ring, std=0.02).high_quality == 1.0  # override: 2.5σ
    assert mode_stats(x, ring.centers, std=np.float32(0.02)).high_quality == 1.0


def test_one_dimensional_modes_and_numpy_input():
    mix = GaussianMixture([-2.0, 2.0], 0.5)
    # distances / σ: 0, 0.2, 2 (to +2) and 14: three high-quality samples
    stats = mode_stats(np.array([-2.0, -2.1, 1.0, 9.0], dtype=np.float32), mix)
    assert stats.counts.tolist() == [2, 1]
    assert stats.high_quality == pytest.approx(3 / 4)


def test_non_finite_samples_are_not_high_quality():
    x = torch.tensor([[float("nan"), 0.0], [float("inf"), 1.0], [1.0, 0.0]])
    stats = mode_stats(x, ring2d())
    assert stats.high_quality == pytest.approx(1 / 3)
    assert stats.counts.sum() == 1


def test_modestats_is_frozen_prints_and_converts():
    stats = mode_stats(torch.tensor([[1.0, 0.0]] * 7), ring2d())
    assert isinstance(stats, ModeStats)
    assert stats.counts.dtype == torch.int64 and stats.counts.shape == (8,)
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.captured = 3
    made = ModeStats(7, 8, 0.981, 0.1234, torch.tensor([1] * 7 + [0]))
    assert str(made) == "7/8 modes, 98.1% high quality, reverse KL 0.123"
    assert made.as_dict() == {"captured": 7, "n_modes": 8, "high_quality": 0.981,
                              "reverse_kl": 0.1234, "counts": [1, 1, 1, 1, 1, 1, 1, 0]}
    assert made == ModeStats(7, 8, 0.981, 0.1234, torch.tensor([1] * 7 + [0]))
    assert made != ModeStats(7, 8, 0.981, 0.1234, torch.tensor([0] + [1] * 7))


@pytest.mark.parametrize(
    "samples, modes, kwargs, expected",
    [
        (torch.zeros(5, 3), torch.zeros(4, 2), {"std": 0.1}, r"\(N, 2\).*\(5, 3\)"),
        (torch.zeros(5, 2, 1), torch.zeros(4, 2), {"std": 0.1}, r"\(N, 2\).*\(5, 2, 1\)"),
        (torch.zeros(0, 2), torch.zeros(4, 2), {"std": 0.1}, r"N >= 1.*\(0, 2\)"),
        (torch.zeros(5, 2), torch.zeros(4, 2, 2), {"std": 0.1}, r"\(K, d\).*\(4, 2, 2\)"),
        (torch.zeros(5, 2), torch.zeros(4, 2), {}, r"std is required"),
        (torch.zeros(5, 2), torch.zeros(4, 2), {"std": -1.0}, r"std must be a positive"),
        (torch.zeros(5, 2), torch.zeros(4, 2), {"std": 0.1, "threshold": 0}, r"threshold"),
        ([[0.0, 0.0]], torch.zeros(4, 2), {"std": 0.1}, r"tensor or a NumPy array"),
    ],
)
def test_mode_stats_rejects_bad_input(samples, modes, kwargs, expected):
    with pytest.raises(ValueError, match=expected):
        mode_stats(samples, modes, **kwargs)


# ------------------------------------------------------------------ classifier labels
def test_class_histogram_uniform_single_and_hand_computed():
    assert class_histogram_stats(torch.arange(10).repeat(5), 10) == (10, pytest.approx(0.0))
    covered, kl = class_histogram_stats(torch.full((40,), 7), 10)
    assert covered == 1 and kl == pytest.approx(math.log(10))
    covered, kl = class_histogram_stats(np.array([0, 0, 1, 2]), 4)
    # p̂ = (½, ¼, ¼, 0): KL = ½ log 2 + ¼ log 1 + ¼ log 1
    assert covered == 3 and kl == pytest.approx(0.5 * math.log(2), rel=1e-12)


def test_class_histogram_stacked_mnist_collapse_is_log_1000():
    triples = torch.tensor([[3, 1, 4]] * 26)
    codes = triples[:, 0] * 100 + triples[:, 1] * 10 + triples[:, 2]
    covered, kl = class_histogram_stats(codes, 1000)
    assert covered == 1 and kl == pytest.approx(math.log(1000))


@pytest.mark.parametrize(
    "labels, n_classes, expected",
    [
        (torch.tensor([0, 10]), 10, r"\[0, 9\].*\[0, 10\]"),
        (torch.tensor([-1, 2]), 10, r"\[0, 9\].*\[-1, 2\]"),
        (torch.zeros(3, 2, dtype=torch.long), 10, r"\(N,\).*\(3, 2\)"),
        (torch.zeros(0, dtype=torch.long), 10, r"\(N,\).*\(0,\)"),
        (torch.tensor([0.0, 1.0]), 10, r"integer labels"),
        (torch.tensor([0, 1]), 0, r"n_classes"),
    ],
)
def test_class_histogram_rejects_bad_input(labels, n_classes, expected):
    with pytest.raises(ValueError, match=expected):
        class_histogram_stats(labels, n_classes)


def test_kl_to_uniform_bounds_and_shape():
    assert kl_to_uniform(torch.tensor([5, 5, 5])) == pytest.approx(0.0)
    assert kl_to_uniform(torch.tensor([0, 0, 0])) == pytest.approx(math.log(3))
    with pytest.raises(ValueError, match=r"\(K,\).*\(2, 2\)"):
        kl_to_uniform(torch.ones(2, 2))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_mode_stats_on_cuda_matches_cpu():
    grid = grid2d()
    x = grid.sample(3000, generator=torch.Generator().manual_seed(2))
    cpu = mode_stats(x, grid)
    gpu = mode_stats(x.cuda(), grid)
    assert gpu == cpu and gpu.counts.device.type == "cpu"
