import copy
import math
import warnings

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ganlib.data import gaussian_mixture_1d, ring2d
from ganlib.losses import minimax_d_loss, r1_penalty
from ganlib.models import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator
from ganlib.steps import discriminator_step, generator_step
from ganlib.train import History, Speed, StopTraining, Trainer

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


def _by_hand(G, D, data, steps, batch_size, seed, n_critic, reuse_fakes, **step_options):
    """Algorithm 1 written out with ganlib.steps and generators seeded as Trainer seeds them."""
    g_opt = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999), fused=True)
    d_opt = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999), fused=True)
    data_rng = torch.Generator().manual_seed(seed)
    noise_rng = torch.Generator().manual_seed(seed + 1)
    perm, pos = torch.empty(0, dtype=torch.long), 0
    for _ in range(steps):
        for i in range(n_critic):
            if pos + batch_size > len(perm):  # a new epoch
                perm, pos = torch.randperm(len(data), generator=data_rng), 0
            real, pos = data[perm[pos:pos + batch_size]], pos + batch_size
            z = torch.randn(batch_size, G.latent_dim, generator=noise_rng)
            with torch.set_grad_enabled(reuse_fakes and i == n_critic - 1):
                fake = G(z)
            discriminator_step(D, d_opt, real, fake, rng=noise_rng, **step_options)
        if not reuse_fakes:  # a fresh batch of noise for the generator's update
            fake = G(torch.randn(batch_size, G.latent_dim, generator=noise_rng))
        generator_step(D, g_opt, fake, loss=step_options["loss"])


@pytest.mark.parametrize("n_critic", [1, 3])
@pytest.mark.parametrize("reuse_fakes", [False, True])
def test_each_step_is_algorithm_1_written_with_the_two_step_functions(ring_data, n_critic,
                                                                      reuse_fakes):
    options = {"loss": "wasserstein", "gp_weight": 1.0}
    G, D = toy_pair(batch_norm=True)
    G_hand, D_hand = copy.deepcopy(G), copy.deepcopy(D)
    t = Trainer(G, D, n_critic=n_critic, reuse_fakes=reuse_fakes, seed=4, device="cpu",
                **options)
    t.fit(ring_data, 6, batch_size=16, progress=False)
    _by_hand(G_hand, D_hand, ring_data, 6, 16, 4, n_critic, reuse_fakes, **options)
    for a, b in zip([*G.state_dict().values(), *D.state_dict().values()],
                    [*G_hand.state_dict().values(), *D_hand.state_dict().values()], strict=True):
        assert torch.equal(a, b)


def test_fresh_noise_is_the_default_and_reusing_the_fakes_changes_the_run(ring_data):
    calls = {}
    runs = {}
    for reuse in (False, True):
        G, D = toy_pair()
        seen = []
        G.register_forward_hook(lambda m, inp, out, seen=seen: seen.append(inp[0].clone()))
        kwargs = {} if not reuse else {"reuse_fakes": True}
        t = Trainer(G, D, n_critic=2, device="cpu", **kwargs)
        t.fit(ring_data, 3, batch_size=16, progress=False)
        calls[reuse] = seen[1:]  # the first call checks the data's shape
        runs[reuse] = [p.detach().clone() for p in G.parameters()]
    assert Trainer(*toy_pair(), device="cpu").reuse_fakes is False
    assert len(calls[False]) == 3 * 3 and len(calls[True]) == 3 * 2  # G's forward passes
    # with fresh noise, the generator's update sees noise no critic iteration saw
    for step in range(3):
        z_critic, z_gen = calls[False][3 * step : 3 * step + 2], calls[False][3 * step + 2]
        assert all(not torch.equal(z_gen, z) for z in z_critic)
    assert not all(torch.equal(a, b) for a, b in zip(runs[False], runs[True], strict=True))


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
    t = Trainer(G, D, loss="wasserstein", gp_weight=0.1, n_critic=5, lr=1e-4, betas=(0.5, 0.9),
                device="cpu")
    t.fit(ring.sample(100_000, generator=torch.Generator().manual_seed(0)), 600,
          batch_size=256, progress=False, log_every=100)
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


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"loss": "bce"}, "loss must be one of"),
        ({"n_critic": 0}, r"n_critic must be a positive int, got 0"),
        ({"n_critic": True}, r"n_critic must be a positive int, got True"),
        ({"n_critic": 2.0}, r"n_critic must be a positive int, got 2.0"),
        ({"gp_weight": -1}, r"gp_weight must be a finite number >= 0, got -1"),
        ({"gp_weight": NAN}, r"gp_weight must be a finite number >= 0, got nan"),
        ({"gp_weight": INF}, r"gp_weight must be a finite number >= 0, got inf"),
        ({"r1_weight": -1}, r"r1_weight must be a finite number >= 0, got -1"),
        ({"r1_weight": NAN}, r"r1_weight must be .*got nan"),
        ({"clip_value": 0}, r"clip_value must be a finite number > 0, got 0"),
        ({"clip_value": -0.01}, r"clip_value must be .*got -0.01"),
        ({"clip_value": INF}, r"clip_value must be .*got inf"),
        ({"lr": 0}, r"lr must be a finite number > 0, got 0"),
        ({"lr": -2e-4}, r"lr must be .*got -0.0002"),
        ({"lr": NAN}, r"lr must be .*got nan"),
        ({"lr": True}, r"lr must be .*got True"),
        ({"lr_d": INF}, r"lr_d must be .*got inf"),
        ({"betas": (0.5, 1.0)}, r"betas must be two numbers in \[0, 1\), got \(0.5, 1.0\)"),
        ({"betas": 0.5}, r"betas must be two numbers"),
        ({"reuse_fakes": 1}, r"reuse_fakes must be True or False, got 1"),
        ({"n_fixed": 0}, r"n_fixed must be a positive int, got 0"),
        ({"seed": -1}, r"seed must be an int >= 0, got -1"),
        ({"latent_dim": 0}, r"latent_dim must be a positive int .*got 0"),
        ({"latent_dim": True}, r"latent_dim must be a positive int .*got True"),
        ({"device": "gpu"}, "device must be"),
    ],
)
def test_bad_trainer_arguments(kwargs, message):
    G, D = toy_pair()
    with pytest.raises(ValueError, match=message):
        Trainer(G, D, **kwargs)


def test_networks_and_speed_must_have_the_right_types():
    G, D = toy_pair()
    with pytest.raises(TypeError, match="discriminator must be a torch.nn.Module, got function"):
        Trainer(G, lambda x: x)
    with pytest.raises(TypeError, match="speed must be a ganlib.train.Speed, got dict"):
        Trainer(G, D, speed={"bf16": True})


def test_latent_dim_must_be_known():
    G = nn.Sequential(nn.Linear(3, 2))
    with pytest.raises(ValueError, match="latent_dim must be a positive int"):
        Trainer(G, MLPDiscriminator(2), device="cpu")
    t = Trainer(G, MLPDiscriminator(2), latent_dim=3, device="cpu")
    assert t.sample(4).shape == (4, 2)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [("steps", 0, "a positive int, got 0"), ("steps", True, "a positive int, got True"),
     ("steps", 10.0, "a positive int, got 10.0"), ("batch_size", -1, "a positive int, got -1"),
     ("batch_size", True, "a positive int, got True"), ("log_every", 0, "a positive int, got 0"),
     ("snapshot_every", -1, r"an int >= 0, got -1"),
     ("snapshot_every", True, r"an int >= 0, got True"),
     ("checkpoint_every", -5, r"an int >= 0, got -5")],
)
def test_bad_fit_arguments(ring_data, name, value, message):
    G, D = toy_pair()
    kwargs = {"steps": 2, "batch_size": 8, "log_every": 1, name: value}
    t = Trainer(G, D, device="cpu")
    with pytest.raises(ValueError, match=f"{name} must be {message}"):
        t.fit(ring_data, progress=False, **kwargs)
    assert t.step == 0


def test_checkpoint_every_needs_a_file(ring_data):
    G, D = toy_pair()
    with pytest.raises(ValueError, match="checkpoint_every=5 needs a file"):
        Trainer(G, D, device="cpu").fit(ring_data, 10, 8, checkpoint_every=5, progress=False)


def test_numpy_arrays_are_accepted_and_other_precisions_converted(ring_data):
    results = []
    for data in (ring_data, ring_data.numpy(), ring_data.double(), ring_data.double().numpy()):
        G, D = toy_pair()
        t = Trainer(G, D, device="cpu")
        results.append(losses(t.fit(data, 3, batch_size=16, progress=False)))
    for other in results[1:]:
        assert torch.allclose(results[0], other, atol=1e-6)


@pytest.mark.parametrize("data", [
    (torch.rand(64, 1, 28, 28) * 255).to(torch.uint8),
    (np.random.default_rng(0).random((64, 1, 28, 28)) * 255).astype(np.uint8),
    torch.zeros(64, 2, dtype=torch.long),
])
def test_integer_data_is_refused_with_the_scaling_to_apply(data):
    shape = tuple(data.shape[1:])
    G = MLPGenerator(4, shape, hidden=(8,))
    D = MLPDiscriminator(shape, hidden=(8,))
    t = Trainer(G, D, device="cpu")
    with pytest.raises(ValueError, match=r"dtype torch\.(uint8|int64).*scale images to \[-1, 1\] float32"):
        t.fit(data, 2, batch_size=8, progress=False)
    assert t.step == 0


def test_integer_batches_from_a_loader_are_refused_before_any_update():
    G, D = MLPGenerator(4, (2,), hidden=(8,)), MLPDiscriminator(2, hidden=(8,))
    before = [p.detach().clone() for p in (*G.parameters(), *D.parameters())]
    t = Trainer(G, D, device="cpu")
    loader = DataLoader(torch.zeros(64, 2, dtype=torch.uint8), batch_size=8)
    with pytest.raises(ValueError, match="dtype torch.uint8"):
        t.fit(loader, 2, batch_size=8, progress=False)
    after = [p.detach() for p in (*G.parameters(), *D.parameters())]
    assert t.step == 0 and all(torch.equal(a, b) for a, b in zip(before, after, strict=True))


@pytest.mark.parametrize("data", ["digits.npz", {"images": torch.zeros(8, 2)}, 42, None])
def test_data_of_an_unknown_kind_is_a_type_error_naming_the_accepted_kinds(data):
    G, D = toy_pair()
    with pytest.raises(TypeError, match="data must be a tensor or NumPy array"):
        Trainer(G, D, device="cpu").fit(data, 2, batch_size=8, progress=False)


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


# ------------------------------------------------------------------ image fast path
def test_dcgan_with_bf16_autocast_and_channels_last_runs_on_cpu():
    torch.manual_seed(0)
    G, D = DCGANGenerator(16, 1, 28, 4), DCGANDiscriminator(1, 28, 4)
    t = Trainer(G, D, device="cpu", speed=Speed(bf16=True, channels_last=True))
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
    t = Trainer(G, D, device="cuda", speed=Speed.fast("cuda"))
    t.fit(data, 5, batch_size=32, progress=False, checkpoint=tmp_path / "ck.pt")
    assert next(G.parameters()).is_cuda and len(t.history) == 5
    G2, D2 = DCGANGenerator(16, 1, 28, 8), DCGANDiscriminator(1, 28, 8)
    t2 = Trainer(G2, D2, device="cuda", speed=Speed.fast("cuda")).load(tmp_path / "ck.pt")
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


def test_speed_compile_compiles_both_networks_and_changes_no_result(ring_data, monkeypatch):
    """Dynamo traces for real; the 'eager' backend skips the C++ code generation of
    inductor, which takes half a minute on a CPU."""
    compile_module = nn.Module.compile
    compiled = []

    def eager_compile(module, **kwargs):
        compiled.append(type(module).__name__)
        compile_module(module, backend="eager")

    monkeypatch.setattr(nn.Module, "compile", eager_compile)
    runs = []
    for speed in (Speed(), Speed(compile=True)):
        G, D = toy_pair()
        runs.append(losses(Trainer(G, D, device="cpu", speed=speed).fit(
            ring_data, 3, batch_size=16, progress=False)))
    assert compiled == ["MLPGenerator", "MLPDiscriminator"]
    assert torch.allclose(runs[0], runs[1], atol=1e-6)


def test_speed_fast_picks_nothing_on_the_cpu():
    assert Speed.fast("cpu") == Speed()
    assert Speed.fast("cpu").fused_adam


def test_a_trainer_is_freed_with_its_last_reference_without_waiting_for_the_cycle_collector():
    """torch's optimizer constructor leaves a cycle of stack frames that reaches the trainer
    being built; Trainer breaks it, so that a notebook training many GANs in a row (chapter 4
    trains ten) does not keep every earlier one's models, optimizer state and data alive."""
    import gc
    import weakref

    data = torch.randn(64, 2)
    gc.collect()
    gc.disable()
    try:
        for data_source in (data, ring2d()):
            trainer = Trainer(MLPGenerator(2, 2, hidden=(8,)), MLPDiscriminator(2, hidden=(8,)),
                              seed=0, n_fixed=4)
            trainer.fit(data_source, 3, batch_size=16, snapshot_every=1, progress=False)
            alive = weakref.ref(trainer)
            del trainer
            assert alive() is None, "the trainer outlived its last reference (a reference cycle)"
    finally:
        gc.enable()
