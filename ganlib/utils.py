"""Seeding and device selection.

Nothing here keeps global state of its own: :func:`seed_everything` seeds the
libraries' generators, :func:`get_device` only answers a question.
"""

from __future__ import annotations

import math
import os
import random
from numbers import Integral, Real

import numpy as np
import torch

__all__ = ["seed_everything", "get_device", "describe_environment", "check_int", "check_number"]


def check_int(name: str, value: object, minimum: int = 1) -> int:
    """``value`` as an int ≥ ``minimum``, or a ``ValueError`` naming ``name`` and the value.

    NumPy integers are accepted; booleans and floats (even ``2.0``) are not.
    """
    if not isinstance(value, Integral) or isinstance(value, bool) or value < minimum:
        kind = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return int(value)


def check_number(name: str, value: object, positive: bool = False) -> float:
    """``value`` as a finite float ≥ 0 (> 0 with ``positive``), or a ``ValueError`` naming
    ``name`` and the value (NaN, infinities and booleans included)."""
    ok = isinstance(value, Real) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value < 0 or (positive and value == 0):
        kind = "a finite number > 0" if positive else "a finite number >= 0"
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return float(value)


def seed_everything(seed: int, deterministic: bool = False) -> None:
    """Seed Python's, NumPy's and torch's random generators (CPU and every GPU).

    Args:
        seed: a non-negative integer.
        deterministic: also ask torch for deterministic algorithms (slower on GPU;
            operations without a deterministic version then raise an error).
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def get_device(device: str | torch.device = "auto") -> torch.device:
    """Return the device to compute on.

    ``"auto"`` picks CUDA, then Apple's MPS, then the CPU. An explicit device that
    this machine does not have raises a ``ValueError`` instead of silently falling back.
    """
    if isinstance(device, torch.device):
        name = str(device)
    elif isinstance(device, str):
        name = device.strip().lower()
    else:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda[:N]' or 'mps', got {device!r}")
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(name)
    except RuntimeError as err:
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda[:N]' or 'mps', got {device!r}"
        ) from err
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {name!r} was asked for, but CUDA is not available here")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(
                f"device {name!r} was asked for, but only {torch.cuda.device_count()} "
                "CUDA device(s) exist"
            )
    elif dev.type == "mps" and not _mps_available():
        raise ValueError(f"device {name!r} was asked for, but MPS is not available here")
    elif dev.type not in {"cpu", "cuda", "mps"}:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda[:N]' or 'mps', got {device!r}")
    return dev


def describe_environment() -> dict[str, str]:
    """Versions and hardware, as short strings (for chapter 0 and bug reports)."""
    import platform

    import torchvision

    info = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "numpy": np.__version__,
        "cpu threads": str(torch.get_num_threads()),
        "device (auto)": str(get_device("auto")),
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info
