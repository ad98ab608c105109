"""Images from a folder (e.g. CelebA's ``img_align_celeba/``) for 64-px DCGANs.

Each image is resized so that its shorter side is ``image_size``, centre-cropped to a
square (PyTorch's DCGAN example does the same) and scaled to [-1, 1] from its own range:
[0, 255] for 8-bit images, [0, 65535] for 16-bit greyscale. Two ways in:

- :class:`ImageFolder` reads the files lazily, one per ``__getitem__``: use it with a
  ``DataLoader`` (workers decode in parallel) for large folders — CelebA's 202,599 faces
  take 9.3 GiB as 64-px float32 tensors;
- :func:`load_image_folder` decodes everything into one tensor: simplest for a few
  thousand images (48 KiB each at 64 px in colour).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from .data import ImageDataset

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

__all__ = ["IMAGE_EXTENSIONS", "ImageFolder", "load_image_folder"]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


def _image_files(root: Path) -> list[Path]:
    """Every file under ``root`` whose name ends in an image extension, sorted by path.

    A folder named like an image (``album.png/``) is searched, not taken for one.
    """
    if not root.is_dir():
        raise FileNotFoundError(f"no folder at {root}")
    files = sorted(
        p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()
    )
    if not files:
        raise FileNotFoundError(
            f"no images ({', '.join(IMAGE_EXTENSIONS)}) in {root} or its sub-folders"
        )
    return files


def _decoded(path: Path) -> PILImage:
    """The image in ``path``, fully decoded.

    A truncated or undecodable file is an ``OSError`` that names it: Pillow's own
    message ("image file is truncated") does not say which of many files it was.
    """
    from PIL import Image

    try:
        with Image.open(path) as img:
            img.load()
    except Exception as err:  # Pillow raises OSError, SyntaxError, ValueError, EOFError, ...
        raise OSError(f"cannot decode the image {path}: {err}") from err
    return img


def _with_white_level(img: PILImage, channels: int, path: Path) -> tuple[PILImage, float]:
    """``img`` in a mode that resizes without losing depth, and the value of white in it.

    8-bit images in any of Pillow's modes (palette, alpha, CMYK, ...) become "RGB" or
    "L" with white 255. Integer greyscale deeper than 8 bits (Pillow's "I;16…" modes, and
    "I" read as 16-bit: values past 65535 end up white) becomes "F" with white 65535;
    "L" or "RGB" would clip every value above 255 to white.
    """
    if img.mode.startswith("I"):
        return img.convert("F"), 65535.0
    if img.mode == "F":
        raise ValueError(
            f"{path}: expected an image of 8- or 16-bit integer pixels, got mode 'F' "
            "(floating-point pixels have no fixed range to scale to [-1, 1])"
        )
    return img.convert("RGB" if channels == 3 else "L"), 255.0


def _square(img: PILImage, size: int) -> PILImage:
    """``img`` resized (bilinear) so its shorter side is ``size``, centre-cropped to a square."""
    from PIL import Image

    w, h = img.size
    scale = size / min(w, h)
    new = (max(size, round(w * scale)), max(size, round(h * scale)))
    img = img.resize(new, Image.Resampling.BILINEAR)
    left, top = (new[0] - size) // 2, (new[1] - size) // 2
    return img.crop((left, top, left + size, top + size))


class ImageFolder(Dataset):
    """Every image under ``root`` (sub-folders included, sorted by path), decoded lazily.

    ``dataset[i]`` is one ``(C, S, S)`` float32 tensor in [-1, 1], scaled from [0, 255]
    for 8-bit images and from [0, 65535] for 16-bit greyscale (copied to 3 channels when
    ``channels`` is 3). A file that cannot be decoded is an ``OSError`` naming it.

    Args:
        root: the folder.
        image_size: side S of the square images (shorter side resized, then centre crop).
        channels: 3 (RGB) or 1 (grey).
    """

    def __init__(self, root: str | os.PathLike, image_size: int = 64, channels: int = 3) -> None:
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {channels!r}")
        if not isinstance(image_size, int) or image_size < 4:
            raise ValueError(f"image_size must be an int >= 4, got {image_size!r}")
        self.root = Path(root)
        self.files = _image_files(self.root)
        self.image_size = image_size
        self.channels = channels

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> Tensor:
        path = self.files[i]
        img, white = _with_white_level(_decoded(path), self.channels, path)
        arr = np.asarray(_square(img, self.image_size), dtype=np.float32).copy()
        x = torch.from_numpy(arr).div(white / 2).sub(1.0).clamp(-1.0, 1.0)  # "I" may pass 65535
        x = x[None] if x.ndim == 2 else x.permute(2, 0, 1)  # (C, S, S)
        return x.expand(self.channels, -1, -1).contiguous()  # 16-bit grey → RGB copies

    def __repr__(self) -> str:
        return (f"ImageFolder({len(self)} images in {str(self.root)!r}, "
                f"{self.channels}×{self.image_size}×{self.image_size})")


def load_image_folder(
    root: str | os.PathLike,
    image_size: int = 64,
    channels: int = 3,
    max_images: int | None = None,
) -> ImageDataset:
    """Every image under ``root`` as an :class:`~ganlib.data.ImageDataset` in memory.

    Args:
        root: the folder (sub-folders are searched too; files are taken in sorted order).
        image_size: side S of the square images (shorter side resized, then centre crop).
        channels: 3 (RGB) or 1 (grey).
        max_images: keep only the first this many files (None = all).

    Returns:
        images ``(N, C, S, S)`` in [-1, 1], labels all 0, source ``"folder <root>"``.
    """
    folder = ImageFolder(root, image_size, channels)
    n = len(folder) if max_images is None else min(int(max_images), len(folder))
    if n < 1:
        raise ValueError(f"max_images must be >= 1, got {max_images!r}")
    images = torch.stack([folder[i] for i in range(n)])
    return ImageDataset(images, torch.zeros(n, dtype=torch.long), f"folder {folder.root}")
