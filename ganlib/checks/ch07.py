"""Checks for the exercises of chapter 7, evaluating a generator from features.

Each check calls the learner's function on feature sets it builds from its own seeded
generator (the global random state is left alone) and prints one line: ``✅ <name>: correct
— …`` or ``❌ <name>: <what is wrong> — hint: <hint>``.

=================================  ===============================================================
check                              what the learner wrote
=================================  ===============================================================
:func:`check_frechet_distance`     ``frechet_distance(feats_a, feats_b)``: (N, d), (M, d) → float
:func:`check_mmd2_unbiased`        ``mmd2_unbiased(feats_a, feats_b)``: KID's unbiased MMD² with
                                   the cubic kernel ``(x·y / d + 1)³``
:func:`check_knn_radii`            ``knn_radii(feats, k)``: (N, d) → (N,) distances to the k-th
                                   nearest other sample
:func:`check_precision_recall`     ``precision_recall(real, fake, k)`` → (precision, recall)
=================================  ===============================================================

The probes are built so that each mistake shows: feature sets of different sizes, features
that are correlated and not centred, a number of samples equal to the number of features' and
different from it, a feature size d above 1 (so that a kernel without ``/ d`` differs), sets
where precision and recall differ. The mistakes named:

- ``frechet_distance``: the covariance over the wrong axis (``torch.cov(feats)`` without
  ``.T``), divided by N instead of N − 1, variances only (a diagonal covariance), the mean term
  forgotten or not squared, the factor 2 missing, ``tr(Σa^½ Σb^½)`` (two roots multiplied:
  right only when the matrices commute), the square root taken entry by entry, the square root
  of the trace instead of the trace of the square root;
- ``mmd2_unbiased``: the biased estimate (the diagonal kept, divided by m²), the diagonal
  removed but divided by m², the diagonal kept but divided by m(m − 1), the kernel without
  ``/ d``, without ``+ 1``, squared or linear instead of cubed, the cross term not doubled, the
  sign flipped, the square root (MMD instead of MMD²);
- ``frechet_distance`` also: the cross term's sign, the distance d instead of d², and two
  inputs where a correct formula computed carelessly fails: fewer samples than features
  (eigenvalues not clamped at 0) and float32 features far from 0 (no float64);
- ``knn_radii``: the point itself counted as its own nearest neighbour (the radius of the
  (k − 1)-th other neighbour), one neighbour too far, squared distances, the mean distance
  to the k nearest instead of the k-th, the k-th farthest, neighbour indices instead of
  distances, zero distances dropped (a duplicate sample is a neighbour too; in float32,
  cdist's diagonal is not even 0);
- ``precision_recall``: precision and recall swapped, balls whose radius counts the point
  itself, a sample on a ball's boundary counted as outside (``<``), a sample counted only
  when inside *every* ball, the share of (sample, ball) pairs instead of samples.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from . import check, during, fail
from .support import apart, close, name_mistake, rng, scalar

__all__ = [
    "check_frechet_distance",
    "check_mmd2_unbiased",
    "check_knn_radii",
    "check_precision_recall",
]

_SEED = 707


def _correlated(n: int, d: int, shift: float, g: torch.Generator) -> Tensor:
    """``n`` samples of ``d`` correlated features with mean ``shift`` (not centred)."""
    mix = torch.randn(d, d, generator=g, dtype=torch.float64)
    return torch.randn(n, d, generator=g, dtype=torch.float64) @ mix + shift


def _unchanged(before: list[Tensor], after: list[Tensor]) -> None:
    if any(not torch.equal(a, b) for a, b in zip(before, after, strict=True)):
        fail("your function changed the features it was given",
             "compute with the inputs, do not modify them (no in-place operations on them)")


def _sym_root(m: Tensor) -> Tensor:
    vals, vecs = torch.linalg.eigh(m)
    return (vecs * vals.clamp_min(0).sqrt()) @ vecs.T


def _fd_parts(a: Tensor, b: Tensor, correction: int = 1, diagonal: bool = False
              ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(mean difference, Σa, Σb, tr (Σa^½ Σb Σa^½)^½) of two feature sets."""
    cov_a, cov_b = torch.cov(a.T, correction=correction), torch.cov(b.T, correction=correction)
    if diagonal:
        cov_a, cov_b = torch.diag(cov_a.diagonal()), torch.diag(cov_b.diagonal())
    root = _sym_root(cov_a)
    cross = torch.linalg.eigvalsh(root @ cov_b @ root).clamp_min(0).sqrt().sum()
    return a.mean(0) - b.mean(0), cov_a, cov_b, cross


def _fd(a: Tensor, b: Tensor, **kw: object) -> float:
    diff, cov_a, cov_b, cross = _fd_parts(a, b, **kw)  # type: ignore[arg-type]
    return float(diff.square().sum() + cov_a.trace() + cov_b.trace() - 2 * cross)


def _fd_mistakes(a: Tensor, b: Tensor) -> list[tuple[float, str, str]]:
    diff, cov_a, cov_b, cross = _fd_parts(a, b)
    traces = cov_a.trace() + cov_b.trace()
    out: list[tuple[float, str, str]] = []
    if len(a) == len(b):  # the wrong axis gives a number only when N = M
        wrong = torch.cov(a), torch.cov(b)
        root = _sym_root(wrong[0])
        cross_w = torch.linalg.eigvalsh(root @ wrong[1] @ root).clamp_min(0).sqrt().sum()
        out.append((float(diff.square().sum() + wrong[0].trace() + wrong[1].trace()
                          - 2 * cross_w),
                    "your covariances are over the wrong axis: torch.cov(feats) treats each "
                    "row as a variable, so with N samples you get an N × N matrix, not d × d",
                    "torch.cov(feats.T), or torch.cov(feats, ...) on (d, N): variables in rows"))
    prod = cov_a @ cov_b
    out += [
        (_fd(a, b, correction=0),
         "your covariances divide by N instead of N − 1: the standard FID (np.cov in its "
         "reference code, torchmetrics) uses the unbiased covariance",
         "torch.cov(feats.T) (correction=1, the default)"),
        (_fd(a, b, diagonal=True),
         "you use only the variances (a diagonal covariance): the Fréchet distance compares "
         "whole covariance matrices, correlations included",
         "Σ = torch.cov(feats.T), a d × d matrix"),
        (float(traces - 2 * cross),
         "the mean term is missing: two sets with the same covariance but different means "
         "get distance 0", "add ‖μa − μb‖², the squared distance between the means"),
        (float(diff.norm() + traces - 2 * cross),
         "the mean term is ‖μa − μb‖, not squared", "(mu_a - mu_b).square().sum()"),
        (float(diff.square().sum() + traces - cross),
         "the cross term lacks its factor 2: tr(Σa + Σb − 2 (Σa Σb)^½)",
         "subtract 2 · tr (Σa^½ Σb Σa^½)^½"),
        (float(diff.square().sum() + traces - 2 * (_sym_root(cov_a) @ _sym_root(cov_b)).trace()),
         "you multiply two square roots, tr(Σa^½ Σb^½): that equals tr (Σa Σb)^½ only when "
         "the matrices commute (e.g. both diagonal)",
         "take the square root of the product: tr (Σa^½ Σb Σa^½)^½, the sum of the square "
         "roots of its eigenvalues (torch.linalg.eigvalsh)"),
        (float(diff.square().sum() + traces - 2 * prod.clamp_min(0).sqrt().trace()),
         "you take the square root entry by entry (torch.sqrt of the matrix), not the "
         "matrix square root", "the matrix square root's trace is the sum of the square "
         "roots of the eigenvalues: torch.linalg.eigvalsh(root_a @ cov_b @ root_a)"),
        (float(diff.square().sum() + traces + 2 * cross),
         "the cross term has the wrong sign: + 2 tr(...)^½ instead of − 2",
         "tr Σa + tr Σb − 2 · tr (Σa^½ Σb Σa^½)^½"),
        (float(diff.square().sum() + traces - 2 * cross) ** 0.5,
         "you return the distance d; the Fréchet distance of FID is its square, d²",
         "drop the final square root"),
        (float(diff.square().sum() + traces
               - 2 * (_sym_root(cov_a) @ cov_b @ _sym_root(cov_a)).trace().clamp_min(0).sqrt()),
         "you take the square root of the trace, √tr(Σa^½ Σb Σa^½), not the trace of the "
         "square root", "sum the square roots of the eigenvalues: "
         "torch.linalg.eigvalsh(m).clamp_min(0).sqrt().sum()"),
    ]
    return out


def _fd_cases() -> list[tuple[str, Tensor, Tensor]]:
    g = rng(_SEED)
    a, b = _correlated(40, 3, 0.5, g), _correlated(25, 3, -1.0, g)
    return [  # equal sizes first: a covariance over the wrong axis then gives a number
        ("two sets of 12 samples of 4 features",
         _correlated(12, 4, 0.0, g), _correlated(12, 4, 2.0, g)),
        ("feature sets of 40 and 25 samples of 3 correlated features", a, b),
    ]


def _fd_hard_cases(frechet_distance: Callable[[Tensor, Tensor], object]) -> None:
    """Two inputs where a correct formula still fails if computed carelessly: float32
    features far from 0 (float32 arithmetic loses the digits), and fewer samples than
    features (singular covariances, whose zero eigenvalues rounding makes slightly
    negative)."""
    g = rng(_SEED + 5)
    far = (_correlated(40, 3, 0.0, g) + 1e5, _correlated(30, 3, 0.0, g) + 1e5 + 0.5)
    far = (far[0].float(), far[1].float())
    few = (_correlated(5, 8, 0.2, g), _correlated(6, 8, -0.3, g))
    clamp = ("rounding makes the zero eigenvalues of a singular covariance slightly negative, "
             "and their square roots nan: clamp them at 0 first (.clamp_min(0))")
    for what, (a, b) in (("float32 features near 100,000", far),
                         ("5 and 6 samples of 8 features (singular covariances)", few)):
        try:
            with during(f"for {what}"):
                got = frechet_distance(a.clone(), b.clone())
        except (torch.linalg.LinAlgError, ValueError) as err:  # eigh of a matrix holding nan
            fail(f"for {what} your code raised {type(err).__name__}", clamp)
        value = scalar(got, f"your distance for {what}", "return a float")
        want = _fd(a.double(), b.double())
        if close(value, want, 1e-4):
            continue
        mine, right = apart(value, want)
        hint = (clamp if math.isnan(value) else
                "float32 keeps about 7 digits: convert the features to float64 first "
                "(feats.double()); and clamp tiny negative eigenvalues at 0")
        fail(f"for {what} your distance is {mine}, expected {right}", hint)


@check("frechet_distance")
def check_frechet_distance(frechet_distance: Callable[[Tensor, Tensor], object]) -> str:
    """Check ``frechet_distance(feats_a (N, d), feats_b (M, d))`` → a number.

    ``‖μa − μb‖² + tr(Σa + Σb − 2 (Σa^½ Σb Σa^½)^½)`` with the unbiased covariances, on sets of
    different sizes, on two sets of as many samples (where a covariance over the wrong axis
    gives a number) and on a set against itself (0).
    """
    for what, a, b in _fd_cases():
        for x, y, label in ((a, b, what), (a.float(), b.float(), f"{what} (float32)")):
            copies = [x.clone(), y.clone()]
            with during(f"for {label}"):
                got = frechet_distance(x, y)
            _unchanged(copies, [x, y])
            value = scalar(got, f"your distance for {what}",
                           "return a float (or a one-element tensor)")
            want = _fd(a, b)
            if close(value, want, 1e-4):
                continue
            name_mistake(value, _fd_mistakes(a, b), lambda u, v: close(u, v, 1e-4), want)
            mine, right = apart(value, want)
            fail(f"for {label} your distance is {mine}, expected {right}",
                 "‖μa − μb‖² + tr Σa + tr Σb − 2 · tr (Σa^½ Σb Σa^½)^½, Σ = torch.cov(feats.T)")
    _fd_hard_cases(frechet_distance)
    a = _fd_cases()[1][1]
    with during("for a set against itself"):
        same = scalar(frechet_distance(a, a.clone()), "your distance of a set to itself",
                      "return a float")
    if not close(same, 0.0, 1e-6):
        fail(f"the distance of a set to itself is {same:.6f}, expected 0",
             "tr(Σ + Σ − 2 (Σ^½ Σ Σ^½)^½) = 2 tr Σ − 2 tr Σ = 0: check the matrix square root")
    return "matches the closed form on sets of different and equal sizes, and is 0 for a set " \
           "against itself"


# --------------------------------------------------------------------------- task 2: MMD²
def _kernel_means(a: Tensor, b: Tensor, scale: bool = True, plus: float = 1.0,
                  power: int = 3) -> tuple[Tensor, Tensor, Tensor]:
    d = a.shape[1] if scale else 1
    return ((a @ a.T / d + plus) ** power, (b @ b.T / d + plus) ** power,
            (a @ b.T / d + plus) ** power)


def _mmd(k_aa: Tensor, k_bb: Tensor, k_ab: Tensor, diagonal: str = "drop", cross: float = 2.0
         ) -> float:
    m, n = len(k_aa), len(k_bb)
    if diagonal == "drop":  # the unbiased estimate
        within = ((k_aa.sum() - k_aa.trace()) / (m * (m - 1))
                  + (k_bb.sum() - k_bb.trace()) / (n * (n - 1)))
    elif diagonal == "keep":  # the biased estimate
        within = k_aa.mean() + k_bb.mean()
    elif diagonal == "drop, m²":
        within = (k_aa.sum() - k_aa.trace()) / m**2 + (k_bb.sum() - k_bb.trace()) / n**2
    else:  # "keep, m(m-1)"
        within = k_aa.sum() / (m * (m - 1)) + k_bb.sum() / (n * (n - 1))
    return float(within - cross * k_ab.mean())


def _mmd_mistakes(a: Tensor, b: Tensor) -> list[tuple[float, str, str]]:
    k = _kernel_means(a, b)
    right = _mmd(*k)
    hint_div = "sum the off-diagonal entries and divide by m(m − 1)"
    return [
        (_mmd(*k, diagonal="keep"),
         "this is the biased estimate: the within-set means keep the diagonal k(x_i, x_i) "
         "(a sample with itself), which adds a positive bias", hint_div),
        (_mmd(*k, diagonal="drop, m²"),
         "you drop the diagonal but divide by m², not m(m − 1) (the number of pairs i ≠ j)",
         hint_div),
        (_mmd(*k, diagonal="keep, m(m-1)"),
         "you keep the diagonal but divide by m(m − 1): the diagonal must go", hint_div),
        (_mmd(*_kernel_means(a, b, scale=False)),
         "your kernel lacks the division by d, the number of features: KID's kernel is "
         "(x·y / d + 1)³", "x @ y.T / d + 1, then ** 3"),
        (_mmd(*_kernel_means(a, b, plus=0.0)),
         "your kernel lacks the + 1: KID's kernel is (x·y / d + 1)³", "(x @ y.T / d + 1) ** 3"),
        (_mmd(*_kernel_means(a, b, power=2)), "your kernel is squared, not cubed",
         "(x @ y.T / d + 1) ** 3"),
        (_mmd(*_kernel_means(a, b, power=1)), "your kernel is linear, not cubed",
         "(x @ y.T / d + 1) ** 3"),
        (_mmd(*k, cross=1.0), "the cross term is not doubled: MMD² = E k(a, a') + E k(b, b') "
         "− 2 E k(a, b)", "subtract 2 · k_ab.mean()"),
        (-right, "your sign is flipped: MMD² = E k(a, a') + E k(b, b') − 2 E k(a, b)",
         "the within-set terms are added, the cross term subtracted"),
        (abs(right) ** 0.5, "you return the square root (MMD); KID is the squared MMD",
         "return the estimate of MMD² itself: it may be slightly negative"),
    ]


@check("mmd2_unbiased")
def check_mmd2_unbiased(mmd2_unbiased: Callable[[Tensor, Tensor], object]) -> str:
    """Check ``mmd2_unbiased(feats_a (m, d), feats_b (n, d))``: the unbiased MMD² with the
    kernel ``(x·y / d + 1)³``, on sets of different sizes with d = 3, and two sets of one
    distribution (where the unbiased estimate may be negative)."""
    g = rng(_SEED + 1)
    cases = [("sets of 7 and 5 samples of 3 features",
              _correlated(7, 3, 0.3, g) / 2, _correlated(5, 3, -0.2, g) / 2),
             ("two sets of 6 samples of 2 features from one distribution",
              torch.randn(6, 2, generator=g, dtype=torch.float64),
              torch.randn(6, 2, generator=g, dtype=torch.float64))]
    for what, a, b in cases:
        for x, y, label in ((a, b, what), (a.float(), b.float(), f"{what} (float32)")):
            copies = [x.clone(), y.clone()]
            with during(f"for {label}"):
                got = mmd2_unbiased(x, y)
            _unchanged(copies, [x, y])
            value = scalar(got, f"your MMD² for {what}", "return a float (or a one-element "
                           "tensor)")
            want = _mmd(*_kernel_means(a, b))
            if close(value, want, 1e-4):
                continue
            name_mistake(value, _mmd_mistakes(a, b), lambda u, v: close(u, v, 1e-4), want)
            mine, right = apart(value, want)
            fail(f"for {label} your MMD² is {mine}, expected {right}",
                 "mean of k(a_i, a_j) over i ≠ j, plus the same for b, minus 2 · the mean of "
                 "k(a_i, b_j), with k(x, y) = (x·y / d + 1)³")
    return "the unbiased MMD² with the cubic kernel, on sets of different sizes and of one " \
           "distribution"


# --------------------------------------------------------------------------- task 3: radii
def _radius_mistakes(x: Tensor, k: int) -> list[tuple[Tensor, str, str]]:
    dist = torch.cdist(x, x)
    ordered = dist.sort(1).values  # column 0: the point itself (distance 0)
    out = [
        (ordered[:, k - 1], "your radius counts the point itself as its own nearest "
         "neighbour (distance 0), so it is the distance to the (k − 1)-th other sample",
         "the k-th nearest *other* sample: torch.cdist(x, x).kthvalue(k + 1, dim=1)"),
        (ordered[:, k + 1], "your radius is one neighbour too far: the (k + 1)-th other sample",
         "row i of the sorted distances starts with 0 (the point itself): take index k"),
        (ordered[:, k] ** 2, "your radii are squared distances",
         "torch.cdist gives distances; do not square them"),
        (ordered[:, 1:k + 1].mean(1), "you average the distances to the k nearest; the radius "
         "is the distance to the k-th", "take the k-th smallest, not the mean"),
        (ordered[:, -k], "you take the k-th *farthest* sample", "sort ascending: the nearest "
         "first (kthvalue counts from the smallest)"),
        (dist.argsort(1)[:, k].to(x.dtype), "you return the index of the k-th neighbour, not "
         "its distance", ".values, not .indices"),
        (dist.masked_fill(dist == 0, float("inf")).sort(1).values[:, k - 1],
         "you drop the zero distances to skip the point itself, but a duplicate sample is "
         "at distance 0 too and is a neighbour", "skip one entry per row, the point itself: "
         "kthvalue(k + 1, dim=1), or set the diagonal to infinity"),
    ]
    return out


@check("knn_radii")
def check_knn_radii(knn_radii: Callable[[Tensor, int], object]) -> str:
    """Check ``knn_radii(feats (N, d), k)`` → ``(N,)``: each sample's distance to its k-th
    nearest other sample, on points of a line whose distances are known and on random
    2-D points, for k = 1 and 3."""
    line = torch.tensor([[0.0], [1.0], [3.0], [7.0], [15.0], [31.0]], dtype=torch.float64)
    points = torch.randn(9, 2, generator=rng(_SEED + 2), dtype=torch.float64)
    twins = torch.tensor([[0.0], [0.0], [1.0], [3.0], [7.0]], dtype=torch.float64)
    wide = 3 * torch.randn(40, 64, generator=rng(_SEED + 4))  # float32: cdist's diagonal is not 0
    for what, x in (("6 points on a line at 0, 1, 3, 7, 15, 31", line),
                    ("9 random 2-D points", points),
                    ("points at 0, 0, 1, 3, 7 (one sample twice)", twins),
                    ("40 float32 samples of 64 features", wide)):
        rtol = 1e-3 if x.dtype == torch.float32 else 1e-5  # float32 distances are rounded
        for k in (1, 3):
            copy = x.clone()
            with during(f"for {what}, k = {k}"):
                got = knn_radii(x, k)
            _unchanged([copy], [x])
            x64 = x.double()
            want = torch.cdist(x64, x64, compute_mode="donot_use_mm_for_euclid_dist"
                               ).sort(1).values[:, k]
            if not isinstance(got, Tensor):
                fail(f"for {what} your radii are {type(got).__name__}, expected a tensor of "
                     f"shape ({len(x)},)", "return one distance per sample, as a tensor")
            if tuple(got.shape) != (len(x),):
                fail(f"for {what}, k = {k}, your radii have shape {tuple(got.shape)}, expected "
                     f"({len(x)},): one radius per sample",
                     "kthvalue(..., dim=1).values has one entry per row")
            got64 = got.detach().double().cpu()
            if torch.allclose(got64, want, rtol=rtol, atol=1e-6):
                continue
            name_mistake(got64, _radius_mistakes(x64, k),
                         lambda u, v, rtol=rtol: torch.allclose(u, v, rtol=rtol, atol=1e-6), want)
            fail(f"for {what}, k = {k}, your radii are {[round(v, 3) for v in got64.tolist()]}"
                 f", expected {[round(v, 3) for v in want.tolist()]}",
                 "the distance from each sample to its k-th nearest other sample")
    return ("distances to the k-th nearest other sample, for k = 1 and 3, with a duplicate "
            "sample and in float32")


# ------------------------------------------------------------- task 4: precision and recall
def _radii(x: Tensor, k: int, self_counts: bool = False) -> Tensor:
    return torch.cdist(x, x).sort(1).values[:, k - 1 if self_counts else k]


def _pr(real: Tensor, fake: Tensor, k: int, self_counts: bool = False, every: bool = False,
        pairs: bool = False) -> tuple[float, float]:
    r_real, r_fake = _radii(real, k, self_counts), _radii(fake, k, self_counts)
    in_real = torch.cdist(fake, real) <= r_real[None, :]  # (M, N): fake j in real ball i
    in_fake = torch.cdist(real, fake) <= r_fake[None, :]
    if pairs:
        return float(in_real.double().mean()), float(in_fake.double().mean())
    agg = (lambda m: m.all(1)) if every else (lambda m: m.any(1))
    return float(agg(in_real).double().mean()), float(agg(in_fake).double().mean())


def _pr_cases() -> list[tuple[str, Tensor, Tensor, int]]:
    g = rng(_SEED + 3)
    real = torch.randn(30, 2, generator=g, dtype=torch.float64)
    narrow = 0.4 * torch.randn(20, 2, generator=g, dtype=torch.float64) + 0.3
    wide = 2.5 * torch.randn(25, 2, generator=g, dtype=torch.float64)
    line_real = torch.tensor([[0.0], [1.0], [3.0], [7.0]], dtype=torch.float64)
    line_fake = torch.tensor([[5.0], [9.0], [11.0], [20.0]], dtype=torch.float64)
    return [("30 real points and 20 generated in a narrow cloud (k = 3)", real, narrow, 3),
            ("30 real points and 25 generated in a wide cloud (k = 2)", real, wide, 2),
            ("real points at 0, 1, 3, 7 and generated ones at 5, 9, 11, 20, some exactly on a "
             "ball's boundary (k = 1)", line_real, line_fake, 1)]


def _pr_mistakes(real: Tensor, fake: Tensor, k: int) -> list[tuple[tuple[float, float], str, str]]:
    right = _pr(real, fake, k)
    r_real, r_fake = _radii(real, k), _radii(fake, k)
    strict = (float((torch.cdist(fake, real) < r_real[None, :]).any(1).double().mean()),
              float((torch.cdist(real, fake) < r_fake[None, :]).any(1).double().mean()))
    return [
        ((right[1], right[0]), "your precision and recall are swapped: precision asks how "
         "many *generated* samples look real (inside a real ball), recall how many real "
         "samples the generator covers (inside a generated ball)",
         "precision: fakes in real balls; recall: reals in fake balls"),
        (_pr(real, fake, k, self_counts=True), "your balls' radius counts the centre as its "
         "own nearest neighbour: the radius is the distance to the k-th *other* sample",
         "the (k + 1)-th smallest distance in a row of torch.cdist(x, x)"),
        (strict, "a sample exactly on a ball's boundary (distance equal to the radius) must "
         "count as inside", "compare with <=, not <"),
        (_pr(real, fake, k, every=True), "a sample counts only when inside *every* ball; "
         "it must be inside at least one", ".any(dim) over the balls, not .all(dim)"),
        (_pr(real, fake, k, pairs=True), "you return the share of (sample, ball) pairs; "
         "precision is the share of samples inside at least one ball",
         "first .any over the balls, then the mean over the samples"),
    ]


@check("precision_recall")
def check_precision_recall(precision_recall: Callable[[Tensor, Tensor, int], object]) -> str:
    """Check ``precision_recall(real (N, d), fake (M, d), k)`` → ``(precision, recall)``:
    the share of fakes inside a real k-NN ball and of reals inside a fake k-NN ball
    (Kynkäänniemi et al. 2019), on a collapsed-like and a noisy-like generated set and on
    points exactly on a ball's boundary. A catalogued mistake is named only when it explains
    the answers to every probe."""
    same = lambda u, v: close(u[0], v[0], 1e-6) and close(u[1], v[1], 1e-6)  # noqa: E731
    answers = []
    for what, real, fake, k in _pr_cases():
        copies = [real.clone(), fake.clone()]
        with during(f"for {what}"):
            got = precision_recall(real, fake, k)
        _unchanged(copies, [real, fake])
        if not isinstance(got, tuple | list) or len(got) != 2:
            fail(f"for {what} you returned {type(got).__name__}, expected a pair "
                 "(precision, recall)", "return precision, recall")
        answers.append((scalar(got[0], "your precision", "a float in [0, 1]"),
                        scalar(got[1], "your recall", "a float in [0, 1]")))
    wrong = [(case, got) for case, got in zip(_pr_cases(), answers, strict=True)
             if not same(got, _pr(case[1], case[2], case[3]))]
    if not wrong:
        return "precision and recall for a narrow and a wide generated set, and on a boundary"
    catalogues = [_pr_mistakes(real, fake, k) for _, real, fake, k in _pr_cases()]
    for i, (_, problem, hint) in enumerate(catalogues[0]):
        if all(same(got, catalogue[i][0]) for got, catalogue in zip(answers, catalogues,
                                                                    strict=True)):
            fail(problem, hint)
    (what, real, fake, k), (p, r) = wrong[0]
    want = _pr(real, fake, k)
    fail(f"for {what} you return precision {p:.3f}, recall {r:.3f}, expected "
         f"{want[0]:.3f}, {want[1]:.3f}",
         "precision: share of fakes within a real sample's k-NN radius (≤); recall: share of "
         "reals within a fake sample's k-NN radius")
