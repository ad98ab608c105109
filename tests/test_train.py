import copy
import math
import pickle
import warnings

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ganlib.data import gaussian_mixture_1d, ring2d
from ganlib.losses import LOSSES, minimax_d_loss, r1_penalty
from ganlib.models import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator
from ganlib.train import History, NonFiniteLossError, StopTraining, Trainer, train

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def toy_pair(seed=0, batch_norm=False, hidden=(32, 32)):
    torch.manual_seed(seed)
    return (MLPGenerator(2, 2, hidden=hidden, batch_norm=batch_norm),
            MLPDiscriminator(2, hidden=hidden))


@pytest.fixture(scope="module")
def ring_data():
    return ring2d().sample(4096, generator=torch.Generator().manual_seed(0))


def losses(history):
    return torch.tensor([[r["d_loss"], r["g_loss"]] for r in history.rows])


# ------------------------------------------------------------------- the basic loop
def test_fit_logs_a_history_usable_as_a_table(ring_data):
    G, D = toy_pair()
    t = Trainer(G, D, device="cpu")
    h = t.fit(ring_data, 20, batch_size=32, log_every=5, progress=False)
    assert h is t.history and len(h) == 4 and t.step == 20
    assert h["step"].tolist() == [5, 10, 15, 20]
    df = h.to_pandas()
    assert list(df.index) == [5, 10, 15, 20]
    assert {"d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm", "time"} <= set(df)
    assert (df["d_real"].between(0, 1)).all() and (df["time"].diff().dropna() >= 0).all()
    assert df["gp"].isna().all() and df["r1"].isna().all()  # no penalty asked for
    assert "last step 20" in repr(h) and h.last()["step"] == 20
    with pytest.raises(KeyError, match="no column"):
        h["accuracy"]
    with pytest.raises(IndexError):
        History().last()


def test_each_network_is_updated_by_its_own_step(ring_data):
    G, D = toy_pair()
    t = Trainer(G, D, device="cpu", n_critic=3)
    calls = {"d": 0, "g": 0}
    d_step, g_step = t.d_optimizer.step, t.g_optimizer.step
    t.d_optimizer.step = lambda *a, **k: (calls.__setitem__("d", calls["d"] + 1), d_step(*a, **k))
    t.g_optimizer.step = lambda *a, **k: (calls.__setitem__("g", calls["g"] + 1), g_step(*a, **k))
    t.fit(ring_data, 4, batch_size=16, progress=False)
    assert calls == {"d": 12, "g": 4}
    assert all(p.requires_grad for p in D.parameters())


def test_the_discriminator_step_leaves_the_generator_alone(ring_data):
    G, D = toy_pair()
    t = Trainer(G, D, device="cpu")
    g_before = [p.detach().clone() for p in G.parameters()]
    t.g_optimizer.step = lambda *a, **k: None  # freeze G: only D's updates remain
    t.fit(ring_data, 3, batch_size=16, progress=False)
    assert all(torch.equal(a, b) for a, b in zip(g_before, G.parameters(), strict=True))


def test_the_optimal_discriminator_is_learned_on_two_fixed_gaussians():
    """D trained on p_data = N(-1, 1) vs p_g = N(1, 1) approaches D* = p_d / (p_d + p_g)."""
    torch.manual_seed(0)
    p_data, p_g = gaussian_mixture_1d([-1.0], [1.0]), gaussian_mixture_1d([1.0], [1.0])
    D = MLPDiscriminator(1, hidden=(32, 32))
    opt = torch.optim.Adam(D.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(600):
        loss = minimax_d_loss(D(p_data.sample(512, g)), D(p_g.sample(512, g)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    x = torch.linspace(-2.5, 2.5, 101)[:, None]
    d_star = p_data.pdf(x) / (p_data.pdf(x) + p_g.pdf(x))
    with torch.no_grad():
        learned = torch.sigmoid(D(x))
    assert float((learned - d_star).abs().max()) < 0.05


def test_short_wgan_gp_run_on_the_ring_reaches_every_mode():
    """WGAN-GP with the authors' toy-script settings (λ = 0.1, Adam 1e-4, β = (0.5, 0.9))."""
    from ganlib.metrics import mode_stats

    ring = ring2d()
    torch.manual_seed(0)
    G = MLPGenerator(2, 2, hidden=(128, 128, 128))
    D = MLPDiscriminator(2, hidden=(128, 128, 128))
    t = train(G, D, ring.sample(100_000, generator=torch.Generator().manual_seed(0)), 600,
              loss="wasserstein", gp_weight=0.1, n_critic=5, lr=1e-4, betas=(0.5, 0.9),
              batch_size=256, device="cpu", progress=False, log_every=100)
    stats = mode_stats(t.sample(2500), ring)
    assert stats.captured == 8, str(stats)
    assert not math.isnan(t.history.last()["gp"])


def test_weight_clipping_bounds_every_critic_weight(ring_data):
    G, D = toy_pair()
    Trainer(G, D, loss="wasserstein", clip_value=0.01, device="cpu",
            d_optimizer=lambda p: torch.optim.RMSprop(p, lr=5e-5)).fit(
        ring_data, 5, batch_size=16, progress=False)
    assert max(float(p.detach().abs().max()) for p in D.parameters()) <= 0.01 + 1e-7


@pytest.mark.parametrize("loss", ["minimax", "nonsaturating", "lsgan", "wasserstein", "hinge"])
def test_every_loss_trains(loss, ring_data):
    G, D = toy_pair()
    h = Trainer(G, D, loss=loss, device="cpu").fit(ring_data, 3, batch_size=16, progress=False)
    assert len(h) == 3 and all(math.isfinite(v) for v in h["g_loss"])


def test_gradient_penalty_is_logged(ring_data):
    G, D = toy_pair()
    h = Trainer(G, D, loss="wasserstein", gp_weight=10, device="cpu").fit(
        ring_data, 2, batch_size=16, progress=False)
    assert (h["gp"] >= 0).all() and (h["gp_grad_norm"] > 0).all()


def test_r1_adds_half_gamma_times_the_penalty_to_the_discriminators_loss():
    """One SGD step (lr 1) moves D's weights by exactly -(∇loss + γ/2 ∇R1)."""
    gamma = 10.0
    torch.manual_seed(0)
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    G, D = toy_pair()
    reference = copy.deepcopy(D)
    t = Trainer(G, D, r1_weight=gamma, device="cpu",
                d_optimizer=lambda p: torch.optim.SGD(p, lr=1.0))
    row = t._discriminator_step(real, fake, log=True)

    x = real.clone().requires_grad_(True)
    real_logits = reference(x)
    loss = LOSSES["nonsaturating"][0](real_logits, reference(fake))
    penalty = r1_penalty(real_logits, x)
    grads = torch.autograd.grad(loss + gamma / 2 * penalty, list(reference.parameters()))
    for p, p0, g in zip(D.parameters(), reference.parameters(), grads, strict=True):
        assert torch.allclose(p.detach(), p0.detach() - g, atol=1e-6)
    assert row["r1"] == pytest.approx(float(penalty.detach()))


def test_r1_with_a_batch_norm_discriminator_warns():
    G = DCGANGenerator(16, 1, 28, 8)
    with pytest.warns(UserWarning, match="batch norm"):
        Trainer(G, DCGANDiscriminator(1, 28, 8), r1_weight=10.0, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # without batch norm, or without R1: no warning
        Trainer(G, DCGANDiscriminator(1, 28, 8, norm="none"), r1_weight=10.0, device="cpu")
        Trainer(G, DCGANDiscriminator(1, 28, 8), device="cpu")


def test_r1_keeps_the_discriminator_flat_on_the_real_data(ring_data):
    """With γ = 10 the logged ‖∇ₓD(x)‖² on real data stays far below the unpenalised run's."""
    final = {}
    for gamma in (0.0, 10.0):
        G, D = toy_pair(seed=1)
        t = Trainer(G, D, r1_weight=gamma, device="cpu", lr=1e-3, seed=1)
        t.fit(ring_data, 300, batch_size=64, progress=False, log_every=300)
        x = ring_data[:512].clone().requires_grad_(True)
        final[gamma] = float(r1_penalty(D(x), x).detach())
    assert final[10.0] < 0.2 * final[0.0], final


# --------------------------------------------------------------------- data sources
def test_data_sources(ring_data):
    ring = ring2d()
    for data in (ring_data, TensorDataset(ring_data), ring,
                 DataLoader(TensorDataset(ring_data), batch_size=16, shuffle=True)):
        G, D = toy_pair()
        h = Trainer(G, D, device="cpu").fit(data, 3, batch_size=16, progress=False)
        assert len(h) == 3
    G, D = toy_pair()
    with pytest.raises(TypeError, match="data must be"):
        Trainer(G, D, device="cpu").fit(42, 3, progress=False)
    with pytest.raises(ValueError, match="larger than the data set"):
        Trainer(G, D, device="cpu").fit(ring_data[:10], 3, batch_size=16, progress=False)
    with pytest.raises(ValueError, match=r"shape \(N, \.\.\.\)"):
        Trainer(G, D, device="cpu").fit(torch.zeros(100), 3, batch_size=16, progress=False)
    loader = DataLoader(TensorDataset(ring_data), batch_size=32)
    with pytest.raises(ValueError, match="yields batches of 32 but fit's batch_size is 16"):
        Trainer(G, D, device="cpu").fit(loader, 3, batch_size=16, progress=False)


def test_generator_and_data_shapes_must_agree():
    G = DCGANGenerator(8, 1, 28, 4)
    D = DCGANDiscriminator(1, 28, 4)
    with pytest.raises(ValueError, match=r"makes samples of shape \(1, 28, 28\) but the data has samples of shape \(1, 32, 32\)"):
        Trainer(G, D, device="cpu").fit(torch.zeros(64, 1, 32, 32), 1, batch_size=8, progress=False)


def test_generator_and_loader_shapes_must_agree_before_any_update():
    G = DCGANGenerator(8, 1, 32, 4)
    D = DCGANDiscriminator(1, 32, 4)
    before = [p.detach().clone() for p in (*G.parameters(), *D.parameters())]
    trainer = Trainer(G, D, device="cpu")
    loader = DataLoader(torch.zeros(64, 1, 28, 28), batch_size=8)  # forgot to pad to 32 px
    with pytest.raises(ValueError, match=r"makes samples of shape \(1, 32, 32\) but the data has samples of shape \(1, 28, 28\)"):
        trainer.fit(loader, 2, batch_size=8, progress=False)
    assert trainer.step == 0
    after = [p.detach() for p in (*G.parameters(), *D.parameters())]
    assert all(torch.equal(x, y) for x, y in zip(before, after, strict=True))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"loss": "bce"}, "loss must be one of"),
        ({"n_critic": 0}, "n_critic must be"),
        ({"gp_weight": -1}, "gp_weight must be"),
        ({"r1_weight": -1}, "r1_weight must be"),
        ({"clip_value": 0}, "clip_value must be"),
        ({"device": "gpu"}, "device must be"),
    ],
)
def test_bad_trainer_arguments(kwargs, message):
    G, D = toy_pair()
    with pytest.raises(ValueError, match=message):
        Trainer(G, D, **kwargs)


def test_latent_dim_must_be_known():
    G = nn.Sequential(nn.Linear(3, 2))
    with pytest.raises(ValueError, match="latent_dim must be a positive int"):
        Trainer(G, MLPDiscriminator(2), device="cpu")
    t = Trainer(G, MLPDiscriminator(2), latent_dim=3, device="cpu")
    assert t.sample(4).shape == (4, 2)


@pytest.mark.parametrize(("name", "value"), [("steps", 0), ("batch_size", -1), ("log_every", 0)])
def test_bad_fit_arguments(ring_data, name, value):
    G, D = toy_pair()
    kwargs = {"steps": 2, "batch_size": 8, "log_every": 1, name: value}
    with pytest.raises(ValueError, match=f"{name} must be a positive int"):
        Trainer(G, D, device="cpu").fit(ring_data, progress=False, **kwargs)


def test_train_helper_routes_keyword_arguments(ring_data):
    G, D = toy_pair()
    t = train(G, D, ring_data, 4, loss="hinge", batch_size=8, progress=False, seed=3)
    assert t.loss == "hinge" and t.step == 4 and t.seed == 3
    with pytest.raises(TypeError, match="unknown keyword"):
        train(G, D, ring_data, 1, learning_rate=1)


# --------------------------------------------------------------- samples & progress
def test_snapshots_come_from_the_fixed_noise(ring_data):
    G, D = toy_pair()
    t = Trainer(G, D, device="cpu", n_fixed=10)
    t.fit(ring_data, 6, batch_size=16, snapshot_every=3, progress=False)
    assert [s for s, _ in t.snapshots] == [0, 3, 6]
    assert all(x.shape == (10, 2) for _, x in t.snapshots)
    assert torch.equal(t.snapshots[-1][1], t.sample(z=t.fixed_noise))
    with pytest.raises(ValueError, match="give either n"):
        t.sample()


def test_sampling_restores_the_generators_mode():
    G, D = toy_pair(batch_norm=True)
    t = Trainer(G, D, device="cpu")
    G.train()
    t.sample(4)
    assert G.training
    G.eval()
    t.sample(4)
    assert not G.training


def test_progress_bar_in_a_terminal_and_silence(ring_data, capsys):
    G, D = toy_pair()
    Trainer(G, D, device="cpu").fit(ring_data, 3, batch_size=8, progress=True)
    assert "training" in capsys.readouterr().err
    Trainer(G, D, device="cpu").fit(ring_data, 3, batch_size=8, progress=False)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_callbacks_see_each_row_and_can_stop_training(ring_data):
    G, D = toy_pair()
    seen = []

    def stop_at_4(trainer, row):
        seen.append(row["step"])
        if trainer.step == 4:
            raise StopTraining

    h = Trainer(G, D, device="cpu").fit(ring_data, 50, batch_size=8, callbacks=[stop_at_4],
                                        progress=False)
    assert seen == [1, 2, 3, 4] and len(h) == 4


# ------------------------------------------------------------------ faults & resume
class NaNAfter(nn.Module):
    """Wraps a discriminator and returns NaN from its n-th call on."""

    def __init__(self, inner, n):
        super().__init__()
        self.inner, self.n, self.calls = inner, n, 0

    def forward(self, x):
        self.calls += 1
        out = self.inner(x)
        return out * float("nan") if self.calls >= self.n else out


def test_a_nan_loss_stops_training_naming_the_step_and_keeps_the_last_good_state(ring_data):
    G, D = toy_pair()
    # each step calls D three times (real, fake, generator's update): the 10th is in step 4
    t = Trainer(G, NaNAfter(D, 10), device="cpu")
    with pytest.raises(NonFiniteLossError, match=r"discriminator loss became nan at step 4.*last good step \(3\)"):
        t.fit(ring_data, 10, batch_size=8, progress=False)
    assert t.step == 3 and len(t.history) == 3
    params = list(G.parameters()) + list(D.parameters())
    assert all(torch.isfinite(p).all() for p in params)


def test_a_nan_generator_loss_is_caught_before_its_update(ring_data):
    G, D = toy_pair()
    t = Trainer(G, NaNAfter(D, 3), device="cpu")  # the generator's update of step 1
    g_before = [p.detach().clone() for p in G.parameters()]
    with pytest.raises(NonFiniteLossError, match="generator loss became nan at step 1"):
        t.fit(ring_data, 5, batch_size=8, progress=False)
    assert all(torch.equal(a, b) for a, b in zip(g_before, G.parameters(), strict=True))
    assert len(t.history) == 0 and t.step == 0


def test_ctrl_c_keeps_models_and_history_and_saves_a_checkpoint(ring_data, tmp_path, capsys):
    G, D = toy_pair()

    def interrupt(trainer, row):
        if trainer.step == 5:
            raise KeyboardInterrupt

    t = Trainer(G, D, device="cpu")
    h = t.fit(ring_data, 100, batch_size=8, callbacks=[interrupt], progress=False,
              checkpoint=tmp_path / "ck.pt")
    assert t.interrupted and len(h) == 5 and t.step == 5
    assert "Interrupted at step 5" in capsys.readouterr().out
    resumed = Trainer(*toy_pair(seed=1), device="cpu").load(tmp_path / "ck.pt")
    assert resumed.step == 5 and len(resumed.history) == 5


@pytest.mark.parametrize("data_kind", ["tensor", "sampler"])
def test_resuming_from_a_checkpoint_continues_exactly(ring_data, tmp_path, data_kind):
    data = ring_data if data_kind == "tensor" else ring2d()
    kwargs = dict(loss="wasserstein", gp_weight=1.0, n_critic=2, device="cpu", seed=5)

    G, D = toy_pair(batch_norm=True)
    straight = Trainer(G, D, **kwargs)
    straight.fit(data, 20, batch_size=16, progress=False, snapshot_every=10)

    G, D = toy_pair(batch_norm=True)
    first = Trainer(G, D, **kwargs)
    first.fit(data, 10, batch_size=16, progress=False, snapshot_every=10,
              checkpoint=tmp_path / "half.pt")
    G2, D2 = toy_pair(seed=99, batch_norm=True)  # different weights, overwritten by load
    second = Trainer(G2, D2, **kwargs).load(tmp_path / "half.pt")
    second.fit(data, 10, batch_size=16, progress=False, snapshot_every=10)

    assert torch.allclose(losses(second.history), losses(straight.history), atol=1e-6)
    assert [s for s, _ in second.snapshots] == [0, 10, 20]
    for a, b in zip(straight.generator.state_dict().values(), G2.state_dict().values(), strict=True):
        assert torch.allclose(a.float(), b.float(), atol=1e-6)


def test_same_seed_same_run(ring_data):
    runs = []
    for _ in range(2):
        G, D = toy_pair()
        runs.append(losses(Trainer(G, D, device="cpu", seed=1).fit(
            ring_data, 10, batch_size=16, progress=False)))
    assert torch.equal(runs[0], runs[1])
    G, D = toy_pair()
    other = losses(Trainer(G, D, device="cpu", seed=2).fit(ring_data, 10, batch_size=16,
                                                           progress=False))
    assert not torch.equal(runs[0], other)


def test_checkpoints_are_written_atomically(ring_data, tmp_path, monkeypatch):
    G, D = toy_pair()
    t = Trainer(G, D, device="cpu")
    path = tmp_path / "ck.pt"
    t.save(path)
    good = path.read_bytes()

    def broken_save(obj, f, *args, **kwargs):
        with open(f, "wb") as fh:
            fh.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        t.save(path)
    assert path.read_bytes() == good  # the old checkpoint is intact
    assert [p.name for p in tmp_path.iterdir()] == ["ck.pt"]  # no temporary file left


def test_checkpoints_are_loaded_with_weights_only(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("this code ran while loading",))

    path = tmp_path / "evil.pt"
    torch.save({"format": 1, "payload": Evil()}, path)
    G, D = toy_pair()
    with pytest.raises(pickle.UnpicklingError):
        Trainer(G, D, device="cpu").load(path)


def test_loading_into_a_mismatched_architecture_is_a_clear_error(tmp_path):
    G, D = toy_pair(hidden=(32, 32))
    Trainer(G, D, device="cpu").save(tmp_path / "ck.pt")
    G2, D2 = toy_pair(hidden=(64, 32))
    with pytest.raises(ValueError, match=r"generator does not match.*shape mismatch: net\.0\.weight: checkpoint \(32, 2\) vs model \(64, 2\)"):
        Trainer(G2, D2, device="cpu").load(tmp_path / "ck.pt")
    G3, D3 = toy_pair(batch_norm=True)
    with pytest.raises(ValueError, match="missing from the checkpoint"):
        Trainer(G3, D3, device="cpu").load(tmp_path / "ck.pt")
    G4 = MLPGenerator(3, 2, hidden=(32, 32))
    with pytest.raises(ValueError, match="latent_dim 2, this trainer 3"):
        Trainer(G4, D, device="cpu").load(tmp_path / "ck.pt")


def test_loading_something_that_is_not_a_checkpoint(tmp_path):
    G, D = toy_pair()
    t = Trainer(G, D, device="cpu")
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        t.load(tmp_path / "missing.pt")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a ganlib checkpoint"):
        t.load(tmp_path / "other.pt")


# ------------------------------------------------------------------ image fast path
def test_dcgan_with_bf16_autocast_and_channels_last_runs_on_cpu():
    torch.manual_seed(0)
    G, D = DCGANGenerator(16, 1, 28, 4), DCGANDiscriminator(1, 28, 4)
    t = Trainer(G, D, device="cpu", bf16=True, channels_last=True)
    h = t.fit(torch.rand(64, 1, 28, 28) * 2 - 1, 2, batch_size=16, progress=False)
    assert len(h) == 2 and math.isfinite(h.last()["d_loss"])
    assert G.net[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert t.sample(3).dtype == torch.float32


@cuda
@pytest.mark.cuda
def test_cuda_fast_path_trains_and_resumes(tmp_path):
    torch.manual_seed(0)
    G, D = DCGANGenerator(16, 1, 28, 8), DCGANDiscriminator(1, 28, 8)
    data = torch.rand(256, 1, 28, 28) * 2 - 1
    t = Trainer(G, D, device="cuda", bf16=True, channels_last=True)
    t.fit(data, 5, batch_size=32, progress=False, checkpoint=tmp_path / "ck.pt")
    assert next(G.parameters()).is_cuda and len(t.history) == 5
    G2, D2 = DCGANGenerator(16, 1, 28, 8), DCGANDiscriminator(1, 28, 8)
    t2 = Trainer(G2, D2, device="cuda", bf16=True, channels_last=True).load(tmp_path / "ck.pt")
    assert t2.step == 5
    t2.fit(data, 2, batch_size=32, progress=False)
    assert t2.step == 7


@cuda
@pytest.mark.cuda
def test_cuda_wgan_gp_step_matches_the_cpu_one():
    def run(device):
        G, D = toy_pair()
        return losses(Trainer(G, D, loss="wasserstein", gp_weight=10, device=device, seed=0)
                      .fit(ring2d(), 3, batch_size=64, progress=False))

    assert torch.allclose(run("cpu"), run("cuda"), atol=1e-3)
