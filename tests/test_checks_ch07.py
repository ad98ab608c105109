"""Chapter 7's checks pass on the solutions (and on other correct ways to write them), fail on
the untouched stubs, and fail — naming the mistake — on each buggy variant of the metrics
found in real evaluation code (FID, KID, k-NN precision and recall)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import torch
from _notebook_tasks import notebook_task_functions  # tests/

from ganlib import classifier, evaluation
from ganlib.checks import ch07

ROOT = Path(__file__).resolve().parents[1]
SOLUTION_NOTEBOOK = ROOT / "exercises" / "solutions" / "07_evaluation.ipynb"


# ------------------------------------------------------------------------------ solutions
def frechet_distance(feats_a, feats_b):
    a, b = feats_a.double(), feats_b.double()
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    vals, vecs = torch.linalg.eigh(cov_a)
    root_a = vecs @ torch.diag(vals.clamp_min(0).sqrt()) @ vecs.T
    cross = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).clamp_min(0).sqrt().sum()
    return float((a.mean(0) - b.mean(0)).square().sum() + cov_a.trace() + cov_b.trace()
                 - 2 * cross)


def mmd2_unbiased(feats_a, feats_b):
    a, b = feats_a.double(), feats_b.double()
    d, m, n = a.shape[1], len(a), len(b)
    k_aa, k_bb, k_ab = ((a @ a.T / d + 1) ** 3, (b @ b.T / d + 1) ** 3, (a @ b.T / d + 1) ** 3)
    return float((k_aa.sum() - k_aa.diagonal().sum()) / (m * (m - 1))
                 + (k_bb.sum() - k_bb.diagonal().sum()) / (n * (n - 1)) - 2 * k_ab.mean())


def knn_radii(feats, k):
    return torch.cdist(feats, feats).kthvalue(k + 1, dim=1).values


def precision_recall(real, fake, k):
    precision = (torch.cdist(fake, real) <= knn_radii(real, k)).any(1).float().mean()
    recall = (torch.cdist(real, fake) <= knn_radii(fake, k)).any(1).float().mean()
    return float(precision), float(recall)


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


# ------------------------------------------------------- other correct ways to write them
def frechet_distance_scipy(feats_a, feats_b):
    """The reference FID code's route: scipy.linalg.sqrtm of the product, real part."""
    a, b = feats_a.double().numpy(), feats_b.double().numpy()
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(cov_a @ cov_b).real
    return float(((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root))


def frechet_distance_eigvals(feats_a, feats_b):
    """torchmetrics' route: the eigenvalues of the (non-symmetric) product."""
    a, b = feats_a.double(), feats_b.double()
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    cross = torch.linalg.eigvals(cov_a @ cov_b).sqrt().real.sum()
    return (a.mean(0) - b.mean(0)).square().sum() + cov_a.trace() + cov_b.trace() - 2 * cross


def frechet_distance_ganlib(feats_a, feats_b):
    return classifier.frechet_distance(feats_a, feats_b)


def mmd2_unbiased_ganlib(feats_a, feats_b):
    return evaluation.mmd2_unbiased(feats_a, feats_b)


def mmd2_unbiased_masked(feats_a, feats_b):
    """A mask over the pairs i ≠ j, in float32."""
    a, b = feats_a.float(), feats_b.float()
    d = a.shape[1]

    def within(x):
        k = (x @ x.T / d + 1) ** 3
        off = ~torch.eye(len(x), dtype=torch.bool)
        return k[off].mean()

    return within(a) + within(b) - 2 * ((a @ b.T / d + 1) ** 3).mean()


def knn_radii_topk(feats, k):
    return torch.cdist(feats, feats).topk(k + 1, largest=False).values[:, -1]


def knn_radii_ganlib(feats, k):
    return evaluation.knn_radii(feats, k)


def precision_recall_ganlib(real, fake, k):
    return evaluation.precision_recall(real, fake, k)


def precision_recall_loops(real, fake, k):
    def share_inside(points, centres):
        radii = knn_radii(centres, k)
        inside = [any(float((p - c).norm()) <= float(r) for c, r in zip(centres, radii, strict=True))
                  for p in points]
        return sum(inside) / len(points)

    return share_inside(fake, real), share_inside(real, fake)


SOLUTIONS = [
    (ch07.check_frechet_distance, frechet_distance),
    (ch07.check_frechet_distance, frechet_distance_scipy),
    (ch07.check_frechet_distance, frechet_distance_eigvals),
    (ch07.check_frechet_distance, frechet_distance_ganlib),
    (ch07.check_mmd2_unbiased, mmd2_unbiased),
    (ch07.check_mmd2_unbiased, mmd2_unbiased_ganlib),
    (ch07.check_mmd2_unbiased, mmd2_unbiased_masked),
    (ch07.check_knn_radii, knn_radii),
    (ch07.check_knn_radii, knn_radii_topk),
    (ch07.check_knn_radii, knn_radii_ganlib),
    (ch07.check_precision_recall, precision_recall),
    (ch07.check_precision_recall, precision_recall_ganlib),
    (ch07.check_precision_recall, precision_recall_loops),
]


@pytest.mark.parametrize("check, solution", SOLUTIONS, ids=lambda x: x.__name__)
def test_checks_pass_on_solutions(check, solution):
    result = check(solution, print_result=False)
    assert result, result.message
    assert result.message.startswith("✅")


CHECKS = [ch07.check_frechet_distance, ch07.check_mmd2_unbiased, ch07.check_knn_radii,
          ch07.check_precision_recall]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_checks_fail_on_the_stub(check):
    result = check(stub, print_result=False)
    assert not result
    assert "not implemented yet" in result.message


# ---------------------------------------------------------------------- the mistakes
def _fd(mu_a, mu_b, cov_a, cov_b, cross, mean_term=None):
    mean = (mu_a - mu_b).square().sum() if mean_term is None else mean_term
    return float(mean + cov_a.trace() + cov_b.trace() - 2 * cross)


def _root(m):
    vals, vecs = torch.linalg.eigh(m)
    return vecs @ torch.diag(vals.clamp_min(0).sqrt()) @ vecs.T


def _cross(cov_a, cov_b):
    r = _root(cov_a)
    return torch.linalg.eigvalsh(r @ cov_b @ r).clamp_min(0).sqrt().sum()


def _stats(feats_a, feats_b, correction=1):
    a, b = feats_a.double(), feats_b.double()
    return a.mean(0), b.mean(0), torch.cov(a.T, correction=correction), \
        torch.cov(b.T, correction=correction)


def fd_wrong_axis(feats_a, feats_b):  # torch.cov(feats): samples taken for variables
    a, b = feats_a.double(), feats_b.double()
    cov_a, cov_b = torch.cov(a), torch.cov(b)
    return _fd(a.mean(0), b.mean(0), cov_a, cov_b, _cross(cov_a, cov_b))


def fd_biased_covariance(feats_a, feats_b):
    mu_a, mu_b, cov_a, cov_b = _stats(feats_a, feats_b, correction=0)
    return _fd(mu_a, mu_b, cov_a, cov_b, _cross(cov_a, cov_b))


def fd_variances_only(feats_a, feats_b):
    a, b = feats_a.double(), feats_b.double()
    va, vb = a.var(0), b.var(0)
    return float((a.mean(0) - b.mean(0)).square().sum() + ((va.sqrt() - vb.sqrt()) ** 2).sum())


def fd_no_mean_term(feats_a, feats_b):
    mu_a, mu_b, cov_a, cov_b = _stats(feats_a, feats_b)
    return _fd(mu_a, mu_b, cov_a, cov_b, _cross(cov_a, cov_b), mean_term=0.0)


def fd_mean_norm(feats_a, feats_b):
    mu_a, mu_b, cov_a, cov_b = _stats(feats_a, feats_b)
    return _fd(mu_a, mu_b, cov_a, cov_b, _cross(cov_a, cov_b), mean_term=(mu_a - mu_b).norm())


def fd_no_factor_two(feats_a, feats_b):
    mu_a, mu_b, cov_a, cov_b = _stats(feats_a, feats_b)
    return _fd(mu_a, mu_b, cov_a, cov_b, _cross(cov_a, cov_b) / 2)


def fd_two_roots(feats_a, feats_b):  # tr(Σa^½ Σb^½): right only for commuting matrices
    mu_a, mu_b, cov_a, cov_b = _stats(feats_a, feats_b)
    return _fd(mu_a, mu_b, cov_a, cov_b, (_root(cov_a) @ _root(cov_b)).trace())


def fd_entrywise_sqrt(feats_a, feats_b):
    mu_a, mu_b, cov_a, cov_b = _stats(feats_a, feats_b)
    return _fd(mu_a, mu_b, cov_a, cov_b, (cov_a @ cov_b).clamp_min(0).sqrt().trace())


def fd_sqrt_of_trace(feats_a, feats_b):
    mu_a, mu_b, cov_a, cov_b = _stats(feats_a, feats_b)
    r = _root(cov_a)
    return _fd(mu_a, mu_b, cov_a, cov_b, (r @ cov_b @ r).trace().sqrt())


def fd_float32_only(feats_a, feats_b):  # computes right, then hands back a wrong type
    return [frechet_distance(feats_a, feats_b)]


def fd_in_place_centering(feats_a, feats_b):  # centres the caller's features in place
    value = frechet_distance(feats_a, feats_b)
    feats_a -= feats_a.mean(0)
    return value


def _mmd(feats_a, feats_b, power=3, scale=True, plus=1.0, diagonal="drop", cross=2.0):
    a, b = feats_a.double(), feats_b.double()
    d = a.shape[1] if scale else 1
    k_aa, k_bb, k_ab = ((a @ a.T / d + plus) ** power, (b @ b.T / d + plus) ** power,
                        (a @ b.T / d + plus) ** power)
    m, n = len(a), len(b)
    if diagonal == "drop":
        within = ((k_aa.sum() - k_aa.trace()) / (m * (m - 1))
                  + (k_bb.sum() - k_bb.trace()) / (n * (n - 1)))
    elif diagonal == "keep":
        within = k_aa.mean() + k_bb.mean()
    elif diagonal == "m2":
        within = (k_aa.sum() - k_aa.trace()) / m**2 + (k_bb.sum() - k_bb.trace()) / n**2
    else:
        within = k_aa.sum() / (m * (m - 1)) + k_bb.sum() / (n * (n - 1))
    return float(within - cross * k_ab.mean())


def mmd_biased(a, b):
    return _mmd(a, b, diagonal="keep")


def mmd_dropped_diagonal_over_m2(a, b):
    return _mmd(a, b, diagonal="m2")


def mmd_kept_diagonal_over_pairs(a, b):
    return _mmd(a, b, diagonal="pairs")


def mmd_no_division_by_d(a, b):
    return _mmd(a, b, scale=False)


def mmd_no_plus_one(a, b):
    return _mmd(a, b, plus=0.0)


def mmd_squared_kernel(a, b):
    return _mmd(a, b, power=2)


def mmd_linear_kernel(a, b):
    return _mmd(a, b, power=1)


def mmd_cross_not_doubled(a, b):
    return _mmd(a, b, cross=1.0)


def mmd_sign(a, b):
    return -_mmd(a, b)


def mmd_square_root(a, b):
    return abs(_mmd(a, b)) ** 0.5


def radii_self_counted(feats, k):  # kthvalue(k): the 0 of the point itself is the first
    return torch.cdist(feats, feats).kthvalue(k, dim=1).values


def radii_one_too_far(feats, k):
    return torch.cdist(feats, feats).sort(1).values[:, k + 1]


def radii_squared(feats, k):
    return ((feats[:, None] - feats[None]) ** 2).sum(-1).sort(1).values[:, k]


def radii_mean_of_k(feats, k):
    return torch.cdist(feats, feats).sort(1).values[:, 1:k + 1].mean(1)


def radii_farthest(feats, k):
    return torch.cdist(feats, feats).topk(k, dim=1).values[:, -1]


def radii_indices(feats, k):
    return torch.cdist(feats, feats).sort(1).indices[:, k].float()


def radii_column(feats, k):  # keepdim: (N, 1)
    return torch.cdist(feats, feats).kthvalue(k + 1, dim=1, keepdim=True).values


def radii_list(feats, k):
    return torch.cdist(feats, feats).sort(1).values[:, k].tolist()


def fd_no_clamp(feats_a, feats_b):  # square roots of slightly negative eigenvalues: nan
    a, b = feats_a.double(), feats_b.double()
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    vals, vecs = torch.linalg.eigh(cov_a)
    root_a = vecs @ torch.diag(vals.sqrt()) @ vecs.T
    cross = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).sqrt().sum()
    return float((a.mean(0) - b.mean(0)).square().sum() + cov_a.trace() + cov_b.trace()
                 - 2 * cross)


def fd_float32(feats_a, feats_b):  # the right formula in the inputs' float32
    a, b = feats_a.float(), feats_b.float()
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    return _fd(a.mean(0), b.mean(0), cov_a, cov_b, _cross(cov_a, cov_b))


def fd_not_squared(feats_a, feats_b):  # W2 instead of W2²
    return frechet_distance(feats_a, feats_b) ** 0.5


def fd_plus_cross(feats_a, feats_b):
    mu_a, mu_b, cov_a, cov_b = _stats(feats_a, feats_b)
    return _fd(mu_a, mu_b, cov_a, cov_b, -_cross(cov_a, cov_b))


def radii_drop_zeros(feats, k):  # skips the point itself by dropping every zero distance
    d = torch.cdist(feats, feats)
    return d.masked_fill(d == 0, float("inf")).kthvalue(k, dim=1).values


def pr_swapped(real, fake, k):
    p, r = precision_recall(real, fake, k)
    return r, p


def pr_self_counted(real, fake, k):
    precision = (torch.cdist(fake, real) <= radii_self_counted(real, k)).any(1).float().mean()
    recall = (torch.cdist(real, fake) <= radii_self_counted(fake, k)).any(1).float().mean()
    return float(precision), float(recall)


def pr_every_ball(real, fake, k):
    precision = (torch.cdist(fake, real) <= knn_radii(real, k)).all(1).float().mean()
    recall = (torch.cdist(real, fake) <= knn_radii(fake, k)).all(1).float().mean()
    return float(precision), float(recall)


def pr_pairs(real, fake, k):
    precision = (torch.cdist(fake, real) <= knn_radii(real, k)).float().mean()
    recall = (torch.cdist(real, fake) <= knn_radii(fake, k)).float().mean()
    return float(precision), float(recall)


def pr_radius_of_the_sample(real, fake, k):  # the ball of the fake's own k-NN radius
    precision = (torch.cdist(fake, real).min(1).values <= knn_radii(fake, k)).float().mean()
    recall = (torch.cdist(real, fake).min(1).values <= knn_radii(real, k)).float().mean()
    return float(precision), float(recall)


def pr_strict(real, fake, k):  # a sample on the boundary counted as outside
    precision = (torch.cdist(fake, real) < knn_radii(real, k)).any(1).float().mean()
    recall = (torch.cdist(real, fake) < knn_radii(fake, k)).any(1).float().mean()
    return float(precision), float(recall)


def pr_mean_radius(real, fake, k):  # one radius for every ball: the mean of the k-NN radii
    precision = (torch.cdist(fake, real) <= knn_radii(real, k).mean()).any(1).float().mean()
    recall = (torch.cdist(real, fake) <= knn_radii(fake, k).mean()).any(1).float().mean()
    return float(precision), float(recall)


def pr_dict(real, fake, k):
    p, r = precision_recall(real, fake, k)
    return {"precision": p, "recall": r}


def pr_mutates(real, fake, k):
    out = precision_recall(real, fake, k)
    real.mul_(1.0)
    fake.add_(0.0).clamp_(max=1.0)  # clamps the caller's generated samples
    return out


MISTAKES = [
    (ch07.check_frechet_distance, fd_wrong_axis, "wrong axis"),
    (ch07.check_frechet_distance, fd_biased_covariance, "divide by N instead of N − 1"),
    (ch07.check_frechet_distance, fd_variances_only, "only the variances"),
    (ch07.check_frechet_distance, fd_no_mean_term, "mean term is missing"),
    (ch07.check_frechet_distance, fd_mean_norm, "not squared"),
    (ch07.check_frechet_distance, fd_no_factor_two, "factor 2"),
    (ch07.check_frechet_distance, fd_two_roots, "multiply two square roots"),
    (ch07.check_frechet_distance, fd_entrywise_sqrt, "entry by entry"),
    (ch07.check_frechet_distance, fd_sqrt_of_trace, "square root of the trace"),
    (ch07.check_frechet_distance, fd_float32_only, "expected a scalar"),
    (ch07.check_frechet_distance, fd_no_clamp, "clamp them at 0"),
    (ch07.check_frechet_distance, fd_float32, "float64"),
    (ch07.check_frechet_distance, fd_not_squared, "its square, d²"),
    (ch07.check_frechet_distance, fd_plus_cross, "wrong sign"),
    (ch07.check_frechet_distance, fd_in_place_centering, "changed the features"),
    (ch07.check_mmd2_unbiased, mmd_biased, "biased estimate"),
    (ch07.check_mmd2_unbiased, mmd_dropped_diagonal_over_m2, "divide by m²"),
    (ch07.check_mmd2_unbiased, mmd_kept_diagonal_over_pairs, "keep the diagonal"),
    (ch07.check_mmd2_unbiased, mmd_no_division_by_d, "division by d"),
    (ch07.check_mmd2_unbiased, mmd_no_plus_one, "lacks the + 1"),
    (ch07.check_mmd2_unbiased, mmd_squared_kernel, "squared, not cubed"),
    (ch07.check_mmd2_unbiased, mmd_linear_kernel, "linear, not cubed"),
    (ch07.check_mmd2_unbiased, mmd_cross_not_doubled, "not doubled"),
    (ch07.check_mmd2_unbiased, mmd_sign, "sign is flipped"),
    (ch07.check_mmd2_unbiased, mmd_square_root, "square root (MMD)"),
    (ch07.check_knn_radii, radii_self_counted, "counts the point itself"),
    (ch07.check_knn_radii, radii_one_too_far, "one neighbour too far"),
    (ch07.check_knn_radii, radii_squared, "squared distances"),
    (ch07.check_knn_radii, radii_mean_of_k, "average the distances"),
    (ch07.check_knn_radii, radii_farthest, "farthest"),
    (ch07.check_knn_radii, radii_indices, "index"),
    (ch07.check_knn_radii, radii_column, "one radius per sample"),
    (ch07.check_knn_radii, radii_list, "expected a tensor"),
    (ch07.check_knn_radii, radii_drop_zeros, "duplicate sample"),
    (ch07.check_precision_recall, pr_swapped, "swapped"),
    (ch07.check_precision_recall, pr_self_counted, "counts the centre"),
    (ch07.check_precision_recall, pr_every_ball, "*every* ball"),
    (ch07.check_precision_recall, pr_pairs, "(sample, ball) pairs"),
    (ch07.check_precision_recall, pr_radius_of_the_sample, "expected"),
    (ch07.check_precision_recall, pr_dict, "expected a pair"),
    (ch07.check_precision_recall, pr_strict, "boundary"),
    (ch07.check_precision_recall, pr_mean_radius, "expected"),
    (ch07.check_precision_recall, pr_mutates, "changed the features"),
]


@pytest.mark.parametrize("check, mistake, words", MISTAKES,
                         ids=[mistake.__name__ for _, mistake, _ in MISTAKES])
def test_checks_name_each_mistake(check, mistake, words):
    result = check(mistake, print_result=False)
    assert not result, f"{mistake} passed"
    assert result.message.startswith("❌")
    assert words in result.message, result.message


def test_a_mistake_is_named_only_when_it_explains_every_probe():
    """The mean radius matches 'radius counts the centre' on one probe by coincidence."""
    result = ch07.check_precision_recall(pr_mean_radius, print_result=False)
    assert not result and "counts the centre" not in result.message, result.message


def test_every_check_has_a_catalogue_of_mistakes():
    counts = {c: sum(1 for check, _, _ in MISTAKES if check is c) for c in CHECKS}
    assert min(counts.values()) >= 6, counts


def test_checks_leave_the_global_random_state_alone():
    state = torch.get_rng_state()
    for check, solution in SOLUTIONS:
        check(solution, print_result=False)
    assert torch.equal(state, torch.get_rng_state())


def test_a_check_prints_one_line(capsys):
    ch07.check_knn_radii(knn_radii)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("✅ knn_radii: correct")


# ---------------------------------------------------------- the solution notebook
NOTEBOOK_TASKS = {
    "frechet_distance": ch07.check_frechet_distance,
    "mmd2_unbiased": ch07.check_mmd2_unbiased,
    "knn_radii": ch07.check_knn_radii,
    "precision_recall": ch07.check_precision_recall,
}


def _notebook_functions(stubbed: bool) -> dict:
    """Execute the task cells of the solution notebook; optionally as the student gets them."""
    return notebook_task_functions(SOLUTION_NOTEBOOK, {"torch": torch}, 4, stubbed)


@pytest.mark.parametrize("name", NOTEBOOK_TASKS)
def test_the_notebook_solution_passes_and_its_stub_fails(name):
    check = NOTEBOOK_TASKS[name]
    assert check(_notebook_functions(stubbed=False)[name], print_result=False)
    result = check(_notebook_functions(stubbed=True)[name], print_result=False)
    assert not result and "not implemented yet" in result.message
