"""Minibatch standard deviation and packing, against hand computations."""

from __future__ import annotations

import math

import pytest
import torch

from ganlib.models import MLPDiscriminator
from ganlib.remedies import (
    PACGAN_COLUMNS,
    PACGAN_TABLE_1,
    MinibatchStdDev,
    MinibatchStdDevDiscriminator,
    mean_se,
    minibatch_stddev,
    pack,
)


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


# ----------------------------------------------------------- the 2-D benchmark
def test_every_toy_method_builds_and_takes_a_step():
    from ganlib.data import ring2d
    from ganlib.remedies import LONG_TOY_METHODS, TOY_METHODS, build_toy_gan

    for name, settings in {**TOY_METHODS, **LONG_TOY_METHODS}.items():
        trainer, got = build_toy_gan(name, seed=0, steps=2)
        assert got == settings.replace(steps=2)
        assert settings.batch_size % settings.pack == 0
        trainer.fit(ring2d(), 1, batch_size=got.batch_size, progress=False)
        assert trainer.step == 1, name


def test_build_toy_gan_is_seeded_and_leaves_the_global_generator_alone():
    from ganlib.remedies import build_toy_gan

    torch.manual_seed(5)
    expected = torch.rand(2)
    torch.manual_seed(5)
    a, _ = build_toy_gan("PacGAN2", seed=3)
    assert torch.equal(torch.rand(2), expected)
    b, _ = build_toy_gan("PacGAN2", seed=3)
    c, _ = build_toy_gan("PacGAN2", seed=4)
    first = [p.detach() for p in a.generator.parameters()]
    assert all(torch.equal(p, q) for p, q in zip(first, b.generator.parameters(), strict=True))
    assert not torch.equal(first[0], next(c.generator.parameters()))
    assert a.discriminator.pack == 2


def test_build_toy_gan_rejects_unknown_methods_and_bad_batches():
    from ganlib.remedies import ToyGANSettings, build_toy_gan

    with pytest.raises(ValueError, match="unknown method 'VEEGAN'; expected one of .*WGAN-GP, 12k"):
        build_toy_gan("VEEGAN")
    with pytest.raises(ValueError, match="multiple of pack 3"):
        build_toy_gan(ToyGANSettings(pack=3, batch_size=100))


def test_minibatch_std_method_uses_the_layer():
    from ganlib.remedies import build_toy_gan

    trainer, _ = build_toy_gan("GAN + MBSD")
    assert isinstance(trainer.discriminator, MinibatchStdDevDiscriminator)


def test_linear_lr_decay_reaches_zero_at_the_last_step():
    from ganlib.data import ring2d
    from ganlib.remedies import build_toy_gan, linear_lr_decay

    trainer, s = build_toy_gan("GAN", steps=4)
    seen = []
    trainer.fit(ring2d(), 4, batch_size=8, progress=False,
                callbacks=[linear_lr_decay(4),
                           lambda t, row: seen.append(t.g_optimizer.param_groups[0]["lr"])])
    assert seen == pytest.approx([s.lr * 0.75, s.lr * 0.5, s.lr * 0.25, 0.0])
    assert trainer.d_optimizer.param_groups[0]["lr"] == 0.0
    with pytest.raises(ValueError, match="total_steps"):
        linear_lr_decay(0)


def test_train_toy_gan_and_run_toy_method():
    from ganlib.data import grid2d
    from ganlib.remedies import EVAL_SAMPLES, run_toy_method, train_toy_gan

    trainer = train_toy_gan("GAN", grid2d(), seed=1, steps=3, snapshot_every=1)
    assert trainer.step == 3 and len(trainer.snapshots) == 4
    assert trainer.snapshots[0][1].shape == (1000, 2)
    result = run_toy_method("GAN", "grid", seed=1, steps=3)
    assert result["steps"] == 3 and result["n_modes"] == 25
    assert result["samples"].shape == (EVAL_SAMPLES, 2)
    assert 0 <= result["high_quality"] <= 1 and len(result["counts"]) == 25
    assert result["cpu_seconds"] >= 0 and result["seconds"] > 0
    with pytest.raises(ValueError, match="dataset must be one of"):
        run_toy_method("GAN", "spiral")


@pytest.mark.slow
def test_run_toy_benchmark_gives_the_same_numbers_in_parallel():
    from ganlib.remedies import run_toy_benchmark

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        kw = {"methods": ["GAN", "PacGAN2"], "datasets": ["ring"], "seeds": [0, 1], "steps": 3}
        here = run_toy_benchmark(workers=1, **kw)
        seen = []
        there = run_toy_benchmark(workers=2, on_result=lambda i, n, r: seen.append((i, n)), **kw)
    finally:
        torch.set_num_threads(threads)
    assert [(r["method"], r["seed"]) for r in here] == [
        ("GAN", 0), ("GAN", 1), ("PacGAN2", 0), ("PacGAN2", 1)]
    for a, b in zip(here, there, strict=True):
        assert (a["method"], a["seed"], a["counts"]) == (b["method"], b["seed"], b["counts"])
        assert torch.equal(a["samples"], b["samples"])
    assert sorted(seen) == [(1, 4), (2, 4), (3, 4), (4, 4)]
    with pytest.raises(ValueError, match="unknown method"):
        run_toy_benchmark(methods=["BigGAN"])


@pytest.mark.slow
def test_the_benchmark_script_writes_its_table(tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out, js = tmp_path / "table.md", tmp_path / "runs.json"
    res = subprocess.run(
        [sys.executable, str(root / "bench" / "mode_collapse.py"), "--tiny", "--methods", "GAN",
         "PacGAN2", "--out", str(out), "--json", str(js), "--workers", "1"],
        cwd=root, env={**os.environ, "GANLIB_OFFLINE": "1"}, capture_output=True, text=True,
        timeout=600, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    text = out.read_text()
    assert "| GAN |" in text and "| PacGAN2 |" in text and "PacGAN's Table 1" in text
    assert "--tiny" in text and "Machine:" in text
    runs = json.loads(js.read_text())["runs"]
    assert len(runs) == 4 and {r["steps"] for r in runs} == {4}
    # --resume keeps the runs already done and trains only the missing ones.
    out2, js2 = tmp_path / "table2.md", tmp_path / "runs2.json"
    res = subprocess.run(
        [sys.executable, str(root / "bench" / "mode_collapse.py"), "--tiny", "--methods", "GAN",
         "PacGAN2", "PacGAN3", "--out", str(out2), "--json", str(js2), "--workers", "1",
         "--resume", str(js)],
        cwd=root, env={**os.environ, "GANLIB_OFFLINE": "1"}, capture_output=True, text=True,
        timeout=600, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "resuming: 4 runs" in res.stdout and "[  2/2] PacGAN3" in res.stdout
    runs2 = json.loads(js2.read_text())["runs"]
    assert len(runs2) == 6 and runs2[:4] == runs
    assert "runs kept from its JSON by" in out2.read_text()  # both commands are named


# ------------------------------------------------------------- PacGAN's table, mean ± SE
def test_mean_se_is_the_mean_and_the_standard_error_of_the_mean():
    mean, se = mean_se([1.0, 2.0, 3.0, 6.0])  # sample std √(14/3), n = 4
    assert mean == pytest.approx(3.0) and se == pytest.approx(math.sqrt(14 / 3) / 2)
    assert mean_se([5]) == (5.0, 0.0)
    with pytest.raises(ValueError, match="at least one value"):
        mean_se([])


def test_pacgan_table_1_has_a_mean_and_error_in_every_column():
    assert set(PACGAN_TABLE_1) == {"GAN", "ALI", "PacGAN2", "PacGAN3", "PacGAN4"}
    for cells in PACGAN_TABLE_1.values():
        assert len(cells) == len(PACGAN_COLUMNS)
        for cell in cells:
            mean, se = (float(x) for x in cell.split(" ± "))
            assert mean >= 0 and se >= 0
