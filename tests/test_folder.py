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


# ------------------------------------------------------- deep images, damaged files, odd names
def _grey16(path, values):
    """A 16-bit greyscale image of four rows whose columns hold ``values`` (0..65535)."""
    Image.fromarray(np.tile(np.array(values, dtype=np.uint16), (4, 1))).save(path)


@pytest.mark.parametrize("channels", [1, 3])
def test_16_bit_greyscale_is_scaled_from_its_full_range(tmp_path, channels):
    _grey16(tmp_path / "deep.png", [0, 32768, 65535, 65535])
    assert Image.open(tmp_path / "deep.png").mode == "I;16"
    x = ImageFolder(tmp_path, image_size=4, channels=channels)[0]
    expected = torch.tensor([-1.0, 32768 / 32767.5 - 1, 1.0, 1.0]).expand(channels, 4, 4)
    torch.testing.assert_close(x, expected)


def test_32_bit_integer_images_are_read_as_16_bit(tmp_path):
    # a TIFF holds Pillow's mode "I" (32-bit); opened by content, whatever the name says
    values = np.array([0, 32768, 65535, 70000], dtype=np.int32)
    Image.fromarray(np.tile(values, (4, 1))).save(tmp_path / "deep.png", format="TIFF")
    assert Image.open(tmp_path / "deep.png").mode == "I"
    x = ImageFolder(tmp_path, image_size=4, channels=1)[0]
    expected = torch.tensor([-1.0, 32768 / 32767.5 - 1, 1.0, 1.0]).expand(1, 4, 4)
    torch.testing.assert_close(x, expected)


def test_float_images_are_an_error_naming_the_file_and_mode(tmp_path):
    Image.new("F", (8, 8), 0.5).save(tmp_path / "float.png", format="TIFF")
    with pytest.raises(ValueError, match=r"float\.png.*mode 'F'"):
        ImageFolder(tmp_path, image_size=8)[0]


def test_a_truncated_image_is_an_error_naming_the_file(tmp_path):
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(noise).save(tmp_path / "cut.png")
    raw = (tmp_path / "cut.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(OSError, match=r"cut\.png"):
        load_image_folder(tmp_path)


def test_an_undecodable_file_is_an_error_naming_it(tmp_path):
    (tmp_path / "fake.jpg").write_bytes(b"not a JPEG at all")
    with pytest.raises(OSError, match=r"fake\.jpg"):
        ImageFolder(tmp_path)[0]


def test_a_folder_named_like_an_image_is_skipped(folder):
    (folder / "album.png").mkdir()
    Image.new("RGB", (8, 8)).save(folder / "album.png" / "e_inside.png")
    ds = load_image_folder(folder, image_size=16)
    assert len(ds) == 5 and "album.png" not in [p.name for p in ImageFolder(folder).files]
