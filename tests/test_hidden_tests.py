"""The hidden tests of the nbgrader assignments call each check again with ``seed=...``:
the check draws new random inputs. Every check's tests (it passes on the solutions and on
other correct answers, fails on the stub, and rejects and names every catalogued mistake)
must hold on those inputs too, or a right answer could lose points in a hidden test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HIDDEN_SEEDS = {1807}  # the seed of the hidden blocks in exercises/solutions/
OTHER_SEEDS = (1, 2)  # seeds a teacher might put there instead


@pytest.mark.slow
@pytest.mark.parametrize("seed", [*sorted(HIDDEN_SEEDS), *OTHER_SEEDS])
def test_the_checks_tests_hold_on_new_inputs(seed):
    suites = sorted(str(p) for p in (ROOT / "tests").glob("test_checks_ch[0-9][0-9].py"))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-cov",
         f"--check-inputs-seed={seed}", *suites],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:]
    assert " passed" in done.stdout.splitlines()[-1]
