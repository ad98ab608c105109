"""Loading a folder of images for the 64-px DCGAN configuration."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from ganlib.folder import ImageFolder, load_image_folder
from ganlib.models import DCGANDiscriminator, DCGANGenerator
from ganlib.train import Trainer


@pytest.fixture()
def folder(tmp_path):
    """Four images of different sizes and modes, one in a sub-folder, plus a non-image."""
    Image.new("RGB", (64, 64), (255, 0, 0)).save(tmp_path / "a_red.png")
    # wide image: blue borders, green from column 25 to 75 → the centre crop is green
    wide = np.zeros((40, 100, 3), dtype=np.uint8)
    wide[:, :, 2] = 255
    wide[:, 25:75] = (0, 255, 0)
    Image.fromarray(wide).save(tmp_path / "b_wide.png")
    Image.new("L", (20, 30), 0).save(tmp_path / "c_grey.png")
    (tmp_path / "sub").mkdir()
    Image.new("RGB", (80, 80), (255, 255, 255)).save(tmp_path / "sub" / "d_white.jpg")
    (tmp_path / "notes.txt").write_text("not an image")
    return tmp_path


def test_load_image_folder_shapes_range_and_order(folder):
    ds = load_image_folder(folder, image_size=64, channels=3)
    assert ds.images.shape == (4, 3, 64, 64) and ds.labels.tolist() == [0, 0, 0, 0]
    assert float(ds.images.min()) >= -1 and float(ds.images.max()) <= 1
    red, wide, grey, white = ds.images
    torch.testing.assert_close(red[:, 10, 10], torch.tensor([1.0, -1.0, -1.0]))
    # shorter side 40 → 64, width 100 → 160; the centre 64 columns (48..112 of 160) are
    # columns 30..70 of the original: green
    assert bool((wide[1] > 0.9).all()) and bool((wide[2] < -0.9).all())
    assert bool((grey == -1).all())
    assert bool((white > 0.95).all())  # JPEG: nearly exact
    assert "folder" in ds.source


def test_channels_size_and_max_images(folder):
    ds = load_image_folder(folder, image_size=32, channels=1, max_images=2)
    assert ds.images.shape == (2, 1, 32, 32)
    assert repr(ImageFolder(folder, 16, 1)).startswith("ImageFolder(4 images")


def test_errors_name_the_problem(tmp_path, folder):
    with pytest.raises(FileNotFoundError, match="no folder"):
        load_image_folder(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no images"):
        load_image_folder(tmp_path / "empty")
    with pytest.raises(ValueError, match="channels"):
        load_image_folder(folder, channels=2)
    with pytest.raises(ValueError, match="max_images"):
        load_image_folder(folder, max_images=0)


def test_64px_dcgan_trains_a_step_from_the_folder(folder):
    loader = DataLoader(ImageFolder(folder, 64, 3), batch_size=2, shuffle=True, drop_last=True)
    G = DCGANGenerator(latent_dim=16, channels=3, image_size=64, width=4)
    D = DCGANDiscriminator(channels=3, image_size=64, width=4)
    trainer = Trainer(G, D, device="cpu", seed=0)
    trainer.fit(loader, 2, batch_size=2, progress=False)
    assert trainer.step == 2 and trainer.sample(3).shape == (3, 3, 64, 64)


def test_a_folder_named_like_an_image_is_skipped(folder):
    (folder / "album.png").mkdir()
    Image.new("RGB", (8, 8)).save(folder / "album.png" / "e_inside.png")
    ds = load_image_folder(folder, image_size=16)
    assert len(ds) == 5 and "album.png" not in [p.name for p in ImageFolder(folder).files]
