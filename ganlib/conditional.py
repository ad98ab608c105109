"""Conditional GANs: a generator asked for a class, three ways for a discriminator to judge it.

Conventions (as in :mod:`ganlib.models`):

- A conditional generator maps noise ``z`` ``(N, latent_dim)`` and labels ``y`` ``(N,)``
  (integers in ``[0, n_classes)``) to samples ``G(z, y)``.
- :class:`ConcatDiscriminator` (cGAN, Mirza & Osindero 2014) and
  :class:`ProjectionDiscriminator` (Miyato & Koyama 2018) map ``(x, y)`` to logits ``(N,)``.
- :class:`ACGANDiscriminator` (Odena et al. 2017) sees ``x`` only and returns two outputs,
  the real/fake logits ``(N,)`` and class logits ``(N, n_classes)``; its classifier is
  trained on both real and generated samples (:func:`acgan_d_loss`, :func:`acgan_g_loss`).
- For convolutional nets: :class:`ConditionalDCGANGenerator` (the DCGAN generator with
  :class:`ConditionalBatchNorm2d`) and :class:`ProjectionDCGANDiscriminator`.

Labels of the wrong dtype, shape or range raise a ``ValueError`` naming what was expected
and what was received (:func:`check_labels`).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .losses import LOSSES, gradient_penalty
from .models import (
    DCGANDiscriminator,
    DCGANGenerator,
    _check_noise,
    _sizes,
    check_batch_shape,
    mlp_discriminator_layers,
)
from .steps import Autocast, _loss_pair, _refuse_non_finite
from .utils import check_int

__all__ = [
    "check_labels",
    "ConditionalMLPGenerator",
    "ConcatDiscriminator",
    "ProjectionDiscriminator",
    "ACGANDiscriminator",
    "ConditionalBatchNorm2d",
    "ConditionalDCGANGenerator",
    "ProjectionDCGANDiscriminator",
    "acgan_d_loss",
    "acgan_g_loss",
    "verdict",
    "conditional_discriminator_step",
    "conditional_generator_step",
    "class_grid_labels",
    "DESIGNS",
    "mnist_conditional_gan",
]

DESIGNS = ("concat", "projection", "acgan")


def check_labels(labels: object, n: int, n_classes: int,
                 what: str = "labels (one per sample)") -> None:
    """Raise a ``ValueError`` unless ``labels`` is an integer tensor ``(n,)`` in ``[0, n_classes)``.

    The message names what was expected and what was received, e.g. ``expected labels
    (one per sample) of shape (64,), got (64, 10)``: one-hot labels, a batch of labels
    that does not match the batch of noise or images, floats, or values out of range.
    """
    if not isinstance(labels, Tensor):
        raise ValueError(f"expected {what} as an integer tensor of shape ({n},), got "
                         f"{type(labels).__name__}")
    if labels.dtype == torch.bool or labels.is_floating_point() or labels.is_complex():
        raise ValueError(f"expected {what} of an integer dtype (class indices such as "
                         f"torch.long), got {labels.dtype}")
    if tuple(labels.shape) != (n,):
        hint = (" — one-hot labels? pass class indices, e.g. labels.argmax(1)"
                if labels.ndim == 2 and labels.shape[-1] == n_classes else "")
        raise ValueError(f"expected {what} of shape ({n},), got {tuple(labels.shape)}{hint}")
    if n and (int(labels.min()) < 0 or int(labels.max()) >= n_classes):
        raise ValueError(f"expected {what} in [0, {n_classes - 1}] ({n_classes} classes), got "
                         f"values from {int(labels.min())} to {int(labels.max())}")


class ConditionalMLPGenerator(nn.Module):
    """Fully connected conditional generator: ``(z, y)`` → ``(N, *out_shape)``.

    The label is looked up in a learned embedding ``(n_classes, embed_dim)`` and
    concatenated to the noise (Mirza & Osindero 2014 feed a one-hot label as an extra
    input layer; an embedding is a learned linear map of that one-hot vector). Then the
    layers of :class:`ganlib.models.MLPGenerator`: Linear (+ batch norm) + ReLU per hidden
    width, a linear output layer and, for images, a tanh.
    """

    def __init__(
        self,
        latent_dim: int,
        out_shape: int | Sequence[int],
        n_classes: int = 10,
        embed_dim: int | None = None,
        hidden: Sequence[int] = (256, 512),
        batch_norm: bool = True,
        out_activation: str | None = "tanh",
    ) -> None:
        super().__init__()
        from .models import MLPGenerator

        self.n_classes = check_int("n_classes", n_classes, minimum=2)
        self.embed_dim = check_int("embed_dim", n_classes if embed_dim is None else embed_dim)
        self.latent_dim = check_int("latent_dim", latent_dim)
        self.embed = nn.Embedding(self.n_classes, self.embed_dim)
        body = MLPGenerator(self.latent_dim + self.embed_dim, out_shape, hidden, batch_norm,
                            out_activation)
        self.out_shape, self.net = body.out_shape, body.net

    def forward(self, z: Tensor, labels: Tensor) -> Tensor:
        _check_noise(z, self.latent_dim)
        check_labels(labels, len(z), self.n_classes, "labels (one per noise vector)")
        return self.from_embedding(z, self.embed(labels.to(z.device)))

    def from_embedding(self, z: Tensor, embedding: Tensor) -> Tensor:
        """Samples for label *embeddings* ``(N, embed_dim)`` instead of labels, e.g. points
        between two classes' embeddings (``G(z, y)`` is ``from_embedding(z, embed(y))``)."""
        _check_noise(z, self.latent_dim)
        check_batch_shape(embedding, (self.embed_dim,), "label embeddings")
        if len(embedding) != len(z):
            raise ValueError(f"expected one label embedding per noise vector ({len(z)}), got "
                             f"{len(embedding)}")
        h = torch.cat([z, embedding.to(z.dtype)], dim=1)
        return self.net(h).view(len(z), *self.out_shape)


class _MLPFeatures(nn.Module):
    """The shared body of the three discriminators: φ(x) and the last linear layer ψ."""

    def __init__(self, in_width: int, hidden: Sequence[int], spectral_norm: bool) -> None:
        super().__init__()
        hidden = _sizes("hidden", hidden)
        if not hidden:
            raise ValueError("hidden must have at least one width (φ(x) needs a layer)")
        layers = mlp_discriminator_layers(in_width, hidden, spectral_norm)
        self.phi = nn.Sequential(*layers[:-1])  # Linear + LeakyReLU per hidden width
        self.psi = layers[-1]  # Linear(features, 1): the unconditional logit
        self.n_features = hidden[-1]


class _ConditionalDiscriminator(nn.Module):
    def __init__(self, in_shape: int | Sequence[int], n_classes: int) -> None:
        super().__init__()
        self.in_shape = _sizes("in_shape", in_shape)
        self.n_classes = check_int("n_classes", n_classes, minimum=2)
        self.in_width = int(torch.tensor(self.in_shape).prod())

    def _flat(self, x: Tensor) -> Tensor:
        check_batch_shape(x, self.in_shape)
        return x.reshape(len(x), -1)

    def _labels(self, labels: Tensor, x: Tensor) -> Tensor:
        check_labels(labels, len(x), self.n_classes, "labels (one per sample)")
        return labels.to(x.device)


class ConcatDiscriminator(_ConditionalDiscriminator):
    """cGAN discriminator: ``D(x, y) = MLP([x, embed(y)])`` → logits ``(N,)``.

    The flattened sample and the label's embedding are concatenated at the input and
    judged together by the layers of :class:`ganlib.models.MLPDiscriminator`.
    """

    def __init__(self, in_shape: int | Sequence[int], n_classes: int = 10,
                 embed_dim: int | None = None, hidden: Sequence[int] = (512, 256),
                 spectral_norm: bool = False) -> None:
        super().__init__(in_shape, n_classes)
        self.embed_dim = check_int("embed_dim", n_classes if embed_dim is None else embed_dim)
        self.embed = nn.Embedding(self.n_classes, self.embed_dim)
        self.body = _MLPFeatures(self.in_width + self.embed_dim, hidden, spectral_norm)

    def forward(self, x: Tensor, labels: Tensor) -> Tensor:
        h = torch.cat([self._flat(x), self.embed(self._labels(labels, x)).to(x.dtype)], 1)
        return self.body.psi(self.body.phi(h)).squeeze(1)


class ProjectionDiscriminator(_ConditionalDiscriminator):
    """Projection discriminator: ``D(x, y) = ψ(φ(x)) + embed(y) · φ(x)`` → logits ``(N,)``.

    φ is the MLP body (features ``(N, F)``), ψ a linear layer to one logit and ``embed``
    an embedding ``(n_classes, F)``: the label enters only through an inner product with
    the features, the form Miyato & Koyama (2018) derive from the log density ratio.
    """

    def __init__(self, in_shape: int | Sequence[int], n_classes: int = 10,
                 hidden: Sequence[int] = (512, 256), spectral_norm: bool = False) -> None:
        super().__init__(in_shape, n_classes)
        self.body = _MLPFeatures(self.in_width, hidden, spectral_norm)
        self.embed = nn.Embedding(self.n_classes, self.body.n_features)
        nn.init.normal_(self.embed.weight, 0.0, self.body.n_features ** -0.5)

    def forward(self, x: Tensor, labels: Tensor) -> Tensor:
        features = self.body.phi(self._flat(x))
        projection = (self.embed(self._labels(labels, x)).to(features.dtype) * features).sum(1)
        return self.body.psi(features).squeeze(1) + projection


class ACGANDiscriminator(_ConditionalDiscriminator):
    """AC-GAN discriminator: ``x`` → (real/fake logits ``(N,)``, class logits ``(N, K)``).

    One body φ, two linear heads: ψ for the source (real or generated) and a classifier
    over the ``n_classes`` classes. It takes no label: it predicts it.
    """

    def __init__(self, in_shape: int | Sequence[int], n_classes: int = 10,
                 hidden: Sequence[int] = (512, 256), spectral_norm: bool = False) -> None:
        super().__init__(in_shape, n_classes)
        self.body = _MLPFeatures(self.in_width, hidden, spectral_norm)
        self.classifier = nn.Linear(self.body.n_features, self.n_classes)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        features = self.body.phi(self._flat(x))
        return self.body.psi(features).squeeze(1), self.classifier(features)


# ------------------------------------------------------------------ convolutional nets
class ConditionalBatchNorm2d(nn.Module):
    """Batch norm whose scale and shift are looked up per class: ``γ(y) · x̂ + β(y)``.

    ``x̂`` is normalised over the batch as in :class:`torch.nn.BatchNorm2d` (without its
    own affine parameters); ``γ`` and ``β`` are embeddings ``(n_classes, num_features)``
    starting at 1 and 0, so the layer begins as plain batch norm. The way a convolutional
    generator hears the label in every layer (used by Miyato & Koyama 2018 and BigGAN).
    """

    def __init__(self, num_features: int, n_classes: int) -> None:
        super().__init__()
        self.num_features = check_int("num_features", num_features)
        self.n_classes = check_int("n_classes", n_classes, minimum=2)
        self.norm = nn.BatchNorm2d(self.num_features, affine=False)
        self.gamma = nn.Embedding(self.n_classes, self.num_features)
        self.beta = nn.Embedding(self.n_classes, self.num_features)
        nn.init.ones_(self.gamma.weight)
        nn.init.zeros_(self.beta.weight)

    def forward(self, x: Tensor, labels: Tensor) -> Tensor:
        check_labels(labels, len(x), self.n_classes)
        labels = labels.to(x.device)
        gamma = self.gamma(labels).to(x.dtype)[:, :, None, None]
        beta = self.beta(labels).to(x.dtype)[:, :, None, None]
        return gamma * self.norm(x) + beta


class ConditionalDCGANGenerator(nn.Module):
    """:class:`ganlib.models.DCGANGenerator` with conditional batch norm: ``(z, y)`` → images.

    The same transposed convolutions; every batch norm becomes a
    :class:`ConditionalBatchNorm2d`, so the label sets the scale and shift of every layer's
    features. Images ``(N, C, S, S)`` in [-1, 1] for S = 28, 32 or 64.
    """

    def __init__(self, latent_dim: int = 100, n_classes: int = 10, channels: int = 1,
                 image_size: int = 28, width: int = 64) -> None:
        super().__init__()
        base = DCGANGenerator(latent_dim, channels, image_size, width)
        self.latent_dim, self.channels, self.image_size = (base.latent_dim, base.channels,
                                                           base.image_size)
        self.n_classes = check_int("n_classes", n_classes, minimum=2)
        self.layers = nn.ModuleList(
            ConditionalBatchNorm2d(m.num_features, self.n_classes)
            if isinstance(m, nn.BatchNorm2d) else m for m in base.net)

    def forward(self, z: Tensor, labels: Tensor) -> Tensor:
        _check_noise(z, self.latent_dim)
        check_labels(labels, len(z), self.n_classes, "labels (one per noise vector)")
        h = z[:, :, None, None]
        for layer in self.layers:
            h = layer(h, labels) if isinstance(layer, ConditionalBatchNorm2d) else layer(h)
        return h


class ProjectionDCGANDiscriminator(nn.Module):
    """A DCGAN discriminator with a projection: ``D(x, y) = ψ(φ(x)) + e(y) · Σφ(x)`` → ``(N,)``.

    φ is :class:`ganlib.models.DCGANDiscriminator` without its last convolution, ψ that
    last convolution (the unconditional logit); the label's embedding meets the features
    summed over the positions (global sum pooling, as Miyato & Koyama 2018 do). ``norm`` and
    ``spectral_norm`` as for the DCGAN discriminator (the paper uses spectral norm and no
    batch norm: the defaults here).
    """

    def __init__(self, n_classes: int = 10, channels: int = 1, image_size: int = 28,
                 width: int = 64, norm: str = "none", spectral_norm: bool = True) -> None:
        super().__init__()
        base = DCGANDiscriminator(channels, image_size, width, norm, spectral_norm)
        self.channels, self.image_size = base.channels, base.image_size
        self.n_classes = check_int("n_classes", n_classes, minimum=2)
        self.phi, self.psi = base.net[:-1], base.net[-1]
        n_features = self.psi.in_channels
        self.embed = nn.Embedding(self.n_classes, n_features)
        nn.init.normal_(self.embed.weight, 0.0, n_features ** -0.5)

    def forward(self, x: Tensor, labels: Tensor) -> Tensor:
        check_batch_shape(x, (self.channels, self.image_size, self.image_size), "images")
        check_labels(labels, len(x), self.n_classes)
        features = self.phi(x)  # (N, F, s, s)
        pooled = features.sum((2, 3))  # (N, F)
        projection = (self.embed(labels.to(x.device)).to(pooled.dtype) * pooled).sum(1)
        return self.psi(features).flatten() + projection


def acgan_d_loss(real_logits: Tensor, fake_logits: Tensor, real_class_logits: Tensor,
                 fake_class_logits: Tensor, real_labels: Tensor, fake_labels: Tensor,
                 loss: str = "nonsaturating", aux_weight: float = 1.0) -> Tensor:
    """AC-GAN's discriminator loss: the source loss plus ``aux_weight`` × the class loss.

    Odena et al. (2017) train D to maximise L_S + L_C, where L_C is the log-likelihood
    of the correct class on real **and** generated samples; as a loss to minimise that is
    the GAN loss ``loss`` (its discriminator half) plus the cross-entropy of both batches.
    """
    d_loss = LOSSES[loss][0](real_logits, fake_logits)
    class_loss = (F.cross_entropy(real_class_logits.float(), real_labels)
                  + F.cross_entropy(fake_class_logits.float(), fake_labels))
    return d_loss + aux_weight * class_loss


def acgan_g_loss(fake_logits: Tensor, fake_class_logits: Tensor, fake_labels: Tensor,
                 loss: str = "nonsaturating", aux_weight: float = 1.0) -> Tensor:
    """AC-GAN's generator loss: G's GAN loss plus ``aux_weight`` × the class loss of its
    samples (G maximises L_C − L_S: its samples should be classified as the asked class)."""
    return (LOSSES[loss][1](fake_logits)
            + aux_weight * F.cross_entropy(fake_class_logits.float(), fake_labels))


def mnist_conditional_gan(design: str, latent_dim: int = 64,
                          n_classes: int = 10) -> tuple[nn.Module, nn.Module, float]:
    """Chapter 6's networks for 28-px digits: ``(G, D, aux_weight)`` for one design.

    The generator is the same for every design (noise and label embedding → 256 → 512 with
    batch norm → 784, tanh); the discriminators differ only in how they use the label:
    ``"concat"`` (:class:`ConcatDiscriminator`), ``"projection"``
    (:class:`ProjectionDiscriminator`) or ``"acgan"`` (:class:`ACGANDiscriminator`, trained
    with ``aux_weight`` 1 as in the paper), each with hidden layers 512 → 256.
    """
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {DESIGNS}, got {design!r}")
    shape = (1, 28, 28)
    G = ConditionalMLPGenerator(latent_dim, shape, n_classes, hidden=(256, 512))
    D = {"concat": ConcatDiscriminator, "projection": ProjectionDiscriminator,
         "acgan": ACGANDiscriminator}[design](shape, n_classes, hidden=(512, 256))
    return G, D, 1.0 if design == "acgan" else 0.0


def class_grid_labels(n_rows: int, n_classes: int = 10) -> Tensor:
    """Labels ``(n_rows * n_classes,)`` for a grid with one class per column: 0, 1, …, K−1
    repeated on every row (pair it with one noise vector per row, repeated K times)."""
    return torch.arange(check_int("n_classes", n_classes, minimum=2)).repeat(
        check_int("n_rows", n_rows))


# ------------------------------------------------------------------ the conditional update
def verdict(D: nn.Module, x: Tensor, labels: Tensor,
            auxiliary: bool = False) -> tuple[Tensor, Tensor | None]:
    """D's logits ``(N,)`` for samples ``x`` of classes ``labels``, and class logits for AC-GAN.

    cGAN and projection discriminators judge the pair: ``D(x, labels)``. An AC-GAN
    discriminator (``auxiliary=True``) sees ``x`` alone and returns ``(logits,
    class_logits)``; the labels are then what its classifier should predict.
    """
    if auxiliary and isinstance(D, ConcatDiscriminator | ProjectionDiscriminator):
        raise TypeError(f"aux_weight > 0 (AC-GAN) needs a discriminator that predicts the class "
                        f"from the sample alone, e.g. ACGANDiscriminator; {type(D).__name__} "
                        "takes the label as input (use aux_weight=0)")
    if not auxiliary:
        if isinstance(D, ACGANDiscriminator):
            raise TypeError("an ACGANDiscriminator predicts the label instead of taking it: "
                            "train it with aux_weight > 0 (the paper's weight is 1)")
        return D(x, labels), None
    out = D(x)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError("aux_weight > 0 needs an AC-GAN discriminator that returns (logits, "
                        "class_logits), e.g. ganlib.conditional.ACGANDiscriminator; got "
                        f"{type(out).__name__} from {type(D).__name__}")
    return out


def conditional_discriminator_step(
    D: nn.Module,
    d_optimizer: torch.optim.Optimizer,
    real: Tensor,
    real_labels: Tensor,
    fake: Tensor,
    fake_labels: Tensor,
    *,
    loss: str = "nonsaturating",
    aux_weight: float = 0.0,
    gp_weight: float = 0.0,
    rng: torch.Generator | None = None,
    autocast: Autocast = nullcontext,
) -> dict[str, Tensor]:
    """One update of a conditional discriminator: is this a real sample *of this class*?

    :func:`ganlib.steps.discriminator_step` with labels: real samples are judged with
    their own labels, each fake with the label it was generated for.

    Args:
        D: ``D(x, y)`` → logits ``(N,)``, or with ``aux_weight > 0`` an AC-GAN
            discriminator ``D(x)`` → ``(logits, class_logits)``.
        real, real_labels: real samples ``(N, ...)`` and their classes ``(N,)``.
        fake, fake_labels: generated samples ``(M, ...)`` and the classes asked for ``(M,)``.
        loss: a name from :data:`ganlib.losses.LOSSES`.
        aux_weight: AC-GAN's weight of the class loss (:func:`acgan_d_loss`); 0 for a
            discriminator that takes the label as input.
        gp_weight: λ of the gradient penalty; each interpolate keeps the label of its two
            ends, so the fakes must have been generated for the real batch's labels.
        rng, autocast: as in :func:`ganlib.steps.discriminator_step`.

    Returns:
        detached tensors: ``loss``, ``real_logits``, ``fake_logits``; ``gp`` and
        ``gp_norms`` with the penalty; ``fake_class_accuracy`` for an AC-GAN.
    """
    d_loss_fn = _loss_pair(loss)[0]
    auxiliary = aux_weight > 0
    if gp_weight > 0 and not torch.equal(real_labels, fake_labels):
        raise ValueError("the gradient penalty with labels interpolates each real sample with a "
                         "fake of the same class: generate the fakes for the real batch's "
                         "labels (fake_labels equal to real_labels)")
    d_optimizer.zero_grad(set_to_none=True)
    with autocast():
        real_logits, real_classes = verdict(D, real, real_labels, auxiliary)
        fake_logits, fake_classes = verdict(D, fake.detach(), fake_labels, auxiliary)
    real_logits, fake_logits = real_logits.float(), fake_logits.float()  # losses in float32
    if auxiliary:
        d_loss = acgan_d_loss(real_logits, fake_logits, real_classes, fake_classes,
                              real_labels, fake_labels, loss, aux_weight)
    else:
        d_loss = d_loss_fn(real_logits, fake_logits)
    terms = {"discriminator loss": d_loss}
    logged = {"loss": d_loss, "real_logits": real_logits, "fake_logits": fake_logits}
    if auxiliary:
        logged["fake_class_accuracy"] = (fake_classes.argmax(1) == fake_labels).float().mean()
    if gp_weight > 0:
        def critic(x: Tensor) -> Tensor:  # the interpolate x̂ keeps its ends' label
            return verdict(D, x, real_labels, auxiliary)[0]

        with autocast():
            gp, norms = gradient_penalty(critic, real, fake, rng, return_norms=True)
        terms["gradient penalty"] = gp_weight * gp.float()
        logged.update(gp=gp, gp_norms=norms)
    _refuse_non_finite(terms)
    sum(terms.values()).backward()
    d_optimizer.step()
    return {name: t.detach() for name, t in logged.items()}


def conditional_generator_step(
    D: nn.Module,
    g_optimizer: torch.optim.Optimizer,
    fake: Tensor,
    labels: Tensor,
    *,
    loss: str = "nonsaturating",
    aux_weight: float = 0.0,
    autocast: Autocast = nullcontext,
) -> Tensor:
    """One update of a conditional generator: its samples ``fake`` = ``G(z, labels)``
    (attached to G's graph), judged as samples of ``labels``; returns the loss, detached.

    As :func:`ganlib.steps.generator_step`; with ``aux_weight > 0`` (AC-GAN) the loss is
    :func:`acgan_g_loss`: D's classifier should also recognise the class asked for.
    """
    g_loss_fn = _loss_pair(loss)[1]
    g_optimizer.zero_grad(set_to_none=True)
    trainable = [p for p in D.parameters() if p.requires_grad]
    for p in trainable:  # the gradient flows through D into G; D's own weights need none
        p.requires_grad_(False)
    try:
        with autocast():
            logits, classes = verdict(D, fake, labels, aux_weight > 0)
        if classes is None:
            g_loss = g_loss_fn(logits.float())
        else:
            g_loss = acgan_g_loss(logits.float(), classes, labels, loss, aux_weight)
        _refuse_non_finite({"generator loss": g_loss})
        g_loss.backward()
    finally:
        for p in trainable:
            p.requires_grad_(True)
    g_optimizer.step()
    return g_loss.detach()
