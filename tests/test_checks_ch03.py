"""Every chapter-3 check passes on the solution, fails on the stub and on each known mistake."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from _notebook_tasks import notebook_task_functions  # tests/
from torch import nn

from ganlib.checks import ch03

ROOT = Path(__file__).resolve().parents[1]
SOLUTION_NOTEBOOK = ROOT / "exercises" / "solutions" / "03_dcgan.ipynb"
TASK_CELLS = 5  # build_generator and build_discriminator share one


def _notebook_functions(stubbed: bool) -> dict:
    """Execute the task cells of the solution notebook; optionally as the student gets them."""
    return notebook_task_functions(SOLUTION_NOTEBOOK, {"torch": torch, "nn": nn}, TASK_CELLS,
                                   stubbed)


# ------------------------------------------------------- the solutions: the notebook's own
SOLUTIONS = _notebook_functions(stubbed=False)
slerp = SOLUTIONS["slerp"]


# ---------------------------------------- the layers and networks, one mistake per switch
def make_generator_block(c_in, c_out, eps=1e-5, padding=1, kernel=4, act=None, bias=False,
                    order="cbr"):
    """A generator block; every keyword's default is right, any other value a mistake."""
    layers = {
        "c": nn.ConvTranspose2d(c_in, c_out, kernel, 2, padding, bias=bias),
        "b": nn.BatchNorm2d(c_out, eps),
        "r": act if act is not None else nn.ReLU(True),
    }
    return nn.Sequential(*(layers[k] for k in order))


def make_discriminator_block(c_in, c_out, batch_norm=True, eps=1e-5, padding=1, act=None,
                        bias=False):
    """A discriminator block; every keyword after batch_norm is right at its default."""
    layers = [nn.Conv2d(c_in, c_out, 4, 2, padding, bias=bias)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(c_out, eps))
    layers.append(act if act is not None else nn.LeakyReLU(0.2, True))
    return nn.Sequential(*layers)


def make_generator(latent_dim=100, width=64, out=None, first_padding=0, bn_out=False):
    """The generator; every keyword after width is right at its default."""
    tail = [nn.ConvTranspose2d(width, 1, 4, 2, 1, bias=False)]
    if bn_out:
        tail.append(nn.BatchNorm2d(1))
    tail += out if out is not None else [nn.Tanh()]
    return nn.Sequential(
        nn.Unflatten(1, (latent_dim, 1, 1)),
        nn.ConvTranspose2d(latent_dim, 2 * width, 7, 1, first_padding, bias=False),
        nn.BatchNorm2d(2 * width),
        nn.ReLU(True),
        make_generator_block(2 * width, width),
        *tail,
    )


class _Discriminator(nn.Module):
    """The discriminator; every keyword after width is right at its default."""

    def __init__(self, width=64, first_bn=False, sigmoid=False, flatten=True, slope=0.2):
        super().__init__()
        self.net = nn.Sequential(
            make_discriminator_block(1, width, first_bn, act=nn.LeakyReLU(slope)),
            make_discriminator_block(width, 2 * width, True, act=nn.LeakyReLU(slope)),
            nn.Conv2d(2 * width, 1, 7, 1, 0, bias=False),
        )
        self.sigmoid, self.flatten = sigmoid, flatten

    def forward(self, x):
        out = self.net(x)
        out = out.flatten() if self.flatten else out
        return torch.sigmoid(out) if self.sigmoid else out


def make_discriminator(width=64, **kw):
    return _Discriminator(width, **kw)


def make_init(conv_std=0.02, bn_mean=1.0, bn_std=0.02, conv_types=(nn.Conv2d, nn.ConvTranspose2d),
              touch_bn=True, zero_bias=True):
    """DCGAN's initialisation; every keyword is right at its default."""

    def init_weights(m):
        if isinstance(m, conv_types):
            nn.init.normal_(m.weight, 0.0, conv_std)
            if zero_bias and m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d) and touch_bn:
            nn.init.normal_(m.weight, bn_mean, bn_std)
            nn.init.zeros_(m.bias)

    return init_weights


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


# ------------------------------------------------------------------- the mistakes
def slerp_lerp(z0, z1, t):
    return (1 - t) * z0 + t * z1


def slerp_unnormalised(z0, z1, t):  # arccos of the raw dot product
    omega = (z0 * z1).sum(-1, keepdim=True).acos()
    so = omega.sin()
    return torch.sin((1 - t) * omega) / so * z0 + torch.sin(t * omega) / so * z1


def slerp_unnormalised_clamped(z0, z1, t):
    omega = (z0 * z1).sum(-1, keepdim=True).clamp(-1, 1).acos()
    so = omega.sin()
    return torch.sin((1 - t) * omega) / so * z0 + torch.sin(t * omega) / so * z1


def slerp_unit_output(z0, z1, t):  # interpolates the normalised vectors
    return slerp(z0 / z0.norm(dim=-1, keepdim=True), z1 / z1.norm(dim=-1, keepdim=True), t)


def slerp_swapped(z0, z1, t):
    a = z0 / z0.norm(dim=-1, keepdim=True)
    b = z1 / z1.norm(dim=-1, keepdim=True)
    omega = (a * b).sum(-1, keepdim=True).clamp(-1, 1).acos()
    return (torch.sin(t * omega) * z0 + torch.sin((1 - t) * omega) * z1) / omega.sin()


def slerp_no_fallback(z0, z1, t):
    a = z0 / z0.norm(dim=-1, keepdim=True)
    b = z1 / z1.norm(dim=-1, keepdim=True)
    omega = (a * b).sum(-1, keepdim=True).clamp(-1, 1).acos()
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / omega.sin()


def slerp_whole_tensor(z0, z1, t):  # one angle for the whole batch
    a, b = z0 / z0.norm(), z1 / z1.norm()
    omega = (a * b).sum().clamp(-1, 1).acos()
    so = omega.sin()
    if so < 1e-6:
        return (1 - t) * z0 + t * z1
    return torch.sin((1 - t) * omega) / so * z0 + torch.sin(t * omega) / so * z1


def slerp_numpy(z0, z1, t):
    return slerp(z0, z1, t).numpy()


def slerp_over_omega(z0, z1, t):  # divides by Ω instead of sin Ω
    a = z0 / z0.norm(dim=-1, keepdim=True)
    b = z1 / z1.norm(dim=-1, keepdim=True)
    omega = (a * b).sum(-1, keepdim=True).clamp(-1, 1).acos()
    safe = torch.where(omega < 1e-6, torch.ones_like(omega), omega)
    curved = (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / safe
    return torch.where(omega < 1e-6, (1 - t) * z0 + t * z1, curved)


def slerp_rescaled_unit(z0, z1, t):  # slerp of the directions times the lerp of the norms
    n0, n1 = z0.norm(dim=-1, keepdim=True), z1.norm(dim=-1, keepdim=True)
    return slerp(z0 / n0, z1 / n1, t) * ((1 - t) * n0 + t * n1)


def _generator_no_unflatten(latent_dim=100, width=64):
    return nn.Sequential(*list(make_generator(latent_dim, width))[1:])


def _generator_unflatten_100(latent_dim=100, width=64):
    layers = list(make_generator(latent_dim, width))
    return nn.Sequential(nn.Unflatten(1, (100, 1, 1)), *layers[1:])


class _SqueezedDiscriminator(nn.Module):
    """The right layers, but .squeeze() at the end: a batch of one gives a 0-d tensor."""

    def __init__(self, width=64):
        super().__init__()
        self.net = make_discriminator(width, flatten=False).net

    def forward(self, x):
        return self.net(x).squeeze()


def _init_mean_002(m):  # nn.init.normal_(w, 0.02): 0.02 is the mean, the std stays 1
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


# Mistakes that earlier checks accepted or misnamed, and the words that name them now.
NAMED = [
    ("generator_block", "BatchNorm2d(c_in)", lambda i, o: nn.Sequential(
        nn.ConvTranspose2d(i, o, 4, 2, 1, bias=False), nn.BatchNorm2d(i), nn.ReLU()),
     "BatchNorm2d(16)"),
    ("generator_block", "ConvTranspose2d(c_out, c_in)", lambda i, o: nn.Sequential(
        nn.ConvTranspose2d(o, i, 4, 2, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU()),
     "swapped"),
    ("generator_block", "BatchNorm2d(C, momentum=0.8)", lambda i, o: nn.Sequential(
        nn.ConvTranspose2d(i, o, 4, 2, 1, bias=False), nn.BatchNorm2d(o, momentum=0.8),
        nn.ReLU()), "momentum"),
    ("generator_block", "BatchNorm2d(C, affine=False)", lambda i, o: nn.Sequential(
        nn.ConvTranspose2d(i, o, 4, 2, 1, bias=False), nn.BatchNorm2d(o, affine=False),
        nn.ReLU()), "affine=False"),
    ("discriminator_block", "BatchNorm1d", lambda i, o, bn=True: nn.Sequential(
        nn.Conv2d(i, o, 4, 2, 1, bias=False), *([nn.BatchNorm1d(o)] if bn else []),
        nn.LeakyReLU(0.2)), "BatchNorm1d"),
    ("build_generator", "no nn.Unflatten", _generator_no_unflatten, "Unflatten"),
    ("build_generator", "nn.Unflatten(1, (100, 1, 1))", _generator_unflatten_100,
     "latent_dim"),
    ("build_discriminator", ".squeeze() (a batch of one gives shape ())",
     _SqueezedDiscriminator, "batch of one"),
    ("init_weights", "normal_(w, 0.02): mean 0.02, std 1", _init_mean_002, "as the mean"),
    ("init_weights", "convolutions untouched", make_init(conv_types=()), "unchanged"),
    ("slerp", "divided by Ω, not sin Ω", slerp_over_omega, "divided by Ω"),
    ("slerp", "directions slerped, norms lerped", slerp_rescaled_unit, "norm"),
]


CASES = {
    "generator_block": (
        ch03.check_generator_block, SOLUTIONS["generator_block"],
        {
            "BatchNorm2d(C, 0.8)": lambda i, o: make_generator_block(i, o, eps=0.8),
            "padding 0 (size 2H + 2)": lambda i, o: make_generator_block(i, o, padding=0),
            "kernel 3 (size 2H - 1)": lambda i, o: make_generator_block(i, o, kernel=3),
            "LeakyReLU in G": lambda i, o: make_generator_block(i, o, act=nn.LeakyReLU(0.2)),
            "no activation": lambda i, o: make_generator_block(i, o, act=nn.Identity()),
            "conv bias": lambda i, o: make_generator_block(i, o, bias=True),
            "BN after ReLU": lambda i, o: make_generator_block(i, o, order="crb"),
            "Upsample + Conv2d": lambda i, o: nn.Sequential(
                nn.Upsample(scale_factor=2), nn.Conv2d(i, o, 3, 1, 1, bias=False),
                nn.BatchNorm2d(o), nn.ReLU()),
            "returns a list": lambda i, o: list(make_generator_block(i, o)),
        },
    ),
    "discriminator_block": (
        ch03.check_discriminator_block, SOLUTIONS["discriminator_block"],
        {
            "BatchNorm2d(C, 0.8)": lambda i, o, bn=True: make_discriminator_block(
                i, o, bn, eps=0.8),
            "padding 0 (size H/2 - 1)": lambda i, o, bn=True: make_discriminator_block(
                i, o, bn, padding=0),
            "ReLU in D": lambda i, o, bn=True: make_discriminator_block(i, o, bn, act=nn.ReLU()),
            "LeakyReLU default slope 0.01": lambda i, o, bn=True: make_discriminator_block(
                i, o, bn, act=nn.LeakyReLU()),
            "batch norm ignored": lambda i, o, bn=True: make_discriminator_block(i, o, True),
            "never batch norm": lambda i, o, bn=True: make_discriminator_block(i, o, False),
            "conv bias": lambda i, o, bn=True: make_discriminator_block(i, o, bn, bias=True),
            "max pooling": lambda i, o, bn=True: nn.Sequential(
                nn.Conv2d(i, o, 3, 1, 1, bias=False), nn.MaxPool2d(2),
                *([nn.BatchNorm2d(o)] if bn else []), nn.LeakyReLU(0.2)),
        },
    ),
    "build_generator": (
        ch03.check_generator, SOLUTIONS["build_generator"],
        {
            "sigmoid output": lambda latent_dim=100, width=64: make_generator(
                latent_dim, width, out=[nn.Sigmoid()]),
            "tanh then sigmoid": lambda latent_dim=100, width=64: make_generator(
                latent_dim, width, out=[nn.Tanh(), nn.Sigmoid()]),
            "no output activation": lambda latent_dim=100, width=64: make_generator(
                latent_dim, width, out=[]),
            "batch norm on the output": lambda latent_dim=100, width=64: make_generator(
                latent_dim, width, bn_out=True),
            "padding 1 in the first layer (5×5 start)": lambda latent_dim=100, width=64:
                make_generator(latent_dim, width, first_padding=1),
            "hard-coded width": lambda latent_dim=100, width=64: make_generator(latent_dim, 64),
        },
    ),
    "build_discriminator": (
        ch03.check_discriminator, SOLUTIONS["build_discriminator"],
        {
            "sigmoid output (fed to a logits loss)": lambda width=64: make_discriminator(
                width, sigmoid=True),
            "nn.Sigmoid module": lambda width=64: nn.Sequential(
                make_discriminator(width), nn.Sigmoid()),
            "batch norm on the input layer": lambda width=64: make_discriminator(
                width, first_bn=True),
            "(N, 1, 1, 1) output": lambda width=64: make_discriminator(width, flatten=False),
            "LeakyReLU slope 0.01": lambda width=64: make_discriminator(width, slope=0.01),
            "hard-coded width": lambda width=64: make_discriminator(64),
        },
    ),
    "init_weights": (
        ch03.check_init, SOLUTIONS["init_weights"],
        {
            "std 0.2": make_init(conv_std=0.2),
            "BN weight 0": make_init(bn_mean=0.0),
            "BN like a conv, N(0, 0.02)": make_init(bn_mean=0.0, bn_std=0.02),
            "BN untouched": make_init(touch_bn=False),
            "misses ConvTranspose2d": make_init(conv_types=(nn.Conv2d,)),
            "biases kept": make_init(zero_bias=False),
            "BN std 0.2": make_init(bn_std=0.2),
            "does nothing": lambda m: None,
        },
    ),
    "slerp": (
        ch03.check_slerp, SOLUTIONS["slerp"],
        {
            "lerp": slerp_lerp,
            "not normalised (arccos of raw dot)": slerp_unnormalised,
            "not normalised, clamped": slerp_unnormalised_clamped,
            "unit-norm output": slerp_unit_output,
            "weights swapped": slerp_swapped,
            "no fallback for z0 = z1": slerp_no_fallback,
            "one angle for the whole batch": slerp_whole_tensor,
            "returns numpy": slerp_numpy,
        },
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_solution_passes(name, capsys):
    check, solution, _ = CASES[name]
    result = check(solution)
    assert result, result.message
    line = capsys.readouterr().out.strip()
    assert line.startswith("✅") and "\n" not in line


@pytest.mark.parametrize("name", list(CASES))
def test_stub_fails(name):
    check, _, _ = CASES[name]
    result = check(stub, print_result=False)
    assert not result
    assert "not implemented yet" in result.message


# With no mistake switched on, the builders the mistakes come from are right answers.
RIGHT_BY_DEFAULT = {
    "generator_block": make_generator_block,
    "discriminator_block": make_discriminator_block,
    "build_generator": make_generator,
    "build_discriminator": make_discriminator,
    "init_weights": make_init(),
}


@pytest.mark.parametrize("name", list(RIGHT_BY_DEFAULT))
def test_the_mistakes_builders_pass_with_no_mistake(name):
    result = CASES[name][0](RIGHT_BY_DEFAULT[name], print_result=False)
    assert result, result.message


@pytest.mark.parametrize(
    "name,mistake", [(n, m) for n, (_, _, bugs) in CASES.items() for m in bugs]
)
def test_mistake_fails(name, mistake):
    check, _, bugs = CASES[name]
    result = check(bugs[mistake], print_result=False)
    assert not result, f"{mistake!r} passed the {name} check"
    assert result.message.startswith("❌") and "\n" not in result.message
    assert "raised" not in result.message, result.message


@pytest.mark.parametrize("name, mistake, fn, words", NAMED, ids=[m for _, m, _, _ in NAMED])
def test_mistake_is_named(name, mistake, fn, words):
    result = CASES[name][0](fn, print_result=False)
    assert not result, f"{mistake!r} passed the {name} check"
    assert result.message.startswith(f"❌ {name}:") and "\n" not in result.message
    assert " — hint: " in result.message and "raised" not in result.message, result.message
    assert words in result.message, result.message


def test_specific_messages():
    gb = ch03.check_generator_block(lambda i, o: make_generator_block(i, o, eps=0.8),
                                    print_result=False)
    assert "eps" in gb.message
    d = ch03.check_discriminator(lambda width=64: make_discriminator(width, sigmoid=True),
                                 print_result=False)
    assert "probabilities" in d.message
    pad = ch03.check_generator_block(lambda i, o: make_generator_block(i, o, padding=0),
                                     print_result=False)
    assert "(4, 8, 16, 16)" in pad.message
    init = ch03.check_init(make_init(conv_std=0.2), print_result=False)
    assert "0.2" in init.message
    bn0 = ch03.check_init(make_init(bn_mean=0.0), print_result=False)
    assert "mean" in bn0.message and "batch norm" in bn0.message
    lerp = ch03.check_slerp(slerp_lerp, print_result=False)
    assert "lerp" in lerp.message
    raw = ch03.check_slerp(slerp_unnormalised, print_result=False)
    assert "normalised" in raw.message


def test_checks_leave_global_rng_alone():
    torch.manual_seed(0)
    before = torch.random.get_rng_state()
    ch03.check_init(SOLUTIONS["init_weights"], print_result=False)
    ch03.check_slerp(slerp, print_result=False)
    assert torch.equal(before, torch.random.get_rng_state())


def test_solution_sizes_match_ganlib():
    from ganlib.models import DCGANDiscriminator, DCGANGenerator, count_parameters

    assert count_parameters(SOLUTIONS["build_generator"]()) == count_parameters(
        DCGANGenerator()) == 759_680
    assert count_parameters(SOLUTIONS["build_discriminator"]()) == count_parameters(
        DCGANDiscriminator()) == 138_624


# ---------------------------------------------------------- the solution notebook
@pytest.mark.parametrize("name", list(CASES))
def test_the_notebook_stub_fails(name):
    result = CASES[name][0](_notebook_functions(stubbed=True)[name], print_result=False)
    assert not result and "not implemented yet" in result.message
