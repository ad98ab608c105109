"""Checks for the exercises of chapter 6, conditional GANs.

Each check calls the learner's function on inputs drawn from its own seeded generators — the
global random state is saved and restored — and prints one line: ``✅ <name>: correct — …``
or ``❌ <name>: <what is wrong> — hint: <hint>``.

==========================================  ====================================================
check                                       what the learner wrote
==========================================  ====================================================
:func:`check_one_hot`                       ``one_hot(labels, n_classes)``: (N,) → (N, K) floats
:func:`check_conditional_input`             ``conditional_input(x, labels, embedding)``:
                                            [x flattened, embedding(labels)] → (N, D + E)
:func:`check_projection_logits`             ``projection_logits(features, labels, embedding,
                                            psi)``: ψ(φ) + ⟨embed(y), φ⟩ → (N,)
:func:`check_acgan_d_loss`                  ``acgan_d_loss(…, aux_weight)``: AC-GAN's D loss
:func:`check_acgan_g_loss`                  ``acgan_g_loss(…, aux_weight)``: AC-GAN's G loss
:func:`check_discriminator_loss`            ``discriminator_loss_with_labels(D, real,
                                            real_labels, fake, fake_labels)``
:func:`check_conditional_gradient_penalty`  ``conditional_gradient_penalty(critic, real,
                                            fake, labels)``: WGAN-GP with labels
:func:`check_style_grid_inputs`             ``style_grid_inputs(z_rows, n_classes)``: the
                                            noise and labels of a style × class grid
==========================================  ====================================================

The probes are built so that each mistake shows: labels that are not sorted, a largest label
below K − 1, K different from the batch size N and from the embedding size E, real and fake
batches of different sizes with different labels, a grid with R ≠ K rows. The mistakes named:

- ``one_hot``: the width taken from the batch (``F.one_hot(labels)`` without ``num_classes``),
  a hard-coded 10, a transposed result, integer or bool vectors, the wrong class marked;
- ``conditional_input``: the label appended as one float number, a one-hot vector instead of
  the embedding, concatenation along dim 0, ``x`` not flattened (or flattened with its batch
  dimension), the embedding first, the embeddings of other labels (sorted, shifted), no
  gradient to the embedding or to ``x``;
- ``projection_logits``: the projection's sign, the ψ term or the projection forgotten, a mean
  over the features, a sum over the batch, each label paired with every sample, another
  sample's label, the rows ``0 … N−1`` of the embedding, the embedding added before ψ, a
  sigmoid, an ``(N, 1)``, ``(N, N)`` or ``(N, K)`` result, ``.squeeze()`` on a batch of one;
- AC-GAN's losses: D's class loss on the real batch only or on the fakes only, the class logits
  paired with the other batch's labels, G's class loss missing or with the wrong sign (G making
  the classifier wrong), softmax before ``cross_entropy``, ``nll_loss`` on logits, ``aux_weight``
  ignored or applied to the GAN term, one cross-entropy over the pooled batches, sums, the
  saturating G loss, G scored against D's target, G's class targets taken from D's predictions;
- ``discriminator_loss_with_labels``: fakes judged with the real batch's labels (or class 0, or
  other labels), real and fake labels swapped, D called without labels or as ``D(labels, x)``,
  fakes not detached (G would get a gradient), the fake term under ``torch.no_grad()``, real
  and fake swapped in the loss, sums, halves, a pooled mean, a sigmoid before the loss;
- ``conditional_gradient_penalty``: chapter 5's checks of x̂, α and the norm (α per batch or per
  entry, off the segment, no ``create_graph`` …) and the labels of x̂: interpolated (floats),
  shuffled, sorted, one-hot, random, all 0, or missing;
- ``style_grid_inputs``: the noise tiled with ``.repeat`` (a row mixes styles), the labels with
  ``repeat_interleave`` (a column mixes classes), a transposed grid, the noise not repeated or
  flattened, fresh noise, float or 2-D labels, ``n_classes`` ignored.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import ch05, check, during, fail
from .support import apart, close, loss_tensor, name_mistake, rng, seeded

__all__ = [
    "check_one_hot",
    "check_conditional_input",
    "check_projection_logits",
    "check_acgan_d_loss",
    "check_acgan_g_loss",
    "check_discriminator_loss",
    "check_conditional_gradient_penalty",
    "check_style_grid_inputs",
]

_SEED = 606


def _same(got: float, value: float) -> bool:
    return close(got, value, 1e-4)


def _same_tensor(got: Tensor, want: Tensor, atol: float = 1e-5) -> bool:
    """Same shape and values within ``atol`` (plus 1e-4 relative)."""
    return (isinstance(got, Tensor) and tuple(got.shape) == tuple(want.shape)
            and bool(torch.allclose(got.detach().double(), want.detach().double(),
                                    atol=atol, rtol=1e-4)))


def _tensor(value: object, what: str, hint: str) -> Tensor:
    if not isinstance(value, Tensor):
        kind = "None" if value is None else f"a {type(value).__name__}"
        fail(f"{what} is {kind}, expected a tensor", hint)
    return value  # type: ignore[return-value]


def _unchanged(before: list[Tensor], after: list[Tensor], what: str) -> None:
    if any(not torch.equal(a.detach(), b) for a, b in zip(after, before, strict=True)):
        fail(f"your function changed {what} it was given",
             "compute with the inputs, do not modify them (no in-place operations on them)")


# ------------------------------------------------------------- task 1: labels as inputs
@check("one_hot")
def check_one_hot(one_hot: Callable[[Tensor, int], Tensor]) -> str:
    """Check ``one_hot(labels (N,), n_classes)`` → float ``(N, n_classes)``, one 1 per row.

    Probed with labels whose largest value is below ``n_classes − 1`` (so that a width taken
    from the batch shows), a batch of one, and two numbers of classes.
    """
    for values, k in (([3, 0, 5, 3, 1], 7), ([1], 3), ([2, 0, 1, 1], 3)):
        labels = torch.tensor(values)
        what = f"for labels {values} and n_classes = {k}"
        with during(what):
            out = one_hot(labels, k)
        _unchanged([torch.tensor(values)], [labels], "the labels")
        _one_hot_verdict(out, labels, k, what)
    return "(N,) labels → (N, K) float rows with a single 1, at the label, for any K"


def _one_hot_verdict(out: object, labels: Tensor, k: int, what: str) -> None:
    out = _tensor(out, f"your result {what}", "return F.one_hot(labels, n_classes).float()")
    n = len(labels)
    shape = tuple(out.shape)
    if shape != (n, k):
        top = int(labels.max()) + 1
        if shape == (n, top):
            fail(f"{what} your one-hot vectors have {top} entries, not {k}: F.one_hot(labels) "
                 "without num_classes takes the number of classes from the largest label in "
                 f"the batch (here {top - 1}), so the width changes from batch to batch",
                 "pass it: F.one_hot(labels, num_classes=n_classes)")
        if shape == (n, 10):
            fail(f"{what} your one-hot vectors have 10 entries: the number of classes is "
                 "hard-coded", "use the argument: F.one_hot(labels, n_classes)")
        if shape == (k, n):
            fail(f"{what} your result has shape {shape}, the transpose of ({n}, {k}): one "
                 "column per label", "one row per label: F.one_hot(labels, n_classes)")
        if n == 1 and shape == (k,):
            fail(f"{what} your result has shape ({k},), expected (1, {k}): .squeeze() removed "
                 "the batch dimension of a batch of one", "drop the .squeeze()")
        fail(f"{what} your result has shape {shape}, expected ({n}, {k}): one row per label, "
             "one column per class", "F.one_hot(labels, n_classes).float()")
    if not out.is_floating_point():
        fail(f"your one-hot vectors are {out.dtype}, not floats: F.one_hot returns integers "
             "(a comparison returns bools), and a network's layers refuse them",
             "add .float(): F.one_hot(labels, n_classes).float()")
    want = F.one_hot(labels, k).to(out.dtype)
    if torch.equal(out, want):
        return
    is_one_hot = bool(((out == 0) | (out == 1)).all()) and bool((out.sum(1) == 1).all())
    if is_one_hot:
        fail(f"{what} your rows mark the classes {out.argmax(1).tolist()}, expected "
             f"{labels.tolist()}: row i has its 1 in column labels[i]",
             "torch.eye(n_classes)[labels], or F.one_hot(labels, n_classes).float()")
    fail(f"{what} your rows are not one-hot vectors (each row: zeros and a single 1)",
         "F.one_hot(labels, n_classes).float()")


def _input_cases() -> list[tuple[str, Tensor, Tensor, nn.Embedding]]:
    """(description, x, labels, embedding): images, 2-D points, a batch of one."""
    g = rng(_SEED)
    with seeded(_SEED):
        seven, three = nn.Embedding(7, 4), nn.Embedding(3, 5)
    return [
        ("images x (5, 2, 3, 3) and an embedding of 7 classes into 4 numbers",
         torch.randn(5, 2, 3, 3, generator=g), torch.tensor([3, 0, 6, 3, 1]), seven),
        ("points x (6, 2) and an embedding of 3 classes into 5 numbers",
         torch.randn(6, 2, generator=g), torch.tensor([2, 0, 1, 1, 0, 2]), three),
        ("a batch of one image x (1, 2, 3, 3)",
         torch.randn(1, 2, 3, 3, generator=g), torch.tensor([4]), seven),
    ]


@check("conditional_input")
def check_conditional_input(conditional_input: Callable[[Tensor, Tensor, nn.Module], Tensor]
                            ) -> str:
    """Check ``conditional_input(x (N, ...), labels (N,), embedding)`` → ``(N, D + E)``.

    Each sample flattened to D numbers, followed by its label's embedding (E numbers), as
    ganlib's conditional generator and concatenating discriminator build their input; both
    ``x`` and the embedding's weights must receive gradients.
    """
    for what, x, labels, embedding in _input_cases():
        _input_round(conditional_input, what, x, labels, embedding)
    return ("[x flattened, embedding(labels)] → (N, D + E) for images, points and a batch "
            "of one; gradients reach x and the embedding")


def _input_round(fn: Callable, what: str, x: Tensor, labels: Tensor,
                 embedding: nn.Embedding) -> None:
    n, d = len(x), x[0].numel()
    k, e = embedding.num_embeddings, embedding.embedding_dim
    x0, l0 = x.clone(), labels.clone()
    x = x.requires_grad_(True)
    try:
        with during(f"with {what}"):
            out = fn(x, labels, embedding)
    except RuntimeError as err:
        text = str(err)
        if "except in dimension 0" in text:
            fail("you concatenated along dim 0, which puts the embeddings *below* the samples "
                 "(and fails when D ≠ E); each sample and its label's embedding go side by "
                 "side", "torch.cat([x_flat, embedding(labels)], dim=1)")
        if "same number of dimensions" in text and x.ndim > 2:
            fail(f"with {what}: x was concatenated without being flattened, so the images "
                 "(4 dimensions) and the embeddings (2) cannot be joined",
                 "flatten each sample first: x.flatten(1) (or x.reshape(len(x), -1))")
        raise
    _unchanged([x0, l0], [x, labels], "x or the labels")
    out = _tensor(out, f"your result with {what}", "return torch.cat([...], dim=1)")
    with torch.no_grad():
        flat, emb = x0.reshape(n, -1), embedding(labels)
    want = torch.cat([flat, emb], 1)
    shape = tuple(out.shape)
    if shape != (n, d + e):
        if shape == (n, d + 1):
            fail(f"with {what} your result has {d + 1} columns, D + 1: the label was appended "
                 "as one number; a network would then read class 6 as 'twice' class 3",
                 "look the label up: embedding(labels) gives (N, E), one learned vector per "
                 "class")
        if shape == (n, d + k) and k != e:
            fail(f"with {what} your result has {d + k} columns, D + K: you appended one-hot "
                 f"labels (K = {k}) instead of the embedding (E = {e})",
                 "embedding(labels): the embedding is a learned map of the one-hot vector")
        if shape == (n * (d + e),):
            fail(f"with {what} your result is one long vector of shape {shape}: .flatten() "
                 "(or .view(-1)) flattened the batch dimension too",
                 "x.flatten(1) keeps one row per sample; concatenate with dim=1")
        if shape == (n, e):
            fail(f"with {what} your result holds the embedding only: x is missing",
                 "torch.cat([x_flat, embedding(labels)], dim=1)")
        if shape == (n, d):
            fail(f"with {what} your result holds x only: the label is missing",
                 "torch.cat([x_flat, embedding(labels)], dim=1)")
        fail(f"with {what} your result has shape {shape}, expected ({n}, {d + e}): N rows of "
             f"D = {d} numbers of the sample and E = {e} of its label's embedding",
             "torch.cat([x.flatten(1), embedding(labels)], dim=1)")
    got = out.detach()
    if not _same_tensor(got, want):
        if _same_tensor(got, torch.cat([emb, flat], 1)):
            fail("the embedding comes first and the sample second; the task (and ganlib's "
                 "networks) put the sample first", "torch.cat([x_flat, embedding(labels)], 1)")
        x_part, e_part = got[:, :d], got[:, d:]
        if _same_tensor(x_part, flat):
            dist = torch.cdist(e_part.double(), embedding.weight.detach().double())
            best = dist.min(1)
            if bool((best.values < 1e-5).all()):
                found = best.indices
                hint = "embedding(labels), with the labels in the batch's order"
                if torch.equal(found, labels.sort().values):
                    fail(f"with {what} the rows hold the embeddings of the sorted labels "
                         f"{found.tolist()}, not of each sample's own label {labels.tolist()}",
                         hint)
                fail(f"with {what} the rows hold the embeddings of other labels "
                     f"{found.tolist()}, not of each sample's own label {labels.tolist()}", hint)
            fail(f"with {what} the last E = {e} columns are not embedding(labels)",
                 "torch.cat([x_flat, embedding(labels)], dim=1)")
        if _same_tensor(e_part, emb):
            nearest = torch.cdist(x_part.double(), flat.double()).min(1)
            if bool((nearest.values < 1e-5).all()):  # x's own rows, in another order
                fail(f"with {what} the rows of x are not in the labels' order (row i holds "
                     f"sample {nearest.indices.tolist()}): were x and the labels shuffled "
                     "separately?", "keep each sample with its label: to shuffle, index both "
                     "with one permutation")
            fail(f"with {what} the first D = {d} columns are not x flattened sample by sample",
                 "x.flatten(1), or x.reshape(len(x), -1): one row per sample")
        fail(f"with {what} your result differs from [x flattened, embedding(labels)]",
             "torch.cat([x.flatten(1), embedding(labels)], dim=1)")
    _input_gradients(out, x, labels, embedding, want)


def _input_gradients(out: Tensor, x: Tensor, labels: Tensor, embedding: nn.Embedding,
                     want: Tensor) -> None:
    if not out.requires_grad:
        fail("your result has no gradient: neither x nor the embedding would learn from it",
             "stay in torch: no .detach(), .data, .item() or torch.no_grad()")
    upstream = torch.randn(want.shape, generator=rng(_SEED + 1))
    gx, gw = torch.autograd.grad(out, (x, embedding.weight), upstream, allow_unused=True)
    d = want.shape[1] - embedding.embedding_dim
    want_gw = torch.zeros_like(embedding.weight).index_add_(0, labels, upstream[:, d:])
    if gw is None or not torch.allclose(gw, want_gw, atol=1e-5):
        fail("no gradient reaches the embedding's weights (or the wrong one), so the label "
             "embedding would never be learned", "embedding(labels), without .detach(), "
             ".data or torch.no_grad()")
    if gx is None or not torch.allclose(gx, upstream[:, :d].reshape(x.shape), atol=1e-5):
        fail("no gradient flows back to x (or the wrong one): in a discriminator, the "
             "generator would learn nothing from it", "use x itself, not x.detach() or x.data")


# ----------------------------------------------------------- task 2: the projection
def _projection_cases() -> list[tuple[str, Tensor, Tensor, nn.Embedding, nn.Linear]]:
    """(description, features, labels, embedding, ψ): N = F (so that a sum over the batch
    has the right shape and shows in the values), N ≠ F ≠ K, and a batch of one."""
    g = rng(_SEED + 2)
    cases = []
    for what, n, f, k, labels in (
        ("4 samples with 4 features, 6 classes", 4, 4, 6, [5, 0, 3, 0]),
        ("5 samples with 3 features, 7 classes", 5, 3, 7, [2, 6, 0, 2, 4]),
        ("a batch of one sample with 3 features", 1, 3, 7, [4]),
    ):
        with seeded(_SEED + 2 + n):
            embedding, psi = nn.Embedding(k, f), nn.Linear(f, 1)
        cases.append((what, torch.randn(n, f, generator=g), torch.tensor(labels), embedding,
                      psi))
    return cases


@check("projection_logits")
def check_projection_logits(projection_logits: Callable[..., Tensor]) -> str:
    """Check ``projection_logits(features (N, F), labels (N,), embedding, psi)`` → ``(N,)``:
    ψ(φ(x)) + ⟨embed(y), φ(x)⟩ (Miyato & Koyama 2018), with ``embedding`` an
    ``nn.Embedding(K, F)`` and ``psi`` an ``nn.Linear(F, 1)``."""
    for case in _projection_cases():
        _projection_round(projection_logits, *case)
    return ("ψ(φ) + ⟨embed(y), φ⟩ → (N,), also for N = 1; gradients reach φ, ψ and the "
            "embedding")


def _projection_round(fn: Callable, what: str, features: Tensor, labels: Tensor,
                      embedding: nn.Embedding, psi: nn.Linear) -> None:
    n, f = features.shape
    k = embedding.num_embeddings
    f0, l0 = features.clone(), labels.clone()
    features = features.requires_grad_(True)
    with during(f"for {what}"):
        out = fn(features, labels, embedding, psi)
    _unchanged([f0, l0], [features, labels], "the features or the labels")
    out = _tensor(out, f"your logits for {what}", "return ψ(φ).squeeze(1) + the projection")
    with torch.no_grad():
        p = psi(f0).squeeze(1)
        emb = embedding(labels)
        proj = (emb * f0).sum(1)
    want = p + proj
    shape = tuple(out.shape)
    got = out.detach()
    if shape != (n,):
        if shape == (n, 1):
            fail(f"for {what} your logits have shape ({n}, 1), expected ({n},): ψ returns "
                 "(N, 1)", "ψ(φ).squeeze(1) before adding the projection")
        if n == 1 and shape == ():
            fail(f"for {what} your logits have shape (), expected (1,): .squeeze() removes "
                 "the batch dimension too when N = 1", "ψ(φ).squeeze(1): only dim 1")
        if shape == (n, n):
            if _same_tensor(got, p[:, None] + proj[None, :]):
                fail(f"for {what} your logits have shape ({n}, {n}): ψ's output (N, 1) plus "
                     "the projection (N,) broadcasts to an N × N matrix",
                     "ψ(φ).squeeze(1) + projection: both of shape (N,)")
            fail(f"for {what} your logits have shape ({n}, {n}), an N × N matrix: every "
                 "label met every sample's features (a matrix product?), or a (N, 1) tensor "
                 "met an (N,) one", "(embedding(labels) * features).sum(1): each sample with "
                 "its own label; ψ(φ).squeeze(1)")
        if shape == (n, k):
            fail(f"for {what} your logits have shape ({n}, {k}), one column per class: you "
                 "projected the features onto every class's embedding",
                 "keep each sample's own label: (embedding(labels) * features).sum(1)")
        if shape == (f,) and f != n:
            fail(f"for {what} your logits have shape ({f},), one per feature: you summed over "
                 "the batch (dim 0) instead of over the features",
                 "(embedding(labels) * features).sum(dim=1)")
        fail(f"for {what} your logits have shape {shape}, expected ({n},)",
             "ψ(φ).squeeze(1) + (embedding(labels) * features).sum(1)")
    if not _same_tensor(got, want):
        sign = "ψ(φ).squeeze(1) + (embedding(labels) * features).sum(1)"
        mistakes = [
            (p - proj, "the projection term has the wrong sign", f"add it: {sign}"),
            (proj, "the ψ(φ(x)) term is missing: the logit is ψ(φ) + ⟨embed(y), φ⟩",
             "add psi(features).squeeze(1)"),
            (p, "the projection term is missing: your logits do not depend on the label",
             "add (embedding(labels) * features).sum(1)"),
            (p + (emb * f0).mean(1), "you averaged over the features: the inner product "
             "⟨embed(y), φ⟩ is a sum", "(embedding(labels) * features).sum(1)"),
            (p + (emb @ f0.T).sum(1), "each label's embedding met every sample's features "
             "(a matrix product, then a sum)", "(embedding(labels) * features).sum(1) pairs "
             "each sample with its own label"),
            (p + (embedding(labels.roll(1)).detach() * f0).sum(1), "each sample was paired "
             "with the embedding of another sample's label", "embedding(labels), in the "
             "batch's order"),
            (p + (embedding(labels.sort().values).detach() * f0).sum(1), "the embeddings are "
             "those of the sorted labels, not each sample's own", "embedding(labels), in the "
             "batch's order"),
            (psi(f0 + emb).squeeze(1).detach(), "you added the embedding to the features "
             "before ψ; the label enters through an inner product with φ(x)",
             f"{sign}"),
            (torch.sigmoid(want), "you applied a sigmoid: D returns logits, and the loss "
             "applies the sigmoid itself", "no sigmoid"),
        ]
        if n == f:
            mistakes.append((p + (emb * f0).sum(0), "you summed over the batch (dim 0) "
                             "instead of over the features", "(embedding(labels) * "
                             "features).sum(dim=1)"))
        if n <= k:
            mistakes.append((p + (embedding.weight[:n].detach() * f0).sum(1), "you used the "
                             "embedding's first N rows, not the rows of the labels",
                             "embedding(labels) (or embedding.weight[labels])"))
        name_mistake(got, mistakes, _same_tensor, expected=want)
        fail(f"for {what} your logits are {[round(v, 3) for v in got.tolist()]}, expected "
             f"{[round(v, 3) for v in want.tolist()]}", sign)
    if not out.requires_grad:
        fail("your logits have no gradient", "stay in torch: no .detach(), .data or .item()")
    params = (features, embedding.weight, psi.weight, psi.bias)
    upstream = torch.randn(n, generator=rng(_SEED + 3))
    got_grads = torch.autograd.grad(out, params, upstream, allow_unused=True)
    with torch.enable_grad():
        ref = psi(features).squeeze(1) + (embedding(labels) * features).sum(1)
    want_grads = torch.autograd.grad(ref, params, upstream)
    for name, a, b in zip(("the features", "the embedding", "ψ's weight", "ψ's bias"),
                          got_grads, want_grads, strict=True):
        if a is None or not torch.allclose(a, b, atol=1e-5, rtol=1e-4):
            fail(f"your logits have the right values but not the right gradient with respect "
                 f"to {name}", "use embedding(labels), psi(features) and features "
                 "themselves: no .detach(), .data or torch.no_grad()")


# ----------------------------------------------------------------- task 3: AC-GAN's losses
def _acgan_batch() -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    """6 real and 4 fake samples' logits, class logits over 5 classes, different labels."""
    g = rng(_SEED + 4)
    real_logits = (1.5 * torch.randn(6, generator=g) + 0.5).double()
    fake_logits = (1.5 * torch.randn(4, generator=g) - 0.5).double()
    real_classes = (2.0 * torch.randn(6, 5, generator=g)).double()
    fake_classes = (2.0 * torch.randn(4, 5, generator=g)).double()
    return (real_logits, fake_logits, real_classes, fake_classes,
            torch.tensor([3, 0, 4, 1, 3, 2]), torch.tensor([2, 4, 0, 1]))


def _nll(logits: Tensor, labels: Tensor) -> Tensor:
    return F.nll_loss(logits, labels)


def _soft(logits: Tensor, labels: Tensor) -> Tensor:
    return F.cross_entropy(logits.softmax(1), labels)


def _d_loss(rl: Tensor, fl: Tensor, rc: Tensor, fc: Tensor, ry: Tensor, fy: Tensor,
            w: float) -> Tensor:
    return (F.softplus(-rl).mean() + F.softplus(fl).mean()
            + w * (F.cross_entropy(rc, ry) + F.cross_entropy(fc, fy)))


def _g_loss(fl: Tensor, fc: Tensor, fy: Tensor, w: float) -> Tensor:
    return F.softplus(-fl).mean() + w * F.cross_entropy(fc, fy)


def _batch_mixup(err: Exception, hint: str) -> None:
    if "batch_size" in str(err):
        fail("the class logits of one batch met the labels of the other (6 real samples, 4 "
             "fakes): the cross-entropy pairs each sample's class logits with its own label",
             hint)


@check("acgan_d_loss")
def check_acgan_d_loss(acgan_d_loss: Callable[..., Tensor]) -> str:
    """Check ``acgan_d_loss(real_logits (N,), fake_logits (M,), real_class_logits (N, K),
    fake_class_logits (M, K), real_labels (N,), fake_labels (M,), aux_weight)``.

    The non-saturating GAN loss of D plus ``aux_weight`` × the class cross-entropy on the
    real **and** the generated batch (Odena et al. 2017): −E log σ(D(x)) − E log(1 − σ(D(G(z))))
    + w · (CE(real) + CE(fake)). Probed with N = 6 ≠ M = 4, K = 5, w = 0.5 and 2.
    """
    base = _acgan_batch()
    for w in (0.5, 2.0):
        leaves = [t.clone().requires_grad_(True) for t in base[:4]]
        ry, fy = base[4].clone(), base[5].clone()
        try:
            with during(f"with aux_weight = {w}"):
                out = acgan_d_loss(*leaves, ry, fy, w)
        except (ValueError, RuntimeError) as err:
            _batch_mixup(err, "F.cross_entropy(real_class_logits, real_labels) + "
                         "F.cross_entropy(fake_class_logits, fake_labels)")
            raise
        _unchanged(list(base), [*leaves, ry, fy], "the logits or the labels")
        loss = loss_tensor(out, "D loss")
        rl, fl, rc, fc, ry, fy = base
        expected = float(_d_loss(rl, fl, rc, fc, ry, fy, w))
        got = float(loss.detach())
        if not close(got, expected, 1e-4):
            gan = F.softplus(-rl).mean() + F.softplus(fl).mean()
            cr, cf = F.cross_entropy(rc, ry), F.cross_entropy(fc, fy)
            both = "+ aux_weight * (CE(real_class_logits, real_labels) + CE(fake_class_logits, " \
                   "fake_labels))"
            name_mistake(got, [
                (float(gan + w * cr), "D's class loss covers the real batch only; AC-GAN's "
                 "discriminator also learns the class of the generated samples",
                 f"the GAN loss {both}"),
                (float(gan + w * cf), "D's class loss covers the fakes only; the classifier "
                 "must learn the classes of the real samples too", f"the GAN loss {both}"),
                (float(gan + cr + cf), "aux_weight is ignored: the class loss is not weighted "
                 f"(probed with aux_weight = {w})", "multiply the class loss by aux_weight"),
                (float(w * gan + cr + cf), "aux_weight multiplies the GAN term instead of the "
                 "class term", "GAN loss + aux_weight * class loss"),
                (float(gan + w * (cr + cf) / 2), "the class term is halved (the mean of the two "
                 "cross-entropies): Odena et al.'s L_C is their sum, as the GAN term is a sum of "
                 "two means", "aux_weight * (CE(real) + CE(fake)), not divided by 2"),
                (float(gan + cr + w * cf), "aux_weight weighs only the fakes' cross-entropy",
                 "aux_weight * (CE(real) + CE(fake)): one weight for the whole class term"),
                (float(gan + w * cr + cf), "aux_weight weighs only the real batch's "
                 "cross-entropy", "aux_weight * (CE(real) + CE(fake)): one weight for the "
                 "whole class term"),
                (float(gan - w * (cr + cf)), "the class loss has the wrong sign: D must "
                 "*minimise* the cross-entropy (predict the right class)",
                 "add aux_weight * (CE(real) + CE(fake))"),
                (float(gan + w * F.cross_entropy(torch.cat([rc, fc]), torch.cat([ry, fy]))),
                 "one cross-entropy over the 10 pooled samples: with 6 real and 4 fake samples "
                 "that weights them by their counts and halves the class term",
                 "two means, as for the GAN term: CE(real) + CE(fake)"),
                (float(gan + w * (_soft(rc, ry) + _soft(fc, fy))), "softmax before "
                 "F.cross_entropy: it takes logits and applies log-softmax itself, so your "
                 "probabilities are treated as logits", "pass the class logits directly"),
                (float(gan + w * (_nll(rc, ry) + _nll(fc, fy))), "F.nll_loss on the class "
                 "logits: it expects log-probabilities", "F.cross_entropy(logits, labels) "
                 "(= nll_loss(log_softmax(logits)))"),
                (float(F.softplus(rl).mean() + F.softplus(-fl).mean() + w * (cr + cf)),
                 "the GAN term has real and fake swapped: D learns to call the real samples "
                 "fake", "softplus(-real_logits).mean() + softplus(fake_logits).mean()"),
                (float(F.softplus(-torch.sigmoid(rl)).mean()
                       + F.softplus(torch.sigmoid(fl)).mean() + w * (cr + cf)),
                 "a sigmoid before a loss that takes logits: σ is applied twice",
                 "F.binary_cross_entropy_with_logits on the raw logits"),
                (float(F.softplus(-rl).sum() + F.softplus(fl).sum() + w * (
                    F.cross_entropy(rc, ry, reduction="sum")
                    + F.cross_entropy(fc, fy, reduction="sum"))),
                 "you summed over the samples instead of averaging", "use means"),
                (float(gan + w * (F.cross_entropy(rc, ry, reduction="sum")
                                  + F.cross_entropy(fc, fy, reduction="sum"))),
                 "the class loss is summed over the samples, not averaged",
                 "F.cross_entropy's default reduction, the mean"),
            ], _same, expected=expected)
            shown, wanted = apart(got, expected)
            fail(f"your D loss is {shown} for 6 real and 4 fake samples (aux_weight = {w}), "
                 f"expected {wanted}", f"the GAN loss {both}")
        refs = [t.clone().requires_grad_(True) for t in base[:4]]
        _loss_gradients(loss, leaves, _d_loss(*refs, base[4], base[5], w), refs,
                        ("the real logits", "the fake logits", "the real class logits",
                         "the fake class logits"), "D loss")
    return ("GAN loss + aux_weight × (CE on the real batch + CE on the fakes), value and "
            "gradient, for batches of different sizes")


def _loss_gradients(loss: Tensor, leaves: list[Tensor], reference: Tensor,
                    reference_leaves: list[Tensor], names: tuple[str, ...], what: str) -> None:
    """The learner's ``loss`` has the gradient of ``reference`` with respect to each leaf."""
    if not loss.requires_grad:
        fail(f"your {what} has no gradient", "stay in torch: no .item(), .detach() or NumPy")
    got = torch.autograd.grad(loss, leaves, allow_unused=True)
    want = torch.autograd.grad(reference, reference_leaves)
    for name, a, b in zip(names, got, want, strict=True):
        if a is None or not torch.allclose(a, b, atol=1e-7, rtol=1e-5):
            fail(f"your {what} has the right value but not the right gradient with respect to "
                 f"{name} (a .detach() or .item() inside?)",
                 "build it from the tensors given, with differentiable torch operations")


@check("acgan_g_loss")
def check_acgan_g_loss(acgan_g_loss: Callable[..., Tensor]) -> str:
    """Check ``acgan_g_loss(fake_logits (M,), fake_class_logits (M, K), fake_labels (M,),
    aux_weight)``: G's non-saturating loss −E log σ(D(G(z, y))) plus ``aux_weight`` × the
    cross-entropy of D's class prediction for G's samples against the labels asked for."""
    _, fake_logits, _, fake_classes, _, fake_labels = _acgan_batch()
    base = (fake_logits, fake_classes, fake_labels)
    for w in (0.5, 2.0):
        leaves = [t.clone().requires_grad_(True) for t in base[:2]]
        fy = fake_labels.clone()
        with during(f"with aux_weight = {w}"):
            out = acgan_g_loss(*leaves, fy, w)
        _unchanged(list(base), [*leaves, fy], "the logits or the labels")
        loss = loss_tensor(out, "G loss")
        fl, fc = fake_logits, fake_classes
        expected = float(_g_loss(fl, fc, fake_labels, w))
        got = float(loss.detach())
        if not close(got, expected, 1e-4):
            ce = F.cross_entropy(fc, fake_labels)
            gan = F.softplus(-fl).mean()
            name_mistake(got, [
                (float(gan), "G's class loss is missing: nothing asks G for samples of the "
                 "class it was given, so the labels can be ignored",
                 "add aux_weight * F.cross_entropy(fake_class_logits, fake_labels)"),
                (float(gan - w * ce), "G's class loss has the wrong sign: G would make D's "
                 "classifier *wrong* about the class it asked for", "add the cross-entropy: "
                 "G wants its samples classified as the labels it was given"),
                (float(-F.softplus(fl).mean() + w * ce), "that is the saturating minimax loss "
                 "E log(1 − D(G(z))), whose gradient vanishes while D wins",
                 "the non-saturating loss: softplus(-fake_logits).mean()"),
                (float(F.softplus(fl).mean() + w * ce), "the GAN term scores the fakes against "
                 "the target 'fake', as D's loss does: G would help D",
                 "G wants its samples judged real: softplus(-fake_logits).mean()"),
                (float(gan + ce), "aux_weight is ignored: the class loss is not weighted "
                 f"(probed with aux_weight = {w})", "multiply the class loss by aux_weight"),
                (float(w * gan + ce), "aux_weight multiplies the GAN term instead of the class "
                 "term", "GAN loss + aux_weight * class loss"),
                (float(gan + w * _soft(fc, fake_labels)), "softmax before F.cross_entropy: it "
                 "takes logits and applies log-softmax itself", "pass the class logits "
                 "directly"),
                (float(gan + w * _nll(fc, fake_labels)), "F.nll_loss on the class logits: it "
                 "expects log-probabilities", "F.cross_entropy(logits, labels)"),
                (float(gan + w * F.cross_entropy(fc, fc.argmax(1))), "the class targets are "
                 "D's own predictions (argmax), not the labels G was asked for",
                 "F.cross_entropy(fake_class_logits, fake_labels)"),
                (float(F.softplus(-fl).sum() + w * F.cross_entropy(fc, fake_labels,
                                                                   reduction="sum")),
                 "you summed over the samples instead of averaging", "use means"),
            ], _same, expected=expected)
            shown, wanted = apart(got, expected)
            fail(f"your G loss is {shown} for 4 fakes (aux_weight = {w}), expected {wanted}",
                 "softplus(-fake_logits).mean() + aux_weight * "
                 "F.cross_entropy(fake_class_logits, fake_labels)")
        refs = [t.clone().requires_grad_(True) for t in base[:2]]
        _loss_gradients(loss, leaves, _g_loss(*refs, fake_labels, w), refs,
                        ("the fake logits", "the fake class logits"), "G loss")
    return "−E log σ(D(G(z, y))) + aux_weight × CE(D's class logits, y): value and gradient"


# ------------------------------------------------------- task 4: D's loss with labels
def _check_pair(x: object, labels: object, n_classes: int, who: str) -> None:
    """Refuse a call ``who(x, labels)`` with a message that names the mistake."""
    if labels is None:
        fail(f"{who} was called without labels: a conditional {who} judges a pair, "
             f"{who}(x, labels)", f"pass each batch's labels: {who}(x, labels)")
    if not isinstance(x, Tensor) or not isinstance(labels, Tensor):
        fail(f"{who}(x, labels) takes two tensors, got {type(x).__name__} and "
             f"{type(labels).__name__}", f"{who}(samples, labels)")
    if not x.is_floating_point() and labels.is_floating_point():
        fail(f"{who} was called as {who}(labels, x): the samples come first",
             f"{who}(x, labels)")
    if labels.is_floating_point() or labels.dtype == torch.bool:
        fail(f"{who} got labels of dtype {labels.dtype}; class labels are integer indices",
             "pass the labels as they are given (torch.long)")
    if tuple(labels.shape) != (len(x),):
        onehot = (" — one-hot labels? pass the class indices"
                  if labels.ndim == 2 and labels.shape[-1] == n_classes else "")
        fail(f"{who} got labels of shape {tuple(labels.shape)} for a batch of {len(x)} "
             f"samples{onehot}", "one label per sample: the real samples with real_labels, "
             "the fakes with fake_labels")


class _PairDiscriminator(nn.Module):
    """A small D(x, y) → logits (N,) whose output depends on the label: ψ(h) + 2⟨e(y), h⟩
    with h = tanh(W x). It records every call, to see which labels went with which samples."""

    def __init__(self, in_dim: int, n_classes: int, seed: int) -> None:
        super().__init__()
        with seeded(seed):
            self.phi = nn.Linear(in_dim, 8)
            self.psi = nn.Linear(8, 1)
            self.embed = nn.Embedding(n_classes, 8)
        self.n_classes = n_classes
        self.calls: list[tuple[Tensor, Tensor]] = []

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        _check_pair(x, labels, self.n_classes, "D")
        self.calls.append((x, labels))
        h = torch.tanh(self.phi(x.reshape(len(x), -1)))
        return self.psi(h).squeeze(1) + 2.0 * (self.embed(labels) * h).sum(1)


def _rows(x: Tensor, reference: Tensor) -> Tensor:
    """For each row of ``x``, its index in ``reference`` (−1 where it is none of them)."""
    a = x.detach().reshape(len(x), -1).double()
    b = reference.detach().reshape(len(reference), -1).double()
    if a.shape[1] != b.shape[1] or len(a) == 0:
        return torch.full((len(a),), -1)
    best = torch.cdist(a, b).min(1)
    return torch.where(best.values < 1e-6, best.indices, torch.full_like(best.indices, -1))


def _labels_seen(calls: list[tuple[Tensor, Tensor]], batch: Tensor) -> Tensor:
    """The label D got with each sample of ``batch`` (−1: never judged)."""
    seen = torch.full((len(batch),), -1)
    for x, labels in calls:
        idx = _rows(x, batch)
        hit = idx >= 0
        if bool(hit.any()):
            seen[idx[hit]] = labels.cpu()[hit]
    return seen


@check("discriminator_loss_with_labels")
def check_discriminator_loss(discriminator_loss_with_labels: Callable[..., Tensor]) -> str:
    """Check ``discriminator_loss_with_labels(D, real, real_labels, fake, fake_labels)``: the
    non-saturating loss of a conditional D(x, y), −E log σ(D(x, y)) − E log(1 − σ(D(x̃, ỹ))),
    each real sample judged with its own label, each fake with the label it was generated for,
    the fakes detached from the generator. Probed with fakes whose labels all differ from
    the real batch's, for M = N and M ≠ N."""
    for n, m in ((6, 6), (6, 4)):
        _d_round(discriminator_loss_with_labels, n, m)
    return ("real samples judged with their labels, fakes with theirs and detached; value "
            "and gradient match for batches of the same and of different sizes")


def _d_round(fn: Callable, n: int, m: int) -> None:
    g = rng(_SEED + 5 + m)
    k = 4
    D = _PairDiscriminator(3, k, _SEED + 5)
    real = torch.randn(n, 3, generator=g)
    generator_weight = nn.Parameter(torch.ones(()))  # fakes attached to a "generator"
    fake = generator_weight * (torch.randn(m, 3, generator=g) + 0.5)
    real_labels = torch.tensor([3, 0, 2, 1, 3, 0])[:n]
    fake_labels = torch.tensor([1, 3, 0, 2, 0, 2])[:m] if m == n else torch.tensor([2, 1, 3, 0])
    rl, fl = real_labels.clone(), fake_labels.clone()
    what = f"{n} real samples and {m} fakes"
    with during(f"with {what}"):
        out = fn(D, real, rl, fake, fl)
    _unchanged([real_labels, fake_labels], [rl, fl], "the labels")
    on_real = _labels_seen(D.calls, real)
    on_fake = _labels_seen(D.calls, fake)
    if bool((on_real < 0).all()):
        fail("D was never called on the real samples", "D(real, real_labels)")
    if bool((on_fake < 0).all()):
        fail("D was never called on the fakes", "D(fake.detach(), fake_labels)")
    if bool((on_real < 0).any()) or bool((on_fake < 0).any()):
        fail("D judged only part of the batch", "every real sample and every fake")
    if m == n and torch.equal(on_fake, real_labels) and torch.equal(on_real, fake_labels):
        fail("the labels are swapped: the real samples were judged with fake_labels and the "
             "fakes with real_labels", "D(real, real_labels) and D(fake.detach(), fake_labels)")
    if not torch.equal(on_fake, fake_labels):
        if m == n and torch.equal(on_fake, real_labels):
            fail("the fakes were judged with the real batch's labels; each fake must be "
                 "judged as a sample of the class it was generated for",
                 "D(fake.detach(), fake_labels)")
        if bool((on_fake == 0).all()):
            fail("the fakes were judged as class 0, not with the labels they were generated "
                 "for", "D(fake.detach(), fake_labels)")
        fail(f"the fakes were judged with the labels {on_fake.tolist()}, not with "
             f"fake_labels {fake_labels.tolist()}", "D(fake.detach(), fake_labels)")
    if not torch.equal(on_real, real_labels):
        fail(f"the real samples were judged with the labels {on_real.tolist()}, not with "
             f"their own labels {real_labels.tolist()}", "D(real, real_labels)")
    loss = loss_tensor(out, "D loss")
    with torch.no_grad():
        r, f = D(real, real_labels), D(fake, fake_labels)
    expected = float(F.softplus(-r).mean() + F.softplus(f).mean())
    got = float(loss.detach())
    if not close(got, expected, 1e-4):
        name_mistake(got, [
            (float(F.softplus(r).mean() + F.softplus(-f).mean()), "real and fake are swapped "
             "in the loss: D learns to call the real samples fake",
             "target 1 for D(real, real_labels), 0 for D(fake, fake_labels)"),
            (-expected, "your loss has the wrong sign: D minimises the cross-entropy",
             "softplus(-real_logits).mean() + softplus(fake_logits).mean()"),
            (0.5 * expected, "your loss is half the expected one: (real + fake) / 2; this "
             "course's D loss adds the two means (as ganlib.losses does)",
             "add the two terms without halving"),
            (float(F.softplus(-r).sum() + F.softplus(f).sum()), "you summed over the samples "
             "instead of averaging", "use .mean() for each term"),
            (float(torch.cat([F.softplus(-r), F.softplus(f)]).mean()), "one mean over the "
             "pooled batch: each term is an expectation of its own",
             "softplus(-real_logits).mean() + softplus(fake_logits).mean()"),
            (float(F.softplus(-torch.sigmoid(r)).mean() + F.softplus(torch.sigmoid(f)).mean()),
             "a sigmoid before a loss that takes logits: σ is applied twice",
             "F.binary_cross_entropy_with_logits on D's raw outputs"),
            (float(F.softplus(-r).mean()), "the fake term is missing",
             "add softplus(D(fake.detach(), fake_labels)).mean()"),
        ], _same, expected=expected)
        shown, wanted = apart(got, expected)
        fail(f"your D loss is {shown} for {what}, expected {wanted}",
             "BCE with logits: target 1 for D(real, real_labels), 0 for D(fake.detach(), "
             "fake_labels)")
    if not loss.requires_grad:
        fail("your D loss has no gradient with respect to D's weights",
             "stay in torch: no .item(), .detach() of the loss, or torch.no_grad()")
    params = list(D.parameters())
    got_grads = torch.autograd.grad(loss, params + [generator_weight], allow_unused=True,
                                    retain_graph=True)
    g_grad = got_grads[-1]
    if g_grad is not None and float(g_grad.abs()) > 0:
        fail("the fakes were not detached: D's loss sends gradients into the generator "
             "(its .grad fills up, and an optimizer step would move G to help D)",
             "D(fake.detach(), fake_labels)")
    real_only = torch.autograd.grad(F.softplus(-D(real, real_labels)).mean(), params)
    full = torch.autograd.grad(F.softplus(-D(real, real_labels)).mean()
                               + F.softplus(D(fake.detach(), fake_labels)).mean(), params)
    got_grads = [torch.zeros_like(p) if a is None else a
                 for p, a in zip(params, got_grads[:-1], strict=True)]
    if not all(torch.allclose(a, b, atol=1e-6, rtol=1e-4)
               for a, b in zip(got_grads, full, strict=True)):
        if all(torch.allclose(a, b, atol=1e-6, rtol=1e-4)
               for a, b in zip(got_grads, real_only, strict=True)):
            fail("the fake term gives D no gradient: it was computed under torch.no_grad() "
                 "(or detached after D)", "detach the fakes *before* D: D(fake.detach(), "
                 "fake_labels), with gradients on")
        fail("your D loss has the right value but not the right gradient with respect to D's "
             "weights", "build it from D's outputs with differentiable torch operations")


# ---------------------------------------------- task 5: the gradient penalty with labels
def _check_interpolate_labels(got: object, want: Tensor) -> None:
    """The labels a critic got with x̂ must be the batch's labels, as given."""
    n = len(want)
    if not isinstance(got, Tensor):
        fail(f"the critic got labels of type {type(got).__name__}, expected the labels tensor",
             "critic(x_hat, labels)")
    if got.is_floating_point():
        fail(f"the critic got the labels as floats ({got.dtype}): did you interpolate them like "
             "the samples? x̂ lies between a real sample and a fake *of the same class*, so "
             "its label is that class, unchanged", "critic(x_hat, labels), labels as given")
    if tuple(got.shape) != (n,):
        onehot = (": one-hot labels? pass the class indices as given"
                  if got.ndim == 2 and got.shape[0] == n else "")
        fail(f"the critic got labels of shape {tuple(got.shape)} with {n} interpolates"
             f"{onehot}", "critic(x_hat, labels): one label per interpolate")
    got = got.cpu()
    if torch.equal(got, want):
        return
    if torch.equal(got, want.sort().values):
        fail("the critic got the labels sorted: x̂_i lies between real_i and fake_i, and keeps "
             "their label labels[i]", "critic(x_hat, labels), in the batch's order")
    if torch.equal(got.sort().values, want.sort().values):
        fail("the critic got the labels shuffled: each x̂ was judged with another sample's "
             "label, but x̂_i, between real_i and fake_i, keeps their label labels[i]",
             "critic(x_hat, labels): the same order as real and fake")
    if bool((got == 0).all()):
        fail("the critic judged every x̂ as class 0", "critic(x_hat, labels)")
    fail("the critic got labels other than the batch's (random ones?): x̂_i keeps the label "
         "of real_i and fake_i", "critic(x_hat, labels)")


class _LabelledCritic(nn.Module):
    """critic(x, labels) around a critic of chapter 5's check, which sees x only; it refuses
    labels other than the batch's."""

    def __init__(self, critic: nn.Module, labels: Tensor) -> None:
        super().__init__()
        self.critic = critic
        self.labels = labels

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        if labels is None:
            fail("the critic was called without labels: a conditional critic judges x̂ as a "
                 "sample of its class", "critic(x_hat, labels)")
        _check_interpolate_labels(labels, self.labels)
        return self.critic(x)


class _LabelImageCritic(nn.Module):
    """A critic of images (N, 1, 3, 3) and labels whose gradient norms depend on the label."""

    def __init__(self, labels: Tensor) -> None:
        super().__init__()
        with seeded(_SEED + 7):
            self.phi = nn.Linear(9, 6)
            self.psi = nn.Linear(6, 1)
            self.embed = nn.Embedding(4, 6)
        self.labels = labels
        self.inputs: list[Tensor] = []

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        if labels is None:
            fail("the critic was called without labels: a conditional critic judges x̂ as a "
                 "sample of its class", "critic(x_hat, labels)")
        _check_interpolate_labels(labels, self.labels)
        if isinstance(x, Tensor) and x.requires_grad:
            self.inputs.append(x)
        h = torch.tanh(self.phi(x.reshape(len(x), -1)))
        return self.psi(h).squeeze(1) + 1.5 * (self.embed(labels) * h).sum(1)


@check("conditional_gradient_penalty")
def check_conditional_gradient_penalty(conditional_gradient_penalty: Callable[..., Tensor]
                                       ) -> str:
    """Check ``conditional_gradient_penalty(critic, real, fake, labels)`` → E (‖∇ₓ̂ f(x̂, y)‖₂ − 1)².

    ``real`` and ``fake`` ``(N, ...)`` share the labels ``(N,)`` (the fakes were generated
    for the real batch's labels); x̂ = α x + (1 − α) x̃ with one α ~ U[0, 1] per sample keeps
    that label. Chapter 5's probes of x̂, α and the norm run with a critic that refuses any
    labels but the batch's; then the value with a critic whose gradient depends on the label.
    """
    def unconditional(critic: nn.Module, real: Tensor, fake: Tensor) -> Tensor:
        labels = torch.randint(0, 7, (len(real),), generator=rng(_SEED + 6))
        return conditional_gradient_penalty(_LabelledCritic(critic, labels), real, fake,
                                            labels.clone())

    ch05.check_gradient_penalty.__wrapped__(unconditional)  # chapter 5's body: raises on ❌
    g = rng(_SEED + 8)
    real = torch.randn(6, 1, 3, 3, generator=g)
    fake = real + 0.8 * torch.randn(6, 1, 3, 3, generator=g) + 0.3
    labels = torch.tensor([2, 0, 3, 1, 2, 0])
    critic = _LabelImageCritic(labels)
    with seeded(_SEED + 8), during("with images (6, 1, 3, 3) and labels [2, 0, 3, 1, 2, 0]"):
        out = conditional_gradient_penalty(critic, real.clone(), fake.clone(), labels.clone())
    penalty = loss_tensor(out, "penalty")
    if not critic.inputs:
        fail("the critic was never called on interpolates that require a gradient",
             "x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)")
    x_hat = critic.inputs[-1].detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat, labels).sum(), x_hat)
    expected = float(((grad.reshape(len(grad), -1).norm(2, dim=1) - 1) ** 2).mean())
    got = float(penalty.detach())
    if not close(got, expected, 1e-4):
        shown, wanted = apart(got, expected)
        fail(f"with a critic whose slope depends on the label, your penalty is {shown}, "
             f"expected {wanted} at the same interpolates",
             "the gradient of critic(x_hat, labels).sum() with respect to x_hat, one norm "
             "per sample")
    return ("x̂ = α x + (1 − α) x̃ with α ~ U[0, 1] per sample keeps the batch's labels; one "
            "norm per sample; differentiable with respect to the critic's weights")


# ----------------------------------------------------------- task 6: a style × class grid
@check("style_grid_inputs")
def check_style_grid_inputs(style_grid_inputs: Callable[[Tensor, int], tuple[Tensor, Tensor]]
                            ) -> str:
    """Check ``style_grid_inputs(z_rows (R, d), n_classes)`` → ``(z (R·K, d), labels (R·K,))``.

    A grid drawn row by row (``make_grid(images, nrow=K)``) with one noise vector per row
    (a style) and one class per column: row r holds z_rows[r] K times, with labels 0 … K−1.
    """
    g = rng(_SEED + 9)
    for rows, k, d in ((3, 4, 5), (2, 3, 4)):
        z_rows = torch.randn(rows, d, generator=g)
        given = z_rows.clone()
        what = f"for {rows} rows of noise (shape ({rows}, {d})) and {k} classes"
        with during(what):
            out = style_grid_inputs(z_rows, k)
        _unchanged([given], [z_rows], "z_rows")
        _grid_verdict(out, given, k, what)
    return ("one noise vector per row, repeated K times, and the classes 0 … K−1 on every "
            "row: (R·K, d) and (R·K,)")


def _grid_verdict(out: object, z_rows: Tensor, k: int, what: str) -> None:
    if not (isinstance(out, tuple | list) and len(out) == 2):
        fail(f"{what} your function returned {type(out).__name__}, expected a pair (z, labels)",
             "return z, labels")
    z, labels = out
    rows, d = z_rows.shape
    z = _tensor(z, f"the z you returned {what}", "return z, labels")
    labels = _tensor(labels, f"the labels you returned {what}", "return z, labels")
    want_z = z_rows.repeat_interleave(k, dim=0)
    want_labels = torch.arange(k).repeat(rows)
    if tuple(z.shape) != (rows * k, d):
        if tuple(z.shape) == (rows, d):
            fail(f"{what} z has shape {tuple(z.shape)}: one noise vector per row, not one per "
                 "image", "repeat each row's noise K times: z_rows.repeat_interleave(K, dim=0)")
        if tuple(z.shape) == (rows * d * k,):
            fail(f"{what} z is flat, of shape {tuple(z.shape)}: repeat_interleave without dim "
                 "flattens its input", "z_rows.repeat_interleave(K, dim=0)")
        if tuple(z.shape) == (rows * 10, d) and k != 10:
            fail(f"{what} z has {rows * 10} rows: the number of classes is hard-coded (10)",
                 "use n_classes")
        fail(f"{what} z has shape {tuple(z.shape)}, expected ({rows * k}, {d})",
             "z_rows.repeat_interleave(K, dim=0)")
    if tuple(labels.shape) != (rows * k,):
        if tuple(labels.shape) in ((rows, k), (k, rows)):
            fail(f"{what} the labels have shape {tuple(labels.shape)}: one label per image, "
                 "in one dimension", "torch.arange(K).repeat(R)")
        fail(f"{what} the labels have shape {tuple(labels.shape)}, expected ({rows * k},)",
             "torch.arange(K).repeat(R)")
    if labels.is_floating_point() or labels.dtype == torch.bool:
        fail(f"the labels are {labels.dtype}; class labels are integer indices (an embedding "
             "refuses floats)", "torch.arange(K) is already torch.long")
    z_ok = _same_tensor(z, want_z, atol=1e-6)
    z_tiled = _same_tensor(z, z_rows.repeat(k, 1), atol=1e-6)
    labels_ok = torch.equal(labels.cpu(), want_labels)
    labels_grouped = torch.equal(labels.cpu(), torch.arange(k).repeat_interleave(rows))
    if z_ok and labels_ok:
        return
    if z_tiled and labels_grouped:
        fail(f"{what} your grid is transposed: each row holds one class and each column one "
             "noise vector; make_grid(…, nrow=K) fills the grid row by row",
             "z_rows.repeat_interleave(K, dim=0) and torch.arange(K).repeat(R)")
    if z_tiled:
        fail(f"{what} z_rows.repeat(K, 1) tiles the whole batch: consecutive images, on the "
             "same row, get different noise vectors, so a row mixes styles",
             "z_rows.repeat_interleave(K, dim=0): each noise vector K times in a row")
    if labels_grouped:
        fail(f"{what} your labels repeat each class R times in a row "
             "(repeat_interleave): the columns mix classes",
             "torch.arange(K).repeat(R): 0, 1, …, K−1 on every row")
    if not z_ok:
        if not any(bool(torch.isclose(z.detach().double(), v.double()).all(1).any())
                   for v in z_rows):
            fail(f"{what} z holds none of the rows of z_rows: new noise? The grid's rows are "
                 "the noise vectors given", "z_rows.repeat_interleave(K, dim=0)")
        fail(f"{what} z is not each row's noise vector repeated K times in a row",
             "z_rows.repeat_interleave(K, dim=0)")
    fail(f"{what} your labels are {labels.tolist()}, expected {want_labels.tolist()}",
         "torch.arange(K).repeat(R)")
