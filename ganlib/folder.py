"""Images from a folder (e.g. CelebA's ``img_align_celeba/``) for 64-px DCGANs.

Each image is resized so that its shorter side is ``image_size``, centre-cropped to a
square (PyTorch's DCGAN example does the same) and scaled to [-1, 1]. Two ways in:

- :class:`ImageFolder` reads the files lazily, one per ``__getitem__``: use it with a
  ``DataLoader`` (workers decode in parallel) for large folders — CelebA's 202,599 faces
  take 9.3 GiB as 64-px float32 tensors;
- :func:`load_image_folder` decodes everything into one tensor: simplest for a few
  thousand images (48 KiB each at 64 px in colour).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from .data import ImageDataset

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


class ImageFolder(Dataset):
    """Every image under ``root`` (sub-folders included, sorted by path), decoded lazily.

    ``dataset[i]`` is one ``(C, S, S)`` float32 tensor in [-1, 1].

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
        from PIL import Image

        with Image.open(self.files[i]) as img:
            img = img.convert("RGB" if self.channels == 3 else "L")
            w, h = img.size
            scale = self.image_size / min(w, h)
            size = (max(self.image_size, round(w * scale)), max(self.image_size, round(h * scale)))
            img = img.resize(size, Image.Resampling.BILINEAR)
            left = (size[0] - self.image_size) // 2
            top = (size[1] - self.image_size) // 2
            img = img.crop((left, top, left + self.image_size, top + self.image_size))
            arr = np.asarray(img, dtype=np.uint8).copy()
        x = torch.from_numpy(arr).float().div(127.5).sub(1.0)
        return x[None] if x.ndim == 2 else x.permute(2, 0, 1).contiguous()

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
