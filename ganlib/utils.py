"""Seeding and device selection.

Nothing here keeps global state of its own: :func:`seed_everything` seeds the
libraries' generators, :func:`get_device` only answers a question.
"""

from __future__ import annotations

import ast
import inspect
import math
import os
import random
import textwrap
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import torch

__all__ = ["seed_everything", "get_device", "describe_environment", "cpu_name", "check_int",
           "check_number", "source_lines"]


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


def cpu_name() -> str:
    """The CPU's model name (Linux: from /proc/cpuinfo), else what ``platform`` knows.

    Worth printing beside a GAN's results: CPUs round some floating-point sums differently,
    and a GAN's training can amplify that into a different outcome for the same seed."""
    import platform
    import re

    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    return match.group(1).strip() if match else platform.machine()


def describe_environment() -> dict[str, str]:
    """Versions and hardware, as short strings (for chapter 0 and bug reports)."""
    import platform

    import torchvision

    info = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "numpy": np.__version__,
        "cpu": cpu_name(),
        "cpu threads": str(torch.get_num_threads()),
        "device (auto)": str(get_device("auto")),
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def source_lines(obj: object, between: tuple[str, str] | None = None) -> str:
    """The code of a function or class as it is in the installed library, with its file
    and line numbers, so a chapter can point at the lines that really run.

    The docstring is left out. ``between=(first, last)`` keeps only the lines from the
    first one containing ``first`` to the next one containing ``last``.
    """
    lines, start = inspect.getsourcelines(obj)
    numbered = list(enumerate(lines, start))
    tree = ast.parse(textwrap.dedent("".join(lines)))
    body = getattr(tree.body[0], "body", [])
    if body and isinstance(body[0], ast.Expr) and isinstance(
            getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str):
        doc = range(start + body[0].lineno - 1, start + body[0].end_lineno)
        numbered = [(n, line) for n, line in numbered if n not in doc]
    if between is not None:
        first = next((i for i, (_, line) in enumerate(numbered) if between[0] in line), None)
        if first is None:
            raise ValueError(f"no line of {obj.__qualname__} contains {between[0]!r}")
        last = next((i for i, (_, line) in enumerate(numbered[first:], first)
                     if between[1] in line), None)
        if last is None:
            raise ValueError(f"no line of {obj.__qualname__} after {between[0]!r} contains "
                             f"{between[1]!r}")
        numbered = numbered[first:last + 1]
    path = Path(inspect.getsourcefile(obj))
    parts = path.parts
    where = "/".join(parts[parts.index("ganlib"):]) if "ganlib" in parts else path.name
    header = f"# {where}, lines {numbered[0][0]}–{numbered[-1][0]}"
    return "\n".join([header, *(f"{n:4d}  {line.rstrip()}" for n, line in numbered)])
