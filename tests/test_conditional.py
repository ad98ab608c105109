import copy
import math

import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from ganlib.conditional import (
    ACGANDiscriminator,
    ConcatDiscriminator,
    ConditionalMLPGenerator,
    ProjectionDiscriminator,
    acgan_d_loss,
    acgan_g_loss,
    check_labels,
    class_grid_labels,
    conditional_discriminator_step,
    conditional_generator_step,
)
from ganlib.losses import nonsaturating_g_loss, wasserstein_d_loss
from ganlib.models import MLPDiscriminator, MLPGenerator
from ganlib.train import Trainer

DESIGNS = {"concat": (ConcatDiscriminator, 0.0), "projection": (ProjectionDiscriminator, 0.0),
           "acgan": (ACGANDiscriminator, 1.0)}


def two_classes(n=512, seed=0):
    """2-D points: class 0 around (1, 0), class 1 around (-1, 0)."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(2, (n,), generator=g)
    x = torch.stack([1 - 2 * y.float(), torch.zeros(n)], 1) + 0.05 * torch.randn(n, 2, generator=g)
    return TensorDataset(x, y)


def pair(design="concat", seed=0, n_classes=2, shape=(2,)):
    torch.manual_seed(seed)
    cls, aux = DESIGNS[design]
    G = ConditionalMLPGenerator(4, shape, n_classes, hidden=(32, 32), batch_norm=False,
                                out_activation=None)
    return G, cls(shape, n_classes, hidden=(32, 32)), aux


# ---------------------------------------------------------------------------- labels
@pytest.mark.parametrize("labels, message", [
    ([0, 1, 2], "integer tensor of shape (3,), got list"),
    (torch.tensor([0.0, 1.0, 2.0]), "integer dtype (class indices such as torch.long), got "
                                    "torch.float32"),
    (torch.tensor([True, False, True]), "integer dtype"),
    (torch.tensor([0, 1]), "labels (one per sample) of shape (3,), got (2,)"),
    (torch.tensor([[0], [1], [2]]), "of shape (3,), got (3, 1)"),
    (F.one_hot(torch.tensor([0, 1, 2]), 10), "got (3, 10) — one-hot labels? pass class indices"),
    (torch.tensor([0, 1, 10]), "in [0, 9] (10 classes), got values from 0 to 10"),
    (torch.tensor([-1, 1, 2]), "got values from -1 to 2"),
])
def test_bad_labels_are_a_value_error_naming_expected_and_received(labels, message):
    with pytest.raises(ValueError) as err:
        check_labels(labels, 3, 10)
    assert message in str(err.value)


def test_good_labels_pass_in_any_integer_dtype_and_an_empty_batch_too():
    for dtype in (torch.long, torch.int32, torch.uint8):
        check_labels(torch.tensor([0, 9, 3], dtype=dtype), 3, 10)
    check_labels(torch.empty(0, dtype=torch.long), 0, 10)


@pytest.mark.parametrize("design", DESIGNS)
def test_networks_refuse_labels_that_do_not_match_their_batch(design):
    G, D, aux = pair(design, n_classes=10)
    z, x = torch.randn(4, 4), torch.randn(4, 2)
    with pytest.raises(ValueError, match=r"labels \(one per noise vector\) of shape \(4,\)"):
        G(z, torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="expected noise of shape"):
        G(torch.randn(4, 5), torch.zeros(4, dtype=torch.long))
    if not aux:
        with pytest.raises(ValueError, match=r"in \[0, 9\]"):
            D(x, torch.full((4,), 10))
        with pytest.raises(ValueError, match="expected input of shape"):
            D(torch.randn(4, 3), torch.zeros(4, dtype=torch.long))


# ---------------------------------------------------------------------------- networks
def test_the_generator_uses_the_label():
    G, _, _ = pair(n_classes=10)
    G.eval()
    z = torch.randn(1, 4).repeat(10, 1)
    out = G(z, torch.arange(10))
    assert out.shape == (10, 2)
    assert len({tuple(o.tolist()) for o in out}) == 10  # one noise vector, ten outputs
    with torch.no_grad():  # an embedding that says nothing: the label no longer matters
        G.embed.weight.zero_()
    same = G(z, torch.arange(10))
    assert torch.allclose(same, same[:1].expand(10, 2))


def test_images_and_parameter_layout():
    G = ConditionalMLPGenerator(64, (1, 28, 28))
    x = G(torch.randn(5, 64), torch.arange(5))
    assert x.shape == (5, 1, 28, 28) and x.abs().max() <= 1
    assert G.embed.weight.shape == (10, 10) and G.n_classes == 10
    for cls in (ConcatDiscriminator, ProjectionDiscriminator):
        assert cls((1, 28, 28))(x, torch.arange(5)).shape == (5,)
    logits, classes = ACGANDiscriminator((1, 28, 28))(x)
    assert logits.shape == (5,) and classes.shape == (5, 10)


def test_the_projection_discriminator_is_psi_of_phi_plus_the_inner_product():
    _, D, _ = pair("projection", n_classes=3)
    x, y = torch.randn(6, 2), torch.tensor([0, 1, 2, 2, 1, 0])
    phi = D.body.phi(x)
    expected = D.body.psi(phi).squeeze(1) + (D.embed.weight[y] * phi).sum(1)
    assert torch.allclose(D(x, y), expected)
    # the label moves the logit only through the inner product: the difference between two
    # labels is (v_a - v_b) · φ(x)
    diff = D(x, torch.zeros(6, dtype=torch.long)) - D(x, torch.ones(6, dtype=torch.long))
    assert torch.allclose(diff, ((D.embed.weight[0] - D.embed.weight[1]) * phi).sum(1), atol=1e-6)


def test_the_concat_discriminator_judges_the_pair():
    _, D, _ = pair("concat", n_classes=3)
    x = torch.randn(6, 2)
    a, b = D(x, torch.zeros(6, dtype=torch.long)), D(x, torch.full((6,), 2))
    assert not torch.allclose(a, b)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="n_classes"):
        ConditionalMLPGenerator(4, 2, n_classes=1)
    with pytest.raises(ValueError, match="hidden must have at least one width"):
        ProjectionDiscriminator(2, hidden=())
    with pytest.raises(ValueError, match="n_classes"):
        class_grid_labels(3, 0)


def test_class_grid_labels_put_one_class_per_column():
    assert class_grid_labels(2, 3).tolist() == [0, 1, 2, 0, 1, 2]


# ---------------------------------------------------------------------------- losses
def test_acgan_losses_are_the_gan_loss_plus_the_class_cross_entropy_of_both_batches():
    g = torch.Generator().manual_seed(0)
    rl, fl = torch.randn(8, generator=g), torch.randn(8, generator=g)
    rc, fc = torch.randn(8, 5, generator=g), torch.randn(8, 5, generator=g)
    ry, fy = torch.randint(5, (8,), generator=g), torch.randint(5, (8,), generator=g)
    d = acgan_d_loss(rl, fl, rc, fc, ry, fy, aux_weight=0.5)
    expected = (F.binary_cross_entropy_with_logits(rl, torch.ones(8))
                + F.binary_cross_entropy_with_logits(fl, torch.zeros(8))
                + 0.5 * (F.cross_entropy(rc, ry) + F.cross_entropy(fc, fy)))
    assert torch.allclose(d, expected)
    assert torch.allclose(acgan_d_loss(rl, fl, rc, fc, ry, fy, loss="wasserstein", aux_weight=0),
                          wasserstein_d_loss(rl, fl))
    gl = acgan_g_loss(fl, fc, fy, aux_weight=2.0)
    assert torch.allclose(gl, nonsaturating_g_loss(fl) + 2 * F.cross_entropy(fc, fy))


# ---------------------------------------------------------------------------- steps
@pytest.mark.parametrize("design", DESIGNS)
def test_the_discriminator_judges_real_and_fake_samples_with_their_own_labels(design):
    G, D, aux = pair(design, n_classes=3)
    seen = []
    if aux:
        D.register_forward_hook(lambda m, inp, out: seen.append(len(inp)))
    else:
        D.register_forward_hook(lambda m, inp, out: seen.append(inp[1].clone()))
    real, ry = torch.randn(6, 2), torch.tensor([0, 0, 1, 1, 2, 2])
    fy = torch.tensor([2, 1, 0, 2, 1, 0])
    fake = G(torch.randn(6, 4), fy)
    d_opt = torch.optim.SGD(D.parameters(), lr=0.1)
    out = conditional_discriminator_step(D, d_opt, real, ry, fake, fy, aux_weight=aux)
    if aux:
        assert seen == [1, 1]  # AC-GAN's D sees the samples alone
        assert 0 <= float(out["fake_class_accuracy"]) <= 1
    else:
        assert torch.equal(seen[0], ry) and torch.equal(seen[1], fy)
    assert all(p.grad is None for p in G.parameters())  # the fakes were detached


def test_the_gradient_penalty_keeps_the_label_and_needs_fakes_of_the_real_labels():
    G, D, _ = pair("projection", n_classes=3)
    seen = []
    D.register_forward_hook(lambda m, inp, out: seen.append(inp[1].clone()))
    real, y = torch.randn(6, 2), torch.tensor([0, 0, 1, 1, 2, 2])
    fake = G(torch.randn(6, 4), y).detach()
    d_opt = torch.optim.SGD(D.parameters(), lr=0.1)
    out = conditional_discriminator_step(D, d_opt, real, y, fake, y, loss="wasserstein",
                                         gp_weight=10.0, rng=torch.Generator().manual_seed(0))
    assert len(seen) == 3 and all(torch.equal(s, y) for s in seen)  # real, fake, x̂
    assert float(out["gp"]) >= 0 and out["gp_norms"].shape == (6,)
    with pytest.raises(ValueError, match="a fake of the same class"):
        conditional_discriminator_step(D, d_opt, real, y, fake, y.flip(0), gp_weight=10.0)


@pytest.mark.parametrize("design", DESIGNS)
def test_the_generator_step_moves_g_only_and_asks_for_the_labels_given(design):
    G, D, aux = pair(design, n_classes=3)
    g_opt = torch.optim.SGD(G.parameters(), lr=0.1)
    d_before = copy.deepcopy(D.state_dict())
    y = torch.tensor([0, 1, 2, 0])
    z = torch.randn(4, 4)
    loss = conditional_generator_step(D, g_opt, G(z, y), y, aux_weight=aux)
    assert loss.ndim == 0 and not loss.requires_grad
    assert all(torch.equal(a, b) for a, b in zip(d_before.values(), D.state_dict().values(),
                                                 strict=True))
    assert all(p.requires_grad for p in D.parameters())
    assert math.isfinite(float(loss))
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in G.parameters())


def test_an_acgan_weight_needs_an_acgan_discriminator():
    G, D, _ = pair("concat")
    y = torch.tensor([0, 1])
    with pytest.raises(TypeError, match="takes the label as input"):
        conditional_generator_step(D, torch.optim.SGD(G.parameters(), lr=0.1),
                                   G(torch.randn(2, 4), y), y, aux_weight=1.0)
    _, A, _ = pair("acgan")
    with pytest.raises(TypeError, match="train it with aux_weight > 0"):
        conditional_generator_step(A, torch.optim.SGD(G.parameters(), lr=0.1),
                                   G(torch.randn(2, 4), y), y)
    with pytest.raises(TypeError, match="returns \\(logits, class_logits\\)"):
        conditional_generator_step(MLPDiscriminator(2), torch.optim.SGD(G.parameters(), lr=0.1),
                                   G(torch.randn(2, 4), y), y, aux_weight=1.0)


# ---------------------------------------------------------------------------- Trainer
def _by_hand(G, D, data, steps, batch_size, seed, aux):
    """Algorithm 1 with labels, written with the two conditional steps, seeded as Trainer."""
    x_all, y_all = data.tensors
    g_opt = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999), fused=True)
    d_opt = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999), fused=True)
    data_rng = torch.Generator().manual_seed(seed)
    noise_rng = torch.Generator().manual_seed(seed + 1)
    perm, pos = torch.empty(0, dtype=torch.long), 0
    for _ in range(steps):
        if pos + batch_size > len(perm):
            perm, pos = torch.randperm(len(x_all), generator=data_rng), 0
        idx, pos = perm[pos:pos + batch_size], pos + batch_size
        real, y = x_all[idx], y_all[idx]
        with torch.no_grad():
            fake = G(torch.randn(batch_size, G.latent_dim, generator=noise_rng), y)
        conditional_discriminator_step(D, d_opt, real, y, fake, y, aux_weight=aux)
        y_g = torch.randint(G.n_classes, (batch_size,), generator=noise_rng)
        fake = G(torch.randn(batch_size, G.latent_dim, generator=noise_rng), y_g)
        conditional_generator_step(D, g_opt, fake, y_g, aux_weight=aux)


@pytest.mark.parametrize("design", DESIGNS)
def test_a_conditional_trainer_step_is_the_two_conditional_steps(design):
    data = two_classes()
    G, D, aux = pair(design)
    G_hand, D_hand = copy.deepcopy(G), copy.deepcopy(D)
    t = Trainer(G, D, n_classes=2, aux_weight=aux, seed=3, device="cpu")
    t.fit(data, 5, batch_size=16, progress=False)
    _by_hand(G_hand, D_hand, data, 5, 16, 3, aux)
    for a, b in zip([*G.state_dict().values(), *D.state_dict().values()],
                    [*G_hand.state_dict().values(), *D_hand.state_dict().values()], strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("design", DESIGNS)
def test_a_short_run_puts_each_class_where_its_data_is(design):
    data = two_classes(2048)
    G, D, aux = pair(design)
    t = Trainer(G, D, n_classes=2, aux_weight=aux, lr=2e-3, seed=0, device="cpu")
    t.fit(data, 300, batch_size=64, progress=False)
    z = torch.randn(400, 4, generator=torch.Generator().manual_seed(1))
    for c, x0 in ((0, 1.0), (1, -1.0)):
        x = t.sample(z=z, labels=torch.full((400,), c))
        assert abs(float(x[:, 0].mean()) - x0) < 0.25, (design, c, x.mean(0))


def test_interrupted_conditional_training_resumes_exactly(tmp_path):
    data = two_classes()
    runs = []
    for split in (None, 3):
        G, D, aux = pair("acgan")
        t = Trainer(G, D, n_classes=2, aux_weight=aux, seed=1, device="cpu")
        if split:
            t.fit(data, split, batch_size=32, progress=False, checkpoint=tmp_path / "c.pt")
            G2, D2, _ = pair("acgan", seed=9)
            t = Trainer(G2, D2, n_classes=2, aux_weight=aux, seed=1, device="cpu")
            t.load(tmp_path / "c.pt")
        t.fit(data, 7 - (split or 0), batch_size=32, progress=False, snapshot_every=7)
        runs.append(t)
    a, b = runs
    for x, y in zip([*a.generator.state_dict().values(), *a.discriminator.state_dict().values()],
                    [*b.generator.state_dict().values(), *b.discriminator.state_dict().values()],
                    strict=True):
        assert torch.equal(x, y)
    assert torch.equal(a.snapshots[-1][1], b.snapshots[-1][1])


def test_a_non_finite_loss_undoes_a_conditional_step():
    from ganlib.steps import NonFiniteLossError

    data = two_classes()
    G, D, _ = pair("projection")
    t = Trainer(G, D, n_classes=2, seed=1, device="cpu")
    t.fit(data, 2, batch_size=32, progress=False)
    with torch.no_grad():  # every fake of class 1 becomes NaN
        G.embed.weight[1] = float("nan")
    before = copy.deepcopy(t.state_dict())
    with pytest.raises(NonFiniteLossError, match="at step 3"):
        t.fit(data, 1, batch_size=32, progress=False)
    after = t.state_dict()
    for key in ("generator", "discriminator", "g_optimizer", "d_optimizer", "data_rng",
                "noise_rng", "data_perm", "data_pos", "step", "history"):
        torch.testing.assert_close(after[key], before[key], rtol=0, atol=0, equal_nan=True)


def test_conditional_data_must_be_labelled_and_in_range():
    G, D, _ = pair()
    t = Trainer(G, D, n_classes=2, device="cpu")
    x = two_classes().tensors[0]
    with pytest.raises(TypeError, match="needs labelled data"):
        t.fit(x, 1, batch_size=8, progress=False)
    with pytest.raises(ValueError, match="single tensor"):
        t.fit(TensorDataset(x), 1, batch_size=8, progress=False)
    with pytest.raises(ValueError, match=r"the data's labels in \[0, 1\] \(2 classes\), got "
                                         "values from 0 to 9"):
        t.fit(TensorDataset(x, torch.arange(len(x)) % 10), 1, batch_size=8, progress=False)
    with pytest.raises(ValueError, match="integer dtype"):
        t.fit(TensorDataset(x, torch.zeros(len(x))), 1, batch_size=8, progress=False)
    unlabelled = DataLoader(x, batch_size=8)
    with pytest.raises(ValueError, match="samples without labels"):
        t.fit(unlabelled, 1, batch_size=8, progress=False)
    assert t.step == 0


def test_a_loader_of_labelled_batches_trains():
    G, D, _ = pair()
    t = Trainer(G, D, n_classes=2, device="cpu")
    t.fit(DataLoader(two_classes(), batch_size=8, shuffle=True), 3, batch_size=8, progress=False)
    assert t.step == 3


@pytest.mark.parametrize("kwargs, message", [
    ({"aux_weight": 1.0}, "needs labels: pass n_classes"),
    ({"n_classes": 2, "r1_weight": 1.0}, "not r1_weight or clip_value"),
    ({"n_classes": 2, "clip_value": 0.01}, "not r1_weight or clip_value"),
    ({"n_classes": 1}, "n_classes"),
])
def test_bad_conditional_trainer_arguments(kwargs, message):
    G, D, _ = pair()
    with pytest.raises(ValueError, match=message):
        Trainer(G, D, device="cpu", **kwargs)


def test_sampling_asks_for_classes_and_the_fixed_noise_has_one_label_per_class():
    G, D, _ = pair(n_classes=2)
    t = Trainer(G, D, n_classes=2, n_fixed=6, device="cpu")
    assert t.fixed_labels.tolist() == [0, 1, 0, 1, 0, 1]
    z = torch.randn(3, 4)
    assert torch.equal(t.sample(z=z), t.sample(z=z, labels=torch.tensor([0, 1, 0])))
    assert not torch.equal(t.sample(z=z), t.sample(z=z, labels=torch.tensor([1, 1, 1])))
    with pytest.raises(ValueError, match="one per noise vector"):
        t.sample(z=z, labels=torch.tensor([0, 1]))
    u = Trainer(MLPGenerator(4, 2), MLPDiscriminator(2), device="cpu")
    with pytest.raises(ValueError, match="labels are for a conditional trainer"):
        u.sample(z=z, labels=torch.tensor([0, 1, 0]))


def test_a_checkpoint_of_another_number_of_classes_is_refused_and_changes_nothing(tmp_path):
    data = two_classes()
    G, D, _ = pair()
    t = Trainer(G, D, n_classes=2, device="cpu")
    t.fit(data, 2, batch_size=16, progress=False)
    t.save(tmp_path / "c.pt")
    u = Trainer(MLPGenerator(4, 2), MLPDiscriminator(2), device="cpu")
    before = copy.deepcopy(u.generator.state_dict())
    with pytest.raises(ValueError, match="n_classes 2 in the checkpoint, None in this trainer"):
        u.load(tmp_path / "c.pt")
    assert all(torch.equal(a, b) for a, b in zip(before.values(),
                                                 u.generator.state_dict().values(), strict=True))


def test_from_embedding_is_the_generator_with_the_label_looked_up():
    G, _, _ = pair(n_classes=3)
    G.eval()
    z, y = torch.randn(5, 4), torch.tensor([0, 1, 2, 1, 0])
    assert torch.equal(G(z, y), G.from_embedding(z, G.embed(y)))
    with pytest.raises(ValueError, match=r"label embeddings of shape \(N, 3\)"):
        G.from_embedding(z, torch.zeros(5, 4))
    with pytest.raises(ValueError, match="one label embedding per noise vector"):
        G.from_embedding(z, torch.zeros(4, 3))


def test_the_latent_explorer_has_a_class_drop_down_for_a_conditional_generator():
    from ganlib.latent import latent_explorer, walk

    G = ConditionalMLPGenerator(4, (1, 4, 4), 3, hidden=(8,))
    z, dirs = torch.randn(4), torch.eye(4)[:2]
    box = latent_explorer(G, z, dirs, ["a", "b"], classes=["zero", "one", "two"])
    chooser = box.children[0]
    assert [o[0] for o in chooser.options] == ["zero", "one", "two"]
    for c in range(3):
        expected = walk(G, z, dirs[:1], [0.0], label=c)[0]
        assert torch.equal(box.render([0.0, 0.0], label=c), expected)
    chooser.value = 2
    assert torch.equal(box.render([0.0, 0.0]), walk(G, z, dirs[:1], [0.0], label=2)[0])
    assert not torch.equal(walk(G, z, dirs[:1], [0.0], label=0), walk(G, z, dirs[:1], [0.0],
                                                                       label=2))


# ---------------------------------------------------------------- convolutional nets
def test_conditional_batch_norm_starts_as_batch_norm_and_then_depends_on_the_class():
    from ganlib.conditional import ConditionalBatchNorm2d

    cbn = ConditionalBatchNorm2d(3, n_classes=4)
    x = torch.randn(8, 3, 5, 5)
    plain = torch.nn.functional.batch_norm(x, None, None, training=True)
    assert torch.allclose(cbn(x, torch.arange(8) % 4), plain, atol=1e-5)
    with torch.no_grad():
        cbn.gamma.weight[2] = 2.0
        cbn.beta.weight[2] = 1.0
    y = torch.tensor([0, 2, 0, 2, 0, 2, 0, 2])
    out = cbn(x, y)
    assert torch.allclose(out[y == 2], 2 * plain[y == 2] + 1, atol=1e-5)
    assert torch.allclose(out[y == 0], plain[y == 0], atol=1e-5)
    with pytest.raises(ValueError, match=r"in \[0, 3\]"):
        cbn(x, torch.full((8,), 4))


@pytest.mark.parametrize("size, channels", [(28, 1), (32, 1), (64, 3)])
def test_the_conditional_dcgan_generator_and_projection_discriminator(size, channels):
    from ganlib.conditional import ConditionalDCGANGenerator, ProjectionDCGANDiscriminator

    torch.manual_seed(0)
    G = ConditionalDCGANGenerator(16, 10, channels, size, width=8)
    D = ProjectionDCGANDiscriminator(10, channels, size, width=8)
    z, y = torch.randn(4, 16), torch.tensor([3, 1, 4, 1])
    G.eval()  # running statistics: each sample's image depends on its own label only
    D.eval()  # spectral norm: no power iteration at each call
    x = G(z, y)
    assert x.shape == (4, channels, size, size) and x.abs().max() <= 1
    with torch.no_grad():  # the label reaches the image through the per-class scales
        G.layers[1].gamma.weight[3].mul_(3.0)
    assert not torch.allclose(G(z, y)[0], x[0]) and torch.allclose(G(z, y)[1:], x[1:])
    features = D.phi(x)
    expected = D.psi(features).flatten() + (D.embed.weight[y] * features.sum((2, 3))).sum(1)
    assert torch.allclose(D(x, y), expected, atol=1e-5)
    with pytest.raises(ValueError, match="one per noise vector"):
        G(z, y[:3])
    with pytest.raises(ValueError, match="expected images of shape"):
        D(torch.randn(4, channels, size + 4, size + 4), y)


def test_a_convolutional_conditional_gan_trains_and_resumes_exactly(tmp_path):
    from ganlib.conditional import ConditionalDCGANGenerator, ProjectionDCGANDiscriminator

    g = torch.Generator().manual_seed(0)
    data = TensorDataset(torch.rand(64, 1, 28, 28, generator=g) * 2 - 1,
                         torch.randint(10, (64,), generator=g))
    runs = []
    for split in (None, 2):
        torch.manual_seed(0)
        G, D = ConditionalDCGANGenerator(8, width=4), ProjectionDCGANDiscriminator(width=4)
        t = Trainer(G, D, n_classes=10, loss="hinge", seed=2, device="cpu")
        if split:
            t.fit(data, split, batch_size=8, progress=False, checkpoint=tmp_path / "c.pt")
            torch.manual_seed(1)
            t = Trainer(ConditionalDCGANGenerator(8, width=4),
                        ProjectionDCGANDiscriminator(width=4), n_classes=10, loss="hinge",
                        seed=2, device="cpu").load(tmp_path / "c.pt")
        t.fit(data, 4 - (split or 0), batch_size=8, progress=False)
        runs.append(t)
    for a, b in zip(runs[0].generator.state_dict().values(),
                    runs[1].generator.state_dict().values(), strict=True):
        assert torch.equal(a, b)
