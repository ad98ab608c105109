"""Every chapter's check tests, run again in a fresh pytest with one more option: the hidden
tests' seeds (tests/test_hidden_tests.py), the translation audit (tests/test_i18n.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_check_suites(option: str) -> subprocess.CompletedProcess:
    """``pytest tests/test_checks_chNN.py … option``, its output captured."""
    suites = sorted(str(p) for p in (ROOT / "tests").glob("test_checks_ch[0-9][0-9].py"))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-cov", option,
         *suites], cwd=ROOT, capture_output=True, text=True, timeout=600)
