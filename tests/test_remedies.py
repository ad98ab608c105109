"""Minibatch standard deviation and packing, against hand computations."""

from __future__ import annotations

import math

import pytest
import torch

from ganlib.models import MLPDiscriminator
from ganlib.remedies import MinibatchStdDev, MinibatchStdDevDiscriminator, minibatch_stddev, pack


# ------------------------------------------------------------------------------ pack
def test_pack_concatenates_consecutive_samples():
    x = torch.arange(12.0).reshape(6, 2)  # sample i is (2i, 2i + 1)
    packed = pack(x, 3)
    assert packed.shape == (2, 6)
    assert packed.tolist() == [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]


def test_pack_of_one_is_flatten():
    x = torch.randn(5, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    assert torch.equal(pack(x, 1), x.reshape(5, 16))


def test_pack_flattens_images_sample_by_sample():
    x = torch.randn(4, 2, 3, 3, generator=torch.Generator().manual_seed(1))
    packed = pack(x, 2)
    assert packed.shape == (2, 36)
    assert torch.equal(packed[1, :18], x[2].flatten())
    assert torch.equal(packed[1, 18:], x[3].flatten())


def test_pack_is_what_the_packed_discriminator_sees():
    torch.manual_seed(0)
    D = MLPDiscriminator((2,), hidden=(8,), pack=4)
    x = torch.randn(12, 2)
    assert torch.allclose(D(x), D.net(pack(x, 4)).squeeze(1))


@pytest.mark.parametrize("n, k", [(5, 2), (7, 3)])
def test_pack_rejects_a_batch_not_divisible_by_k(n, k):
    with pytest.raises(ValueError, match=f"divisible by k={k}, got {n}"):
        pack(torch.zeros(n, 2), k)


@pytest.mark.parametrize("k", [0, -1, 2.0, True])
def test_pack_rejects_a_bad_k(k):
    with pytest.raises(ValueError, match="positive int"):
        pack(torch.zeros(4, 2), k)


def test_pack_rejects_a_vector():
    with pytest.raises(ValueError, match=r"\(N, \.\.\.\)"):
        pack(torch.zeros(4), 2)


# --------------------------------------------------------------- minibatch stddev
def test_minibatch_stddev_by_hand():
    h = torch.tensor([[0.0, 1.0], [2.0, 1.0], [4.0, 4.0], [6.0, 4.0]])
    out = minibatch_stddev(h, eps=0.0)
    # population std of column 0: values 0, 2, 4, 6 → sqrt(5); column 1: 1, 1, 4, 4 → 1.5
    expected = (math.sqrt(5.0) + 1.5) / 2
    assert out.shape == (4, 3)
    assert torch.equal(out[:, :2], h)
    assert torch.allclose(out[:, 2], torch.full((4,), expected))


def test_minibatch_stddev_groups_consecutive_samples():
    h = torch.tensor([[0.0], [2.0], [10.0], [10.0]])
    out = minibatch_stddev(h, group_size=2, eps=0.0)
    assert out[:, 1].tolist() == [1.0, 1.0, 0.0, 0.0]


def test_minibatch_stddev_group_larger_than_batch_uses_the_batch():
    h = torch.randn(3, 5, generator=torch.Generator().manual_seed(2))
    assert torch.equal(minibatch_stddev(h, group_size=8), minibatch_stddev(h))


def test_minibatch_stddev_of_identical_samples_is_sqrt_eps_with_finite_gradient():
    h = torch.ones(6, 3, requires_grad=True)
    out = minibatch_stddev(h, eps=1e-8)
    assert torch.allclose(out[:, 3], torch.full((6,), 1e-4))
    out[:, 3].sum().backward()
    assert torch.isfinite(h.grad).all()


def test_minibatch_stddev_gradient_spreads_the_samples():
    """Raising the statistic pushes each sample away from the batch mean."""
    h = torch.tensor([[-1.0], [0.0], [3.0]], requires_grad=True)
    minibatch_stddev(h)[:, 1].sum().backward()
    assert h.grad[0, 0] < 0 < h.grad[2, 0]


def test_minibatch_stddev_on_images_adds_a_constant_channel():
    x = torch.randn(4, 2, 3, 3, generator=torch.Generator().manual_seed(3))
    out = minibatch_stddev(x, group_size=2)
    assert out.shape == (4, 3, 3, 3)
    assert torch.equal(out[:, :2], x)
    first = (x[:2].var(dim=0, unbiased=False) + 1e-8).sqrt().mean()
    assert torch.allclose(out[0, 2], first.expand(3, 3))
    assert torch.allclose(out[1, 2], first.expand(3, 3))


def test_minibatch_stddev_rejects_bad_shapes_and_groups():
    with pytest.raises(ValueError, match="divisible by the group size 4, got 6"):
        minibatch_stddev(torch.zeros(6, 2), group_size=4)
    with pytest.raises(ValueError, match=r"\(N, F\)"):
        minibatch_stddev(torch.zeros(6))
    with pytest.raises(ValueError, match="group_size"):
        MinibatchStdDev(group_size=0)


def test_layer_matches_the_function():
    layer = MinibatchStdDev(group_size=2)
    h = torch.randn(4, 3, generator=torch.Generator().manual_seed(4))
    assert torch.equal(layer(h), minibatch_stddev(h, group_size=2))
    assert "group_size=2" in repr(layer)


# ------------------------------------------------------------ the discriminator
def test_discriminator_shapes_and_position_of_the_layer():
    torch.manual_seed(0)
    D = MinibatchStdDevDiscriminator((2,), hidden=(16, 8), group_size=4)
    assert D(torch.randn(8, 2)).shape == (8,)
    kinds = [type(m).__name__ for m in D.net]
    assert kinds.index("MinibatchStdDev") == kinds.index("Linear") + 2  # before the last hidden
    assert D.net[4].in_features == 17


def test_discriminator_sees_the_spread_of_its_batch():
    """The same sample gets another logit in a spread-out batch than in a collapsed one."""
    torch.manual_seed(0)
    D = MinibatchStdDevDiscriminator((2,), hidden=(16, 16))
    x = torch.tensor([[0.5, -0.5]])
    spread = torch.cat([x, torch.randn(7, 2)])
    collapsed = x.repeat(8, 1)
    assert not torch.allclose(D(spread)[0], D(collapsed)[0])
    plain = MLPDiscriminator((2,), hidden=(16, 16))
    assert torch.allclose(plain(spread)[0], plain(collapsed)[0])


def test_discriminator_with_one_hidden_layer_and_images():
    torch.manual_seed(0)
    D = MinibatchStdDevDiscriminator((1, 4, 4), hidden=(8,), spectral_norm=True)
    assert D(torch.randn(6, 1, 4, 4)).shape == (6,)
    assert D.net[2].in_features == 17


def test_discriminator_rejects_wrong_input_and_no_hidden_layer():
    D = MinibatchStdDevDiscriminator((2,))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 2\)"):
        D(torch.zeros(4, 3))
    with pytest.raises(ValueError, match="at least one hidden layer"):
        MinibatchStdDevDiscriminator((2,), hidden=())


def test_discriminator_trains_in_the_trainer():
    from ganlib.data import ring2d
    from ganlib.models import MLPGenerator
    from ganlib.train import Trainer

    torch.manual_seed(0)
    trainer = Trainer(MLPGenerator(2, (2,), hidden=(16,)),
                      MinibatchStdDevDiscriminator((2,), hidden=(16, 16), group_size=4),
                      device="cpu", seed=0)
    history = trainer.fit(ring2d(), 5, batch_size=16, progress=False)
    assert len(history) == 5 and math.isfinite(history.last()["d_loss"])
