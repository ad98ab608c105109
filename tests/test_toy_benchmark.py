"""The 2-D mode-collapse benchmark's harness: methods, training, runs, PacGAN's table."""

from __future__ import annotations

import math

import pytest
import torch

from ganlib.data import grid2d, ring2d
from ganlib.remedies import MinibatchStdDevDiscriminator
from ganlib.toy_benchmark import (
    EVAL_SAMPLES,
    LONG_TOY_METHODS,
    PACGAN_COLUMNS,
    PACGAN_TABLE_1,
    TOY_METHODS,
    ToyGANSettings,
    build_toy_gan,
    linear_lr_decay,
    mean_se,
    run_toy_benchmark,
    run_toy_method,
    train_toy_gan,
)


# ------------------------------------------------------------------- the methods, one run
def test_every_toy_method_builds_and_takes_a_step():
    for name, settings in {**TOY_METHODS, **LONG_TOY_METHODS}.items():
        trainer, got = build_toy_gan(name, seed=0, steps=2)
        assert got == settings.replace(steps=2)
        assert settings.batch_size % settings.pack == 0
        trainer.fit(ring2d(), 1, batch_size=got.batch_size, progress=False)
        assert trainer.step == 1, name


def test_build_toy_gan_is_seeded_and_leaves_the_global_generator_alone():
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
    with pytest.raises(ValueError, match="unknown method 'VEEGAN'; expected one of .*WGAN-GP, 12k"):
        build_toy_gan("VEEGAN")
    with pytest.raises(ValueError, match="multiple of pack 3"):
        build_toy_gan(ToyGANSettings(pack=3, batch_size=100))


def test_minibatch_std_method_uses_the_layer():
    trainer, _ = build_toy_gan("GAN + MBSD")
    assert isinstance(trainer.discriminator, MinibatchStdDevDiscriminator)


def test_linear_lr_decay_reaches_zero_at_the_last_step():
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


def test_reuse_fakes_reaches_the_trainer_and_the_result():
    fresh = run_toy_method("GAN", "ring", seed=0, steps=3)
    reused = run_toy_method("GAN", "ring", seed=0, steps=3, reuse_fakes=True)
    assert fresh["reuse_fakes"] is False and reused["reuse_fakes"] is True
    assert not torch.equal(fresh["samples"], reused["samples"])  # a different algorithm
    trainer, settings = build_toy_gan("GAN", 0, reuse_fakes=True)
    assert settings.reuse_fakes and trainer.reuse_fakes
