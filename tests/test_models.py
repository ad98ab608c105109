import re

import pytest
import torch
from torch import nn

from ganlib.models import (
    DCGANCritic,
    DCGANDiscriminator,
    DCGANGenerator,
    MLPDiscriminator,
    MLPGenerator,
    check_batch_shape,
    count_parameters,
    dcgan_init,
    mlp_discriminator_layers,
)

SIZES = (28, 32, 64)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("channels", (1, 3))
def test_dcgan_shapes_for_every_size_and_channel_count(size, channels):
    torch.manual_seed(0)
    G = DCGANGenerator(latent_dim=16, channels=channels, image_size=size, width=8)
    D = DCGANDiscriminator(channels=channels, image_size=size, width=8)
    C = DCGANCritic(channels=channels, image_size=size, width=8)
    x = G(torch.randn(3, 16))
    assert x.shape == (3, channels, size, size)
    assert x.min() >= -1 and x.max() <= 1  # tanh output
    assert D(x).shape == (3,) and C(x).shape == (3,)


def _stated_counts(cls):
    text = " ".join(cls.__doc__.split())
    return [int(n.replace(",", "")) for n in re.findall(r": (\d[\d,]+\d)", text)]


def test_parameter_counts_stated_in_docstrings_hold():
    g = [
        count_parameters(DCGANGenerator(100, 1, 28, 64)),
        count_parameters(DCGANGenerator(100, 1, 32, 64)),
        count_parameters(DCGANGenerator(100, 3, 64, 64)),
    ]
    d = [
        count_parameters(DCGANDiscriminator(1, 28, 64)),
        count_parameters(DCGANDiscriminator(1, 32, 64)),
        count_parameters(DCGANDiscriminator(3, 64, 64)),
    ]
    assert _stated_counts(DCGANGenerator) == g
    assert _stated_counts(DCGANDiscriminator) == d
    # layer norm has as many parameters as batch norm (one scale and shift per channel)
    assert count_parameters(DCGANCritic(1, 28, 64)) == d[0]
    # PyTorch's own 64-px DCGAN example has 3,576,704 and 2,765,568 parameters
    assert (g[2], d[2]) == (3_576_704, 2_765_568)


def test_dcgan_follows_the_guidelines():
    G = DCGANGenerator(100, 1, 64, 8)
    D = DCGANDiscriminator(1, 64, 8)
    g_layers, d_layers = list(G.net), list(D.net)
    assert not any(isinstance(m, nn.Linear | nn.MaxPool2d | nn.AvgPool2d) for m in G.modules())
    assert not any(isinstance(m, nn.Linear | nn.MaxPool2d | nn.AvgPool2d) for m in D.modules())
    assert isinstance(g_layers[-1], nn.Tanh) and isinstance(g_layers[-2], nn.ConvTranspose2d)
    assert all(isinstance(m, nn.ReLU) for m in g_layers if isinstance(m, nn.ReLU | nn.LeakyReLU))
    # D: no batch norm right after the first convolution; LeakyReLU(0.2) everywhere; no sigmoid
    assert isinstance(d_layers[0], nn.Conv2d) and isinstance(d_layers[1], nn.LeakyReLU)
    slopes = {m.negative_slope for m in D.modules() if isinstance(m, nn.LeakyReLU)}
    assert slopes == {0.2}
    assert not any(isinstance(m, nn.Sigmoid) for m in D.modules())
    assert sum(isinstance(m, nn.BatchNorm2d) for m in D.modules()) == 3
    assert sum(isinstance(m, nn.BatchNorm2d) for m in G.modules()) == 4
    convs = [m for m in D.modules() if isinstance(m, nn.Conv2d)]
    assert [c.stride for c in convs[:-1]] == [(2, 2)] * 4


def test_discriminator_returns_logits_not_probabilities():
    torch.manual_seed(0)
    D = DCGANDiscriminator(1, 28, 8)
    with torch.no_grad():
        D.net[-1].weight.mul_(50)
    out = D(torch.randn(64, 1, 28, 28))
    assert out.min() < 0 or out.max() > 1


def test_dcgan_init_uses_normal_0_02_and_bn_around_1():
    torch.manual_seed(0)
    G = DCGANGenerator(100, 1, 64, 64)
    w = torch.cat([m.weight.detach().flatten() for m in G.modules() if isinstance(m, nn.ConvTranspose2d)])
    assert float(w.mean()) == pytest.approx(0.0, abs=1e-3)
    assert float(w.std()) == pytest.approx(0.02, rel=0.02)
    bn = torch.cat([m.weight.detach() for m in G.modules() if isinstance(m, nn.BatchNorm2d)])
    assert float(bn.mean()) == pytest.approx(1.0, abs=0.01)
    assert float(bn.std()) == pytest.approx(0.02, rel=0.2)
    lin = nn.Linear(1000, 1000)
    dcgan_init(lin)
    assert float(lin.weight.detach().std()) == pytest.approx(0.02, rel=0.02) and lin.bias.abs().sum() == 0


def test_critic_has_no_batch_norm_and_refuses_it():
    C = DCGANCritic(1, 32, 8)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in C.modules())
    assert any(isinstance(m, nn.GroupNorm) and m.num_groups == 1 for m in C.modules())
    assert not any(isinstance(m, nn.GroupNorm) for m in DCGANCritic(1, 32, 8, norm="none").modules())
    with pytest.raises(ValueError, match="must not use batch norm"):
        DCGANCritic(norm="batch")


def test_critic_outputs_do_not_depend_on_the_rest_of_the_batch():
    torch.manual_seed(0)
    C = DCGANCritic(1, 28, 8)
    x = torch.randn(4, 1, 28, 28)
    assert torch.allclose(C(x)[:1], C(x[:1]), atol=1e-5)


def test_spectral_norm_is_optional():
    D = DCGANDiscriminator(1, 28, 8, spectral_norm=True)
    convs = [m for m in D.modules() if isinstance(m, nn.Conv2d)]
    assert all(hasattr(c, "parametrizations") for c in convs)
    assert D(torch.randn(2, 1, 28, 28)).shape == (2,)
    M = MLPDiscriminator(2, spectral_norm=True)
    assert all(hasattr(m, "parametrizations") for m in M.modules() if isinstance(m, nn.Linear))


def test_wrong_image_shapes_name_expected_and_received():
    D = DCGANDiscriminator(1, 28, 8)
    with pytest.raises(ValueError, match=r"expected images of shape \(N, 1, 28, 28\), got \(2, 3, 28, 28\)"):
        D(torch.randn(2, 3, 28, 28))
    with pytest.raises(ValueError, match=r"got \(2, 1, 32, 32\)"):
        D(torch.randn(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"got \(1, 28, 28\)"):
        D(torch.randn(1, 28, 28))


def test_wrong_latent_sizes_name_expected_and_received():
    G = DCGANGenerator(100, 1, 28, 8)
    with pytest.raises(ValueError, match=r"expected noise of shape \(N, 100\), got \(4, 64\)"):
        G(torch.randn(4, 64))
    with pytest.raises(ValueError, match=r"got \(4, 100, 1, 1\)"):
        G(torch.randn(4, 100, 1, 1))


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: DCGANGenerator(image_size=48), "image_size must be one of"),
        (lambda: DCGANDiscriminator(image_size=16), "image_size must be one of"),
        (lambda: DCGANGenerator(channels=2), "channels must be 1 or 3"),
        (lambda: DCGANDiscriminator(channels=4), "channels must be 1 or 3"),
        (lambda: DCGANDiscriminator(norm="instance"), "norm must be"),
        (lambda: MLPGenerator(2, 2, out_activation="sigmoid"), "out_activation"),
        (lambda: MLPDiscriminator(2, pack=0), "pack must be"),
    ],
)
def test_bad_constructor_arguments_are_rejected(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


def test_mlp_generator_and_discriminator_shapes():
    G = MLPGenerator(8, (1, 28, 28), hidden=(32,), batch_norm=True, out_activation="tanh")
    D = MLPDiscriminator((1, 28, 28), hidden=(32, 16))
    x = G(torch.randn(5, 8))
    assert x.shape == (5, 1, 28, 28) and x.abs().max() <= 1
    assert D(x).shape == (5,)
    toy_g, toy_d = MLPGenerator(2, 2), MLPDiscriminator(2)
    assert toy_d(toy_g(torch.randn(7, 2))).shape == (7,)
    assert any(isinstance(m, nn.BatchNorm1d) for m in G.modules())
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 2\), got \(7, 3\)"):
        toy_d(torch.randn(7, 3))


def test_packing_judges_groups_of_samples():
    D = MLPDiscriminator(2, hidden=(16,), pack=4)
    assert D.net[0].in_features == 8
    x = torch.randn(12, 2)
    assert D(x).shape == (3,)
    # the first packed judgement only sees the first four samples
    y = x.clone()
    y[4:] = 0
    assert torch.allclose(D(x)[0], D(y)[0])
    with pytest.raises(ValueError, match="divisible by pack=4"):
        D(torch.randn(10, 2))


def test_check_batch_shape_names_what_was_expected_and_received():
    check_batch_shape(torch.zeros(3, 1, 4, 4), (1, 4, 4))
    check_batch_shape(torch.zeros(0, 2), (2,))
    with pytest.raises(ValueError, match=r"expected points of shape \(N, 2\), got \(3, 3\)"):
        check_batch_shape(torch.zeros(3, 3), (2,), "points")
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 1, 4, 4\), got \(1, 4, 4\)"):
        check_batch_shape(torch.zeros(1, 4, 4), (1, 4, 4))


def test_mlp_discriminator_layers_widths_and_the_extra_feature():
    class AppendOne(nn.Module):
        def forward(self, h):
            return torch.cat([h, torch.ones(h.shape[0], 1)], dim=1)

    layers = mlp_discriminator_layers(6, (16, 8))
    linears = [m for m in layers if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(6, 16), (16, 8), (8, 1)]
    assert sum(isinstance(m, nn.LeakyReLU) and m.negative_slope == 0.2 for m in layers) == 2
    extra = AppendOne()
    layers = mlp_discriminator_layers(6, (16, 8), spectral_norm=True, before_last_hidden=extra)
    assert layers.index(extra) == 2 and layers[3].in_features == 17
    assert all(hasattr(m, "parametrizations") for m in layers if isinstance(m, nn.Linear))
    assert nn.Sequential(*layers)(torch.randn(5, 6)).shape == (5, 1)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: MLPGenerator(0, 2), r"latent_dim must be a positive int, got 0"),
        (lambda: MLPGenerator(-3, 2), r"latent_dim must be a positive int, got -3"),
        (lambda: MLPGenerator(True, 2), r"latent_dim must be a positive int, got True"),
        (lambda: MLPGenerator(2, 0), r"out_shape must be a positive int, got 0"),
        (lambda: MLPGenerator(2, (1, 0, 28)), r"every entry of out_shape must be a positive int, got 0"),
        (lambda: MLPGenerator(2, 2, hidden=(64, 0)), r"every entry of hidden must be a positive int, got 0"),
        (lambda: MLPGenerator(2, 2, hidden=(-8,)), r"every entry of hidden .* got -8"),
        (lambda: MLPGenerator(2, 2, hidden="64"), r"hidden must be an int or a sequence of ints, got '64'"),
        (lambda: MLPDiscriminator(0), r"in_shape must be a positive int, got 0"),
        (lambda: MLPDiscriminator(2, hidden=(0,)), r"every entry of hidden must be a positive int, got 0"),
        (lambda: MLPDiscriminator(2, pack=0), r"pack must be a positive int, got 0"),
        (lambda: DCGANGenerator(0), r"latent_dim must be a positive int, got 0"),
        (lambda: DCGANGenerator(100, width=0), r"width must be a positive int, got 0"),
        (lambda: DCGANGenerator(100, channels=True), r"channels must be 1 or 3, got True"),
        (lambda: DCGANDiscriminator(width=-4), r"width must be a positive int, got -4"),
        (lambda: DCGANCritic(width=0), r"width must be a positive int, got 0"),
    ],
)
def test_sizes_that_are_not_positive_ints_are_refused_by_name(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_numpy_integers_are_accepted_as_sizes():
    import numpy as np

    G = MLPGenerator(np.int64(3), np.int64(2), hidden=(np.int64(8),))
    assert G.latent_dim == 3 and type(G.latent_dim) is int and G(torch.zeros(4, 3)).shape == (4, 2)
