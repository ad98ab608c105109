"""Chapter 4's exercise checks: they pass on the solutions, fail on the untouched stubs,
and fail — with a one-line diagnosis and a hint — on each real mistake catalogued below."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from _notebook_tasks import notebook_task_functions  # tests/

from ganlib.checks import ch04

ROOT = Path(__file__).resolve().parents[1]
SOLUTION_NOTEBOOK = ROOT / "exercises" / "solutions" / "04_mode_collapse.ipynb"


def stub(*args):
    raise NotImplementedError("replace this line with your code")


# ------------------------------------------------------------- task 1: mode coverage
def coverage(samples, centers, std, *, dist_fn=None, hq_fn=None, histogram="hq",
             captured="hq", kl="reverse", share="all", log=math.log, zero_log_zero=False,
             empty_kl=None):
    """The mode-coverage metric with one switch per known mistake (defaults: correct)."""
    if dist_fn is None:
        dist = torch.cdist(samples, centers)                          # (N, K)
    else:
        dist = dist_fn(samples, centers)
    nearest_dist, nearest = dist.min(dim=1)
    hq = (nearest_dist / std < 3) if hq_fn is None else hq_fn(nearest_dist, std)
    k = len(centers)
    counts = torch.bincount(nearest[hq], minlength=k)
    all_counts = torch.bincount(nearest, minlength=k)
    hist = counts if histogram == "hq" else all_counts
    n_captured = int(((counts if captured == "hq" else all_counts) > 0).sum())
    if share == "all":
        frac = hq.float().mean().item()
    elif share == "percent":
        frac = 100 * hq.float().mean().item()
    elif share == "count":
        frac = float(hq.sum())
    else:
        frac = hq.float().sum().item() / max(1, int(hq.sum()))
    if hist.sum() == 0:
        return n_captured, frac, math.log(k) if empty_kl is None else empty_kl
    p = hist.double() / (hist.sum() if kl != "over_all" else len(samples))
    if kl == "wrong_direction":
        return n_captured, frac, float(((1 / k) * torch.log((1 / k) / p)).sum())
    if kl == "over_k":  # Σ p̂ log(p̂ / K): K divides instead of multiplying
        q = p[p > 0]
        return n_captured, frac, float((q * torch.log(q / k)).sum())
    if kl == "captured":  # uniform over the captured modes only
        q = p[p > 0]
        return n_captured, frac, float((q * torch.log(q * len(q))).sum())
    if kl == "entropy":
        q = p[p > 0]
        return n_captured, frac, float(-(q * q.log()).sum())
    if zero_log_zero:
        return n_captured, frac, float((p * torch.log(p * k)).sum())   # 0·log 0 = nan
    q = p[p > 0]
    value = float((q * torch.log(q * k)).sum())
    return n_captured, frac, value if log is math.log else value / math.log(2)


def mode_coverage(samples, centers, std):
    return coverage(samples, centers, std)


def mode_coverage_manual(samples, centers, std):
    """Another right answer: distances by broadcasting, the KL as log K − H."""
    d = ((samples[:, None, :] - centers[None]) ** 2).sum(-1).sqrt()
    m, idx = d.min(1)
    hq = m < 3 * std
    counts = torch.bincount(idx[hq], minlength=len(centers)).double()
    if counts.sum() == 0:
        return 0, 0.0, math.log(len(centers))
    p = counts[counts > 0] / counts.sum()
    return int((counts > 0).sum()), hq.double().mean().item(), \
        math.log(len(centers)) + float((p * p.log()).sum())


def mode_coverage_via_ganlib(samples, centers, std):
    from ganlib.metrics import mode_stats

    s = mode_stats(samples, centers, std=std)
    return s.captured, s.high_quality, s.reverse_kl


def mode_coverage_float64(samples, centers, std):
    """Another right answer, in float64 throughout (chapter 5's exercise asks for it too)."""
    dist = torch.cdist(samples.double(), centers.double())
    nearest_dist, nearest = dist.min(dim=1)
    high = nearest_dist / std < 3
    counts = torch.bincount(nearest[high], minlength=len(centers)).double()
    captured = int((counts > 0).sum())
    quality = float(high.double().mean())
    if counts.sum() == 0:
        return captured, quality, math.log(len(centers))
    p = counts / counts.sum()
    p = p[p > 0]
    return captured, quality, float((p * (p * len(centers)).log()).sum())


def mode_coverage_no_empty_guard(samples, centers, std):
    d = torch.cdist(samples, centers)
    m, idx = d.min(1)
    hq = m / std < 3
    counts = torch.bincount(idx[hq], minlength=len(centers)).double()
    p = counts / counts.sum()                                         # 0 / 0 when no HQ
    q = p[p > 0]
    return int((counts > 0).sum()), hq.double().mean().item(), \
        float((q * torch.log(q * len(centers))).sum())


def _sq_dist(samples, centers):
    return ((samples[:, None, :] - centers[None]) ** 2).sum(-1)


def mode_coverage_tensors(samples, centers, std):
    """The right numbers, returned as tensors: the task asks for plain Python numbers."""
    dist, nearest = torch.cdist(samples, centers).min(dim=1)
    high = dist / std < 3
    counts = torch.bincount(nearest[high], minlength=len(centers))
    p = counts[counts > 0].double() / counts.sum().clamp(min=1)
    kl = (p * torch.log(len(centers) * p)).sum() if counts.sum() else torch.tensor(
        math.log(len(centers)))
    return (counts > 0).sum(), high.double().mean(), kl


def mode_coverage_squeezed(samples, centers, std):
    """Right, except for one sample: .squeeze() also drops the batch dimension."""
    dist = ((samples[:, None, :] - centers[None]) ** 2).sum(-1).sqrt().squeeze()
    nearest_dist, nearest = dist.min(dim=1)
    hq = nearest_dist / std < 3
    counts = torch.bincount(nearest[hq], minlength=len(centers)).double()
    if counts.sum() == 0:
        return 0, 0.0, math.log(len(centers))
    p = counts[counts > 0] / counts.sum()
    return int((counts > 0).sum()), hq.double().mean().item(), \
        float((p * torch.log(p * len(centers))).sum())


COVERAGE_BUGS = {
    "squared distance / σ² < 3": (
        lambda s, c, std: coverage(s, c, std, hq_fn=lambda d, sd: d**2 / sd**2 < 3),
        "squared distance"),
    "squared distance / σ < 3": (
        lambda s, c, std: coverage(s, c, std, hq_fn=lambda d, sd: d**2 / sd < 3),
        "squared distance"),
    "squared distance < 3σ": (
        lambda s, c, std: coverage(s, c, std, dist_fn=_sq_dist,
                                   hq_fn=lambda d, sd: d < 3 * sd), "squared distance"),
    "distance / variance": (
        lambda s, c, std: coverage(s, c, std, hq_fn=lambda d, sd: d / sd**2 < 3), "variance"),
    "≤ instead of <": (
        lambda s, c, std: coverage(s, c, std, hq_fn=lambda d, sd: d / sd <= 3), "strict"),
    "raw distance < 3": (
        lambda s, c, std: coverage(s, c, std, hq_fn=lambda d, sd: d < 3), "raw distance"),
    "low-quality samples in the histogram": (
        lambda s, c, std: coverage(s, c, std, histogram="all", captured="all"),
        "low-quality samples"),
    "captured by any nearest sample": (
        lambda s, c, std: coverage(s, c, std, captured="all"), "HIGH-QUALITY"),
    "KL of every sample's nearest mode": (
        lambda s, c, std: coverage(s, c, std, histogram="all"), "counts every sample"),
    "KL(uniform ‖ p̂)": (
        lambda s, c, std: coverage(s, c, std, kl="wrong_direction"), "other direction"),
    "KL in bits": (lambda s, c, std: coverage(s, c, std, log=math.log2), "bits"),
    "entropy instead of KL": (lambda s, c, std: coverage(s, c, std, kl="entropy"), "entropy"),
    "histogram over all samples": (
        lambda s, c, std: coverage(s, c, std, kl="over_all"), "does not sum to 1"),
    "0 log 0 = nan": (lambda s, c, std: coverage(s, c, std, zero_log_zero=True), "nan"),
    "share in percent": (lambda s, c, std: coverage(s, c, std, share="percent"), "percentage"),
    "share of HQ among HQ": (lambda s, c, std: coverage(s, c, std, share="hq"), "ALL samples"),
    "no guard for an empty histogram": (mode_coverage_no_empty_guard, "total collapse"),
    "a list instead of a tuple of numbers": (
        lambda s, c, std: list(torch.tensor(coverage(s, c, std)[:2])), "tuple"),
    "a dict": (lambda s, c, std: {"captured": 8}, "expected a tuple"),
    # Two slips at once: the check names the one that explains the share, else the KL.
    "squared distance and KL in bits": (
        lambda s, c, std: coverage(s, c, std, hq_fn=lambda d, sd: d**2 / sd**2 < 3,
                                   log=math.log2), "squared distance"),
    "captured by any sample and KL in bits": (
        lambda s, c, std: coverage(s, c, std, captured="all", log=math.log2), "bits"),
    "tensors instead of plain numbers": (mode_coverage_tensors, "plain Python numbers"),
    "log 8 for an empty histogram, whatever K": (
        lambda s, c, std: coverage(s, c, std, empty_kl=math.log(8)), "log 8"),
    "share as a count": (lambda s, c, std: coverage(s, c, std, share="count"), "a count"),
    "Σ p̂ log(p̂ / K)": (lambda s, c, std: coverage(s, c, std, kl="over_k"), "p̂ / K"),
    "uniform over the captured modes": (
        lambda s, c, std: coverage(s, c, std, kl="captured"), "captured modes"),
    "L1 (Manhattan) distance": (
        lambda s, c, std: coverage(s, c, std, dist_fn=lambda a, b: torch.cdist(a, b, p=1)),
        "L1"),
    "fails on a single sample (.squeeze())": (mode_coverage_squeezed, "a single sample"),
}


# ---------------------------------------------------------------------- task 2: pack
def pack(x, k):
    if x.shape[0] % k:
        raise ValueError(f"the batch size {x.shape[0]} is not divisible by k={k}")
    return x.reshape(x.shape[0] // k, -1)


def pack_by_slices(x, k):
    if x.shape[0] % k:
        raise ValueError("batch size not divisible by k")
    flat = x.flatten(1)
    return torch.cat([flat[i::k] for i in range(k)], dim=1)


def pack_strided(x, k):  # torch.chunk: row j packs samples j, j + N/k, …
    if x.shape[0] % k:
        raise ValueError("not divisible")
    return torch.cat(x.flatten(1).chunk(k), dim=1)


def pack_transposed(x, k):  # features of different samples interleaved
    if x.shape[0] % k:
        raise ValueError("not divisible")
    return x.reshape(x.shape[0], -1).T.reshape(x.shape[0] // k, -1)


def pack_permuted(x, k):  # feature-major inside a pack: x0f0, x1f0, x0f1, x1f1, …
    if x.shape[0] % k:
        raise ValueError("not divisible")
    n = x.shape[0]
    return x.reshape(n // k, k, -1).transpose(1, 2).reshape(n // k, -1)


def pack_k_rows(x, k):
    if x.shape[0] % k:
        raise ValueError("not divisible")
    return x.reshape(k, -1)


def pack_points_only(x, k):  # ignores image dimensions
    if x.shape[0] % k:
        raise ValueError("not divisible")
    return x.reshape(x.shape[0] // k, k * x.shape[1])


def pack_drops_the_rest(x, k):
    n = x.shape[0] - x.shape[0] % k
    return x[:n].reshape(n // k, -1)


def pack_view_error(x, k):  # RuntimeError from view instead of a clear ValueError
    return x.reshape(-1, k * x[0].numel()) if x.shape[0] % k == 0 else x.view(-1, 3, k)


def pack_assert(x, k):  # an assert: AssertionError, and gone under python -O
    assert x.shape[0] % k == 0, "batch size not divisible by k"
    return x.reshape(x.shape[0] // k, -1)


PACK_BUGS = {
    "strided groups (torch.chunk)": (pack_strided, "not consecutive"),
    "transposed": (pack_transposed, "mixed up"),
    "feature-major inside a pack": (pack_permuted, "mixed up"),
    "k rows": (pack_k_rows, "number of packs"),
    "points only": (pack_points_only, "raised RuntimeError"),
    "drops samples silently": (pack_drops_the_rest, "silently"),
    "RuntimeError instead of ValueError": (pack_view_error, "expected a ValueError"),
    "assert instead of ValueError": (pack_assert, "AssertionError"),
}


# ------------------------------------------------------------- task 3: minibatch std
def minibatch_stddev(h):
    std = torch.sqrt(h.var(dim=0, unbiased=False) + 1e-8)             # (F,)
    return torch.cat([h, std.mean().expand(h.shape[0], 1)], dim=1)


def minibatch_stddev_manual(h):
    centred = h - h.mean(dim=0, keepdim=True)
    std = (centred.pow(2).mean(dim=0) + 1e-8).sqrt()
    return torch.cat([h, std.mean() * torch.ones_like(h[:, :1])], dim=1)


def minibatch_stddev_ganlib(h):
    from ganlib.remedies import minibatch_stddev as reference

    return reference(h)


def mbsd(h, dim=0, unbiased=False, eps=1e-8, eps_inside=True, reduce=True, detach=False,
         first=False, cat_dim=1):
    var = h.var(dim=dim, unbiased=unbiased, keepdim=True)
    std = (var + eps).sqrt() if eps_inside else var.sqrt() + eps
    if detach:
        std = std.detach()
    if cat_dim == 0:
        return torch.cat([h, std.reshape(1, -1)], dim=0)
    if dim == 1:
        stat = std                                                    # (N, 1)
    elif reduce:
        stat = std.mean().expand(h.shape[0], 1)
    else:
        stat = std.expand(h.shape[0], -1)                             # (N, F)
    return torch.cat([stat, h] if first else [h, stat], dim=1)


MBSD_BUGS = {
    "std over each sample's features (dim=1)": (lambda h: mbsd(h, dim=1), "dim=1"),
    "unbiased std": (lambda h: mbsd(h, unbiased=True), "Bessel"),
    "all F stds appended": (lambda h: mbsd(h, reduce=False), "instead of their mean"),
    "ε outside the square root": (lambda h: mbsd(h, eps_inside=False), "after the square root"),
    "no ε": (lambda h: mbsd(h, eps=0.0), "sqrt(1e-8)"),
    "detached statistic": (lambda h: mbsd(h, detach=True), "no gradient"),
    "statistic first": (lambda h: mbsd(h, first=True), "first column"),
    "appended as a sample": (lambda h: mbsd(h, cat_dim=0), "extra sample"),
    "std of all N·F values together": (
        lambda h: torch.cat([h, (h.var(unbiased=False) + 1e-8).sqrt().expand(len(h), 1)],
                            dim=1), "all N·F values"),
    "square root of the mean variance": (
        lambda h: torch.cat([h, (h.var(0, unbiased=False).mean() + 1e-8).sqrt().expand(
            len(h), 1)], dim=1), "averaged the variances"),
    "computed with .item()": (
        lambda h: torch.cat([h, torch.full((h.shape[0], 1), mbsd(h)[0, -1].item(),
                                           dtype=h.dtype)], dim=1), "no gradient"),
}


# ------------------------------------------------------------------------------ tests
CASES = {
    "mode_coverage": (ch04.check_mode_coverage,
                      [mode_coverage, mode_coverage_manual, mode_coverage_via_ganlib,
                       mode_coverage_float64],
                      COVERAGE_BUGS),
    "pack": (ch04.check_pack, [pack, pack_by_slices], PACK_BUGS),
    "minibatch_stddev": (ch04.check_minibatch_stddev,
                         [minibatch_stddev, minibatch_stddev_manual, minibatch_stddev_ganlib],
                         MBSD_BUGS),
}

PASSING = [(name, i) for name, (_, fns, _) in CASES.items() for i in range(len(fns))]
FAILING = [(name, bug) for name, (_, _, bugs) in CASES.items() for bug in bugs]


@pytest.mark.parametrize("name, i", PASSING)
def test_check_passes_on_a_solution(name, i, capsys):
    check_fn, solutions, _ = CASES[name]
    result = check_fn(solutions[i])
    assert result, result.message
    out = capsys.readouterr().out
    assert out.startswith(f"✅ {name}: correct") and out.count("\n") == 1


@pytest.mark.parametrize("name", CASES)
def test_check_fails_on_the_untouched_stub(name, capsys):
    result = CASES[name][0](stub)
    assert not result
    assert "not implemented yet" in result.message
    assert capsys.readouterr().out.startswith(f"❌ {name}: not implemented yet")


@pytest.mark.parametrize("name, bug", FAILING)
def test_check_fails_on_a_real_mistake_and_names_it(name, bug):
    check_fn, _, bugs = CASES[name]
    fn, words = bugs[bug]
    result = check_fn(fn, print_result=False)
    assert not result, f"{bug} passed"
    assert result.message.startswith(f"❌ {name}:")
    assert "hint:" in result.message or "raised" in result.message, result.message
    assert words in result.message, result.message


def test_every_coverage_bug_differs_from_the_answer_on_some_case():
    """The cases are built so that no catalogued mistake agrees with the right answer."""
    for bug, (fn, _) in COVERAGE_BUGS.items():
        differs = False
        for samples, centers, std in ch04.coverage_cases().values():
            want = mode_coverage(samples.float(), centers.float(), std)
            try:
                got = fn(samples.float(), centers.float(), std)
            except Exception:  # noqa: BLE001 - a mistake that fails on some case differs there
                differs = True
                continue
            if not isinstance(got, tuple) or any(
                    type(a) is not type(b) or not (a == b or abs(a - b) <= 1e-6)
                    for a, b in zip(got, want, strict=True)):
                differs = True
        assert differs, bug


def test_boundary_case_is_exactly_three_sigma():
    samples, centers, std = ch04.coverage_cases()["boundary"]
    d = torch.cdist(samples.float(), centers.float()).min(1).values / std
    assert (d == 3.0).sum() == 3 and (d < 3).sum() == 3


def test_checks_leave_the_global_random_state_alone():
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    for check_fn, solutions, _ in CASES.values():
        check_fn(solutions[0], print_result=False)
    assert torch.equal(torch.rand(3), expected)


def test_a_check_never_raises_on_garbage():
    for check_fn, _, _ in CASES.values():
        for garbage in (lambda *a: None, lambda *a: "x", lambda *a: 1 / 0):
            result = check_fn(garbage, print_result=False)
            assert not result and result.message.startswith("❌")


# -------------------------------------------------------------- the solution notebook
def _notebook_functions(stubbed: bool) -> dict:
    """Execute the task cells of the solution notebook; optionally as the student gets them."""
    import torch.nn.functional as F  # noqa: N812

    namespace: dict = {"torch": torch, "F": F, "math": math, "Tensor": torch.Tensor}
    return notebook_task_functions(SOLUTION_NOTEBOOK, namespace, len(CASES), stubbed)


@pytest.mark.skipif(not SOLUTION_NOTEBOOK.exists(), reason="no solution notebook yet")
@pytest.mark.parametrize("name", CASES)
def test_the_notebook_solution_passes_and_its_stub_fails(name):
    check_fn = CASES[name][0]
    assert check_fn(_notebook_functions(stubbed=False)[name], print_result=False)
    result = check_fn(_notebook_functions(stubbed=True)[name], print_result=False)
    assert not result and "not implemented yet" in result.message
