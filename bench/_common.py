"""Small helpers shared by the benchmark scripts in bench/ (not part of ganlib).

- :func:`set_threads`: intra-op threads for torch (see bench/README.md for why the
  published CPU tables use one thread on a shared machine);
- :func:`machine_info`: CPU model, cores, load, versions and the date, for the report;
- :class:`PeakMemory`: peak memory growth of a block of code — resident set size on the
  CPU (Linux ``VmHWM``, reset through ``/proc/self/clear_refs``; a sampling thread
  elsewhere), ``torch.cuda.max_memory_allocated`` on CUDA;
- :func:`summary` and :func:`markdown_table` for the printed tables, and
  :func:`finish_report` for the load-average line that ends them and the ``--json`` file.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import re
import statistics
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from ganlib.utils import cpu_name

ROOT = Path(__file__).resolve().parents[1]


def set_threads(n: int | None) -> None:
    """Use ``n`` intra-op threads (None or 0: leave torch's default)."""
    if n:
        torch.set_num_threads(n)


def loadavg() -> tuple[float, float, float] | None:
    """The 1, 5 and 15-minute load averages (None where the OS has none)."""
    try:
        return tuple(round(v, 2) for v in os.getloadavg())  # type: ignore[return-value]
    except (AttributeError, OSError):
        return None


def machine_info(device: torch.device | str = "cpu") -> dict[str, object]:
    """What a benchmark table must state next to its figures."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    info: dict[str, object] = {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_name(),
        "logical_cores": os.cpu_count(),
        "usable_cores": usable,
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "loadavg_start": loadavg(),
    }
    if str(device).startswith("cuda") and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
        info["cuda"] = torch.version.cuda
    return info


# ------------------------------------------------------------------------------ memory
def _status_kib(field: str) -> int | None:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    match = re.search(rf"^{field}:\s+(\d+)\s+kB", text, re.M)
    return int(match.group(1)) if match else None


def _reset_hwm() -> bool:
    """Reset Linux's peak-RSS mark (VmHWM) to the current RSS; False where impossible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return _status_kib("VmHWM") is not None


class PeakMemory:
    """``with PeakMemory(device) as m: ...`` then ``m.peak_mib``: peak growth in MiB.

    CPU: the peak resident set size reached inside the block minus the RSS on entry
    (allocator caches and freed-but-kept pages count, as they would for a user). CUDA:
    ``torch.cuda.max_memory_allocated`` inside the block minus the bytes allocated on
    entry (tensors only; the caching allocator's reserve is not counted).
    """

    def __init__(self, device: torch.device | str = "cpu") -> None:
        self.device = torch.device(device)
        self.peak_mib = float("nan")
        self.method = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sampled = 0

    def __enter__(self) -> PeakMemory:
        if self.device.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self._base = torch.cuda.memory_allocated()
            self.method = "torch.cuda.max_memory_allocated growth"
        elif _reset_hwm():
            self._base = _status_kib("VmRSS") * 1024
            self.method = "RSS high-water mark growth (VmHWM)"
        else:  # no /proc: sample the RSS every millisecond
            import psutil

            proc = psutil.Process()
            self._base = self._sampled = proc.memory_info().rss
            self.method = "RSS growth, sampled every 1 ms (psutil)"

            def sample() -> None:
                while not self._stop.is_set():
                    self._sampled = max(self._sampled, proc.memory_info().rss)
                    time.sleep(0.001)

            self._thread = threading.Thread(target=sample, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize()
            peak = torch.cuda.max_memory_allocated()
        elif self._thread is None:
            peak = _status_kib("VmHWM") * 1024
        else:
            self._stop.set()
            self._thread.join()
            peak = self._sampled
        self.peak_mib = max(peak - self._base, 0) / 2**20


# ------------------------------------------------------------------------------ tables
def summary(values: Sequence[float]) -> dict[str, float]:
    """Median, quartiles, min and max of a few measurements."""
    v = sorted(float(x) for x in values)
    if not v:
        return {"median": float("nan"), "q1": float("nan"), "q3": float("nan"),
                "min": float("nan"), "max": float("nan"), "n": 0}
    if len(v) >= 2:
        q1, _, q3 = statistics.quantiles(v, n=4, method="inclusive")
    else:
        q1 = q3 = v[0]
    return {"median": statistics.median(v), "q1": q1, "q3": q3, "min": v[0], "max": v[-1],
            "n": len(v)}


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def finish_report(out: dict, path: Path | None) -> dict:
    """Print the load average at the start and end of the run (from ``out["machine"]``) and
    write ``out`` as JSON to ``path``, if one is given; returns ``out``."""
    info = out["machine"]
    print(f"\nload average at start/end: {info['loadavg_start']} / {info['loadavg_end']}")
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(out, indent=1, default=str))
    return out
