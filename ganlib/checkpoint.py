"""Files that survive faults: atomic writes and safe, checked reads.

:func:`save_atomically` writes to a temporary file in the same folder, flushes it to
disk, then renames it over the target, so a reader (or a crash at any moment) sees either
the old file or the new one, never half of one. Temporary files that a killed process
left behind are removed by the next save of the same file.

:func:`load_safely` reads with ``torch.load(..., weights_only=True)``, which refuses to
run code hidden in a pickle, and turns the many ways a damaged file fails (an empty file,
a truncated archive, random bytes, text) into one :class:`CheckpointError` that names the
file.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

__all__ = ["CheckpointError", "save_atomically", "load_safely", "check_entries",
           "check_module_state", "cloned"]



class CheckpointError(ValueError):
    """A file is not a complete, readable checkpoint (empty, truncated, damaged or foreign)."""


def _temporary_files(path: Path) -> list[Path]:
    return list(path.parent.glob(f".{path.name}.*.tmp"))


def save_atomically(obj: Any, path: str | os.PathLike) -> Path:
    """``torch.save(obj)`` to ``path`` atomically; returns the path.

    On any error (a full disk, Ctrl-C) the previous file at ``path`` is left intact and
    the temporary file is removed. After a successful save, temporary files of ``path``
    left by a process killed while saving are removed too.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    for stale in _temporary_files(path):
        stale.unlink(missing_ok=True)
    return path


def load_safely(path: str | os.PathLike, what: str = "checkpoint") -> Any:
    """``torch.load(path, weights_only=True)`` onto the CPU, with errors that name the file.

    Raises:
        FileNotFoundError: nothing at ``path`` (or a folder).
        pickle.UnpicklingError: the file holds objects that ``weights_only`` refuses to
            load (it could run code); it is not loaded.
        CheckpointError: the file is empty, truncated or not a torch file at all.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no {what} at {path}")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path} is not a complete {what}: the file is empty")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        if "global" in str(err).lower():  # a class or function that weights_only refuses
            raise pickle.UnpicklingError(
                f"refused to load {path}: it holds objects that could run code when "
                f"loaded, which a ganlib {what} never does ({err})") from err
        raise CheckpointError(f"{path} is not a complete {what}: it cannot be unpickled "
                              f"({_reason(err)})") from err
    except Exception as err:  # EOFError, a truncated zip archive (RuntimeError), OSError…
        raise CheckpointError(f"{path} is not a complete {what}: it is truncated or damaged "
                              f"({type(err).__name__}: {_reason(err)})") from err


def _reason(err: BaseException) -> str:
    """The informative line of torch's (often long) error message, shortened."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    line = next((x for x in lines if x.startswith("Unsupported")), lines[0] if lines else "")
    return line if len(line) <= 120 else line[:117] + "..."


def check_entries(state: Any, path: str | os.PathLike, fmt: int, types: dict[str, type]) -> None:
    """Raise :class:`CheckpointError` unless ``state`` is a dict of format ``fmt`` whose
    entries have the given types."""
    if not isinstance(state, dict) or "format" not in state:
        raise CheckpointError(f"{path} is not a ganlib checkpoint (a torch file without "
                              "ganlib's 'format' entry)")
    if state["format"] != fmt:
        raise CheckpointError(f"{path} is a ganlib checkpoint of format {state['format']!r}; "
                              f"this ganlib reads format {fmt}")
    for key, kind in types.items():
        if not isinstance(state.get(key), kind):
            raise CheckpointError(f"{path} is not a complete ganlib checkpoint: {key!r} is "
                                  f"{type(state.get(key)).__name__}, expected {kind.__name__}")


def check_module_state(module: nn.Module, state: dict[str, Tensor], name: str,
                       path: str | os.PathLike) -> None:
    """Raise a ``ValueError`` listing missing, unexpected and mismatched entries unless
    ``state`` fits ``module`` exactly; nothing is loaded."""
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    mismatched = [
        f"{k}: checkpoint {tuple(getattr(state[k], 'shape', ()))} vs model {tuple(own[k].shape)}"
        for k in own
        if k in state and tuple(own[k].shape) != tuple(getattr(state[k], "shape", ()))
    ]
    parts = [f"missing from the checkpoint: {missing[:5]}"] if missing else []
    parts += [f"not in the model: {unexpected[:5]}"] if unexpected else []
    parts += ["shape mismatch: " + "; ".join(mismatched[:5])] if mismatched else []
    if parts:
        raise ValueError(f"{path}: the checkpoint's {name} does not match this {name}'s "
                         "architecture — " + " | ".join(parts))


def cloned(obj: Any) -> Any:
    """A copy of nested dicts, lists and tuples whose tensors are cloned, not shared."""
    if isinstance(obj, Tensor):
        return obj.detach().clone()
    if isinstance(obj, dict):
        return {k: cloned(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(cloned(v) for v in obj)
    return obj
