"""Checks for the exercises of chapter 4, mode collapse.

Each check calls the learner's function on inputs built so that the classic mistakes give
different answers from the right one, then prints one line: ``✅ <name>: correct — …`` or
``❌ <name>: <what is wrong> — hint: <hint>``. The global random state is left alone.

=============================  =====================================================
check                          the function it tests
=============================  =====================================================
:func:`check_mode_coverage`    ``mode_coverage(samples, centers, std)`` →
                               ``(captured, high_quality, reverse_kl)``
:func:`check_pack`             ``pack(x, k)`` → ``(N // k, k · F)``
:func:`check_minibatch_stddev` ``minibatch_stddev(h)`` → ``(N, F + 1)``
=============================  =====================================================

The references are :func:`ganlib.metrics.mode_stats` and :mod:`ganlib.remedies`. Chapter 5's
exercise asks for ``mode_coverage`` again; ``ganlib.checks.ch05.check_mode_coverage`` is
this module's check.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from ..metrics import kl_to_uniform, mode_stats
from ..remedies import minibatch_stddev as _mbsd_reference
from . import check, during, fail
from .support import apart, close, name_mistake, python_number, rng

__all__ = ["check_mode_coverage", "check_pack", "check_minibatch_stddev", "coverage_cases"]

_SEED = 404
EPS = 1e-8  # the minibatch-stddev epsilon the exercise asks for


# ----------------------------------------------------------------------- task 1
def _ring(k: int = 8) -> Tensor:
    angles = 2 * math.pi * torch.arange(k, dtype=torch.float64) / k
    return torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)


def coverage_cases() -> dict[str, tuple[Tensor, Tensor, float]]:
    """The ``(samples, centers, std)`` cases :func:`check_mode_coverage` scores, by name.

    - ``uneven``: 8 ring modes (std 0.05); a lopsided histogram over 6 of them, one mode
      with only low-quality samples nearby, one empty, and samples at 0.5σ … 10σ from
      their nearest centre, so that a wrong threshold or a wrong histogram shows;
    - ``boundary``: samples at exactly 3σ (not high quality: the test is strict) and
      just inside;
    - ``all_modes``: every mode has high-quality samples, in uneven numbers, so the KL
      divergence in the wrong direction is finite but wrong;
    - ``nothing``: no sample is high quality, with K = 3 modes (so that log K is not log 8);
    - ``collapsed``: every sample within 2.5σ of one mode (total collapse, KL = log 8);
    - ``even``: 40 samples on each of the 8 modes (every sample high quality, KL ≈ 0);
    - ``stragglers``: 60, 30, 10, 5 and 1 samples on five modes, one sample at 3.5σ from
      each of the other three (their nearest mode, yet low quality) and 40 samples near the
      ring's centre, far from every mode;
    - ``single``: one sample, at 1σ from a mode (a batch of one).
    """
    g = rng(_SEED)
    centers = _ring(8)
    std = 0.05
    # (mode, distance in σ, count): high quality below 3σ, low quality at or above it.
    plan = [
        (0, 0.5, 9), (0, 2.0, 5), (0, 5.0, 6),      # mode 0: 14 HQ, 6 LQ
        (1, 1.0, 4), (1, 2.9, 2),                   # mode 1: 6 HQ
        (2, 1.5, 3),                                # mode 2: 3 HQ
        (3, 0.2, 1), (3, 8.0, 9),                   # mode 3: 1 HQ, 9 LQ close to it
        (4, 2.5, 2), (4, 1.0, 2),                   # mode 4: 4 HQ
        (5, 4.0, 7), (5, 10.0, 3),                  # mode 5: no HQ, 10 LQ near it
        (7, 1.0, 5),                                # mode 7: 5 HQ; mode 6: nothing
    ]
    rows = []
    for mode, dist, count in plan:
        angle = 2 * math.pi * torch.rand(count, generator=g, dtype=torch.float64)
        offset = torch.stack([torch.cos(angle), torch.sin(angle)], dim=1) * dist * std
        rows.append(centers[mode] + offset)
    samples = torch.cat(rows)
    samples = samples[torch.randperm(len(samples), generator=g)]

    # Exactly 3σ: 1.5 / 0.5 and sqrt(1.5²) are exact in binary floating point.
    b_centers = torch.tensor([[0.0, 0.0], [4.0, 0.0]], dtype=torch.float64)
    b_samples = torch.tensor([[1.5, 0.0], [0.0, -1.5], [4.0, 1.5], [1.0, 0.0], [4.0, 0.5],
                              [0.0, 1.25]], dtype=torch.float64)

    full = torch.cat([centers[i].repeat(n, 1) for i, n in enumerate([1, 2, 3, 4, 5, 6, 7, 8])])
    full = full + 0.01 * torch.randn(full.shape, generator=g, dtype=torch.float64)

    far = torch.tensor([[3.0, 3.0], [0.0, 0.0], [-2.0, 0.5]], dtype=torch.float64)

    def around(center: Tensor, n: int, scale: float) -> Tensor:
        return center + scale * torch.randn(n, 2, generator=g, dtype=torch.float64)

    collapsed = around(centers[3], 500, std)
    collapsed = collapsed[(collapsed - centers[3]).norm(dim=1) < 2.5 * std]
    even = around(centers.repeat(40, 1), 320, 0.5 * std)
    near = torch.cat([around(centers[i], n, 0.5 * std) for i, n in enumerate([60, 30, 10, 5, 1])])
    angle = 2 * math.pi * torch.rand(3, generator=g, dtype=torch.float64)
    beyond = centers[5:] + 3.5 * std * torch.stack([angle.cos(), angle.sin()], dim=1)
    middle = around(torch.zeros(2, dtype=torch.float64), 40, 0.2)
    stragglers = torch.cat([near, beyond, middle])
    stragglers = stragglers[torch.randperm(len(stragglers), generator=g)]
    return {
        "uneven": (samples, centers, std),
        "boundary": (b_samples, b_centers, 0.5),
        "all_modes": (full, centers, std),
        "nothing": (far, centers[:3], std),
        "collapsed": (collapsed, centers, std),
        "even": (even, centers, std),
        "stragglers": (stragglers, centers, std),
        "single": (centers[2:3] + torch.tensor([[0.6, 0.8]], dtype=torch.float64) * std,
                   centers, std),
    }


def _reference(samples: Tensor, centers: Tensor, std: float) -> tuple[int, float, float]:
    s = mode_stats(samples, centers, std=std)
    return s.captured, s.high_quality, s.reverse_kl


def _nearest(samples: Tensor, centers: Tensor) -> tuple[Tensor, Tensor]:
    d = (samples[:, None, :] - centers[None]).pow(2).sum(-1).sqrt()
    return d.min(dim=1)


def _variants(samples: Tensor, centers: Tensor, std: float) -> dict[str, tuple]:
    """What each classic mistake returns on one case: name → (captured, hq, kl)."""
    k = len(centers)
    dist, idx = _nearest(samples, centers)
    dist_l1, idx_l1 = (samples[:, None, :] - centers[None]).abs().sum(-1).min(dim=1)
    hq_l1 = dist_l1 / std < 3
    counts_l1 = torch.bincount(idx_l1[hq_l1], minlength=k)
    hq = dist / std < 3
    counts = torch.bincount(idx[hq], minlength=k)
    all_counts = torch.bincount(idx, minlength=k)
    n = len(samples)

    def kl_uniform_to_p(c: Tensor) -> float:  # KL(uniform ‖ p̂): the other direction
        if c.sum() == 0:
            return math.log(k)
        p = c.double() / c.sum()
        return float((torch.log((1 / k) / p)).mean()) if bool((p > 0).all()) else math.inf

    out = {
        "squared": dist.pow(2) / std**2 < 3,          # 3 compared with d²/σ²
        "squared_std": dist.pow(2) / std < 3,         # d²/σ, a variance-like scale mixed up
        "squared_3std": dist.pow(2) < 3 * std,        # d² < 3σ
        "variance": dist / std**2 < 3,                # divided by the variance
        "le": dist / std <= 3,                        # ≤ instead of <
        "unscaled": dist < 3,                         # 3 in data units, not 3σ
    }
    variants = {}
    for name, mask in out.items():
        c = torch.bincount(idx[mask], minlength=k)
        variants[name] = (int((c > 0).sum()), float(mask.double().mean()), kl_to_uniform(c))
    captured, frac, kl = int((counts > 0).sum()), float(hq.double().mean()), kl_to_uniform(counts)
    variants["all_in_histogram"] = (int((all_counts > 0).sum()), frac, kl_to_uniform(all_counts))
    variants["captured_any"] = (int((all_counts > 0).sum()), frac, kl)
    variants["kl_histogram_all"] = (captured, frac, kl_to_uniform(all_counts))
    variants["kl_wrong_direction"] = (captured, frac, kl_uniform_to_p(counts))
    variants["kl_bits"] = (captured, frac, kl / math.log(2))
    variants["percent"] = (captured, 100 * frac, kl)
    variants["hq_over_hq"] = (captured, 1.0, kl)
    variants["count"] = (captured, float(hq.sum()), kl)
    variants["l1"] = (int((counts_l1 > 0).sum()), float(hq_l1.double().mean()),
                      kl_to_uniform(counts_l1))
    if counts.sum() > 0:
        p_all = counts.double() / n   # histogram normalised by every sample, not the HQ ones
        nz = p_all[p_all > 0]
        variants["kl_over_all_samples"] = (captured, frac, float((nz * torch.log(nz * k)).sum()))
        p = counts.double() / counts.sum()
        q = p[p > 0]
        variants["entropy"] = (captured, frac, float(-(q * q.log()).sum()))
        variants["over_k"] = (captured, frac, float((q * (q / k).log()).sum()))
        variants["uniform_captured"] = (captured, frac, float((q * (q * len(q)).log()).sum()))
    return variants


_COVERAGE_PROBLEMS = {
    "squared": ("your high-quality test compares the squared distance, d²/σ², with 3",
                "the test is on the distance itself: ‖x − c‖ / σ < 3 (take the square root)"),
    "squared_std": ("your high-quality test compares d²/σ with 3: a squared distance",
                    "use the Euclidean distance ‖x − c‖ (square root of the sum of squares), "
                    "divided by σ"),
    "squared_3std": ("your high-quality test compares the squared distance d² with 3σ",
                     "compare the distance, not its square: ‖x − c‖ < 3σ"),
    "variance": ("your high-quality test divides the distance by σ², the variance",
                 "divide by the standard deviation σ: ‖x − c‖ / σ < 3"),
    "unscaled": ("your high-quality test compares the raw distance with 3; the threshold is 3 "
                 "standard deviations",
                 "divide the distance by σ: ‖x − c‖ / σ < 3"),
    "le": ("a sample at exactly 3σ from a centre counts as high quality in your function",
           "the protocol's test is strict: distance / σ < 3, not ≤"),
    "all_in_histogram": ("your mode histogram also counts low-quality samples (each sample "
                         "assigned to its nearest centre, however far)",
                         "build the histogram from the high-quality samples only: "
                         "nearest[high_quality]"),
    "captured_any": ("a mode counts as captured in your function when any sample is nearest "
                     "to it, even a low-quality one",
                     "a mode is captured when at least one HIGH-QUALITY sample is assigned "
                     "to it"),
    "kl_histogram_all": ("your reverse KL counts every sample, each at its nearest mode "
                         "however far; its histogram holds the high-quality samples only",
                         "bin only the samples with distance / σ < 3: nearest[high_quality]"),
    "kl_wrong_direction": ("your reverse KL is KL(uniform ‖ p̂), the other direction",
                           "reverse KL here is KL(p̂ ‖ uniform) = Σ p̂ log(K p̂), summed over "
                           "the modes with p̂ > 0"),
    "kl_bits": ("your reverse KL is in bits (log base 2)",
                "use the natural logarithm, as the papers do: log K = 2.079 for 8 modes"),
    "percent": ("your high-quality share is a percentage",
                "return a fraction in [0, 1]: high-quality samples / all samples"),
    "hq_over_hq": ("your high-quality share is 1.0 whatever the samples",
                   "divide the number of high-quality samples by the number of ALL samples"),
    "kl_over_all_samples": ("your histogram p̂ is divided by the number of all samples, so it "
                            "does not sum to 1 when some samples are low quality",
                            "normalise by the number of high-quality samples: "
                            "p̂ = counts / counts.sum()"),
    "entropy": ("your reverse KL is the entropy H(p̂) of the histogram",
                "KL(p̂ ‖ uniform) = log K − H(p̂)"),
    "count": ("your high-quality share is a count, the number of high-quality samples",
              "divide by the number of all samples: a fraction in [0, 1]"),
    "l1": ("your distances are L1 (Manhattan) distances, |Δx| + |Δy|",
           "the protocol uses the Euclidean distance: torch.cdist(samples, centers) "
           "(or the square root of the summed squares)"),
    "over_k": ("your reverse KL is Σ p̂ log(p̂ / K): K divides inside the log where it should "
               "multiply", "KL(p̂ ‖ uniform) = Σ p̂ log(p̂ / (1/K)) = Σ p̂ log(K p̂)"),
    "uniform_captured": ("your reverse KL compares p̂ with a uniform over the captured modes "
                         "only; the reference is uniform over all K modes",
                         "Σ p̂ log(K p̂) with K = len(centers), the number of all modes"),
}


_NUMBERS_HINT = ("return plain Python numbers: int(...) for captured, float(...) or .item() "
                 "for the other two")


def _as_triple(out: object) -> tuple[float, float, float]:
    """The learner's answer: a tuple of an int and two floats, as the task asks."""
    if not isinstance(out, tuple | list) or len(out) != 3:
        hint = "return captured, high_quality, reverse_kl"
        if isinstance(out, tuple | list):
            fail(f"expected a tuple (captured, high_quality, reverse_kl), got a "
                 f"{type(out).__name__} of {len(out)} values", hint)
        fail(f"expected a tuple (captured, high_quality, reverse_kl), got a "
             f"{type(out).__name__}", hint)
    captured, high_quality, reverse_kl = (
        python_number(v, f"your {name}", kind, _NUMBERS_HINT)
        for name, v, kind in zip(("captured", "high_quality", "reverse_kl"), out,
                                 (int, float, float), strict=True))
    return captured, high_quality, reverse_kl


def _same_part(i: int, a: float, b: float) -> bool:
    """Part ``i`` of two triples equal: the count exactly, the share and the KL nearly."""
    return a == b if i == 0 else close(a, b, 1e-6 if i == 1 else 1e-5)


def _same(a: tuple, b: tuple) -> bool:
    return all(_same_part(i, a[i], b[i]) for i in range(3))


@check("mode_coverage")
def check_mode_coverage(mode_coverage: Callable) -> str:
    """Check ``mode_coverage(samples (N, 2), centers (K, 2), std)`` → the protocol's three
    numbers: modes captured, the high-quality share, KL(p̂ ‖ uniform)."""
    cases = coverage_cases()
    for name, (samples, centers, std) in cases.items():
        expected = _reference(samples, centers, std)
        count = "a single sample" if len(samples) == 1 else f"{len(samples)} samples"
        with during(f"on the '{name}' case: {count}, K = {len(centers)}"):
            out = mode_coverage(samples.float().clone(), centers.float().clone(), std)
        got = _as_triple(out)
        if _same(got, expected):
            continue
        if name == "nothing":
            if close(got[2], math.log(8), 1e-6) and got[:2] == expected[:2]:
                fail(f"with no high-quality sample and K = {len(centers)} modes your reverse "
                     "KL is log 8 = 2.0794, not log K: 8 is hard-coded",
                     "math.log(len(centers)): K is the number of centres passed in")
            fail(f"with no high-quality sample your function returns {_fmt(got, expected)}, "
                 f"expected {_fmt(expected, got)}",
                 "an empty histogram is total collapse: captured 0, share 0, reverse KL "
                 "log K (and no division by zero)")
        variants = _variants(samples, centers, std)
        name_mistake(got, [(value, *_COVERAGE_PROBLEMS[bug]) for bug, value in variants.items()],
                     _same, expected)
        # Several slips at once: name one that explains the share, or else the KL.
        for i in (1, 2):
            if not _same_part(i, got[i], expected[i]):
                name_mistake(got[i], [(value[i], *_COVERAGE_PROBLEMS[bug])
                                      for bug, value in variants.items()],
                             lambda a, b, i=i: _same_part(i, a, b), expected[i])
                break
        if any(math.isnan(v) for v in got):
            fail(f"your function returns {_fmt(got)} when some modes are empty: nan",
                 "empty modes contribute 0 to Σ p̂ log(K p̂): sum over the modes with p̂ > 0 "
                 "only")
        if math.isinf(got[2]):
            fail(f"your reverse KL is {got[2]} on the '{name}' case: an empty mode gave log 0",
                 "empty modes contribute 0 (0 · log 0 = 0), and the direction is "
                 "KL(p̂ ‖ uniform) = Σ p̂ log(K p̂) over the modes with p̂ > 0, not "
                 "KL(uniform ‖ p̂)")
        fail(f"on the '{name}' case ({len(samples)} samples, {len(centers)} modes, σ = {std}) "
             f"your function returns {_fmt(got, expected)}, expected {_fmt(expected, got)}",
             "high quality: ‖x − nearest centre‖ / σ < 3; histogram of the high-quality "
             "samples over their nearest modes; KL = Σ p̂ log(K p̂)")
    return (f"matches the protocol on {len(cases)} cases: lopsided histogram, samples at "
            "exactly 3σ, all modes covered unevenly, no high-quality sample (K = 3), total "
            "collapse, even spread, stragglers at 3.5σ, a single sample")


def _fmt(t: tuple, other: tuple | None = None) -> str:
    """A triple as text; with ``other``, each number with enough digits to differ from it."""
    share, kl = (f"{t[1]:.4f}", f"{t[2]:.4f}") if other is None else (
        apart(t[1], other[1])[0], apart(t[2], other[2])[0])
    return f"(captured {t[0]:g}, high_quality {share}, reverse_kl {kl})"


# ----------------------------------------------------------------------- task 2
def _decode(out: Tensor, n: int, f: int) -> tuple[Tensor, Tensor]:
    """Sample and feature index of every entry, from values ``1000 · sample + feature``."""
    v = out.round().long()
    return v // 1000, v % 1000


@check("pack")
def check_pack(pack: Callable) -> str:
    """Check ``pack(x (N, ...), k)`` → ``(N // k, k · F)``, consecutive samples per row."""
    for shape, k in (((12, 2), 3), ((8, 2, 3, 3), 2), ((6, 2), 1), ((8, 5), 4)):
        n, f = shape[0], int(torch.tensor(shape[1:]).prod())
        x = (1000 * torch.arange(n)[:, None] + torch.arange(f)[None]).float().reshape(shape)
        with during(f"for x of shape {shape} and k = {k}"):
            out = pack(x.clone(), k)
        if not isinstance(out, Tensor):
            fail(f"pack returned a {type(out).__name__}, expected a tensor",
                 "use x.reshape(...)")
        if tuple(out.shape) != (n // k, k * f):
            hint = "one row per pack of k samples, each sample flattened: (N // k, k · F)"
            if out.numel() == x.numel() and out.ndim == 2 and out.shape[0] == k:
                fail(f"for x of shape {shape} and k = {k}, your result has shape "
                     f"{tuple(out.shape)}, expected {(n // k, k * f)}: the first dimension "
                     "should be the number of packs, N // k", hint)
            fail(f"for x of shape {shape} and k = {k}, your result has shape "
                 f"{tuple(out.shape)}, expected {(n // k, k * f)}", hint)
        sample, feature = _decode(out, n, f)
        want_sample = torch.arange(n).reshape(n // k, k).repeat_interleave(f, dim=1)
        want_feature = torch.arange(f).repeat(k)[None].expand(n // k, -1)
        if torch.equal(sample, want_sample) and torch.equal(feature, want_feature):
            continue
        rows = [sorted(set(r.tolist())) for r in sample]
        if all(len(r) == k for r in rows):
            order_ok = all(torch.equal(feature[i].reshape(k, f),
                                       torch.arange(f).expand(k, f)) for i in range(len(rows)))
            if order_ok and sorted(s for r in rows for s in r) == list(range(n)):
                fail(f"your row 0 packs samples {rows[0]}, not consecutive samples "
                     f"{list(range(k))}",
                     "row i must hold samples i·k … i·k + k − 1, as MLPDiscriminator(pack=k) "
                     "packs them: x.reshape(N // k, -1) keeps consecutive samples together")
        fail(f"for x of shape {shape} and k = {k}, your row 0 holds the features "
             f"{_describe(sample[0], feature[0])}: features of different samples are mixed "
             f"up",
             "flatten each sample first and keep its features together: x.reshape(N // k, -1) "
             "(no transpose, no permute)")
    try:
        out = pack(torch.zeros(7, 2), 2)
    except ValueError:
        pass
    except Exception as err:  # noqa: BLE001 - report which error instead
        fail(f"for 7 samples and k = 2 your function raised {type(err).__name__}, "
             "expected a ValueError that says the batch is not divisible by k",
             "check x.shape[0] % k first and raise ValueError(...) with a clear message")
    else:
        fail(f"for 7 samples and k = 2 your function returned a result of shape "
             f"{tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__}, "
             "silently dropping or mixing samples",
             "raise ValueError when x.shape[0] % k != 0")
    return "consecutive samples packed row by row, for points and images; N % k ≠ 0 refused"


def _describe(sample: Tensor, feature: Tensor, limit: int = 6) -> str:
    pairs = [f"x[{int(s)}, {int(f)}]" for s, f in zip(sample[:limit], feature[:limit],
                                                     strict=True)]
    return "[" + ", ".join(pairs) + (", …]" if len(sample) > limit else "]")


# ----------------------------------------------------------------------- task 3
def _mbsd(h: Tensor, dim: int = 0, unbiased: bool = False, eps_inside: bool = True) -> Tensor:
    var = h.var(dim=dim, unbiased=unbiased, keepdim=True)
    std = (var + EPS).sqrt() if eps_inside else var.sqrt() + EPS
    if dim == 0:
        stat = std.mean().expand(h.shape[0], 1)
    else:
        stat = std
    return torch.cat([h, stat], dim=1)


def _same_batch(got: Tensor, value: Tensor) -> bool:
    return torch.allclose(got, value, atol=1e-6, rtol=1e-5)


@check("minibatch_stddev")
def check_minibatch_stddev(minibatch_stddev: Callable) -> str:
    """Check ``minibatch_stddev(h (N, F))`` → ``(N, F + 1)``: the batch's std appended."""
    g = rng(_SEED)
    h = (torch.randn(6, 5, generator=g) * torch.tensor([0.5, 1.0, 2.0, 3.0, 0.1])).double()
    h_in = h.clone().requires_grad_(True)
    out = minibatch_stddev(h_in)
    if not isinstance(out, Tensor):
        fail(f"your function returned a {type(out).__name__}, expected a tensor",
             "torch.cat([h, stat], dim=1)")
    if tuple(out.shape) != (6, 6):
        if tuple(out.shape) == (6, 10):
            fail("your result has shape (6, 10): you appended the F per-feature standard "
                 "deviations instead of their mean",
                 "average the per-feature standard deviations into one number")
        if tuple(out.shape) == (7, 5):
            fail("your result has shape (7, 5): the statistic was appended as an extra "
                 "sample (dim=0), not an extra feature",
                 "torch.cat([h, stat_column], dim=1) with stat_column of shape (N, 1)")
        fail(f"for h of shape (6, 5) your result has shape {tuple(out.shape)}, expected "
             "(6, 6)", "append one column: torch.cat([h, stat.expand(N, 1)], dim=1)")
    got = out.detach().double()
    expected = _reference_mbsd(h)
    if not torch.allclose(got[:, :5], h, atol=1e-6):
        if torch.allclose(got[:, 1:], h, atol=1e-6):
            fail("your statistic is the first column; the task appends it as the last",
                 "torch.cat([h, stat], dim=1), in that order")
        fail("the first F columns of your result are not h itself",
             "keep h unchanged and append one column")
    if not _same_batch(got, expected):
        name_mistake(got, [
            (_mbsd(h, dim=1),
             "your statistic is the std of each sample's own features (dim=1), different "
             "for every sample",
             "take the std of each feature over the batch (dim=0), then average over the "
             "features"),
            (_mbsd(h, unbiased=True),
             "your std divides by N − 1 (Bessel's correction)",
             "use the population std, as Karras et al.: "
             "sqrt(((h − h.mean(0))**2).mean(0) + 1e-8), or h.var(0, unbiased=False)"),
            (_mbsd(h, eps_inside=False),
             "your ε is added after the square root",
             "sqrt(variance + 1e-8): ε inside the root keeps the gradient finite"),
            (torch.cat([h, (h.var(unbiased=False) + EPS).sqrt().expand(len(h), 1)], dim=1),
             "your statistic is one standard deviation of all N·F values together",
             "take each feature's std over the batch (dim=0), then average the F stds"),
            (torch.cat([h, (h.var(0, unbiased=False).mean() + EPS).sqrt().expand(len(h), 1)],
                       dim=1),
             "you averaged the variances, then took one square root; the statistic averages "
             "the standard deviations", "sqrt(h.var(dim=0, unbiased=False) + 1e-8).mean(): "
             "the square root first, then the mean"),
        ], _same_batch)
        col = got[:, 5]
        if float(col.max() - col.min()) > 1e-6:
            fail("your appended column differs between samples; it should be one number for "
                 "the whole batch", "std over dim=0 for each feature, then .mean()")
        shown, wanted = apart(float(col[0]), float(expected[0, 5]))
        fail(f"your appended value is {shown}, expected {wanted}",
             "sqrt(h.var(dim=0, unbiased=False) + 1e-8).mean()")
    if not out.requires_grad:
        fail("your result carries no gradient",
             "stay in torch: no .item(), .detach() or torch.no_grad()")
    (grad,) = torch.autograd.grad(out[:, 5].sum(), h_in, allow_unused=True)
    ref_in = h.clone().requires_grad_(True)
    (want,) = torch.autograd.grad(_reference_mbsd(ref_in)[:, 5].sum(), ref_in)
    if grad is None or float(grad.abs().max()) == 0.0:
        fail("no gradient flows through your statistic: it was detached (or computed with "
             ".item())",
             "the generator must feel the statistic: keep it a differentiable tensor")
    if not torch.allclose(grad.double(), want, atol=1e-6, rtol=1e-4):
        fail("your statistic has the right value but not the right gradient",
             "compute it with differentiable torch operations from h")
    # A collapsed batch: every sample identical.
    same = torch.ones(4, 3, dtype=torch.float64, requires_grad=True)
    out = minibatch_stddev(same)
    col = out[:, 3].detach()
    if not torch.allclose(col, torch.full((4,), math.sqrt(EPS), dtype=torch.float64),
                          atol=1e-9, rtol=1e-3):
        if abs(float(col[0]) - EPS) < 1e-12:
            fail("for 4 identical samples your statistic is 1e-8: your ε is added after the "
                 "square root", "sqrt(variance + 1e-8): ε inside the root keeps the gradient "
                 "finite when the variance is 0")
        fail(f"for 4 identical samples your statistic is {float(col[0]):.3g}, expected "
             f"sqrt(1e-8) = 1e-4", "sqrt(variance + 1e-8), with ε inside the root")
    (grad,) = torch.autograd.grad(out[:, 3].sum(), same, allow_unused=True)
    if grad is None or not bool(torch.isfinite(grad).all()):
        fail("for identical samples the gradient of your statistic is nan or inf (the "
             "square root of 0)", "add ε = 1e-8 to the variance before the square root")
    return ("the batch's mean per-feature std appended as the last column, with its gradient, "
            "finite on a collapsed batch")


def _reference_mbsd(h: Tensor) -> Tensor:
    return _mbsd_reference(h, group_size=None, eps=EPS)
