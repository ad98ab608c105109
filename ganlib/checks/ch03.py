"""Checks for the exercises of chapter 3, DCGAN.

Each check builds the learner's module (or calls the learner's function) on inputs drawn
from its own seeded generator — the global random state is left alone — and prints one
line: ``✅ <name>: correct — …`` or ``❌ <name>: <what is wrong> — hint: <hint>``.

=================================  ===================================================
check                              what the learner wrote
=================================  ===================================================
:func:`check_generator_block`      ``generator_block(c_in, c_out)``: ×2 upsampling block
:func:`check_discriminator_block`  ``discriminator_block(c_in, c_out, batch_norm)``: ÷2
:func:`check_generator`            ``build_generator(latent_dim, width)``: z → 28-px digit
:func:`check_discriminator`        ``build_discriminator(width)``: digit → logit
:func:`check_init`                 ``init_weights(module)`` for ``model.apply``
:func:`check_slerp`                ``slerp(z0, z1, t)``: spherical interpolation
=================================  ===================================================

Each catches a mistake seen in widely used GAN code: ``nn.BatchNorm2d(C, 0.8)`` (0.8 is
eps, not momentum), a sigmoid output fed to a loss on logits, padding that changes the
output size, initialisation with std 0.2 or batch-norm weights 0, a "slerp" that is a
straight line or takes ``arccos`` of an unnormalised dot product.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import torch
from torch import Tensor, nn

from ..models import DCGANDiscriminator, DCGANGenerator, count_parameters
from . import check, during, fail
from .support import rng, seeded

__all__ = [
    "check_generator_block",
    "check_discriminator_block",
    "check_generator",
    "check_discriminator",
    "check_init",
    "check_slerp",
]

_SEED = 303


def _module(obj: object, what: str) -> nn.Module:
    if not isinstance(obj, nn.Module):
        fail(f"{what} returned a {type(obj).__name__}, expected an nn.Module",
             "return an nn.Sequential(...) of the layers")
    return obj  # type: ignore[return-value]


def _layers(module: nn.Module, kind: type | tuple[type, ...]) -> list[nn.Module]:
    return [m for m in module.modules() if isinstance(m, kind)]


def _check_batch_norms(module: nn.Module) -> None:
    for bn in _layers(module, nn.modules.batchnorm._BatchNorm):
        if isinstance(bn, nn.BatchNorm1d):
            fail("the batch norm is nn.BatchNorm1d, which expects (N, C) or (N, C, L) inputs; "
                 "these are images (N, C, H, W)", "use nn.BatchNorm2d(C)")
        if not math.isclose(bn.eps, 1e-5, rel_tol=1e-6):
            fail(f"a batch norm layer has eps={bn.eps:g} (default 1e-5)",
                 "nn.BatchNorm2d(C, 0.8) sets eps, not momentum: write nn.BatchNorm2d(C)")
        if bn.momentum is None or not math.isclose(bn.momentum, 0.1, rel_tol=1e-6):
            fail(f"a batch norm layer has momentum={bn.momentum}; DCGAN keeps PyTorch's "
                 "default, 0.1 (the reference code's 0.8 was eps, and never a momentum)",
                 "write nn.BatchNorm2d(C), with no second argument")
        if not bn.affine:
            fail("a batch norm layer has affine=False: no learned scale γ and shift β",
                 "write nn.BatchNorm2d(C): DCGAN learns γ and β (and initialises γ)")


def _check_channels(module: nn.Module, kind: type, c_in: int, c_out: int, call: str) -> None:
    """The first ``kind`` convolution maps c_in → c_out channels; the batch norms take c_out.

    Checked on the layers themselves, before the module runs, so that a mismatch is named
    instead of surfacing as an error inside torch.
    """
    convs = _layers(module, kind)
    if not convs:
        return
    conv = convs[0]
    if (conv.in_channels, conv.out_channels) == (c_out, c_in) and c_in != c_out:
        fail(f"{call} has {kind.__name__}({conv.in_channels}, {conv.out_channels}): the "
             "channel counts are swapped",
             f"{kind.__name__}(c_in, c_out, ...): input channels first")
    if conv.in_channels != c_in or conv.out_channels != c_out:
        fail(f"{call} has {kind.__name__}({conv.in_channels}, {conv.out_channels}), expected "
             f"{kind.__name__}({c_in}, {c_out})", "use the arguments c_in and c_out")
    for bn in _layers(module, nn.modules.batchnorm._BatchNorm):
        if bn.num_features != c_out:
            fail(f"{call} has BatchNorm2d({bn.num_features}) after a convolution with {c_out} "
                 "output channels", "batch norm takes the number of channels it normalises: "
                 "nn.BatchNorm2d(c_out)")


def _check_shape(out: object, expected: tuple[int, ...], given: tuple[int, ...], hint: str):
    if not isinstance(out, Tensor):
        fail(f"the output is a {type(out).__name__}, expected a tensor", hint)
    if tuple(out.shape) != expected:
        fail(f"input {given} gave output {tuple(out.shape)}, expected {expected}", hint)


def _index(module: nn.Module, kind: type | tuple[type, ...]) -> list[int]:
    return [i for i, m in enumerate(module.modules()) if isinstance(m, kind)]


_UP_HINT = ("kernel 4, stride 2, padding 1 doubles the size: out = (H − 1)·2 − 2·1 + 4 = 2H")
_DOWN_HINT = ("kernel 4, stride 2, padding 1 halves the size: out = ⌊(H + 2·1 − 4)/2⌋ + 1 = H/2")


# ---------------------------------------------------------------------------- task 1
@check("generator_block")
def check_generator_block(generator_block: Callable[[int, int], nn.Module]) -> str:
    """``generator_block(c_in, c_out)``: ConvTranspose2d(4, 2, 1, no bias) → BN → ReLU."""
    block = _module(generator_block(16, 8), "generator_block(16, 8)")
    _check_batch_norms(block)
    _check_channels(block, nn.ConvTranspose2d, 16, 8, "generator_block(16, 8)")
    x = torch.randn(4, 16, 7, 7, generator=rng(_SEED))
    block.train()
    with torch.no_grad(), during("on an input of shape (4, 16, 7, 7)"):
        out = block(x)
        _check_shape(out, (4, 8, 14, 14), (4, 16, 7, 7), _UP_HINT)
        out2 = block(torch.randn(2, 16, 4, 4, generator=rng(_SEED)))
        _check_shape(out2, (2, 8, 8, 8), (2, 16, 4, 4), _UP_HINT)
    if not _layers(block, nn.ConvTranspose2d):
        fail("there is no nn.ConvTranspose2d", "DCGAN upsamples with learned, strided "
             "transposed convolutions instead of fixed upsampling")
    bns = _layers(block, nn.BatchNorm2d)
    if len(bns) != 1:
        fail(f"expected one nn.BatchNorm2d, found {len(bns)}",
             "ConvTranspose2d → BatchNorm2d(c_out) → ReLU")
    _check_batch_norms(block)
    if _layers(block, (nn.LeakyReLU, nn.Tanh, nn.Sigmoid)):
        fail("the block's activation is not ReLU",
             "DCGAN's generator uses ReLU in its hidden layers (LeakyReLU is for D)")
    relus = _index(block, nn.ReLU)
    if relus and not _index(block, nn.ConvTranspose2d)[0] < _index(block, nn.BatchNorm2d)[0] \
            < relus[0]:
        fail("the layers are in the wrong order", "ConvTranspose2d → BatchNorm2d → ReLU")
    if not relus or bool((out < 0).any()):
        fail("the block's output has negative values: no ReLU at the end",
             "end the block with nn.ReLU()")
    expected = 16 * 8 * 4 * 4 + 2 * 8
    got = count_parameters(block)
    if got == expected + 8:
        fail(f"{got} parameters, expected {expected}: the convolution has a bias",
             "batch norm subtracts the mean right after, so a bias does nothing: bias=False")
    if got != expected:
        fail(f"{got} parameters, expected {expected} (4×4 kernels, no bias, one batch norm)",
             "nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False)")
    return f"(4, 16, 7, 7) → (4, 8, 14, 14), {got} parameters"


# ---------------------------------------------------------------------------- task 2
@check("discriminator_block")
def check_discriminator_block(
    discriminator_block: Callable[[int, int, bool], nn.Module],
) -> str:
    """``discriminator_block(c_in, c_out, batch_norm)``: Conv2d(4, 2, 1) → [BN] → LReLU."""
    for batch_norm in (True, False):
        call = f"discriminator_block(8, 16, {batch_norm})"
        block = _module(discriminator_block(8, 16, batch_norm), call)
        _check_batch_norms(block)
        _check_channels(block, nn.Conv2d, 8, 16, call)
        block.train()
        with torch.no_grad(), during("on an input of shape (4, 8, 28, 28)"):
            out = block(torch.randn(4, 8, 28, 28, generator=rng(_SEED)))
            _check_shape(out, (4, 16, 14, 14), (4, 8, 28, 28), _DOWN_HINT)
            out2 = block(torch.randn(2, 8, 14, 14, generator=rng(_SEED)))
            _check_shape(out2, (2, 16, 7, 7), (2, 8, 14, 14), _DOWN_HINT)
        if not _layers(block, nn.Conv2d) or _layers(block, (nn.MaxPool2d, nn.AvgPool2d)):
            fail("the block does not downsample with a strided nn.Conv2d alone",
                 "DCGAN replaces pooling by a stride-2 convolution, which learns how to "
                 "downsample")
        bns = _layers(block, nn.BatchNorm2d)
        if len(bns) != int(batch_norm):
            fail(f"batch_norm={batch_norm} gave {len(bns)} nn.BatchNorm2d layers",
                 "add nn.BatchNorm2d(c_out) only when batch_norm is True")
        _check_batch_norms(block)
        if _layers(block, (nn.Sigmoid, nn.Tanh)):
            fail("the block contains a sigmoid or tanh",
                 "hidden layers of D use nn.LeakyReLU(0.2)")
        relus = _layers(block, nn.ReLU)
        leaky = _layers(block, nn.LeakyReLU)
        if relus or not leaky:
            fail("the discriminator block does not end with LeakyReLU",
                 "use nn.LeakyReLU(0.2): a plain ReLU passes no gradient for negative inputs")
        if not math.isclose(leaky[0].negative_slope, 0.2):
            fail(f"LeakyReLU's negative slope is {leaky[0].negative_slope:g}, DCGAN uses 0.2",
                 "nn.LeakyReLU() defaults to 0.01: write nn.LeakyReLU(0.2)")
        if not bool((out < 0).any()):
            fail("the block's output has no negative values",
                 "end with nn.LeakyReLU(0.2), which keeps 0.2·x for x < 0")
        expected = 8 * 16 * 4 * 4 + (2 * 16 if batch_norm else 0)
        got = count_parameters(block)
        if got == expected + 16:
            fail(f"{got} parameters, expected {expected}: the convolution has a bias",
                 "use bias=False as in the DCGAN reference code")
        if got != expected:
            fail(f"{got} parameters with batch_norm={batch_norm}, expected {expected}",
                 "nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False)")
    return "(4, 8, 28, 28) → (4, 16, 14, 14), with and without batch norm"


# ---------------------------------------------------------------------------- task 3
def _scaled_last_layer(model: nn.Module, factor: float) -> nn.Module:
    """A copy of ``model`` whose last (transposed) convolution's weights are multiplied."""
    model = copy.deepcopy(model)
    convs = _layers(model, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))
    if not convs:
        fail("the model has no convolution", "build it from nn.ConvTranspose2d / nn.Conv2d")
    with torch.no_grad():
        convs[-1].weight.mul_(factor)
    return model


def _runs(module: nn.Module, x: Tensor) -> bool:
    try:
        module(x)
    except RuntimeError:
        return False
    return True


@check("build_generator")
def check_generator(build_generator: Callable[..., nn.Module]) -> str:
    """``build_generator(latent_dim, width)``: ``(N, latent_dim)`` → ``(N, 1, 28, 28)``."""
    latent_dim, width = 16, 8
    G = _module(build_generator(latent_dim=latent_dim, width=width),
                f"build_generator(latent_dim={latent_dim}, width={width})")
    z = torch.randn(5, latent_dim, generator=rng(_SEED))
    for layer in _layers(G, nn.Unflatten):
        if tuple(layer.unflattened_size)[:1] != (latent_dim,):
            fail(f"with latent_dim={latent_dim} your generator has nn.Unflatten(1, "
                 f"{tuple(layer.unflattened_size)}): the noise size is hard-coded",
                 "nn.Unflatten(1, (latent_dim, 1, 1)): use the argument")
    G.train()
    with torch.no_grad():
        try:
            out = G(z)
        except RuntimeError:
            if _runs(G, z[:, :, None, None]):
                fail(f"your generator fails on noise of shape (5, {latent_dim}) but runs on "
                     f"(5, {latent_dim}, 1, 1): the noise is never reshaped",
                     "start with nn.Unflatten(1, (latent_dim, 1, 1)), as the task says")
            with during(f"on noise of shape (5, {latent_dim})"):
                out = G(z)
    _check_shape(out, (5, 1, 28, 28), (5, latent_dim),
                 "7×7 kernel from 1×1 (stride 1, padding 0), then two ×2 blocks: 7 → 14 → 28")
    _check_batch_norms(G)
    if _layers(G, nn.Sigmoid):
        fail("the generator contains a sigmoid",
             "end with nn.Tanh() only: the data lie in [-1, 1], a sigmoid gives [0, 1]")
    with torch.no_grad():
        big = _scaled_last_layer(G, 100.0)(z)
    if bool((big >= 0).all()):
        fail("the outputs never go below 0: they are squashed into [0, 1]",
             "end with nn.Tanh() (data in [-1, 1]), not a sigmoid, and nothing after it")
    if float(big.abs().max()) > 1.0 + 1e-5:
        fail("outputs go beyond [-1, 1]", "end the generator with nn.Tanh()")
    if float(big.max()) < 0.99 or float(big.min()) > -0.99:
        fail("outputs never reach close to ±1 even for large pre-activations",
             "the tanh must be the last layer, with nothing squashing after it")
    ref = count_parameters(DCGANGenerator(latent_dim, 1, 28, width))
    got = count_parameters(G)
    bns = _layers(G, nn.BatchNorm2d)
    if len(bns) == 3:
        fail("batch norm after the output layer",
             "DCGAN has no batch norm on G's output layer (nor on D's input layer)")
    if got != ref:
        fail(f"{got:,} parameters with latent_dim={latent_dim}, width={width}; "
             f"expected {ref:,}",
             f"channels {latent_dim} → {2 * width} → {width} → 1, 4×4 kernels after a first "
             "7×7 one, bias=False everywhere")
    return f"(5, {latent_dim}) → (5, 1, 28, 28) in [-1, 1], {got:,} parameters"


@check("build_discriminator")
def check_discriminator(build_discriminator: Callable[..., nn.Module]) -> str:
    """``build_discriminator(width)``: ``(N, 1, 28, 28)`` → logits ``(N,)``."""
    width = 8
    D = _module(build_discriminator(width=width), f"build_discriminator(width={width})")
    x = torch.randn(6, 1, 28, 28, generator=rng(_SEED)).clamp(-1, 1)
    _check_batch_norms(D)
    D.train()
    with torch.no_grad(), during("on images of shape (6, 1, 28, 28)"):
        out = D(x)
    if isinstance(out, Tensor) and out.numel() == 6 and out.ndim > 1:
        fail(f"the output has shape {tuple(out.shape)}, expected logits of shape (6,)",
             "flatten the last convolution's (N, 1, 1, 1) output: .flatten() or .view(-1)")
    _check_shape(out, (6,), (6, 1, 28, 28),
                 "two ÷2 blocks (28 → 14 → 7), then a 7×7 convolution to one logit per image")
    with torch.no_grad(), during("on a batch of one image (1, 1, 28, 28)"):
        one = D(x[:1])
    if isinstance(one, Tensor) and tuple(one.shape) != (1,):
        fail(f"a batch of one image gave output of shape {tuple(one.shape)}, expected (1,): "
             ".squeeze() removes the batch dimension too when N = 1",
             "flatten with nn.Flatten(0), .flatten() or .view(-1), which keep N")
    _check_batch_norms(D)
    if _layers(D, nn.Sigmoid):
        fail("the discriminator ends with a sigmoid: it returns probabilities",
             "return raw logits; the losses (BCE with logits) apply the sigmoid themselves")
    with torch.no_grad():
        big = _scaled_last_layer(D, 1000.0)(x)
    if bool(((big >= 0) & (big <= 1)).all()):
        fail("the outputs stay in [0, 1] even for huge pre-activations: they are probabilities",
             "remove torch.sigmoid: a loss on logits would apply the sigmoid a second time")
    convs = _index(D, nn.Conv2d)
    bns = _index(D, nn.BatchNorm2d)
    if bns and len(convs) > 1 and bns[0] < convs[1]:
        fail("batch norm right after the input layer",
             "DCGAN has no batch norm on D's first layer: discriminator_block(1, w, False)")
    for leaky in _layers(D, nn.LeakyReLU):
        if not math.isclose(leaky.negative_slope, 0.2):
            fail(f"a LeakyReLU has slope {leaky.negative_slope:g}", "use nn.LeakyReLU(0.2)")
    ref = count_parameters(DCGANDiscriminator(1, 28, width))
    got = count_parameters(D)
    if got != ref:
        fail(f"{got:,} parameters with width={width}; expected {ref:,}",
             f"channels 1 → {width} → {2 * width} → 1, 4×4 kernels then a 7×7 one, "
             "bias=False, batch norm only in the middle block")
    return f"(6, 1, 28, 28) → logits (6,), {got:,} parameters"


# ---------------------------------------------------------------------------- task 4
def _std_mean(t: Tensor) -> tuple[float, float]:
    t = t.detach().double()
    return float(t.std()), float(t.mean())


@check("init_weights")
def check_init(init_weights: Callable[[nn.Module], None]) -> str:
    """``init_weights(module)``: N(0, 0.02) conv weights, N(1, 0.02) BN weights, 0 biases.

    Convolutions and transposed convolutions are checked (DCGAN has no linear layer).
    """
    # The test layers' default weights and the init's draws; the learner's stream is kept.
    with seeded(_SEED):
        net = nn.Sequential(
            nn.ConvTranspose2d(100, 128, 4, 1, 0, bias=False),
            nn.BatchNorm2d(4096),
            nn.Conv2d(128, 64, 4, 2, 1, bias=True),
        )
        with torch.no_grad():  # make untouched parameters recognisable
            for m in net.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.bias.fill_(0.5)
                elif getattr(m, "bias", None) is not None:
                    m.bias.fill_(0.5)
        before = [m.weight.detach().clone() for m in net]
        net.apply(init_weights)
    convt, bn, conv = net

    def good(layer: nn.Module) -> bool:
        std, mean = _std_mean(layer.weight)
        return 0.019 <= std <= 0.021 and abs(mean) <= 0.002

    for layer, name, old in ((convt, "ConvTranspose2d", before[0]), (conv, "Conv2d", before[2])):
        std, mean = _std_mean(layer.weight)
        if math.isclose(std, 0.2, rel_tol=0.05):
            fail(f"{name} weights have std {std:.3f}, expected 0.02",
                 "N(0, 0.02): std 0.02, not 0.2")
        if not good(layer):
            hint = "nn.init.normal_(m.weight, 0.0, 0.02) for every (transposed) convolution"
            if name == "ConvTranspose2d" and good(conv):
                hint = "isinstance(m, nn.Conv2d) misses nn.ConvTranspose2d: test both"
            if torch.equal(layer.weight.detach(), old):
                fail(f"{name} weights were left unchanged: PyTorch's default initialisation "
                     f"(std {std:.4f}) is still there", hint)
            # A std of 1 is normal_'s default: the std argument never arrived. The sample
            # mean of these weights cannot tell a mean of 0.02 from 0 (its error is ~0.01).
            if abs(std - 1) < 0.05:
                fail(f"{name} weights have mean {mean:.4f} and std {std:.4f}: std 1 is "
                     "nn.init.normal_'s default, so 0.02 did not reach the std — "
                     "nn.init.normal_(w, 0.02) passes 0.02 as the mean",
                     "nn.init.normal_(m.weight, 0.0, 0.02): the mean first, then the std")
            fail(f"{name} weights have mean {mean:.4f} and std {std:.4f}, "
                 "expected 0 and 0.02", hint)
        if layer.bias is not None and bool(layer.bias.detach().abs().max() > 0):
            fail(f"{name} biases are not 0", "nn.init.zeros_(m.bias) when m.bias is not None")
    std, mean = _std_mean(bn.weight)
    if abs(mean) < 0.1:
        fail(f"batch norm weights have mean {mean:.3f}, expected 1",
             "the weight is the scale γ: γ = 0 wipes out the signal; draw it from N(1, 0.02)")
    if std == 0.0:
        fail("batch norm weights are all exactly 1 (left as they were, or set to 1)",
             "DCGAN draws them from N(1, 0.02): nn.init.normal_(m.weight, 1.0, 0.02)")
    if abs(std - 1) < 0.05:
        fail(f"batch norm weights have mean {mean:.4f} and std {std:.4f}: "
             "nn.init.normal_(w, 1.0) leaves the std at its default, 1",
             "nn.init.normal_(m.weight, 1.0, 0.02): pass the std too")
    if not (0.018 <= std <= 0.022) or abs(mean - 1) > 0.002:
        fail(f"batch norm weights have mean {mean:.4f} and std {std:.4f}, expected 1 and 0.02",
             "nn.init.normal_(m.weight, 1.0, 0.02)")
    if bool(bn.bias.detach().abs().max() > 0):
        fail("batch norm biases are not 0", "nn.init.zeros_(m.bias) for batch norm too")
    return "conv weights N(0, 0.02), batch norm weights N(1, 0.02), biases 0"


# ---------------------------------------------------------------------------- task 5
def _slerp_reference(z0: Tensor, z1: Tensor, t: float) -> Tensor:
    z0, z1 = z0.double(), z1.double()
    a = z0 / z0.norm(dim=-1, keepdim=True)
    b = z1 / z1.norm(dim=-1, keepdim=True)
    omega = (a * b).sum(-1, keepdim=True).clamp(-1, 1).acos()
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def _slerp_mistakes(z0: Tensor, z1: Tensor, t: float) -> list[tuple[Tensor, str, str]]:
    """What the known mistakes return for ``(z0, z1, t)`` (float64), with their diagnosis."""
    z0, z1 = z0.double(), z1.double()
    n0, n1 = z0.norm(dim=-1, keepdim=True), z1.norm(dim=-1, keepdim=True)
    omega = ((z0 / n0) * (z1 / n1)).sum(-1, keepdim=True).clamp(-1, 1).acos()
    a, b = torch.sin((1 - t) * omega), torch.sin(t * omega)
    raw = (z0 * z1).sum(-1, keepdim=True).clamp(-1, 1).acos()  # a finite Ω when |z0·z1| ≤ 1
    return [
        ((torch.sin((1 - t) * raw) * z0 + torch.sin(t * raw) * z1) / torch.sin(raw),
         "you took arccos of the raw dot product z0·z1, not of the normalised vectors' one",
         _NAN_HINT),
        ((1 - t) * z0 + t * z1, "this is lerp, the straight line, not the great circle",
         "follow the great circle: sin((1 − t)Ω)/sin Ω · z0 + sin(tΩ)/sin Ω · z1"),
        ((a * z0 + b * z1) / omega, "you divided by Ω instead of sin Ω",
         "both weights divide by sin Ω: sin((1 − t)Ω)/sin Ω and sin(tΩ)/sin Ω"),
        ((b * z0 + a * z1) / torch.sin(omega), "the two weights are swapped: your path runs "
         "from z1 to z0", "sin((1 − t)Ω)/sin Ω goes with z0, sin(tΩ)/sin Ω with z1"),
        (_slerp_reference(z0 / n0, z1 / n1, t) * ((1 - t) * n0 + t * n1),
         "you interpolated the directions on the unit sphere and the norms linearly: a "
         "different path from slerp's",
         "combine the original z0 and z1 with the weights sin((1 − t)Ω)/sin Ω, "
         "sin(tΩ)/sin Ω"),
    ]


def _name_slerp_mistake(out: Tensor, z0: Tensor, z1: Tensor, t: float) -> None:
    for value, problem, hint in _slerp_mistakes(z0, z1, t):
        if torch.allclose(out, value, atol=1e-4):
            fail(f"slerp(z0, z1, {t}): {problem}", hint)


_NAN_HINT = "take arccos of the dot product of the *normalised* vectors, clipped to [-1, 1]"


def _as_output(out: object, shape: tuple[int, ...], call: str, nan_hint: str = _NAN_HINT
               ) -> Tensor:
    if not isinstance(out, Tensor):
        fail(f"{call} returned a {type(out).__name__}, expected a tensor",
             "return a torch tensor")
    if tuple(out.shape) != shape:
        fail(f"{call} has shape {tuple(out.shape)}, expected {shape}",
             "keep the shape of z0: reduce with keepdim=True")
    if not bool(torch.isfinite(out).all()):
        fail(f"{call} contains NaN or inf", nan_hint)
    return out.double()


@check("slerp")
def check_slerp(slerp: Callable[[Tensor, Tensor, float], Tensor]) -> str:
    """``slerp(z0, z1, t)`` for ``z0, z1`` of shape ``(d,)`` or ``(N, d)`` and a float t."""
    g = rng(_SEED)
    d = 100
    z0, z1 = torch.randn(d, generator=g), torch.randn(d, generator=g)
    for t, end in ((0.0, z0), (1.0, z1)):
        out = _as_output(slerp(z0, z1, t), (d,), f"slerp(z0, z1, {t})")
        if math.isclose(float(out.norm()), 1.0, rel_tol=1e-3):
            fail("the result has norm 1: you interpolated the normalised vectors",
                 "normalise only to compute the angle Ω; combine the original z0 and z1")
        if not torch.allclose(out, end.double(), atol=1e-4):
            _name_slerp_mistake(out, z0, z1, t)
            fail(f"slerp(z0, z1, {t}) is not {'z0' if t == 0 else 'z1'}",
                 "weights sin((1 − t)Ω)/sin Ω on z0 and sin(tΩ)/sin Ω on z1")
    out = _as_output(slerp(z0, z1, 0.5), (d,), "slerp(z0, z1, 0.5)")
    ref = _slerp_reference(z0, z1, 0.5)
    straight = (z0.double() + z1.double()) / 2
    if torch.allclose(out, straight, atol=1e-4):
        fail(f"the midpoint is the straight-line midpoint (norm {float(out.norm()):.2f} instead "
             f"of {float(ref.norm()):.2f}): this is lerp",
             "follow the great circle: sin((1 − t)Ω)/sin Ω · z0 + sin(tΩ)/sin Ω · z1")
    if math.isclose(float(out.norm()), 1.0, rel_tol=1e-3):
        fail("the result has norm 1: you interpolated the normalised vectors",
             "normalise only to compute the angle Ω; combine the original z0 and z1")
    if not torch.allclose(out, ref, atol=1e-3):
        _name_slerp_mistake(out, z0, z1, 0.5)
        fail("slerp(z0, z1, 0.5) differs from spherical interpolation",
             "Ω = arccos(z0·z1 / (‖z0‖ ‖z1‖)); weights sin((1 − t)Ω)/sin Ω, sin(tΩ)/sin Ω")
    # Nothing symmetric: norms 1 : 3, an angle of about 37°, t = 0.3.
    u = z0 / z0.norm()
    w = z1 - (z1 @ u) * u
    far = 3 * float(z0.norm()) * (0.8 * u + 0.6 * w / w.norm())
    out = _as_output(slerp(z0, far, 0.3), (d,), "slerp(z0, z1, 0.3) with ‖z1‖ = 3‖z0‖")
    if not torch.allclose(out, _slerp_reference(z0, far, 0.3), atol=1e-3):
        _name_slerp_mistake(out, z0, far, 0.3)
        fail("slerp(z0, z1, 0.3) differs from spherical interpolation when ‖z1‖ = 3‖z0‖ and "
             "the angle is 37°", "Ω = arccos(z0·z1 / (‖z0‖ ‖z1‖)); weights "
             "sin((1 − t)Ω)/sin Ω on z0, sin(tΩ)/sin Ω on z1")
    # equal norms stay equal all along
    z1_same = z1 * (z0.norm() / z1.norm())
    out = _as_output(slerp(z0, z1_same, 0.3), (d,), "slerp(z0, z1, 0.3)")
    if not math.isclose(float(out.norm()), float(z0.norm()), rel_tol=1e-3):
        fail("for z0, z1 of equal norm the path does not keep that norm",
             "check the sin weights: both divide by sin Ω")
    # batches: one pair per row
    Z0, Z1 = torch.randn(4, d, generator=g), torch.randn(4, d, generator=g)
    out = _as_output(slerp(Z0, Z1, 0.25), (4, d), "slerp(z0, z1, 0.25) on (4, 100) batches")
    if not torch.allclose(out, _slerp_reference(Z0, Z1, 0.25), atol=1e-3):
        fail("with z0 and z1 of shape (N, d), the rows are not interpolated pair by pair",
             "reduce over the last dimension only: .sum(dim=-1, keepdim=True), "
             ".norm(dim=-1, keepdim=True)")
    # identical endpoints: Ω = 0 and sin Ω = 0 (z = 2·1 has a cosine of exactly 1)
    for z in (z0, torch.full((16,), 2.0)):
        out = _as_output(slerp(z, z.clone(), 0.5), tuple(z.shape), "slerp(z, z, 0.5)",
                         "for z0 = z1, Ω = 0 and sin Ω = 0 (0/0): fall back to lerp when "
                         "sin Ω is tiny, and clip the cosine to [-1, 1]")
        if not torch.allclose(out, z.double(), atol=1e-3):
            fail("slerp(z, z, 0.5) is not z", "when sin Ω is tiny, fall back to lerp")
    return "endpoints, great-circle midpoint, constant norm, batches, z0 = z1"
