"""Sample-based scores of a generator from features: KID, precision and recall, density and
coverage.

Each function takes two feature sets ``(N, d)`` and ``(M, d)`` — e.g. the 64 features of
:func:`ganlib.classifier.classifier_outputs` for real and generated digits, or 2-D points
themselves — and returns plain floats. The Fréchet distance is
:func:`ganlib.classifier.frechet_distance`.

- :func:`mmd2_unbiased` and :func:`kid`: the Kernel Inception Distance of Bińkowski et al.
  (2018), the unbiased estimate of the squared maximum mean discrepancy with the cubic
  polynomial kernel ``k(x, y) = (x·y / d + 1)³``, averaged over random subsets (with its
  standard deviation). Unlike the Fréchet distance it has no bias with the sample size.
- :func:`frechet_distance_at_infinity`: the Fréchet distance grows as the number of samples
  shrinks; Chong & Forsyth (2020) fit it as a line in 1/N and report the intercept, its value
  for infinitely many samples.
- :func:`precision_recall`: Kynkäänniemi et al. (2019): the share of generated samples inside
  the real samples' k-nearest-neighbour balls (precision), and of real samples inside the
  generated samples' balls (recall). A collapsed generator has high precision and low recall.
- :func:`density_coverage`: Naeem et al. (2020): how many real balls contain each generated
  sample, on average over k (density), and the share of real balls that contain a generated
  sample (coverage).

- :func:`nearest_distances`: each sample's distance to its nearest neighbour in another set —
  generated samples much nearer to the training set than new real samples are is memorisation;
  :func:`nearest_cosine_distances`: the same in cosine distance, both ways (MiFID's ingredient).

A k-nearest-neighbour radius never counts the point itself (the distance to its k-th
*other* neighbour).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor

from .utils import check_int

__all__ = ["mmd2_unbiased", "kid", "frechet_distance_at_infinity", "precision_recall",
           "density_coverage", "knn_radii", "nearest_distances", "nearest_cosine_distances",
           "scores"]


def _features(x: object, name: str, minimum: int = 2) -> Tensor:
    if not isinstance(x, Tensor) or x.ndim != 2 or len(x) < minimum:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"expected {name} of shape (N, d) with N >= {minimum}, got {shape}")
    return x.detach().double().cpu()


def _same_width(a: Tensor, b: Tensor) -> None:
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"the two feature sets have different sizes: {a.shape[1]} and "
                         f"{b.shape[1]} features")


def mmd2_unbiased(feats_a: Tensor, feats_b: Tensor) -> float:
    """Unbiased MMD² between two feature sets with the cubic kernel ``(x·y / d + 1)³``.

    The within-set kernel means leave out the diagonal (a sample with itself), so the
    estimate is unbiased and can be slightly negative when both sets come from one
    distribution.
    """
    a, b = _features(feats_a, "feats_a"), _features(feats_b, "feats_b")
    _same_width(a, b)
    d = a.shape[1]
    k_aa = (a @ a.T / d + 1) ** 3
    k_bb = (b @ b.T / d + 1) ** 3
    k_ab = (a @ b.T / d + 1) ** 3
    m, n = len(a), len(b)
    within_a = (k_aa.sum() - k_aa.diagonal().sum()) / (m * (m - 1))
    within_b = (k_bb.sum() - k_bb.diagonal().sum()) / (n * (n - 1))
    return float(within_a + within_b - 2 * k_ab.mean())


def kid(feats_a: Tensor, feats_b: Tensor, n_subsets: int = 100, subset_size: int = 1000,
        generator: torch.Generator | None = None) -> tuple[float, float]:
    """KID: the mean and standard deviation of :func:`mmd2_unbiased` over random subsets.

    Each of ``n_subsets`` subsets draws ``subset_size`` samples of each set without
    replacement (at most all of them), as Bińkowski et al. (2018) and torchmetrics do.
    """
    a, b = _features(feats_a, "feats_a"), _features(feats_b, "feats_b")
    _same_width(a, b)
    n_subsets = check_int("n_subsets", n_subsets)
    size = min(check_int("subset_size", subset_size, minimum=2), len(a), len(b))
    values = torch.tensor([
        mmd2_unbiased(a[torch.randperm(len(a), generator=generator)[:size]],
                      b[torch.randperm(len(b), generator=generator)[:size]])
        for _ in range(n_subsets)], dtype=torch.float64)
    std = float(values.std(unbiased=False)) if n_subsets > 1 else 0.0
    return float(values.mean()), std


def frechet_distance_at_infinity(
    reference: Tensor, feats: Tensor, sizes: tuple[int, ...] | None = None,
    generator: torch.Generator | None = None,
) -> tuple[float, list[tuple[int, float]]]:
    """The Fréchet distance extrapolated to infinitely many samples (Chong & Forsyth 2020).

    ``feats`` is scored against all of ``reference`` with random subsets of each size in
    ``sizes`` (default: 5 sizes from a fifth of ``feats`` to all of it); a least-squares
    line through (1/N, FD) gives the intercept at 1/N = 0. Returns the intercept and the
    measured ``(N, FD)`` pairs.
    """
    from .classifier import frechet_distance

    ref, x = _features(reference, "reference"), _features(feats, "feats")
    _same_width(ref, x)
    if sizes is None:
        sizes = tuple(sorted({max(2, round(len(x) * f)) for f in (0.2, 0.4, 0.6, 0.8, 1.0)}))
    sizes = tuple(check_int("every size", n, minimum=2) for n in sizes)
    if len(set(sizes)) < 2 or max(sizes) > len(x):
        raise ValueError(f"expected at least two different sizes, none above {len(x)} (the "
                         f"number of samples), got {sizes}")
    points = [(n, frechet_distance(x[torch.randperm(len(x), generator=generator)[:n]], ref))
              for n in sizes]
    inv = torch.tensor([1 / n for n, _ in points], dtype=torch.float64)
    fd = torch.tensor([v for _, v in points], dtype=torch.float64)
    design = torch.stack([torch.ones_like(inv), inv], 1)
    intercept, _ = torch.linalg.lstsq(design, fd[:, None]).solution.flatten().tolist()
    return intercept, points


def knn_radii(feats: Tensor, k: int) -> Tensor:
    """Distance from each sample to its k-th nearest *other* sample ``(N,)``."""
    x = _features(feats, "feats", minimum=2)
    k = check_int("k", k)
    if k >= len(x):
        raise ValueError(f"expected k smaller than the number of samples ({len(x)}), got {k}")
    dist = torch.cdist(x, x)
    return dist.kthvalue(k + 1, dim=1).values  # the smallest distance is the point's own 0


def precision_recall(real: Tensor, fake: Tensor, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) from features.

    Precision: the share of ``fake`` inside at least one real k-NN ball (centre a real
    sample, radius its distance to its k-th nearest other real sample). Recall: the share of
    ``real`` inside at least one fake k-NN ball. Both in [0, 1]; the paper uses k = 3.
    """
    r, f = _features(real, "real"), _features(fake, "fake")
    _same_width(r, f)
    precision = (torch.cdist(f, r) <= knn_radii(r, k)[None, :]).any(1).double().mean()
    recall = (torch.cdist(r, f) <= knn_radii(f, k)[None, :]).any(1).double().mean()
    return float(precision), float(recall)


def density_coverage(real: Tensor, fake: Tensor, k: int = 5) -> tuple[float, float]:
    """Density and coverage (Naeem et al. 2020) from features, with real k-NN balls only.

    Density: for each fake sample, the number of real balls that contain it, divided by k,
    averaged (1 for a generator that matches the data; it can exceed 1). Coverage: the share
    of real balls that contain at least one fake sample, in [0, 1]. The paper uses k = 5.
    """
    r, f = _features(real, "real"), _features(fake, "fake")
    _same_width(r, f)
    inside = torch.cdist(f, r) <= knn_radii(r, k)[None, :]  # (M, N): fake j in real ball i
    density = inside.double().sum() / (k * len(f))
    coverage = inside.any(0).double().mean()
    return float(density), float(coverage)


def _chunks(x: Tensor, rows: int) -> Iterator[Tensor]:
    """``x`` in float64, ``rows`` rows at a time (a large set is never copied whole)."""
    return (chunk.double() for chunk in x.split(rows))


def nearest_distances(queries: Tensor, reference: Tensor) -> Tensor:
    """Distance from each of ``queries`` ``(N, d)`` to its nearest sample of ``reference``
    ``(M, d)``: ``(N,)`` float64.

    Scored against the training set, a generator that copies training samples has
    distances near 0, while new real samples (a held-out split) are as far from the
    training set as real samples are from each other. Computed in blocks, so that a large
    reference (e.g. 60,000 images) needs little memory beyond itself.
    """
    q = _features(queries, "queries", minimum=1)
    _features(reference[:1], "reference", minimum=1)  # shape check only
    _same_width(q, reference)
    ref = reference.detach().cpu()
    return torch.stack([torch.cdist(q, r).min(1).values for r in _chunks(ref, 1024)]).min(0).values


def nearest_cosine_distances(feats_a: Tensor, feats_b: Tensor) -> tuple[Tensor, Tensor]:
    """Cosine distances ``1 − |cos|`` to the nearest neighbour in the other set, both ways.

    Returns ``(to_b, to_a)``: for each row of ``feats_a`` ``(N, d)`` its smallest distance to
    a row of ``feats_b`` ``(M, d)`` ``(N,)``, and for each row of ``feats_b`` its smallest
    distance to a row of ``feats_a`` ``(M,)``, both float64 in [0, 1]. MiFID's memorisation
    distance (Bai et al. 2021) is the mean of one of them, with ``feats_b`` the training set's
    features (torchmetrics 1.9: ``to_a.mean()``, over the training samples). Computed in
    blocks of ``feats_b``.
    """
    a = _features(feats_a, "feats_a", minimum=1)
    _features(feats_b[:1], "feats_b", minimum=1)
    _same_width(a, feats_b)
    a = torch.nn.functional.normalize(a, dim=1)
    to_b, to_a = torch.full((len(a),), 2.0, dtype=torch.float64), []
    for b in _chunks(feats_b.detach().cpu(), 4096):
        d = (a @ torch.nn.functional.normalize(b, dim=1).T).abs_().neg_().add_(1).clamp_(min=0)
        to_b = torch.minimum(to_b, d.min(1).values)
        to_a.append(d.min(0).values)
    return to_b, torch.cat(to_a)


def scores(reference: Tensor, feats: Tensor, k_pr: int = 3, k_dc: int = 5,
           kid_subsets: int = 100, kid_subset_size: int = 1000,
           generator: torch.Generator | None = None) -> dict[str, float]:
    """Every score of this module for one feature set against a reference, as a dict.

    Keys: ``fd`` (Fréchet distance), ``kid`` and ``kid_std`` (:func:`kid`), ``precision``
    and ``recall`` (:func:`precision_recall` with ``k_pr``, 3 as in Kynkäänniemi et al.),
    ``density`` and ``coverage`` (:func:`density_coverage` with ``k_dc``, 5 as in Naeem et
    al.). Compare generators only at the same number of samples and the same ``k``.
    """
    from .classifier import frechet_distance

    ref, x = _features(reference, "reference"), _features(feats, "feats")
    _same_width(ref, x)
    kid_mean, kid_std = kid(ref, x, kid_subsets, kid_subset_size, generator)
    precision, recall = precision_recall(ref, x, k_pr)
    density, coverage = density_coverage(ref, x, k_dc)
    return {"fd": frechet_distance(x, ref), "kid": kid_mean, "kid_std": kid_std,
            "precision": precision, "recall": recall, "density": density, "coverage": coverage}
