import random

import numpy as np
import pytest
import torch

from ganlib.utils import describe_environment, get_device, seed_everything


def draws():
    return random.random(), float(np.random.rand()), float(torch.rand(1))


def test_seed_everything_makes_python_numpy_and_torch_repeat():
    seed_everything(123)
    first = draws()
    seed_everything(123)
    assert draws() == first
    seed_everything(124)
    assert draws() != first


def test_seed_everything_deterministic_flag_turns_on_deterministic_algorithms():
    try:
        seed_everything(0, deterministic=True)
        assert torch.are_deterministic_algorithms_enabled()
    finally:
        torch.use_deterministic_algorithms(False)


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True, None])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="non-negative int"):
        seed_everything(bad)


def test_auto_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("ganlib.utils._mps_available", lambda: False)
    assert get_device("auto") == torch.device("cpu")
    monkeypatch.setattr("ganlib.utils._mps_available", lambda: True)
    assert get_device("auto") == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_device("auto") == torch.device("cuda")


def test_explicit_devices():
    assert get_device("cpu") == torch.device("cpu")
    assert get_device(torch.device("cpu")) == torch.device("cpu")
    assert get_device(" CPU ") == torch.device("cpu")


def test_missing_cuda_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="CUDA is not available"):
        get_device("cuda")


def test_missing_cuda_index_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ValueError, match="only 1 CUDA device"):
        get_device("cuda:3")


def test_missing_mps_is_a_clear_error(monkeypatch):
    monkeypatch.setattr("ganlib.utils._mps_available", lambda: False)
    with pytest.raises(ValueError, match="MPS is not available"):
        get_device("mps")


@pytest.mark.parametrize("bad", ["gpu", "tpu", 3, "meta"])
def test_unknown_devices_are_rejected(bad):
    with pytest.raises(ValueError, match="device must be"):
        get_device(bad)


def test_describe_environment_reports_versions():
    info = describe_environment()
    assert info["torch"] == torch.__version__
    assert {"python", "torchvision", "numpy", "cpu", "device (auto)"} <= set(info)
    assert info["cpu"].strip()


def test_check_int_and_check_number_name_the_argument_and_the_value():
    import numpy as np

    from ganlib.utils import check_int, check_number

    assert check_int("n", np.int64(3)) == 3 and check_int("k", 0, minimum=0) == 0
    for bad in (0, -1, True, 2.0, "3", None):
        with pytest.raises(ValueError, match=f"n must be a positive int, got {bad!r}"):
            check_int("n", bad)
    assert check_number("lr", 1e-4, positive=True) == 1e-4 and check_number("w", 0) == 0.0
    for bad in (float("nan"), float("inf"), -1e-3, False, "0.1"):
        with pytest.raises(ValueError, match="w must be a finite number >= 0"):
            check_number("w", bad)
    with pytest.raises(ValueError, match="lr must be a finite number > 0, got 0"):
        check_number("lr", 0, positive=True)


def test_source_lines_show_the_installed_code_with_its_lines_and_no_docstring():
    import inspect

    from ganlib.steps import discriminator_step
    from ganlib.utils import source_lines

    text = source_lines(discriminator_step)
    header, *body = text.splitlines()
    lines, start = inspect.getsourcelines(discriminator_step)
    assert header == f"# ganlib/steps.py, lines {start}–{start + len(lines) - 1}"
    assert "One update of the discriminator" not in text  # the docstring is left out
    for numbered in body:  # every shown line is the file's line of that number
        n, code = int(numbered[:4]), numbered[6:]
        assert lines[n - start].rstrip() == code
    clip = source_lines(discriminator_step, between=("if clip_value is not None", "clamp_("))
    assert clip.splitlines()[1].strip().endswith("if clip_value is not None:  # WGAN: every "
                                                 "weight back into [-c, c] after the update")
    assert len(clip.splitlines()) == 5 and "clamp_(" in clip.splitlines()[-1]
    with pytest.raises(ValueError, match="no line of discriminator_step contains 'nonsense'"):
        source_lines(discriminator_step, between=("nonsense", "x"))
